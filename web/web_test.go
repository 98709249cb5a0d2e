package web_test

import (
	"net/http"
	"net/http/httptest"
	"net/url"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/forwarded"
	"damask/library"
	"damask/web"
)

func TestSignIn(t *testing.T) {
	e := newEnv(t)
	tests := []struct {
		name, login, password string
		ok                    bool
	}{
		{"login", "ann", pw, true},
		{"e-mail, other case", "ANN@example.COM", pw, true},
		{"wrong password", "ann", "wrong password", false},
		{"unknown login", "nobody", pw, false},
		{"unknown e-mail", "nobody@example.com", pw, false},
		{"empty", "", "", false},
	}
	var failures []string
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			b := e.browser(t)
			res := b.trySignIn(tt.login, tt.password)
			if tt.ok {
				if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
					t.Fatalf("status %d, Location %q; want 303 to /", res.status, res.header.Get("Location"))
				}
				c := b.sessionCookie()
				if c == nil || len(c.Value) < 43 {
					t.Fatalf("session cookie %v; want a 32-byte secret", c)
				}
				if !b.signedIn("ann") {
					t.Error("not signed in after a good password")
				}
				return
			}
			if res.status != http.StatusUnauthorized {
				t.Errorf("status %d, want 401", res.status)
			}
			if b.sessionCookie() != nil {
				t.Error("a failed sign-in set a session cookie")
			}
			// The page says the same whatever was wrong; only the login
			// typed is shown back.
			failures = append(failures, strings.ReplaceAll(res.body, `value="`+tt.login+`"`, `value=""`))
			if b.signedIn("ann") {
				t.Error("signed in after a failure")
			}
		})
	}
	for i := 1; i < len(failures); i++ {
		a := csrfRE.ReplaceAllString(failures[0], "")
		b := csrfRE.ReplaceAllString(failures[i], "")
		if a != b {
			t.Errorf("failure pages differ:\n%s\n---\n%s", a, b)
		}
	}
}

func TestSessionCookie(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	form := b.get("/signin")
	res := b.post("/signin", url.Values{"csrf": {token(t, form)}, "login": {"ann"}, "password": {pw}})
	var raw string
	for _, v := range res.header.Values("Set-Cookie") {
		if strings.HasPrefix(v, "damask_session=") {
			raw = v
		}
	}
	for _, want := range []string{"Path=/", "HttpOnly", "SameSite=Lax", "Max-Age="} {
		if !strings.Contains(raw, want) {
			t.Errorf("Set-Cookie %q lacks %s", raw, want)
		}
	}
	if strings.Contains(raw, "Secure") {
		t.Errorf("Set-Cookie %q is Secure over plain HTTP", raw)
	}
	// The pages' security headers.
	for _, h := range []string{"Content-Security-Policy", "X-Content-Type-Options", "X-Frame-Options"} {
		if form.header.Get(h) == "" {
			t.Errorf("sign-in page lacks %s", h)
		}
	}
	if csp := form.header.Get("Content-Security-Policy"); !strings.Contains(csp, "frame-ancestors 'none'") || strings.Contains(csp, "unsafe-inline") {
		t.Errorf("CSP %q", csp)
	}
}

func TestThrottle(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	for i := 0; i < 19; i++ {
		if res := b.trySignIn("ann", "wrong password"); res.status != http.StatusUnauthorized {
			t.Fatalf("failure %d: status %d, want 401", i+1, res.status)
		}
	}
	res := b.trySignIn("ann", "wrong password")
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("20th failure: status %d, want 429", res.status)
	}
	// Even the right password waits now, and the answer says how long.
	res = b.trySignIn("ann", pw)
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("after 20 failures: status %d, want 429", res.status)
	}
	if s, err := strconv.Atoi(res.header.Get("Retry-After")); err != nil || s < 1 || s > 15*60+1 {
		t.Errorf("Retry-After %q, want seconds up to the 15 minute window", res.header.Get("Retry-After"))
	}
	// The user is not locked out for ever.
	e.clock.Add(16 * time.Minute)
	b.signIn("ann", pw)
}

