package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
	"damask/media"
	"damask/media/mediatest"
	"damask/web"
)

// gpsPhoto is the sample photo with a camera, a place and an author in its
// EXIF, IPTC and XMP, written by exiftool.
func gpsPhoto(t *testing.T) []byte {
	t.Helper()
	p := filepath.Join(t.TempDir(), "gps.jpg")
	if err := os.WriteFile(p, mediatest.Sample(t, "photo.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("exiftool", "-q", "-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
		"-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-Make=SecretCam", "-IPTC:By-line=Secret Author",
		"-XMP:Creator=Secret Author", p).CombinedOutput()
	if err != nil {
		t.Fatalf("exiftool (scripts/setup.sh installs it): %v: %s", err, out)
	}
	b, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitDone waits for the asset's processing to end.
func (e *env) waitDone(t *testing.T, id int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, err := e.svc.Asset(t.Context(), e.caller(t, e.ann), id)
		if err != nil {
			t.Fatal(err)
		}
		if a.Processing != damask.ProcessingPending {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %d not processed in two minutes", id)
		}
		time.Sleep(50 * time.Millisecond) // polling, not synchronisation: the deadline is generous
	}
}

// metadataLeft names what of the photo's metadata a file still holds.
func metadataLeft(b []byte) []string {
	var left []string
	for _, s := range []string{"Exif", "SecretCam", "Secret Author", "http://ns.adobe.com/xap", "Photoshop 3.0"} {
		if bytes.Contains(b, []byte(s)) {
			left = append(left, s)
		}
	}
	return left
}

// TestStagePages: a Stage seen by a visitor without an account: the
// password form guards every page and file under the address; with the
// pass, the grid, an asset's page, its previews (watermarked, without
// metadata) and downloads as the Stage allows; an asset not on it is
// 404; revoked or expired, 410 everywhere; nothing names the team.
func TestStagePages(t *testing.T) {
	e := newEnvWith(t, true)
	ann := e.signedIn(t, "ann")
	photo := gpsPhoto(t)
	pid := ann.upload("IMG_0001.jpg", string(photo), "")
	svg := ann.upload("evil.svg", `<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><script>alert(1)</script><rect width="10" height="10"/></svg>`, "")
	page := ann.upload("evil.html", `<html><script>alert(document.cookie)</script></html>`, "")
	secret := ann.upload("contract.txt", "the signed contract", "")
	for _, id := range []int64{pid, svg, page, secret} {
		e.waitDone(t, id)
	}
	c := e.caller(t, e.ann)
	ctx := t.Context()
	ids := func(v ...int64) *string {
		s := make([]string, len(v))
		for i, id := range v {
			s[i] = strconv.FormatInt(id, 10)
		}
		j := strings.Join(s, ",")
		return &j
	}
	title := "For the client"
	col, _, err := e.svc.CreateCollection(ctx, c, library.CollectionInput{Title: &title, AssetIDs: ids(pid, svg, page)}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID, pwd, downloads, mark, who := strconv.FormatInt(col.ID, 10), "open sesame", "previews", "DRAFT", "cy@client.example"
	st, _, err := e.svc.CreateStage(ctx, c, library.StageInput{Title: &title, CollectionID: &colID, Password: &pwd,
		Downloads: &downloads, Watermark: &mark, Recipients: &who}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	base := library.StageAddress(st.Token)
	p, s, h, x := strconv.FormatInt(pid, 10), strconv.FormatInt(svg, 10), strconv.FormatInt(page, 10), strconv.FormatInt(secret, 10)
	subs := []string{"", ".zip", "/assets/" + p, "/image/" + p + "/128", "/image/" + p + "/1024", "/image/" + p + "/2048",
		"/download/" + p, "/play/" + p, "/assets/" + x, "/download/" + x}

	v := e.browser(t)
	t.Run("without the password", func(t *testing.T) {
		for _, sub := range subs {
			if res := v.get(base + sub); res.status != http.StatusUnauthorized {
				t.Errorf("GET %s without the password: %d, want 401", sub, res.status)
			}
		}
		res := v.get(base)
		if !strings.Contains(res.body, `type="password"`) || strings.Contains(res.body, "IMG_0001") {
			t.Errorf("the password form:\n%s", res.body)
		}
		if res := v.post(base, url.Values{"password": {"wrong"}}); res.status != http.StatusUnauthorized ||
			!strings.Contains(res.body, "That is not this Stage&#39;s password") {
			t.Errorf("a wrong password: %d\n%s", res.status, res.body)
		}
		// Someone else's pass, or a forged one, opens nothing.
		forged := e.browser(t)
		u, _ := url.Parse(forged.base)
		forged.c.Jar.SetCookies(u, []*http.Cookie{{Name: web.StageCookie(st.Token), Value: "AAAA", Path: "/s/"}})
		if res := forged.get(base + "/image/" + p + "/1024"); res.status != http.StatusUnauthorized {
			t.Errorf("a forged pass: %d", res.status)
		}
	})
	if res := v.post(base, url.Values{"password": {pwd}}); res.status != http.StatusSeeOther || res.header.Get("Location") != base {
		t.Fatalf("the password: %d, Location %q", res.status, res.header.Get("Location"))
	}

	t.Run("the grid and an asset", func(t *testing.T) {
		res := v.get(base)
		if res.status != http.StatusOK || !strings.Contains(res.body, "For the client") || !strings.Contains(res.body, "3 items") ||
			!strings.Contains(res.body, base+".zip") {
			t.Fatalf("the Stage: %d\n%s", res.status, res.body)
		}
		for _, leak := range []string{"ann", "Ann@Example.com", "admin", "contract", "/assets/" + x, "signed-in", "Sign out"} {
			if strings.Contains(res.body, leak) {
				t.Errorf("the Stage's page names %q", leak)
			}
		}
		if res.header.Get("Referrer-Policy") != "no-referrer" {
			t.Errorf("Referrer-Policy %q", res.header.Get("Referrer-Policy"))
		}
		res = v.get(base + "/assets/" + p)
		if res.status != http.StatusOK || !strings.Contains(res.body, base+"/image/"+p+"/1024") || !strings.Contains(res.body, base+"/download/"+p) {
			t.Errorf("the asset's page: %d\n%s", res.status, res.body)
		}
	})

	t.Run("previews without metadata, watermarked", func(t *testing.T) {
		thumb := v.get(base + "/image/" + p + "/128")
		prev := v.get(base + "/image/" + p + "/1024")
		if thumb.status != 200 || prev.status != 200 || prev.header.Get("Content-Type") != "image/jpeg" {
			t.Fatalf("thumbnail %d, preview %d %q", thumb.status, prev.status, prev.header.Get("Content-Type"))
		}
		for name, b := range map[string]string{"thumbnail": thumb.body, "preview": prev.body} {
			if left := metadataLeft([]byte(b)); len(left) > 0 {
				t.Errorf("the %s holds the photo's metadata: %v", name, left)
			}
		}
		plain, err := e.svc.Rendition(ctx, c, pid, media.Preview)
		if err != nil {
			t.Fatal(err)
		}
		var pb bytes.Buffer
		pb.ReadFrom(plain.Body)
		plain.Body.Close()
		if pb.String() == prev.body {
			t.Error("the Stage's preview is not watermarked")
		}
		if again := v.get(base + "/image/" + p + "/1024"); again.body != prev.body {
			t.Error("the watermarked preview was made anew: want it kept")
		}
		// Another position, or opacity, is another rendition; back to the
		// first, the one kept answers.
		restyle := func(pos, opacity string) {
			t.Helper()
			if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{WatermarkPosition: &pos, WatermarkOpacity: &opacity}); err != nil {
				t.Fatal(err)
			}
		}
		restyle("top-left", "45")
		moved := v.get(base + "/image/" + p + "/1024")
		restyle("top-left", "90")
		stronger := v.get(base + "/image/" + p + "/1024")
		if moved.status != 200 || stronger.status != 200 || moved.body == prev.body || stronger.body == moved.body {
			t.Errorf("a watermark moved (%d) or made stronger (%d) answered the rendition before: want it drawn anew",
				moved.status, stronger.status)
		}
		restyle("center", "45")
		if back := v.get(base + "/image/" + p + "/1024"); back.body != prev.body {
			t.Error("the watermark set back to the centre at 45% was drawn anew: want the one kept")
		}
		dl := v.get(base + "/download/" + p)
		if dl.status != 200 || !strings.Contains(dl.header.Get("Content-Disposition"), "attachment") ||
			dl.header.Get("Content-Type") != "image/jpeg" || dl.body == string(photo) || len(metadataLeft([]byte(dl.body))) > 0 {
			t.Errorf("a preview's download: %d %q, original %v", dl.status, dl.header.Get("Content-Disposition"), dl.body == string(photo))
		}
	})

	t.Run("an asset not on the Stage", func(t *testing.T) {
		for _, sub := range []string{"/assets/" + x, "/image/" + x + "/128", "/download/" + x, "/play/" + x, "/assets/999999", "/image/" + x + "/1024"} {
			if res := v.get(base + sub); res.status != http.StatusNotFound || strings.Contains(res.body, "contract") {
				t.Errorf("GET %s: %d, want 404", sub, res.status)
			}
		}
	})

	t.Run("SVG and HTML never run", func(t *testing.T) {
		for _, id := range []string{s, h} {
			res := v.get(base + "/download/" + id)
			if res.status == http.StatusOK && (!strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox") ||
				strings.HasPrefix(res.header.Get("Content-Type"), "text/html") || strings.Contains(res.header.Get("Content-Type"), "svg")) {
				t.Errorf("download of %s: %q %q", id, res.header.Get("Content-Type"), res.header.Get("Content-Security-Policy"))
			}
			for _, px := range []string{"128", "1024"} {
				res := v.get(base + "/image/" + id + "/" + px)
				if res.status == http.StatusOK && res.header.Get("Content-Type") != "image/jpeg" {
					t.Errorf("image of %s: %q", id, res.header.Get("Content-Type"))
				}
			}
			pg := v.get(base + "/assets/" + id)
			if strings.Contains(pg.body, "<script>alert") || strings.Contains(pg.body, "<svg") {
				t.Errorf("asset page %s carries the file's markup", id)
			}
		}
	})

	t.Run("originals and the zip", func(t *testing.T) {
		orig := "originals"
		if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{Downloads: &orig}); err != nil {
			t.Fatal(err)
		}
		// The password's pass still holds: the password did not change.
		if dl := v.get(base + "/download/" + p); dl.status != 200 || dl.body != string(photo) {
			t.Errorf("the original: %d, same bytes %v", dl.status, dl.body == string(photo))
		}
		z := v.get(base + ".zip")
		if z.status != 200 || z.header.Get("Content-Type") != "application/zip" || !strings.Contains(z.body, "IMG_0001.jpg") {
			t.Errorf("the zip: %d %q", z.status, z.header.Get("Content-Type"))
		}
		none := "none"
		if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{Downloads: &none}); err != nil {
			t.Fatal(err)
		}
		for _, sub := range []string{"/download/" + p, ".zip"} {
			if res := v.get(base + sub); res.status != http.StatusForbidden {
				t.Errorf("GET %s on a Stage without downloads: %d, want 403", sub, res.status)
			}
		}
		if res := v.get(base + "/assets/" + p); strings.Contains(res.body, "/download/") {
			t.Error("a Stage without downloads offers a download")
		}
	})

	t.Run("a new password asks again", func(t *testing.T) {
		np := "another phrase"
		if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{Password: &np}); err != nil {
			t.Fatal(err)
		}
		if res := v.get(base + "/image/" + p + "/128"); res.status != http.StatusUnauthorized {
			t.Errorf("the old pass after a new password: %d", res.status)
		}
		if res := v.post(base, url.Values{"password": {np}}); res.status != http.StatusSeeOther {
			t.Errorf("the new password: %d", res.status)
		}
	})

	t.Run("expired, then revoked: 410 everywhere", func(t *testing.T) {
		e.clock.Add(24 * time.Hour)
		exp := e.clock.Now().Add(time.Hour).Format(time.RFC3339)
		if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{ExpiresOn: &exp}); err != nil {
			t.Fatal(err)
		}
		if res := v.get(base); res.status != http.StatusOK {
			t.Fatalf("before expiry: %d", res.status)
		}
		e.clock.Add(2 * time.Hour)
		gone := func(what string) {
			for _, sub := range subs {
				if res := v.get(base + sub); res.status != http.StatusGone {
					t.Errorf("%s: GET %s: %d, want 410", what, sub, res.status)
				}
			}
			if res := v.post(base, url.Values{"password": {"another phrase"}}); res.status != http.StatusGone {
				t.Errorf("%s: the password form: %d, want 410", what, res.status)
			}
		}
		gone("expired")
		never := ""
		if _, err := e.svc.UpdateStage(ctx, c, st.ID, library.StageInput{ExpiresOn: &never}); err != nil {
			t.Fatal(err)
		}
		if _, err := e.svc.RevokeStage(ctx, c, st.ID); err != nil {
			t.Fatal(err)
		}
		gone("revoked")
	})

	t.Run("the log names the recipient", func(t *testing.T) {
		log, _, err := e.svc.StageLog(ctx, c, st.ID, damask.Page{Number: 1, Size: 100})
		if err != nil {
			t.Fatal(err)
		}
		var views, downloads int
		for _, a := range log {
			if a.Recipient != "" {
				t.Errorf("a visit by the Stage's own address logged as %q", a.Recipient)
			}
			if a.Action == damask.StageDownloaded {
				downloads++
			} else {
				views++
			}
		}
		if views == 0 || downloads < 3 {
			t.Errorf("log: %d views, %d downloads", views, downloads)
		}
	})

	if res := v.get("/s/" + strings.Repeat("A", 32)); res.status != http.StatusNotFound {
		t.Errorf("an unknown address: %d, want 404", res.status)
	}
}

