package main

import (
	"context"
	"fmt"
	"io"
	"regexp"
	"strings"

	"github.com/jackc/pgx/v5"

	"damask"
	"damask/library"
)

// newestStatements is what the PostgreSQL store tells of the SQL it runs
// for a list.
type newestStatements interface {
	NewestStatement(damask.AssetFilter) (string, []any)
}

// rawPostgres runs the PostgreSQL store's statement of a search's newest
// matches (the bulk of a first page's work: the total, relevance's
// candidates and the page come from it) on a plain connection beside the
// store, with the store's planner settings, reading the ids and nothing
// more; and keeps its plan, EXPLAIN (ANALYZE, BUFFERS), once per class.
// What the store adds beyond it (a read transaction, the page's rows and
// tags, the library's parsing) is the store's overhead.
type rawPostgres struct {
	conn    *pgx.Conn
	stmts   newestStatements
	explain []string // "class", then its plan, by class
}

func openRawPostgres(ctx context.Context, url string, db metaStore) (*rawPostgres, error) {
	stmts, ok := db.(newestStatements)
	if !ok {
		return nil, nil
	}
	cfg, err := pgx.ParseConfig(url)
	if err != nil {
		return nil, err
	}
	// The settings of the store's sessions (postgres.Open), so that the
	// plans are the same.
	for k, v := range map[string]string{"timezone": "UTC", "plan_cache_mode": "force_custom_plan", "jit": "off", "random_page_cost": "1.1",
		"max_parallel_workers_per_gather": "0"} {
		if _, set := cfg.RuntimeParams[k]; !set {
			cfg.RuntimeParams[k] = v
		}
	}
	conn, err := pgx.ConnectConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("connect for the raw queries: %w", err)
	}
	return &rawPostgres{conn: conn, stmts: stmts}, nil
}

func (r *rawPostgres) close(ctx context.Context) { r.conn.Close(ctx) }

// statement answers the raw query of the class, after keeping its plan;
// nil when the store is not asked.
func (r *rawPostgres) statement(ctx context.Context, lib *openLibrary, c library.Caller, class string, q library.AssetQuery) (*pgStatement, error) {
	f, ok, err := lib.svc.AssetFilter(ctx, c, q)
	if err != nil || !ok {
		return nil, err
	}
	query, args := r.stmts.NewestStatement(f)
	rows, err := r.conn.Query(ctx, "EXPLAIN (ANALYZE, BUFFERS) "+query, args...)
	if err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	var plan []string
	for rows.Next() {
		var line string
		if err := rows.Scan(&line); err != nil {
			rows.Close()
			return nil, err
		}
		plan = append(plan, line)
	}
	rows.Close()
	if err := rows.Err(); err != nil {
		return nil, fmt.Errorf("explain: %w", err)
	}
	r.explain = append(r.explain, class, summarize(plan))
	return &pgStatement{conn: r.conn, sql: query, args: args}, nil
}

// pgStatement is one raw statement, run and read to the end.
type pgStatement struct {
	conn *pgx.Conn
	sql  string
	args []any
}

func (s *pgStatement) run(ctx context.Context) error {
	rows, err := s.conn.Query(ctx, s.sql, s.args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	var id int64
	for rows.Next() {
		if err := rows.Scan(&id); err != nil {
			return err
		}
	}
	return rows.Err()
}

// plans prints the plan of each class's statement.
func (r *rawPostgres) plans(w io.Writer) {
	fmt.Fprintf(w, "\nPlans of the statement of the newest matches (raw), `EXPLAIN (ANALYZE, BUFFERS)` once per class after the runs' warm-up:\n\n")
	fmt.Fprintf(w, "| query | plan | rows examined and dropped | buffers | execution |\n|---|---|---|---|---|\n")
	for i := 0; i+1 < len(r.explain); i += 2 {
		fmt.Fprintf(w, "| %s | %s\n", r.explain[i], r.explain[i+1])
	}
}

var (
	planNode    = regexp.MustCompile(`^\s*(?:->\s*)?([A-Z][A-Za-z ]+?(?: on \w+(?: \w+)?| using \w+ on \w+(?: \w+)?)?)\s+\(cost`)
	planRemoved = regexp.MustCompile(`Rows Removed by (?:Filter|Join Filter|Index Recheck): (\d+)`)
	planTime    = regexp.MustCompile(`Execution Time: ([0-9.]+) ms`)
)

// summarize makes a row of the plans' table of EXPLAIN's lines: the
// nodes from the top, the rows examined and dropped, the top node's
// buffers and the execution time.
func summarize(plan []string) string {
	var nodes []string
	removed, buffers, took := 0, "", ""
	for _, l := range plan {
		if m := planNode.FindStringSubmatch(l); m != nil {
			nodes = append(nodes, m[1])
		}
		if m := planRemoved.FindStringSubmatch(l); m != nil {
			var n int
			fmt.Sscan(m[1], &n)
			removed += n
		}
		if b, ok := strings.CutPrefix(strings.TrimSpace(l), "Buffers: "); ok && buffers == "" {
			buffers = b
		}
		if m := planTime.FindStringSubmatch(l); m != nil {
			took = m[1] + " ms"
		}
	}
	return fmt.Sprintf("%s | %d | %s | %s |", strings.Join(nodes, " > "), removed, buffers, took)
}
