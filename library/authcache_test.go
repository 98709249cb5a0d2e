package library_test

import (
	"context"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// TestAuthCacheShared: two servers on one PostgreSQL database each keep
// accounts, users and tokens in memory, and a change made on one takes
// effect on the other's very next request.
func TestAuthCacheShared(t *testing.T) {
	now := time.Date(2026, 11, 29, 12, 0, 0, 0, time.UTC)
	tests := []struct {
		name   string
		change func(ctx context.Context, t *testing.T, other *library.Service, c library.Caller, token *damask.Token)
		code   string // of the next request on the first server
	}{
		{"disabled user", func(ctx context.Context, t *testing.T, other *library.Service, _ library.Caller, _ *damask.Token) {
			if _, err := other.SetDisabled(ctx, "acme", "bob", true); err != nil {
				t.Fatal(err)
			}
		}, damask.EUNAUTHORIZED},
		{"changed password", func(ctx context.Context, t *testing.T, other *library.Service, _ library.Caller, _ *damask.Token) {
			if _, err := other.SetPassword(ctx, "acme", "bob", "another password"); err != nil {
				t.Fatal(err)
			}
		}, damask.EUNAUTHORIZED},
		{"revoked token", func(ctx context.Context, t *testing.T, other *library.Service, c library.Caller, tk *damask.Token) {
			if _, err := other.RevokeToken(ctx, c, tk.ID); err != nil {
				t.Fatal(err)
			}
		}, damask.EUNAUTHORIZED},
		{"API switched off", func(ctx context.Context, t *testing.T, other *library.Service, _ library.Caller, _ *damask.Token) {
			if err := other.SetAPI(ctx, "acme", false); err != nil {
				t.Fatal(err)
			}
		}, damask.EFORBIDDEN},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := context.Background()
			svcs := twoServers(t, &now, library.Options{})
			if _, _, err := svcs[1].CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
				HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "ann's password"}); err != nil {
				t.Fatal(err)
			}
			if _, err := svcs[1].AddUser(ctx, "acme", library.UserChanges{Login: new("bob"),
				Email: new("bob@acme.test"), Password: new("right password"), Role: new("member")}); err != nil {
				t.Fatal(err)
			}
			if err := svcs[1].SetAPI(ctx, "acme", true); err != nil {
				t.Fatal(err)
			}
			// request is what the API does with Basic auth and with a token.
			request := func(secret string) error {
				ctx, err := svcs[0].WithGeneration(ctx)
				if err != nil {
					return err
				}
				a, err := svcs[0].AccountByHost(ctx, "acme.example.com", "example.com")
				if err != nil {
					return err
				}
				if !a.APIEnabled {
					return damask.Errorf(damask.EFORBIDDEN, "API off")
				}
				if secret != "right password" {
					_, err = svcs[0].AuthenticateBearer(ctx, a, secret, "192.0.2.1")
				} else {
					_, err = svcs[0].AuthenticateBasic(ctx, a, "bob", secret, "192.0.2.1")
				}
				return err
			}
			a, err := svcs[1].AccountByName(ctx, "acme")
			if err != nil {
				t.Fatal(err)
			}
			c, err := svcs[1].AuthenticateBasic(ctx, a, "bob", "right password", "192.0.2.9")
			if err != nil {
				t.Fatal(err)
			}
			tk, secret, _, err := svcs[1].CreateToken(ctx, c, library.TokenInput{Name: "t"}, damask.IdempotencyKey{})
			if err != nil {
				t.Fatal(err)
			}
			cred := "right password"
			if tt.name == "revoked token" {
				cred = secret
			}
			for i := range 2 { // the second from memory
				if err := request(cred); err != nil {
					t.Fatalf("request %d before the change: %v", i+1, err)
				}
			}
			tt.change(ctx, t, svcs[1], c, tk)
			if err := request(cred); damask.ErrorCode(err) != tt.code {
				t.Errorf("after the change: %v, want %s", err, tt.code)
			}
		})
	}
}
