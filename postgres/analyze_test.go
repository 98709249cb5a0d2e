package postgres

import (
	"fmt"
	"path/filepath"
	"testing"

	"damask"
	"damask/sqlite"
)

// TestBulkLoadsAnalyze checks that the statistics of the planner are made
// after each bulk load: a load by COPY leaves them as they were (none at
// first), and every search is then planned as on an empty table.
func TestBulkLoadsAnalyze(t *testing.T) {
	const n = 300
	for _, tc := range []struct {
		name string
		load func(t *testing.T, db *DB)
	}{
		{"CreateAssets into an empty table", func(t *testing.T, db *DB) {
			acct, holder := account(t, db)
			bulkAssets(t, db, acct, holder, 0, n)
		}},
		{"a small load, then Analyze", func(t *testing.T, db *DB) {
			acct, holder := account(t, db)
			bulkAssets(t, db, acct, holder, 0, n-10)
			// Ten more of nearly 300: not a tenth, so no ANALYZE of its
			// own; Analyze after it, as dev seed does after its batches.
			bulkAssets(t, db, acct, holder, n-10, 10)
			// (analyze_count counts ANALYZE commands, not autovacuum's.)
			var count int
			if err := db.pool.QueryRow(t.Context(), `SELECT analyze_count FROM pg_stat_user_tables
				WHERE relname = 'assets'`).Scan(&count); err != nil {
				t.Fatal(err)
			}
			if count != 1 {
				t.Fatalf("assets analyzed %d times by the two loads, want once (by the first)", count)
			}
			if err := db.Analyze(t.Context()); err != nil {
				t.Fatal(err)
			}
		}},
		{"Import", func(t *testing.T, db *DB) {
			ctx := t.Context()
			path := filepath.Join(t.TempDir(), "damask.db")
			src, err := sqlite.Open(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			acct, holder := account(t, src)
			bulkAssets(t, src, acct, holder, 0, n)
			if err := src.Close(); err != nil {
				t.Fatal(err)
			}
			snap, err := sqlite.OpenSnapshot(ctx, path)
			if err != nil {
				t.Fatal(err)
			}
			defer snap.Close()
			if _, err := db.Import(ctx, snap); err != nil {
				t.Fatalf("Import: %v", err)
			}
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			db := openTemp(t)
			tc.load(t, db)
			for _, table := range []string{"assets", "asset_tags", "versions", "tags"} {
				var analyzed bool
				if err := db.pool.QueryRow(t.Context(), `SELECT last_analyze IS NOT NULL FROM pg_stat_user_tables
					WHERE relname = $1`, table).Scan(&analyzed); err != nil {
					t.Fatal(err)
				}
				if !analyzed {
					t.Errorf("%s: no ANALYZE after the load", table)
				}
			}
			if known := reltuples(t, db); known != n {
				t.Errorf("the planner knows %v assets, want %d", known, n)
			}
			// How common the words are is what plans a search.
			var words int
			if err := db.pool.QueryRow(t.Context(), `SELECT coalesce(cardinality(most_common_elems), 0) FROM pg_stats
				WHERE tablename = 'assets' AND attname = 'tsv'`).Scan(&words); err != nil {
				t.Fatalf("no statistics of assets.tsv: %v", err)
			}
			if words == 0 {
				t.Error("no word frequencies of assets.tsv")
			}
		})
	}
}

// account makes an account and its holder in st.
func account(t *testing.T, st damask.Store) (*damask.Account, *damask.User) {
	t.Helper()
	acct := &damask.Account{Name: "acme", Plan: "pro"}
	holder := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := st.CreateAccount(t.Context(), acct, holder); err != nil {
		t.Fatal(err)
	}
	return acct, holder
}

// bulkAssets loads n assets numbered from first by CreateAssets.
func bulkAssets(t *testing.T, st damask.Store, acct *damask.Account, holder *damask.User, first, n int) {
	t.Helper()
	as := make([]*damask.Asset, n)
	for i := range as {
		k := first + i
		as[i] = &damask.Asset{AccountID: acct.ID, UserID: holder.ID, Title: fmt.Sprintf("Harbour at dusk %d", k),
			Filename: fmt.Sprintf("IMG_%04d.jpg", k), ContentType: "image/jpeg", Size: int64(k + 1),
			Blob: damask.BlobRef{byte(k), byte(k >> 8)}, Tags: []damask.Tag{{Name: "print"}, {Name: fmt.Sprintf("roll%d", k%7)}}}
	}
	if err := st.(damask.BulkCreator).CreateAssets(t.Context(), as); err != nil {
		t.Fatalf("CreateAssets: %v", err)
	}
}

// reltuples is how many assets the planner takes the table to hold.
func reltuples(t *testing.T, db *DB) float64 {
	t.Helper()
	var n float64
	if err := db.pool.QueryRow(t.Context(), `SELECT reltuples FROM pg_class WHERE oid = 'assets'::regclass`).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}
