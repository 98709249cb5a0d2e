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
