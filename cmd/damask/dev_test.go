package main

import (
	"context"
	"strings"
	"testing"

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
