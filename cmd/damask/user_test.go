package main

import (
	"bytes"
	"context"
	"log/slog"
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

// TestUserNames: the operator gives a user first and last names when
// adding it and changes them (and the e-mail and role) later; only the
// fields named change.
func TestUserNames(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "holder's password"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com", "--plan", "pro")
	c.must("", "user", "add", "acme", "ann", "--email", "ann@example.com", "--first-name", "Ann", "--last-name", "van der Berg")
	c.must("", "user", "add", "acme", "bob", "--email", "bob@example.com")
	c.env = map[string]string{}

	user := func(login string) *damask.User {
		t.Helper()
		lib := c.open()
		defer lib.Close()
		a, err := lib.svc.AccountByName(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		u, err := lib.db.UserByLogin(context.Background(), a.ID, login)
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	names := func(u *damask.User) [4]string { return [4]string{u.FirstName, u.LastName, u.Email, string(u.Role)} }
	if got, want := names(user("ann")), [4]string{"Ann", "van der Berg", "ann@example.com", "member"}; got != want {
		t.Errorf("ann after add: %q, want %q", got, want)
	}
	if got, want := names(user("bob")), [4]string{"", "", "bob@example.com", "member"}; got != want {
		t.Errorf("bob after add: %q, want %q", got, want)
	}

	steps := []struct {
		args []string
		want [4]string // ann's names, e-mail and role afterwards
		out  string
	}{
		{[]string{"--first-name", "Anna"}, [4]string{"Anna", "van der Berg", "ann@example.com", "member"}, `first name "Anna"`},
		{[]string{"--last-name", "Berg", "--role", "admin"}, [4]string{"Anna", "Berg", "ann@example.com", "admin"}, "role admin"},
		{[]string{"--email", "anna@example.com", "--first-name", ""}, [4]string{"", "Berg", "anna@example.com", "admin"}, `e-mail "anna@example.com"`},
	}
	for _, s := range steps {
		out := c.must("", append([]string{"user", "update", "acme", "ann"}, s.args...)...)
		if !strings.Contains(out, "User ann of account acme") || !strings.Contains(out, s.out) {
			t.Errorf("update %v: stdout %q, want %q", s.args, out, s.out)
		}
		if got := names(user("ann")); got != s.want {
			t.Errorf("after update %v: %q, want %q", s.args, got, s.want)
		}
	}
	// By e-mail as well as by login, as the other user commands.
	c.must("", "user", "update", "acme", "bob@example.com", "--last-name", "Builder")
	if got := user("bob").LastName; got != "Builder" {
		t.Errorf("bob's last name %q after an update by e-mail", got)
	}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"nothing", []string{"user", "update", "acme", "ann"}, 2, "name at least one field"},
		{"no-login", []string{"user", "update", "acme", "--first-name", "X"}, 2, "user update"},
		{"no-user", []string{"user", "update", "acme", "cy", "--first-name", "X"}, 1, "user cy"},
		{"taken", []string{"user", "update", "acme", "ann", "--email", "BOB@example.com"}, 1, "taken"},
		{"holder-role", []string{"user", "update", "acme", "boss", "--role", "member"}, 1, "one holder"},
		{"long", []string{"user", "update", "acme", "ann", "--last-name", strings.Repeat("x", 500)}, 1, "Last name is too long"},
		{"control", []string{"user", "add", "acme", "cy", "--email", "cy@example.com", "--first-name", "C\x07y"}, 1, "First name contains control"},
		{"password", []string{"user", "update", "acme", "ann", "--password-file", "x"}, 2, "not defined"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			c.env["DAMASK_PASSWORD"] = "cy's password"
			defer delete(c.env, "DAMASK_PASSWORD")
			r := c.run("", tt.args...)
			if r.code() != tt.code || r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("exit %d, err %v; want exit %d and an error with %q", r.code(), r.err, tt.code, tt.want)
			}
		})
	}
	if got, want := names(user("ann")), [4]string{"", "Berg", "anna@example.com", "admin"}; got != want {
		t.Errorf("ann after refused updates: %q, want %q", got, want)
	}
}

// TestAdminName: the first start names the default account's holder from
// DAMASK_ADMIN_NAME, the first word the first name and the rest the last,
// or leaves the names blank.
func TestAdminName(t *testing.T) {
	for _, tt := range []struct {
		name, env   string
		first, last string
	}{
		{"unset", "", "", ""},
		{"one-word", "Grace", "Grace", ""},
		{"two-words", "Grace Hopper", "Grace", "Hopper"},
		{"more-words", "  Ada   King  Lovelace ", "Ada", "King Lovelace"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			c := newCLI(t)
			lib := c.open()
			defer lib.Close()
			getenv := func(k string) string {
				return map[string]string{"DAMASK_ADMIN_NAME": tt.env, "DAMASK_ADMIN_PASSWORD": "admin's password"}[k]
			}
			var stdout bytes.Buffer
			env := environment{getenv: getenv, stdin: strings.NewReader(""), stdout: &stdout, stderr: &stdout}
			if err := prepareLibrary(context.Background(), lib.svc, env, slog.New(slog.DiscardHandler)); err != nil {
				t.Fatal(err)
			}
			a, err := lib.svc.AccountByName(context.Background(), library.DefaultAccount)
			if err != nil {
				t.Fatal(err)
			}
			u, err := lib.db.User(context.Background(), a.ID, a.HolderID)
			if err != nil {
				t.Fatal(err)
			}
			if u.Login != "admin" || u.FirstName != tt.first || u.LastName != tt.last {
				t.Errorf("holder %s named %q %q, want admin named %q %q", u.Login, u.FirstName, u.LastName, tt.first, tt.last)
			}
		})
	}
}
