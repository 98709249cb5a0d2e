package sqlite

import (
	"path/filepath"
	"testing"

	"damask"
)

// TestThumbTokenBackfill: assets stored before migration 0014 have an
// empty thumb_token (the column's default); opening the file gives each
// its own secret.
func TestThumbTokenBackfill(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, h := openWithAccount(t, path)
	var ids []int64
	for i := range 3 {
		asset := &damask.Asset{AccountID: a.ID, Title: "old", UserID: h.ID}
		v := &damask.Version{Filename: "old.jpg", Size: 3, Blob: damask.BlobRef{byte(i)}, UserID: h.ID}
		if err := db.CreateAsset(ctx, asset, v, nil, 0); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, asset.ID)
	}
	if _, err := db.write.ExecContext(ctx, `UPDATE assets SET thumb_token = ''`); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}
	db, err := Open(ctx, path)
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
