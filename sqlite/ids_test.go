package sqlite

import (
	"database/sql"
	"fmt"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/migration"
	"damask/search"
	"damask/storetest"
)

// idTables are the tables whose ids the API or the web shows: migration
// 0015 gives them AUTOINCREMENT.
var idTables = []string{"accounts", "users", "tags", "assets", "versions", "uploads", "audit_events", "tokens"}

// openAt makes a file at path as a program whose last migration is the
// one before the named step left it, and answers a store on it (no
// search backfill: a file at that step has its indexes).
func openAt(t *testing.T, path, before string) *DB {
	t.Helper()
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration.Step) bool { return strings.HasPrefix(m.Name, before) })
	if i < 0 {
		t.Fatalf("no migration %s", before)
	}
	params := url.Values{"_journal_mode": {"WAL"}, "_synchronous": {"FULL"}, "_foreign_keys": {"on"}, "_busy_timeout": {"10000"}}
	read, err := sql.Open("sqlite3", path+"?"+params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	params.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite3", path+"?"+params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	if err := migrateTo(t.Context(), write, ms[:i]); err != nil {
		t.Fatal(err)
	}
	return &DB{write: write, read: read, now: time.Now}
}

// fileState is what must survive a migration that rebuilds tables: every
// row of every table (the search indexes' shadow tables too), and of the
// schema every column, index, trigger and foreign key.
func fileState(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := t.Context()
	state := map[string][]string{}
	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, name, table, sqlText string
		if err := rows.Scan(&typ, &name, &table, &sqlText); err != nil {
			t.Fatal(err)
		}
		switch {
		case typ == "table" && strings.HasPrefix(sqlText, "CREATE VIRTUAL"):
			state["schema"] = append(state["schema"], sqlText) // its rows are in its shadow tables
		case typ == "table":
			tables = append(tables, name)
		default: // indexes and triggers, made again as they were
			state["schema"] = append(state["schema"], typ+" "+name+" on "+table+": "+sqlText)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		for _, pragma := range []string{"table_info", "foreign_key_list", "index_list"} {
			state[pragma+" "+table] = queryStrings(t, db, fmt.Sprintf("SELECT * FROM pragma_%s(%s)", pragma, quote(table)))
		}
		state["rows "+table] = queryStrings(t, db, "SELECT * FROM "+quote(table))
	}
	return state
}

