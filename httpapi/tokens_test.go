package httpapi_test

import (
	"bytes"
	"net/http"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/oidctest"
)

// newToken makes a token as c (signed in with a password) and answers its
// document, with the secret as "token".
func (c *client) newToken(t *testing.T, kv ...string) map[string]any {
	t.Helper()
	return c.send(t, "POST", "/api/tokens.json", form(kv...)).want(t, http.StatusCreated).obj(t)
}

// bearer sends a request to the tenant's host with the secret as
// "Authorization: Bearer".
func (tn *tenant) bearer(t *testing.T, method, path, secret string, b payload) *response {
	t.Helper()
	headers := []string{"Authorization", "Bearer " + secret}
	if b.ct != "" {
		headers = append(headers, "Content-Type", b.ct)
	}
	return tn.anon.do(t, method, path, bytes.NewReader(b.data), headers...)
}

func TestTokenLifecycle(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "other", "deluxe")

	var secrets []string
	created := map[string]map[string]any{} // by name
	for _, c := range []struct {
		name     string
		ext      string
		body     payload
		readOnly bool
		expires  bool
	}{
		{"laptop", ".xml", form("name", "laptop"), false, false},
		{"ci", ".json", jsonBody(`{"token": {"name": "ci", "read_only": true, "expires_in_days": 30}}`), true, true},
		{"backup", ".xml", xmlBody(`<token><name>backup</name><expires_on>2099-01-02T03:04:05Z</expires_on></token>`), false, true},
	} {
		t.Run("create "+c.name+c.ext, func(t *testing.T) {
			r := tn.member.send(t, "POST", "/api/tokens"+c.ext, c.body).want(t, 201)
			doc := r.obj(t)
			secret := str(doc["token"])
			if !strings.HasPrefix(secret, "dmk_") || len(secret) != 44 || strings.ToUpper(secret) != strings.Replace(secret, "dmk_", "DMK_", 1) {
				t.Fatalf("secret %q: want dmk_ and 40 base32 characters", secret)
			}
			if doc["prefix"] != secret[:8] || doc["read_only"] != c.readOnly || (doc["expires_on"] != nil) != c.expires {
				t.Errorf("token document %v", doc)
			}
			if doc["revoked_on"] != nil || doc["last_used_on"] != nil || doc["hash"] != nil {
				t.Errorf("token document %v", doc)
			}
			if loc := r.header.Get("Location"); loc != "http://acme.example.com/api/tokens/"+id(t, doc)+c.ext {
				t.Errorf("Location %q", loc)
			}
			// The document at the Location has no secret.
			show := tn.member.get(t, "/api/tokens/"+id(t, doc)+c.ext).want(t, 200)
			if bytes.Contains(show.body, []byte(secret)) || show.obj(t)["token"] != nil {
				t.Errorf("the secret is shown again: %s", show)
			}
			secrets = append(secrets, secret)
			created[c.name] = doc
		})
	}
	if len(secrets) != 3 {
		t.FailNow()
	}
	if d := created["ci"]; d["expires_on"] == nil {
		t.Errorf("expires_in_days set no expiry: %v", d)
	}

	for _, ext := range formats {
		t.Run("list"+ext, func(t *testing.T) {
			r := tn.member.get(t, "/api/tokens"+ext).want(t, 200)
			l := r.list(t, "tokens", "token")
			if len(l) != 3 {
				t.Fatalf("%d tokens: %s", len(l), r)
			}
			if l[0].(map[string]any)["name"] != "backup" || l[2].(map[string]any)["name"] != "laptop" {
				t.Errorf("not newest first: %s", r)
			}
			for _, s := range secrets {
				if bytes.Contains(r.body, []byte(s)) || bytes.Contains(r.body, []byte(s[8:])) {
					t.Errorf("list shows a secret: %s", r)
				}
			}
			for _, it := range l {
				if _, ok := it.(map[string]any)["token"]; ok {
					t.Errorf("list item with a token field: %v", it)
				}
			}
			// Others see only their own tokens.
			tn.guest.get(t, "/api/tokens"+ext).want(t, 404)
		})
	}

	t.Run("refused fields", func(t *testing.T) {
		for _, b := range []payload{
			form("name", ""),
			form("name", "x", "expires_on", "tomorrow"),
			form("name", "x", "expires_on", "2001-01-01T00:00:00Z"),
			form("name", "x", "expires_on", "9999-01-01T00:00:00Z"),
			form("name", "x", "expires_in_days", "0"),
			form("name", "x", "expires_in_days", "99999999999"),
			form("name", "x", "expires_in_days", "soon"),
			form("name", "x", "expires_in_days", "3", "expires_on", "2099-01-01T00:00:00Z"),
			form("name", "x", "read_only", "maybe"),
			form("name", "x", "hash", "00"),
		} {
			tn.member.send(t, "POST", "/api/tokens.json", b).wantError(t, 422, "")
		}
	})

	laptop := id(t, created["laptop"])
	t.Run("revoke", func(t *testing.T) {
		tn.member.as("member", secrets[0]).get(t, "/api/user.json").want(t, 200)
		// Another user's token and another account's token are missing.
		tn.guest.do(t, "DELETE", "/api/tokens/"+laptop+".json", nil).wantError(t, 404, "")
		tn.holder.do(t, "DELETE", "/api/tokens/"+laptop+".xml", nil).wantError(t, 404, "")
		other.member.do(t, "DELETE", "/api/tokens/"+laptop+".json", nil).wantError(t, 404, "")
		tn.member.as("member", secrets[0]).get(t, "/api/user.json").want(t, 200)

		for _, ext := range formats {
			r := tn.member.do(t, "DELETE", "/api/tokens/"+laptop+ext, nil).want(t, 200)
			if d := r.obj(t); d["revoked_on"] == nil || id(t, d) != laptop {
				t.Errorf("revoked token: %s", r)
			}
		}
		tn.member.as("member", secrets[0]).get(t, "/api/user.json").wantError(t, 401, "")
		tn.bearer(t, "GET", "/api/user.json", secrets[0], payload{}).wantError(t, 401, "")
		// The others still work.
		tn.bearer(t, "GET", "/api/user.json", secrets[2], payload{}).want(t, 200)
	})

	t.Run("audit", func(t *testing.T) {
		r := tn.holder.get(t, "/api/audit.json?per_page=100").want(t, 200)
		body := string(r.body)
		if got := strings.Count(body, `"token_created"`); got != 3 {
			t.Errorf("%d token_created events: %s", got, r)
		}
		if got := strings.Count(body, `"token_revoked"`); got != 1 {
			t.Errorf("%d token_revoked events (revoked twice, recorded once): %s", got, r)
		}
		if !strings.Contains(body, "revoked token "+laptop) {
			t.Errorf("no failure naming the revoked token: %s", r)
		}
		// A password sent as a Bearer token is not written down, even in part.
		tn.bearer(t, "GET", "/api/user.json", pw, payload{}).wantError(t, 401, "")
		if r := tn.holder.get(t, "/api/audit.json?per_page=100").want(t, 200); bytes.Contains(r.body, []byte(pw[:6])) {
			t.Errorf("the audit log holds part of a password: %s", r)
		}
		for _, s := range secrets {
			if strings.Contains(body, s[8:]) {
				t.Errorf("the audit log holds a secret: %s", r)
			}
		}
	})
}