func TestCSRF(t *testing.T) {
	e := newEnv(t)
	t.Run("sign-in form", func(t *testing.T) {
		tests := []struct {
			name    string
			token   func(tok string) string
			headers []string
		}{
			{"no token", func(string) string { return "" }, nil},
			{"wrong token", func(tok string) string { return tok[:len(tok)-2] + "xx" }, nil},
			{"foreign origin", func(tok string) string { return tok }, []string{"Origin", "https://evil.example"}},
			{"null origin", func(tok string) string { return tok }, []string{"Origin", "null"}},
			{"cross-site fetch", func(tok string) string { return tok }, []string{"Sec-Fetch-Site", "cross-site"}},
		}
		for _, tt := range tests {
			t.Run(tt.name, func(t *testing.T) {
				b := e.browser(t)
				form := b.get("/signin")
				res := b.post("/signin", url.Values{"csrf": {tt.token(token(t, form))}, "login": {"ann"}, "password": {pw}}, tt.headers...)
				if res.status != http.StatusForbidden {
					t.Errorf("status %d, want 403", res.status)
				}
				if b.sessionCookie() != nil {
					t.Error("signed in")
				}
			})
		}
		// Another browser's token is no good with this browser's cookie.
		b1, b2 := e.browser(t), e.browser(t)
		tok := token(t, b1.get("/signin"))
		b2.get("/signin")
		if res := b2.post("/signin", url.Values{"csrf": {tok}, "login": {"ann"}, "password": {pw}}); res.status != http.StatusForbidden {
			t.Errorf("another browser's token: status %d, want 403", res.status)
		}
		// Same-origin headers pass.
		b := e.browser(t)
		tok = token(t, b.get("/signin"))
		res := b.post("/signin", url.Values{"csrf": {tok}, "login": {"ann"}, "password": {pw}},
			"Origin", e.srv.URL, "Sec-Fetch-Site", "same-origin")
		if res.status != http.StatusSeeOther {
			t.Errorf("same-origin sign-in: status %d, want 303", res.status)
		}
	})
	t.Run("sign-out forms", func(t *testing.T) {
		for _, path := range []string{"/signout", "/signout/everywhere"} {
			b := e.browser(t)
			b.signIn("ann", pw)
			tok := token(t, b.get("/"))
			for _, tc := range []struct {
				name    string
				form    url.Values
				headers []string
			}{
				{"no token", url.Values{}, nil},
				{"sign-in token", url.Values{"csrf": {token(t, e.browser(t).get("/signin"))}}, nil},
				{"foreign origin", url.Values{"csrf": {tok}}, []string{"Origin", "http://evil.example"}},
				{"cross-site", url.Values{"csrf": {tok}}, []string{"Sec-Fetch-Site", "cross-site"}},
			} {
				if res := b.post(path, tc.form, tc.headers...); res.status != http.StatusForbidden {
					t.Errorf("%s %s: status %d, want 403", path, tc.name, res.status)
				}
				if !b.signedIn("ann") {
					t.Fatalf("%s %s: signed out", path, tc.name)
				}
			}
		}
	})
}

func TestSignOut(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn("ann", pw)
	stolen := *b.sessionCookie()
	res := b.post("/signout", url.Values{"csrf": {token(t, b.get("/"))}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/signin" {
		t.Fatalf("sign out: status %d, Location %q", res.status, res.header.Get("Location"))
	}
	if b.signedIn("ann") {
		t.Fatal("still signed in after sign-out")
	}
	// The old secret, kept by someone, is dead too.
	other := e.browser(t)
	u, _ := url.Parse(e.srv.URL)
	other.c.Jar.SetCookies(u, []*http.Cookie{&stolen})
	if other.signedIn("ann") {
		t.Error("the secret of a signed-out session still works")
	}
}

func TestSignOutEverywhere(t *testing.T) {
	e := newEnv(t)
	laptop, phone, admin := e.browser(t), e.browser(t), e.browser(t)
	laptop.signIn("ann", pw)
	phone.signIn("ann@example.com", pw)
	admin.signIn("admin", pw)
	res := laptop.post("/signout/everywhere", url.Values{"csrf": {token(t, laptop.get("/"))}})
	if res.status != http.StatusSeeOther {
		t.Fatalf("sign out everywhere: status %d", res.status)
	}
	if laptop.signedIn("ann") || phone.signedIn("ann") {
		t.Error("a session of ann survived sign-out everywhere")
	}
	if !admin.signedIn("admin") {
		t.Error("another user's session ended")
	}
}

func TestSessionEnds(t *testing.T) {
	tests := []struct {
		name string
		// do runs between sign-in and the check; alive is whether the
		// session should survive it.
		do    func(t *testing.T, e *env, b *browser)
		alive bool
	}{
		{"used within the idle timeout", func(t *testing.T, e *env, b *browser) {
			for range 4 {
				e.clock.Add(damask.SessionIdle - time.Minute)
				if !b.signedIn("ann") {
					t.Fatal("refused while in use")
				}
			}
		}, true},
		{"idle", func(t *testing.T, e *env, b *browser) { e.clock.Add(damask.SessionIdle + time.Second) }, false},
		{"past the absolute end though in use", func(t *testing.T, e *env, b *browser) {
			end := e.clock.Now().Add(damask.SessionLifetime)
			for e.clock.Now().Add(damask.SessionIdle / 2).Before(end) {
				e.clock.Add(damask.SessionIdle / 2)
				if !b.signedIn("ann") {
					t.Fatal("refused before its end")
				}
			}
			e.clock.Add(damask.SessionIdle / 2)
		}, false},
		{"password changed", func(t *testing.T, e *env, b *browser) {
			np := "a brand new password"
			if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, e.ann), e.ann.ID, library.UserChanges{Password: &np}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"password set to the same again", func(t *testing.T, e *env, b *browser) {
			p := pw
			if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, e.ann), e.ann.ID, library.UserChanges{Password: &p}); err != nil {
				t.Fatal(err)
			}
		}, false},
		{"names changed", func(t *testing.T, e *env, b *browser) {
			n := "Annie"
			if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, e.ann), e.ann.ID, library.UserChanges{FirstName: &n}); err != nil {
				t.Fatal(err)
			}
		}, true},
		{"user disabled", func(t *testing.T, e *env, b *browser) {
			holder, err := e.svc.User(t.Context(), e.caller(t, e.ann), 1)
			if err != nil {
				t.Fatal(err)
			}
			yes := true
			if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, holder), e.ann.ID, library.UserChanges{Disabled: &yes}); err != nil {
				t.Fatal(err)
			}
		}, false},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			e := newEnv(t)
			b := e.browser(t)
			b.signIn("ann", pw)
			tt.do(t, e, b)
			if got := b.signedIn("ann"); got != tt.alive {
				t.Errorf("signed in = %v, want %v", got, tt.alive)
			}
		})
	}
}

