package web_test

// How each form's flow ends, as a browser sees it: a refused form comes
// back as its page, what was typed kept and the error by its field, with
// the signed-in menu; a change that works redirects to a page that says
// so, once; error pages are HTML in the layout, the public links' and the
// thumbnails' included when a browser asks; paging says where it is; the
// active filters show as chips; after sign-in the browser goes back to
// the page it asked for, and never to another site.

import (
	"bytes"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/httpapi"
	"damask/library"
	"damask/web"
)

// signedInLayout checks that a page is in the signed-in layout: the menu
// and the user, never the way to sign in.
func signedInLayout(t *testing.T, what string, res response, login string) {
	t.Helper()
	if !strings.Contains(res.body, `<nav aria-label="Sections">`) || !strings.Contains(res.body, `Signed in as <a href="/settings" id="settings-link"`) ||
		!strings.Contains(res.body, "<strong>"+login+"</strong></a>") {
		t.Errorf("%s: not in the signed-in layout:\n%s", what, res.body)
	}
	if strings.Contains(res.body, "Back to sign-in") || strings.Contains(res.body, `href="/signin"`) {
		t.Errorf("%s: offers a signed-in user to sign in:\n%s", what, res.body)
	}
}

// fieldError is the error shown by the field whose error element has id.
func fieldError(res response, id string) string {
	m := regexp.MustCompile(`<p class="field-error" id="` + regexp.QuoteMeta(id) + `">([^<]*)</p>`).FindStringSubmatch(res.body)
	if m == nil {
		return ""
	}
	return m[1]
}