func TestTokenAuthentication(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "other", "deluxe")
	secret := str(tn.member.newToken(t, "name", "ci")["token"])
	otherSecret := str(other.member.newToken(t, "name", "ci")["token"])
	cases := []struct {
		name   string
		c      *client
		header []string
		status int
	}{
		{"Basic with login", tn.anon.as("member", secret), nil, 200},
		{"Basic with login in other case", tn.anon.as("MEMBER", secret), nil, 200},
		{"Basic with e-mail", tn.anon.as("member@acme.test", secret), nil, 200},
		{"Basic with another user's login", tn.anon.as("holder", secret), nil, 401},
		{"Basic with an unknown login", tn.anon.as("nobody", secret), nil, 401},
		{"Bearer", tn.anon, []string{"Authorization", "Bearer " + secret}, 200},
		{"Bearer in lower case", tn.anon, []string{"Authorization", "bearer " + secret}, 200},
		{"Bearer of another account", tn.anon, []string{"Authorization", "Bearer " + otherSecret}, 401},
		{"Basic of another account", tn.anon.as("member", otherSecret), nil, 401},
		{"Bearer altered", tn.anon, []string{"Authorization", "Bearer " + altered(secret)}, 401},
		{"Bearer lower-cased", tn.anon, []string{"Authorization", "Bearer " + strings.ToLower(secret)}, 401},
		{"Bearer empty", tn.anon, []string{"Authorization", "Bearer "}, 401},
		{"Bearer of a password", tn.anon, []string{"Authorization", "Bearer " + pw}, 401},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				r := c.c.get(t, "/api/user"+ext, c.header...)
				if c.status == 200 {
					if u := r.want(t, 200).obj(t); u["login"] != "member" {
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
	// The password keeps working beside the token.
	tn.member.get(t, "/api/user.json").want(t, 200)
}

// TestTokenLimits: a token may not make tokens, set passwords or change
// roles, whatever its scope.
func TestTokenLimits(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	admin := str(tn.admin.newToken(t, "name", "admin's")["token"])
	member := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
	adminID := id(t, tn.admin.get(t, "/api/user.json").want(t, 200).obj(t))
	before := e.state(t, tn.holder)
	for _, ext := range formats {
		bearer := func(method, path string, b payload) *response {
			return tn.bearer(t, method, path+ext, admin, b)
		}
		bearer("POST", "/api/tokens", form("name", "child")).wantError(t, 403, "Tokens cannot create tokens")
		tn.admin.as("admin", admin).send(t, "POST", "/api/tokens"+ext, form("name", "child")).wantError(t, 403, "Tokens cannot create tokens")
		bearer("PUT", "/api/users/"+adminID, form("password", "a new password")).wantError(t, 403, "Tokens cannot set passwords")
		bearer("PUT", "/api/users/"+member, form("password", "a new password")).wantError(t, 403, "Tokens cannot set passwords")
		bearer("PUT", "/api/users/"+member, form("role", "admin")).wantError(t, 403, "Tokens cannot change roles")
		bearer("POST", "/api/users", form("login", "eve", "email", "eve@acme.test", "password", pw)).wantError(t, 403, "Tokens cannot set passwords")
	}
	e.unchanged(t, tn.holder, before)
	// What the role allows otherwise, a read-write token may do.
	tn.bearer(t, "PUT", "/api/users/"+member+".json", admin, form("first_name", "Renamed")).want(t, 200)
	tn.bearer(t, "POST", "/api/tags.json", admin, form("tag", "by-token")).want(t, 201)
	// And it may revoke tokens, itself too.
	self := str(tn.bearer(t, "GET", "/api/tokens.json", admin, payload{}).want(t, 200).list(t, "tokens", "token")[0].(map[string]any)["id"])
	tn.bearer(t, "DELETE", "/api/tokens/"+self+".json", admin, payload{}).want(t, 200)
	tn.bearer(t, "GET", "/api/user.json", admin, payload{}).wantError(t, 401, "")
}

// TestReadOnlyToken runs every writing route with a read-only token of
// the holder, who may do everything: each is 403 and changes nothing,
// while the reading routes answer.
func TestReadOnlyToken(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	ro := str(tn.holder.newToken(t, "name", "reader", "read_only", "true")["token"])
	rw := id(t, tn.holder.newToken(t, "name", "writer"))
	tn.holder.send(t, "PUT", "/api/account/oidc.json",
		form("issuer", oidctest.StartBad(t).URL, "client_id", "damask", "domains", "acme.test")).want(t, 200)
	before := e.state(t, tn.holder)
	calls := []struct {
		method, path string
		body         payload
	}{
		{"PUT", "/api/account", form("company_name", "Hijacked")},
		{"POST", "/api/users", form("login", "eve", "email", "eve@acme.test", "password", pw)},
		{"PUT", "/api/users/" + f.user, form("first_name", "Hijacked")},
		{"PUT", "/api/users/" + f.user, form("password", "a new password")},
		{"DELETE", "/api/users/" + f.user, payload{}},
		{"POST", "/api/tags", form("tag", "new")},
		{"PUT", "/api/tags/" + f.tag, form("tag", "renamed")},
		{"DELETE", "/api/tags/" + f.tag, payload{}},
		{"POST", "/api/assets", multipartBody(file{"file", "x.txt", []byte("new asset")})},
		{"POST", "/api/assets", form("upload_id", f.upload)},
		{"PUT", "/api/assets/" + f.asset, form("title", "Hijacked")},
		{"PUT", "/api/assets/" + f.asset, multipartBody(file{"file", "x.txt", []byte("new version")})},
		{"DELETE", "/api/assets/" + f.asset, payload{}},
		{"POST", "/api/assets/" + f.asset + "/versions", multipartBody(file{"file", "x.txt", []byte("new version")})},
		{"POST", "/api/upload", payload{"application/octet-stream", []byte("new upload")}},
		{"POST", "/api/tokens", form("name", "child")},
		{"DELETE", "/api/tokens/" + rw, payload{}},
		{"PUT", "/api/account/oidc", form("issuer", "https://evil.test", "client_id", "x", "domains", "evil.test")},
		{"DELETE", "/api/account/oidc", payload{}},
		{"POST", "/api/collections", form("title", "new")},
		{"PUT", "/api/collections/" + f.collection, form("title", "renamed", "asset_ids", "")},
		{"DELETE", "/api/collections/" + f.collection, payload{}},
	}
	// Every writing route of routes.go is here.
	seen := map[string]bool{}
	for _, c := range calls {
		seen[c.method+" "+c.path] = true
	}
	for _, rt := range allRoutes("1") {
		if rt.method != "GET" && !seenAny(seen, rt.method, rt.path) {
			t.Errorf("writing route %s %s not tried", rt.method, rt.path)
		}
	}
	for _, c := range calls {
		for _, ext := range formats {
			t.Run(c.method+c.path+ext, func(t *testing.T) {
				tn.bearer(t, c.method, c.path+ext, ro, c.body).wantError(t, 403, "This token is read-only")
				tn.holder.as("holder", ro).send(t, c.method, c.path+ext, c.body).wantError(t, 403, "This token is read-only")
			})
		}
	}
	e.unchanged(t, tn.holder, before)
	for _, rt := range allRoutes("1") {
		if rt.method != "GET" {
			continue
		}
		p := strings.NewReplacer("/users/1", "/users/"+f.user, "/tags/1", "/tags/"+f.tag, "/assets/1", "/assets/"+f.asset,
			"/download/1", "/download/"+f.asset, "/uploads/1", "/uploads/"+f.upload, "/tokens/1", "/tokens/"+rw,
			"/collections/1", "/collections/"+f.collection).Replace(rt.path)
		tn.bearer(t, "GET", pathOf(route{rt.method, p}, ".json"), ro, payload{}).want(t, 200)
	}
}

// seenAny tells whether a call of the method reached a path of the same
// shape as pattern (ids as any number).
func seenAny(seen map[string]bool, method, pattern string) bool {
	shape := func(p string) string {
		parts := strings.Split(p, "/")
		for i, s := range parts {
			if _, err := strconv.Atoi(s); err == nil {
				parts[i] = "N"
			}
		}
		return strings.Join(parts, "/")
	}
	for k := range seen {
		m, p, _ := strings.Cut(k, " ")
		if m == method && shape(p) == shape(pattern) {
			return true
		}
	}
	return false
}

// TestTokenStates: expired tokens and disabled users' tokens fail; the
// last use is recorded at most once a minute.
func TestTokenStates(t *testing.T) {
	clk := &clock{t: time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)}
	e := newEnv(t, setup{now: clk.now})
	tn := e.tenant(t, "acme", "deluxe")
	short := str(tn.member.newToken(t, "name", "short", "expires_in_days", "1")["token"])
	long := tn.member.newToken(t, "name", "long")
	secret := str(long["token"])
	tid := id(t, long)

	lastUse := func() any {
		return tn.member.get(t, "/api/tokens/"+tid+".json").want(t, 200).obj(t)["last_used_on"]
	}
	if got := lastUse(); got != nil {
		t.Errorf("unused token: last_used_on %v", got)
	}
	tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	first := clk.now().Format(time.RFC3339)
	if got := lastUse(); got != first {
		t.Errorf("last_used_on %v, want %v", got, first)
	}
	clk.add(30 * time.Second)
	tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	if got := lastUse(); got != first {
		t.Errorf("touched again within the minute: last_used_on %v, want %v", got, first)
	}
	clk.add(31 * time.Second)
	tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	if got, want := lastUse(), clk.now().Format(time.RFC3339); got != want {
		t.Errorf("last_used_on %v, want %v", got, want)
	}

	t.Run("expired", func(t *testing.T) {
		tn.bearer(t, "GET", "/api/user.json", short, payload{}).want(t, 200)
		clk.add(24 * time.Hour)
		tn.bearer(t, "GET", "/api/user.json", short, payload{}).wantError(t, 401, "")
		tn.member.as("member", short).get(t, "/api/user.xml").wantError(t, 401, "")
		tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	})

	t.Run("disabled user", func(t *testing.T) {
		member := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
		tn.admin.send(t, "PUT", "/api/users/"+member+".json", form("disabled", "true")).want(t, 200)
		tn.bearer(t, "GET", "/api/user.json", secret, payload{}).wantError(t, 401, "")
		tn.member.as("member", secret).get(t, "/api/user.json").wantError(t, 401, "")
		tn.admin.send(t, "PUT", "/api/users/"+member+".json", form("disabled", "false")).want(t, 200)
		tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	})

	t.Run("password change revokes tokens", func(t *testing.T) {
		member := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
		tn.member.send(t, "PUT", "/api/users/"+member+".json", form("password", "a new password")).want(t, 200)
		tn.member.get(t, "/api/user.json").wantError(t, 401, "")
		tn.bearer(t, "GET", "/api/user.json", secret, payload{}).wantError(t, 401, "")
		if got := tn.member.as("member", "a new password").get(t, "/api/tokens/"+tid+".json").want(t, 200).obj(t)["revoked_on"]; got == nil {
			t.Error("the token is not marked revoked")
		}
	})

	t.Run("deleted user", func(t *testing.T) {
		login := "temp"
		uid := id(t, tn.holder.send(t, "POST", "/api/users.json", form("login", login, "email", "temp@acme.test", "password", pw)).want(t, 201).obj(t))
		s := str(tn.holder.as(login, pw).newToken(t, "name", "temp")["token"])
		tn.bearer(t, "GET", "/api/user.json", s, payload{}).want(t, 200)
		tn.holder.do(t, "DELETE", "/api/users/"+uid+".json", nil).want(t, 200)
		tn.bearer(t, "GET", "/api/user.json", s, payload{}).wantError(t, 401, "")
	})
}

// TestTokenThrottle: 20 wrong tokens from one address hold it back, and
// the answer says how long; a live token is no guess and still works from
// there, as Bearer and as the Basic password, while passwords wait.
func TestTokenThrottle(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	secret := str(tn.member.newToken(t, "name", "ci")["token"])
	// Wrong tokens of the right shape, each different.
	wrong := func(i int) string {
		const b32 = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
		return "dmk_" + strings.Repeat("A", 38) + string(b32[i/32%32]) + string(b32[i%32])
	}
	for i := 1; i < 20; i++ {
		tn.bearer(t, "GET", "/api/user.json", wrong(i), payload{}).wantError(t, 401, "")
	}
	tn.bearer(t, "GET", "/api/user.json", wrong(20), payload{}) // the 20th failure
	for _, c := range []struct {
		name string
		do   func() *response
	}{
		{"wrong token", func() *response {
			return tn.bearer(t, "GET", "/api/user.json", wrong(21), payload{})
		}},
		{"right password", func() *response { return tn.member.get(t, "/api/user.json") }},
	} {
		r := c.do()
		r.wantError(t, 429, "try again later")
		if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 || s > 15*60+1 {
			t.Errorf("%s: Retry-After %q", c.name, r.header.Get("Retry-After"))
		}
	}
	tn.bearer(t, "GET", "/api/user.json", secret, payload{}).want(t, 200)
	tn.member.as("member", secret).get(t, "/api/user.xml").want(t, 200)
	// The holder shares the address, so the log is read from elsewhere.
	tn.holder.get(t, "/api/audit.json").want(t, 429)
	ctx := t.Context()
	a, err := e.svc.AccountByName(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	holder, err := e.svc.Authenticate(ctx, a, "holder", pw, "elsewhere")
	if err != nil {
		t.Fatal(err)
	}
	events, _, err := e.svc.Audit(ctx, library.Caller{Account: a, User: holder}, damask.Page{Number: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	failed := 0
	for _, ev := range events {
		if ev.Action == damask.AuditSignInFailed && strings.Contains(ev.Detail, "unknown token") {
			failed++
		}
	}
	if failed != 20 {
		t.Errorf("%d failures recorded, want 20", failed)
	}
}

// altered returns secret with its last character changed, whatever it was.
func altered(secret string) string {
	last := "A"
	if strings.HasSuffix(secret, last) {
		last = "B"
	}
	return secret[:len(secret)-1] + last
}
