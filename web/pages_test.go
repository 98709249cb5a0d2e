package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"io"
	"mime/multipart"
	"net/http"
	"net/http/httptest"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
	"damask/web"
)

// upload sends one file as the scripts do and answers the new asset's id.
func (b *browser) upload(name, body, tags string) int64 {
	b.t.Helper()
	res := b.tryUpload(name, body, tags, token(b.t, b.get("/")))
	if res.status != http.StatusCreated {
		b.t.Fatalf("upload %s: status %d: %s", name, res.status, res.body)
	}
	m := regexp.MustCompile(`"id":(\d+)`).FindStringSubmatch(res.body)
	if m == nil {
		b.t.Fatalf("upload %s: no id in %s", name, res.body)
	}
	id, _ := strconv.ParseInt(m[1], 10, 64)
	return id
}

func (b *browser) tryUpload(name, body, tags, csrf string) response {
	b.t.Helper()
	q := url.Values{"filename": {name}, "tags": {tags}}
	req, err := http.NewRequest(http.MethodPost, b.base+"/upload?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	if csrf != "" {
		req.Header.Set("X-CSRF-Token", csrf)
	}
	return b.do(req)
}

// multipart posts a multipart form: fields in order, then files.
func (b *browser) multipart(path string, fields [][2]string, files map[string]string) response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	for name, body := range files {
		w, _ := mw.CreateFormFile("file", name)
		io.WriteString(w, body)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

func (b *browser) want(res response, status int) response {
	b.t.Helper()
	if res.status != status {
		b.t.Fatalf("status %d, want %d:\n%s", res.status, status, res.body)
	}
	return res
}

// addUser makes a user of the default account with a role.
func (e *env) addUser(t *testing.T, login string, role damask.Role) *damask.User {
	t.Helper()
	email, pass, r := login+"@example.com", pw, string(role)
	u, err := e.svc.AddUser(t.Context(), library.DefaultAccount, library.UserChanges{Login: &login, Email: &email, Password: &pass, Role: &r})
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func (e *env) signedIn(t *testing.T, login string) *browser {
	t.Helper()
	b := e.browser(t)
	b.signIn(login, pw)
	return b
}

func TestLibraryPage(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	b.upload("sunset beach.txt", "the sun sets", "holiday, sea")
	b.upload("mountain.txt", "high up", "holiday")
	b.upload("report.txt", "numbers", "")

	tests := []struct {
		name, path string
		want, not  []string
	}{
		{"all", "/", []string{"sunset beach", "mountain", "report", `3 assets`}, nil},
		{"field filter", "/?q=title%3Amountain", []string{"mountain", "1 asset<"}, []string{">report<"}},
		{"malformed query", "/?q=%28sun", []string{`id="query-error"`, "query"}, []string{">report<"}},
		{"list view", "/?view=list", []string{`<table class="list" id="grid">`, "<th scope=\"col\">Size</th>", "report"}, nil},
		{"sorted", "/?sort=title", []string{"report"}, nil},
		{"facets", "/", []string{`class="facet"`, "holiday <span class=\"n\">2</span>", "sea <span class=\"n\">1</span>"}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			res := b.want(b.get(tt.path), http.StatusOK)
			for _, w := range tt.want {
				if !strings.Contains(res.body, w) {
					t.Errorf("page lacks %q", w)
				}
			}
			for _, w := range tt.not {
				if strings.Contains(res.body, w) {
					t.Errorf("page has %q", w)
				}
			}
		})
	}

	// A tag of the sidebar narrows the list; clicked again, it widens it.
	res := b.get("/")
	m := regexp.MustCompile(`<a href="([^"]+)" class="facet">sea `).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no facet link for sea:\n%s", res.body)
	}
	narrowed := b.want(b.get(strings.ReplaceAll(m[1], "&amp;", "&")), http.StatusOK)
	if !strings.Contains(narrowed.body, "1 asset<") || strings.Contains(narrowed.body, ">mountain<") {
		t.Errorf("the tag did not narrow the list:\n%s", narrowed.body)
	}
	if !strings.Contains(narrowed.body, `class="facet active"`) {
		t.Error("the chosen tag is not marked active")
	}
}

