package library_test

import (
	"context"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/oidctest"
	"damask/outbound"
	"damask/seal"
)

// oidcSetup is a service whose account acme (holder ann@example.com)
// signs in with a bad provider on 127.0.0.1, which the operator allows;
// the name "localhost" is resolved by the test: to 127.0.0.1 until
// rebound, then to 127.0.0.2, which nobody allowed.
type oidcSetup struct {
	svc     *library.Service
	out     *outbound.Client
	db      damask.Store
	op      *oidctest.Bad
	a       *damask.Account
	holder  *damask.User
	rebound atomic.Bool
	now     time.Time
}

func newOIDCSetup(t *testing.T) *oidcSetup {
	t.Helper()
	s := &oidcSetup{now: time.Now().UTC()}
	out := outbound.New(outbound.Options{
		Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.1/32")},
		Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
			if host != "localhost" {
				return nil, &net.DNSError{Err: "no such host", Name: host, IsNotFound: true}
			}
			if s.rebound.Load() {
				return []netip.Addr{netip.MustParseAddr("127.0.0.2")}, nil
			}
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		},
	})
	db, blobs := openStores(t)
	s.db, s.out = db, out
	s.svc = serviceOn(t, db, blobs, &s.now, library.Options{SecretKey: seal.NewKey(), Outbound: out})
	var err error
	s.a, s.holder, err = s.svc.CreateAccount(t.Context(), library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "ann", HolderEmail: "ann@example.com", Password: "ann's password"})
	if err != nil {
		t.Fatal(err)
	}
	s.op = oidctest.StartBad(t)
	return s
}

func (s *oidcSetup) set(t *testing.T, issuer, secret string) error {
	t.Helper()
	return s.svc.SetOIDC(t.Context(), "acme", library.OIDCSettings{Issuer: issuer, ClientID: oidctest.ClientID,
		ClientSecret: secret, Domains: []string{"example.com"}})
}

// begin starts a sign-in and has the provider answer it: the browser's
// answer to bring to FinishOIDC.
func (s *oidcSetup) begin(t *testing.T) library.OIDCAnswer {
	t.Helper()
	authURL, signIn, err := s.svc.BeginOIDC(t.Context(), s.a, "http://acme.test/auth/oidc/callback")
	if err != nil {
		t.Fatalf("BeginOIDC: %v", err)
	}
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	res, err := c.Get(authURL)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	loc, err := url.Parse(res.Header.Get("Location"))
	if err != nil || loc.Query().Get("code") == "" {
		t.Fatalf("provider's answer: %d %q", res.StatusCode, res.Header.Get("Location"))
	}
	return library.OIDCAnswer{SignIn: signIn, State: loc.Query().Get("state"), Code: loc.Query().Get("code")}
}

func (s *oidcSetup) finish(t *testing.T, ans library.OIDCAnswer) error {
	t.Helper()
	_, _, err := s.svc.FinishOIDC(t.Context(), s.a, ans, library.Client{Source: "192.0.2.1"})
	return err
}

// TestOIDCFetchesGuarded: discovery, the token, the keys and the userinfo
// are each fetched through the outgoing client. Each endpoint in turn is
// named "localhost", checked while it is 127.0.0.1 and rebound to an
// address nobody allowed before the fetch: the sign-in fails and the
// provider never hears of it, while a client that ignored the outgoing
// one would resolve localhost itself and reach the provider.
func TestOIDCFetchesGuarded(t *testing.T) {
	for _, tt := range []struct {
		field, path string
		mode        oidctest.Mode
	}{
		{"token_endpoint", "/token", oidctest.Good},
		{"jwks_uri", "/keys", oidctest.Good},
		{"userinfo_endpoint", "/userinfo", oidctest.NoEmail},
	} {
		t.Run(tt.field, func(t *testing.T) {
			s := newOIDCSetup(t)
			_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.op.URL, "http://"))
			s.op.SetEndpoint(tt.field, "http://localhost:"+port+tt.path)
			s.op.SetMode(tt.mode)
			if err := s.set(t, s.op.URL, ""); err != nil {
				t.Fatalf("SetOIDC: %v", err)
			}
			// While localhost is 127.0.0.1, the sign-in works.
			if err := s.finish(t, s.begin(t)); err != nil {
				t.Fatalf("sign-in while allowed: %v", err)
			}
			before := s.op.Requests(tt.path)
			// A kept connection went where it was allowed to when it
			// was made; the next fetch must make a new one.
			s.out.HTTP().CloseIdleConnections()
			if err := s.set(t, s.op.URL, ""); err != nil { // a new provider: no keys kept
				t.Fatalf("SetOIDC: %v", err)
			}
			ans := s.begin(t)
			s.rebound.Store(true)
			if err := s.finish(t, ans); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
				t.Errorf("sign-in after rebinding: %v, want refused", err)
			}
			if n := s.op.Requests(tt.path); n != before {
				t.Errorf("%s was fetched %d times after rebinding", tt.path, n-before)
			}
		})
	}
	t.Run("discovery", func(t *testing.T) {
		s := newOIDCSetup(t)
		_, port, _ := net.SplitHostPort(strings.TrimPrefix(s.op.URL, "http://"))
		// The issuer by name, as the discovery document names it too.
		issuer := "http://localhost:" + port
		s.op.SetEndpoint("issuer", issuer)
		if err := s.set(t, issuer, ""); err != nil {
			t.Fatalf("SetOIDC: %v", err)
		}
		s.rebound.Store(true)
		before := s.op.Requests("/.well-known/openid-configuration")
		if _, _, err := s.svc.BeginOIDC(t.Context(), s.a, "http://acme.test/cb"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
			t.Errorf("BeginOIDC after rebinding: %v, want refused", err)
		}
		if err := s.set(t, issuer, ""); damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(damask.ErrorMessage(err), "--allow-outgoing") {
			t.Errorf("SetOIDC after rebinding: %v", err)
		}
		if n := s.op.Requests("/.well-known/openid-configuration"); n != before {
			t.Errorf("the discovery document was fetched %d times after rebinding", n-before)
		}
	})
}

