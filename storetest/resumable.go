package storetest

import (
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