func TestFormsComeBack(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := strconv.FormatInt(ann.upload("kept.txt", "x", "one"), 10)
	admin := e.signedIn(t, "admin")
	csrf := token(t, admin.get("/"))
	annCSRF := token(t, ann.get("/"))
	long := strings.Repeat("t", 256)

	t.Run("title over 255 characters", func(t *testing.T) {
		res := ann.want(ann.post("/assets/"+id, url.Values{"csrf": {annCSRF}, "title": {long},
			"description": {"my words"}, "tags": {"one, two"}}), http.StatusUnprocessableEntity)
		signedInLayout(t, "edit", res, "ann")
		if !strings.Contains(res.body, `id="title" name="title" value="`+long+`"`) ||
			!strings.Contains(res.body, ">my words</textarea>") || !strings.Contains(res.body, `value="one, two"`) {
			t.Errorf("what was typed is lost:\n%s", res.body)
		}
		if msg := fieldError(res, "title-error"); !strings.Contains(msg, "Title is too long") {
			t.Errorf("error by the title: %q", msg)
		}
		if !strings.Contains(res.body, `aria-invalid="true" aria-describedby="title-error"`) {
			t.Error("the title field is not marked invalid")
		}
	})

	t.Run("weak password on Add a person", func(t *testing.T) {
		res := admin.want(admin.post("/people", url.Values{"csrf": {csrf}, "login": {"zoe"}, "email": {"zoe@example.com"},
			"first_name": {"Zoë"}, "role": {"guest"}, "password": {"short"}}), http.StatusUnprocessableEntity)
		signedInLayout(t, "add a person", res, "admin")
		if !strings.Contains(res.body, `value="zoe"`) || !strings.Contains(res.body, `value="zoe@example.com"`) ||
			!strings.Contains(res.body, `value="Zoë"`) || !strings.Contains(res.body, `<option value="guest" selected>guest</option>`) {
			t.Errorf("what was typed is lost:\n%s", res.body)
		}
		if strings.Contains(res.body, `value="short"`) {
			t.Error("the password comes back in the page")
		}
		if msg := fieldError(res, "new-password-error"); !strings.HasPrefix(msg, "Password must be") {
			t.Errorf("error by the password: %q", msg)
		}
	})

	t.Run("taken login on Add a person", func(t *testing.T) {
		res := admin.want(admin.post("/people", url.Values{"csrf": {csrf}, "login": {"ann"}, "email": {"other@example.com"},
			"role": {"member"}, "password": {pw}}), http.StatusUnprocessableEntity)
		signedInLayout(t, "taken login", res, "admin")
		if msg := fieldError(res, "new-login-error"); msg != "Login has already been taken" {
			t.Errorf("error by the login: %q\n%s", msg, res.body)
		}
		if !strings.Contains(res.body, `value="other@example.com"`) {
			t.Error("the e-mail typed is lost")
		}
	})

	t.Run("SVG logo in branding", func(t *testing.T) {
		svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"/>`)
		res := admin.want(admin.brandingForm(csrf, [][2]string{{"title", "Acme"}, {"top_color", "#123456"}}, "logo.svg", svg),
			http.StatusUnprocessableEntity)
		signedInLayout(t, "branding", res, "admin")
		if msg := fieldError(res, "brand-logo-error"); !strings.Contains(msg, "must be a PNG, JPEG, GIF or WebP image") {
			t.Errorf("error by the logo: %q", msg)
		}
		if !strings.Contains(res.body, `id="brand-title" name="title" value="Acme"`) || !strings.Contains(res.body, `value="#123456"`) {
			t.Errorf("what was typed is lost:\n%s", res.body)
		}
	})

	t.Run("colour by its field", func(t *testing.T) {
		res := admin.want(admin.brandingForm(csrf, [][2]string{{"title", "Acme"}, {"top_color", "red"}}, "", nil), http.StatusUnprocessableEntity)
		if msg := fieldError(res, "brand-top-error"); !strings.HasPrefix(msg, "Top colour must be") {
			t.Errorf("error by the top colour: %q", msg)
		}
		if !strings.Contains(res.body, `value="red"`) {
			t.Error("the colour typed is lost")
		}
	})

	t.Run("API terms not agreed", func(t *testing.T) {
		res := admin.want(admin.post("/account/api", url.Values{"csrf": {csrf}, "api": {"on"}}), http.StatusUnprocessableEntity)
		signedInLayout(t, "api", res, "admin")
		if msg := fieldError(res, "agree-error"); !strings.Contains(msg, "Agree to the API terms") {
			t.Errorf("error by the box: %q", msg)
		}
	})

	t.Run("token with bad days", func(t *testing.T) {
		res := admin.want(admin.post("/tokens", url.Values{"csrf": {csrf}, "name": {"backup"}, "days": {"soon"}, "read_only": {"1"}}),
			http.StatusUnprocessableEntity)
		signedInLayout(t, "token", res, "admin")
		if msg := fieldError(res, "token-days-error"); msg != "Days must be a whole number" {
			t.Errorf("error by the days: %q", msg)
		}
		if !strings.Contains(res.body, `value="backup"`) || !strings.Contains(res.body, `value="1" checked`) {
			t.Errorf("what was typed is lost:\n%s", res.body)
		}
	})

	t.Run("upload without JavaScript and without a file", func(t *testing.T) {
		res := ann.want(ann.multipart("/upload", [][2]string{{"csrf", annCSRF}, {"tags", "spring"}}, nil), http.StatusUnprocessableEntity)
		signedInLayout(t, "upload", res, "ann")
		if msg := fieldError(res, "upload-files-error"); msg != "Choose one or more files to upload" {
			t.Errorf("error by the files: %q", msg)
		}
		if !strings.Contains(res.body, `id="upload-tags" name="tags" placeholder="e.g. spring campaign, print" value="spring"`) ||
			!strings.Contains(res.body, `<details class="upload-box" open>`) {
			t.Errorf("the upload form did not come back open with its tags:\n%s", res.body)
		}
	})

	t.Run("upload without JavaScript says how many", func(t *testing.T) {
		res := ann.multipart("/upload", [][2]string{{"csrf", annCSRF}}, map[string]string{"a.txt": "a", "b.txt": "b"})
		flashOnce(t, ann, res, "2 files uploaded; they are being processed.")
	})

	t.Run("new version without a file", func(t *testing.T) {
		res := admin.want(admin.multipart("/assets/"+id+"/versions", [][2]string{{"csrf", csrf}, {"comment", "turned upright"}}, nil),
			http.StatusUnprocessableEntity)
		signedInLayout(t, "version", res, "admin")
		if msg := fieldError(res, "file-error"); msg != "Choose a file for the new version" {
			t.Errorf("error by the file: %q\n%s", msg, res.body)
		}
		if !strings.Contains(res.body, `id="comment" name="comment" value="turned upright"`) {
			t.Error("the comment typed is lost")
		}
	})

	t.Run("bulk tag without a selection", func(t *testing.T) {
		res := ann.want(ann.post("/selection", url.Values{"csrf": {annCSRF}, "action": {"tag"}, "tag": {"summer"}, "back": {"/?q=kept"}}),
			http.StatusUnprocessableEntity)
		signedInLayout(t, "selection", res, "ann")
		if !strings.Contains(res.body, "Select one or more assets first") || !strings.Contains(res.body, `id="sel-tag" name="tag" placeholder="tag" value="summer"`) {
			t.Errorf("the selection's form did not come back:\n%s", res.body)
		}
		if !strings.Contains(res.body, `id="q" name="q" type="search" value="kept"`) {
			t.Error("the library page the form was on is lost")
		}
	})

	t.Run("bad tag keeps the ticked boxes", func(t *testing.T) {
		res := ann.want(ann.post("/selection", url.Values{"csrf": {annCSRF}, "action": {"tag"}, "tag": {strings.Repeat("x", 65)}, "ids": {id}, "back": {"/"}}),
			http.StatusUnprocessableEntity)
		if !strings.Contains(res.body, `value="`+id+`" form="selection" aria-label="Select kept" checked`) {
			t.Errorf("the ticked box is lost:\n%s", res.body)
		}
		if msg := fieldError(res, "sel-tag-error"); !strings.HasPrefix(msg, "Tag") {
			t.Errorf("error by the tag: %q", msg)
		}
	})
}

