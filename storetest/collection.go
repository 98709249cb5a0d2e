package storetest

import (
	"fmt"
	"testing"
	"time"

	"damask"
)

// collectionAssets answers the ids of an ordered set's assets, in order,
// and their number.
func collectionAssets(t *testing.T, s damask.Store, accountID, id int64) ([]int64, int) {
	t.Helper()
	as, n, err := s.CollectionAssets(t.Context(), accountID, id, 0, 0)
	must(t, "CollectionAssets", err)
	return ids(as), n
}

func testCollections(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a", tags: []string{"x"}})
	b := newAsset(t, s, h, assetSpec{title: "b"})
	c := newAsset(t, s, h, assetSpec{title: "c"})
	d := newAsset(t, s, h, assetSpec{title: "d"})

	// Create: the order given, an id given twice counted once at its first place.
	before := time.Now()
	set := &damask.Collection{AccountID: acct.ID, Title: "Spring", Description: "For the catalogue", UserID: h.ID}
	must(t, "CreateCollection", s.CreateCollection(ctx, set, []int64{c.ID, a.ID, c.ID, b.ID}))
	checkSet(t, "CreatedAt", set.CreatedAt, before, time.Now())
	if set.ID == 0 || !set.UpdatedAt.Equal(set.CreatedAt) {
		t.Errorf("created collection %+v: want an id and UpdatedAt = CreatedAt", set)
	}
	want := &damask.Collection{ID: set.ID, AccountID: acct.ID, Title: "Spring", Description: "For the catalogue",
		UserID: h.ID, AssetsCount: 3, CreatedAt: set.CreatedAt, UpdatedAt: set.UpdatedAt}
	diff(t, "created collection", want, set)
	got, err := s.Collection(ctx, acct.ID, set.ID)
	must(t, "Collection", err)
	diff(t, "Collection", want, got)
	order, n := collectionAssets(t, s, acct.ID, set.ID)
	diff(t, "assets in order", []int64{c.ID, a.ID, b.ID}, order)
	if n != 3 {
		t.Errorf("CollectionAssets total %d, want 3", n)
	}
	// The assets come with their tags, as in Assets.
	as, _, err := s.CollectionAssets(ctx, acct.ID, set.ID, 1, 1)
	must(t, "CollectionAssets page", err)
	if len(as) != 1 || as[0].ID != a.ID || len(as[0].Tags) != 1 || as[0].Tags[0].Name != "x" {
		t.Errorf("CollectionAssets(offset 1, limit 1) = %+v, want asset a with tag x", as)
	}

	// A saved search has a query and no assets of its own.
	saved := &damask.Collection{AccountID: acct.ID, Title: "all jpegs", Query: "ext:jpg", UserID: h.ID}
	must(t, "CreateCollection saved search", s.CreateCollection(ctx, saved, []int64{a.ID}))
	if saved.Query != "ext:jpg" || saved.AssetsCount != 0 {
		t.Errorf("saved search %+v: want its query and no assets counted", saved)
	}
	order, _ = collectionAssets(t, s, acct.ID, saved.ID)
	diff(t, "assets of a saved search", []int64{}, order)

	// An empty set, and the list by title without regard to case.
	empty := &damask.Collection{AccountID: acct.ID, Title: "apple"}
	must(t, "CreateCollection empty", s.CreateCollection(ctx, empty, nil))
	if empty.UserID != 0 || empty.AssetsCount != 0 {
		t.Errorf("empty collection %+v", empty)
	}
	list, total, err := s.Collections(ctx, acct.ID, damask.Page{Number: 1, Size: 2})
	must(t, "Collections", err)
	if total != 3 || len(list) != 2 || list[0].ID != saved.ID || list[1].ID != empty.ID {
		t.Errorf("Collections page 1 = %v (total %d), want [all jpegs, apple] of 3", titles(list), total)
	}
	list, _, err = s.Collections(ctx, acct.ID, damask.Page{Number: 2, Size: 2})
	must(t, "Collections page 2", err)
	if len(list) != 1 || list[0].ID != set.ID || list[0].AssetsCount != 3 {
		t.Errorf("Collections page 2 = %+v, want Spring with 3 assets", list)
	}

	// Update: fields, then Set (replaces the order), Remove, Add.
	set.Title, set.Description = "Summer", ""
	must(t, "UpdateCollection fields", s.UpdateCollection(ctx, set, damask.CollectionChange{}))
	if set.Title != "Summer" || set.Description != "" || set.AssetsCount != 3 || set.UpdatedAt.Before(set.CreatedAt) {
		t.Errorf("after UpdateCollection: %+v", set)
	}
	order, _ = collectionAssets(t, s, acct.ID, set.ID)
	diff(t, "order after a change of fields only", []int64{c.ID, a.ID, b.ID}, order)
	changes := []struct {
		name string
		ch   damask.CollectionChange
		want []int64
	}{
		{"Set", damask.CollectionChange{Set: []int64{b.ID, d.ID, c.ID}}, []int64{b.ID, d.ID, c.ID}},
		{"Remove", damask.CollectionChange{Remove: []int64{d.ID, a.ID}}, []int64{b.ID, c.ID}},
		{"Add", damask.CollectionChange{Add: []int64{a.ID, c.ID, d.ID}}, []int64{b.ID, c.ID, a.ID, d.ID}},
		{"Remove and Add the same", damask.CollectionChange{Remove: []int64{b.ID}, Add: []int64{b.ID}}, []int64{c.ID, a.ID, d.ID, b.ID}},
		{"Set empty", damask.CollectionChange{Set: []int64{}}, []int64{}},
		{"Set again", damask.CollectionChange{Set: []int64{a.ID, b.ID, c.ID}}, []int64{a.ID, b.ID, c.ID}},
	}
	for _, tc := range changes {
		must(t, "UpdateCollection "+tc.name, s.UpdateCollection(ctx, set, tc.ch))
		order, n := collectionAssets(t, s, acct.ID, set.ID)
		diff(t, "order after "+tc.name, tc.want, order)
		if n != len(tc.want) || set.AssetsCount != len(tc.want) {
			t.Errorf("after %s: total %d, AssetsCount %d, want %d", tc.name, n, set.AssetsCount, len(tc.want))
		}
	}

	// An id not of the account's assets outside the trash changes nothing.
	_, hb := newAccount(t, s, "globex")
	theirs := newAsset(t, s, hb, assetSpec{title: "theirs"})
	trashed := newAsset(t, s, h, assetSpec{title: "trashed"})
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, trashed.ID, time.Now()))
	const far = 1 << 40
	for _, bad := range []struct {
		name string
		id   int64
	}{{"another account's asset", theirs.ID}, {"a missing asset", far}, {"an asset in the trash", trashed.ID}} {
		msg := fmt.Sprintf("Asset %d is not in this library", bad.id)
		s2 := *set
		s2.Title = "changed"
		wantCode(t, "UpdateCollection Add of "+bad.name,
			s.UpdateCollection(ctx, &s2, damask.CollectionChange{Add: []int64{d.ID, bad.id}}), damask.EINVALID, msg)
		wantCode(t, "UpdateCollection Set of "+bad.name,
			s.UpdateCollection(ctx, &s2, damask.CollectionChange{Set: []int64{bad.id}}), damask.EINVALID, msg)
		wantCode(t, "CreateCollection with "+bad.name,
			s.CreateCollection(ctx, &damask.Collection{AccountID: acct.ID, Title: "bad"}, []int64{a.ID, bad.id}), damask.EINVALID, msg)
	}
	got, err = s.Collection(ctx, acct.ID, set.ID)
	must(t, "Collection after refused changes", err)
	diff(t, "collection after refused changes", set, got)
	order, _ = collectionAssets(t, s, acct.ID, set.ID)
	diff(t, "order after refused changes", []int64{a.ID, b.ID, c.ID}, order)
	if _, total, _ := s.Collections(ctx, acct.ID, damask.Page{}); total != 3 {
		t.Errorf("a refused CreateCollection stored something: %d collections, want 3", total)
	}

	// A saved search turned into... its assets go; back to a set, it starts empty.
	set2 := &damask.Collection{AccountID: acct.ID, Title: "turning"}
	must(t, "CreateCollection", s.CreateCollection(ctx, set2, []int64{a.ID}))
	set2.Query = "title:a"
	must(t, "UpdateCollection to a saved search", s.UpdateCollection(ctx, set2, damask.CollectionChange{Add: []int64{b.ID}}))
	order, _ = collectionAssets(t, s, acct.ID, set2.ID)
	if set2.AssetsCount != 0 || len(order) != 0 {
		t.Errorf("a set turned saved search keeps assets %v (count %d)", order, set2.AssetsCount)
	}

	// Delete: gone for good, the assets stay, the id is never given again.
	must(t, "DeleteCollection", s.DeleteCollection(ctx, acct.ID, set2.ID))
	_, err = s.Collection(ctx, acct.ID, set2.ID)
	wantCode(t, "Collection after delete", err, damask.ENOTFOUND, "")
	wantCode(t, "DeleteCollection again", s.DeleteCollection(ctx, acct.ID, set2.ID), damask.ENOTFOUND, "")
	_, _, err = s.CollectionAssets(ctx, acct.ID, set2.ID, 0, 0)
	wantCode(t, "CollectionAssets after delete", err, damask.ENOTFOUND, "")
	if _, err := s.Asset(ctx, acct.ID, a.ID); err != nil {
		t.Errorf("asset of a deleted collection: %v", err)
	}
	next := &damask.Collection{AccountID: acct.ID, Title: "next"}
	must(t, "CreateCollection after a delete", s.CreateCollection(ctx, next, nil))
	if next.ID <= set2.ID {
		t.Errorf("new collection has id %d, not above the deleted %d: ids are never reused", next.ID, set2.ID)
	}

	// A deleted user leaves the collections made by them.
	u := newUser(t, s, acct.ID, "maker")
	byU := &damask.Collection{AccountID: acct.ID, Title: "by maker", UserID: u.ID}
	must(t, "CreateCollection", s.CreateCollection(ctx, byU, nil))
	must(t, "DeleteUser", s.DeleteUser(ctx, acct.ID, u.ID))
	got, err = s.Collection(ctx, acct.ID, byU.ID)
	must(t, "Collection of a deleted user", err)
	if got.UserID != 0 {
		t.Errorf("collection of a deleted user: UserID %d, want 0", got.UserID)
	}
}

