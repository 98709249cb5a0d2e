package main

import (
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// The operator's commands, run through run() as main does, on a data
// folder of the test's own.

type cli struct {
	t    *testing.T
	data string
	env  map[string]string
}

func newCLI(t *testing.T) *cli {
	return &cli{t: t, data: t.TempDir(), env: map[string]string{}}
}

type result struct {
	stdout, stderr string
	err            error
}

func (r result) code() int {
	if r.err == nil {
		return 0
	}
	return exitCode(r.err)
}

// run runs the command with --data pointing at the test's folder (unless
// the environment names one) and the given standard input.
func (c *cli) run(stdin string, args ...string) result {
	c.t.Helper()
	if _, ok := c.env["DAMASK_DATA"]; !ok && len(args) > 0 && args[0] != "help" {
		args = append(args, "--data", c.data)
	}
	return c.runRaw(stdin, args...)
}

func (c *cli) runRaw(stdin string, args ...string) result {
	c.t.Helper()
	var stdout, stderr bytes.Buffer
	getenv := func(k string) string { return c.env[k] }
	err := run(context.Background(), args, getenv, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

// must runs a command that has to succeed.
func (c *cli) must(stdin string, args ...string) string {
	c.t.Helper()
	r := c.run(stdin, args...)
	if r.err != nil {
		c.t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", args, r.err, r.stdout, r.stderr)
	}
	return r.stdout
}

// open opens the test's library directly, to look at what a command did.
func (c *cli) open() *openLibrary {
	c.t.Helper()
	st := storage{data: c.data, maxFile: library.DefaultMaxFileSize, logLevel: "error"}
	lib, err := st.open(context.Background(), st.logger(&bytes.Buffer{}))
	if err != nil {
		c.t.Fatal(err)
	}
	return lib
}

func (c *cli) account(name string) *damask.Account {
	c.t.Helper()
	lib := c.open()
	defer lib.Close()
	a, err := lib.svc.AccountByName(context.Background(), name)
	if err != nil {
		c.t.Fatalf("account %s: %v", name, err)
	}
	return a
}

// signIn tells whether login and password open the account.
func (c *cli) signIn(account, login, pw string) bool {
	c.t.Helper()
	lib := c.open()
	defer lib.Close()
	ctx := context.Background()
	a, err := lib.svc.AccountByName(ctx, account)
	if err != nil {
		c.t.Fatal(err)
	}
	u, err := lib.svc.Authenticate(ctx, a, login, pw, "test")
	if err != nil && damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		c.t.Fatal(err)
	}
	return u != nil
}

func TestAccountCreatePassword(t *testing.T) {
	c := newCLI(t)
	pwFile := filepath.Join(t.TempDir(), "pw")
	if err := os.WriteFile(pwFile, []byte("from the file\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, stdin, env string
		args             []string
		password         string
	}{
		{name: "env", env: "from the environment", password: "from the environment"},
		{name: "file", args: []string{"--password-file", pwFile}, password: "from the file"},
		{name: "stdin", stdin: "from standard input\r\nignored\n", password: "from standard input"},
		{name: "stdin-no-newline", stdin: "typed at the end", password: "typed at the end"},
		// The environment wins over the file, as the design orders them.
		{name: "env-over-file", env: "the environment wins", args: []string{"--password-file", pwFile}, password: "the environment wins"},
	}
	for i, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			c.env = map[string]string{}
			if tt.env != "" {
				c.env["DAMASK_PASSWORD"] = tt.env
			}
			name := "acme" + strconv.Itoa(i)
			args := append([]string{"account", "create", name, "--holder", "boss", "--email", "boss@example.com", "--plan", "pro"}, tt.args...)
			out := c.must(tt.stdin, args...)
			if !strings.Contains(out, "Created account "+name+" (plan pro, API off) with holder boss") {
				t.Errorf("stdout: %q", out)
			}
			a := c.account(name)
			if a.Plan != "pro" || a.APIEnabled {
				t.Errorf("account %+v: want plan pro with the API off", a)
			}
			if !c.signIn(name, "boss", tt.password) {
				t.Errorf("the holder cannot sign in with %q", tt.password)
			}
			if c.signIn(name, "boss", tt.password+"x") {
				t.Errorf("the holder signs in with a wrong password")
			}
		})
	}
}

