package main

import (
	"context"
	"os"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// TestUserPasswordDisableEnable: the operator resets a password and
// switches a user off and on, and a server already running (here a
// library opened before, with its credentials cached) follows at once.
func TestUserPasswordDisableEnable(t *testing.T) {
	ctx := context.Background()
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "holder's password"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com", "--plan", "pro")
	c.env["DAMASK_PASSWORD"] = "first password"
	c.must("", "user", "add", "acme", "ann", "--email", "ann@example.com")

	// The running server: ann signs in, which caches her credentials, and
	// makes a token.
	srv := c.open()
	defer srv.Close()
	a, err := srv.svc.AccountByName(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	signIn := func(login, pw string) error {
		t.Helper()
		_, err := srv.svc.Authenticate(ctx, a, login, pw, "test")
		if err != nil && damask.ErrorCode(err) != damask.EUNAUTHORIZED {
			t.Fatal(err)
		}
		return err
	}
	ann, err := srv.svc.Authenticate(ctx, a, "ann", "first password", "test")
	if err != nil {
		t.Fatal(err)
	}
	_, secret, _, err := srv.svc.CreateToken(ctx, library.Caller{Account: a, User: ann}, library.TokenInput{Name: "ci"}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	useToken := func() error {
		t.Helper()
		_, err := srv.svc.AuthenticateBearer(ctx, a, secret, "test")
		if err != nil && damask.ErrorCode(err) != damask.EUNAUTHORIZED {
			t.Fatal(err)
		}
		return err
	}

	// password, from standard input, a file and the environment
	c.env = map[string]string{}
	out := c.must("second password\n", "user", "password", "acme", "ann")
	if !strings.Contains(out, "Set the password of ann in account acme") || !strings.Contains(out, "API tokens are ended") {
		t.Errorf("stdout: %q", out)
	}
	if signIn("ann", "first password") == nil {
		t.Error("the old password still works after a reset")
	}
	if signIn("ann", "second password") != nil || signIn("ann@example.com", "second password") != nil {
		t.Error("the new password does not work")
	}
	// The reset revokes the token made with the old password; a token
	// made afterwards works.
	if useToken() == nil {
		t.Error("a token outlived a password reset")
	}
	ann, err = srv.svc.Authenticate(ctx, a, "ann", "second password", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, _, err = srv.svc.CreateToken(ctx, library.Caller{Account: a, User: ann}, library.TokenInput{Name: "ci"}, damask.IdempotencyKey{}); err != nil {
		t.Fatal(err)
	}
	if useToken() != nil {
		t.Error("a token made after the reset does not work")
	}
	file := t.TempDir() + "/pw"
	if err := os.WriteFile(file, []byte("third password\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "user", "password", "acme", "ANN@example.com", "--password-file", file)
	if signIn("ann", "second password") == nil || signIn("ann", "third password") != nil {
		t.Error("--password-file: the password did not change")
	}
	ann, err = srv.svc.Authenticate(ctx, a, "ann", "third password", "test")
	if err != nil {
		t.Fatal(err)
	}
	if _, secret, _, err = srv.svc.CreateToken(ctx, library.Caller{Account: a, User: ann}, library.TokenInput{Name: "ci"}, damask.IdempotencyKey{}); err != nil {
		t.Fatal(err)
	}

	// disable and enable
	out = c.must("", "user", "disable", "acme", "ann")
	if !strings.Contains(out, "User ann of account acme is disabled") {
		t.Errorf("stdout: %q", out)
	}
	if signIn("ann", "third password") == nil {
		t.Error("a disabled user signs in with cached credentials")
	}
	if useToken() == nil {
		t.Error("a disabled user's token works")
	}
	c.must("", "user", "enable", "acme", "ann")
	if signIn("ann", "third password") != nil || useToken() != nil {
		t.Error("an enabled user cannot sign in")
	}

	// The operator's changes are in the audit log, as the operator's.
	boss, err := srv.svc.Authenticate(ctx, a, "boss", "holder's password", "test")
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := srv.svc.Audit(ctx, library.Caller{Account: a, User: boss}, damask.Page{Number: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, e := range events {
		if e.Source == "operator" && e.UserID == 0 {
			got = append(got, e.Action+" "+e.Detail)
		}
	}
	want := []string{"user_changed enabled", "user_changed disabled", "token_revoked password changed", "password_set ", "token_revoked password changed", "password_set "}
	if strings.Join(got, "|") != strings.Join(want, "|") {
		t.Errorf("operator events %q, want %q", got, want)
	}

	tests := []struct {
		name string
		env  map[string]string
		args []string
		code int
		want string
	}{
		{"short password", map[string]string{"DAMASK_PASSWORD": "short"}, []string{"user", "password", "acme", "ann"}, 1, "Password"},
		{"no password", nil, []string{"user", "password", "acme", "ann"}, 2, "no password"},
		{"unknown user", map[string]string{"DAMASK_PASSWORD": "long enough"}, []string{"user", "password", "acme", "nobody"}, 1, "user nobody"},
		{"unknown account", nil, []string{"user", "disable", "nosuch", "ann"}, 1, "account nosuch"},
		{"holder", nil, []string{"user", "disable", "acme", "boss"}, 1, "holder cannot be disabled"},
		{"no login", nil, []string{"user", "enable", "acme"}, 2, "user disable|enable"},
		{"extra argument", nil, []string{"user", "password", "acme", "ann", "more"}, 2, "user password"},
		{"email flag on disable", nil, []string{"user", "disable", "acme", "ann", "--email", "x@example.com"}, 2, ""},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			c.env = tt.env
			if c.env == nil {
				c.env = map[string]string{}
			}
			r := c.run("", tt.args...)
			if r.code() != tt.code || r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("exit %d, err %v; want exit %d and an error with %q", r.code(), r.err, tt.code, tt.want)
			}
		})
	}
	if signIn("ann", "third password") != nil {
		t.Error("a refused command changed ann")
	}
}
