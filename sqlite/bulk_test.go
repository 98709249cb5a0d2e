package sqlite

import (
	"context"
	"errors"
	"slices"
	"testing"
	"time"

	"damask"
	"damask/synth"
)

// TestBulkLoad checks that a bulk load runs with the large page cache on
// the writer, that its assets are searchable as CreateAssets promises, and
// that the writer's own cache is back after it, whether the load
// succeeded, failed, or was cancelled.
func TestBulkLoad(t *testing.T) {
	failed := errors.New("load failed")
	for _, tc := range []struct {
		name   string
		cancel bool  // cancel the load's context before CreateAssets
		want   error // what BulkLoad answers
		assets int   // how many assets are stored after it
	}{
		{"loaded", false, nil, 50},
		{"load fails", false, failed, 50},
		{"cancelled", true, context.Canceled, 0},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			db := openTemp(t)
			a := &damask.Account{Name: "bulk", Plan: "deluxe"}
			if err := db.CreateAccount(ctx, a, &damask.User{Login: "holder", Email: "h@example.com", Role: damask.RoleHolder}); err != nil {
				t.Fatal(err)
			}
			before := cacheSize(t, db)
			var first *damask.Asset
			cat := synth.New(1, []int64{0}, 50, time.Now())
			err := db.BulkLoad(ctx, func(ctx context.Context) error {
				if got := cacheSize(t, db); got != -bulkCacheKiB {
					t.Errorf("cache_size during the load %d, want %d", got, -bulkCacheKiB)
				}
				if tc.cancel {
					var cancel context.CancelFunc
					ctx, cancel = context.WithCancel(ctx)
					cancel()
				}
				as := make([]*damask.Asset, 50)
				for i := range as {
					as[i] = cat.Asset(i, a.ID)
				}
				first = as[0]
				if err := db.CreateAssets(ctx, as); err != nil {
					return err
				}
				if errors.Is(tc.want, failed) {
					return failed
				}
				return nil
			})
			if !errors.Is(err, tc.want) {
				t.Errorf("BulkLoad: %v, want %v", err, tc.want)
			}
			if got := cacheSize(t, db); got != before {
				t.Errorf("cache_size after the load %d, want %d as before", got, before)
			}
			_, total, err := db.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Page: damask.Page{Number: 1, Size: 100}})
			if err != nil {
				t.Fatal(err)
			}
			if total != tc.assets {
				t.Errorf("%d assets after the load, want %d", total, tc.assets)
			}
			if tc.assets == 0 {
				return
			}
			// Found through the index, by its tag's filter token.
			tag := first.Tags[0].ID
			found, _, err := db.Assets(ctx, damask.AssetFilter{AccountID: a.ID, TagIDs: []int64{tag}, Page: damask.Page{Number: 1, Size: 100}})
			if err != nil {
				t.Fatal(err)
			}
			if !slices.ContainsFunc(found, func(x *damask.Asset) bool { return x.ID == first.ID }) {
				t.Errorf("asset %d not found by its tag %d", first.ID, tag)
			}
		})
	}
}

func cacheSize(t *testing.T, db *DB) int64 {
	t.Helper()
	var n int64
	if err := db.write.QueryRowContext(t.Context(), `PRAGMA cache_size`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
