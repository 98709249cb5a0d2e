package hardening

import (
	"fmt"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"damask/oidctest"
	"damask/servertest"
)

// What the server fetches on a tenant's behalf: RELIABILITY.md item 39.

// insideMarker is what an inside service (or a hostile provider) answers:
// it must never reach the tenant, in an error, a page or the audit log.
const insideMarker = "INSIDE-ANSWER-5e1f-metadata-token"

// putOIDC sets the account's provider as c (the holder) through the API,
// with the client id and domain the tests' providers know, and more
// fields as name, value pairs; it answers the status and the body.
func putOIDC(t *testing.T, c servertest.Client, issuer string, more ...string) (int, string) {
	t.Helper()
	kv := append([]string{"issuer", issuer, "client_id", oidctest.ClientID, "domains", "example.com"}, more...)
	body, ct := servertest.Multipart("", nil, kv...)
	st, b := c.Do("PUT", "/api/account/oidc.json", ct, body)
	return st, string(b)
}

// auditLog is the default account's audit log as its holder reads it.
func (l *library) auditLog(t *testing.T) string {
	t.Helper()
	return string(l.admin.Must(http.StatusOK, "GET", "/api/audit.json?per_page=100", "", nil))
}

// hostileIssuer is an outside server a tenant names as its issuer: under
// /MODE its discovery document is spoiled as MODE says. redirectTo is
// where its redirects point.
func hostileIssuer(t *testing.T, redirectTo string) *httptest.Server {
	s := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		mode, _, _ := strings.Cut(strings.TrimPrefix(r.URL.Path, "/"), "/")
		switch mode {
		case "redirect":
			http.Redirect(w, r, redirectTo, http.StatusFound)
		case "redirect-metadata":
			http.Redirect(w, r, "http://169.254.169.254/latest/meta-data/iam/security-credentials/", http.StatusMovedPermanently)
		case "status":
			http.Error(w, insideMarker, http.StatusInternalServerError)
		case "garbage":
			w.Write([]byte("<html>" + insideMarker + "</html>"))
		case "issuer":
			fmt.Fprintf(w, `{"issuer":"https://%s.example","authorization_endpoint":"https://%[1]s.example/a","token_endpoint":"https://x.example/t","jwks_uri":"https://x.example/k"}`, insideMarker)
		case "huge":
			chunk := []byte(`{"issuer":"` + strings.Repeat(insideMarker, 1000) + `"}` + "\n")
			for i := 0; i < (64<<20)/len(chunk) && r.Context().Err() == nil; i++ {
				w.Write(chunk)
			}
		case "slow":
			w.Header().Set("Content-Type", "application/json")
			w.WriteHeader(http.StatusOK)
			w.Write([]byte("{"))
			for i := 0; i < 600 && r.Context().Err() == nil; i++ {
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				time.Sleep(200 * time.Millisecond)
			}
		default:
			http.NotFound(w, r)
		}
	}))
	t.Cleanup(s.Close)
	return s
}

