package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"damask"
)

// testNotFound asks every method that may find nothing for something
// missing. The contract promises the code alone: a store may answer an
// *Error of its own, and damask.ErrorCode must say ENOTFOUND, which is
// how every caller (the job pool, the service, the HTTP layers) tells
// not-found from a failure.
func testNotFound(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	own := newAsset(t, s, h, assetSpec{title: "mine"}) // so that a missing version is of a real asset
	const far = 1 << 40
	var hash [sha256.Size]byte
	copy(hash[:], "no such secret")
	now := time.Now()

	calls := []struct {
		name string
		call func() error
	}{
		{"Account", func() error { _, err := s.Account(ctx, far); return err }},
		{"AccountByName", func() error { _, err := s.AccountByName(ctx, "nobody"); return err }},
		{"UpdateAccount", func() error { return s.UpdateAccount(ctx, &damask.Account{ID: far, Plan: "pro"}) }},

		{"CreateUser in a missing account", func() error {
			return s.CreateUser(ctx, &damask.User{AccountID: far, Login: "ghost", Email: "ghost@example.com", Role: damask.RoleMember})
		}},
		{"User", func() error { _, err := s.User(ctx, a.ID, far); return err }},
		{"UserByLogin", func() error { _, err := s.UserByLogin(ctx, a.ID, "nobody"); return err }},
		{"UpdateUser", func() error {
			return s.UpdateUser(ctx, &damask.User{ID: far, AccountID: a.ID, Login: "ghost", Email: "ghost@example.com", Role: damask.RoleMember})
		}},
		{"DeleteUser", func() error { return s.DeleteUser(ctx, a.ID, far) }},

		{"Tag", func() error { _, err := s.Tag(ctx, a.ID, far); return err }},
		{"TagByName", func() error { _, err := s.TagByName(ctx, a.ID, "nothing"); return err }},
		{"UpdateTag", func() error { return s.UpdateTag(ctx, &damask.Tag{ID: far, AccountID: a.ID, Name: "nothing"}) }},
		{"DeleteTag", func() error { return s.DeleteTag(ctx, a.ID, far) }},

		{"CreateCollection in a missing account", func() error {
			return s.CreateCollection(ctx, &damask.Collection{AccountID: far, Title: "ghost"}, nil)
		}},
		{"Collection", func() error { _, err := s.Collection(ctx, a.ID, far); return err }},
		{"UpdateCollection", func() error {
			return s.UpdateCollection(ctx, &damask.Collection{ID: far, AccountID: a.ID, Title: "ghost"}, damask.CollectionChange{})
		}},
		{"DeleteCollection", func() error { return s.DeleteCollection(ctx, a.ID, far) }},
		{"CollectionAssets", func() error { _, _, err := s.CollectionAssets(ctx, a.ID, far, 0, 10); return err }},

		{"Asset", func() error { _, err := s.Asset(ctx, a.ID, far); return err }},
		{"TrashedAsset", func() error { _, err := s.TrashedAsset(ctx, a.ID, far); return err }},
		{"TrashedAsset of an asset outside the trash", func() error { _, err := s.TrashedAsset(ctx, a.ID, own.ID); return err }},
		{"UpdateAsset", func() error { return s.UpdateAsset(ctx, &damask.Asset{ID: far, AccountID: a.ID, Title: "x"}, nil) }},
		{"AddVersion", func() error {
			return s.AddVersion(ctx, &damask.Asset{ID: far, AccountID: a.ID}, newVersion(h, "x", 1), 0)
		}},
		{"Versions", func() error { _, err := s.Versions(ctx, a.ID, far); return err }},
		{"Version of a missing asset", func() error { _, err := s.Version(ctx, a.ID, far, 1); return err }},
		{"Version of a missing number", func() error { _, err := s.Version(ctx, a.ID, own.ID, 99); return err }},
		{"TrashAsset", func() error { return s.TrashAsset(ctx, a.ID, far, now) }},
		{"RestoreAsset", func() error { return s.RestoreAsset(ctx, a.ID, far) }},
		{"PurgeAsset", func() error { return s.PurgeAsset(ctx, a.ID, far) }},
		{"CreateAsset from a missing upload", func() error {
			return s.CreateAsset(ctx, &damask.Asset{AccountID: a.ID, Title: "x", UserID: h.ID}, newVersion(h, "x", 5), nil, far)
		}},
		{"Upload", func() error { _, err := s.Upload(ctx, a.ID, far); return err }},

		{"CreateToken for a missing user", func() error {
			return s.CreateToken(ctx, &damask.Token{AccountID: a.ID, UserID: far, Hash: hash, Name: "x"})
		}},
		{"TokenByHash", func() error { _, err := s.TokenByHash(ctx, a.ID, hash); return err }},
		{"RevokeToken", func() error { _, err := s.RevokeToken(ctx, a.ID, h.ID, far, now); return err }},
		{"TouchToken", func() error { return s.TouchToken(ctx, a.ID, far, now) }},

		{"SessionByHash", func() error { _, err := s.SessionByHash(ctx, a.ID, hash); return err }},
		{"DeleteSession", func() error { return s.DeleteSession(ctx, a.ID, far) }},
		{"OIDCConfig", func() error { _, err := s.OIDCConfig(ctx, a.ID); return err }},

		{"Job", func() error { _, err := s.Job(ctx, far); return err }},
		{"RenewJob", func() error { return s.RenewJob(ctx, far, "w", time.Minute) }},
		{"FinishJob", func() error { return s.FinishJob(ctx, far, "w") }},
		{"NextStage", func() error { return s.NextStage(ctx, far, "w", nil) }},
		{"FailJob", func() error { return s.FailJob(ctx, far, "w", now, "x") }},
		{"SetExtracted", func() error {
			return s.SetExtracted(ctx, a.ID, far, 1, damask.Extracted{Processing: damask.ProcessingDone})
		}},
		{"Rendition", func() error { _, err := s.Rendition(ctx, ref("nothing"), "thumb"); return err }},

		{"IdempotencyRecord", func() error { _, err := s.IdempotencyRecord(ctx, a.ID, h.ID, "no such key"); return err }},
		{"RenewUploadLease", func() error { return s.RenewUploadLease(ctx, far, now.Add(time.Hour)) }},
	}
	for _, c := range calls {
		wantCode(t, c.name, c.call(), damask.ENOTFOUND, "")
	}
	// Last, as it takes the job of the asset made above, if it was queued.
	for range 2 {
		if _, err := s.ClaimJob(ctx, "w", time.Minute); err != nil {
			wantCode(t, "ClaimJob on an empty queue", err, damask.ENOTFOUND, "")
			return
		}
	}
	t.Error("ClaimJob found a second job where one at most was queued")
}