// testCollectionTrash: an asset in the trash hides from its collections
// and comes back at its place when restored; purged, it leaves them.
func testCollectionTrash(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	b := newAsset(t, s, h, assetSpec{title: "b"})
	c := newAsset(t, s, h, assetSpec{title: "c"})
	col := &damask.Collection{AccountID: acct.ID, Title: "set"}
	must(t, "CreateCollection", s.CreateCollection(ctx, col, []int64{a.ID, b.ID, c.ID}))

	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, b.ID, time.Now()))
	order, n := collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets with b in the trash", []int64{a.ID, c.ID}, order)
	got, err := s.Collection(ctx, acct.ID, col.ID)
	must(t, "Collection", err)
	if n != 2 || got.AssetsCount != 2 {
		t.Errorf("with b in the trash: total %d, AssetsCount %d, want 2", n, got.AssetsCount)
	}
	// Adding it again is refused while it is in the trash.
	wantCode(t, "Add of an asset in the trash",
		s.UpdateCollection(ctx, got, damask.CollectionChange{Add: []int64{b.ID}}), damask.EINVALID, "")

	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, b.ID))
	order, _ = collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets after restore", []int64{a.ID, b.ID, c.ID}, order)

	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, b.ID, time.Now()))
	must(t, "PurgeAsset", s.PurgeAsset(ctx, acct.ID, b.ID))
	order, _ = collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets after purge", []int64{a.ID, c.ID}, order)
	// A new asset (SQLite may give a purged asset's id again) is not in it.
	x := newAsset(t, s, h, assetSpec{title: "x"})
	order, _ = collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets after a new asset", []int64{a.ID, c.ID}, order)
	// Added anew after a purge, the new one goes to the end.
	must(t, "UpdateCollection Add", s.UpdateCollection(ctx, got, damask.CollectionChange{Add: []int64{x.ID}}))
	order, _ = collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets after Add", []int64{a.ID, c.ID, x.ID}, order)

	// Set names every asset kept: a member in the trash is dropped by it.
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, c.ID, time.Now()))
	must(t, "UpdateCollection Set", s.UpdateCollection(ctx, got, damask.CollectionChange{Set: []int64{x.ID, a.ID}}))
	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, c.ID))
	order, _ = collectionAssets(t, s, acct.ID, col.ID)
	diff(t, "assets after Set and restore", []int64{x.ID, a.ID}, order)
}

func titles(cs []*damask.Collection) []string {
	out := make([]string, len(cs))
	for i, c := range cs {
		out[i] = c.Title
	}
	return out
}
