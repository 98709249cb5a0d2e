package web_test

import (
	"bytes"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/media/mediatest"
)

// brandingForm posts the branding form as a browser does: multipart,
// csrf first, then the fields, then the logo when there is one.
func (b *browser) brandingForm(csrf string, fields [][2]string, logoName string, logo []byte) response {
	b.t.Helper()
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	if csrf != "" {
		mw.WriteField("csrf", csrf)
	}
	for _, f := range fields {
		mw.WriteField(f[0], f[1])
	}
	if logo != nil {
		w, _ := mw.CreateFormFile("logo", logoName)
		w.Write(logo)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+"/account/branding", &buf)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	return b.do(req)
}

var logoRE = regexp.MustCompile(`<img class="logo" id="logo" src="(/branding/logo\?v=[0-9a-f]{16})"`)

// The holder brands the account from the Account page: title, colours and
// a logo that every page's header then shows, served as an image that
// nothing can run.
func TestBrandingForm(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	page := b.want(b.get("/account"), http.StatusOK)
	if !strings.Contains(page.body, `id="branding-form"`) || strings.Contains(page.body, `id="logo-remove"`) {
		t.Fatalf("account page lacks the branding form, or offers to remove a logo it lacks:\n%s", page.body)
	}
	csrf := token(t, page)
	png := mediatest.Sample(t, "alpha.png")
	res := b.want(b.brandingForm(csrf, [][2]string{{"title", "Acme <Assets>"}, {"font_color", "#FFFFFF"},
		{"top_color", "#a00"}, {"bottom_color", ""}}, "logo.svg", png), http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/account#branding" {
		t.Errorf("Location %q", loc)
	}

	home := b.want(b.get("/"), http.StatusOK)
	m := logoRE.FindStringSubmatch(home.body)
	if m == nil || !strings.Contains(home.body, "Acme &lt;Assets&gt;") || !strings.Contains(home.body, `href="/branding.css?v=`) {
		t.Fatalf("the header lacks the logo, the title or the colours:\n%s", home.body)
	}
	if css := b.get("/branding.css").body; !strings.Contains(css, "background: #a00;") || !strings.Contains(css, "color: #ffffff;") {
		t.Errorf("branding.css:\n%s", css)
	}
	// The sign-in page shows the logo too, so the logo needs no session.
	anon := e.browser(t)
	if !logoRE.MatchString(anon.get("/signin").body) {
		t.Error("the sign-in page lacks the logo")
	}
	logo := anon.want(anon.get(m[1]), http.StatusOK)
	h := logo.header
	if logo.body != string(png) || h.Get("Content-Type") != "image/png" || h.Get("X-Content-Type-Options") != "nosniff" ||
		h.Get("Content-Security-Policy") != "default-src 'none'; sandbox" || !strings.Contains(h.Get("Cache-Control"), "immutable") ||
		!regexp.MustCompile(`^"[0-9a-f]{64}"$`).MatchString(h.Get("ETag")) {
		t.Errorf("logo: %d bytes, headers %v", len(logo.body), h)
	}
	if cc := anon.get("/branding/logo").header.Get("Cache-Control"); !strings.Contains(cc, "must-revalidate") {
		t.Errorf("logo without its version: Cache-Control %q", cc)
	}
	req, _ := http.NewRequest(http.MethodGet, anon.base+m[1], nil)
	req.Header.Set("If-None-Match", h.Get("ETag"))
	if res := anon.do(req); res.status != http.StatusNotModified {
		t.Errorf("logo with its ETag: status %d", res.status)
	}

	// Another logo replaces it, under another URL.
	b.want(b.brandingForm(csrf, nil, "photo.webp", mediatest.Sample(t, "photo.webp")), http.StatusSeeOther)
	m2 := logoRE.FindStringSubmatch(b.get("/").body)
	if m2 == nil || m2[1] == m[1] {
		t.Fatalf("new logo: %v, was %s", m2, m[1])
	}
	if ct := b.get(m2[1]).header.Get("Content-Type"); ct != "image/webp" {
		t.Errorf("WebP logo served as %q", ct)
	}
	if !strings.Contains(b.get("/").body, "Acme &lt;Assets&gt;") {
		t.Error("a logo alone changed the title")
	}

	// Removing it takes it from every page.
	page = b.want(b.get("/account"), http.StatusOK)
	if !strings.Contains(page.body, `id="logo-remove"`) {
		t.Fatal("no form to remove the logo")
	}
	ask := b.want(b.post("/account/logo/remove", url.Values{"csrf": {csrf}}), http.StatusOK)
	if !strings.Contains(ask.body, `name="confirm" value="yes"`) || !logoRE.MatchString(b.get("/").body) {
		t.Fatal("the logo went without a confirmation")
	}
	b.want(b.post("/account/logo/remove", url.Values{"csrf": {csrf}, "confirm": {"yes"}}), http.StatusSeeOther)
	if home := b.get("/"); logoRE.MatchString(home.body) {
		t.Error("the header still shows the removed logo")
	}
	if res := anon.get("/branding/logo"); res.status != http.StatusNotFound {
		t.Errorf("removed logo: status %d", res.status)
	}
}

