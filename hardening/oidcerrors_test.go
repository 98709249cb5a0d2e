package hardening

import (
	"net/http"
	"net/url"
	"strings"
	"testing"

	"damask/oidctest"
)

// Text an attacker writes into OpenID Connect errors: RELIABILITY.md
// item 47.

// phish marks every text the attacker wrote: none may be shown.
const phish = "PHISH-7c2"

// TestR47_OIDCErrorText: links to the sign-in callback carrying error,
// error_description and error_uri of the attacker's writing (markup and
// script, a phishing message with a phone number and a link, a long text,
// header injection, direction overrides), with and without a sign-in under
// way in the browser, and a provider whose token endpoint answers such
// text: the page shows a fixed message of Damask's, and neither the page
// nor the audit log holds any of the attacker's text.
func TestR47_OIDCErrorText(t *testing.T) {
	l := start(t, "--allow-outgoing", "127.0.0.1/32")
	_, ann := addUser(t, l.admin, "ann", "member")
	l.admin.Form(http.StatusOK, "PUT", "/api/users/"+ann+".json", "", nil, "email", "ann@example.com")
	op := oidctest.StartBad(t)
	if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusOK {
		t.Fatalf("set the provider: %d: %s", st, body)
	}
	hostile := []string{
		`<script>alert("` + phish + `")</script>`,
		`Your library account is locked. Call +1-555-0100 or visit https://evil.example/reset ` + phish,
		`"><img src=x onerror=alert(1)>` + phish,
		"access_denied\r\nSet-Cookie: damask_session=" + phish,
		"\u202e" + phish + "\u202c",
		strings.Repeat(phish+" ", 2000),
	}
	type attempt struct {
		name  string
		query url.Values
		want  string // the fixed message
	}
	var attempts []attempt
	for i, text := range hostile {
		n := string(rune('a' + i))
		attempts = append(attempts,
			attempt{"known code, hostile description " + n, url.Values{"error": {"access_denied"},
				"error_description": {text}, "error_uri": {"javascript:alert('" + phish + "')"}}, "declined (access_denied)"},
			attempt{"hostile code " + n, url.Values{"error": {text}, "error_description": {text}, "error_uri": {text}},
				"The provider did not sign you in"},
		)
	}
	attempts = append(attempts, attempt{"server_error", url.Values{"error": {"server_error"},
		"error_description": {hostile[1]}}, "could not sign you in just now (server_error)"})

	check := func(t *testing.T, res page, want string) {
		t.Helper()
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, want) {
			t.Errorf("%d, want 401 saying %q: %.500s", res.status, want, res.body)
		}
		if strings.Contains(res.body, phish) || strings.Contains(res.body, "555-0100") || strings.Contains(res.body, "evil.example") {
			t.Errorf("the page shows the attacker's text: %.800s", res.body)
		}
		if strings.Contains(strings.Join(res.header.Values("Set-Cookie"), " "), phish) {
			t.Errorf("the attacker set a cookie: %v", res.header.Values("Set-Cookie"))
		}
	}
	for i, a := range attempts {
		t.Run(a.name, func(t *testing.T) {
			b := l.browser(t, "")
			if i%2 == 0 {
				// A sign-in under way in this browser: the error link
				// arrives instead of the provider's answer.
				b.toCallback("")
			}
			check(t, b.get("/auth/oidc/callback?"+a.query.Encode()), a.want)
			if b.signedIn() {
				t.Error("signed in")
			}
		})
	}
	t.Run("token endpoint", func(t *testing.T) {
		op.SetMode(oidctest.Refuse)
		for _, text := range hostile[:3] {
			op.SetErrorText(text)
			b := l.browser(t, "")
			cb := b.toCallback("")
			check(t, b.get(cb[strings.Index(cb, "/auth/oidc/callback"):]), "The provider refused the authorization code")
		}
	})
	log := l.auditLog(t)
	if strings.Contains(log, phish) || strings.Contains(log, "555-0100") || strings.Contains(log, "evil.example") {
		t.Errorf("the audit log holds the attacker's text:\n%.2000s", log)
	}
	if n := strings.Count(log, "OpenID Connect:"); n < len(attempts)+3 {
		t.Errorf("%d refusals in the audit log, want each of them", n)
	}
	l.CheckLog()
}
