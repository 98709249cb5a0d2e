package library_test

import (
	"context"
	"fmt"
	"io"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/postgres"
	"damask/postgres/pgtest"
)

// twoServers are two services on one PostgreSQL database, each with its
// own connection pool, as two `damask serve` processes behind a load
// balancer; they share a clock the test moves.
func twoServers(t *testing.T, now *time.Time, o library.Options) [2]*library.Service {
	t.Helper()
	url := pgtest.Database(t, "")
	var svcs [2]*library.Service
	for i := range svcs {
		db, err := postgres.Open(context.Background(), url)
		if err != nil {
			t.Fatal(err)
		}
		t.Cleanup(func() { db.Close() })
		svcs[i] = serviceOn(t, db, openDisk(t), now, o)
	}
	return svcs
}

// TestThrottleShared: failed sign-ins spread over two servers count
// together: the 20th, on either, holds the login back on both, until the
// window ends.
func TestThrottleShared(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svcs := twoServers(t, &now, library.Options{})
	a, _, err := svcs[0].CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "right password"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		// From ever new addresses, so that only the login's count can hold
		// it back.
		_, err := svcs[i%2].Authenticate(ctx, a, "ANN", "wrong", fmt.Sprintf("192.0.2.%d", i+1))
		code := damask.ErrorCode(err)
		if i < 19 && code != damask.EUNAUTHORIZED || i == 19 && code != damask.ETHROTTLED {
			t.Fatalf("failure %d, on server %d: code %q", i+1, i%2+1, code)
		}
	}
	for i, svc := range svcs {
		_, err := svc.Authenticate(ctx, a, "ann", "right password", "198.51.100.7")
		if damask.ErrorCode(err) != damask.ETHROTTLED || library.RetryAfter(err) <= 0 {
			t.Errorf("server %d, right password while throttled: %v (retry after %v)", i+1, err, library.RetryAfter(err))
		}
	}
	now = now.Add(16 * time.Minute)
	for i, svc := range svcs {
		if _, err := svc.Authenticate(ctx, a, "ann", "right password", "198.51.100.7"); err != nil {
			t.Errorf("server %d, after the window: %v", i+1, err)
		}
	}
}

// TestUploadsAtOnceShared: the cap on the files one user sends at once
// holds across servers; a finished upload frees its place on every one.
func TestUploadsAtOnceShared(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svcs := twoServers(t, &now, library.Options{MaxUploadsPerUser: 1, UploadLeases: true})
	a, holder, err := svcs[0].CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "right password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: a, User: holder}

	// A slow upload on the first server: once its first byte is read,
	// it holds its lease.
	pr, pw := io.Pipe()
	done := make(chan error, 1)
	go func() {
		_, err := svcs[0].ReceiveFile(ctx, c, library.FileInput{Body: pr, Filename: "slow.txt", Length: -1})
		done <- err
	}()
	if _, err := pw.Write([]byte("first bytes ")); err != nil {
		t.Fatal(err)
	}
	_, err = svcs[1].ReceiveFile(ctx, c, library.FileInput{Body: strings.NewReader("x"), Filename: "x.txt", Length: 1})
	if damask.ErrorCode(err) != damask.ETHROTTLED {
		t.Fatalf("second upload at once, on the other server: %v; want ETHROTTLED", err)
	}
	pw.Write([]byte("last bytes"))
	pw.Close()
	if err := <-done; err != nil {
		t.Fatalf("slow upload: %v", err)
	}
	if _, err := svcs[1].ReceiveFile(ctx, c, library.FileInput{Body: strings.NewReader("x"), Filename: "x.txt", Length: 1}); err != nil {
		t.Fatalf("upload once the first finished: %v", err)
	}
}
