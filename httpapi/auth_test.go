package httpapi_test

import (
	"context"
	"strconv"
	"strings"
	"testing"
)

func TestAuthentication(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	cases := []struct {
		name   string
		c      *client
		header []string
		status int
	}{
		{"no credentials", tn.anon, nil, 401},
		{"wrong password", tn.holder.as("holder", "wrong password"), nil, 401},
		{"unknown login", tn.holder.as("nobody", pw), nil, 401},
		{"empty password", tn.holder.as("holder", ""), nil, 401},
		{"login of another account", e.tenant(t, "other", "deluxe").holder.as("admin", "nope"), nil, 401},
		{"not Basic", tn.anon, []string{"Authorization", "Bearer abc"}, 401},
		{"garbled Basic", tn.anon, []string{"Authorization", "Basic !!!"}, 401},
		{"login", tn.holder, nil, 200},
		{"login in other case", tn.holder.as("HOLDER", pw), nil, 200},
		{"e-mail", tn.holder.as("holder@acme.test", pw), nil, 200},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				r := c.c.get(t, "/api/user"+ext, c.header...)
				if c.status == 200 {
					if u := r.want(t, 200).obj(t); u["login"] != "holder" {
						t.Errorf("signed in as %v", u["login"])
					}
					return
				}
				r.wantError(t, 401, "")
				if got := r.header.Get("WWW-Authenticate"); got != `Basic realm="Damask"` {
					t.Errorf("WWW-Authenticate %q", got)
				}
			})
		}
	}
	t.Run("every route", func(t *testing.T) {
		for _, rt := range allRoutes("1") {
			r := tn.anon.do(t, rt.method, rt.path+".json", nil)
			r.wantError(t, 401, "Basic")
		}
	})
	t.Run("disabled user", func(t *testing.T) {
		member := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
		tn.admin.send(t, "PUT", "/api/users/"+member+".json", form("disabled", "true")).want(t, 200)
		tn.member.get(t, "/api/user.json").wantError(t, 401, "")
		tn.admin.send(t, "PUT", "/api/users/"+member+".json", form("disabled", "false")).want(t, 200)
		tn.member.get(t, "/api/user.json").want(t, 200)
	})
	t.Run("changed password", func(t *testing.T) {
		guest := id(t, tn.guest.get(t, "/api/user.json").want(t, 200).obj(t))
		tn.guest.send(t, "PUT", "/api/users/"+guest+".json", form("password", "a new password")).want(t, 200)
		tn.guest.get(t, "/api/user.json").wantError(t, 401, "")
		tn.guest.as("guest", "a new password").get(t, "/api/user.json").want(t, 200)
	})
}

// TestThrottle: after 20 failures, sign-ins wait, even with the right
// password, and the answer says how long.
func TestThrottle(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	wrong := tn.holder.as("holder", "wrong password")
	for i := 1; i <= 19; i++ {
		wrong.get(t, "/api/user.xml").wantError(t, 401, "")
	}
	wrong.get(t, "/api/user.xml") // the 20th failure
	for _, c := range []*client{wrong, tn.holder} {
		for _, ext := range formats {
			r := c.get(t, "/api/user"+ext)
			r.wantError(t, 429, "try again later")
			if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 15*60+1 {
				t.Errorf("Retry-After %q", r.header.Get("Retry-After"))
			}
		}
	}
}

func TestAPISwitchedOff(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	if err := e.svc.SetAPI(context.Background(), "acme", false); err != nil {
		t.Fatal(err)
	}
	for _, c := range []*client{tn.holder, tn.guest, tn.anon} {
		for _, rt := range allRoutes("1") {
			for _, ext := range formats {
				r := c.do(t, rt.method, rt.path+ext, nil)
				r.wantError(t, 403, "the account holder must enable it")
			}
		}
	}
}

func TestMethodNotAllowed(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	cases := []struct{ method, path, allow string }{
		{"DELETE", "/api/account", "GET, PUT"},
		{"POST", "/api/account", "GET, PUT"},
		{"PUT", "/api/assets", "GET, POST"},
		{"PATCH", "/api/assets/1", "GET, PUT, DELETE"},
		{"POST", "/api/assets/1", "GET, PUT, DELETE"},
		{"DELETE", "/api/assets/1/versions", "GET, POST"},
		{"GET", "/api/upload", "POST"},
		{"POST", "/api/user", "GET"},
		{"DELETE", "/api/tags", "GET, POST"},
		{"POST", "/api/uploads/1", "GET"},
		{"PUT", "/api/assets/download/1", "GET"},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.method+c.path+ext, func(t *testing.T) {
				r := tn.holder.do(t, c.method, c.path+ext, nil)
				r.wantError(t, 405, "not allowed")
				if got := r.header.Get("Allow"); got != c.allow {
					t.Errorf("Allow %q, want %q", got, c.allow)
				}
			})
		}
	}
	for _, p := range []string{"/api/nothing", "/api/assets/1/versions/2/x", "/api", "/", "/index.html", "/api/assets/1/other"} {
		tn.holder.get(t, p).want(t, 404).errors(t)
	}
}