func TestDisabledUserCannotSignIn(t *testing.T) {
	e := newEnv(t)
	holder, err := e.svc.User(t.Context(), e.caller(t, e.ann), 1)
	if err != nil {
		t.Fatal(err)
	}
	yes := true
	if _, err := e.svc.UpdateUser(t.Context(), e.caller(t, holder), e.ann.ID, library.UserChanges{Disabled: &yes}); err != nil {
		t.Fatal(err)
	}
	if res := e.browser(t).trySignIn("ann", pw); res.status != http.StatusUnauthorized {
		t.Errorf("disabled user: status %d, want 401", res.status)
	}
}

func TestAudit(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.trySignIn("ann", "wrong password")
	b.signIn("ann", pw)
	b.post("/signout", url.Values{"csrf": {token(t, b.get("/"))}})
	holder, err := e.svc.User(t.Context(), e.caller(t, e.ann), 1)
	if err != nil {
		t.Fatal(err)
	}
	es, _, err := e.svc.Audit(t.Context(), e.caller(t, holder), damask.Page{Number: 1, Size: 10})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, ev := range es {
		if strings.HasPrefix(ev.Action, "sign_") {
			got = append(got, ev.Action)
		}
	}
	want := []string{damask.AuditSignOut, damask.AuditSignIn, damask.AuditSignInFailed}
	if strings.Join(got, ",") != strings.Join(want, ",") {
		t.Errorf("audit events %v, want %v", got, want)
	}
}

func TestUnknownAccount(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	// With no domain configured every host is the default account; a
	// page that does not exist is 404.
	if res := b.get("/nothing-here"); res.status != http.StatusNotFound {
		t.Errorf("GET /nothing-here: status %d, want 404", res.status)
	}
	if res := b.get("/static/damask.css"); res.status != http.StatusOK {
		t.Errorf("GET /static/damask.css: status %d", res.status)
	}
}

func TestSecureCookieBehindProxy(t *testing.T) {
	e := newEnv(t)
	for _, tc := range []struct {
		trust  bool
		secure bool
	}{{true, true}, {false, false}} {
		// httptest's requests come from 192.0.2.1.
		var proxies forwarded.Proxies
		if tc.trust {
			proxies, _ = forwarded.ParseProxies("192.0.2.1")
		}
		h := web.New(e.svc, web.Config{Proxies: proxies})
		req := httptest.NewRequest(http.MethodGet, "/signin", nil)
		req.Header.Set("X-Forwarded-Proto", "https")
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		raw := rec.Header().Get("Set-Cookie")
		if got := strings.Contains(raw, "Secure"); got != tc.secure || raw == "" {
			t.Errorf("trust proxy %v: Set-Cookie %q, want Secure %v", tc.trust, raw, tc.secure)
		}
		if got := rec.Header().Get("Strict-Transport-Security") != ""; got != tc.secure {
			t.Errorf("trust proxy %v: HSTS %v", tc.trust, got)
		}
	}
}
