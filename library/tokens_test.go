package library_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// TestTokenShapedPassword: a password that looks like a token is still a
// password, and a token never signs in where only passwords may (the web
// sign-in's Authenticate).
func TestTokenShapedPassword(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	const odd = "dmk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: odd})
	if err != nil {
		t.Fatal(err)
	}
	c, err := svc.AuthenticateBasic(ctx, a, "ann", odd, "test")
	if err != nil || c.User.ID != holder.ID || c.Token != nil {
		t.Fatalf("token-shaped password: %+v, %v", c, err)
	}
	tk, secret, _, err := svc.CreateToken(ctx, library.Caller{Account: a, User: holder}, library.TokenInput{Name: "ci", ExpiresInDays: 1}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	if !tk.ExpiresAt.Equal(now.Add(24 * time.Hour)) {
		t.Errorf("ExpiresAt %v", tk.ExpiresAt)
	}
	c, err = svc.AuthenticateBasic(ctx, a, "ann@acme.test", secret, "test")
	if err != nil || c.Token == nil || c.Token.ID != tk.ID {
		t.Fatalf("token as Basic password: %+v, %v", c, err)
	}
	if _, err := svc.Authenticate(ctx, a, "ann", secret, "test"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		t.Errorf("Authenticate took a token: %v", err)
	}
	now = now.Add(24 * time.Hour)
	if _, err := svc.AuthenticateBearer(ctx, a, secret, "test"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		t.Errorf("expired token: %v", err)
	}
}

// TestPasswordChangeRevokes: a new password, set by the user, by an admin
// or by the operator, ends the user's web sessions and revokes their API
// tokens; another user's are untouched, and a token made afterwards works.
func TestPasswordChangeRevokes(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 11, 27, 12, 0, 0, 0, time.UTC)
	svc, _ := newService(t, &now)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "ann's password"})
	if err != nil {
		t.Fatal(err)
	}
	hc := library.Caller{Account: a, User: holder}
	pw := func(s string) *string { return &s }
	tests := []struct {
		name   string
		change func(u *damask.User) error
	}{
		{"by the user", func(u *damask.User) error {
			_, err := svc.UpdateUser(ctx, library.Caller{Account: a, User: u}, u.ID, library.UserChanges{Password: pw("a new password 1")})
			return err
		}},
		{"by an admin", func(u *damask.User) error {
			_, err := svc.UpdateUser(ctx, hc, u.ID, library.UserChanges{Password: pw("a new password 2")})
			return err
		}},
		{"by the operator", func(u *damask.User) error {
			_, err := svc.SetPassword(ctx, "acme", u.Login, "a new password 3")
			return err
		}},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			login := fmt.Sprintf("user%d", i)
			u, _, err := svc.CreateUser(ctx, hc, library.UserChanges{Login: pw(login), Email: pw(login + "@acme.test"), Password: pw("old password")}, damask.IdempotencyKey{})
			if err != nil {
				t.Fatal(err)
			}
			uc := library.Caller{Account: a, User: u}
			_, secret, _, err := svc.CreateToken(ctx, uc, library.TokenInput{Name: "ci"}, damask.IdempotencyKey{})
			if err != nil {
				t.Fatal(err)
			}
			_, session, err := svc.SignIn(ctx, a, login, "old password", library.Client{Source: "test"})
			if err != nil {
				t.Fatal(err)
			}
			_, hsecret, _, err := svc.CreateToken(ctx, hc, library.TokenInput{Name: "holder's"}, damask.IdempotencyKey{})
			if err != nil {
				t.Fatal(err)
			}
			if err := tt.change(u); err != nil {
				t.Fatalf("change password: %v", err)
			}
			if _, err := svc.AuthenticateBearer(ctx, a, secret, "test"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
				t.Errorf("token after the password changed: %v; want EUNAUTHORIZED", err)
			}
			if _, _, err := svc.Session(ctx, a, session); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
				t.Errorf("session after the password changed: %v; want EUNAUTHORIZED", err)
			}
			if _, err := svc.AuthenticateBearer(ctx, a, hsecret, "test"); err != nil {
				t.Errorf("another user's token: %v", err)
			}
			u, err = svc.User(ctx, hc, u.ID)
			if err != nil {
				t.Fatal(err)
			}
			_, fresh, _, err := svc.CreateToken(ctx, library.Caller{Account: a, User: u}, library.TokenInput{Name: "new"}, damask.IdempotencyKey{})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.AuthenticateBearer(ctx, a, fresh, "test"); err != nil {
				t.Errorf("token made after the change: %v", err)
			}
		})
	}
}
