package postgres

import (
	"context"
	"testing"

	"damask"
	"damask/postgres/pgtest"
)

// TestThumbTokenBackfill: assets stored before migration 0007 have an
// empty thumb_token (the column's default); opening the database gives
// each its own secret.
func TestThumbTokenBackfill(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	a := &damask.Account{Name: "acme", Plan: "pro"}
	h := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, a, h); err != nil {
		t.Fatal(err)
	}
	var ids []int64
	for i := range 3 {
		asset := &damask.Asset{AccountID: a.ID, Title: "old", UserID: h.ID}
		v := &damask.Version{Filename: "old.jpg", Size: 3, Blob: damask.BlobRef{byte(i)}, UserID: h.ID}
		if err := db.CreateAsset(ctx, asset, v, nil, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, asset.ID)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE assets SET thumb_token = ''`); err != nil {
		t.Fatal(err)
	}
	url := pgtest.WithDatabase(t, db.pool.Config().ConnConfig.Database)
	db.Close()
	db, err := Open(context.Background(), url)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	seen := map[string]bool{}
	for _, id := range ids {
		got, err := db.Asset(ctx, a.ID, id)
		if err != nil {
			t.Fatal(err)
		}
		if len(got.ThumbToken) != 26 || seen[got.ThumbToken] {
			t.Errorf("asset %d: ThumbToken %q after opening, want a new one of 26 letters", id, got.ThumbToken)
		}
		seen[got.ThumbToken] = true
	}
}
