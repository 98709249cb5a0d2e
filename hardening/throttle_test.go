package hardening

import (
	"fmt"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR41_OneIdentityTokensStillWork: twenty failed sign-ins against one
// user, from as many addresses (a proxy on loopback tells them in
// X-Forwarded-For), naming the user by login and by e-mail address in
// any case, through the API's Basic auth and the sign-in form, hold the
// user's password sign-ins back: 429 with Retry-After even for the right
// password, by login, by e-mail and in the form. The user's API tokens
// still work, as Bearer and as the Basic password with either name, from
// the guesser's addresses too; another user is not held back. A login
// that finds no user is counted as typed, in any case.
func TestR41_OneIdentityTokensStillWork(t *testing.T) {
	l := behindProxy(t, "--rate", "0")
	bystander, _ := addUser(t, l.admin, "bystander", "member")
	// A try is one of these ways of sending a login and a password from
	// an address.
	type try func(t *testing.T, c servertest.Client, login, pw, addr string) (int, http.Header)
	api := func(t *testing.T, c servertest.Client, login, pw, addr string) (int, http.Header) {
		c.T, c.Login, c.PW, c.Token = t, login, pw, ""
		st, h, _ := c.Request("GET", "/api/user.json", "", nil, "X-Forwarded-For", addr)
		return st, h
	}
	form := func(t *testing.T, _ servertest.Client, login, pw, addr string) (int, http.Header) {
		br := l.browser(t, "")
		p := br.get("/signin")
		res := br.post("/signin", url.Values{"csrf": {br.csrf(p)}, "login": {login}, "password": {pw}}, "X-Forwarded-For", addr)
		if res.status == http.StatusSeeOther && br.session() == nil {
			t.Errorf("form sign-in as %s: 303 without a session", login)
		}
		return res.status, res.header
	}
	held := func(t *testing.T, what string, st int, h http.Header) {
		t.Helper()
		s, err := strconv.Atoi(h.Get("Retry-After"))
		if st != http.StatusTooManyRequests || err != nil || s < 1 || s > 15*60+1 {
			t.Errorf("%s: status %d, Retry-After %q; want 429 with a wait up to the 15 minute window", what, st, h.Get("Retry-After"))
		}
	}

	variants := []struct {
		name string
		// names are how the failures name the victim, in turn; ways how
		// they are sent, in turn.
		names []string
		ways  []try
	}{
		// %[1]s is the login, %[2]s the login in capitals.
		{"login and e-mail by turns, API", []string{"%[1]s", "%[1]s@example.test"}, []try{api}},
		{"cases of both, API and form", []string{"%[1]s", "%[1]s@EXAMPLE.test", "%[2]s", "%[2]s@example.TEST"}, []try{api, form, form, api}},
		{"e-mail only, form", []string{"%[1]s@example.test", "%[2]s@Example.Test"}, []try{form}},
	}
	for n, v := range variants {
		t.Run(v.name, func(t *testing.T) {
			login := fmt.Sprintf("victim%d", n)
			admin := l.admin
			admin.T = t
			victim, _ := addUser(t, admin, login, "member")
			secret, _ := newToken(t, victim, "name", "ci")
			name := func(i int) string {
				f := v.names[i%len(v.names)]
				return fmt.Sprintf(f, login, strings.ToUpper(login))
			}
			addr := func(i int) string { return fmt.Sprintf("203.0.%d.%d", 113+n, i+1) }
			for i := range 20 {
				st, _ := v.ways[i%len(v.ways)](t, victim, name(i), "wrong password", addr(i))
				if st != http.StatusUnauthorized && !(i == 19 && st == http.StatusTooManyRequests) {
					t.Fatalf("failure %d (%s from %s): status %d, want 401", i+1, name(i), addr(i), st)
				}
			}
			// The right password, from a new address, by every name and
			// way: held back.
			for _, who := range []string{login, login + "@example.test", strings.ToUpper(login)} {
				st, h := api(t, victim, who, victim.PW, "198.51.100.1")
				held(t, "API, right password as "+who, st, h)
				st, h = form(t, victim, who, victim.PW, "198.51.100.2")
				held(t, "form, right password as "+who, st, h)
			}
			// The user's token works, from a new address and from the
			// guesser's, as Bearer and as the Basic password with either
			// name.
			for _, from := range []string{"198.51.100.3", addr(19)} {
				tc := victim
				tc.T, tc.Token = t, secret
				if st, _, b := tc.Request("GET", "/api/user.json", "", nil, "X-Forwarded-For", from); st != http.StatusOK {
					t.Errorf("Bearer token from %s: %d: %s", from, st, b)
				}
				for _, who := range []string{login, login + "@example.test", strings.ToUpper(login)} {
					if st, _ := api(t, victim, who, secret, from); st != http.StatusOK {
						t.Errorf("token as the Basic password of %s from %s: %d, want 200", who, from, st)
					}
				}
			}
			// Another user, from a new address, is not held back.
			if st, _ := api(t, bystander, "bystander", bystander.PW, "198.51.100.4"); st != http.StatusOK {
				t.Errorf("another user: %d, want 200", st)
			}
			if st, _ := form(t, bystander, "bystander@example.test", bystander.PW, "198.51.100.5"); st != http.StatusSeeOther {
				t.Errorf("another user through the form: %d, want 303", st)
			}
		})
	}

	t.Run("unknown login, in any case", func(t *testing.T) {
		for i := range 20 {
			who := []string{"ghost", "GHOST", "Ghost"}[i%3]
			st, _ := api(t, l.admin, who, "wrong password", fmt.Sprintf("192.0.2.%d", i+1))
			if st != http.StatusUnauthorized && !(i == 19 && st == http.StatusTooManyRequests) {
				t.Fatalf("failure %d: status %d, want 401", i+1, st)
			}
		}
		st, h := api(t, l.admin, "gHost", "any password", "192.0.2.200")
		held(t, "the unknown login after 20 failures", st, h)
	})
	l.CheckLog()
}