func TestAccountCreateErrors(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "long enough"
	c.must("", "account", "create", "taken", "--holder", "boss", "--email", "boss@example.com")
	tests := []struct {
		name  string
		stdin string
		env   map[string]string
		args  []string
		code  int
		want  string // in the error
	}{
		{"no-password", "", map[string]string{}, []string{"account", "create", "x", "--holder", "a", "--email", "a@example.com"}, 2, "no password"},
		{"missing-file", "", map[string]string{}, []string{"account", "create", "x", "--holder", "a", "--email", "a@example.com", "--password-file", "/no/such/file"}, 1, "password file"},
		{"short-password", "", map[string]string{"DAMASK_PASSWORD": "short"}, []string{"account", "create", "x", "--holder", "a", "--email", "a@example.com"}, 1, "Password must be"},
		{"no-holder", "", nil, []string{"account", "create", "x", "--email", "a@example.com"}, 2, "--holder"},
		{"bad-name", "", nil, []string{"account", "create", "Not A Subdomain", "--holder", "a", "--email", "a@example.com"}, 1, "subdomain"},
		{"unknown-plan", "", nil, []string{"account", "create", "x", "--holder", "a", "--email", "a@example.com", "--plan", "gold"}, 1, `Plan "gold" does not exist`},
		{"taken", "", nil, []string{"account", "create", "taken", "--holder", "a", "--email", "a@example.com"}, 1, "already been taken"},
		{"bad-email", "", nil, []string{"account", "create", "x", "--holder", "a", "--email", "nobody"}, 1, "Email is invalid"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			savedEnv := c.env
			if tt.env != nil {
				c.env = tt.env
			}
			defer func() { c.env = savedEnv }()
			r := c.run(tt.stdin, tt.args...)
			if r.code() != tt.code || r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("exit %d, err %v; want exit %d and an error with %q", r.code(), r.err, tt.code, tt.want)
			}
		})
	}
	// None of the failures left an account behind.
	lib := c.open()
	defer lib.Close()
	as, err := lib.db.Accounts(context.Background())
	if err != nil {
		t.Fatal(err)
	}
	if len(as) != 1 {
		t.Errorf("%d accounts, want only the one created", len(as))
	}
}

func TestAccountAPIAndPlan(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "long enough"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com")

	if out := c.must("", "account", "api", "acme", "on"); !strings.Contains(out, "The API of account acme is on.") {
		t.Errorf("stdout: %q", out)
	}
	if !c.account("acme").APIEnabled {
		t.Error("API still off after account api acme on")
	}
	c.must("", "account", "api", "acme", "off")
	if c.account("acme").APIEnabled {
		t.Error("API still on after account api acme off")
	}

	if out := c.must("", "account", "plan", "acme", "deluxe"); !strings.Contains(out, "Account acme is on the deluxe plan.") {
		t.Errorf("stdout: %q", out)
	}
	if p := c.account("acme").Plan; p != "deluxe" {
		t.Errorf("plan %q, want deluxe", p)
	}

	r := c.run("", "account", "plan", "acme", "gold")
	if r.code() != 1 || !strings.Contains(r.err.Error(), `Plan "gold" does not exist`) {
		t.Errorf("unknown plan: exit %d, %v", r.code(), r.err)
	}
	if p := c.account("acme").Plan; p != "deluxe" {
		t.Errorf("plan %q after a refused change, want deluxe", p)
	}
	r = c.run("", "account", "api", "nosuch", "on")
	if r.code() != 1 || damask.ErrorCode(r.err) != damask.ENOTFOUND {
		t.Errorf("unknown account: exit %d, %v", r.code(), r.err)
	}
	r = c.run("", "account", "api", "acme", "maybe")
	if r.code() != 2 {
		t.Errorf("api maybe: exit %d, %v; want 2", r.code(), r.err)
	}
}