// What the form refuses, each with a message that says why, and nothing
// changes.
func TestBrandingFormRefusals(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "admin")
	csrf := token(t, b.get("/account"))
	b.want(b.brandingForm(csrf, [][2]string{{"top_color", "#123456"}}, "", nil), http.StatusSeeOther)
	big := append(mediatest.Sample(t, "alpha.png"), make([]byte, library.MaxLogoSize)...)
	for _, tt := range []struct {
		name   string
		csrf   string
		fields [][2]string
		file   string
		logo   []byte
		status int
		msg    string
	}{
		{"no token", "", [][2]string{{"top_color", "#000"}}, "", nil, http.StatusForbidden, "security token"},
		{"forged token", "forged", [][2]string{{"top_color", "#000"}}, "", nil, http.StatusForbidden, "security token"},
		{"colour name", csrf, [][2]string{{"top_color", "red"}}, "", nil, http.StatusUnprocessableEntity, "Top colour must be a colour written #rgb or #rrggbb"},
		{"css in a colour", csrf, [][2]string{{"font_color", "#fff;}body{display:none"}}, "", nil, http.StatusUnprocessableEntity, "Font colour must be a colour"},
		// White on yellow: refused, by its field, with the ratio.
		{"unreadable colours", csrf, [][2]string{{"top_color", "#ff0"}}, "", nil, http.StatusUnprocessableEntity, `id="brand-top-error">Top colour #ff0 under the text colour #ffffff has a contrast of 1.07:1; text needs at least 4.5:1`},
		{"svg logo", csrf, nil, "logo.png", mediatest.Sample(t, "shape.svg"), http.StatusUnprocessableEntity, "must be a PNG, JPEG, GIF or WebP image"},
		{"html logo", csrf, nil, "logo.png", []byte("<!DOCTYPE html><script>alert(1)</script>"), http.StatusUnprocessableEntity, "must be a PNG, JPEG, GIF or WebP image"},
		{"logo too big", csrf, nil, "logo.png", big, http.StatusRequestEntityTooLarge, "larger than 1024 KiB"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			res := b.brandingForm(tt.csrf, tt.fields, tt.file, tt.logo)
			if res.status != tt.status || !strings.Contains(res.body, tt.msg) {
				t.Errorf("status %d, want %d with %q:\n%s", res.status, tt.status, tt.msg, res.body)
			}
		})
	}
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	if br := a.Branding; br.TopColor != "#123456" || br.FontColor != "" || br.Logo != "" {
		t.Errorf("refused forms changed the branding: %+v", br)
	}
	if res := b.post("/account/logo/remove", url.Values{"csrf": {"forged"}}); res.status != http.StatusForbidden {
		t.Errorf("remove the logo with a forged token: status %d", res.status)
	}
}

