package hardening

import (
	"encoding/json"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"damask/servertest"
)

// fromAddr is the client c sending from a local address, one of the
// loopback network 127.0.0.0/8.
func fromAddr(c servertest.Client, ip string) servertest.Client {
	d := &net.Dialer{LocalAddr: &net.TCPAddr{IP: net.ParseIP(ip)}}
	c.HTTP = &http.Client{Timeout: 5 * time.Minute, Transport: &http.Transport{DialContext: d.DialContext},
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return c
}

// behindProxy starts a server as a plain-HTTP server behind a proxy is
// run: --trust-proxy, and the default account's plan (deluxe, which
// the file replaces whole) without SSL, so that requests need not claim
// HTTPS.
func behindProxy(t *testing.T, extra ...string) *library {
	t.Helper()
	plans := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(plans, []byte(`{"deluxe": {"multiple_users": true, "stages": true, "versions": true, "branding": true, "full_text_search": true}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	return start(t, append([]string{"--trust-proxy", "--plans", plans}, extra...)...)
}

// TestR42_ForwardedFor: behind --trust-proxy, with 127.0.0.1 and
// 10.0.0.0/8 the trusted proxies, the address the audit log and the
// throttle use is the right-most of X-Forwarded-For that is not a trusted
// proxy, whatever the client wrote to its left: a spoofed left-most
// value, several header lines, chained proxies, ports, brackets, spaces
// and garbage; through the API and the sign-in form. A peer that is not a
// trusted proxy (127.0.0.7) is not believed, neither its X-Forwarded-For
// nor its X-Forwarded-Proto. And a guesser held back by address does not
// get away by rotating the spoofed left-most value.
func TestR42_ForwardedFor(t *testing.T) {
	l := behindProxy(t, "--rate", "0", "--trusted-proxies", "127.0.0.1/32, 10.0.0.0/8")
	bystander, _ := addUser(t, l.admin, "bystander", "member")
	// signIn signs in as login with pw, from the local address peer,
	// with the X-Forwarded-For lines xff, through the API or the form,
	// and answers the status.
	signIn := func(t *testing.T, peer, login, pw string, form bool, xff ...string) int {
		t.Helper()
		br := l.browser(t, "")
		br.c.Transport = fromAddr(l.admin, peer).HTTP.Transport
		var req *http.Request
		var err error
		if form {
			f := url.Values{"csrf": {br.csrf(br.get("/signin"))}, "login": {login}, "password": {pw}}
			req, err = http.NewRequest("POST", l.URL("/signin"), strings.NewReader(f.Encode()))
			if err == nil {
				req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			}
		} else {
			req, err = http.NewRequest("GET", l.URL("/api/user.json"), nil)
			if err == nil {
				req.SetBasicAuth(login, pw)
			}
		}
		if err != nil {
			t.Fatal(err)
		}
		for _, v := range xff {
			req.Header.Add("X-Forwarded-For", v)
		}
		return br.send(req).status
	}
	// sourceOf is the source of the audit log's failed sign-in of login.
	sourceOf := func(t *testing.T, login string) string {
		t.Helper()
		var events []struct{ Action, Target, Source string }
		b := l.admin.Must(http.StatusOK, "GET", "/api/audit.json?per_page=100", "", nil)
		if err := json.Unmarshal(b, &events); err != nil {
			t.Fatalf("audit log: %v: %.300s", err, b)
		}
		for _, e := range events {
			if e.Action == "sign_in_failed" && e.Target == "login "+login {
				return e.Source
			}
		}
		t.Fatalf("no failed sign-in of %s in the audit log", login)
		return ""
	}

	tests := []struct {
		name string
		peer string
		xff  []string
		want string
	}{
		{"no header", "127.0.0.1", nil, "127.0.0.1"},
		{"one hop", "127.0.0.1", []string{"203.0.113.1"}, "203.0.113.1"},
		{"spoofed left-most", "127.0.0.1", []string{"6.6.6.6, 203.0.113.2"}, "203.0.113.2"},
		{"spoofed trusted proxy on the left", "127.0.0.1", []string{"10.0.0.5, 203.0.113.3"}, "203.0.113.3"},
		{"several header lines", "127.0.0.1", []string{"6.6.6.6", "203.0.113.4, 10.0.0.2"}, "203.0.113.4"},
		{"spoof on a line of its own", "127.0.0.1", []string{"6.6.6.6, 7.7.7.7", "203.0.113.5"}, "203.0.113.5"},
		{"trusted proxies chained", "127.0.0.1", []string{"6.6.6.6, 203.0.113.6, 10.0.0.2, 10.1.2.3"}, "203.0.113.6"},
		{"spaces, ports and brackets", "127.0.0.1", []string{"  6.6.6.6:1 ,\t[2001:DB8::7]:4711 , 10.0.0.2:80 "}, "2001:db8::7"},
		{"IPv4 as IPv6", "127.0.0.1", []string{"6.6.6.6, ::ffff:203.0.113.8"}, "203.0.113.8"},
		{"garbage to the left", "127.0.0.1", []string{"<script>, unknown, 203.0.113.9"}, "203.0.113.9"},
		{"garbage right-most: the proxy", "127.0.0.1", []string{"203.0.113.10, unknown"}, "127.0.0.1"},
		{"garbage behind a trusted proxy: that proxy", "127.0.0.1", []string{"203.0.113.11, garbage, 10.0.0.2"}, "10.0.0.2"},
		{"untrusted peer", "127.0.0.7", []string{"203.0.113.12"}, "127.0.0.7"},
		{"untrusted peer naming trusted proxies", "127.0.0.7", []string{"203.0.113.13", "10.0.0.2, 127.0.0.1"}, "127.0.0.7"},
	}
	for i, tt := range tests {
		for _, form := range []bool{false, true} {
			name := tt.name + ", API"
			if form {
				name = tt.name + ", form"
			}
			t.Run(name, func(t *testing.T) {
				login := fmt.Sprintf("probe-%d-%v", i, form)
				if st := signIn(t, tt.peer, login, "wrong password", form, tt.xff...); st != http.StatusUnauthorized {
					t.Fatalf("status %d, want 401", st)
				}
				if got := sourceOf(t, login); got != tt.want {
					t.Errorf("audit log source %q, want %q", got, tt.want)
				}
			})
		}
	}

	t.Run("X-Forwarded-Proto", func(t *testing.T) {
		for _, tt := range []struct {
			peer, proto string
			secure      bool
		}{
			{"127.0.0.1", "https", true},
			{"127.0.0.1", "http", false},
			{"127.0.0.1", "http, https", true},
			{"127.0.0.7", "https", false},
		} {
			br := l.browser(t, "")
			br.c.Transport = fromAddr(l.admin, tt.peer).HTTP.Transport
			p := br.do("GET", "/signin", nil, "X-Forwarded-Proto", tt.proto)
			cookie := p.header.Get("Set-Cookie")
			if got := strings.Contains(cookie, "; Secure"); cookie == "" || got != tt.secure {
				t.Errorf("from %s, X-Forwarded-Proto %q: Set-Cookie %q, want Secure %v", tt.peer, tt.proto, cookie, tt.secure)
			}
		}
	})

	t.Run("rotating the spoofed left-most value", func(t *testing.T) {
		secret, _ := newToken(t, bystander, "name", "ci")
		// Twenty logins guessed from one address, each try claiming
		// another address on the left.
		for i := range 20 {
			st := signIn(t, "127.0.0.1", fmt.Sprintf("guess-%d", i), "wrong password", i%2 == 1, fmt.Sprintf("198.51.%d.%d, 203.0.113.50", i, i+1))
			if st != http.StatusUnauthorized && !(i == 19 && st == http.StatusTooManyRequests) {
				t.Fatalf("failure %d: status %d, want 401", i+1, st)
			}
		}
		for _, xff := range [][]string{
			{"203.0.113.50"},
			{"1.2.3.4, 203.0.113.50"},
			{"10.0.0.9, 203.0.113.50, 10.0.0.2"},
			{"9.9.9.9", "203.0.113.50"},
			{"garbage, ::ffff:203.0.113.50"},
		} {
			if st := signIn(t, "127.0.0.1", "bystander", bystander.PW, false, xff...); st != http.StatusTooManyRequests {
				t.Errorf("a right password from the guesser's address, X-Forwarded-For %q: %d, want 429", xff, st)
			}
		}
		if st := signIn(t, "127.0.0.1", "bystander", bystander.PW, true, "9.9.9.9, 203.0.113.50"); st != http.StatusTooManyRequests {
			t.Errorf("the same through the form: %d, want 429", st)
		}
		// A token is no guess: it works from the address held back.
		if st := signIn(t, "127.0.0.1", "bystander", secret, false, "1.2.3.4, 203.0.113.50"); st != http.StatusOK {
			t.Errorf("a token as the Basic password from the guesser's address: %d, want 200", st)
		}
		if st := signIn(t, "127.0.0.1", "bystander", bystander.PW, false, "1.2.3.4, 203.0.113.51"); st != http.StatusOK {
			t.Errorf("the same user from another address: %d, want 200", st)
		}
	})
	l.CheckLog()
}
