package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"damask/forwarded"
	"damask/httpapi"
)

// TestCrossSite: unsafe requests that a browser says come from another
// site are refused before anything changes, whatever the credentials,
// but for Bearer calls from the origins the operator allows; clients that
// are not browsers, and the site itself, go on as before.
func TestCrossSite(t *testing.T) {
	const app = "https://app.example"
	origins, err := forwarded.ParseOrigins(app)
	if err != nil {
		t.Fatal(err)
	}
	e := newEnv(t, setup{cfg: httpapi.Config{CORSOrigins: origins}})
	tn := e.tenant(t, "acme", "deluxe")
	secret := str(tn.holder.newToken(t, "name", "app")["token"])
	bearer := tn.anon
	tags := func() string { return string(tn.holder.get(t, "/api/tags.json").body) }

	for _, tc := range []struct {
		name    string
		c       *client
		headers []string
		ok      bool
	}{
		{"no Origin (curl)", tn.holder, nil, true},
		{"same origin", tn.holder, []string{"Origin", "http://acme.example.com", "Sec-Fetch-Site", "same-origin"}, true},
		{"foreign Origin", tn.holder, []string{"Origin", "https://evil.example"}, false},
		{"another account's subdomain", tn.holder, []string{"Origin", "http://other.example.com", "Sec-Fetch-Site", "same-site"}, false},
		{"Sec-Fetch-Site cross-site", tn.holder, []string{"Sec-Fetch-Site", "cross-site"}, false},
		{"Origin null", tn.holder, []string{"Origin", "null"}, false},
		{"allowed origin, Basic", tn.holder, []string{"Origin", app, "Sec-Fetch-Site", "cross-site"}, false},
		{"allowed origin, Bearer", bearer, []string{"Origin", app, "Sec-Fetch-Site", "cross-site", "Authorization", "Bearer " + secret}, true},
		{"foreign Origin, Bearer", bearer, []string{"Origin", "https://evil.example", "Authorization", "Bearer " + secret}, false},
	} {
		t.Run(tc.name, func(t *testing.T) {
			name := "tag-" + strings.NewReplacer(" ", "-", ",", "").Replace(tc.name)
			before := tags()
			r := tc.c.send(t, "POST", "/api/tags.json", form("tag", name), tc.headers...)
			if !tc.ok {
				r.wantError(t, http.StatusForbidden, "")
				if strings.Contains(tc.name, "allowed origin") && !strings.Contains(string(r.body), "Bearer") {
					t.Errorf("the refusal does not say how: %s", r.body)
				}
				if r.header.Get("Access-Control-Allow-Origin") != "" {
					t.Errorf("a refusal carries Access-Control-Allow-Origin")
				}
				if after := tags(); after != before {
					t.Errorf("tags changed: %s", after)
				}
				return
			}
			r.want(t, http.StatusCreated)
			got := r.header.Get("Access-Control-Allow-Origin")
			if want := map[bool]string{true: app}[strings.Contains(tc.name, "Bearer")]; got != want {
				t.Errorf("Access-Control-Allow-Origin %q, want %q", got, want)
			}
		})
	}

	t.Run("preflight", func(t *testing.T) {
		r := tn.anon.do(t, "OPTIONS", "/api/tags.json", nil, "Origin", app,
			"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "authorization")
		r.want(t, http.StatusNoContent)
		h := r.header
		if h.Get("Access-Control-Allow-Origin") != app || !strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
			!strings.Contains(h.Get("Access-Control-Allow-Headers"), "Authorization") || !strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight answer: %v", h)
		}
		r = tn.anon.do(t, "OPTIONS", "/api/tags.json", nil, "Origin", "https://evil.example", "Access-Control-Request-Method", "POST")
		r.wantError(t, http.StatusForbidden, "--cors-origins")
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a foreign preflight got Access-Control-Allow-Origin")
		}
	})

	t.Run("reads", func(t *testing.T) {
		// A page of another site may make a browser read; it cannot see
		// the answer, which has no CORS header.
		r := tn.holder.get(t, "/api/tags.json", "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site").want(t, http.StatusOK)
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a foreign read got Access-Control-Allow-Origin")
		}
		r = tn.holder.get(t, "/api/tags.json", "Origin", app).want(t, http.StatusOK)
		if r.header.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a Basic read of an allowed origin got Access-Control-Allow-Origin")
		}
	})
}