// TestOIDCNewIssuerDropsSecret: the holder's form keeps the stored client
// secret only for the same issuer; a new issuer gets none (or the one
// given with it), so the secret is never sent to the holder's choice.
func TestOIDCNewIssuerDropsSecret(t *testing.T) {
	s := newOIDCSetup(t)
	if err := s.set(t, s.op.URL, "the operator's secret"); err != nil {
		t.Fatal(err)
	}
	other := oidctest.StartBad(t)
	hc := library.Caller{Account: s.a, User: s.holder}
	if err := s.svc.SetAccountOIDC(t.Context(), hc, library.OIDCSettings{Issuer: other.URL,
		ClientID: oidctest.ClientID, Domains: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	c, err := s.db.OIDCConfig(t.Context(), s.a.ID)
	if err != nil || c.ClientSecret != "" {
		t.Fatalf("stored secret after a new issuer: %q, %v; want none", c.ClientSecret, err)
	}
	s.op = other
	if err := s.finish(t, s.begin(t)); err != nil {
		t.Fatalf("sign-in with the new issuer: %v", err)
	}
	if got := other.Secrets(); len(got) != 1 || got[0] != "" {
		t.Errorf("the new issuer was sent secrets %q, want none", got)
	}
	es, _, err := s.svc.Audit(t.Context(), hc, damask.Page{Number: 1, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	found := false
	for _, e := range es {
		found = found || strings.Contains(e.Detail, "client secret dropped")
	}
	if !found {
		t.Error("the audit log does not say the secret was dropped")
	}
}

// TestOIDCSealedSignIn: the sign-in under way is the browser's, sealed:
// tampered with, of another account, expired or missing, it is refused;
// the provider's error parameters and its token endpoint's error text are
// never in the message nor in the audit log.
func TestOIDCSealedSignIn(t *testing.T) {
	s := newOIDCSetup(t)
	if err := s.set(t, s.op.URL, ""); err != nil {
		t.Fatal(err)
	}
	other, _, err := s.svc.CreateAccount(t.Context(), library.NewAccount{Name: "globex", Plan: "deluxe",
		HolderLogin: "bob", HolderEmail: "bob@example.com", Password: "bob's password"})
	if err != nil {
		t.Fatal(err)
	}
	const hostile = `<script>alert(1)</script> Your account is locked: call +1 555 0100`
	for _, tt := range []struct {
		name   string
		spoil  func(a *library.OIDCAnswer)
		mode   oidctest.Mode
		before func()
		want   string
	}{
		// One character in the middle: six bits of the sealed value, which
		// the last two characters were not always (they could already be
		// "AA", or differ only in padding bits).
		{"tampered", func(a *library.OIDCAnswer) {
			i := len(a.SignIn) / 2
			c := byte('A')
			if a.SignIn[i] == c {
				c = 'B'
			}
			a.SignIn = a.SignIn[:i] + string(c) + a.SignIn[i+1:]
		}, oidctest.Good, nil, "not started here"},
		{"none", func(a *library.OIDCAnswer) { a.SignIn = "" }, oidctest.Good, nil, "not started in this browser"},
		{"plain", func(a *library.OIDCAnswer) { a.SignIn = "state" }, oidctest.Good, nil, "not started here"},
		{"expired", func(a *library.OIDCAnswer) {}, oidctest.Good, func() { s.now = s.now.Add(damask.OIDCLoginLifetime + time.Second) }, "expired"},
		{"state", func(a *library.OIDCAnswer) { a.State += "x" }, oidctest.Good, nil, "state mismatch"},
		{"provider error", func(a *library.OIDCAnswer) { a.Error = hostile }, oidctest.Good, nil, "The provider did not sign you in"},
		{"known provider error", func(a *library.OIDCAnswer) { a.Error = "access_denied" }, oidctest.Good, nil, "declined (access_denied)"},
		{"token endpoint error", func(a *library.OIDCAnswer) {}, oidctest.Refuse, nil, "refused the authorization code"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			s.op.SetMode(tt.mode)
			s.op.SetErrorText(hostile)
			ans := s.begin(t)
			tt.spoil(&ans)
			if tt.before != nil {
				tt.before()
			}
			err := s.finish(t, ans)
			if damask.ErrorCode(err) != damask.EUNAUTHORIZED || !strings.Contains(damask.ErrorMessage(err), tt.want) {
				t.Errorf("FinishOIDC: %v, want refused with %q", err, tt.want)
			}
			if strings.Contains(damask.ErrorMessage(err), "script") || strings.Contains(damask.ErrorMessage(err), "555") {
				t.Errorf("the message carries the hostile text: %q", damask.ErrorMessage(err))
			}
		})
	}
	// Another account's sign-in, with its valid state and code.
	ans := s.begin(t)
	if _, _, err := s.svc.FinishOIDC(t.Context(), other, ans, library.Client{Source: "192.0.2.2"}); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		t.Errorf("another account's sign-in: %v", err)
	}
	es, _, err := s.svc.Audit(t.Context(), library.Caller{Account: s.a, User: s.holder}, damask.Page{Number: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	if len(es) < 8 {
		t.Errorf("%d audit events, want the 8 refusals", len(es))
	}
	for _, e := range es {
		if strings.Contains(e.Detail, "script") || strings.Contains(e.Detail, "555") || strings.Contains(e.Target, "script") {
			t.Errorf("the audit log carries the hostile text: %+v", e)
		}
	}
}
