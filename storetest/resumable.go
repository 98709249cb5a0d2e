package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
)

// testResumableUploads: a resumable upload is found by its account and
// its user only, advances only from the offset it holds, records what it
// became (at its end, or at once when it is created finished), and is
// listed once expired.
func testResumableUploads(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other := newUser(t, s, acct.ID, "other")
	b, hb := newAccount(t, s, "globex")

	exp := time.Now().Add(damask.UploadLifetime).Truncate(time.Microsecond)
	u := &damask.ResumableUpload{
		ID: "0123456789abcdef0123456789abcdef", AccountID: acct.ID, UserID: h.ID,
		Length: 1000, HashState: []byte("state0"), ExpiresAt: exp,
		Meta: damask.ResumableMeta{Filename: "big.mov", Title: "Big", Tags: "a, b", AssetID: 7, Unpack: true, Path: "x/y", PathTags: true, Asset: true},
	}
	before := time.Now()
	must(t, "CreateResumableUpload", s.CreateResumableUpload(ctx, u))
	checkSet(t, "resumable CreatedAt", u.CreatedAt, before, time.Now())
	got, err := s.ResumableUpload(ctx, acct.ID, h.ID, u.ID)
	must(t, "ResumableUpload", err)
	want := *u
	want.ExpiresAt = exp.UTC()
	diff(t, "ResumableUpload", &want, got)

	for _, tt := range []struct {
		what            string
		account, userID int64
		id              string
	}{
		{"another user of the account", acct.ID, other.ID, u.ID},
		{"another account", b.ID, hb.ID, u.ID},
		{"another account with the owner's user id", b.ID, h.ID, u.ID},
		{"a missing id", acct.ID, h.ID, "ffffffffffffffffffffffffffffffff"},
	} {
		_, err := s.ResumableUpload(ctx, tt.account, tt.userID, tt.id)
		wantCode(t, "ResumableUpload of "+tt.what, err, damask.ENOTFOUND, "")
	}

	must(t, "AdvanceResumableUpload", s.AdvanceResumableUpload(ctx, u.ID, 0, 400, []byte("state400")))
	err = s.AdvanceResumableUpload(ctx, u.ID, 0, 500, []byte("stale"))
	wantCode(t, "AdvanceResumableUpload from a stale offset", err, damask.ECONFLICT, "")
	got, err = s.ResumableUpload(ctx, acct.ID, h.ID, u.ID)
	must(t, "ResumableUpload after advance", err)
	if got.Offset != 400 || string(got.HashState) != "state400" {
		t.Errorf("after advance: offset %d, state %q; want 400, state400", got.Offset, got.HashState)
	}
	must(t, "FinishResumableUpload", s.FinishResumableUpload(ctx, u.ID, 42, 43, []byte(`{"asset_ids":[43]}`)))
	got, err = s.ResumableUpload(ctx, acct.ID, h.ID, u.ID)
	must(t, "ResumableUpload after finish", err)
	if got.UploadID != 42 || got.AssetID != 43 || string(got.Report) != `{"asset_ids":[43]}` {
		t.Errorf("after finish: upload %d, asset %d, report %q; want 42, 43, the report", got.UploadID, got.AssetID, got.Report)
	}

	// One finished in its creation's request is stored so at once.
	done := &damask.ResumableUpload{ID: "00000000000000000000000000000002", AccountID: acct.ID, UserID: h.ID,
		Length: 100, Offset: 100, HashState: []byte("s"), ExpiresAt: exp, UploadID: 44, AssetID: 45,
		Report: []byte(`{"asset_ids":[45]}`), Meta: damask.ResumableMeta{Filename: "small.jpg", Asset: true}}
	must(t, "CreateResumableUpload finished", s.CreateResumableUpload(ctx, done))
	got, err = s.ResumableUpload(ctx, acct.ID, h.ID, done.ID)
	must(t, "ResumableUpload finished at creation", err)
	want = *done
	want.ExpiresAt = exp.UTC()
	diff(t, "ResumableUpload finished at creation", &want, got)

	// One finished in its creation's request that makes a new asset: the
	// Upload, the asset made of it (consuming it) and the record at once.
	blob := ref("pushed")
	whole := &damask.ResumableUpload{ID: "00000000000000000000000000000003", AccountID: acct.ID, UserID: h.ID,
		Length: 6, Offset: 6, HashState: []byte("s"), ExpiresAt: exp,
		Meta: damask.ResumableMeta{Filename: "pushed.jpg", Title: "Pushed", Tags: "sky", Path: "a/b", Asset: true}}
	up := &damask.Upload{AccountID: acct.ID, UserID: h.ID, Filename: "pushed.jpg", ContentType: "image/jpeg",
		Size: 6, Blob: blob, ExpiresAt: exp}
	a := &damask.Asset{AccountID: acct.ID, UserID: h.ID, Title: "Pushed", Path: "a/b"}
	v := &damask.Version{Filename: "pushed.jpg", ContentType: "image/jpeg", Size: 6, Blob: blob, UserID: h.ID}
	must(t, "CreateResumableAsset", s.CreateResumableAsset(ctx, whole, up, a, v, []string{"sky"}))
	if up.ID == 0 || a.ID == 0 || whole.UploadID != up.ID || whole.AssetID != a.ID {
		t.Errorf("CreateResumableAsset set upload %d, asset %d; record's %d, %d", up.ID, a.ID, whole.UploadID, whole.AssetID)
	}
	got, err = s.ResumableUpload(ctx, acct.ID, h.ID, whole.ID)
	must(t, "ResumableUpload of CreateResumableAsset", err)
	want = *whole
	want.ExpiresAt = exp.UTC()
	diff(t, "ResumableUpload of CreateResumableAsset", &want, got)
	_, err = s.Upload(ctx, acct.ID, up.ID)
	wantCode(t, "Upload after CreateResumableAsset made an asset of it", err, damask.ENOTFOUND, "")
	ga, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset of CreateResumableAsset", err)
	if ga.Title != "Pushed" || ga.Path != "a/b" || ga.Blob != blob || ga.Size != 6 || len(ga.Tags) != 1 || ga.Tags[0].Name != "sky" {
		t.Errorf("asset of CreateResumableAsset: %+v", ga)
	}
	// A record that cannot be stored (its id taken) stores nothing: no
	// upload, no asset.
	_, had, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 10}})
	must(t, "Assets", err)
	again := *whole
	up2 := &damask.Upload{AccountID: acct.ID, UserID: h.ID, Filename: "again.jpg", ContentType: "image/jpeg", Size: 6, Blob: blob, ExpiresAt: exp}
	a2 := &damask.Asset{AccountID: acct.ID, UserID: h.ID, Title: "Again"}
	v2 := &damask.Version{Filename: "again.jpg", ContentType: "image/jpeg", Size: 6, Blob: blob, UserID: h.ID}
	if err := s.CreateResumableAsset(ctx, &again, up2, a2, v2, nil); err == nil {
		t.Errorf("CreateResumableAsset with a taken id: no error")
	}
	_, after, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 10}})
	must(t, "Assets", err)
	if after != had {
		t.Errorf("a refused CreateResumableAsset left an asset: %d assets, %d before", after, had)
	}
	if up2.ID != 0 {
		if _, err := s.Upload(ctx, acct.ID, up2.ID); damask.ErrorCode(err) != damask.ENOTFOUND {
			t.Errorf("a refused CreateResumableAsset left upload %d: %v", up2.ID, err)
		}
	}

	// Several at once (push sends four; SQLite commits them in a group):
	// each is stored, with an asset and an upload of its own.
	const many = 6
	var wg sync.WaitGroup
	made := make([]*damask.ResumableUpload, many)
	errs := make([]error, many)
	for i := range many {
		wg.Go(func() {
			made[i] = &damask.ResumableUpload{ID: fmt.Sprintf("%032x", 100+i), AccountID: acct.ID, UserID: h.ID,
				Length: 6, Offset: 6, HashState: []byte("s"), ExpiresAt: exp, Meta: damask.ResumableMeta{Filename: "many.jpg", Asset: true}}
			up := &damask.Upload{AccountID: acct.ID, UserID: h.ID, Filename: "many.jpg", ContentType: "image/jpeg", Size: 6, Blob: blob, ExpiresAt: exp}
			a := &damask.Asset{AccountID: acct.ID, UserID: h.ID, Title: fmt.Sprint("Many ", i)}
			v := &damask.Version{Filename: "many.jpg", ContentType: "image/jpeg", Size: 6, Blob: blob, UserID: h.ID}
			errs[i] = s.CreateResumableAsset(ctx, made[i], up, a, v, []string{"many"})
		})
	}
	wg.Wait()
	seen := map[int64]bool{}
	for i, m := range made {
		must(t, "CreateResumableAsset at once", errs[i])
		got, err := s.ResumableUpload(ctx, acct.ID, h.ID, m.ID)
		must(t, "ResumableUpload made at once", err)
		if got.AssetID == 0 || seen[got.AssetID] {
			t.Errorf("creation %d at once: asset %d (seen: %v)", i, got.AssetID, seen[got.AssetID])
		}
		seen[got.AssetID] = true
		if ga, err := s.Asset(ctx, acct.ID, got.AssetID); err != nil || ga.Title != fmt.Sprint("Many ", i) {
			t.Errorf("asset of creation %d at once: %v, %v", i, ga, err)
		}
	}

	old := &damask.ResumableUpload{ID: "00000000000000000000000000000001", AccountID: b.ID, UserID: hb.ID,
		Length: 1, HashState: []byte("s"), ExpiresAt: time.Now().Add(-time.Hour)}
	must(t, "CreateResumableUpload expired", s.CreateResumableUpload(ctx, old))
	ids, err := s.ExpiredResumableUploads(ctx, time.Now(), 10)
	must(t, "ExpiredResumableUploads", err)
	diff(t, "ExpiredResumableUploads", []string{old.ID}, ids)

	must(t, "DeleteResumableUpload", s.DeleteResumableUpload(ctx, old.ID))
	must(t, "DeleteResumableUpload again", s.DeleteResumableUpload(ctx, old.ID))
	ids, err = s.ExpiredResumableUploads(ctx, time.Now(), 10)
	must(t, "ExpiredResumableUploads after delete", err)
	if len(ids) != 0 {
		t.Errorf("ExpiredResumableUploads after delete: %v", ids)
	}
	// A user's uploads go with the user.
	must(t, "DeleteUser", s.DeleteUser(ctx, acct.ID, other.ID))
}
