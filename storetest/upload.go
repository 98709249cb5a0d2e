package storetest

import (
	"errors"
	"fmt"
	"testing"
	"time"

	"damask"
)

func testUploads(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	b, hb := newAccount(t, s, "globex")

	// ExpiresAt is the caller's, in any zone; it comes back in UTC.
	exp := time.Now().Add(damask.UploadLifetime).In(time.FixedZone("EST", -5*3600))
	before := time.Now()
	up := newUpload(t, s, h, "file.bin", 10, exp)
	after := time.Now()
	if up.ID == 0 {
		t.Fatal("CreateUpload set no id")
	}
	checkSet(t, "upload CreatedAt", up.CreatedAt, before, after)
	got, err := s.Upload(ctx, acct.ID, up.ID)
	must(t, "Upload", err)
	want := *up
	want.ExpiresAt = exp
	diff(t, "Upload", &want, got)
	checkUTC(t, "ExpiresAt", got.ExpiresAt)
	_, err = s.Upload(ctx, b.ID, up.ID)
	wantCode(t, "Upload of another account", err, damask.ENOTFOUND, "")
	_, err = s.Upload(ctx, acct.ID, up.ID+1000)
	wantCode(t, "Upload of a missing id", err, damask.ENOTFOUND, "")

	// DeleteExpiredUploads works across accounts and spares the rest.
	now := time.Now()
	expired := newUpload(t, s, h, "expired.bin", 1, now.Add(-time.Hour))
	theirs := newUpload(t, s, hb, "theirs.bin", 1, now.Add(-2*time.Hour))
	fresh := newUpload(t, s, h, "fresh.bin", 1, now.Add(time.Hour))
	n, err := s.DeleteExpiredUploads(ctx, now)
	must(t, "DeleteExpiredUploads", err)
	if n != 2 {
		t.Errorf("DeleteExpiredUploads removed %d uploads, want 2", n)
	}
	for _, tt := range []struct {
		up   *damask.Upload
		code string
	}{
		{expired, damask.ENOTFOUND},
		{theirs, damask.ENOTFOUND},
		{fresh, ""},
		{up, ""},
	} {
		_, err := s.Upload(ctx, tt.up.AccountID, tt.up.ID)
		wantCode(t, "Upload "+tt.up.Filename+" after DeleteExpiredUploads", err, tt.code, "")
	}
	n, err = s.DeleteExpiredUploads(ctx, now)
	must(t, "DeleteExpiredUploads again", err)
	if n != 0 {
		t.Errorf("DeleteExpiredUploads again removed %d uploads, want 0", n)
	}
}

func testBlobs(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")

	first := newAsset(t, s, h, assetSpec{title: "first", size: 10})
	v2 := newVersion(h, "first-2", 20)
	must(t, "AddVersion", s.AddVersion(ctx, first, v2, 0))
	trashed := newAsset(t, s, h, assetSpec{title: "trashed", size: 30})
	up := newUpload(t, s, h, "upload", 40, time.Now().Add(damask.UploadLifetime))
	theirs := newAsset(t, s, hb, assetSpec{title: "theirs", size: 50})
	// Two versions, of two accounts, with the same bytes: one ref.
	shared := newVersion(h, "shared", 60)
	must(t, "AddVersion", s.AddVersion(ctx, trashed, shared, 0))
	sharedToo := newVersion(hb, "shared", 60)
	must(t, "AddVersion", s.AddVersion(ctx, theirs, sharedToo, 0))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, trashed.ID, time.Now()))

	want := map[damask.BlobRef]int64{
		ref(fmt.Sprint(acct.ID, "first", "first.jpg")): 10,
		v2.Blob: 20,
		ref(fmt.Sprint(acct.ID, "trashed", "trashed.jpg")): 30,
		up.Blob: 40,
		ref(fmt.Sprint(hb.AccountID, "theirs", "theirs.jpg")): 50,
		shared.Blob: 60,
	}
	checkRefs := func(step string, want map[damask.BlobRef]int64) {
		t.Helper()
		got := map[damask.BlobRef]int64{}
		err := s.BlobRefs(ctx, func(ref damask.BlobRef, size int64) error {
			if _, dup := got[ref]; dup {
				t.Errorf("BlobRefs %s: %s twice", step, ref)
			}
			got[ref] = size
			return nil
		})
		must(t, "BlobRefs "+step, err)
		diff(t, "BlobRefs "+step, want, got)
		for r := range want {
			ok, err := s.BlobReferenced(ctx, r)
			if err != nil || !ok {
				t.Errorf("BlobReferenced(%s) %s = %v, %v; want true", r, step, ok, err)
			}
		}
	}
	checkRefs("with versions, trash and uploads", want)
	if ok, err := s.BlobReferenced(ctx, ref("nothing")); err != nil || ok {
		t.Errorf("BlobReferenced of an unknown ref = %v, %v; want false", ok, err)
	}

	// fn's error stops the walk and comes back.
	stop := errors.New("stop")
	calls := 0
	err := s.BlobRefs(ctx, func(damask.BlobRef, int64) error {
		calls++
		return stop
	})
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("BlobRefs with a failing fn: %v after %d calls, want %v after 1", err, calls, stop)
	}

	// Purging drops the refs that only the purged asset had; the shared
	// one stays.
	must(t, "PurgeAsset", s.PurgeAsset(ctx, acct.ID, trashed.ID))
	delete(want, ref(fmt.Sprint(acct.ID, "trashed", "trashed.jpg")))
	checkRefs("after PurgeAsset", want)
	if ok, err := s.BlobReferenced(ctx, ref(fmt.Sprint(acct.ID, "trashed", "trashed.jpg"))); err != nil || ok {
		t.Errorf("BlobReferenced of a purged asset's file = %v, %v; want false", ok, err)
	}

	// An upload used by an asset stays referenced, by the version.
	a := &damask.Asset{AccountID: acct.ID, Title: "from upload", Filename: up.Filename, Size: up.Size, Blob: up.Blob, UserID: h.ID}
	v := &damask.Version{Filename: up.Filename, Size: up.Size, Blob: up.Blob, UserID: h.ID}
	must(t, "CreateAsset from an upload", s.CreateAsset(ctx, a, v, nil, up.ID))
	checkRefs("after using the upload", want)

	// An expired upload no longer references its file.
	gone := newUpload(t, s, h, "gone", 70, time.Now().Add(-time.Minute))
	want[gone.Blob] = 70
	checkRefs("with an expired upload", want)
	_, err = s.DeleteExpiredUploads(ctx, time.Now())
	must(t, "DeleteExpiredUploads", err)
	delete(want, gone.Blob)
	checkRefs("after DeleteExpiredUploads", want)

	// An account's logo is referenced by the account (as hex), so that
	// no collection takes it while the pages show it; once replaced, it
	// is not. Text that is not a ref (an import's URL) is no ref.
	logo := ref("logo")
	acct.Branding.Logo = logo.String()
	must(t, "UpdateAccount with a logo", s.UpdateAccount(ctx, acct))
	want[logo] = -1
	checkRefs("with a logo", want)
	acct.Branding.Logo = "https://example.com/logo.png"
	must(t, "UpdateAccount without a logo", s.UpdateAccount(ctx, acct))
	delete(want, logo)
	checkRefs("after the logo is replaced", want)
	if ok, err := s.BlobReferenced(ctx, logo); err != nil || ok {
		t.Errorf("BlobReferenced of a replaced logo = %v, %v; want false", ok, err)
	}
}
