package postgres

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"fmt"
	"net/url"
	"os"
	"sync"
	"testing"

	"github.com/jackc/pgx/v5"

	"damask"
	"damask/storetest"
)

// The tests run on a real PostgreSQL server: DAMASK_TEST_POSTGRES names it
// (a URL whose database is any the user may connect to), by default the
// machine's. Each store gets a database of its own, copied from a template
// that the first test migrates, and dropped when its test ends.

func serverURL() string {
	if u := os.Getenv("DAMASK_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

var tpl struct {
	once sync.Once
	name string // the template database, once made
	err  error
}

// withDatabase is the server's URL naming the database name instead.
func withDatabase(t testing.TB, name string) string {
	u, err := url.Parse(serverURL())
	if err != nil {
		t.Fatalf("DAMASK_TEST_POSTGRES %q: %v", serverURL(), err)
	}
	u.Path = "/" + name
	return u.String()
}

// admin runs a statement on the server's own database.
func admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, serverURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

func randomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// template makes, once per run, a database with every migration applied,
// for the tests' databases to be copied from.
func template(t testing.TB) string {
	tpl.once.Do(func() {
		ctx := context.Background()
		name := randomName("damask_tpl_")
		if err := admin(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			tpl.err = err
			return
		}
		tpl.name = name
		db, err := Open(ctx, withDatabase(t, name))
		if err != nil {
			tpl.err = err
			return
		}
		db.Close()
	})
	if tpl.err != nil {
		t.Fatalf("PostgreSQL at %s is needed for these tests and failed: %v\n"+
			"(start the server, or name another with DAMASK_TEST_POSTGRES=postgres://user@host:port/db)", serverURL(), tpl.err)
	}
	return tpl.name
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tpl.name != "" {
		if err := admin(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{tpl.name}.Sanitize()+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "drop template database %s: %v\n", tpl.name, err)
		}
	}
	os.Exit(code)
}

// openTemp opens a store on a new database, dropped when t ends.
func openTemp(t testing.TB) *DB {
	t.Helper()
	ctx := context.Background()
	from := template(t)
	name := randomName("damask_test_")
	if err := admin(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()+` TEMPLATE `+pgx.Identifier{from}.Sanitize()); err != nil {
		t.Fatalf("create database %s: %v", name, err)
	}
	t.Cleanup(func() {
		if err := admin(ctx, `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
			t.Errorf("drop database %s: %v", name, err)
		}
	})
	db, err := Open(ctx, withDatabase(t, name))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) damask.Store { return openTemp(t) })
}