// TestHosts: the host chooses the account.
func TestHosts(t *testing.T) {
	e := newEnv(t, setup{})
	// The default account is made only in an empty store, as on a first start.
	if _, _, err := e.svc.EnsureDefault(context.Background(), pw); err != nil {
		t.Fatal(err)
	}
	e.tenant(t, "acme", "deluxe")
	c := func(host, login string) *client { return &client{e: e, host: host, login: login, password: pw} }
	cases := []struct {
		host, login string
		status      int
		company     string
	}{
		{"acme.example.com", "holder", 200, "acme"},
		{"ACME.Example.COM", "holder", 200, "acme"},
		{"acme.example.com:8080", "holder", 200, "acme"},
		{"nosuch.example.com", "holder", 404, ""},
		{"a.b.example.com", "holder", 404, ""},
		{"localhost", "admin", 403, ""}, // the default account, whose API is off
		{"127.0.0.1", "admin", 403, ""},
		{"acme.example.org", "admin", 403, ""},
	}
	for _, x := range cases {
		for _, ext := range formats {
			t.Run(x.host+ext, func(t *testing.T) {
				r := c(x.host, x.login).get(t, "/api/account"+ext)
				switch x.status {
				case 200:
					if a := r.want(t, 200).obj(t); a["subdomain"] != x.company {
						t.Errorf("account %v", a["subdomain"])
					}
				case 404:
					r.wantError(t, 404, "No account")
				case 403:
					r.wantError(t, 403, "enable")
				}
			})
		}
	}
	if err := e.svc.SetAPI(context.Background(), "default", true); err != nil {
		t.Fatal(err)
	}
	if a := c("localhost", "admin").get(t, "/api/account.json").want(t, 200).obj(t); a["subdomain"] != "default" {
		t.Errorf("localhost: account %v", a["subdomain"])
	}
	// A host that names no account answers 404 on public links too.
	c("nosuch.example.com", "").get(t, "/p/1-abc").wantError(t, 404, "No account")
}

// route is one call of routes.go, with ids filled in.
type route struct{ method, path string }

// allRoutes lists every route of routes.go (without extension), with id
// for every id in the path.
func allRoutes(id string) []route {
	return []route{
		{"GET", "/api/account"}, {"PUT", "/api/account"},
		{"GET", "/api/user"}, {"GET", "/api/users"}, {"POST", "/api/users"},
		{"GET", "/api/users/" + id}, {"PUT", "/api/users/" + id}, {"DELETE", "/api/users/" + id},
		{"GET", "/api/tags"}, {"POST", "/api/tags"},
		{"GET", "/api/tags/" + id}, {"PUT", "/api/tags/" + id}, {"DELETE", "/api/tags/" + id},
		{"GET", "/api/assets"}, {"POST", "/api/assets"},
		{"GET", "/api/assets/" + id}, {"PUT", "/api/assets/" + id}, {"DELETE", "/api/assets/" + id},
		{"GET", "/api/assets/download/" + id},
		{"GET", "/api/assets/" + id + "/versions"}, {"POST", "/api/assets/" + id + "/versions"},
		{"GET", "/api/assets/" + id + "/versions/1"},
		{"POST", "/api/upload"}, {"GET", "/api/uploads/" + id},
		{"GET", "/api/tokens"}, {"POST", "/api/tokens"},
		{"GET", "/api/tokens/" + id}, {"DELETE", "/api/tokens/" + id},
		{"GET", "/api/assets/facets"}, {"GET", "/api/audit"},
		{"GET", "/api/collections"}, {"POST", "/api/collections"},
		{"GET", "/api/collections/" + id}, {"PUT", "/api/collections/" + id}, {"DELETE", "/api/collections/" + id},
		{"GET", "/api/collections/" + id + "/assets"},
		{"GET", "/api/account/oidc"}, {"PUT", "/api/account/oidc"}, {"DELETE", "/api/account/oidc"},
	}
}

// pathOf is the path of a route with its extension.
func pathOf(rt route, ext string) string {
	if strings.Contains(rt.path, "/download/") {
		return rt.path
	}
	return rt.path + ext
}
