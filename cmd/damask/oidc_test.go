package main

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"damask"
	"damask/oidctest"
	"damask/seal"
)

func TestAccountOIDC(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "correct horse battery"
	c.must("", "account", "create", "acme", "--holder", "wile", "--email", "wile@acme.example", "--plan", "pro")
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	// The provider's discovery document is read when the settings are
	// set: on 127.0.0.1, only where the operator allows it.
	issuer := oidctest.StartBad(t).URL
	r := c.run("", "account", "oidc", "acme", "--issuer", issuer, "--client-id", "damask",
		"--client-secret-file", secret, "--domains", "acme.example")
	if r.err == nil || !strings.Contains(r.err.Error(), "--allow-outgoing") {
		t.Errorf("a provider on 127.0.0.1 without --allow-outgoing: %v", r.err)
	}
	c.env["DAMASK_ALLOW_OUTGOING"] = "127.0.0.0/8"
	c.must("", "account", "oidc", "acme", "--issuer", issuer, "--client-id", "damask",
		"--client-secret-file", secret, "--domains", "acme.example, Acme.ORG", "--auto-create", "guest")

	config := func() (*damask.OIDCConfig, error) {
		lib := c.open()
		defer lib.Close()
		return lib.db.OIDCConfig(context.Background(), c.account("acme").ID)
	}
	got, err := config()
	if err != nil {
		t.Fatal(err)
	}
	if got.Issuer != issuer || got.ClientID != "damask" ||
		!slices.Equal(got.Domains, []string{"acme.example", "acme.org"}) || got.AutoCreate != damask.RoleGuest {
		t.Errorf("stored config %+v", got)
	}
	// The secret is sealed under the key made beside the database, with
	// the owner alone able to read it.
	if strings.Contains(got.ClientSecret, "s3cret") || !seal.Sealed(got.ClientSecret) {
		t.Errorf("client secret stored as %q, want it sealed", got.ClientSecret)
	}
	keyFile := filepath.Join(c.data, "secret.key")
	if fi, err := os.Stat(keyFile); err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("key file: %v, %v; want mode 0600", fi, err)
	}
	key, err := seal.ReadKeyFile(keyFile)
	if err != nil {
		t.Fatal(err)
	}
	if plain, err := key.Open(got.ClientSecret, fmt.Sprintf("damask oidc client secret\x00account %d", got.AccountID)); err != nil || plain != "s3cret" {
		t.Errorf("sealed secret opens to %q, %v", plain, err)
	}

	for _, bad := range [][]string{
		{"account", "oidc", "acme", "--issuer", "http://id.acme.example", "--client-id", "d", "--domains", "acme.example"},
		{"account", "oidc", "acme", "--issuer", "https://id.acme.example", "--client-id", "d", "--domains", "acme.example", "--auto-create", "holder"},
		{"account", "oidc", "nobody", "--issuer", "https://id.acme.example", "--client-id", "d", "--domains", "acme.example"},
	} {
		if r := c.run("", bad...); r.err == nil {
			t.Errorf("%v succeeded", bad)
		}
	}
	// A key in the environment that is no key is a clear error, not a
	// fallback to the key file.
	c.env["DAMASK_SECRET_KEY"] = "not a key"
	if r := c.run("", "account", "oidc", "acme", "--issuer", "https://id.acme.example", "--client-id", "d", "--domains", "acme.example"); r.err == nil || !strings.Contains(r.err.Error(), "DAMASK_SECRET_KEY") {
		t.Errorf("bad DAMASK_SECRET_KEY: %v", r.err)
	}
	delete(c.env, "DAMASK_SECRET_KEY")
	for _, usage := range [][]string{
		{"account", "oidc"},
		{"account", "oidc", "acme"},
		{"account", "oidc", "acme", "--issuer", "https://id.acme.example"},
		{"account", "oidc", "acme", "on"},
	} {
		if r := c.run("", usage...); r.code() != 2 {
			t.Errorf("%v: exit %d, want 2 (%v)", usage, r.code(), r.err)
		}
	}

	c.must("", "account", "oidc", "acme", "off")
	if _, err := config(); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("after off: %v, want not found", err)
	}
}

func TestRoutes(t *testing.T) {
	api := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("api")) })
	pages := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("web")) })
	metrics := http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("metrics")) })
	h := routes(api, metrics, pages)
	for path, want := range map[string]string{
		"/api": "api", "/api/assets.xml": "api", "/p/abc": "api", "/t/1-abc/0123456789abcdef_64.jpg": "api", "/tiles": "web", "/metrics": "metrics", "/metrics/x": "web",
		"/": "web", "/signin": "web", "/auth/oidc/callback": "web", "/apiary": "web", "/static/damask.css": "web",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("%s went to %s, want %s", path, got, want)
		}
	}
}
