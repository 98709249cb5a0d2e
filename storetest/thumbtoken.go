package storetest

import (
	"testing"
	"time"

	"damask"
)

// testThumbToken checks the secret of an asset's capability URLs and the
// account's switch of them: every asset stored has a secret of its own
// (given or made by the store), UpdateAsset writes it, a new version and
// the trash leave it alone (the library rotates it), and the bulk load
// gives one too.
func testThumbToken(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")

	// The account's switch, both ways.
	for _, on := range []bool{true, false, true} {
		up := *acct
		up.PublicThumbnails = on
		must(t, "UpdateAccount", s.UpdateAccount(ctx, &up))
		got, err := s.Account(ctx, acct.ID)
		must(t, "Account", err)
		if got.PublicThumbnails != on {
			t.Errorf("PublicThumbnails %v after writing %v", got.PublicThumbnails, on)
		}
	}
	b := &damask.Account{Name: "globex", Plan: "basic", PublicThumbnails: true}
	must(t, "CreateAccount", s.CreateAccount(ctx, b, &damask.User{Login: "g", Email: "g@globex.example", Role: damask.RoleHolder}))
	if got, err := s.Account(ctx, b.ID); err != nil || !got.PublicThumbnails {
		t.Errorf("account created with public thumbnails: %+v, %v", got, err)
	}

	// Made by the store when the asset comes without.
	a := newAsset(t, s, h, assetSpec{title: "one"})
	c := newAsset(t, s, h, assetSpec{title: "two"})
	if len(a.ThumbToken) < 26 || a.ThumbToken == c.ThumbToken {
		t.Fatalf("ThumbTokens %q and %q: want two of at least 26 letters, unlike", a.ThumbToken, c.ThumbToken)
	}
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	if got.ThumbToken != a.ThumbToken {
		t.Errorf("stored ThumbToken %q, answered %q", got.ThumbToken, a.ThumbToken)
	}
	// Kept when given.
	given := &damask.Asset{AccountID: acct.ID, Title: "given", Filename: "given.jpg", ContentType: "image/jpeg",
		Size: 1, Blob: ref("given"), UserID: h.ID, ThumbToken: "givengivengivengivengivenx", Processing: damask.ProcessingDone}
	must(t, "CreateAsset", s.CreateAsset(ctx, given, &damask.Version{Filename: "given.jpg", ContentType: "image/jpeg",
		Size: 1, Blob: given.Blob, UserID: h.ID}, nil, 0))
	if got, err := s.Asset(ctx, acct.ID, given.ID); err != nil || got.ThumbToken != "givengivengivengivengivenx" {
		t.Errorf("given ThumbToken: %+v, %v", got, err)
	}

	// Written by UpdateAsset.
	a.ThumbToken = "rotatedrotatedrotatedrotat"
	must(t, "UpdateAsset", s.UpdateAsset(ctx, a, nil))
	if got, err := s.Asset(ctx, acct.ID, a.ID); err != nil || got.ThumbToken != "rotatedrotatedrotatedrotat" {
		t.Errorf("ThumbToken after UpdateAsset: %+v, %v", got, err)
	}
	// Kept by a new version, by the trash and back.
	must(t, "AddVersion", s.AddVersion(ctx, a, newVersion(h, "one-2.png", 20), 0))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()))
	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, a.ID))
	if got, err := s.Asset(ctx, acct.ID, a.ID); err != nil || got.ThumbToken != "rotatedrotatedrotatedrotat" || got.Version != 2 {
		t.Errorf("ThumbToken after a version and the trash: %+v, %v", got, err)
	}

	bulk, ok := s.(damask.BulkCreator)
	if !ok {
		return
	}
	as := []*damask.Asset{
		{AccountID: acct.ID, Title: "b1", Filename: "b1.jpg", ContentType: "image/jpeg", Size: 1, Blob: ref("b1"), UserID: h.ID, Processing: damask.ProcessingDone},
		{AccountID: acct.ID, Title: "b2", Filename: "b2.jpg", ContentType: "image/jpeg", Size: 1, Blob: ref("b2"), UserID: h.ID, Processing: damask.ProcessingDone},
	}
	must(t, "CreateAssets", bulk.CreateAssets(ctx, as))
	for _, x := range as {
		got, err := s.Asset(ctx, acct.ID, x.ID)
		must(t, "Asset of a bulk load", err)
		if len(got.ThumbToken) < 26 || got.ThumbToken != x.ThumbToken {
			t.Errorf("bulk asset %s: stored ThumbToken %q, given %q", x.Title, got.ThumbToken, x.ThumbToken)
		}
	}
}
