package httpapi_test

import (
	"strings"
	"testing"

	"damask/httpapi"
)

// TestHTTPS: when the server has HTTPS, API calls over plain HTTP to an
// account whose plan includes ssl are refused; plans without ssl answer.
func TestHTTPS(t *testing.T) {
	e := newEnv(t, setup{cfg: httpapi.Config{HTTPS: true, Proxies: loopback(t)}})
	deluxe := e.tenant(t, "acme", "deluxe")
	basic := e.tenant(t, "plain", "basic")
	for _, ext := range formats {
		deluxe.holder.get(t, "/api/account"+ext).wantError(t, 403, "HTTPS must be used")
		r := deluxe.holder.get(t, "/api/account"+ext, "X-Forwarded-Proto", "https").want(t, 200)
		if r.header.Get("Strict-Transport-Security") == "" {
			t.Errorf("no Strict-Transport-Security over HTTPS")
		}
		if got := r.obj(t)["subdomain"]; got != "acme" {
			t.Errorf("account %v", got)
		}
		basic.holder.get(t, "/api/account"+ext).want(t, 200)
	}
	// Without a trusted proxy, the header is not believed.
	e2 := newEnv(t, setup{cfg: httpapi.Config{HTTPS: true}})
	e2.tenant(t, "acme", "deluxe").holder.get(t, "/api/account.xml", "X-Forwarded-Proto", "https").wantError(t, 403, "HTTPS")
}

// TestJSONP: ?callback= wraps JSON only where the operator allows it, and
// only with a plain name.
func TestJSONP(t *testing.T) {
	off := newEnv(t, setup{}).tenant(t, "acme", "deluxe")
	r := off.holder.get(t, "/api/user.json?callback=cb").want(t, 200)
	if !strings.HasPrefix(string(r.body), "{") {
		t.Errorf("JSONP without the operator's consent: %s", r)
	}
	on := newEnv(t, setup{cfg: httpapi.Config{JSONP: true}}).tenant(t, "acme", "deluxe")
	r = on.holder.get(t, "/api/user.json?callback=cb").want(t, 200)
	if !strings.HasPrefix(string(r.body), "/**/cb({") || r.header.Get("Content-Type") != "application/javascript; charset=utf-8" {
		t.Errorf("JSONP: %s %q", r, r.header.Get("Content-Type"))
	}
	for _, bad := range []string{"alert(1)//", "a%3Cscript%3E", strings.Repeat("a", 65)} {
		if r := on.holder.get(t, "/api/user.json?callback="+bad).want(t, 200); !strings.HasPrefix(string(r.body), "{") {
			t.Errorf("callback %q taken: %s", bad, r)
		}
	}
	r = on.anon.get(t, "/api/user.json?callback=cb").want(t, 401)
	if !strings.HasPrefix(string(r.body), "/**/cb({\"errors\"") {
		t.Errorf("JSONP error: %s", r)
	}
	if r := on.holder.get(t, "/api/user.xml?callback=cb").want(t, 200); !strings.HasPrefix(string(r.body), "<?xml") {
		t.Errorf("XML wrapped: %s", r)
	}
}
