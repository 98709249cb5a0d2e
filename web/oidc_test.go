package web_test

import (
	"net/http"
	"strings"
	"testing"

	"damask"
	"damask/library"
	"damask/oidctest"
)

// The OpenID provider's people; the password is oidctest.Password for all.
var opUsers = []oidctest.User{
	{Username: "ann", Email: "ann@EXAMPLE.com", EmailVerified: true},
	{Username: "bob", Email: "bob@other.org", EmailVerified: true},
	{Username: "carol", Email: "carol.j+x@example.com", EmailVerified: true},
	{Username: "dave", Email: "dave@example.com", EmailVerified: false},
}

// oidcEnv is an env whose default account signs in with the OP.
func oidcEnv(t *testing.T, autoCreate string, domains ...string) *env {
	t.Helper()
	e := newEnv(t)
	issuer := oidctest.Start(t, e.srv.URL+"/auth/oidc/callback", opUsers...)
	if len(domains) == 0 {
		domains = []string{"example.com"}
	}
	err := e.svc.SetOIDC(t.Context(), library.DefaultAccount, library.OIDCSettings{Issuer: issuer,
		ClientID: oidctest.ClientID, ClientSecret: oidctest.ClientSecret, Domains: domains, AutoCreate: autoCreate})
	if err != nil {
		t.Fatal(err)
	}
	return e
}

// toCallback runs the redirect flow as user up to the provider's redirect
// back to Damask, and answers that URL without visiting it.
func (b *browser) toCallback(user string) string {
	b.t.Helper()
	// Follow redirects except the last one, back to Damask's callback.
	b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
		if req.URL.Path == "/auth/oidc/callback" || len(via) > 10 {
			return http.ErrUseLastResponse
		}
		return nil
	}
	defer func() {
		b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
	}()
	req, _ := http.NewRequest(http.MethodGet, b.base+"/auth/oidc", nil)
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatal(err)
	}
	loc := oidctest.Login(b.t, b.c, res, user)
	if !strings.HasPrefix(loc, b.base+"/auth/oidc/callback?") {
		b.t.Fatalf("provider's answer to the login: Location %q", loc)
	}
	return loc
}

// callback visits the provider's redirect back.
func (b *browser) callback(u string) response {
	b.t.Helper()
	req, _ := http.NewRequest(http.MethodGet, u, nil)
	return b.do(req)
}

func TestOIDCSignIn(t *testing.T) {
	tests := []struct {
		name       string
		autoCreate string
		user       string
		status     int    // of the callback: 303 when signed in
		login      string // signed in as
		message    string // on the refusal page
	}{
		{"matching user", "", "ann", http.StatusSeeOther, "ann", ""},
		{"domain not allowed", "", "bob", http.StatusForbidden, "", "Addresses at other.org may not sign in"},
		{"domain not allowed, auto-create on", "member", "bob", http.StatusForbidden, "", "Addresses at other.org may not sign in"},
		{"unknown user, auto-create off", "", "carol", http.StatusForbidden, "", "No user of this library has the address"},
		{"unknown user, auto-create on", "guest", "carol", http.StatusSeeOther, "carol.j-x", ""},
		{"e-mail not verified", "member", "dave", http.StatusUnauthorized, "", "has not verified your e-mail"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := oidcEnv(t, tt.autoCreate)
			b := e.browser(t)
			if form := b.get("/signin"); !strings.Contains(form.body, "Sign in with 127.0.0.1:") {
				t.Errorf("sign-in page lacks the provider's button:\n%s", form.body)
			}
			res := b.callback(b.toCallback(tt.user))
			if res.status != tt.status {
				t.Fatalf("callback: status %d, want %d:\n%s", res.status, tt.status, res.body)
			}
			if tt.login == "" {
				if !strings.Contains(res.body, tt.message) {
					t.Errorf("refusal page lacks %q:\n%s", tt.message, res.body)
				}
				if b.signedIn("") {
					t.Error("signed in")
				}
				return
			}
			if !b.signedIn(tt.login) {
				t.Fatalf("not signed in as %s", tt.login)
			}
			if tt.autoCreate != "" {
				a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
				if err != nil {
					t.Fatal(err)
				}
				us, _, err := e.svc.Users(t.Context(), library.Caller{Account: a}, damask.Page{Number: 1, Size: 10})
				if err != nil {
					t.Fatal(err)
				}
				u := us[len(us)-1]
				if u.Login != tt.login || u.Email != "carol.j+x@example.com" || string(u.Role) != tt.autoCreate {
					t.Errorf("auto-created user %+v", u)
				}
			}
		})
	}
}

func TestOIDCDisabledUser(t *testing.T) {
	e := oidcEnv(t, "member")
	holder, err := e.svc.User(t.Context(), e.caller(t, e.ann), 1)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, holder), e.ann.ID, library.UserChanges{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	if res := b.callback(b.toCallback("ann")); res.status != http.StatusForbidden {
		t.Errorf("disabled user: status %d, want 403", res.status)
	}
}

