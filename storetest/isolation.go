package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/search"
)

func testTenantIsolation(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, ha := newAccount(t, s, "acme")
	b, hb := newAccount(t, s, "globex")

	// Account a has rows of each kind too, so that ids are not trivially
	// missing.
	ownTag := &damask.Tag{AccountID: a.ID, Name: "mine"}
	must(t, "CreateTag", s.CreateTag(ctx, ownTag))
	own := newAsset(t, s, ha, assetSpec{title: "mine"})

	// What account b has, which account a must not reach.
	ub := newUser(t, s, b.ID, "bob")
	tb := &damask.Tag{AccountID: b.ID, Name: "theirs"}
	must(t, "CreateTag", s.CreateTag(ctx, tb))
	xb := newAsset(t, s, hb, assetSpec{title: "theirs", tags: []string{"theirs"}})
	trb := newAsset(t, s, hb, assetSpec{title: "their trash"})
	must(t, "TrashAsset", s.TrashAsset(ctx, b.ID, trb.ID, time.Now()))
	upb := newUpload(t, s, hb, "their upload", 5, time.Now().Add(damask.UploadLifetime))
	cb := &damask.Collection{AccountID: b.ID, Title: "theirs", UserID: hb.ID}
	must(t, "CreateCollection", s.CreateCollection(ctx, cb, []int64{xb.ID}))
	ownCol := &damask.Collection{AccountID: a.ID, Title: "mine"}
	must(t, "CreateCollection", s.CreateCollection(ctx, ownCol, []int64{own.ID}))

	type targets struct{ user, tag, asset, trashed, upload, collection int64 }
	const far = 1 << 40
	for _, set := range []struct {
		name string
		ids  targets
	}{
		{"another account's ids", targets{ub.ID, tb.ID, xb.ID, trb.ID, upb.ID, cb.ID}},
		{"missing ids", targets{far, far + 1, far + 2, far + 3, far + 4, far + 5}},
	} {
		id := set.ids
		calls := []struct {
			name string
			call func() error
		}{
			{"User", func() error { _, err := s.User(ctx, a.ID, id.user); return err }},
			{"UpdateUser", func() error {
				return s.UpdateUser(ctx, &damask.User{ID: id.user, AccountID: a.ID, Login: "hijack", Email: "hijack@example.com", Role: damask.RoleHolder})
			}},
			{"DeleteUser", func() error { return s.DeleteUser(ctx, a.ID, id.user) }},
			{"Tag", func() error { _, err := s.Tag(ctx, a.ID, id.tag); return err }},
			{"UpdateTag", func() error { return s.UpdateTag(ctx, &damask.Tag{ID: id.tag, AccountID: a.ID, Name: "hijacked"}) }},
			{"DeleteTag", func() error { return s.DeleteTag(ctx, a.ID, id.tag) }},
			{"Asset", func() error { _, err := s.Asset(ctx, a.ID, id.asset); return err }},
			{"UpdateAsset", func() error {
				return s.UpdateAsset(ctx, &damask.Asset{ID: id.asset, AccountID: a.ID, Title: "hijacked"}, nil)
			}},
			{"UpdateAsset with tags", func() error {
				return s.UpdateAsset(ctx, &damask.Asset{ID: id.asset, AccountID: a.ID, Title: "hijacked"}, []string{"mine"})
			}},
			{"AddVersion", func() error {
				return s.AddVersion(ctx, &damask.Asset{ID: id.asset, AccountID: a.ID}, newVersion(ha, "hijack", 1), 0)
			}},
			{"Versions", func() error { _, err := s.Versions(ctx, a.ID, id.asset); return err }},
			{"Version", func() error { _, err := s.Version(ctx, a.ID, id.asset, 1); return err }},
			{"TrashAsset", func() error { return s.TrashAsset(ctx, a.ID, id.asset, time.Now()) }},
			{"RestoreAsset", func() error { return s.RestoreAsset(ctx, a.ID, id.trashed) }},
			{"PurgeAsset", func() error { return s.PurgeAsset(ctx, a.ID, id.trashed) }},
			{"Upload", func() error { _, err := s.Upload(ctx, a.ID, id.upload); return err }},
			{"Collection", func() error { _, err := s.Collection(ctx, a.ID, id.collection); return err }},
			{"UpdateCollection", func() error {
				return s.UpdateCollection(ctx, &damask.Collection{ID: id.collection, AccountID: a.ID, Title: "hijacked"},
					damask.CollectionChange{Set: []int64{own.ID}})
			}},
			{"DeleteCollection", func() error { return s.DeleteCollection(ctx, a.ID, id.collection) }},
			{"CollectionAssets", func() error { _, _, err := s.CollectionAssets(ctx, a.ID, id.collection, 0, 0); return err }},
			{"CreateAsset from the upload", func() error {
				asset := &damask.Asset{AccountID: a.ID, Title: "stolen", UserID: ha.ID}
				return s.CreateAsset(ctx, asset, newVersion(ha, "stolen", 5), nil, id.upload)
			}},
			{"AddVersion from the upload", func() error {
				mine := *own
				return s.AddVersion(ctx, &mine, newVersion(ha, "stolen", 5), id.upload)
			}},
		}
		for _, c := range calls {
			wantCode(t, set.name+": "+c.name, c.call(), damask.ENOTFOUND, "")
		}
	}

	// Lookups by name and lists see only the account's own rows.
	_, err := s.UserByLogin(ctx, a.ID, "bob")
	wantCode(t, "UserByLogin of another account's login", err, damask.ENOTFOUND, "")
	_, err = s.UserByLogin(ctx, a.ID, ub.Email)
	wantCode(t, "UserByLogin of another account's e-mail", err, damask.ENOTFOUND, "")
	_, err = s.TagByName(ctx, a.ID, "theirs")
	wantCode(t, "TagByName of another account's tag", err, damask.ENOTFOUND, "")
	page := damask.Page{Number: 1, Size: 10}
	users, _, err := s.Users(ctx, a.ID, page)
	must(t, "Users", err)
	diff(t, "Users", []*damask.User{ha}, users)
	tags, _, err := s.Tags(ctx, a.ID, page)
	must(t, "Tags", err)
	if len(tags) != 1 || tags[0].ID != ownTag.ID {
		t.Errorf("Tags of account a: %+v, want only its own", tags)
	}
	cols, _, err := s.Collections(ctx, a.ID, page)
	must(t, "Collections", err)
	if len(cols) != 1 || cols[0].ID != ownCol.ID {
		t.Errorf("Collections of account a: %v, want only its own", titles(cols))
	}
	// An asset of account b is not one account a may put in its collections.
	wantCode(t, "UpdateCollection adding another account's asset",
		s.UpdateCollection(ctx, ownCol, damask.CollectionChange{Add: []int64{xb.ID}}), damask.EINVALID, "")
	for _, trash := range []bool{false, true} {
		list, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Trash: trash, Page: page})
		must(t, "Assets", err)
		for _, x := range list {
			if x.AccountID != a.ID {
				t.Errorf("Assets (trash %v) of account a lists asset %d of account %d", trash, x.ID, x.AccountID)
			}
		}
	}

	// Nothing of account b changed.
	gotU, err := s.User(ctx, b.ID, ub.ID)
	must(t, "User of account b", err)
	diff(t, "user of account b", ub, gotU)
	gotT, err := s.Tag(ctx, b.ID, tb.ID)
	must(t, "Tag of account b", err)
	diff(t, "tag of account b", &damask.Tag{ID: tb.ID, AccountID: b.ID, Name: "theirs", AssetsCount: 1, CreatedAt: tb.CreatedAt}, gotT)
	gotA, err := s.Asset(ctx, b.ID, xb.ID)
	must(t, "Asset of account b", err)
	diff(t, "asset of account b", xb, gotA)
	vs, err := s.Versions(ctx, b.ID, xb.ID)
	must(t, "Versions of account b", err)
	if len(vs) != 1 {
		t.Errorf("asset of account b has %d versions, want 1", len(vs))
	}
	trash, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: b.ID, Trash: true, Page: page})
	must(t, "Assets in the trash of account b", err)
	diff(t, "trash of account b", []int64{trb.ID}, ids(trash))
	gotUp, err := s.Upload(ctx, b.ID, upb.ID)
	must(t, "Upload of account b", err)
	diff(t, "upload of account b", upb, gotUp)
	gotC, err := s.Collection(ctx, b.ID, cb.ID)
	must(t, "Collection of account b", err)
	diff(t, "collection of account b", cb, gotC)
	inB, _, err := s.CollectionAssets(ctx, b.ID, cb.ID, 0, 0)
	must(t, "CollectionAssets of account b", err)
	diff(t, "assets of account b's collection", []int64{xb.ID}, ids(inB))
	gotOwn, err := s.Asset(ctx, a.ID, own.ID)
	must(t, "Asset of account a", err)
	diff(t, "asset of account a after refused AddVersion", own, gotOwn)
}

