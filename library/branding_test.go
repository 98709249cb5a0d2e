package library_test

import (
	"bytes"
	"context"
	"image"
	"image/png"
	"io"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/library"
	"damask/media/mediatest"
)

// brandingEnv is a service over SQLite and a disk store, with the disk
// store at hand to see what a collection leaves.
type brandingEnv struct {
	svc    *library.Service
	blobs  *disk.Store
	now    *time.Time
	holder library.Caller
}

func newBrandingEnv(t *testing.T, plan string) *brandingEnv {
	t.Helper()
	ctx := context.Background()
	now := time.Now()
	svc, _, blobs := newServiceStores(t, &now)
	a, h, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: plan,
		HolderLogin: "hol", HolderEmail: "hol@acme.test", Password: "correct horse battery"})
	if err != nil {
		t.Fatal(err)
	}
	return &brandingEnv{svc: svc, blobs: blobs, now: &now, holder: library.Caller{Account: a, User: h, Source: "test"}}
}

func pngOf(t *testing.T, w, h int) []byte {
	t.Helper()
	var b bytes.Buffer
	if err := png.Encode(&b, image.NewGray(image.Rect(0, 0, w, h))); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func str(s string) *string { return &s }

func TestContrast(t *testing.T) {
	for _, tt := range []struct {
		a, b string
		want float64
	}{
		{"#000", "#fff", 21}, {"#ffffff", "#ffffff", 1}, {"#fff", "#ffff00", 1.07},
		{"#777", "#fff", 4.48}, {"#767676", "#ffffff", 4.54}, {"#fff", "#23313f", 13.27},
		{"#fff", "#0a6ebd", 5.28}, {"red", "#fff", 1},
	} {
		if got := library.Contrast(tt.a, tt.b); got < tt.want-0.01 || got > tt.want+0.01 {
			t.Errorf("Contrast(%s, %s) = %.3f, want %.2f", tt.a, tt.b, got, tt.want)
		}
		if a, b := library.Contrast(tt.a, tt.b), library.Contrast(tt.b, tt.a); a != b {
			t.Errorf("Contrast(%s, %s) = %v but the other way %v", tt.a, tt.b, a, b)
		}
	}
}

// A colour alone is checked with the pages' own for the others: the
// header's white text, the footer's grey.
func TestBrandingContrastDefaults(t *testing.T) {
	e := newBrandingEnv(t, "pro")
	for _, tt := range []struct {
		ch  library.BrandingChanges
		ok  bool
		msg string
	}{
		{library.BrandingChanges{TopColor: str("#ffff00")}, false, "Top colour #ffff00 under the text colour #ffffff has a contrast of 1.07:1"},
		{library.BrandingChanges{BottomColor: str("#333")}, false, "Bottom colour #333 under the text colour #555555"},
		{library.BrandingChanges{TopColor: str("#0a6ebd"), BottomColor: str("#fafafa")}, true, ""},
		{library.BrandingChanges{FontColor: str("#1d1d1b"), TopColor: str("#ffd400"), BottomColor: str("#ffd400")}, true, ""},
	} {
		_, err := e.svc.SetBranding(t.Context(), e.holder, tt.ch)
		if tt.ok != (err == nil) || (err != nil && !strings.Contains(damask.ErrorMessage(err), tt.msg)) {
			t.Errorf("%+v: %v, want ok %v or %q", tt.ch, err, tt.ok, tt.msg)
		}
	}
}

func TestSetBranding(t *testing.T) {
	ctx := t.Context()
	e := newBrandingEnv(t, "pro")
	a, err := e.svc.SetBranding(ctx, e.holder, library.BrandingChanges{Title: str("  Acme  "),
		TopColor: str("#AA0000"), FontColor: str("#fff"), BottomColor: str("")})
	if err != nil {
		t.Fatal(err)
	}
	if b := a.Branding; b.Title != "Acme" || b.TopColor != "#aa0000" || b.FontColor != "#fff" || b.BottomColor != "" || b.UpdatedAt.IsZero() {
		t.Errorf("branding = %+v", b)
	}
	stored, err := e.svc.AccountByName(ctx, "acme")
	if err != nil || stored.Branding.TopColor != "#aa0000" {
		t.Fatalf("stored branding = %+v, %v", stored.Branding, err)
	}
	e.holder.Account = stored

	tooBig := append(pngOf(t, 1, 1), make([]byte, library.MaxLogoSize)...)
	for _, tt := range []struct {
		name string
		ch   library.BrandingChanges
		code string
		msg  string
	}{
		{"colour name", library.BrandingChanges{TopColor: str("red")}, damask.EINVALID, "Top colour must be a colour written #rgb or #rrggbb"},
		{"css injection", library.BrandingChanges{BottomColor: str("#fff;}*{x:y")}, damask.EINVALID, "Bottom colour"},
		{"four digits", library.BrandingChanges{FontColor: str("#abcd")}, damask.EINVALID, "Font colour"},
		{"rgb()", library.BrandingChanges{FontColor: str("rgb(1,2,3)")}, damask.EINVALID, "Font colour"},
		{"white on yellow", library.BrandingChanges{TopColor: str("#ffff00")}, damask.EINVALID, "Font colour #fff on the top colour #ffff00 has a contrast of 1.07:1; text needs at least 4.5:1"},
		{"light grey on white", library.BrandingChanges{FontColor: str("#999"), TopColor: str("#fff")}, damask.EINVALID, "Font colour #999 on the top colour #fff has a contrast of 2.84:1"},
		{"white on a light bottom", library.BrandingChanges{BottomColor: str("#eeeeee")}, damask.EINVALID, "Font colour #fff on the bottom colour #eeeeee"},
		{"control in title", library.BrandingChanges{Title: str("a\x00b")}, damask.EINVALID, "Title"},
		{"svg logo", library.BrandingChanges{Logo: bytes.NewReader(mediatest.Sample(t, "shape.svg"))}, damask.EINVALID, "PNG, JPEG, GIF or WebP"},
		{"html logo", library.BrandingChanges{Logo: strings.NewReader("<html><script>alert(1)</script>")}, damask.EINVALID, "text/html"},
		{"empty logo", library.BrandingChanges{Logo: strings.NewReader("")}, damask.EINVALID, "empty"},
		{"pdf logo", library.BrandingChanges{Logo: bytes.NewReader(mediatest.Sample(t, "doc.pdf"))}, damask.EINVALID, "application/pdf"},
		{"truncated png", library.BrandingChanges{Logo: bytes.NewReader(pngOf(t, 4, 4)[:20])}, damask.EINVALID, "not a valid png"},
		{"huge png", library.BrandingChanges{Logo: bytes.NewReader(pngOf(t, 5000, 1))}, damask.EINVALID, "5000×1 pixels"},
		{"too large", library.BrandingChanges{Logo: bytes.NewReader(tooBig)}, damask.ETOOLARGE, "larger than 1024 KiB"},
		{"bad webp", library.BrandingChanges{Logo: strings.NewReader("RIFF\x00\x00\x00\x00WEBPVP8 " + strings.Repeat("\x00", 20))}, damask.EINVALID, "not a valid WebP"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			_, err := e.svc.SetBranding(ctx, e.holder, tt.ch)
			if damask.ErrorCode(err) != tt.code || !strings.Contains(damask.ErrorMessage(err), tt.msg) {
				t.Errorf("error %v (%s), want %s with %q", err, damask.ErrorCode(err), tt.code, tt.msg)
			}
		})
	}
	if got, _ := e.svc.AccountByName(ctx, "acme"); got.Branding != stored.Branding {
		t.Errorf("refused changes changed the branding: %+v", got.Branding)
	}

	for _, tt := range []struct{ file, ctype string }{
		{"alpha.png", "image/png"}, {"photo.jpg", "image/jpeg"}, {"anim.gif", "image/gif"}, {"photo.webp", "image/webp"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			data := mediatest.Sample(t, tt.file)
			a, err := e.svc.SetBranding(ctx, e.holder, library.BrandingChanges{Logo: bytes.NewReader(data)})
			if err != nil {
				t.Fatal(err)
			}
			e.holder.Account = a
			l, err := e.svc.Logo(ctx, a)
			if err != nil {
				t.Fatal(err)
			}
			defer l.Body.Close()
			got, _ := io.ReadAll(l.Body)
			if l.ContentType != tt.ctype || !bytes.Equal(got, data) || l.Ref.String() != a.Branding.Logo {
				t.Errorf("logo: %s, %d bytes, ref %s; want %s, %d bytes, ref %s", l.ContentType, len(got), l.Ref, tt.ctype, len(data), a.Branding.Logo)
			}
		})
	}

	a, err = e.svc.SetBranding(ctx, e.holder, library.BrandingChanges{RemoveLogo: true})
	if err != nil || a.Branding.Logo != "" {
		t.Fatalf("remove logo: %q, %v", a.Branding.Logo, err)
	}
	if stored, err = e.svc.AccountByName(ctx, "acme"); err != nil || stored.Branding.Logo != "" {
		t.Fatalf("stored logo after removal: %q, %v", stored.Branding.Logo, err)
	}
	if _, err := e.svc.Logo(ctx, stored); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Logo after removal: %v", err)
	}
	es, _, err := e.svc.Audit(ctx, e.holder, damask.Page{Number: 1, Size: 50})
	if err != nil {
		t.Fatal(err)
	}
	var details []string
	for _, ev := range es {
		if ev.Action == damask.AuditAccountChange {
			details = append(details, ev.Detail)
		}
	}
	if len(details) != 6 || details[0] != "branding: logo removed" || details[len(details)-1] != "branding: title, colours" {
		t.Errorf("audit details = %q", details)
	}
}