func TestUserAdd(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "holder's password"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com", "--plan", "pro")

	c.env = map[string]string{}
	out := c.must("member's password\n", "user", "add", "acme", "ann", "--email", "ann@example.com")
	if !strings.Contains(out, "Added ann (member) to account acme") {
		t.Errorf("stdout: %q", out)
	}
	c.env["DAMASK_PASSWORD"] = "admin's password"
	out = c.must("", "user", "add", "acme", "bob", "--email", "bob@example.com", "--role", "admin")
	if !strings.Contains(out, "Added bob (admin) to account acme") {
		t.Errorf("stdout: %q", out)
	}
	if !c.signIn("acme", "ann", "member's password") || !c.signIn("acme", "bob@example.com", "admin's password") {
		t.Error("the new users cannot sign in")
	}

	tests := []struct {
		name string
		args []string
		code int
		want string
	}{
		{"taken", []string{"user", "add", "acme", "ANN", "--email", "other@example.com"}, 1, "Login has already been taken"},
		{"holder-role", []string{"user", "add", "acme", "cy", "--email", "cy@example.com", "--role", "holder"}, 1, "one holder"},
		{"bad-role", []string{"user", "add", "acme", "cy", "--email", "cy@example.com", "--role", "king"}, 1, "Role must be"},
		{"no-email", []string{"user", "add", "acme", "cy"}, 2, "user add"},
		{"no-login", []string{"user", "add", "acme", "--email", "cy@example.com"}, 2, "user add"},
		{"no-account", []string{"user", "add", "nosuch", "cy", "--email", "cy@example.com"}, 1, "account nosuch"},
		{"not-add", []string{"user", "remove", "acme", "ann"}, 2, "user add"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			r := c.run("", tt.args...)
			if r.code() != tt.code || r.err == nil || !strings.Contains(r.err.Error(), tt.want) {
				t.Errorf("exit %d, err %v; want exit %d and an error with %q", r.code(), r.err, tt.code, tt.want)
			}
		})
	}
}

