package web_test

import (
	"net/http"
	"strings"
	"testing"

	"damask/library"
	"damask/oidctest"
)

// TestOIDCBadTokens: the checks of RELIABILITY 25 meet the ID tokens a
// sound provider never would: a wrong audience or issuer, an expired
// token, alg none, a signature by another key, another nonce.
func TestOIDCBadTokens(t *testing.T) {
	e := newEnv(t)
	op := oidctest.StartBad(t)
	if err := e.svc.SetOIDC(t.Context(), library.DefaultAccount, library.OIDCSettings{Issuer: op.URL,
		ClientID: oidctest.ClientID, ClientSecret: "x", Domains: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    oidctest.Mode
		ok      bool
		message string
	}{
		{oidctest.Good, true, ""},
		{oidctest.Audience, false, "ID token is not valid"},
		{oidctest.Issuer, false, "ID token is not valid"},
		{oidctest.Expired, false, "ID token is not valid"},
		{oidctest.AlgNone, false, "ID token is not valid"},
		{oidctest.OtherKey, false, "ID token is not valid"},
		{oidctest.Nonce, false, "nonce mismatch"},
	}
	for _, tt := range tests {
		t.Run(string(tt.mode), func(t *testing.T) {
			op.SetMode(tt.mode)
			b := e.browser(t)
			b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				if req.URL.Path == "/auth/oidc/callback" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			start := b.get("/auth/oidc")
			cb := start.header.Get("Location")
			if start.status != http.StatusFound || !strings.HasPrefix(cb, e.srv.URL+"/auth/oidc/callback?") {
				t.Fatalf("begin: status %d, Location %q", start.status, cb)
			}
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res := b.callback(cb)
			if tt.ok {
				if res.status != http.StatusSeeOther || !b.signedIn("ann") {
					t.Fatalf("good token: status %d:\n%s", res.status, res.body)
				}
				return
			}
			if res.status != http.StatusUnauthorized || !strings.Contains(res.body, tt.message) {
				t.Errorf("status %d, want 401 with %q:\n%s", res.status, tt.message, res.body)
			}
			if b.signedIn("ann") {
				t.Error("signed in")
			}
		})
	}
}
