package httplimit_test

import (
	"context"
	"testing"
	"time"

	"damask/httplimit"
	"damask/postgres"
	"damask/postgres/pgtest"
)

// TestSharedRates: two servers on one PostgreSQL database take from the
// same bucket: a client gets its burst once, however it spreads its
// requests, and the wait the last one answers is the bucket's.
func TestSharedRates(t *testing.T) {
	url := pgtest.Database(t, "")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	clock := func() time.Time { return now }
	var servers [2]*httplimit.Shared
	var dbs [2]*postgres.DB
	for i := range servers {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		dbs[i] = db
		servers[i] = httplimit.NewShared(db, 1, 3, clock, nil)
	}
	ctx := t.Context()
	for i := range 3 {
		if ok, _ := servers[i%2].Allow(ctx, "t1"); !ok {
			t.Fatalf("request %d of a burst of 3 refused", i+1)
		}
	}
	for i, s := range servers {
		ok, wait := s.Allow(ctx, "t1")
		if ok || wait != time.Second {
			t.Errorf("server %d past the burst: %v, wait %v; want refused, wait 1s", i+1, ok, wait)
		}
		if ok, _ := s.Allow(ctx, "t2"); !ok {
			t.Errorf("server %d: another credential refused", i+1)
		}
	}
	now = now.Add(time.Second)
	if ok, _ := servers[1].Allow(ctx, "t1"); !ok {
		t.Error("refused after the wait")
	}
	// A database that does not answer lets requests through rather than
	// take the server down.
	dbs[0].Close()
	if ok, _ := servers[0].Allow(ctx, "t1"); !ok {
		t.Error("refused with the database gone")
	}
}

// The costs behind the choice in docs/scaling.md: a request's token from
// this process's memory, and from PostgreSQL.
func BenchmarkAllowMemory(b *testing.B) {
	l := httplimit.NewRates(1e9, 1e9, nil)
	for b.Loop() {
		l.Allow("t1")
	}
}

func BenchmarkAllowPostgreSQL(b *testing.B) {
	db, err := postgres.Open(context.Background(), pgtest.Database(b, ""))
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { db.Close() })
	l := httplimit.NewShared(db, 1e9, 1e9, nil, nil)
	for b.Loop() {
		if ok, _ := l.Allow(b.Context(), "t1"); !ok {
			b.Fatal("refused")
		}
	}
}
