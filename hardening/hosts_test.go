package hardening

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR46_HostSpellings: an account's host written in other cases, with
// the final dot of a fully qualified name, with a port, or all of these,
// is the same account for the API and the pages, and the same origin when
// a browser says where a request comes from. Hosts that only look alike
// (the domain as a prefix of another name, another level below the
// account, a second dot, no dot at all) are not the account: the default
// account or 404, and another account stays out of reach.
func TestR46_HostSpellings(t *testing.T) {
	const domain = "damask.test"
	l := start(t, "--rate", "0", "--domain", domain)
	acme := l.createAccount(t, "acme", domain)
	l.createAccount(t, "bravo", domain)
	port := l.Addr[strings.LastIndex(l.Addr, ":")+1:]
	for hi, host := range []string{
		"acme.damask.test",
		"ACME.damask.test",
		"acme.DAMASK.TEST",
		"acme.damask.test.",
		"ACME.Damask.Test.",
		"acme.damask.test:" + port,
		"Acme.Damask.Test.:" + port,
		"ACME.DAMASK.TEST.:80",
	} {
		t.Run(host, func(t *testing.T) {
			acme := acme
			acme.T = t
			c := acme
			c.Host = host
			if d := doc(t, c.Must(http.StatusOK, "GET", "/api/account.json", "", nil)); d["subdomain"] != "acme" {
				t.Errorf("account %v, want acme", d["subdomain"])
			}
			// A browser on that host says it is itself: as it writes the
			// host (lower case, the dot kept) and in the plain spelling.
			name, p, hasPort := strings.Cut(strings.ToLower(host), ":")
			origins := []string{"http://" + strings.ToLower(host), "http://" + strings.TrimSuffix(name, ".")}
			if hasPort {
				origins[1] += ":" + p
			}
			for i, origin := range origins {
				tag := fmt.Sprintf("host-%d-origin-%d", hi, i)
				if st, _, b := c.Request("POST", "/api/tags.json", "application/x-www-form-urlencoded",
					strings.NewReader("tag="+tag), "Origin", origin, "Sec-Fetch-Site", "same-origin"); st != http.StatusCreated {
					t.Errorf("POST from %s: %d: %s", origin, st, b)
				}
				if _, b := acme.Do("GET", "/api/tags.json", "", nil); !strings.Contains(string(b), tag) {
					t.Errorf("the tag posted from %s is not acme's: %s", origin, b)
				}
			}
			// Other sites are still other sites on that host.
			for _, origin := range []string{"http://bravo." + domain, "http://acme." + domain + ".evil", "http://" + domain} {
				if st, _, b := c.Request("POST", "/api/tags.json", "application/x-www-form-urlencoded",
					strings.NewReader("tag=foreign"), "Origin", origin); st != http.StatusForbidden {
					t.Errorf("POST from %s: %d, want 403: %s", origin, st, b)
				}
			}
			// The pages: acme's holder signs in on that host, and a form
			// sent with the page's own Origin is taken.
			br := l.browser(t, host)
			signin := br.get("/signin")
			res := br.post("/signin", url.Values{"csrf": {br.csrf(signin)}, "login": {acme.Login}, "password": {acme.PW}},
				"Origin", origins[0], "Sec-Fetch-Site", "same-origin")
			if res.status != http.StatusSeeOther {
				t.Fatalf("sign in as acme's holder on %s: %d: %.300s", host, res.status, res.body)
			}
			home := br.get("/")
			if home.status != http.StatusOK || !strings.Contains(home.body, acme.Login) {
				t.Errorf("acme's library on %s: %d: %.300s", host, home.status, home.body)
			}
			_, tokens := acme.Do("GET", "/api/tokens.json", "", nil)
			res = br.post("/tokens", url.Values{"csrf": {br.csrf(home)}, "name": {"made on " + host}}, "Origin", origins[1])
			if res.status >= 400 {
				t.Errorf("a token made on the page of %s: %d: %.300s", host, res.status, res.body)
			}
			if _, after := acme.Do("GET", "/api/tokens.json", "", nil); !strings.Contains(string(after), "made on "+host) {
				t.Errorf("no token of acme was made on %s: %s (before: %s)", host, after, tokens)
			}
		})
	}

	// Names that only look like acme's.
	defaultAdmin := l.admin
	for _, tc := range []struct {
		host   string
		status int // of the default account's holder, who exists only there
	}{
		{"acme.damask.test.evil", http.StatusOK},
		{"acme.damask.test..", http.StatusOK},
		{"acmedamask.test", http.StatusOK},
		{"acme-damask.test.", http.StatusOK},
		{"damask.test.", http.StatusOK},
		{"evil.example", http.StatusOK},
		{"evil.acme.damask.test", http.StatusNotFound},
		{"acme.evil.damask.test.", http.StatusNotFound},
		{"ACME.", http.StatusOK},
	} {
		t.Run("not acme/"+tc.host, func(t *testing.T) {
			c := acme
			c.T = t
			c.Host = tc.host
			if st, b := c.Do("GET", "/api/account.json", "", nil); st == http.StatusOK {
				t.Errorf("acme's holder is known on %s: %s", tc.host, b)
			}
			d := defaultAdmin
			d.T, d.Host = t, tc.host
			st, b := d.Do("GET", "/api/account.json", "", nil)
			if st != tc.status {
				t.Errorf("default's holder on %s: %d, want %d: %s", tc.host, st, tc.status, b)
			}
			if st == http.StatusOK && doc(t, b)["subdomain"] != "default" {
				t.Errorf("%s is account %v, want default", tc.host, doc(t, b)["subdomain"])
			}
			page := l.browser(t, tc.host).get("/signin")
			if st == http.StatusNotFound && page.status != http.StatusNotFound {
				t.Errorf("the sign-in page on %s: %d, want 404", tc.host, page.status)
			}
		})
	}
	// Bravo's host in any spelling is bravo's, never acme's.
	for _, host := range []string{"BRAVO.damask.test.", "bravo.damask.test.:" + port} {
		c := acme
		c.Host = host
		if st, b := c.Do("GET", "/api/account.json", "", nil); st == http.StatusOK {
			t.Errorf("acme's holder is known on %s: %s", host, b)
		}
		b := servertest.Client{T: t, HTTP: acme.HTTP, S: l.Server, Host: host, Login: "bravo-holder", PW: "password of bravo holder"}
		if d := doc(t, b.Must(http.StatusOK, "GET", "/api/account.json", "", nil)); d["subdomain"] != "bravo" {
			t.Errorf("%s is account %v, want bravo", host, d["subdomain"])
		}
	}
	l.CheckLog()
}
