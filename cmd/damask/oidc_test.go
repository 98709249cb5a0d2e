package main

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"

	"damask"
)

func TestAccountOIDC(t *testing.T) {
	c := newCLI(t)
	c.env["DAMASK_PASSWORD"] = "correct horse battery"
	c.must("", "account", "create", "acme", "--holder", "wile", "--email", "wile@acme.example", "--plan", "pro")
	secret := filepath.Join(t.TempDir(), "secret")
	if err := os.WriteFile(secret, []byte("s3cret\n"), 0o600); err != nil {
		t.Fatal(err)
	}
	c.must("", "account", "oidc", "acme", "--issuer", "https://id.acme.example", "--client-id", "damask",
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
	if got.Issuer != "https://id.acme.example" || got.ClientID != "damask" || got.ClientSecret != "s3cret" ||
		!slices.Equal(got.Domains, []string{"acme.example", "acme.org"}) || got.AutoCreate != damask.RoleGuest {
		t.Errorf("stored config %+v", got)
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
		"/api": "api", "/api/assets.xml": "api", "/p/abc": "api", "/metrics": "metrics", "/metrics/x": "web",
		"/": "web", "/signin": "web", "/auth/oidc/callback": "web", "/apiary": "web", "/static/damask.css": "web",
	} {
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, httptest.NewRequest(http.MethodGet, path, nil))
		if got := strings.TrimSpace(rec.Body.String()); got != want {
			t.Errorf("%s went to %s, want %s", path, got, want)
		}
	}
}
