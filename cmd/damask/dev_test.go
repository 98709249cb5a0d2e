package main

import (
	"context"
	"database/sql"
	"fmt"
	"path/filepath"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
	"github.com/jackc/pgx/v5"

	"damask/postgres/pgtest"
)

// TestDevSeedAnalyzes checks that dev seed leaves the PostgreSQL
// planner's statistics current: a search straight after a seed is
// planned on them, not as on empty tables.
func TestDevSeedAnalyzes(t *testing.T) {
	db := pgtest.Database(t, "")
	c := newCLI(t)
	c.must("", "dev", "seed", "--assets", "300", "--db", db)
	// Twenty more: too few for CreateAssets to analyze on its own (a
	// tenth of the table), so the statistics are those of the seed's end.
	c.must("", "dev", "seed", "--assets", "20", "--seed", "2", "--db", db)

	ctx := context.Background()
	conn, err := pgx.Connect(ctx, db)
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	for _, table := range []string{"assets", "asset_tags", "versions", "tags"} {
		var vacuumed, analyzed bool
		var count int
		if err := conn.QueryRow(ctx, `SELECT last_vacuum IS NOT NULL, last_analyze IS NOT NULL, analyze_count
			FROM pg_stat_user_tables WHERE relname = $1`, table).Scan(&vacuumed, &analyzed, &count); err != nil {
			t.Fatal(err)
		}
		if !vacuumed || !analyzed {
			t.Errorf("%s: vacuumed %v, analyzed %v after the seeds", table, vacuumed, analyzed)
		}
		// The first seed's load (300 rows into an empty table) and end,
		// the second seed's end.
		if count != 3 {
			t.Errorf("%s: analyzed %d times, want 3", table, count)
		}
	}
	var known float64
	if err := conn.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'assets'::regclass`).Scan(&known); err != nil {
		t.Fatal(err)
	}
	if known != 320 {
		t.Errorf("the planner knows %v assets, want 320", known)
	}
}

// TestDevBenchSearchSmall checks that bench-search runs on a catalogue
// too small to hold the rarest words of its classes: every class that
// falls back finds assets with some of its words.
func TestDevBenchSearchSmall(t *testing.T) {
	c := newCLI(t)
	c.must("", "dev", "seed", "--assets", "500")
	out := c.must("", "dev", "bench-search", "--runs", "1")
	fallbacks := 0
	for _, line := range strings.Split(out, "\n") {
		f := strings.Split(line, "|")
		if len(f) < 4 || !strings.HasPrefix(strings.TrimSpace(f[1]), "fallback") {
			continue
		}
		fallbacks++
		if m := strings.TrimSpace(f[2]); m == "0" {
			t.Errorf("%s: %s matches", strings.TrimSpace(f[1]), m)
		}
	}
	if fallbacks != 3 {
		t.Errorf("%d fallback classes, want 3:\n%s", fallbacks, out)
	}
}

func TestSummarizePlan(t *testing.T) {
	plan := strings.Split(`Limit  (cost=0.72..4588.10 rows=1001 width=8) (actual time=0.071..62.311 rows=1001 loops=1)
  Buffers: shared hit=13822
  ->  Nested Loop  (cost=0.72..10696.97 rows=2334 width=8) (actual time=0.070..62.208 rows=1001 loops=1)
        Buffers: shared hit=13822
        ->  Index Only Scan Backward using asset_tags_tag on asset_tags x  (cost=0.42..216.77 rows=9534 width=8) (actual time=0.024..1.020 rows=4127 loops=1)
              Index Cond: (tag_id = 24)
        ->  Memoize  (cost=0.30..1.13 rows=1 width=8) (actual time=0.015..0.015 rows=0 loops=4127)
              ->  Index Scan using assets_pkey on assets a  (cost=0.29..1.12 rows=1 width=8) (actual time=0.010..0.010 rows=0 loops=4127)
                    Filter: ((deleted_at IS NULL) AND (tsv @@ '''for'''::tsquery) AND (account_id = 1))
                    Rows Removed by Filter: 1
        ->  Bitmap Heap Scan on assets a  (cost=1042.22..11413.74 rows=373 width=8) (actual time=13.401..187.758 rows=7483 loops=1)
              Rows Removed by Index Recheck: 20
Planning:
  Buffers: shared hit=20
Planning Time: 0.541 ms
Execution Time: 62.755 ms`, "\n")
	want := "Limit > Nested Loop > Index Only Scan Backward using asset_tags_tag on asset_tags x > Memoize > " +
		"Index Scan using assets_pkey on assets a > Bitmap Heap Scan on assets a | 21 | shared hit=13822 | 62.755 ms |"
	if got := summarize(plan); got != want {
		t.Errorf("summarize:\n got %s\nwant %s", got, want)
	}
}

// TestDevSeedRaw checks that the raw engine's load, the import's
// reference in the bench, writes the rows the store writes: the same
// assets, versions, tags and links, and the same full-text index, term by
// term (fts5vocab) and as every kind of match the language compiles to
// reads it.
func TestDevSeedRaw(t *testing.T) {
	store, raw := newCLI(t), newCLI(t)
	store.must("", "dev", "seed", "--assets", "300")
	raw.must("", "dev", "seed", "--raw", "--assets", "300")
	open := func(c *cli) *sql.DB {
		db, err := sql.Open("sqlite3", "file:"+filepath.Join(c.data, "damask.db")+"?mode=ro")
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		// The vocabulary of the account's index (the seed's is account 1).
		if _, err := db.Exec(`CREATE VIRTUAL TABLE temp.vocab USING fts5vocab(main, fts_1, 'instance')`); err != nil {
			t.Fatal(err)
		}
		return db
	}
	sdb, rdb := open(store), open(raw)
	for _, q := range []struct{ name, query string }{
		// Times and thumbnail secrets are the moment's and chance's, and
		// so are the names of screenshots, which carry their time.
		{"assets", `SELECT id, account_id, title, description, content_type, size, blob, version, user_id,
			processing, width, height, camera, latitude, longitude, text, kind, ext, path, deleted_at FROM assets ORDER BY id`},
		{"versions", `SELECT asset_id, number, content_type, size, blob, user_id FROM versions ORDER BY asset_id, number`},
		{"tags", `SELECT id, account_id, name, assets_count FROM tags ORDER BY id`},
		{"links", `SELECT asset_id, tag_id FROM asset_tags ORDER BY asset_id, tag_id`},
		{"index terms", `SELECT term, doc, col, offset FROM vocab WHERE col <> 'filename' ORDER BY term, doc, col, offset`},
		{"index word", `SELECT rowid FROM fts_1 WHERE fts_1 MATCH (SELECT term FROM vocab WHERE col = 'title' ORDER BY doc LIMIT 1) ORDER BY rowid`},
		{"index prefix", `SELECT rowid FROM fts_1 WHERE fts_1 MATCH (SELECT substr(term, 1, 3) || '*' FROM vocab WHERE col = 'description' AND length(term) > 3 ORDER BY doc LIMIT 1) ORDER BY rowid`},
		{"index column", `SELECT rowid FROM fts_1 WHERE fts_1 MATCH (SELECT 'tags : ' || term FROM vocab WHERE col = 'tags' ORDER BY doc LIMIT 1) ORDER BY rowid`},
	} {
		t.Run(q.name, func(t *testing.T) {
			want, got := rows(t, sdb, q.query), rows(t, rdb, q.query)
			if len(want) == 0 {
				t.Fatal("the store's seed has no rows")
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("raw load differs from the store's (-store +raw):\n%s", diff)
			}
		})
	}
}

// rows reads a query's rows as text.
func rows(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rs, err := db.Query(query)
	if err != nil {
		t.Fatal(err)
	}
	defer rs.Close()
	cols, err := rs.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rs.Next() {
		vals := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vals {
			ptrs[i] = &vals[i]
		}
		if err := rs.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprint(vals...))
	}
	if err := rs.Err(); err != nil {
		t.Fatal(err)
	}
	return out
}