// Only the holder of an account whose plan has branding may set it.
func TestSetBrandingRefused(t *testing.T) {
	ctx := t.Context()
	e := newBrandingEnv(t, "pro")
	login, email, pass := "adi", "adi@acme.test", "correct horse battery"
	for _, role := range []string{"admin", "member", "guest"} {
		login, email := login+role, role+email
		u, err := e.svc.AddUser(ctx, "acme", library.UserChanges{Login: &login, Email: &email, Password: &pass, Role: &role})
		if err != nil {
			t.Fatal(err)
		}
		_, err = e.svc.SetBranding(ctx, library.Caller{Account: e.holder.Account, User: u}, library.BrandingChanges{Title: str("mine")})
		if damask.ErrorCode(err) != damask.EFORBIDDEN {
			t.Errorf("%s sets the branding: %v", role, err)
		}
	}
	readOnly := e.holder
	readOnly.Token = &damask.Token{ReadOnly: true}
	if _, err := e.svc.SetBranding(ctx, readOnly, library.BrandingChanges{Title: str("mine")}); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("read-only token sets the branding: %v", err)
	}

	basic := newBrandingEnv(t, "basic")
	_, err := basic.svc.SetBranding(ctx, basic.holder, library.BrandingChanges{Title: str("mine")})
	if damask.ErrorCode(err) != damask.EFORBIDDEN || !strings.Contains(damask.ErrorMessage(err), "basic plan does not include branding") {
		t.Errorf("basic plan sets the branding: %v", err)
	}
}

