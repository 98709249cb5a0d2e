package httpapi_test

import (
	"encoding/base64"
	"encoding/json"
	"html"
	"net/http"
	"regexp"
	"slices"
	"strings"
	"testing"

	"damask/httpapi"
)

// TestDescriptionCoversRoutes holds the route table against the
// description: every pattern of routes.go serves some described operation,
// and every described operation reaches a pattern of the table.
func TestDescriptionCoversRoutes(t *testing.T) {
	d := description(t)
	srv := httpapi.New(nil, httpapi.Config{})
	wild := regexp.MustCompile(`\{[^}]+\}`)
	served := map[string]bool{}
	for _, dp := range d.paths {
		for method, op := range dp.item.Operations() {
			// A sample path: each wildcard by its example, else 1.
			path := wild.ReplaceAllStringFunc(dp.template, func(w string) string {
				for _, p := range op.Parameters {
					if p.Value != nil && "{"+p.Value.Name+"}" == w && p.Value.Example != nil {
						b, _ := json.Marshal(p.Value.Example)
						return strings.Trim(string(b), `"`)
					}
				}
				return "1"
			})
			pattern := srv.Route(method, strings.TrimSuffix(path, ".json"))
			if pattern == "" {
				t.Errorf("%s %s is described but the server has no such route (tried %s)", method, dp.template, path)
				continue
			}
			served[pattern] = true
		}
	}
	patterns := srv.Patterns()
	if len(patterns) == 0 {
		t.Fatal("the route table is empty")
	}
	for _, p := range patterns {
		if !served[p] {
			t.Errorf("route %q is not in the description (httpapi/openapi.json)", p)
		}
	}
}