// flashOnce follows a redirect and checks that the page says msg, and that
// the page after says it no more.
func flashOnce(t *testing.T, b *browser, res response, msg string) {
	t.Helper()
	if res.status != http.StatusSeeOther {
		t.Fatalf("status %d, want 303:\n%s", res.status, res.body)
	}
	loc := res.header.Get("Location")
	page := b.want(b.get(loc), http.StatusOK)
	if !strings.Contains(page.body, `<p class="flash" role="status" id="flash">`+msg+`</p>`) {
		t.Errorf("%s does not say %q:\n%s", loc, msg, page.body)
	}
	if again := b.get(loc); strings.Contains(again.body, `id="flash"`) {
		t.Errorf("%s says it again on reload", loc)
	}
}

func TestFlashAfterChanges(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := strconv.FormatInt(ann.upload("a.txt", "x", ""), 10)
	csrf := token(t, ann.get("/"))
	flashOnce(t, ann, ann.post("/assets/"+id, url.Values{"csrf": {csrf}, "title": {"Sea"}, "description": {""}, "tags": {""}}), "Saved.")
	flashOnce(t, ann, ann.post("/selection", url.Values{"csrf": {csrf}, "action": {"tag"}, "tag": {"summer"}, "ids": {id}, "back": {"/?view=list"}}),
		"Tagged 1 asset with summer.")
	flashOnce(t, ann, ann.post("/assets/"+id+"/delete", url.Values{"csrf": {csrf}}), "&#34;Sea&#34; was moved to the trash.")
	flashOnce(t, ann, ann.post("/trash/"+id+"/restore", url.Values{"csrf": {csrf}}), "The asset was restored to the library.")

	admin := e.signedIn(t, "admin")
	acsrf := token(t, admin.get("/account"))
	flashOnce(t, admin, admin.brandingForm(acsrf, [][2]string{{"title", "Acme"}, {"top_color", "#123456"}}, "", nil), "The branding was saved.")
	flashOnce(t, admin, admin.post("/people", url.Values{"csrf": {acsrf}, "login": {"zoe"}, "email": {"zoe@example.com"},
		"role": {"guest"}, "password": {pw}}), "zoe was added as guest.")

	// Another session cannot read (or be shown) someone else's flash.
	made := admin.post("/tokens", url.Values{"csrf": {acsrf}, "name": {"ci"}})
	if made.status != http.StatusSeeOther {
		t.Fatalf("make a token: %d", made.status)
	}
	var flashValue string
	for _, c := range made.header.Values("Set-Cookie") {
		if v, ok := strings.CutPrefix(c, "damask_flash="); ok {
			flashValue, _, _ = strings.Cut(v, ";")
		}
	}
	if flashValue == "" || strings.Contains(flashValue, "dmk_") {
		t.Fatalf("the flash cookie is missing or shows the secret: %q", flashValue)
	}
	u, _ := url.Parse(ann.base)
	ann.c.Jar.SetCookies(u, []*http.Cookie{{Name: "damask_flash", Value: flashValue, Path: "/"}})
	if page := ann.get("/tokens"); strings.Contains(page.body, "new-secret") || strings.Contains(page.body, `id="flash"`) {
		t.Error("another session shows the flash")
	}
	page := admin.want(admin.get("/tokens"), http.StatusOK)
	if !regexp.MustCompile(`id="new-secret" value="dmk_`).MatchString(page.body) {
		t.Errorf("no secret after the redirect:\n%s", page.body)
	}
	if again := admin.get("/tokens"); strings.Contains(again.body, "new-secret") {
		t.Error("the secret shows twice")
	}
	ts, err := e.svc.Tokens(t.Context(), e.caller(t, mustUser(t, e, "admin")))
	if err != nil || len(ts) != 1 {
		t.Errorf("reloading made tokens: %d, %v", len(ts), err)
	}
}

