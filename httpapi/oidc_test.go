package httpapi_test

import (
	"strings"
	"testing"

	"damask/oidctest"
)

// TestOIDCSettings: the holder sets, reads and removes the account's
// OpenID Connect provider; the secret is never read back; nobody else may.
func TestOIDCSettings(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	issuer := oidctest.StartBad(t).URL
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			tn.holder.get(t, "/api/account/oidc"+ext).wantError(t, 404, "")
			set := form("issuer", issuer, "client_id", "damask", "client_secret", "s3cret-value",
				"domains", "acme.test, Example.COM", "auto_create", "member")
			r := tn.holder.send(t, "PUT", "/api/account/oidc"+ext, set).want(t, 200)
			if strings.Contains(string(r.body), "s3cret-value") {
				t.Errorf("the secret is read back: %s", string(r.body))
			}
			for _, want := range []string{issuer, "acme.test", "example.com", "member"} {
				if !strings.Contains(string(r.body), want) {
					t.Errorf("answer lacks %q: %s", want, string(r.body))
				}
			}
			got := tn.holder.get(t, "/api/account/oidc"+ext).want(t, 200)
			if strings.Contains(string(got.body), "s3cret-value") || !strings.Contains(string(got.body), issuer) {
				t.Errorf("GET: %s", string(got.body))
			}
			for _, role := range []string{"admin", "member", "guest"} {
				tn.role(role).get(t, "/api/account/oidc"+ext).wantError(t, 403, "")
				tn.role(role).send(t, "PUT", "/api/account/oidc"+ext, set).wantError(t, 403, "")
				tn.role(role).do(t, "DELETE", "/api/account/oidc"+ext, nil).wantError(t, 403, "")
			}
			for _, bad := range []payload{
				form("issuer", "http://id.acme.test", "client_id", "x", "domains", "acme.test"),
				form("issuer", "https://id.acme.test", "client_id", "", "domains", "acme.test"),
				form("issuer", "https://id.acme.test", "client_id", "x", "domains", ""),
				form("issuer", "https://id.acme.test", "client_id", "x", "domains", "acme.test", "auto_create", "holder"),
			} {
				tn.holder.send(t, "PUT", "/api/account/oidc"+ext, bad).wantError(t, 422, "")
			}
			tn.holder.do(t, "DELETE", "/api/account/oidc"+ext, nil).want(t, 200)
			tn.holder.get(t, "/api/account/oidc"+ext).wantError(t, 404, "")
		})
	}
}