// TestStagePasswordThrottled: wrong passwords count per Stage whatever
// the address they come from, and per address: past the limit the form
// answers 429, the right password included, until the window ends.
func TestStagePasswordThrottled(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	id := ann.upload("a.txt", "a", "")
	c := e.caller(t, e.ann)
	title, list := "Client", strconv.FormatInt(id, 10)
	col, _, err := e.svc.CreateCollection(t.Context(), c, library.CollectionInput{Title: &title, AssetIDs: &list}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID, pwd := strconv.FormatInt(col.ID, 10), "right one"
	st, _, err := e.svc.CreateStage(t.Context(), c, library.StageInput{Title: &title, CollectionID: &colID, Password: &pwd}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	base := library.StageAddress(st.Token)
	v := e.browser(t)
	for i := range 20 {
		want := http.StatusUnauthorized
		if i == 19 {
			want = http.StatusTooManyRequests // the 20th failure reaches the limit
		}
		if res := v.post(base, url.Values{"password": {"guess " + strconv.Itoa(i)}}); res.status != want {
			t.Fatalf("guess %d: %d, want %d", i, res.status, want)
		}
	}
	if res := v.post(base, url.Values{"password": {pwd}}); res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("the right password after 20 wrong ones: %d, Retry-After %q", res.status, res.header.Get("Retry-After"))
	}
	e.clock.Add(16 * time.Minute)
	if res := v.post(base, url.Values{"password": {pwd}}); res.status != http.StatusSeeOther {
		t.Errorf("the right password once the window ended: %d", res.status)
	}
}