func TestErrorPagesInLayout(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := strconv.FormatInt(ann.upload("gone.txt", "x", ""), 10)
	csrf := token(t, ann.get("/"))
	ann.want(ann.post("/assets/"+id+"/delete", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	for _, tt := range []struct {
		path   string
		status int
		msg    string
	}{
		{"/assets/" + id, http.StatusNotFound, "moved to the trash"},
		{"/no/such/page", http.StatusNotFound, "There is no page at this address."},
		{"/people", http.StatusForbidden, "Only the holder and admins may see the people"},
		{"/assets/x", http.StatusNotFound, ""},
		{"/assets/" + id + "/download?version=zero", http.StatusBadRequest, "version must be a version number"},
	} {
		res := ann.get(tt.path)
		if res.status != tt.status || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || !strings.Contains(res.body, tt.msg) {
			t.Errorf("GET %s: %d %s, want %d with %q:\n%s", tt.path, res.status, res.header.Get("Content-Type"), tt.status, tt.msg, res.body)
		}
		signedInLayout(t, tt.path, res, "ann")
		if !strings.Contains(res.body, `<a class="button" href="/">Back to the library</a>`) {
			t.Errorf("GET %s: no way back to the library", tt.path)
		}
	}
	// A form without its token: 403, in the layout.
	res := ann.post("/assets/"+id+"/public", url.Values{"on": {"1"}})
	if res.status != http.StatusForbidden {
		t.Errorf("form without token: %d", res.status)
	}
	signedInLayout(t, "forbidden form", res, "ann")
	// Signed out, an unknown page offers to sign in.
	anon := e.browser(t).get("/no/such/page")
	if anon.status != http.StatusNotFound || !strings.Contains(anon.body, `href="/signin"`) {
		t.Errorf("anonymous 404: %d\n%s", anon.status, anon.body)
	}
}

// The public links and the thumbnails' URLs, served by the API, answer a
// browser's error in HTML in the site's layout, and an API client in XML.
func TestPublicLinkErrorsForBrowsers(t *testing.T) {
	e := newEnv(t)
	pages := web.New(e.svc, web.Config{})
	api := httpapi.New(e.svc, httpapi.Config{ErrorPage: pages.ErrorPage})
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if p := r.URL.Path; strings.HasPrefix(p, "/p/") || strings.HasPrefix(p, "/t/") || strings.HasPrefix(p, "/api/") {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	}))
	t.Cleanup(srv.Close)

	admin, err := e.svc.Authenticate(t.Context(), e.caller(t, e.ann).Account, "admin", pw, "test")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if _, _, err := e.svc.UpdateAccount(t.Context(), e.caller(t, admin), library.AccountChanges{PublicLinks: &on}); err != nil {
		t.Fatal(err)
	}
	b := e.browser(t)
	b.base = srv.URL
	b.signIn("ann", pw)
	id := strconv.FormatInt(b.upload("shared.txt", "x", ""), 10)
	csrf := token(t, b.get("/"))
	b.want(b.post("/assets/"+id+"/public", url.Values{"csrf": {csrf}, "on": {"1"}}), http.StatusSeeOther)
	m := regexp.MustCompile(`id="public-url" value="[^"]*(/p/[^"]+)"`).FindStringSubmatch(b.get("/assets/" + id).body)
	if m == nil {
		t.Fatal("no public link on the page")
	}
	link := m[1]
	b.want(b.post("/assets/"+id+"/public", url.Values{"csrf": {csrf}, "on": {"0"}}), http.StatusSeeOther)

	get := func(path, accept string) response {
		req, _ := http.NewRequest(http.MethodGet, srv.URL+path, nil)
		req.Header.Set("Accept", accept)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		body, _ := io.ReadAll(res.Body)
		return response{status: res.StatusCode, header: res.Header, body: string(body)}
	}
	browserAccept := "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8"
	for _, path := range []string{link, "/p/1-nosuchsecret_170x100.jpg", "/t/1-abc/0123456789abcdef_64.jpg"} {
		res := get(path, browserAccept)
		if res.status != http.StatusNotFound || !strings.HasPrefix(res.header.Get("Content-Type"), "text/html") ||
			!strings.Contains(res.body, `<link rel="stylesheet" href="/static/damask.css">`) || strings.Contains(res.body, "<?xml") {
			t.Errorf("browser GET %s: %d %s:\n%s", path, res.status, res.header.Get("Content-Type"), res.body)
		}
		if !strings.Contains(res.header.Get("Content-Security-Policy"), "style-src 'self'") {
			t.Errorf("browser GET %s: the page's policy forbids its style sheet: %s", path, res.header.Get("Content-Security-Policy"))
		}
		api := get(path, "*/*")
		if api.status != http.StatusNotFound || !strings.Contains(api.body, "<?xml") {
			t.Errorf("API GET %s: %d:\n%s", path, api.status, api.body)
		}
		if js := get(path, "application/json"); !strings.HasPrefix(js.body, `{"errors"`) {
			t.Errorf("JSON GET %s: %s", path, js.body)
		}
	}
}

