// Package pgtest gives tests databases of their own on a real PostgreSQL
// server: DAMASK_TEST_POSTGRES names the server (a URL whose database is
// any the user may connect to), by default the machine's at 127.0.0.1:5432
// as user postgres.
package pgtest

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"net/url"
	"os"
	"testing"

	"github.com/jackc/pgx/v5"
)

// ServerURL is the URL of the server the tests use.
func ServerURL() string {
	if u := os.Getenv("DAMASK_TEST_POSTGRES"); u != "" {
		return u
	}
	return "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable"
}

// Redacted is the server's URL without its password, for messages.
func Redacted() string {
	u, err := url.Parse(ServerURL())
	if err != nil {
		return "(an unreadable DAMASK_TEST_POSTGRES)"
	}
	return u.Redacted()
}

// WithDatabase is the server's URL naming the database name instead.
func WithDatabase(t testing.TB, name string) string {
	t.Helper()
	u, err := url.Parse(ServerURL())
	if err != nil {
		t.Fatalf("DAMASK_TEST_POSTGRES %q: %v", Redacted(), err)
	}
	u.Path = "/" + name
	return u.String()
}

// Admin runs a statement on the server's own database.
func Admin(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, ServerURL())
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// RandomName is prefix and a random part, for databases that must not meet.
func RandomName(prefix string) string {
	b := make([]byte, 6)
	rand.Read(b)
	return prefix + hex.EncodeToString(b)
}

// Database makes an empty database (copied from template when it is not
// "") that is dropped when t ends, and answers its URL. A server that does
// not answer fails the test: CI has one, and a skipped test proves nothing.
func Database(t testing.TB, template string) string {
	t.Helper()
	ctx := context.Background()
	name := RandomName("damask_test_")
	create := `CREATE DATABASE ` + pgx.Identifier{name}.Sanitize()
	if template != "" {
		create += ` TEMPLATE ` + pgx.Identifier{template}.Sanitize()
	}
	if err := Admin(ctx, create); err != nil {
		t.Fatalf("PostgreSQL at %s is needed for this test and failed: %v\n"+
			"(start the server, or name another with DAMASK_TEST_POSTGRES=postgres://user@host:port/db)", Redacted(), err)
	}
	t.Cleanup(func() { Drop(t, name) })
	return WithDatabase(t, name)
}

// Drop removes a database, even while connections to it are open.
func Drop(t testing.TB, name string) {
	if err := Admin(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{name}.Sanitize()+` WITH (FORCE)`); err != nil {
		t.Errorf("drop database %s: %v", name, err)
	}
}
