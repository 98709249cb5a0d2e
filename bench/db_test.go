package main

import (
	"context"
	"testing"

	"github.com/jackc/pgx/v5"

	"damask/postgres/pgtest"
)

// TestDatabases makes a database per data folder, hands the same one out
// again for the same folder, and drops them all, connected or not.
func TestDatabases(t *testing.T) {
	ctx := context.Background()
	d := &databases{admin: pgtest.ServerURL(), names: map[string]string{}}
	b := &bench{dbs: d}
	var urls []string
	for _, data := range []string{"/a", "/b", "/a"} {
		args, err := b.storeArgs(ctx, data)
		if err != nil {
			t.Fatal(err)
		}
		if len(args) != 4 || args[0] != "--data" || args[1] != data || args[2] != "--db" {
			t.Fatalf("storeArgs(%s) = %q", data, args)
		}
		urls = append(urls, args[3])
	}
	if urls[0] != urls[2] || urls[0] == urls[1] {
		t.Fatalf("databases %q: want one per folder", urls)
	}
	// A connection still open, as a server stopped late would hold.
	conn, err := pgx.Connect(ctx, urls[1])
	if err != nil {
		t.Fatal(err)
	}
	defer conn.Close(ctx)
	names := []string{d.names["/a"], d.names["/b"]}
	if err := d.drop(ctx); err != nil {
		t.Fatal(err)
	}
	admin, err := pgx.Connect(ctx, pgtest.ServerURL())
	if err != nil {
		t.Fatal(err)
	}
	defer admin.Close(ctx)
	var left int
	if err := admin.QueryRow(ctx, `SELECT count(*) FROM pg_database WHERE datname = ANY($1)`, names).Scan(&left); err != nil {
		t.Fatal(err)
	}
	if left != 0 {
		t.Errorf("%d of the run's databases %q left after drop", left, names)
	}
}