func TestBrandingCSSVersioned(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	csrf := token(t, b.get("/account"))
	cssURL := func() string {
		m := regexp.MustCompile(`href="(/branding\.css\?v=[0-9a-f]{16})"`).FindStringSubmatch(b.get("/").body)
		if m == nil {
			t.Fatal("no versioned branding.css on the page")
		}
		return m[1]
	}
	b.want(b.brandingForm(csrf, [][2]string{{"top_color", "#123456"}}, "", nil), http.StatusSeeOther)
	first := cssURL()
	res := b.want(b.get(first), http.StatusOK)
	if cc := res.header.Get("Cache-Control"); !strings.Contains(cc, "immutable") || !strings.Contains(res.body, "#123456") {
		t.Errorf("versioned: Cache-Control %q, body %q", cc, res.body)
	}
	b.want(b.brandingForm(csrf, [][2]string{{"top_color", "#654321"}}, "", nil), http.StatusSeeOther)
	second := cssURL()
	if second == first {
		t.Fatal("a change of colours keeps the style sheet's URL")
	}
	if res := b.get(second); !strings.Contains(res.body, "#654321") {
		t.Errorf("new style sheet: %q", res.body)
	}
	// An old or missing version is revalidated, never cached for good.
	for _, u := range []string{first, "/branding.css"} {
		if cc := b.get(u).header.Get("Cache-Control"); strings.Contains(cc, "immutable") || !strings.Contains(cc, "no-cache") {
			t.Errorf("%s: Cache-Control %q", u, cc)
		}
	}
}

