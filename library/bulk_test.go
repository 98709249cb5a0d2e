package library_test

import (
	"context"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// TestSelectionByQuery resolves "select all N results" under the
// caller's rights, refuses a search past MaxSelection, and acts on what
// the search finds.
func TestSelectionByQuery(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	svc, db := newService(t, &now)
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	var as []*damask.Asset
	for i := range library.MaxSelection + 1 {
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: fmt.Sprintf("beach %d", i), Filename: fmt.Sprintf("b%d.jpg", i),
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID})
	}
	for i := range 4 {
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: fmt.Sprintf("mountain %d", i), Filename: fmt.Sprintf("m%d.jpg", i),
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID})
	}
	// More than a store ranks by relevance (its window): all are selected.
	for i := range 600 {
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: fmt.Sprintf("forest %d", i), Filename: fmt.Sprintf("f%d.jpg", i),
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID})
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}
	m := library.MaxSelection + 1
	mountains := []int64{as[m].ID, as[m+1].ID, as[m+2].ID, as[m+3].ID}
	c := library.Caller{Account: acct, User: holder}

	// A guest limited to a collection of two mountains and one beach.
	inCol := []int64{mountains[0], mountains[1], as[0].ID}
	list := fmt.Sprint(inCol[0], ",", inCol[1], ",", inCol[2])
	title := "Guest's"
	col, _, err := svc.CreateCollection(ctx, c, library.CollectionInput{Title: &title, AssetIDs: &list}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	login, email, role, cols := "gus", "gus@acme.test", "guest", fmt.Sprint(col.ID)
	pw := "a password"
	gus, _, err := svc.CreateUser(ctx, c, library.UserChanges{Login: &login, Email: &email, Role: &role, Password: &pw, CollectionIDs: &cols}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	guest := library.Caller{Account: acct, User: gus}

	query := func(q, sort string) damask.Selection {
		return damask.Selection{Query: &damask.SelectionQuery{Query: q, Sort: sort}}
	}
	tests := []struct {
		name    string
		c       library.Caller
		sel     damask.Selection
		want    []int64
		wantErr string
	}{
		{"by the search, in its order", c, query("mountain", "created_on"), mountains, ""},
		{"newest first", c, query("mountain", ""), []int64{mountains[3], mountains[2], mountains[1], mountains[0]}, ""},
		{"a guest finds only theirs", guest, query("mountain", "created_on"), mountains[:2], ""},
		{"a guest's whole library", guest, query("", "created_on"), []int64{as[0].ID, mountains[0], mountains[1]}, ""},
		{"past the cap", c, query("beach", ""), nil, "finds 1001 assets, more than the 1000"},
		{"a guest is not refused for the others", guest, query("beach", ""), []int64{as[0].ID}, ""},
		{"more than the relevance window", c, query("forest", "relevance"), nil, ""},
		{"nothing found", c, query("volcano", ""), nil, "finds no assets"},
		{"a bad search", c, query(`title:"open`, ""), nil, "query"},
		{"ids as they are", c, damask.Selection{IDs: []int64{mountains[2], mountains[0]}}, []int64{mountains[2], mountains[0]}, ""},
		{"no ids", c, damask.Selection{}, nil, "Select one or more"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, err := svc.Selected(ctx, tt.c, tt.sel)
			if tt.wantErr != "" {
				if err == nil || !strings.Contains(damask.ErrorMessage(err), tt.wantErr) || damask.ErrorCode(err) != damask.EINVALID {
					t.Fatalf("err %v, want EINVALID with %q", err, tt.wantErr)
				}
				return
			}
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if len(got) != 600 {
					t.Errorf("selected %d of 600", len(got))
				}
				return
			}
			if !slices.Equal(got, tt.want) {
				t.Errorf("got %v, want %v", got, tt.want)
			}
		})
	}

	// An action takes the search; past the cap it changes nothing.
	if n, err := svc.TagSelection(ctx, c, query("mountain", ""), "peak", true); err != nil || n != 4 {
		t.Fatalf("tag by search: %d, %v", n, err)
	}
	l, err := svc.Assets(ctx, c, library.AssetQuery{Query: "tag:peak", Page: damask.Page{Number: 1, Size: 10}})
	if err != nil || l.Total != 4 {
		t.Fatalf("tagged by search: %+v, %v", l, err)
	}
	if _, err := svc.TagSelection(ctx, c, query("beach", ""), "sand", true); damask.ErrorCode(err) != damask.EINVALID {
		t.Fatalf("tag past the cap: %v", err)
	}
	if l, _ := svc.Assets(ctx, c, library.AssetQuery{Query: "tag:sand", Page: damask.Page{Number: 1, Size: 10}}); l.Total != 0 {
		t.Errorf("a refused selection tagged %d assets", l.Total)
	}
	// A guest may not change a selection, whatever it names.
	if _, err := svc.DeleteSelection(ctx, guest, query("mountain", "")); damask.ErrorCode(err) != damask.EFORBIDDEN {
		t.Errorf("a guest deletes: %v", err)
	}
}