// TestDescribedRoutes calls every described operation once with a request
// the description allows, and validates the request and (through
// client.do) the answer against it.
func TestDescribedRoutes(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	tested := map[string]bool{}
	call := func(c *client, method, path string, b payload, want int, headers ...string) *response {
		t.Helper()
		tested[checkRequest(t, method, path, b, headers...)] = true
		r := c.send(t, method, path, b, headers...)
		if want != 0 {
			r.want(t, want)
		}
		return r
	}
	none := payload{}
	h, m := tn.holder, tn.member

	call(h, "GET", "/api/account.json", none, 200)
	call(h, "PUT", "/api/account.json", jsonBody(`{"company_name":"Acme Ltd","public_links":true}`), 200)
	// OpenID Connect needs a provider to set; without one the answers are
	// errors, still validated.
	call(h, "GET", "/api/account/oidc.json", none, 0)
	call(h, "PUT", "/api/account/oidc.json", form("issuer", "https://id.invalid", "client_id", "damask"), 0)
	call(h, "DELETE", "/api/account/oidc.json", none, 0)
	call(h, "GET", "/api/audit.json?page=1&per_page=10", none, 0)

	call(m, "GET", "/api/user.json", none, 200)
	call(m, "GET", "/api/users.json?page=1", none, 200)
	u := id(t, call(h, "POST", "/api/users.json", form("login", "dave", "email", "dave@acme.test", "password", pw, "role", "member"), 201,
		"Idempotency-Key", "user-dave").obj(t))
	call(m, "GET", "/api/users/"+f.user+".json", none, 200)
	call(h, "PUT", "/api/users/"+u+".json", jsonBody(`{"first_name":"Dave"}`), 200)
	call(h, "DELETE", "/api/users/"+u+".json", none, 200)

	tok := id(t, call(m, "POST", "/api/tokens.json", form("name", "ci", "read_only", "true", "expires_in_days", "30"), 201).obj(t))
	call(m, "GET", "/api/tokens.json", none, 200)
	call(m, "GET", "/api/tokens/"+tok+".json", none, 200)
	call(m, "DELETE", "/api/tokens/"+tok+".json", none, 200)

	call(m, "GET", "/api/tags.json", none, 200)
	tag := id(t, call(tn.admin, "POST", "/api/tags.json", jsonBody(`{"tag":"print"}`), 201).obj(t))
	call(m, "GET", "/api/tags/"+tag+".json", none, 200)
	call(tn.admin, "PUT", "/api/tags/"+tag+".json", form("tag", "press"), 200)
	call(tn.admin, "DELETE", "/api/tags/"+tag+".json", none, 200)

	call(m, "GET", "/api/collections.json", none, 200)
	col := id(t, call(m, "POST", "/api/collections.json", form("title", "Picks", "asset_ids", f.asset), 201).obj(t))
	call(m, "GET", "/api/collections/"+col+".json", none, 200)
	call(m, "PUT", "/api/collections/"+col+".json", jsonBody(`{"description":"The best"}`), 200)
	call(m, "GET", "/api/collections/"+col+"/assets.json?per_page=5", none, 200)
	call(m, "GET", "/api/stages.json", none, 404) // none yet
	stage := id(t, call(m, "POST", "/api/stages.json", form("title", "For the client", "collection_id", col,
		"password", "a magic phrase", "expires_on", "2099-01-01", "recipients", "ann@client.example"), 201).obj(t))
	call(m, "GET", "/api/stages.json", none, 200)
	call(m, "GET", "/api/stages/"+stage+".json", none, 200)
	call(m, "PUT", "/api/stages/"+stage+".json", jsonBody(`{"downloads":"originals","watermark":"DRAFT"}`), 200)
	call(m, "GET", "/api/stages/"+stage+"/log.json", none, 404) // no visit yet
	call(m, "DELETE", "/api/stages/"+stage+".json", none, 200)
	call(m, "DELETE", "/api/collections/"+col+".json", none, 200)

	call(m, "GET", "/api/inboxes.json", none, 404) // none yet: an empty list
	box := id(t, call(m, "POST", "/api/inboxes.json", form("title", "Photos", "password", "open sesame", "max_files", "3"), 201).obj(t))
	call(m, "GET", "/api/inboxes.json", none, 200)
	call(m, "GET", "/api/inboxes/"+box+".json", none, 200)
	call(m, "PUT", "/api/inboxes/"+box+".json", jsonBody(`{"expires_on":"2099-12-31","tags":"Inbox, clients"}`), 200)
	call(m, "DELETE", "/api/inboxes/"+box+".json", none, 200)

	up := id(t, call(m, "POST", "/api/upload.json?filename=notes.txt", payload{"application/octet-stream", []byte("some notes")}, 201).obj(t))
	call(m, "GET", "/api/uploads/"+up+".json", none, 200)
	call(m, "GET", "/api/assets.json?query=logo&tags=brand&page=1&per_page=10&sort=title", none, 200)
	call(m, "GET", "/api/assets/facets.json?query=logo", none, 200)
	a := id(t, call(m, "POST", "/api/assets.json", jsonBody(`{"upload_id":`+up+`,"title":"Notes","tags":"brand"}`), 201).obj(t))
	call(m, "GET", "/api/assets/"+a+".json", none, 200)
	call(m, "PUT", "/api/assets/"+a+".json", form("description", "Meeting notes"), 200)
	call(m, "GET", "/api/assets/download/"+a+"?version=1", none, 200)
	up2 := id(t, m.upload(t, "notes.txt", []byte("more notes")))
	call(m, "POST", "/api/assets/"+a+"/versions.json", form("upload_id", up2, "comment", "more"), 201)
	call(m, "GET", "/api/assets/"+a+"/versions.json", none, 200)
	call(m, "GET", "/api/assets/"+a+"/versions/1.json", none, 200)
	// Text has no renditions: these answer errors, still validated.
	call(m, "GET", "/api/assets/"+a+"/thumbnail?size=128", none, 0, "Accept", "application/json")
	call(m, "GET", "/api/assets/"+a+"/preview?size=1024", none, 0, "Accept", "application/json")
	call(m, "GET", "/api/assets/"+a+"/thumbnail_64.jpg", none, 0, "Accept", "application/json")
	call(m, "GET", "/api/assets/"+a+"/thumbnail/k_64.jpg", none, 0, "Accept", "application/json")
	call(m, "GET", "/api/assets/"+a+"/preview/k_1024.jpg", none, 0, "Accept", "application/json")
	call(m, "DELETE", "/api/assets/"+a+".json", none, 200)

	// Resumable uploads (tus): plain-text answers; the requests are
	// validated, and the one JSON answer.
	tusV := []string{"Tus-Resumable", "1.0.0"}
	call(m, "OPTIONS", "/api/uploads/tus", none, 204, tusV...)
	call(m, "OPTIONS", "/api/uploads/tus/", none, 204, tusV...)
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("later.txt"))
	loc := call(m, "POST", "/api/uploads/tus", none, 201, "Tus-Resumable", "1.0.0", "Upload-Length", "5", "Upload-Metadata", meta).header.Get("Location")
	call(m, "HEAD", loc, none, 200, tusV...)
	call(m, "PATCH", loc, payload{"application/offset+octet-stream", []byte("hello")}, 204, "Tus-Resumable", "1.0.0", "Upload-Offset", "0")
	call(m, "GET", loc+".json", none, 0) // no unpack was asked: an error, validated
	gone := call(m, "POST", "/api/uploads/tus/", none, 201, "Tus-Resumable", "1.0.0", "Upload-Length", "5").header.Get("Location")
	call(m, "DELETE", gone, none, 204, tusV...)

	// Events and webhooks.
	call(m, "GET", "/api/events.json?after=0", none, 200)
	rc := newReceiver(t)
	wh := id(t, call(h, "POST", "/api/webhooks.json", form("url", rc.srv.URL, "events", "asset.,tag.created"), 201).obj(t))
	call(h, "GET", "/api/webhooks.json", none, 200)
	call(h, "GET", "/api/webhooks/"+wh+".json", none, 200)
	dl := id(t, call(h, "POST", "/api/webhooks/"+wh+"/ping.json", none, 202).obj(t))
	call(h, "GET", "/api/webhooks/"+wh+"/deliveries.json", none, 200)
	call(h, "POST", "/api/webhooks/"+wh+"/deliveries/"+dl+"/retry.json", none, 0) // not sent yet (no workers): may be refused
	call(h, "PUT", "/api/webhooks/"+wh+".json", jsonBody(`{"active":false}`), 200)
	call(h, "DELETE", "/api/webhooks/"+wh+".json", none, 200)

	call(tn.guest, "GET", "/api/openapi.json", none, 200)
	call(tn.guest, "GET", "/api/docs", none, 200)

	for _, dp := range description(t).paths {
		for method := range dp.item.Operations() {
			if !tested[method+" "+dp.template] {
				t.Errorf("%s %s is described but not tested here", method, dp.template)
			}
		}
	}
}