// Only the holder brands the account, and only on a plan with branding.
func TestBrandingFormByRoleAndPlan(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "adi", damask.RoleAdmin)
	holder := e.signedIn(t, "admin")
	csrf := token(t, holder.get("/account"))
	holder.want(holder.brandingForm(csrf, nil, "a.gif", mediatest.Sample(t, "anim.gif")), http.StatusSeeOther)
	for _, login := range []string{"adi", "ann"} {
		u := e.signedIn(t, login)
		tok := token(t, u.get("/"))
		if res := u.brandingForm(tok, [][2]string{{"title", "mine"}}, "", nil); res.status != http.StatusForbidden {
			t.Errorf("%s sets the branding: status %d", login, res.status)
		}
		if res := u.post("/account/logo/remove", url.Values{"csrf": {tok}}); res.status != http.StatusForbidden {
			t.Errorf("%s removes the logo: status %d", login, res.status)
		}
		// Everyone sees the logo.
		if !logoRE.MatchString(u.get("/").body) {
			t.Errorf("%s's pages lack the logo", login)
		}
	}

	if err := e.svc.SetPlan(t.Context(), library.DefaultAccount, "basic"); err != nil {
		t.Fatal(err)
	}
	page := holder.want(holder.get("/account"), http.StatusOK)
	if strings.Contains(page.body, `id="branding-form"`) || !strings.Contains(page.body, "plan does not include branding") {
		t.Errorf("basic plan: the account page offers branding:\n%s", page.body)
	}
	if res := holder.brandingForm(csrf, [][2]string{{"title", "mine"}}, "", nil); res.status != http.StatusForbidden ||
		!strings.Contains(res.body, "basic plan does not include branding") {
		t.Errorf("basic plan: branding form answered %d:\n%s", res.status, res.body)
	}
	if logoRE.MatchString(holder.get("/").body) {
		t.Error("basic plan: pages show the logo")
	}
	if res := holder.get("/branding/logo"); res.status != http.StatusNotFound {
		t.Errorf("basic plan: logo served, status %d", res.status)
	}
}

// The trash shows each asset's thumbnail, in the same fixed box as the
// list view, from a route that serves assets in the trash only.
func TestTrashThumbnails(t *testing.T) {
	e := newEnvWith(t, true)
	e.addUser(t, "gus", damask.RoleGuest)
	ann := e.signedIn(t, "ann")
	id := ann.upload("photo.jpg", string(mediatest.Sample(t, "photo.jpg")), "")
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, err := e.svc.Asset(t.Context(), e.caller(t, e.ann), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Processing == damask.ProcessingDone {
			break
		}
		if a.Processing == damask.ProcessingFailed || time.Now().After(deadline) {
			t.Fatalf("processing %s", a.Processing)
		}
		time.Sleep(50 * time.Millisecond) // polling, not synchronisation: the deadline is generous
	}
	sid := strconv.FormatInt(id, 10)
	if res := ann.get("/trash/" + sid + "/thumb/128"); res.status != http.StatusNotFound {
		t.Errorf("trash thumbnail of an asset outside the trash: status %d", res.status)
	}
	ann.want(ann.post("/assets/"+sid+"/delete", url.Values{"csrf": {token(t, ann.get("/"))}}), http.StatusSeeOther)
	page := ann.want(ann.get("/trash"), http.StatusOK)
	m := regexp.MustCompile(`<td class="mini"><img src="(/trash/` + sid + `/thumb/128\?v=[0-9a-f]+)" srcset="[^"]+ 64w, [^"]+ 128w, [^"]+ 256w" sizes="48px" width="48" height="48" loading="lazy" alt="">`).FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("trash row lacks the thumbnail:\n%s", page.body)
	}
	res := ann.want(ann.get(m[1]), http.StatusOK)
	if !strings.HasPrefix(res.header.Get("Content-Type"), "image/") || res.header.Get("Content-Security-Policy") != "default-src 'none'; sandbox" {
		t.Errorf("trash thumbnail: %v", res.header)
	}
	if res := ann.get("/assets/" + sid + "/thumb/128"); res.status != http.StatusNotFound {
		t.Errorf("library thumbnail of an asset in the trash: status %d", res.status)
	}
	gus := e.signedIn(t, "gus")
	if res := gus.get(m[1]); res.status != http.StatusForbidden {
		t.Errorf("guest gets a trash thumbnail: status %d", res.status)
	}
	if res := e.browser(t).get(m[1]); res.status != http.StatusSeeOther {
		t.Errorf("anonymous trash thumbnail: status %d", res.status)
	}
}

// API tokens are found from People (the issue puts them there) as well
// as the menu, which every role has: members and guests need tokens too.
func TestPeopleLinksTokens(t *testing.T) {
	e := newEnv(t)
	admin := e.signedIn(t, "admin")
	if !strings.Contains(admin.want(admin.get("/people"), http.StatusOK).body, `<a href="/tokens">API tokens</a>`) {
		t.Error("People does not link the API tokens")
	}
	ann := e.signedIn(t, "ann")
	if !strings.Contains(ann.get("/").body, `href="/tokens"`) {
		t.Error("a member's menu lacks API tokens")
	}
}
