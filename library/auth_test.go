package library_test

import (
	"context"
	"path/filepath"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/library"
	"damask/password"
	"damask/sqlite"
)

// newService is a service over real stores in a temporary folder, with
// cheap password hashes and a clock the test moves; the store is answered
// too, for what only the store does (bulk loads).
func newService(t *testing.T, now *time.Time) (*library.Service, *sqlite.DB) {
	t.Helper()
	svc, db, _ := newServiceStores(t, now)
	return svc, db
}

// newServiceStores is newService with the file store at hand too, to see
// what a collection leaves.
func newServiceStores(t *testing.T, now *time.Time) (*library.Service, *sqlite.DB, *disk.Store) {
	t.Helper()
	db, blobs := openStores(t)
	return serviceOn(t, db, blobs, now, library.Options{}), db, blobs
}

// openStores opens the stores of a test service: SQLite and a disk store,
// each in a temporary folder, closed when the test ends.
func openStores(t *testing.T) (*sqlite.DB, *disk.Store) {
	t.Helper()
	return openSQLite(t), openDisk(t)
}

// openDisk opens a disk store in a temporary folder, closed when the test
// ends.
func openDisk(t *testing.T) *disk.Store {
	t.Helper()
	blobs, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	return blobs
}

// openSQLite opens a SQLite database in a temporary folder, closed when
// the test ends.
func openSQLite(t *testing.T) *sqlite.DB {
	t.Helper()
	db, err := sqlite.Open(context.Background(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

// serviceOn is a service over the given stores with the options a test
// needs (a renderer, a key...), and always cheap password hashes; its
// clock reads now when now is not nil. Several may share the stores, as
// servers that restart or run side by side.
func serviceOn(t *testing.T, db damask.Store, blobs damask.BlobStore, now *time.Time, o library.Options) *library.Service {
	t.Helper()
	o.Password = password.Params{Memory: 64, Time: 1, Threads: 1}
	if now != nil {
		o.Now = func() time.Time { return *now }
	}
	svc, err := library.New(db, blobs, o)
	if err != nil {
		t.Fatal(err)
	}
	return svc
}

func TestAuthenticate(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "first password"})
	if err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, login, pw string
		wantCode        string
	}{
		{"login", "ann", "first password", ""},
		{"login in other case", "ANN", "first password", ""},
		{"e-mail", "ann@acme.test", "first password", ""},
		{"wrong password", "ann", "first passworD", damask.EUNAUTHORIZED},
		{"unknown login", "bob", "first password", damask.EUNAUTHORIZED},
		{"empty password", "ann", "", damask.EUNAUTHORIZED},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			u, err := svc.Authenticate(ctx, a, tt.login, tt.pw, "192.0.2.1")
			if got := damask.ErrorCode(err); got != tt.wantCode {
				t.Fatalf("code %q, want %q (err %v)", got, tt.wantCode, err)
			}
			if err == nil && u.ID != holder.ID {
				t.Errorf("user %d, want %d", u.ID, holder.ID)
			}
		})
	}

	// A changed password takes effect at once, though the old one was
	// remembered by the credential cache.
	c := library.Caller{Account: a, User: holder}
	pw := "second password"
	if _, err := svc.UpdateUser(ctx, c, holder.ID, library.UserChanges{Password: &pw}); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.Authenticate(ctx, a, "ann", "first password", "192.0.2.1"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		t.Errorf("old password after change: %v, want unauthorized", err)
	}
	if _, err := svc.Authenticate(ctx, a, "ann", pw, "192.0.2.1"); err != nil {
		t.Errorf("new password: %v", err)
	}
}

func TestAuthenticateThrottles(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	a, _, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "right password"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		_, err := svc.Authenticate(ctx, a, "ann", "wrong", "192.0.2.1")
		code := damask.ErrorCode(err)
		if i < 19 && code != damask.EUNAUTHORIZED || i == 19 && code != damask.ETHROTTLED {
			t.Fatalf("failure %d: code %q", i+1, code)
		}
	}
	// Throttled now, even with the right password, and the error says how long.
	_, err = svc.Authenticate(ctx, a, "ann", "right password", "198.51.100.7")
	if damask.ErrorCode(err) != damask.ETHROTTLED || library.RetryAfter(err) <= 0 {
		t.Fatalf("right password while throttled: %v (retry after %v)", err, library.RetryAfter(err))
	}
	// Another login from a fresh address is not held back.
	if _, err := svc.Authenticate(ctx, a, "zed", "x", "203.0.113.9"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		t.Fatalf("other login: %v", err)
	}
	// The real user is let back in when the window ends.
	now = now.Add(16 * time.Minute)
	if _, err := svc.Authenticate(ctx, a, "ann", "right password", "192.0.2.1"); err != nil {
		t.Fatalf("after the window: %v", err)
	}
}