// TestR39_OutgoingRequests: a tenant's holder names as its OpenID
// provider an address inside the server's network (loopback by address,
// by [::1], by the name localhost, private, link-local, metadata, CGNAT),
// a discovery document naming inside endpoints, an issuer that redirects
// inside, answers a huge or an endless body, or answers an inside
// service's text: refused with a fixed message, nothing connects to the
// inside, and no answer's text reaches the tenant. A new issuer drops the
// operator's client secret. With --allow-outgoing, a provider on the
// operator's network (the real provider on 127.0.0.1) still signs users
// in.
func TestR39_OutgoingRequests(t *testing.T) {
	bin := servertest.Build(t)

	t.Run("inside addresses", func(t *testing.T) {
		l := start(t) // no --allow-outgoing
		canary := newLoopCanary(t)
		_, port, _ := strings.Cut(canary.addr(), ":")
		op := oidctest.StartBad(t)
		issuers := []string{
			canary.url(""),
			"http://localhost:" + port,
			"http://[::ffff:127.0.0.1]:" + port,
			op.URL,
			"https://169.254.169.254",
			"https://169.254.169.254/latest/meta-data",
			"https://[fd00:ec2::254]",
			"https://10.0.0.1",
			"https://192.168.1.1:8443",
			"https://172.16.0.1",
			"https://100.64.0.1",
			"https://100.100.100.200",
			"https://0.0.0.0",
			"https://[fe80::1]",
			"https://[fc00::1]",
			"https://[64:ff9b::7f00:1]", // NAT64 of 127.0.0.1
		}
		if c6, err := newCanaryOn(t, "[::1]:0"); err == nil {
			issuers = append(issuers, c6.url(""))
			defer c6.assertSilent(t)
		} else {
			t.Logf("no IPv6 loopback here (%v): [::1] left out", err)
		}
		for _, issuer := range issuers {
			st, body := putOIDC(t, l.admin, issuer)
			if st != http.StatusUnprocessableEntity || !strings.Contains(body, "may not call") {
				t.Errorf("issuer %s: %d, want 422 saying the address is refused: %s", issuer, st, body)
			}
		}
		canary.assertSilent(t)
		if n := op.Requests("/.well-known/openid-configuration"); n != 0 {
			t.Errorf("the provider on 127.0.0.1 was asked %d times", n)
		}
		// The operator's command refuses it as well, without the flag.
		if out, err := servertest.Command(t, bin, nil, "account", "oidc", "default", "--issuer", op.URL,
			"--client-id", oidctest.ClientID, "--domains", "example.com", "--data", l.data); err == nil || !strings.Contains(out, "--allow-outgoing") {
			t.Errorf("account oidc with a provider on 127.0.0.1: %v\n%s", err, out)
		}
		// Set by the operator with the flag, the provider is still
		// refused by a server without it, when it connects.
		if out, err := servertest.Command(t, bin, nil, "account", "oidc", "default", "--issuer", op.URL,
			"--client-id", oidctest.ClientID, "--domains", "example.com", "--data", l.data, "--allow-outgoing", "127.0.0.1"); err != nil {
			t.Fatalf("account oidc --allow-outgoing: %v\n%s", err, out)
		}
		asked := op.Requests("/.well-known/openid-configuration")
		b := l.browser(t, "")
		if res := b.get("/auth/oidc"); res.status != http.StatusUnauthorized {
			t.Errorf("sign-in with a provider the server may not call: %d: %.300s", res.status, res.body)
		}
		if n := op.Requests("/.well-known/openid-configuration"); n != asked {
			t.Errorf("the server asked the refused provider %d times", n-asked)
		}
		if log := l.auditLog(t); strings.Contains(log, insideMarker) {
			t.Errorf("the audit log holds an inside answer")
		}
	})

	t.Run("allowed issuer", func(t *testing.T) {
		// The operator allows 127.0.0.1 alone: 127.0.0.2 and the rest
		// stay inside.
		l := start(t, "--allow-outgoing", "127.0.0.1/32")
		_, ann := addUser(t, l.admin, "ann", "member")
		l.admin.Form(http.StatusOK, "PUT", "/api/users/"+ann+".json", "", nil, "email", "ann@example.com")
		inside, err := newCanaryOn(t, "127.0.0.2:0")
		if err != nil {
			t.Fatalf("listen on 127.0.0.2: %v", err)
		}
		defer inside.assertSilent(t)

		t.Run("inside endpoints", func(t *testing.T) {
			for _, tt := range []struct{ field, url string }{
				{"token_endpoint", inside.url("/token")},
				{"jwks_uri", inside.url("/keys")},
				{"userinfo_endpoint", inside.url("/userinfo")},
				{"authorization_endpoint", inside.url("/authorize")},
				{"token_endpoint", "https://169.254.169.254/latest/meta-data/"},
				{"jwks_uri", "https://10.1.2.3/keys"},
				{"userinfo_endpoint", "https://[::1]/userinfo"},
			} {
				op := oidctest.StartBad(t)
				op.SetEndpoint(tt.field, tt.url)
				if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusUnprocessableEntity ||
					!strings.Contains(body, "The provider") || strings.Contains(body, tt.url) {
					t.Errorf("%s at %s: %d, want 422 naming the endpoint, not its URL: %s", tt.field, tt.url, st, body)
				}
			}
			// Good when set, inside when signing in: refused then.
			op := oidctest.StartBad(t)
			if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusOK {
				t.Fatalf("a sound provider: %d: %s", st, body)
			}
			op.SetEndpoint("token_endpoint", inside.url("/token"))
			if res := l.browser(t, "").get("/auth/oidc"); res.status != http.StatusUnauthorized {
				t.Errorf("sign-in once the provider names an inside endpoint: %d: %.300s", res.status, res.body)
			}
		})

		t.Run("hostile answers", func(t *testing.T) {
			h := hostileIssuer(t, inside.url("/.well-known/openid-configuration"))
			for _, tt := range []struct{ mode, want string }{
				{"redirect", "redirect"},
				{"redirect-metadata", "redirect"},
				{"status", "HTTP 500"},
				{"garbage", "not a valid"},
				{"issuer", "another issuer"},
				{"huge", "more than"},
				{"slow", "in time"},
			} {
				t0 := time.Now()
				st, body := putOIDC(t, l.admin, h.URL+"/"+tt.mode)
				if st != http.StatusUnprocessableEntity || !strings.Contains(body, tt.want) {
					t.Errorf("%s: %d, want 422 saying %q: %s", tt.mode, st, tt.want, body)
				}
				if strings.Contains(body, insideMarker) {
					t.Errorf("%s: the error holds the answer's text: %s", tt.mode, body)
				}
				if d := time.Since(t0); d > 90*time.Second {
					t.Errorf("%s: answered after %v", tt.mode, d)
				}
			}
			// The token endpoint's error body.
			op := oidctest.StartBad(t)
			op.SetMode(oidctest.Refuse)
			op.SetErrorText(insideMarker)
			if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusOK {
				t.Fatalf("a provider: %d: %s", st, body)
			}
			b := l.browser(t, "")
			cb := b.toCallback("")
			res := b.get(cb[strings.Index(cb, "/auth/oidc/callback"):])
			if res.status != http.StatusUnauthorized || strings.Contains(res.body, insideMarker) {
				t.Errorf("the token endpoint's error: %d: %.500s", res.status, res.body)
			}
			if log := l.auditLog(t); strings.Contains(log, insideMarker) {
				t.Errorf("the audit log holds an outside answer:\n%s", log)
			}
		})

		t.Run("new issuer drops the secret", func(t *testing.T) {
			const secret = "the operator's client secret"
			file := filepath.Join(t.TempDir(), "secret")
			if err := os.WriteFile(file, []byte(secret+"\n"), 0o600); err != nil {
				t.Fatal(err)
			}
			signIn := func(t *testing.T) {
				t.Helper()
				b := l.browser(t, "")
				cb := b.toCallback("")
				if res := b.get(cb[strings.Index(cb, "/auth/oidc/callback"):]); res.status != http.StatusSeeOther {
					t.Fatalf("sign-in: %d: %.300s", res.status, res.body)
				}
			}
			first := oidctest.StartBad(t)
			if out, err := servertest.Command(t, bin, nil, "account", "oidc", "default", "--issuer", first.URL,
				"--client-id", oidctest.ClientID, "--client-secret-file", file, "--domains", "example.com",
				"--data", l.data, "--allow-outgoing", "127.0.0.1/32"); err != nil {
				t.Fatalf("account oidc: %v\n%s", err, out)
			}
			// The holder's form without a secret, same issuer: kept.
			if st, body := putOIDC(t, l.admin, first.URL); st != http.StatusOK {
				t.Fatalf("same issuer: %d: %s", st, body)
			}
			signIn(t)
			if got := first.Secrets(); len(got) != 1 || got[0] != secret {
				t.Fatalf("the operator's provider got secrets %q", got)
			}
			// Another issuer, the holder's choice: the secret stays home.
			mine := oidctest.StartBad(t)
			if st, body := putOIDC(t, l.admin, mine.URL); st != http.StatusOK {
				t.Fatalf("new issuer: %d: %s", st, body)
			}
			signIn(t)
			// And back: the secret is gone, not restored.
			if st, body := putOIDC(t, l.admin, first.URL); st != http.StatusOK {
				t.Fatalf("back to the first issuer: %d: %s", st, body)
			}
			signIn(t)
			for _, got := range append(mine.Secrets(), first.Secrets()[1:]...) {
				if got != "" {
					t.Errorf("a provider got the secret %q after a new issuer", got)
				}
			}
			if log := l.auditLog(t); !strings.Contains(log, "client secret dropped") {
				t.Error("the audit log does not tell that the secret was dropped")
			}
		})

		t.Run("real provider", func(t *testing.T) {
			issuer := oidctest.Start(t, l.URL("/auth/oidc/callback"),
				oidctest.User{Username: "ann", Email: "ann@example.com", EmailVerified: true})
			if st, body := putOIDC(t, l.admin, issuer, "client_secret", oidctest.ClientSecret); st != http.StatusOK {
				t.Fatalf("the real provider: %d: %s", st, body)
			}
			b := l.browser(t, "")
			cb := b.toCallback("ann")
			if res := b.get(cb[strings.Index(cb, "/auth/oidc/callback"):]); res.status != http.StatusSeeOther || !b.signedIn() {
				t.Fatalf("sign-in with the real provider: %d: %.300s", res.status, res.body)
			}
		})
		l.CheckLog()
	})
}
