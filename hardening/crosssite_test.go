package hardening

import (
	"io"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR38_CrossSiteAPI: a page of another site makes the browser of a
// signed-in admin send unsafe requests to the API with the Basic
// credentials the browser remembered (a form posted to create an admin,
// a multipart upload, a new asset, a PUT, a DELETE, a text/plain form),
// saying so with a foreign Origin, "Origin: null", Sec-Fetch-Site
// cross-site, or same-site from another account's subdomain: each is 403
// in the API's error format and nothing changes. The same requests
// without those headers (curl, scripts) or from the site itself work. With
// --cors-origins, the allowed origin's preflight is answered and its
// Bearer calls work; its Basic calls (the password, or a token as the
// Basic password) and another origin's Bearer calls are refused.
func TestR38_CrossSiteAPI(t *testing.T) {
	const (
		domain = "damask.test"
		app    = "https://app.example.test"
	)
	l := start(t, "--rate", "0", "--domain", domain, "--cors-origins", "https://other.example.test, "+app)
	admin := l.createAccount(t, "acme", domain)
	self := "http://acme." + domain
	as := idOf(t, admin.Form(http.StatusCreated, "POST", "/api/assets.json", "victim.txt", []byte("a file another site wants gone")))
	_, userID := addUser(t, admin, "kept-user", "member")
	secret, _ := newToken(t, admin, "name", "app")
	waitProcessed(t, admin, as) // its document stays still from now on

	lastUsed := regexp.MustCompile(`"last_used_on":[^,]*`)
	snapshot := func() string {
		var s strings.Builder
		for _, p := range []string{"/api/account.json", "/api/assets.json", "/api/tags.json", "/api/users.json", "/api/tokens.json"} {
			_, b := admin.Do("GET", p, "", nil)
			s.Write(lastUsed.ReplaceAll(b, nil))
		}
		s.WriteString(strconv.Itoa(l.blobCount(t)))
		return s.String()
	}

	form := "application/x-www-form-urlencoded"
	upload, uploadType := multipartFile("planted.txt", "", []byte("planted by another site"))
	type call struct{ name, method, path, ct, body string }
	calls := []call{
		{"form creating an admin", "POST", "/api/users.xml", form, "login=eve&email=eve@evil.test&password=eve+password+long&role=admin"},
		{"nested form creating an admin", "POST", "/api/users.json", form, "user[login]=eve&user[email]=eve@evil.test&user[password]=eve+password+long&user[role]=admin"},
		{"multipart upload", "POST", "/api/upload.json", uploadType, string(upload)},
		{"multipart new asset", "POST", "/api/assets.json", uploadType, string(upload)},
		{"text/plain form making a token", "POST", "/api/tokens.json", "text/plain", "name=stolen"},
		{"PUT on an asset", "PUT", "/api/assets/" + as + ".json", form, "title=defaced&public_link=true"},
		{"PUT on the account", "PUT", "/api/account.xml", form, "company_name=Hijacked&api_enabled=false"},
		{"PATCH on an asset", "PATCH", "/api/assets/" + as + ".json", form, "title=defaced"},
		{"DELETE of an asset", "DELETE", "/api/assets/" + as + ".json", "", ""},
		{"DELETE of a user", "DELETE", "/api/users/" + userID + ".xml", "", ""},
	}
	send := func(c servertest.Client, k call, headers ...string) (int, http.Header, []byte) {
		t.Helper()
		var body io.Reader
		if k.body != "" {
			body = strings.NewReader(k.body)
		}
		return c.Request(k.method, k.path, k.ct, body, headers...)
	}
	refused := func(t *testing.T, k call, st int, h http.Header, b []byte) {
		t.Helper()
		// For being cross-site, not for anything else (the API switched
		// off by an earlier request, say).
		if st != http.StatusForbidden || !strings.Contains(string(b), "browser") {
			t.Errorf("status %d, want 403 for a request from another site: %s", st, b)
		}
		if strings.HasSuffix(k.path, ".json") && !strings.HasPrefix(string(b), `{"errors":[`) ||
			strings.HasSuffix(k.path, ".xml") && !strings.Contains(string(b), "<errors><error>") {
			t.Errorf("not the API's error format: %s", b)
		}
		if h.Get("Access-Control-Allow-Origin") != "" {
			t.Errorf("a refusal carries Access-Control-Allow-Origin: %s", h.Get("Access-Control-Allow-Origin"))
		}
	}

	before := snapshot()
	for _, from := range []struct {
		name    string
		headers []string
	}{
		{"foreign Origin", []string{"Origin", "https://evil.example"}},
		{"foreign Origin, cross-site", []string{"Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site"}},
		{"Sec-Fetch-Site cross-site", []string{"Sec-Fetch-Site", "cross-site"}},
		{"another account's subdomain, same-site", []string{"Origin", "http://bravo." + domain, "Sec-Fetch-Site", "same-site"}},
		{"Sec-Fetch-Site same-site", []string{"Sec-Fetch-Site", "same-site"}},
		{"Origin null", []string{"Origin", "null"}},
		{"Origin null, cross-site", []string{"Origin", "null", "Sec-Fetch-Site", "cross-site"}},
		{"a suffix of the host", []string{"Origin", self + ".evil.example"}},
		{"the host over another scheme", []string{"Origin", "https://acme." + domain}},
		{"allowed origin with Basic", []string{"Origin", app, "Sec-Fetch-Site", "cross-site"}},
	} {
		for _, k := range calls {
			t.Run(from.name+"/"+k.name, func(t *testing.T) {
				st, h, b := send(admin, k, from.headers...)
				refused(t, k, st, h, b)
			})
		}
	}
	// The token as the Basic password, from the allowed origin: a browser
	// may remember that too.
	t.Run("allowed origin with a token as the Basic password", func(t *testing.T) {
		c := admin
		c.PW = secret
		for _, k := range calls {
			st, h, b := send(c, k, "Origin", app, "Sec-Fetch-Site", "cross-site")
			refused(t, k, st, h, b)
		}
	})
	t.Run("Bearer from an origin not allowed", func(t *testing.T) {
		c := admin
		c.Token = secret
		for _, k := range calls {
			st, h, b := send(c, k, "Origin", "https://evil.example", "Sec-Fetch-Site", "cross-site")
			refused(t, k, st, h, b)
		}
		// Nor does a foreign origin get a preflight.
		st, h, b := c.Request("OPTIONS", "/api/users.json", "", nil, "Origin", "https://evil.example",
			"Access-Control-Request-Method", "POST", "Access-Control-Request-Headers", "authorization")
		refused(t, call{path: ".json"}, st, h, b)
	})
	l.waitNoTmp(t)
	if after := snapshot(); after != before {
		t.Errorf("a cross-site request changed something:\nbefore %s\nafter  %s", before, after)
	}
	if _, b := admin.Do("GET", "/api/users.json", "", nil); strings.Contains(string(b), "eve") {
		t.Error("a user was added")
	}

	// What is not cross-site still works: no headers (curl, fluxiom's
	// clients) and the site itself, Origin null vouched for by
	// Sec-Fetch-Site included.
	for i, headers := range [][]string{
		nil,
		{"Origin", self, "Sec-Fetch-Site", "same-origin"},
		{"Origin", strings.ToUpper(self)},
		{"Origin", "null", "Sec-Fetch-Site", "same-origin"},
		{"Sec-Fetch-Site", "none"},
	} {
		n := strconv.Itoa(i)
		tg := idOf(t, admin.Form(http.StatusCreated, "POST", "/api/tags.json", "", nil, "tag", "kept-"+n))
		for _, k := range []call{
			{"", "POST", "/api/tags.json", form, "tag=same-site-" + n},
			{"", "POST", "/api/upload.json", uploadType, string(upload)},
			{"", "PUT", "/api/assets/" + as + ".json", form, "title=renamed+" + n},
		} {
			if st, _, b := send(admin, k, headers...); st != http.StatusOK && st != http.StatusCreated {
				t.Errorf("%v: %s %s: %d: %s", headers, k.method, k.path, st, b)
			}
		}
		if st, _, b := send(admin, call{"", "DELETE", "/api/tags/" + tg + ".json", "", ""}, headers...); st != http.StatusOK {
			t.Errorf("%v: DELETE a tag: %d: %s", headers, st, b)
		}
	}

	// The allowed origin: a browser application with a Bearer token.
	t.Run("allowed origin", func(t *testing.T) {
		c := admin
		c.Token = secret
		st, h, b := c.Request("OPTIONS", "/api/tags.json", "", nil, "Origin", app,
			"Access-Control-Request-Method", "DELETE", "Access-Control-Request-Headers", "authorization,content-type")
		if st != http.StatusNoContent || h.Get("Access-Control-Allow-Origin") != app ||
			!strings.Contains(h.Get("Access-Control-Allow-Methods"), "DELETE") ||
			!strings.Contains(strings.ToLower(h.Get("Access-Control-Allow-Headers")), "authorization") ||
			!strings.Contains(strings.Join(h.Values("Vary"), ","), "Origin") {
			t.Errorf("preflight: %d %v %s", st, h, b)
		}
		cors := []string{"Origin", app, "Sec-Fetch-Site", "cross-site"}
		st, h, b = send(c, call{"", "POST", "/api/tags.json", form, "tag=from-the-app"}, cors...)
		if st != http.StatusCreated || h.Get("Access-Control-Allow-Origin") != app {
			t.Fatalf("Bearer POST from the allowed origin: %d %v %s", st, h, b)
		}
		tg := idOf(t, b)
		st, h, b = send(c, call{"", "PUT", "/api/tags/" + tg + ".json", form, "tag=renamed-by-the-app"}, cors...)
		if st != http.StatusOK || h.Get("Access-Control-Allow-Origin") != app {
			t.Errorf("Bearer PUT from the allowed origin: %d %v %s", st, h, b)
		}
		st, h, b = send(c, call{"", "DELETE", "/api/tags/" + tg + ".json", "", ""}, cors...)
		if st != http.StatusOK || h.Get("Access-Control-Allow-Origin") != app {
			t.Errorf("Bearer DELETE from the allowed origin: %d %v %s", st, h, b)
		}
		st, h, b = c.Request("GET", "/api/assets/"+as+".json", "", nil, cors...)
		if st != http.StatusOK || h.Get("Access-Control-Allow-Origin") != app ||
			!strings.Contains(h.Get("Access-Control-Expose-Headers"), "X-Total-Count") {
			t.Errorf("Bearer GET from the allowed origin: %d %v %s", st, h, b)
		}
	})
	l.CheckLog()
}
