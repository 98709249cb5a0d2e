package library_test

import (
	"io"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/media"
)

// roles signs up a member, a guest and a second member in the default
// account, beside its holder.
func roles(t *testing.T, svc *library.Service) (holder, member, guest, other library.Caller) {
	t.Helper()
	ctx := t.Context()
	if _, _, err := svc.EnsureDefault(ctx, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	a, err := svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	add := func(login, role string) library.Caller {
		email, pw := login+"@example.com", "correct horse battery"
		u, err := svc.AddUser(ctx, a.Name, library.UserChanges{Login: &login, Email: &email, Password: &pw, Role: &role})
		if err != nil {
			t.Fatal(err)
		}
		return library.Caller{Account: a, User: u}
	}
	admin, err := svc.Authenticate(ctx, a, "admin", "correct horse battery", "test")
	if err != nil {
		t.Fatal(err)
	}
	return library.Caller{Account: a, User: admin}, add("mem", "member"), add("gus", "guest"), add("meg", "member")
}

// addAsset makes an asset of the text as c.
func addAsset(t *testing.T, svc *library.Service, c library.Caller, text string) *damask.Asset {
	t.Helper()
	f, err := svc.ReceiveFile(t.Context(), c, library.FileInput{Body: strings.NewReader(text), Filename: "x.txt", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAsset(t.Context(), c, library.AssetInput{File: f})
	if err != nil {
		t.Fatal(err)
	}
	return a
}

// Guests get no original by any of the service's routes, and never see a
// public link; the other roles keep them.
func TestGuestsGetNoOriginals(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	svc, _ := newService(t, &now)
	holder, member, guest, _ := roles(t, svc)
	a := addAsset(t, svc, member, "the original")
	if a.PublicToken == "" || a.PublicLinkBy != member.User.ID {
		t.Fatalf("new asset's link %q made by %d, want one by %d", a.PublicToken, a.PublicLinkBy, member.User.ID)
	}

	if _, err := svc.Download(ctx, guest, a.ID, 0); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("guest downloads: %v", err)
	}
	if _, err := svc.Download(ctx, guest, a.ID, 1); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("guest downloads version 1: %v", err)
	}
	called := false
	err := svc.ZipFiles(ctx, guest, []int64{a.ID}, func(*library.Download) error { called = true; return nil })
	if damask.ErrorCode(err) != damask.EFORBIDDEN || called {
		t.Errorf("guest zips: %v (a file handed: %v)", err, called)
	}

	seen, err := svc.Asset(ctx, guest, a.ID)
	if err != nil || seen.PublicToken != "" || library.PublicToken(seen) != "" {
		t.Errorf("guest's asset: link %q, %v", seen.PublicToken, err)
	}
	l, err := svc.Assets(ctx, guest, library.AssetQuery{Page: damask.Page{Number: 1, Size: 10}})
	if err != nil || len(l.Assets) != 1 || l.Assets[0].PublicToken != "" {
		t.Errorf("guest's list: %+v, %v", l, err)
	}
	for _, c := range []library.Caller{holder, member} {
		if got, err := svc.Asset(ctx, c, a.ID); err != nil || got.PublicToken != a.PublicToken {
			t.Errorf("%s's asset: link %q, %v", c.User.Role, got.PublicToken, err)
		}
		d, err := svc.Download(ctx, c, a.ID, 0)
		if err != nil {
			t.Fatalf("%s downloads: %v", c.User.Role, err)
		}
		b, _ := io.ReadAll(d.Body)
		d.Body.Close()
		if string(b) != "the original" {
			t.Errorf("%s downloads %q", c.User.Role, b)
		}
	}
	// The store's asset keeps its link: a guest's copy is not written back.
	if got, _ := svc.Asset(ctx, member, a.ID); got.PublicToken != a.PublicToken {
		t.Errorf("the link after a guest's read: %q, want %q", got.PublicToken, a.PublicToken)
	}
}

// A public link serves the file only while its maker may have originals.
func TestPublicLinkCarriesMakersRight(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	svc, _ := newService(t, &now)
	holder, member, guest, other := roles(t, svc)
	a := addAsset(t, svc, member, "shared")
	token := library.PublicToken(a)

	serves := func(t *testing.T, want bool) {
		t.Helper()
		d, err := svc.PublicDownload(ctx, holder.Account, token)
		if err == nil {
			d.Body.Close()
		}
		if got := err == nil; got != want {
			t.Errorf("the link serves: %v (%v), want %v", got, err, want)
		}
		if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
			t.Errorf("a dead link: %v, want ENOTFOUND", err)
		}
	}
	setRole := func(role string) {
		t.Helper()
		if _, err := svc.UpdateUser(ctx, holder, member.User.ID, library.UserChanges{Role: &role}); err != nil {
			t.Fatal(err)
		}
	}
	setDisabled := func(off bool) {
		t.Helper()
		if _, err := svc.UpdateUser(ctx, holder, member.User.ID, library.UserChanges{Disabled: &off}); err != nil {
			t.Fatal(err)
		}
	}
	serves(t, true)
	setRole("guest")
	serves(t, false)
	setRole("admin")
	serves(t, true)
	setDisabled(true)
	serves(t, false)
	setDisabled(false)
	serves(t, true)

	// A guest may not make a link; a link made again is its new maker's.
	on := true
	if _, err := svc.UpdateAsset(ctx, guest, a.ID, library.AssetInput{PublicLink: &on}); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("guest makes a link: %v", err)
	}
	off := false
	if _, err := svc.UpdateAsset(ctx, other, a.ID, library.AssetInput{PublicLink: &off}); err != nil {
		t.Fatal(err)
	}
	serves(t, false)
	b, err := svc.UpdateAsset(ctx, other, a.ID, library.AssetInput{PublicLink: &on})
	if err != nil || b.PublicLinkBy != other.User.ID {
		t.Fatalf("link made again: by %d, %v; want by %d", b.PublicLinkBy, err, other.User.ID)
	}
	token = library.PublicToken(b)
	serves(t, true)
	if _, err := svc.DeleteUser(ctx, holder, other.User.ID); err != nil {
		t.Fatal(err)
	}
	serves(t, false)
}

