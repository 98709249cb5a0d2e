package storetest

import (
	"fmt"
	"slices"
	"testing"
	"time"

	"damask"
	"damask/search"
)

// testGuestCollections: a user's CollectionIDs are kept, checked against
// the account, and outlive nothing: a deleted collection leaves them, the
// limit stays.
func testGuestCollections(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	b, _ := newAccount(t, s, "globex")
	c1 := &damask.Collection{AccountID: acct.ID, Title: "one"}
	c2 := &damask.Collection{AccountID: acct.ID, Title: "two", Query: "logo"}
	cb := &damask.Collection{AccountID: b.ID, Title: "theirs"}
	for _, c := range []*damask.Collection{c1, c2, cb} {
		must(t, "CreateCollection", s.CreateCollection(ctx, c, nil))
	}
	g := &damask.User{AccountID: acct.ID, Login: "guest", Email: "guest@acme.example", Role: damask.RoleGuest,
		CollectionsOnly: true, CollectionIDs: []int64{c2.ID, c1.ID, c2.ID}}
	must(t, "CreateUser limited", s.CreateUser(ctx, g))
	want := []int64{c1.ID, c2.ID}
	diff(t, "CollectionIDs after CreateUser", want, g.CollectionIDs)
	read := func(what string) *damask.User {
		t.Helper()
		u, err := s.User(ctx, acct.ID, g.ID)
		must(t, "User", err)
		byLogin, err := s.UserByLogin(ctx, acct.ID, "guest")
		must(t, "UserByLogin", err)
		diff(t, what+": UserByLogin", u, byLogin)
		us, _, err := s.Users(ctx, acct.ID, damask.Page{})
		must(t, "Users", err)
		i := slices.IndexFunc(us, func(x *damask.User) bool { return x.ID == g.ID })
		if i < 0 {
			t.Fatalf("%s: Users lacks the guest", what)
		}
		diff(t, what+": Users", u, us[i])
		return u
	}
	got := read("created")
	if !got.CollectionsOnly {
		t.Errorf("CollectionsOnly not kept")
	}
	diff(t, "CollectionIDs read", want, got.CollectionIDs)

	// Another account's collection, or a missing one, is refused; nothing changes.
	for _, bad := range []int64{cb.ID, 1 << 40} {
		u := *got
		u.FirstName, u.CollectionIDs = "changed", []int64{c1.ID, bad}
		wantCode(t, "UpdateUser with collection "+fmt.Sprint(bad), s.UpdateUser(ctx, &u), damask.EINVALID,
			fmt.Sprintf("Collection %d is not in this library", bad))
		nu := &damask.User{AccountID: acct.ID, Login: fmt.Sprint("g", bad), Email: fmt.Sprint("g", bad, "@acme.example"),
			Role: damask.RoleGuest, CollectionsOnly: true, CollectionIDs: []int64{bad}}
		wantCode(t, "CreateUser with collection "+fmt.Sprint(bad), s.CreateUser(ctx, nu), damask.EINVALID, "")
	}
	diff(t, "guest after refused updates", got, read("refused"))

	// A deleted collection leaves the list; the limit stays, even empty.
	must(t, "DeleteCollection", s.DeleteCollection(ctx, acct.ID, c1.ID))
	got = read("one deleted")
	diff(t, "CollectionIDs after a delete", []int64{c2.ID}, got.CollectionIDs)
	must(t, "DeleteCollection", s.DeleteCollection(ctx, acct.ID, c2.ID))
	got = read("all deleted")
	if !got.CollectionsOnly || len(got.CollectionIDs) != 0 {
		t.Errorf("after every collection's delete: CollectionsOnly %v, ids %v; want limited to nothing", got.CollectionsOnly, got.CollectionIDs)
	}
	// Lifted.
	got.CollectionsOnly, got.CollectionIDs = false, nil
	must(t, "UpdateUser lifting the limit", s.UpdateUser(ctx, got))
	if got = read("lifted"); got.CollectionsOnly {
		t.Errorf("limit not lifted")
	}
	_ = h
}