func TestOIDCRefusals(t *testing.T) {
	e := oidcEnv(t, "")
	t.Run("tampered state", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback("ann")
		res := b.callback(oidctest.WithParam(t, cb, "state", oidctest.Param(t, cb, "state")+"x"))
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "state mismatch") {
			t.Errorf("status %d:\n%s", res.status, res.body)
		}
		// The sign-in is spent: the genuine answer now fails too.
		if res := b.callback(cb); res.status != http.StatusUnauthorized {
			t.Errorf("genuine answer after a tampered one: status %d", res.status)
		}
		if b.signedIn("ann") {
			t.Error("signed in")
		}
	})

	t.Run("no state cookie", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback("ann")
		if res := e.browser(t).callback(cb); res.status != http.StatusUnauthorized {
			t.Errorf("callback in another browser: status %d, want 401", res.status)
		}
	})

	t.Run("replayed code", func(t *testing.T) {
		b := e.browser(t)
		cb := b.toCallback("ann")
		if res := b.callback(cb); res.status != http.StatusSeeOther {
			t.Fatalf("first use: status %d:\n%s", res.status, res.body)
		}
		if !b.signedIn("ann") {
			t.Fatal("not signed in")
		}
		// The same browser again: the sign-in is used.
		if res := b.callback(cb); res.status != http.StatusUnauthorized {
			t.Errorf("replay in the same browser: status %d, want 401", res.status)
		}
		// An attacker who starts a sign-in of their own and slips the
		// used code into it: their state, the victim's code.
		m := e.browser(t)
		mine := m.toCallback("ann")
		res := m.callback(oidctest.WithParam(t, mine, "code", oidctest.Param(t, cb, "code")))
		if res.status != http.StatusUnauthorized || !strings.Contains(res.body, "refused the authorization code") {
			t.Errorf("replayed code in a new sign-in: status %d:\n%s", res.status, res.body)
		}
		if m.signedIn("ann") {
			t.Error("replayed code signed in")
		}
	})

	t.Run("another sign-in's answer", func(t *testing.T) {
		// The victim's browser has begun a sign-in; the attacker's answer
		// (code, state and the nonce inside its token) is fed to it.
		victim, attacker := e.browser(t), e.browser(t)
		victimCB := victim.toCallback("ann")
		attackerCB := attacker.toCallback("ann")
		if res := victim.callback(attackerCB); res.status != http.StatusUnauthorized {
			t.Errorf("another sign-in's state and code: status %d, want 401", res.status)
		}
		// With the victim's own state, the attacker's code carries the
		// attacker's PKCE challenge and nonce: refused too.
		victim2 := e.browser(t)
		v2 := victim2.toCallback("ann")
		res := victim2.callback(oidctest.WithParam(t, v2, "code", oidctest.Param(t, attackerCB, "code")))
		if res.status != http.StatusUnauthorized {
			t.Errorf("own state, another sign-in's code: status %d, want 401:\n%s", res.status, res.body)
		}
		for _, b := range []*browser{victim, victim2} {
			if b.signedIn("ann") {
				t.Error("signed in with another sign-in's answer")
			}
		}
		_ = victimCB
	})

	t.Run("provider error", func(t *testing.T) {
		b := e.browser(t)
		res := b.get("/auth/oidc/callback?error=access_denied&error_description=%3Cscript%3E")
		if res.status != http.StatusUnauthorized || strings.Contains(res.body, "<script>") {
			t.Errorf("status %d:\n%s", res.status, res.body)
		}
	})

	t.Run("not configured", func(t *testing.T) {
		if err := e.svc.DisableOIDC(t.Context(), library.DefaultAccount); err != nil {
			t.Fatal(err)
		}
		b := e.browser(t)
		if res := b.get("/auth/oidc"); res.status != http.StatusNotFound {
			t.Errorf("GET /auth/oidc: status %d, want 404", res.status)
		}
		if form := b.get("/signin"); strings.Contains(form.body, "Sign in with") {
			t.Error("sign-in page shows a provider")
		}
	})
}

func TestSetOIDCValidation(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name string
		o    library.OIDCSettings
	}{
		{"plain http issuer", library.OIDCSettings{Issuer: "http://id.example.com", ClientID: "c", Domains: []string{"example.com"}}},
		{"no client id", library.OIDCSettings{Issuer: "https://id.example.com", Domains: []string{"example.com"}}},
		{"no domains", library.OIDCSettings{Issuer: "https://id.example.com", ClientID: "c"}},
		{"bad domain", library.OIDCSettings{Issuer: "https://id.example.com", ClientID: "c", Domains: []string{"exa mple"}}},
		{"holder role", library.OIDCSettings{Issuer: "https://id.example.com", ClientID: "c", Domains: []string{"example.com"}, AutoCreate: "holder"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := e.svc.SetOIDC(t.Context(), library.DefaultAccount, tt.o)
			if damask.ErrorCode(err) != damask.EINVALID {
				t.Errorf("SetOIDC: %v, want EINVALID", err)
			}
		})
	}
}