// The housework never collects the logo an account shows, and releases
// one that was replaced.
func TestTidyKeepsLogo(t *testing.T) {
	ctx := t.Context()
	e := newBrandingEnv(t, "pro")
	old, err := e.svc.SetBranding(ctx, e.holder, library.BrandingChanges{Logo: bytes.NewReader(pngOf(t, 2, 2))})
	if err != nil {
		t.Fatal(err)
	}
	e.holder.Account = old
	cur, err := e.svc.SetBranding(ctx, e.holder, library.BrandingChanges{Logo: bytes.NewReader(pngOf(t, 3, 3))})
	if err != nil {
		t.Fatal(err)
	}
	// Every file is past the grace now: a first round sets the replaced
	// logo aside, the next one (past the grace again) releases it.
	for range 2 {
		*e.now = e.now.Add(time.Hour)
		if err := e.svc.Tidy(ctx, time.Minute); err != nil {
			t.Fatal(err)
		}
	}
	oldRef, _ := damask.ParseBlobRef(old.Branding.Logo)
	if _, err := e.blobs.Stat(ctx, oldRef); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("replaced logo after Tidy: %v, want it released", err)
	}
	l, err := e.svc.Logo(ctx, cur)
	if err != nil {
		t.Fatalf("current logo after Tidy: %v", err)
	}
	l.Body.Close()
}
