package library_test

import (
	"context"
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
	tk, secret, err := svc.CreateToken(ctx, library.Caller{Account: a, User: holder}, library.TokenInput{Name: "ci", ExpiresInDays: 1})
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