func testConcurrentWriters(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	const n = 50

	// Writers that share a new tag, and readers beside them: no writer may
	// fail for want of a lock.
	var wg sync.WaitGroup
	errs := make(chan error, 3*n)
	for i := range n {
		wg.Go(func() {
			name := fmt.Sprintf("asset %d", i)
			a := &damask.Asset{AccountID: acct.ID, Title: name, Filename: name, Size: int64(i + 1), Blob: ref(name), UserID: h.ID}
			v := &damask.Version{Filename: name, Size: int64(i + 1), Blob: ref(name), UserID: h.ID}
			if err := s.CreateAsset(ctx, a, v, []string{"common", fmt.Sprintf("own %d", i)}, 0); err != nil {
				errs <- fmt.Errorf("CreateAsset %d: %w", i, err)
			}
		})
		wg.Go(func() {
			if _, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: search.Word{Value: "asset"}, Page: damask.Page{Number: 1, Size: 10}}); err != nil {
				errs <- fmt.Errorf("list assets: %w", err)
			}
			if _, err := s.AccountStats(ctx, acct.ID); err != nil {
				errs <- fmt.Errorf("AccountStats: %w", err)
			}
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		t.Error(err)
	}

	list, total, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 2 * n}})
	must(t, "Assets", err)
	if total != n || len(list) != n {
		t.Errorf("after %d concurrent CreateAsset: %d assets (total %d)", n, len(list), total)
	}
	seen := map[int64]bool{}
	for _, a := range list {
		if seen[a.ID] {
			t.Errorf("asset id %d twice", a.ID)
		}
		seen[a.ID] = true
	}
	common, err := s.TagByName(ctx, acct.ID, "common")
	must(t, "TagByName", err)
	if common.AssetsCount != n {
		t.Errorf("shared tag has %d assets, want %d", common.AssetsCount, n)
	}
	_, tags, err := s.Tags(ctx, acct.ID, damask.Page{Number: 1, Size: 1})
	must(t, "Tags", err)
	if tags != n+1 {
		t.Errorf("%d tags, want %d", tags, n+1)
	}

	// Versions added to one asset at once get distinct numbers.
	a := list[0]
	const m = 20
	numbers := make(chan int, m)
	for i := range m {
		wg.Go(func() {
			v := newVersion(h, fmt.Sprintf("version %d", i), 1)
			mine := *a
			if err := s.AddVersion(ctx, &mine, v, 0); err != nil {
				t.Errorf("AddVersion %d: %v", i, err)
				return
			}
			numbers <- v.Number
		})
	}
	wg.Wait()
	close(numbers)
	got := map[int]bool{}
	for num := range numbers {
		if got[num] || num < 2 || num > m+1 {
			t.Errorf("concurrent AddVersion numbered a version %d", num)
		}
		got[num] = true
	}
	vs, err := s.Versions(ctx, acct.ID, a.ID)
	must(t, "Versions", err)
	if len(vs) != m+1 {
		t.Errorf("after %d concurrent AddVersion, %d versions, want %d", m, len(vs), m+1)
	}
	fresh, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	if fresh.Version != m+1 {
		t.Errorf("after %d concurrent AddVersion, asset is at version %d, want %d", m, fresh.Version, m+1)
	}
}
