package httpapi_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"damask/blob/disk"
	"damask/httpapi"
	"damask/library"
	"damask/password"
	"damask/sqlite"
)

// beside is another process on the server's database, as the command line
// run beside the server: what it changes, the server learns only from the
// database.
type beside struct {
	db  *sqlite.DB
	svc *library.Service
}

func (e *env) beside(t *testing.T) *beside {
	t.Helper()
	db, err := sqlite.Open(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	blobs, err := disk.Open(e.blobDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close(); blobs.Close() })
	svc, err := library.New(db, blobs, library.Options{Password: password.Params{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		t.Fatal(err)
	}
	return &beside{db: db, svc: svc}
}

// TestChangesBeside: the server keeps accounts, users, tokens and the
// throttle's answers in memory, and yet a change made by another process
// takes effect on the very next request.
func TestChangesBeside(t *testing.T) {
	type fixture struct {
		e      *env
		tn     *tenant
		b      *beside
		clk    *clock
		secret string // an API token of member
	}
	tests := []struct {
		name   string
		cfg    httpapi.Config
		plan   string
		change func(t *testing.T, f fixture)
		// send is the request made before and after the change.
		send func(t *testing.T, f fixture) *response
		// status is the answer after the change.
		status int
	}{
		{
			name: "disabled user",
			change: func(t *testing.T, f fixture) {
				if _, err := f.b.svc.SetDisabled(t.Context(), "acme", "member", true); err != nil {
					t.Fatal(err)
				}
			},
			send:   func(t *testing.T, f fixture) *response { return f.tn.member.get(t, "/api/user.xml") },
			status: http.StatusUnauthorized,
		},
		{
			name: "changed password",
			change: func(t *testing.T, f fixture) {
				if _, err := f.b.svc.SetPassword(t.Context(), "acme", "member", "another password"); err != nil {
					t.Fatal(err)
				}
			},
			send:   func(t *testing.T, f fixture) *response { return f.tn.member.get(t, "/api/user.xml") },
			status: http.StatusUnauthorized,
		},
		{
			name: "revoked token",
			change: func(t *testing.T, f fixture) {
				ctx := t.Context()
				a, err := f.b.db.AccountByName(ctx, "acme")
				if err != nil {
					t.Fatal(err)
				}
				u, err := f.b.db.UserByLogin(ctx, a.ID, "member")
				if err != nil {
					t.Fatal(err)
				}
				tks, err := f.b.db.Tokens(ctx, a.ID, u.ID)
				if err != nil || len(tks) != 1 {
					t.Fatalf("tokens: %v, %v", tks, err)
				}
				if _, err := f.b.db.RevokeToken(ctx, a.ID, u.ID, tks[0].ID, time.Now()); err != nil {
					t.Fatal(err)
				}
			},
			send: func(t *testing.T, f fixture) *response {
				return f.tn.bearer(t, "GET", "/api/user.xml", f.secret, payload{})
			},
			status: http.StatusUnauthorized,
		},
		{
			name: "disabled user's token",
			change: func(t *testing.T, f fixture) {
				if _, err := f.b.svc.SetDisabled(t.Context(), "acme", "member", true); err != nil {
					t.Fatal(err)
				}
			},
			send: func(t *testing.T, f fixture) *response {
				return f.tn.bearer(t, "GET", "/api/user.xml", f.secret, payload{})
			},
			status: http.StatusUnauthorized,
		},
		{
			name:   "expired token",
			change: func(t *testing.T, f fixture) { f.clk.add(49 * time.Hour) },
			send: func(t *testing.T, f fixture) *response {
				return f.tn.bearer(t, "GET", "/api/user.xml", f.secret, payload{})
			},
			status: http.StatusUnauthorized,
		},
		{
			name: "API switched off",
			change: func(t *testing.T, f fixture) {
				if err := f.b.svc.SetAPI(t.Context(), "acme", false); err != nil {
					t.Fatal(err)
				}
			},
			send:   func(t *testing.T, f fixture) *response { return f.tn.member.get(t, "/api/user.xml") },
			status: http.StatusForbidden,
		},
		{
			// HTTPS is required of the plans that include SSL.
			name: "plan change",
			cfg:  httpapi.Config{HTTPS: true},
			plan: "private",
			change: func(t *testing.T, f fixture) {
				if err := f.b.svc.SetPlan(t.Context(), "acme", "pro"); err != nil {
					t.Fatal(err)
				}
			},
			send:   func(t *testing.T, f fixture) *response { return f.tn.member.get(t, "/api/user.xml") },
			status: http.StatusForbidden,
		},
		{
			// RELIABILITY 24: 20 failures hold the login back, counted
			// by every process, even with the right password.
			name: "failed sign-ins",
			change: func(t *testing.T, f fixture) {
				ctx := t.Context()
				a, err := f.b.svc.AccountByName(ctx, "acme")
				if err != nil {
					t.Fatal(err)
				}
				for range 20 {
					f.b.svc.Authenticate(ctx, a, "member", "wrong", "192.0.2.1")
				}
			},
			send:   func(t *testing.T, f fixture) *response { return f.tn.member.get(t, "/api/user.xml") },
			status: http.StatusTooManyRequests,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			clk := &clock{t: time.Now()}
			e := newEnv(t, setup{cfg: tt.cfg, now: clk.now})
			plan := tt.plan
			if plan == "" {
				plan = "deluxe"
			}
			tn := e.tenant(t, "acme", plan)
			f := fixture{e: e, tn: tn, clk: clk, b: e.beside(t)}
			f.secret = str(tn.member.newToken(t, "name", "t", "expires_in_days", "2")["token"])
			// Twice: the second is answered from what the first kept.
			for range 2 {
				tt.send(t, f).want(t, http.StatusOK)
			}
			tt.change(t, f)
			tt.send(t, f).wantError(t, tt.status, "")
		})
	}
}