// TestEditSelection sets titles by a pattern, descriptions, tags and a
// folder on a selection, all or nothing.
func TestEditSelection(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	svc, db := newService(t, &now)
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	var as []*damask.Asset
	for i := range 3 {
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: fmt.Sprintf("IMG %d", i), Description: "old", Filename: fmt.Sprintf("img%d.jpg", i),
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID, Tags: []damask.Tag{{Name: "raw"}}})
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}
	sel := damask.Selection{IDs: []int64{as[2].ID, as[0].ID, as[1].ID}}
	str := func(s string) *string { return &s }

	// Refused whole: the third title would be too long, the first blank.
	long := strings.Repeat("x", 250) + " {title}"
	for _, e := range []library.BulkEdit{
		{Title: str(long), AddTags: "new"},
		{Title: str("{nothing}"), Description: str(strings.Repeat("d", 10001))},
		{Path: str("../up")},
		{},
	} {
		if _, err := svc.EditSelection(ctx, c, sel, e); damask.ErrorCode(err) != damask.EINVALID {
			t.Fatalf("edit %+v: %v, want EINVALID", e, err)
		}
	}
	for _, a := range as {
		got, _ := svc.Asset(ctx, c, a.ID)
		if got.Title != a.Title || len(got.Tags) != 1 {
			t.Fatalf("a refused edit changed asset %d: %+v", a.ID, got)
		}
	}

	n, err := svc.EditSelection(ctx, c, sel, library.BulkEdit{Title: str("Summer {n} ({title}, {filename})"), Description: str("more"),
		AppendDescription: true, AddTags: "summer, print", RemoveTags: "raw", Path: str("photos/2026")})
	if err != nil || n != 3 {
		t.Fatalf("edit: %d, %v", n, err)
	}
	for i, id := range sel.IDs {
		got, _ := svc.Asset(ctx, c, id)
		old := as[slices.IndexFunc(as, func(a *damask.Asset) bool { return a.ID == id })]
		want := fmt.Sprintf("Summer %d (%s, %s)", i+1, old.Title, old.Filename)
		var tags []string
		for _, tg := range got.Tags {
			tags = append(tags, tg.Name)
		}
		slices.Sort(tags)
		if got.Title != want || got.Description != "old\nmore" || got.Path != "photos/2026" || !slices.Equal(tags, []string{"print", "summer"}) {
			t.Errorf("asset %d: %q %q %q %v, want %q", id, got.Title, got.Description, got.Path, tags, want)
		}
	}
	events, _, err := svc.Audit(ctx, c, damask.Page{Number: 1, Size: 20})
	if err != nil {
		t.Fatal(err)
	}
	edited := 0
	for _, ev := range events {
		if ev.Action == damask.AuditAssetEdited {
			edited++
		}
	}
	if edited != 3 {
		t.Errorf("%d audit events of the edit, want 3", edited)
	}
}

// TestDuplicates finds the asset whose file has the same SHA-256.
func TestDuplicates(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	svc, _ := newService(t, &now)
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}
	f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: strings.NewReader("same bytes"), Filename: "a.txt", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	a, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		sum  string
		want []int64
		code string
	}{
		{a.Blob.String(), []int64{a.ID}, ""},
		{strings.ToUpper(a.Blob.String()), []int64{a.ID}, ""},
		{strings.Repeat("0", 64), []int64{}, ""},
		{"abc", nil, damask.EMALFORMED},
	}
	for _, tt := range tests {
		got, err := svc.Duplicates(ctx, c, tt.sum)
		if damask.ErrorCode(err) != tt.code || (tt.code == "" && err != nil) {
			t.Fatalf("%s: %v", tt.sum, err)
		}
		if tt.code == "" && !slices.Equal(got, tt.want) {
			t.Errorf("%s: %v, want %v", tt.sum, got, tt.want)
		}
	}
	if _, err := svc.DeleteAsset(ctx, c, a.ID); err != nil {
		t.Fatal(err)
	}
	if got, err := svc.Duplicates(ctx, c, a.Blob.String()); err != nil || len(got) != 0 {
		t.Errorf("a trashed asset is a duplicate: %v, %v", got, err)
	}
}
