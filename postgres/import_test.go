package postgres

import (
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/migration"
	"damask/sqlite"
	"damask/storetest"
)

// TestImportKeepsIDsUnused moves a SQLite library whose newest object of
// each kind was removed, and checks that the ids continue past the
// removed ones here: ids are never reused, across a move either.
func TestImportKeepsIDsUnused(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	acct := &damask.Account{Name: "acme", Plan: "pro"}
	holder := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := src.CreateAccount(ctx, acct, holder); err != nil {
		t.Fatal(err)
	}
	kinds := storetest.IDKinds()
	removed := map[string]int64{}
	for _, k := range kinds {
		k.Create(t, src, holder, 1)
		id, remove := k.Create(t, src, holder, 2)
		remove()
		removed[k.Name] = id
	}
	want, err := src.AccountStats(ctx, acct.ID)
	if err != nil {
		t.Fatal(err)
	}
	if err := src.Close(); err != nil {
		t.Fatal(err)
	}
	snap, err := sqlite.OpenSnapshot(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	db := openTemp(t)
	if _, err := db.Import(ctx, snap); err != nil {
		t.Fatalf("Import: %v", err)
	}
	// The space and the assets counted by the triggers as the rows came.
	if got, err := db.AccountStats(ctx, acct.ID); err != nil || got != want {
		t.Errorf("AccountStats after the move = %+v, %v; want %+v, as in the source", got, err, want)
	}
	for _, k := range kinds {
		id, _ := k.Create(t, db, holder, 3)
		if id <= removed[k.Name] {
			t.Errorf("%s: removed %d in the source, made %d after the move", k.Name, removed[k.Name], id)
		}
	}
}

// TestMigrationPastTraces runs migration 0007 on a database whose audit
// log names ids above those its sequences have given, as a library moved
// from SQLite before its 0015 left it, and checks that new ids start past
// them and that a sequence already further on stays where it is.
func TestMigrationPastTraces(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	acct := &damask.Account{Name: "acme", Plan: "pro"}
	holder := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, acct, holder); err != nil {
		t.Fatal(err)
	}
	for _, target := range []string{"asset 50", "tag 60", "user 70 (gone)", "token 80 (dmk_abcd)", "login 900"} {
		e := &damask.AuditEvent{AccountID: acct.ID, Action: "removed", Target: target, At: time.Now()}
		if err := db.RecordAudit(ctx, e); err != nil {
			t.Fatal(err)
		}
	}
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	i := slices.IndexFunc(ms, func(m migration.Step) bool { return strings.HasPrefix(m.Name, "0007_") })
	if i < 0 {
		t.Fatal("no migration 0007")
	}
	for range 2 { // a second run changes nothing
		if _, err := db.pool.Exec(ctx, ms[i].SQL); err != nil {
			t.Fatalf("%s: %v", ms[i].Name, err)
		}
	}
	named := map[string]int64{"asset": 50, "tag": 60, "user": 70, "token": 80}
	for _, k := range storetest.IDKinds() {
		floor, ok := named[k.Name]
		if !ok {
			continue
		}
		id, _ := k.Create(t, db, holder, 1)
		if id <= floor || id > floor+3 {
			t.Errorf("%s: new id %d after the migration, want just past %d", k.Name, id, floor)
		}
	}
}

// TestImportCarriesEveryTable: every table of either schema is carried
// by Import or named as left alone on purpose (notCarried): a table added
// by a later migration fails here until it is one or the other.
func TestImportCarriesEveryTable(t *testing.T) {
	ctx := t.Context()
	known := map[string]bool{}
	for _, tb := range importTables {
		known[tb.name] = true
	}
	for _, name := range notCarried {
		known[name] = true
	}
	db := openTemp(t)
	rows, err := db.pool.Query(ctx, `SELECT table_name FROM information_schema.tables
		WHERE table_schema = current_schema() AND table_type = 'BASE TABLE'`)
	if err != nil {
		t.Fatal(err)
	}
	var pg []string
	for rows.Next() {
		var name string
		if err := rows.Scan(&name); err != nil {
			t.Fatal(err)
		}
		pg = append(pg, name)
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}

	path := filepath.Join(t.TempDir(), "damask.db")
	src, err := sqlite.Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	src.Close()
	snap, err := sqlite.OpenSnapshot(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer snap.Close()
	var lite []string
	err = snap.Rows(ctx, "sqlite_master", []string{"name", "type"}, func(v []any) error {
		name, _ := v[0].(string)
		// SQLite's own tables, and the full-text index (one table per
		// account, made anew by Import from the assets), are not rows.
		if v[1] == "table" && !strings.HasPrefix(name, "sqlite_") && !strings.HasPrefix(name, "fts_") {
			lite = append(lite, name)
		}
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}
	for schema, tables := range map[string][]string{"PostgreSQL": pg, "SQLite": lite} {
		if len(tables) < 10 {
			t.Fatalf("%s: only %v", schema, tables)
		}
		for _, name := range tables {
			if !known[name] {
				t.Errorf("%s table %s is neither carried by Import (importTables) nor left on purpose (notCarried)", schema, name)
			}
		}
	}
}
