package library_test

import (
	"context"
	"fmt"
	"path/filepath"
	"runtime"
	"sync/atomic"
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

// Requests that bring the same credentials at once share one verification
// (argon2id costs tens of milliseconds and 19 MiB): the others wait for it
// and take its outcome from the cache.
func TestAuthenticateAtOnce(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, nil)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "the password"})
	if err != nil {
		t.Fatal(err)
	}
	var verified atomic.Int32
	release := make(chan struct{})
	svc.SetOnVerify(func() {
		verified.Add(1)
		<-release
	})
	const n = 8
	errs := make(chan error, n)
	for range n {
		go func() {
			u, err := svc.Authenticate(ctx, a, "ann", "the password", "192.0.2.1")
			if err == nil && u.ID != holder.ID {
				err = fmt.Errorf("user %d, want %d", u.ID, holder.ID)
			}
			errs <- err
		}()
	}
	for deadline := time.Now().Add(time.Minute); verified.Load() == 0; runtime.Gosched() {
		if time.Now().After(deadline) {
			t.Fatal("no verification began within a minute")
		}
	}
	time.Sleep(200 * time.Millisecond) // the others reach their wait, or a verification of their own
	close(release)
	for range n {
		if err := <-errs; err != nil {
			t.Error(err)
		}
	}
	if got := verified.Load(); got != 1 {
		t.Errorf("%d requests with the same credentials verified the password %d times, want 1", n, got)
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

// TestThrottleOneIdentity: a user's login and e-mail address, in any
// case, share one count of failures, and a user whose password sign-ins
// are held back keeps the use of their tokens, as Bearer and as the
// Basic password; a login that finds no user is counted under what was
// typed.
func TestThrottleOneIdentity(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "right password"})
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _, err := svc.CreateToken(ctx, library.Caller{Account: a, User: holder}, library.TokenInput{Name: "ci"}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	names := []string{"ann", "ANN@acme.test", "Ann", "ann@ACME.TEST"}
	for i := range 20 {
		// Ten tries by login and ten by e-mail, each from a new address:
		// only the user's count can hold them back.
		source := fmt.Sprintf("192.0.2.%d", i+1)
		var err error
		if i%3 == 0 {
			_, err = svc.AuthenticateBasic(ctx, a, names[i%len(names)], "wrong", source)
		} else {
			_, err = svc.Authenticate(ctx, a, names[i%len(names)], "wrong", source)
		}
		code := damask.ErrorCode(err)
		if i < 19 && code != damask.EUNAUTHORIZED || i == 19 && code != damask.ETHROTTLED {
			t.Fatalf("failure %d (%s): code %q", i+1, names[i%len(names)], code)
		}
	}
	for _, login := range []string{"ann", "ann@acme.test", "ANN"} {
		if _, err := svc.Authenticate(ctx, a, login, "right password", "198.51.100.7"); damask.ErrorCode(err) != damask.ETHROTTLED {
			t.Errorf("%s, right password while throttled: %v", login, err)
		}
		if _, err := svc.AuthenticateBasic(ctx, a, login, "right password", "198.51.100.7"); damask.ErrorCode(err) != damask.ETHROTTLED {
			t.Errorf("%s, right password as Basic while throttled: %v", login, err)
		}
		c, err := svc.AuthenticateBasic(ctx, a, login, secret, "192.0.2.1")
		if err != nil || c.Token == nil || c.User.ID != holder.ID {
			t.Errorf("%s, token as the Basic password while throttled: %v", login, err)
		}
	}
	if c, err := svc.AuthenticateBearer(ctx, a, secret, "192.0.2.1"); err != nil || c.User.ID != holder.ID {
		t.Errorf("Bearer token while throttled: %v", err)
	}
	// From an address held back: the token still works there.
	for i := range 20 {
		svc.Authenticate(ctx, a, fmt.Sprintf("guess-%d", i), "wrong", "192.0.2.250")
	}
	if _, err := svc.Authenticate(ctx, a, "zed", "x", "192.0.2.250"); damask.ErrorCode(err) != damask.ETHROTTLED {
		t.Fatalf("the guesser's address after 20 failures: %v", err)
	}
	if _, err := svc.AuthenticateBearer(ctx, a, secret, "192.0.2.250"); err != nil {
		t.Errorf("Bearer token from an address held back: %v", err)
	}
	if _, err := svc.AuthenticateBasic(ctx, a, "ann", secret, "192.0.2.250"); err != nil {
		t.Errorf("token as the Basic password from an address held back: %v", err)
	}

	// A login that finds no user has a count of its own, in any case.
	for i := range 20 {
		_, err := svc.Authenticate(ctx, a, []string{"ghost", "GHOST"}[i%2], "wrong", fmt.Sprintf("203.0.113.%d", i+1))
		code := damask.ErrorCode(err)
		if i < 19 && code != damask.EUNAUTHORIZED || i == 19 && code != damask.ETHROTTLED {
			t.Fatalf("unknown login, failure %d: code %q", i+1, code)
		}
	}
}

// TestThrottleIPv6Network: an IPv6 client is counted by its /64, which it
// holds whole: changing the address within it gets no fresh tries.
func TestThrottleIPv6Network(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	a, _, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "right password"})
	if err != nil {
		t.Fatal(err)
	}
	for i := range 20 {
		_, err := svc.Authenticate(ctx, a, fmt.Sprintf("guess-%d", i), "wrong", fmt.Sprintf("2001:db8:0:7:%x::1", i))
		code := damask.ErrorCode(err)
		if i < 19 && code != damask.EUNAUTHORIZED || i == 19 && code != damask.ETHROTTLED {
			t.Fatalf("failure %d: code %q", i+1, code)
		}
	}
	for _, source := range []string{"2001:db8:0:7:ffff:ffff:ffff:ffff", "2001:db8:0:7::"} {
		if _, err := svc.Authenticate(ctx, a, "ann", "right password", source); damask.ErrorCode(err) != damask.ETHROTTLED {
			t.Errorf("from %s, in the same /64: %v, want throttled", source, err)
		}
	}
	for _, source := range []string{"2001:db8:0:8::1", "192.0.2.7"} {
		if _, err := svc.Authenticate(ctx, a, "ann", "right password", source); err != nil {
			t.Errorf("from %s: %v", source, err)
		}
	}
}