func TestPagingAndChips(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	c := e.caller(t, e.ann)
	for i := range 50 {
		f, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: strings.NewReader("file " + strconv.Itoa(i)), Filename: "f" + strconv.Itoa(i) + ".txt", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		tags := "even"
		if i%2 == 1 {
			tags = "odd"
		}
		if _, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: f, Tags: &tags}); err != nil {
			t.Fatal(err)
		}
	}
	first := b.want(b.get("/"), http.StatusOK)
	if !strings.Contains(first.body, "1–48 of 50 assets · page 1 of 2") {
		t.Errorf("page 1 does not say where it is:\n%s", first.body)
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next"`).FindStringSubmatch(first.body)
	if next == nil || !strings.Contains(next[1], "cursor=") || !strings.Contains(next[1], "page=2") {
		t.Fatalf("the keyset link does not carry its page: %v", next)
	}
	second := b.want(b.get(strings.ReplaceAll(next[1], "&amp;", "&")), http.StatusOK)
	if !strings.Contains(second.body, "49–50 of 50 assets · page 2 of 2") || !strings.Contains(second.body, `<a href="/" rel="prev" class="prev">Previous</a>`) ||
		!strings.Contains(second.body, `<span aria-current="page">2</span>`) || !strings.Contains(second.body, `<a href="/">1</a>`) {
		t.Errorf("keyset page 2 lacks its place, Previous or the numbers:\n%s", second.body)
	}

	out := b.want(b.get("/?page=9"), http.StatusOK)
	if strings.Contains(out.body, "Nothing here yet") || !strings.Contains(out.body, "Page 9 is past the end: the 50 assets fill 2 pages.") ||
		!strings.Contains(out.body, `<a href="/?page=2" id="last-page">Go to page 2, the last</a>`) {
		t.Errorf("out of range:\n%s", out.body)
	}

	// The tag from the sidebar stays a chip after a new search, and an
	// empty result names the filters and clears them in one click.
	home := b.get("/")
	m := regexp.MustCompile(`<a href="(/\?tags=\d+)" class="facet">odd`).FindStringSubmatch(home.body)
	if m == nil {
		t.Fatalf("no facet link for odd:\n%s", home.body)
	}
	tags := strings.TrimPrefix(m[1], "/?tags=")
	empty := b.want(b.get("/?q=nosuchword+type:image&tags="+tags), http.StatusOK)
	for _, want := range []string{
		`class="chip" title="Remove this filter">Tag: odd`,
		`class="chip" title="Remove this filter">Type: image`,
		`class="chip" title="Remove this filter">Search: nosuchword`,
		"No assets match these filters together: <strong>Tag: odd</strong>, <strong>Type: image</strong>, <strong>Search: nosuchword</strong>.",
		`<a href="/" id="clear-empty">Clear all filters</a>`,
	} {
		if !strings.Contains(empty.body, want) {
			t.Errorf("empty result lacks %q", want)
		}
	}
	if strings.Contains(empty.body, "Nothing here yet") {
		t.Error("an empty result of a library with assets says Nothing here yet")
	}
	// Each chip takes off its own filter only.
	if !strings.Contains(empty.body, `<a href="/?q=nosuchword&#43;type%3Aimage" class="chip"`) ||
		!strings.Contains(empty.body, `<a href="/?q=type%3Aimage&amp;tags=`+tags+`" class="chip"`) {
		t.Errorf("chip links:\n%s", empty.body)
	}
	if !strings.Contains(b.get("/?tags="+tags).body, `id="count">25 assets</p>`) {
		t.Error("the tag filter alone does not list 25")
	}
}

func TestBackAfterSignIn(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := strconv.FormatInt(ann.upload("wanted.txt", "x", ""), 10)
	anon := e.browser(t)
	res := anon.get("/assets/" + id + "?x=1")
	want := "/signin?next=" + url.QueryEscape("/assets/"+id+"?x=1")
	if res.status != http.StatusSeeOther || res.header.Get("Location") != want {
		t.Fatalf("signed out: %d to %q, want %q", res.status, res.header.Get("Location"), want)
	}
	form := anon.get(want)
	if !strings.Contains(form.body, `name="next" value="/assets/`+id+`?x=1"`) {
		t.Fatalf("the form forgets where to go:\n%s", form.body)
	}
	// A wrong password keeps where to go.
	bad := anon.post("/signin", url.Values{"csrf": {token(t, form)}, "login": {"ann"}, "password": {"wrong"}, "next": {"/assets/" + id}})
	if !strings.Contains(bad.body, `name="next" value="/assets/`+id+`"`) {
		t.Error("a failed sign-in forgets where to go")
	}
	ok := anon.post("/signin", url.Values{"csrf": {token(t, form)}, "login": {"ann"}, "password": {pw}, "next": {"/assets/" + id + "?x=1"}})
	if ok.status != http.StatusSeeOther || ok.header.Get("Location") != "/assets/"+id+"?x=1" {
		t.Errorf("after sign-in: %d to %q", ok.status, ok.header.Get("Location"))
	}
	for _, next := range []string{"//evil.example", "/\\evil.example", "https://evil.example/", "/%2F%2Fevil.example",
		"%2F%2Fevil.example", "/%5Cevil.example", "http:evil.example", "javascript:alert(1)", "/\r\nLocation: //evil.example"} {
		b := e.browser(t)
		form := b.get("/signin?next=" + url.QueryEscape(next))
		if strings.Contains(form.body, "evil") {
			t.Errorf("next=%q reaches the form", next)
		}
		res := b.post("/signin", url.Values{"csrf": {token(t, form)}, "login": {"ann"}, "password": {pw}, "next": {next}})
		if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != "/" {
			t.Errorf("next=%q: %d to %q, want /", next, res.status, loc)
		}
		// Signed in, the form sends the browser on, home for a bad next.
		if loc := b.get("/signin?next=" + url.QueryEscape(next)).header.Get("Location"); loc != "/" {
			t.Errorf("signed in, next=%q goes to %q", next, loc)
		}
	}
}