func TestLibraryPaging(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	c := e.caller(t, e.ann)
	for i := range 50 {
		f, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: strings.NewReader("file " + strconv.Itoa(i)), Filename: "f" + strconv.Itoa(i) + ".txt", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: f}); err != nil {
			t.Fatal(err)
		}
	}
	res := b.want(b.get("/"), http.StatusOK)
	if n := strings.Count(res.body, `class="tile"`); n != 48 {
		t.Errorf("first page shows %d assets, want 48", n)
	}
	if !strings.Contains(res.body, `href="/?page=2"`) {
		t.Error("no link to page 2")
	}
	next := regexp.MustCompile(`<a href="([^"]+)" rel="next"`).FindStringSubmatch(res.body)
	if next == nil {
		t.Fatal("no keyset next link")
	}
	res = b.want(b.get(strings.ReplaceAll(next[1], "&amp;", "&")), http.StatusOK)
	if n := strings.Count(res.body, `class="tile"`); n != 2 {
		t.Errorf("keyset page 2 shows %d assets, want 2", n)
	}
	res = b.want(b.get("/?page=2"), http.StatusOK)
	if n := strings.Count(res.body, `class="tile"`); n != 2 {
		t.Errorf("page 2 shows %d assets, want 2", n)
	}
}

// Nothing a user typed is markup: titles, tags, filenames and queries are
// escaped, and no page carries inline script or style.
func TestEscapingAndCSP(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	evil := `<img src=x onerror=alert(1)>`
	id := b.upload(evil+".txt", "x", "<b>bold</b>")
	pages := []string{"/", "/?view=list", "/?q=" + url.QueryEscape(evil), "/assets/" + strconv.FormatInt(id, 10), "/trash", "/tokens"}
	inline := regexp.MustCompile(`(?i)<script(?:\s[^>]*)?>\s*[^<\s]|<[a-z][^>]*\s(?:style|on[a-z]+)=`)
	for _, p := range pages {
		res := b.want(b.get(p), http.StatusOK)
		if strings.Contains(res.body, "<img src=x") || strings.Contains(res.body, "<b>bold") {
			t.Errorf("%s renders user input as markup", p)
		}
		// Attribute values are text, whatever they hold.
		bare := regexp.MustCompile(`="[^"]*"`).ReplaceAllString(res.body, `=""`)
		if inline.MatchString(bare) {
			t.Errorf("%s has inline script or style: %q", p, inline.FindString(bare))
		}
		csp := res.header.Get("Content-Security-Policy")
		if !strings.Contains(csp, "script-src 'self'") || strings.Contains(csp, "unsafe-inline") {
			t.Errorf("%s: CSP %q", p, csp)
		}
	}
}

func TestUploadWithoutScript(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	csrf := token(t, b.get("/"))
	res := b.multipart("/upload", [][2]string{{"csrf", csrf}, {"tags", "batch"}}, map[string]string{"one.txt": "1", "two.txt": "2"})
	if res.status != http.StatusSeeOther {
		t.Fatalf("status %d: %s", res.status, res.body)
	}
	page := b.get("/?tags=" + url.QueryEscape("batch"))
	_ = page
	l, err := e.svc.Assets(t.Context(), e.caller(t, e.ann), library.AssetQuery{Tags: "batch", Page: damask.Page{Number: 1, Size: 10}})
	if err != nil || l.Total != 2 {
		t.Fatalf("assets tagged batch: %v, %v", l, err)
	}
	// Without its token first, the form stores nothing.
	res = b.multipart("/upload", [][2]string{{"tags", "x"}}, map[string]string{"three.txt": "3"})
	if res.status != http.StatusForbidden {
		t.Errorf("upload without token: status %d", res.status)
	}
	if res := b.tryUpload("four.txt", "4", "", ""); res.status != http.StatusForbidden {
		t.Errorf("script upload without token: status %d", res.status)
	}
	if res := b.tryUpload("four.txt", "4", "", "forged"); res.status != http.StatusForbidden {
		t.Errorf("script upload with a wrong token: status %d", res.status)
	}
}