// addAsset stores a file as an asset of the account through the library
// service, as the API would.
func addAsset(t *testing.T, c *cli, account, filename string, content []byte) *damask.Asset {
	t.Helper()
	ctx := context.Background()
	lib := c.open()
	defer lib.Close()
	a, err := lib.svc.AccountByName(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := lib.db.User(ctx, a.ID, a.HolderID)
	if err != nil {
		t.Fatal(err)
	}
	caller := library.Caller{Account: a, User: holder}
	f, err := lib.svc.ReceiveFile(ctx, caller, library.FileInput{Body: bytes.NewReader(content), Filename: filename, Length: int64(len(content))})
	if err != nil {
		t.Fatal(err)
	}
	asset, err := lib.svc.CreateAsset(ctx, caller, library.AssetInput{File: f})
	if err != nil {
		t.Fatal(err)
	}
	return asset
}

func trashAsset(t *testing.T, c *cli, account string, id int64) {
	t.Helper()
	ctx := context.Background()
	lib := c.open()
	defer lib.Close()
	a, err := lib.svc.AccountByName(ctx, account)
	if err != nil {
		t.Fatal(err)
	}
	holder, err := lib.db.User(ctx, a.ID, a.HolderID)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := lib.svc.DeleteAsset(ctx, library.Caller{Account: a, User: holder}, id); err != nil {
		t.Fatal(err)
	}
}

func TestTrash(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "long enough"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com")
	c.must("", "account", "create", "other", "--holder", "boss", "--email", "boss@example.com")
	kept := addAsset(t, c, "acme", "kept.txt", []byte("kept\n"))
	gone := addAsset(t, c, "acme", "report.txt", []byte("the report\n"))
	trashAsset(t, c, "acme", gone.ID)

	if out := c.must("", "trash", "list", "other"); out != "" {
		t.Errorf("trash of another account: %q", out)
	}
	out := c.must("", "trash", "list", "acme")
	id := strconv.FormatInt(gone.ID, 10)
	if !strings.HasPrefix(out, id+"\treport\treport.txt\t11 bytes\tdeleted ") || strings.Count(out, "\n") != 1 {
		t.Errorf("trash list: %q", out)
	}

	// Another account's asset, a live one and a missing one are not found.
	for _, args := range [][]string{
		{"trash", "restore", "other", id},
		{"trash", "restore", "acme", strconv.FormatInt(kept.ID, 10)},
		{"trash", "restore", "acme", "999"},
	} {
		if r := c.run("", args...); r.code() != 1 || damask.ErrorCode(r.err) != damask.ENOTFOUND {
			t.Errorf("%v: exit %d, %v; want not found", args, r.code(), r.err)
		}
	}

	if out := c.must("", "trash", "restore", "acme", id); out != "Restored asset "+id+".\n" {
		t.Errorf("trash restore: %q", out)
	}
	if out := c.must("", "trash", "list", "acme"); out != "" {
		t.Errorf("trash after restore: %q", out)
	}
	lib := c.open()
	if _, err := lib.db.Asset(context.Background(), gone.AccountID, gone.ID); err != nil {
		t.Errorf("restored asset: %v", err)
	}
	lib.Close()

	trashAsset(t, c, "acme", gone.ID)
	if out := c.must("", "trash", "empty", "acme"); !strings.HasPrefix(out, "Removed 1 assets for good") {
		t.Errorf("trash empty: %q", out)
	}
	if out := c.must("", "trash", "list", "acme"); out != "" {
		t.Errorf("trash after empty: %q", out)
	}
	if r := c.run("", "trash", "restore", "acme", id); damask.ErrorCode(r.err) != damask.ENOTFOUND {
		t.Errorf("restore after empty: %v", r.err)
	}
	// The emptied asset's file is no longer checked; the kept one is.
	if out := c.must("", "check"); !strings.Contains(out, "ok: database intact, 1 stored files") {
		t.Errorf("check: %q", out)
	}

	for _, args := range [][]string{
		{"trash"},
		{"trash", "list"},
		{"trash", "burn", "acme"},
		{"trash", "restore", "acme"},
		{"trash", "restore", "acme", "one"},
	} {
		if r := c.run("", args...); r.code() != 2 {
			t.Errorf("%v: exit %d, %v; want 2", args, r.code(), r.err)
		}
	}
}

func TestCheck(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "long enough"

	// An empty folder is fine, and check makes it.
	if out := c.must("", "check"); !strings.Contains(out, "ok: database intact, 0 stored files") {
		t.Errorf("check of an empty folder: %q", out)
	}
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com")
	a1 := addAsset(t, c, "acme", "one.bin", bytes.Repeat([]byte("one "), 1000))
	a2 := addAsset(t, c, "acme", "two.bin", bytes.Repeat([]byte("two "), 1000))
	addAsset(t, c, "acme", "same.bin", bytes.Repeat([]byte("two "), 1000)) // the same bytes: one file
	if out := c.must("", "check"); !strings.Contains(out, "ok: database intact, 2 stored files match their SHA-256") {
		t.Errorf("check: %q", out)
	}

	// One flipped byte in a stored file: check fails and names it.
	path := func(ref damask.BlobRef) string {
		s := ref.String()
		return filepath.Join(c.data, "blobs", s[0:2], s)
	}
	b, err := os.ReadFile(path(a1.Blob))
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x01
	if err := os.WriteFile(path(a1.Blob), b, 0o600); err != nil {
		t.Fatal(err)
	}
	r := c.run("", "check")
	if r.code() != 1 || !strings.Contains(r.err.Error(), "1 of 2 stored files are damaged") {
		t.Errorf("check of a flipped byte: exit %d, %v", r.code(), r.err)
	}
	if want := "DAMAGED " + a1.Blob.String() + ": content does not match its SHA-256\n"; r.stdout != want {
		t.Errorf("check of a flipped byte printed %q, want %q", r.stdout, want)
	}

	// A missing file and a truncated one are named too.
	if err := os.Remove(path(a2.Blob)); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path(a1.Blob), b[:10], 0o600); err != nil {
		t.Fatal(err)
	}
	r = c.run("", "check")
	if r.code() != 1 || !strings.Contains(r.err.Error(), "2 of 2 stored files are damaged") {
		t.Errorf("check of a missing file: exit %d, %v", r.code(), r.err)
	}
	for _, want := range []string{
		"DAMAGED " + a2.Blob.String() + ": missing\n",
		"DAMAGED " + a1.Blob.String() + ": size 10, recorded 4000\n",
	} {
		if !strings.Contains(r.stdout, want) {
			t.Errorf("check printed %q, want it to hold %q", r.stdout, want)
		}
	}

	if r := c.run("", "check", "extra", "--bogus"); r.code() != 2 {
		t.Errorf("check --bogus: exit %d, %v; want 2", r.code(), r.err)
	}
}