// A sign-in at the account's provider goes back to the page asked for
// too, and never to another site.
func TestBackAfterOIDCSignIn(t *testing.T) {
	for _, tt := range []struct{ next, want string }{
		{"/assets/7?v=1", "/assets/7?v=1"},
		{"//evil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
	} {
		e := oidcEnv(t, "")
		b := e.browser(t)
		form := b.get("/signin?next=" + url.QueryEscape(tt.next))
		if tt.want != "/" && !strings.Contains(strings.ToLower(form.body), strings.ToLower(`href="/auth/oidc?next=`+url.QueryEscape(tt.next)+`"`)) {
			t.Errorf("the provider's button forgets where to go:\n%s", form.body)
		}
		b.get("/auth/oidc?next=" + url.QueryEscape(tt.next))
		res := b.callback(b.toCallback("ann"))
		if loc := res.header.Get("Location"); res.status != http.StatusSeeOther || loc != tt.want {
			t.Errorf("next=%q: %d to %q, want %q", tt.next, res.status, loc, tt.want)
		}
	}
}

// Guests play videos and sounds from their playback previews, made anew
// by the workers; the file itself stays forbidden to them.
func TestGuestPlayback(t *testing.T) {
	e := newEnvWith(t, true)
	e.addUser(t, "gus", damask.RoleGuest)
	c := e.caller(t, e.ann)
	for _, tt := range []struct{ file, tag, ctype string }{
		{"clip.mp4", "<video", "video/mp4"},
		{"audio.m4a", "<audio", "audio/mp4"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			orig, err := os.ReadFile(filepath.Join("..", "media", "testdata", tt.file))
			if err != nil {
				t.Fatal(err)
			}
			f, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: bytes.NewReader(orig), Filename: tt.file, Length: -1})
			if err != nil {
				t.Fatal(err)
			}
			a, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: f})
			if err != nil {
				t.Fatal(err)
			}
			for deadline := time.Now().Add(2 * time.Minute); ; time.Sleep(100 * time.Millisecond) {
				if a, err = e.svc.Asset(t.Context(), c, a.ID); err != nil || a.Processing != damask.ProcessingPending {
					break
				}
				if time.Now().After(deadline) {
					t.Fatal("not processed in two minutes")
				}
			}
			id := strconv.FormatInt(a.ID, 10)
			gus := e.signedIn(t, "gus")
			page := gus.want(gus.get("/assets/"+id), http.StatusOK)
			if !strings.Contains(page.body, tt.tag) || !strings.Contains(page.body, `src="/assets/`+id+`/playback"`) || strings.Contains(page.body, "/media") {
				t.Errorf("the guest's page has no player of the preview:\n%s", page.body)
			}
			res := gus.want(gus.get("/assets/"+id+"/playback"), http.StatusOK)
			if res.header.Get("Content-Type") != tt.ctype || !strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") ||
				res.header.Get("Accept-Ranges") != "bytes" || res.body == string(orig) || res.body[4:8] != "ftyp" {
				t.Errorf("playback: %s, CSP %q, ranges %q, %d bytes (the file has %d)", res.header.Get("Content-Type"),
					res.header.Get("Content-Security-Policy"), res.header.Get("Accept-Ranges"), len(res.body), len(orig))
			}
			req, _ := http.NewRequest(http.MethodGet, gus.base+"/assets/"+id+"/playback", nil)
			req.Header.Set("Range", "bytes=0-9")
			if part := gus.do(req); part.status != http.StatusPartialContent || len(part.body) != 10 {
				t.Errorf("a range of the preview: %d, %d bytes", part.status, len(part.body))
			}
			if res := gus.get("/assets/" + id + "/media"); res.status != http.StatusForbidden {
				t.Errorf("guest's media: %d, want 403", res.status)
			}
			ann := e.signedIn(t, "ann")
			if page := ann.get("/assets/" + id); !strings.Contains(page.body, `src="/assets/`+id+`/media"`) {
				t.Error("a member's player does not play the file")
			}
		})
	}
	// A photo has no playback preview.
	b := e.signedIn(t, "ann")
	pid := strconv.FormatInt(b.upload("x.txt", "text", ""), 10)
	if res := b.get("/assets/" + pid + "/playback"); res.status != http.StatusNotFound && res.status != http.StatusAccepted {
		t.Errorf("a text's playback: %d", res.status)
	}
}