// TestDescriptionServed: the description is the embedded file, JSON only,
// behind the same door as every /api/ route.
func TestDescriptionServed(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "basic")
	r := tn.guest.get(t, "/api/openapi.json").want(t, 200)
	if string(r.body) != string(httpapi.OpenAPI) {
		t.Error("the served description is not the embedded one")
	}
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/json") {
		t.Errorf("Content-Type %q", ct)
	}
	tn.guest.get(t, "/api/openapi.json", "If-None-Match", r.header.Get("ETag")).want(t, http.StatusNotModified)
	tn.guest.get(t, "/api/openapi.xml").want(t, 404)
	tn.guest.get(t, "/api/docs.json").want(t, 404)
	tn.anon.get(t, "/api/openapi.json").want(t, 401)
	tn.anon.get(t, "/api/docs").want(t, 401)
	if err := e.svc.SetAPI(t.Context(), "acme", false); err != nil {
		t.Fatal(err)
	}
	tn.guest.get(t, "/api/openapi.json").want(t, 403)
}

// TestDocsPage: /api/docs is HTML made on the server, with the site's
// headers, no script, and every described route on it.
func TestDocsPage(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "basic")
	r := tn.guest.get(t, "/api/docs").want(t, 200)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "text/html") {
		t.Errorf("Content-Type %q", ct)
	}
	csp := r.header.Get("Content-Security-Policy")
	for _, want := range []string{"default-src 'none'", "frame-ancestors 'none'"} {
		if !strings.Contains(csp, want) {
			t.Errorf("Content-Security-Policy %q lacks %q", csp, want)
		}
	}
	if strings.Contains(csp, "script-src") {
		t.Errorf("Content-Security-Policy %q allows scripts", csp)
	}
	for h, want := range map[string]string{"X-Content-Type-Options": "nosniff", "X-Frame-Options": "DENY", "Referrer-Policy": "no-referrer"} {
		if got := r.header.Get(h); got != want {
			t.Errorf("%s: %q, want %q", h, got, want)
		}
	}
	page := string(r.body)
	if strings.Contains(strings.ToLower(page), "<script") {
		t.Error("the page has a script")
	}
	if m := regexp.MustCompile(`(?i)(src|href)="(https?:)?//`).FindString(page); m != "" {
		t.Errorf("the page loads from elsewhere: %s", m)
	}
	for _, dp := range description(t).paths {
		for method, op := range dp.item.Operations() {
			if want := `<h3 id="` + op.OperationID + `"><code>` + method + " " + html.EscapeString(dp.template) + "</code>"; op.OperationID == "" || !strings.Contains(page, want) {
				t.Errorf("the page does not list %s", want)
			}
		}
	}
	for name, item := range description(t).doc.Webhooks {
		for method, op := range item.Operations() {
			if want := `<h3 id="` + op.OperationID + `"><code>` + method + " (the webhook&#39;s url): " + name + "</code>"; !strings.Contains(page, want) {
				t.Errorf("the page does not show the webhook call %s", want)
			}
		}
	}
	for _, schema := range slices.Sorted(func(yield func(string) bool) {
		for k := range description(t).doc.Components.Schemas {
			if !yield(k) {
				return
			}
		}
	}) {
		if !strings.Contains(page, `id="schema-`+schema+`"`) {
			t.Errorf("the page does not show the document %s", schema)
		}
	}
}