func TestAssetPage(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	id := b.upload("notes.txt", "first", "draft")
	path := "/assets/" + strconv.FormatInt(id, 10)
	page := b.want(b.get(path), http.StatusOK)
	for _, w := range []string{`id="edit"`, "Download original", "notes.txt", `id="new-version"`, "Versions"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("asset page lacks %q", w)
		}
	}
	csrf := token(t, page)
	b.want(b.post(path, url.Values{"csrf": {csrf}, "title": {"Meeting notes"}, "description": {"what we said"}, "tags": {"final, minutes"}}), http.StatusSeeOther)
	page = b.get(path)
	if !strings.Contains(page.body, `value="Meeting notes"`) || !strings.Contains(page.body, "final, minutes") {
		t.Errorf("edit not shown:\n%s", page.body)
	}
	dl := b.want(b.get(path+"/download"), http.StatusOK)
	if dl.body != "first" || !strings.HasPrefix(dl.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("download: %q, %q", dl.body, dl.header.Get("Content-Disposition"))
	}
	// A new version, then the first made current again.
	b.want(b.multipart(path+"/versions", [][2]string{{"csrf", csrf}, {"comment", "second draft"}}, map[string]string{"notes2.txt": "second"}), http.StatusSeeOther)
	if dl := b.get(path + "/download"); dl.body != "second" {
		t.Errorf("current after new version: %q", dl.body)
	}
	if dl := b.get(path + "/download?version=1"); dl.body != "first" {
		t.Errorf("version 1: %q", dl.body)
	}
	b.want(b.post(path+"/versions/1/current", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	if dl := b.get(path + "/download"); dl.body != "first" {
		t.Errorf("current after make current: %q", dl.body)
	}
	if page := b.get(path); !strings.Contains(page.body, "second draft") || !strings.Contains(page.body, "Version 1 made current") {
		t.Error("version comments not shown")
	}
	// Media play inline only for video and audio.
	if res := b.get(path + "/media"); res.status != http.StatusNotFound {
		t.Errorf("text file inline: status %d", res.status)
	}
	// Public links, once the account has them.
	holder := e.caller(t, nil)
	admin, err := e.svc.Authenticate(t.Context(), holder.Account, "admin", pw, "test")
	if err != nil {
		t.Fatal(err)
	}
	on := true
	if _, _, err := e.svc.UpdateAccount(t.Context(), e.caller(t, admin), library.AccountChanges{PublicLinks: &on}); err != nil {
		t.Fatal(err)
	}
	b.want(b.post(path+"/public", url.Values{"csrf": {csrf}, "on": {"1"}}), http.StatusSeeOther)
	page = b.get(path)
	if !strings.Contains(page.body, `id="public-url"`) || !strings.Contains(page.body, "/p/") {
		t.Error("no public link shown")
	}
	// --public-base-url: the link shown is on the operator's CDN. (The
	// session's cookie is the host's, whatever the port.)
	cdn := httptest.NewServer(web.New(e.svc, web.Config{PublicBaseURL: "https://cdn.example.net"}))
	defer cdn.Close()
	b.base = cdn.URL
	if page := b.want(b.get(path), http.StatusOK); !strings.Contains(page.body, `value="https://cdn.example.net/p/`+strconv.FormatInt(id, 10)+`-`) {
		t.Error("public link not on --public-base-url")
	}
	b.base = e.srv.URL
	b.want(b.post(path+"/public", url.Values{"csrf": {csrf}, "on": {"0"}}), http.StatusSeeOther)
	if page := b.get(path); strings.Contains(page.body, `id="public-url"`) {
		t.Error("public link still shown after revoking")
	}
	// Delete, restore from the trash.
	b.want(b.post(path+"/delete", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	b.want(b.get(path), http.StatusNotFound)
	trash := b.want(b.get("/trash"), http.StatusOK)
	if !strings.Contains(trash.body, "Meeting notes") {
		t.Error("deleted asset not in the trash")
	}
	b.want(b.post("/trash/"+strconv.FormatInt(id, 10)+"/restore", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	b.want(b.get(path), http.StatusOK)
}

func TestSelection(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	ids := []int64{b.upload("a.txt", "aaa", ""), b.upload("b.txt", "bbb", "old"), b.upload("a.txt", "second a", "")}
	csrf := token(t, b.get("/"))
	form := func(action string, extra ...string) url.Values {
		v := url.Values{"csrf": {csrf}, "action": {action}}
		for _, id := range ids {
			v.Add("ids", strconv.FormatInt(id, 10))
		}
		for i := 0; i+1 < len(extra); i += 2 {
			v.Set(extra[i], extra[i+1])
		}
		return v
	}
	b.want(b.post("/selection", form("tag", "tag", "sky blue")), http.StatusSeeOther)
	l, _ := e.svc.Assets(t.Context(), e.caller(t, e.ann), library.AssetQuery{Query: `tag:"sky blue"`, Page: damask.Page{Number: 1, Size: 10}})
	if l.Total != 3 {
		t.Errorf("tagged %d, want 3", l.Total)
	}
	b.want(b.post("/selection", form("untag", "tag", "old")), http.StatusSeeOther)
	a, _ := e.svc.Asset(t.Context(), e.caller(t, e.ann), ids[1])
	if len(a.Tags) != 1 || a.Tags[0].Name != "sky blue" {
		t.Errorf("tags after untag: %v", a.Tags)
	}
	res := b.want(b.post("/selection", form("download")), http.StatusOK)
	zr, err := zip.NewReader(strings.NewReader(res.body), int64(len(res.body)))
	if err != nil {
		t.Fatal(err)
	}
	got := map[string]string{}
	for _, f := range zr.File {
		r, _ := f.Open()
		body, _ := io.ReadAll(r)
		got[f.Name] = string(body)
	}
	want := map[string]string{"a.txt": "aaa", "b.txt": "bbb", "a (2).txt": "second a"}
	for k, v := range want {
		if got[k] != v {
			t.Errorf("zip entry %s = %q, want %q (all: %v)", k, got[k], v, got)
		}
	}
	// An id named many times is one file; a form past its limits is
	// refused saying them.
	many := form("download")
	for range 1000 {
		many.Add("ids", strconv.FormatInt(ids[0], 10))
	}
	res = b.want(b.post("/selection", many), http.StatusOK)
	if zr, err := zip.NewReader(strings.NewReader(res.body), int64(len(res.body))); err != nil || len(zr.File) != 3 {
		t.Errorf("zip of ids named many times: %v, %v", zr, err)
	}
	for range 9000 {
		many.Add("ids", "1")
	}
	if res := b.post("/selection", many); res.status != http.StatusRequestEntityTooLarge || !strings.Contains(res.body, "10000 fields") {
		t.Errorf("a selection of 10,000 ids: %d: %.300s", res.status, res.body)
	}
	b.want(b.post("/selection", form("delete")), http.StatusSeeOther)
	if res := b.get("/"); !strings.Contains(res.body, "0 assets") {
		t.Error("assets left after deleting the selection")
	}
}

// Roles: a guest previews but neither downloads originals nor edits; a
// member sees neither People nor Account.
func TestRoles(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "gus", damask.RoleGuest)
	ann := e.signedIn(t, "ann")
	id := ann.upload("doc.txt", "secret", "")
	path := "/assets/" + strconv.FormatInt(id, 10)

	gus := e.signedIn(t, "gus")
	page := gus.want(gus.get(path), http.StatusOK)
	if strings.Contains(page.body, "Download original") || strings.Contains(page.body, `id="edit"`) {
		t.Error("guest sees download or edit")
	}
	if strings.Contains(page.body, "/p/") || !strings.Contains(ann.get(path).body, "/p/") {
		t.Error("guest sees the public link, or its maker does not")
	}
	if res := gus.get(path + "/download"); res.status != http.StatusForbidden {
		t.Errorf("guest download: status %d", res.status)
	}
	csrf := token(t, page)
	if res := gus.post(path, url.Values{"csrf": {csrf}, "title": {"mine"}}); res.status != http.StatusForbidden {
		t.Errorf("guest edit: status %d", res.status)
	}
	if res := gus.post("/selection", url.Values{"csrf": {csrf}, "action": {"download"}, "ids": {strconv.FormatInt(id, 10)}}); res.status != http.StatusForbidden {
		t.Errorf("guest zip: status %d", res.status)
	}
	if res := gus.tryUpload("x.txt", "x", "", csrf); res.status != http.StatusForbidden {
		t.Errorf("guest upload: status %d", res.status)
	}
	if res := gus.get("/trash"); res.status != http.StatusForbidden {
		t.Errorf("guest trash: status %d", res.status)
	}
	if res := gus.post("/trash/"+strconv.FormatInt(id, 10)+"/restore", url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden {
		t.Errorf("guest restore: status %d", res.status)
	}
	if res := gus.get("/"); strings.Contains(res.body, `id="upload"`) || strings.Contains(res.body, `value="delete"`) {
		t.Error("guest's library offers upload or delete")
	}

	for _, p := range []string{"/people", "/account"} {
		if res := ann.get(p); res.status != http.StatusForbidden {
			t.Errorf("member GET %s: status %d", p, res.status)
		}
	}
	if res := ann.post("/account/api", url.Values{"csrf": {csrf}, "api": {"on"}, "agree": {"yes"}}); res.status == http.StatusSeeOther {
		t.Error("member switched the API")
	}
	if res := ann.get("/"); strings.Contains(res.body, `href="/people"`) || strings.Contains(res.body, `href="/account"`) {
		t.Error("member's menu links People or Account")
	}
	admin := e.signedIn(t, "admin")
	for _, p := range []string{"/people", "/account", "/trash", "/tokens"} {
		admin.want(admin.get(p), http.StatusOK)
	}
	// Signed out, every page goes to the sign-in form.
	anon := e.browser(t)
	for _, p := range []string{"/", path, path + "/download", "/trash", "/people", "/account", "/tokens", path + "/thumb/128"} {
		want := "/signin"
		if p != "/" && !strings.Contains(p, "/thumb/") {
			want += "?next=" + url.QueryEscape(p)
		}
		if res := anon.get(p); res.status != http.StatusSeeOther || res.header.Get("Location") != want {
			t.Errorf("anonymous GET %s: status %d, Location %q, want %q", p, res.status, res.header.Get("Location"), want)
		}
	}
}

// Every state-changing form needs its token.
func TestCSRFRequired(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	id := strconv.FormatInt(b.upload("a.txt", "a", ""), 10)
	for _, p := range []string{"/assets/" + id, "/assets/" + id + "/delete", "/assets/" + id + "/public",
		"/assets/" + id + "/versions/1/current", "/selection", "/trash/" + id + "/restore", "/trash/empty",
		"/account/api", "/account/sharing", "/people", "/people/2", "/tokens", "/tokens/1/revoke"} {
		for _, tok := range []string{"", "forged"} {
			if res := b.post(p, url.Values{"csrf": {tok}, "action": {"delete"}, "ids": {id}, "api": {"on"}, "agree": {"yes"}}); res.status != http.StatusForbidden {
				t.Errorf("POST %s with token %q: status %d", p, tok, res.status)
			}
		}
	}
	if res := b.multipart("/assets/"+id+"/versions", nil, map[string]string{"b.txt": "b"}); res.status != http.StatusForbidden {
		t.Errorf("new version without token: status %d", res.status)
	}
	if _, err := e.svc.Asset(context.Background(), e.caller(t, e.ann), mustInt(t, id)); err != nil {
		t.Errorf("asset changed by a forged form: %v", err)
	}
}

func mustInt(t *testing.T, s string) int64 {
	t.Helper()
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	return n
}

func TestAccountAPISwitch(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	page := b.want(b.get("/account"), http.StatusOK)
	for _, w := range []string{"API terms", "Switch the API on", "deluxe", "Storage"} {
		if !strings.Contains(page.body, w) {
			t.Errorf("account page lacks %q", w)
		}
	}
	csrf := token(t, page)
	if res := b.post("/account/api", url.Values{"csrf": {csrf}, "api": {"on"}}); res.status != http.StatusUnprocessableEntity {
		t.Errorf("API on without agreeing: status %d", res.status)
	}
	b.want(b.post("/account/api", url.Values{"csrf": {csrf}, "api": {"on"}, "agree": {"yes"}}), http.StatusSeeOther)
	if !strings.Contains(b.get("/account").body, "Switch the API off") {
		t.Error("API not on")
	}
	b.want(b.post("/account/api", url.Values{"csrf": {csrf}, "api": {"off"}}), http.StatusSeeOther)
	if !strings.Contains(b.get("/account").body, "Switch the API on") {
		t.Error("API not off")
	}
}

// TestAccountSharing: the holder switches public links and public
// thumbnails on the account page; others may not.
func TestAccountSharing(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	page := b.want(b.get("/account"), http.StatusOK)
	for _, id := range []string{`id="public-links" checked`, `id="public-thumbnails" checked`} {
		if !strings.Contains(page.body, id) {
			t.Errorf("account page lacks %s", id)
		}
	}
	csrf := token(t, page)
	b.want(b.post("/account/sharing", url.Values{"csrf": {csrf}, "public_links": {"on"}}), http.StatusSeeOther)
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	if !a.PublicLinks || a.PublicThumbnails {
		t.Errorf("after the form: public links %v, public thumbnails %v; want on, off", a.PublicLinks, a.PublicThumbnails)
	}
	page = b.get("/account")
	if !strings.Contains(page.body, `id="public-thumbnails" aria`) || !strings.Contains(page.body, `id="public-links" checked`) {
		t.Error("account page does not show public thumbnails off")
	}
	b.want(b.post("/account/sharing", url.Values{"csrf": {csrf}, "public_links": {"on"}, "public_thumbnails": {"on"}}), http.StatusSeeOther)
	ann := e.signedIn(t, "ann")
	if res := ann.post("/account/sharing", url.Values{"csrf": {token(t, ann.get("/"))}}); res.status != http.StatusForbidden {
		t.Errorf("member's sharing form: status %d, want 403", res.status)
	}
}

func TestPeopleAndTokens(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	page := b.want(b.get("/people"), http.StatusOK)
	csrf := token(t, page)
	b.want(b.post("/people", url.Values{"csrf": {csrf}, "login": {"zoe"}, "email": {"zoe@example.com"}, "role": {"guest"}, "password": {pw}}), http.StatusSeeOther)
	page = b.get("/people")
	if !strings.Contains(page.body, "zoe@example.com") {
		t.Fatal("new user not listed")
	}
	zoe := e.signedIn(t, "zoe")
	b.want(b.post("/people/"+strconv.FormatInt(e.ann.ID, 10), url.Values{"csrf": {csrf}, "disabled": {"1"}}), http.StatusSeeOther)
	if res := e.browser(t).trySignIn("ann", pw); res.status != http.StatusUnauthorized {
		t.Errorf("disabled user signs in: status %d", res.status)
	}
	b.want(b.post("/people/"+strconv.FormatInt(e.ann.ID, 10), url.Values{"csrf": {csrf}, "role": {"admin"}}), http.StatusSeeOther)
	if page := b.get("/people"); !strings.Contains(page.body, "user_disabled") && !strings.Contains(page.body, "Audit log") {
		t.Error("no audit log")
	}

	// Tokens: the secret shows once, after the redirect; reloading
	// shows it no more and makes no second token.
	made := b.want(b.post("/tokens", url.Values{"csrf": {csrf}, "name": {"backup"}}), http.StatusSeeOther)
	if loc := made.header.Get("Location"); loc != "/tokens" {
		t.Errorf("Location %q", loc)
	}
	res := b.want(b.get("/tokens"), http.StatusOK)
	if !strings.Contains(res.body, `The token &#34;backup&#34; was made.`) {
		t.Errorf("no flash after making a token:\n%s", res.body)
	}
	m := regexp.MustCompile(`id="new-secret" value="(dmk_[^"]+)"`).FindStringSubmatch(res.body)
	if m == nil {
		t.Fatalf("no secret shown:\n%s", res.body)
	}
	list := b.get("/tokens")
	if strings.Contains(list.body, m[1]) || !strings.Contains(list.body, "backup") {
		t.Error("token list shows the secret, or lacks the token")
	}
	ts, err := e.svc.Tokens(t.Context(), e.caller(t, mustUser(t, e, "admin")))
	if err != nil || len(ts) != 1 {
		t.Fatalf("tokens: %v %v", ts, err)
	}
	b.want(b.post("/tokens/"+strconv.FormatInt(ts[0].ID, 10)+"/revoke", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	if !strings.Contains(b.get("/tokens").body, "revoked") {
		t.Error("token not revoked")
	}
	// A guest has tokens too, but no People page.
	zoe.want(zoe.get("/tokens"), http.StatusOK)
	if res := zoe.get("/people"); res.status != http.StatusForbidden {
		t.Errorf("guest sees People: %d", res.status)
	}
}

func mustUser(t *testing.T, e *env, login string) *damask.User {
	t.Helper()
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	u, err := e.svc.Authenticate(t.Context(), a, login, pw, "test")
	if err != nil {
		t.Fatal(err)
	}
	return u
}

func TestTrashEmpty(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := strconv.FormatInt(ann.upload("gone.txt", "x", ""), 10)
	csrf := token(t, ann.get("/"))
	ann.want(ann.post("/assets/"+id+"/delete", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	if res := ann.post("/trash/empty", url.Values{"csrf": {csrf}}); res.status != http.StatusForbidden {
		t.Errorf("member empties the trash: status %d", res.status)
	}
	admin := e.signedIn(t, "admin")
	page := admin.want(admin.get("/trash"), http.StatusOK)
	// Unconfirmed, the form asks first and deletes nothing.
	ask := admin.want(admin.post("/trash/empty", url.Values{"csrf": {token(t, page)}}), http.StatusOK)
	if !strings.Contains(ask.body, `name="confirm" value="yes"`) || !strings.Contains(ask.body, "cannot be undone") {
		t.Errorf("no confirm page:\n%s", ask.body)
	}
	if !strings.Contains(admin.get("/trash").body, `aria-label="Restore`) {
		t.Fatal("the trash was emptied without confirming")
	}
	done := admin.want(admin.post("/trash/empty", url.Values{"csrf": {token(t, page)}, "confirm": {"yes"}}), http.StatusSeeOther)
	if loc := done.header.Get("Location"); loc != "/trash" {
		t.Errorf("Location %q", loc)
	}
	if body := admin.get("/trash").body; !strings.Contains(body, "The trash was emptied: 1 asset deleted for good.") {
		t.Errorf("no flash after emptying:\n%s", body)
	}
	if !strings.Contains(admin.get("/trash").body, "The trash is empty") {
		t.Error("trash not empty")
	}
}

// Video and audio play in the page from /media, inline but sandboxed;
// guests, who may not have originals, get neither player nor file.
func TestMediaPlayers(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "gus", damask.RoleGuest)
	b := e.signedIn(t, "ann")
	for _, tt := range []struct{ file, tag, ctype string }{
		{"clip.mp4", "<video", "video/mp4"},
		{"audio.m4a", "<audio", "audio/"},
	} {
		body, err := os.ReadFile(filepath.Join("..", "media", "testdata", tt.file))
		if err != nil {
			t.Fatal(err)
		}
		id := strconv.FormatInt(b.upload(tt.file, string(body), ""), 10)
		page := b.want(b.get("/assets/"+id), http.StatusOK)
		if !strings.Contains(page.body, tt.tag) {
			t.Errorf("%s: no %s player", tt.file, tt.tag)
		}
		res := b.want(b.get("/assets/"+id+"/media"), http.StatusOK)
		if !strings.HasPrefix(res.header.Get("Content-Type"), tt.ctype) || !strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") ||
			res.header.Get("Content-Disposition") != "" || len(res.body) != len(body) {
			t.Errorf("%s: media answer %s, %q, CSP %q, %d bytes", tt.file, res.header.Get("Content-Type"),
				res.header.Get("Content-Disposition"), res.header.Get("Content-Security-Policy"), len(res.body))
		}
		gus := e.signedIn(t, "gus")
		if strings.Contains(gus.get("/assets/"+id).body, tt.tag) {
			t.Errorf("%s: guest gets a player", tt.file)
		}
		if res := gus.get("/assets/" + id + "/media"); res.status != http.StatusForbidden {
			t.Errorf("%s: guest media: status %d", tt.file, res.status)
		}
	}
}

// An account's branding, written straight into the store as an operator's
// import would, shows on every page: its title, and its colours through
// /branding.css.
func TestBranding(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	if res := b.get("/"); strings.Contains(res.body, "/branding.css") {
		t.Error("a page links branding.css with no branding set")
	}
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	a.Branding = damask.Branding{Title: "Acme <Assets>", TopColor: "#aa0000", FontColor: "#ffffff", BottomColor: "blue;}*{x:y"}
	if err := e.db.UpdateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
	res := b.get("/")
	if !strings.Contains(res.body, `href="/branding.css?v=`) || !strings.Contains(res.body, "Acme &lt;Assets&gt;") {
		t.Errorf("branding not on the page:\n%s", res.body)
	}
	css := b.want(b.get("/branding.css"), http.StatusOK)
	if !strings.Contains(css.body, "background: #aa0000") || strings.Contains(css.body, "blue") {
		t.Errorf("branding.css:\n%s", css.body)
	}
}