// testWithin checks every read of assets that a filter chooses (lists in
// every order, keyset pages, searches, tags, ids, counts and facets) for
// a guest limited to collections: only the assets of an ordered set and
// what a saved search finds, never another.
func testWithin(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")
	mk := func(title string, size int64, tags ...string) *damask.Asset {
		return newAsset(t, s, h, assetSpec{title: title, description: "photo of " + title, size: size, tags: tags})
	}
	red := mk("red car", 100, "cars", "red")
	blue := mk("blue car", 200, "cars")
	green := mk("green tree", 300, "nature")
	secret := mk("signed contract", 400, "legal")
	logo := mk("logo draft", 500, "brand")
	trashed := mk("old car", 600, "cars")
	theirs := newAsset(t, s, hb, assetSpec{title: "their car", tags: []string{"cars"}})

	set := &damask.Collection{AccountID: acct.ID, Title: "cars"}
	must(t, "CreateCollection", s.CreateCollection(ctx, set, []int64{blue.ID, red.ID, trashed.ID}))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, trashed.ID, time.Now()))
	logoQuery := search.Word{Field: "title", Value: "logo"}
	w := &damask.Within{CollectionIDs: []int64{set.ID}, Queries: []damask.Query{logoQuery}}
	visible := []int64{red.ID, blue.ID, logo.ID}

	page := damask.Page{Number: 1, Size: 10}
	sorted := func(ids []int64) []int64 { return slices.Sorted(slices.Values(ids)) }
	cases := []struct {
		name string
		f    damask.AssetFilter
		want []int64
	}{
		{"all", damask.AssetFilter{}, visible},
		{"newest first", damask.AssetFilter{Sort: "-created_on"}, visible},
		{"by title", damask.AssetFilter{Sort: "title"}, visible},
		{"by size", damask.AssetFilter{Sort: "-size"}, visible},
		{"by update", damask.AssetFilter{Sort: "updated_on"}, visible},
		{"a word", damask.AssetFilter{Query: words("car")}, []int64{red.ID, blue.ID}},
		{"a word by relevance", damask.AssetFilter{Query: words("photo"), Sort: "relevance"}, visible},
		{"a word of an asset outside", damask.AssetFilter{Query: words("contract")}, nil},
		{"a tag", damask.AssetFilter{TagIDs: []int64{red.Tags[0].ID}}, []int64{red.ID, blue.ID}},
		{"a tag outside", damask.AssetFilter{TagIDs: []int64{secret.Tags[0].ID}}, nil},
		{"a tag in the query", damask.AssetFilter{Query: search.Tag{Name: "legal", ID: secret.Tags[0].ID}}, nil},
		{"not a word", damask.AssetFilter{Query: search.Not{X: search.Word{Value: "car"}}}, []int64{logo.ID}},
		{"an OR", damask.AssetFilter{Query: search.Or{search.Word{Value: "tree"}, search.Word{Value: "logo"}}}, []int64{logo.ID}},
		{"a size", damask.AssetFilter{Query: search.Compare{Field: search.Size, Op: search.Greater, Value: 150}}, []int64{blue.ID, logo.ID}},
		{"ids", damask.AssetFilter{IDs: []int64{red.ID, secret.ID, green.ID, theirs.ID}}, []int64{red.ID}},
		{"the trashed member by id", damask.AssetFilter{IDs: []int64{trashed.ID}}, nil},
	}
	for _, tc := range cases {
		f := tc.f
		f.AccountID, f.Within, f.Page = acct.ID, w, page
		as, total, err := s.Assets(ctx, f)
		must(t, "Assets "+tc.name, err)
		diff(t, "Assets "+tc.name, sorted(tc.want), sorted(ids(as)))
		if total != len(tc.want) {
			t.Errorf("Assets %s: total %d, want %d", tc.name, total, len(tc.want))
		}
		fc, err := s.AssetFacets(ctx, f)
		must(t, "AssetFacets "+tc.name, err)
		if fc.Total != len(tc.want) {
			t.Errorf("AssetFacets %s: total %d, want %d", tc.name, fc.Total, len(tc.want))
		}
	}
	// The same filter without the limit sees more: the limit is what hides.
	all, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: words("contract"), Page: page})
	must(t, "Assets unlimited", err)
	diff(t, "unlimited search", []int64{secret.ID}, ids(all))

	// Keyset pages walk the limit alone, in every order.
	for _, sort := range []string{"", "created_on", "title", "-size", "updated_on"} {
		var got []int64
		f := damask.AssetFilter{AccountID: acct.ID, Within: w, Sort: sort, Page: damask.Page{Number: 1, Size: 2}}
		for range 5 {
			as, _, err := s.Assets(ctx, f)
			must(t, "Assets page", err)
			got = append(got, ids(as)...)
			if len(as) < 2 {
				break
			}
			last := as[len(as)-1]
			f.After = &damask.Cursor{ID: last.ID, Title: last.Title, Size: last.Size, Time: last.UpdatedAt, Offset: len(got)}
		}
		diff(t, "keyset pages by "+sort, sorted(visible), sorted(got))
	}

	// Facets count only what the guest sees: tags and kinds.
	fc, err := s.AssetFacets(ctx, damask.AssetFilter{AccountID: acct.ID, Within: w})
	must(t, "AssetFacets", err)
	counts := map[string]int{}
	for _, tc := range fc.Tags {
		counts[tc.Tag.Name] = tc.Count
	}
	diff(t, "facet tags", map[string]int{"cars": 2, "red": 1, "brand": 1}, counts)
	if fc.Total != 3 || fc.Kinds["image"] != 3 {
		t.Errorf("facets total %d, kinds %v; want 3 images", fc.Total, fc.Kinds)
	}

	// Nothing given: nothing seen.
	none := &damask.Within{}
	as, total, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Within: none, Page: page})
	must(t, "Assets within nothing", err)
	if len(as) != 0 || total != 0 {
		t.Errorf("within nothing: %v (total %d)", ids(as), total)
	}
	fc, err = s.AssetFacets(ctx, damask.AssetFilter{AccountID: acct.ID, Within: none})
	must(t, "AssetFacets within nothing", err)
	if fc.Total != 0 || len(fc.Tags) != 0 {
		t.Errorf("facets within nothing: %+v", fc)
	}

	// Restored, the trashed member is seen again; another account's
	// collection id gives nothing.
	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, trashed.ID))
	as, _, err = s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Within: w, Page: page})
	must(t, "Assets after restore", err)
	diff(t, "after restore", sorted(append(visible, trashed.ID)), sorted(ids(as)))
	theirSet := &damask.Collection{AccountID: theirs.AccountID, Title: "theirs"}
	must(t, "CreateCollection", s.CreateCollection(ctx, theirSet, []int64{theirs.ID}))
	as, _, err = s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Within: &damask.Within{CollectionIDs: []int64{theirSet.ID}}, Page: page})
	must(t, "Assets within another account's collection", err)
	if len(as) != 0 {
		t.Errorf("within another account's collection: %v", ids(as))
	}
}