func TestEnvironmentFlags(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_DATA"] = c.data
	c.env["DAMASK_PASSWORD"] = "long enough"
	c.env["DAMASK_PLAN"] = "private"
	c.must("", "account", "create", "acme", "--holder", "boss", "--email", "boss@example.com")
	if _, err := os.Stat(filepath.Join(c.data, "damask.db")); err != nil {
		t.Fatalf("DAMASK_DATA was not used: %v", err)
	}
	if p := c.account("acme").Plan; p != "private" {
		t.Errorf("plan %q; DAMASK_PLAN=private was not used", p)
	}

	// A flag given wins over its variable, wherever it stands among the
	// positional arguments.
	other := t.TempDir()
	c.must("", "account", "create", "--data", other, "beta", "--holder", "boss", "--email", "boss@example.com", "--plan", "pro")
	c.must("", "account", "create", "gamma", "--holder", "boss", "--email", "boss@example.com", "--data", other)
	c2 := &cli{t: t, data: other}
	if p := c2.account("beta").Plan; p != "pro" {
		t.Errorf("plan %q, want the flag's pro", p)
	}
	c2.account("gamma")
	lib := c.open()
	if _, err := lib.svc.AccountByName(context.Background(), "beta"); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("beta went to DAMASK_DATA despite --data: %v", err)
	}
	lib.Close()

	// An environment value a flag cannot take is a usage error.
	c.env["DAMASK_MAX_FILE_SIZE"] = "lots"
	r := c.run("", "check")
	if r.code() != 2 || !strings.Contains(r.err.Error(), "DAMASK_MAX_FILE_SIZE") {
		t.Errorf("bad DAMASK_MAX_FILE_SIZE: exit %d, %v", r.code(), r.err)
	}
}

func TestUsageErrors(t *testing.T) {
	c := newCLI(t)
	tests := []struct {
		name string
		args []string
	}{
		{"no-command", nil},
		{"unknown-command", []string{"frobnicate"}},
		{"account-alone", []string{"account"}},
		{"account-unknown", []string{"account", "delete", "acme"}},
		{"account-api-no-state", []string{"account", "api", "acme", "--data", c.data}},
		{"account-plan-no-plan", []string{"account", "plan", "acme", "--data", c.data}},
		{"unknown-flag", []string{"account", "api", "acme", "on", "--colour", "red"}},
		{"flag-without-value", []string{"check", "--data"}},
		{"bad-number", []string{"check", "--data", c.data, "--max-file-size", "big"}},
		{"file-size-over-1TiB", []string{"check", "--data", c.data, "--max-file-size", "1099511627777"}},
		{"file-size-zero", []string{"check", "--data", c.data, "--max-file-size", "0"}},
		{"user-alone", []string{"user"}},
		{"serve-tls-half", []string{"serve", "--data", c.data, "--tls-cert", "cert.pem"}},
		{"serve-bad-flag", []string{"serve", "--port", "80"}},
		{"serve-bad-reserve", []string{"serve", "--data", c.data, "--disk-reserve", "5 parsecs"}},
		{"serve-bad-reserve-percent", []string{"serve", "--data", c.data, "--disk-reserve", "120%"}},
		{"serve-bad-cors-origin", []string{"serve", "--data", c.data, "--cors-origins", "https://app.example.com,app.example.com"}},
		{"serve-cors-origin-path", []string{"serve", "--data", c.data, "--cors-origins", "https://app.example.com/app"}},
		{"serve-proxies-without-trust", []string{"serve", "--data", c.data, "--trusted-proxies", "10.0.0.0/8"}},
		{"serve-bad-proxies", []string{"serve", "--data", c.data, "--trust-proxy", "--trusted-proxies", "10.0.0.0/33"}},
		{"db-other-scheme", []string{"check", "--data", c.data, "--db", "mysql://localhost/damask"}},
		{"blobs-other-scheme", []string{"check", "--data", c.data, "--blobs", "ftp://host/bucket"}},
		{"serve-smtp-without-from", []string{"serve", "--data", c.data, "--smtp", "smtp://u:pw@mail.example.org"}},
		{"worker-smtp-other-scheme", []string{"worker", "--data", c.data, "--smtp", "imap://mail.example.org?from=d@example.org"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			saved := c.t
			c.t = t
			defer func() { c.t = saved }()
			r := c.runRaw("", tt.args...)
			if r.err == nil || r.code() != 2 {
				t.Errorf("exit %d, err %v; want 2", r.code(), r.err)
			}
			var ue usageError
			if !errors.As(r.err, &ue) {
				t.Errorf("%T is not a usage error", r.err)
			}
		})
	}
	r := c.runRaw("", "help")
	if r.err != nil || !strings.Contains(r.stdout, "damask account create NAME") {
		t.Errorf("help: %v, %q", r.err, r.stdout)
	}
	if r := c.runRaw(""); !strings.Contains(r.stderr, "damask serve") {
		t.Errorf("no command printed no usage: %q", r.stderr)
	}
}