// queryStrings answers the rows of a query, each printed, sorted.
func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vs := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vs {
			ptrs[i] = &vs[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v", vs))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// TestMigrationKeepsIDs fills a file at the schema before 0015 as the
// store wrote it then (with today's store code: a later step that adds a
// column to a table the store writes breaks this test, and 0015 itself
// must then copy that column), where the newest object's id came back after it
// was deleted; migrates it; and checks that every row, id and link is
// kept, and that from then on no id comes back, not even one deleted
// before the migration that the audit log names.
func TestMigrationKeepsIDs(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	old := openAt(t, path, "0015_")
	acct := &damask.Account{Name: "acme", Plan: "pro"}
	holder := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := old.CreateAccount(ctx, acct, holder); err != nil {
		t.Fatal(err)
	}
	// traces are the audit targets the library writes when it removes one
	// (library: assetTarget, tag deletion, userTarget, tokenTarget).
	traces := map[string]func(id int64) string{
		"asset": func(id int64) string { return fmt.Sprintf("asset %d", id) },
		"tag":   func(id int64) string { return fmt.Sprintf("tag %d", id) },
		"user":  func(id int64) string { return fmt.Sprintf("user %d (gone)", id) },
		"token": func(id int64) string { return fmt.Sprintf("token %d (dmk_abcd)", id) },
	}
	kinds := storetest.IDKinds()
	kept := map[string]int64{}    // the highest id left, by kind
	removed := map[string]int64{} // the highest id removed before the migration
	for _, k := range kinds {
		first, _ := k.Create(t, old, holder, 1)
		second, remove := k.Create(t, old, holder, 2)
		remove()
		third, remove := k.Create(t, old, holder, 3)
		t.Logf("before 0015, %s: made %d and %d, removed %d, made %d", k.Name, first, second, second, third)
		if third > second {
			t.Errorf("before 0015, %s: made %d after removing %d; this test wants a file that reused ids", k.Name, third, second)
		}
		remove()
		kept[k.Name], removed[k.Name] = first, third
		if trace := traces[k.Name]; trace != nil {
			e := &damask.AuditEvent{AccountID: acct.ID, Action: "removed", Target: trace(third), At: time.Now()}
			if err := old.RecordAudit(ctx, e); err != nil {
				t.Fatal(err)
			}
		}
	}
	before := fileState(t, old.read)
	if err := old.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("migrate: %v", err)
	}
	defer db.Close()
	after := fileState(t, db.read)
	for name, table := range after {
		if strings.HasPrefix(name, "table_info ") {
			// The rebuilt tables' columns are the same; only their SQL
			// (AUTOINCREMENT) differs, which schema leaves out for tables.
			continue
		}
		if d := cmp.Diff(before[name], table); d != "" {
			t.Errorf("%s changed by the migration (-before +after):\n%s", name, d)
		}
	}
	for name := range before {
		if _, ok := after[name]; !ok {
			t.Errorf("%s gone after the migration", name)
		}
	}
	for _, table := range idTables {
		if d := cmp.Diff(before["table_info "+table], after["table_info "+table]); d != "" {
			t.Errorf("columns of %s changed (-before +after):\n%s", table, d)
		}
		var sqlText string
		if err := db.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = ?`, table).Scan(&sqlText); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sqlText, "AUTOINCREMENT") {
			t.Errorf("%s has no AUTOINCREMENT after the migration: %s", table, sqlText)
		}
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
	var fk int
	if err := db.write.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("writer's foreign_keys after the migration = %d, %v; want 1", fk, err)
	}

	// The search index still finds the assets by id.
	found, _, err := db.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: search.Word{Value: "kept"},
		Page: damask.Page{Number: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != kept["asset"] || found[0].Title != "id asset 1" {
		t.Errorf("search for the kept asset's tag after the migration found %v, want asset %d", found, kept["asset"])
	}

	// From now on no id comes back; those the audit log names neither.
	for _, k := range kinds {
		fourth, remove := k.Create(t, db, holder, 4)
		remove()
		fifth, _ := k.Create(t, db, holder, 5)
		t.Logf("after 0015, %s: made %d, removed it, made %d", k.Name, fourth, fifth)
		floor := kept[k.Name]
		if traces[k.Name] != nil {
			floor = removed[k.Name]
		}
		if fourth <= floor {
			t.Errorf("after 0015, %s: made %d, want above %d", k.Name, fourth, floor)
		}
		if fifth <= fourth {
			t.Errorf("after 0015, %s: removed %d, then made %d: the id came back", k.Name, fourth, fifth)
		}
	}
}

// TestMigrationForeignKeys checks that a step, run with foreign keys off,
// is undone when it leaves a row pointing at nothing, and that the
// writer's connection gets its foreign keys back either way.
func TestMigrationForeignKeys(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	broken := append(slices.Clip(ms), migration.Step{Version: len(ms) + 1, Name: "broken.sql",
		SQL: `INSERT INTO tags (account_id, name, created_at) VALUES (999, 'orphan', 0)`})
	err = migrateTo(ctx, db.write, broken)
	if err == nil || !strings.Contains(err.Error(), "foreign key check: a row of tags") {
		t.Errorf("a step leaving an orphan: %v, want a foreign key error", err)
	}
	var version, fk, tags int
	if err := db.write.QueryRowContext(ctx, "SELECT (SELECT user_version FROM pragma_user_version), "+
		"(SELECT foreign_keys FROM pragma_foreign_keys), (SELECT count(*) FROM tags)").Scan(&version, &fk, &tags); err != nil {
		t.Fatal(err)
	}
	if version != len(ms) || fk != 1 || tags != 0 {
		t.Errorf("after the failed step: user_version %d, foreign_keys %d, %d tags; want %d, 1, 0", version, fk, tags, len(ms))
	}
}