// A zip names each file once, skips assets that are gone and takes at most
// MaxZipFiles ids.
func TestZipFiles(t *testing.T) {
	ctx := t.Context()
	now := time.Now()
	svc, _ := newService(t, &now)
	_, member, _, _ := roles(t, svc)
	one, two := addAsset(t, svc, member, "one"), addAsset(t, svc, member, "two")

	zip := func(ids []int64) ([]string, error) {
		var got []string
		err := svc.ZipFiles(ctx, member, ids, func(d *library.Download) error {
			b, err := io.ReadAll(d.Body)
			got = append(got, string(b))
			return err
		})
		return got, err
	}
	repeated := make([]int64, library.MaxZipFiles)
	for i := range repeated {
		repeated[i] = one.ID
	}
	repeated[len(repeated)-1] = two.ID
	tests := []struct {
		name string
		ids  []int64
		want []string
		code string
	}{
		{"each once, in order", []int64{two.ID, one.ID}, []string{"two", "one"}, ""},
		{"an id named the most times allowed", repeated, []string{"one", "two"}, ""},
		{"one more id than allowed", append(repeated, one.ID), nil, damask.EINVALID},
		{"a missing asset skipped", []int64{one.ID + 100, one.ID}, []string{"one"}, ""},
		{"nothing left", []int64{one.ID + 100}, nil, damask.ENOTFOUND},
		{"no ids", nil, nil, damask.ENOTFOUND},
	}
	for _, tt := range tests {
		got, err := zip(tt.ids)
		if damask.ErrorCode(err) != tt.code || strings.Join(got, ",") != strings.Join(tt.want, ",") {
			t.Errorf("%s: %q, %v; want %q, code %q", tt.name, got, err, tt.want, tt.code)
		}
		if tt.code == damask.EINVALID && !strings.Contains(damask.ErrorMessage(err), "10000") {
			t.Errorf("%s: the message does not state the limit: %v", tt.name, err)
		}
	}
}

// A guest sees no size of an image that shows it whole.
func TestMaySee(t *testing.T) {
	member := library.Caller{User: &damask.User{Role: damask.RoleMember}}
	guest := library.Caller{User: &damask.User{Role: damask.RoleGuest}}
	photo := &damask.Asset{ContentType: "image/jpeg", Width: 1500, Height: 1000}
	icon := &damask.Asset{ContentType: "image/png", Width: 48, Height: 48}
	svg := &damask.Asset{ContentType: "image/svg+xml", Width: 100, Height: 100}
	video := &damask.Asset{ContentType: "video/mp4", Width: 640, Height: 360}
	pending := &damask.Asset{ContentType: "image/jpeg"}
	tests := []struct {
		c    library.Caller
		a    *damask.Asset
		size media.Size
		want bool
	}{
		{guest, photo, media.Preview, true},
		{guest, photo, media.Lightbox, false},
		{member, photo, media.Lightbox, true},
		{guest, &damask.Asset{ContentType: "image/jpeg", Width: 1024, Height: 700}, media.Preview, false},
		{guest, icon, media.Thumb64, false},
		{member, icon, media.Thumb64, true},
		{guest, svg, media.Lightbox, true},
		{guest, video, media.Lightbox, true},
		{guest, pending, media.Lightbox, true},
	}
	for _, tt := range tests {
		if got := library.MaySee(tt.c, tt.a, tt.size); got != tt.want {
			t.Errorf("%s sees %s of %s %dx%d: %v, want %v", tt.c.User.Role, tt.size.Name, tt.a.ContentType, tt.a.Width, tt.a.Height, got, tt.want)
		}
	}
}
