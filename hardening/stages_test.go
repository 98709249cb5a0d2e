package hardening

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
)

// r27Stages is item 27 for Stages, run by TestR27_PublicLinks against the
// real server: every sub-resource of a Stage without its password (401),
// after its expiry and after its revocation (410); an asset not on the
// Stage by its id (404); no EXIF, IPTC, XMP or GPS in its previews; an
// SVG and an HTML file on it never served to run.
func r27Stages(t *testing.T, l *library) {
	src, err := os.ReadFile("../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	p := filepath.Join(t.TempDir(), "gps.jpg")
	if err := os.WriteFile(p, src, 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := exec.Command("exiftool", "-q", "-overwrite_original", "-GPSLatitude=48.8584", "-GPSLatitudeRef=N",
		"-GPSLongitude=2.2945", "-GPSLongitudeRef=E", "-Make=SecretCam", "-IPTC:By-line=Secret Author",
		"-XMP:Creator=Secret Author", p).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v: %s", err, out)
	}
	photo, err := os.ReadFile(p)
	if err != nil {
		t.Fatal(err)
	}
	ph := strconv.FormatInt(l.upload(t, "gps.jpg", "", photo).ID, 10)
	svg := strconv.FormatInt(l.upload(t, "evil.svg", "", []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="20" height="20"><script>alert(1)</script><rect width="20" height="20"/></svg>`)).ID, 10)
	htm := strconv.FormatInt(l.upload(t, "evil.html", "", []byte(`<html><body><script>alert(document.cookie)</script></body></html>`)).ID, 10)
	off := strconv.FormatInt(l.upload(t, "other.jpg", "", src).ID, 10)
	for _, id := range []string{ph, svg, htm, off} {
		waitProcessed(t, l.admin, id)
	}
	col := doc(t, l.admin.Form(http.StatusCreated, "POST", "/api/collections.json", "", nil, "title", "Client", "asset_ids", ph+","+svg+","+htm))
	colID := strconv.FormatInt(int64(col["id"].(float64)), 10)
	st := doc(t, l.admin.Form(http.StatusCreated, "POST", "/api/stages.json", "", nil, "title", "Client", "collection_id", colID,
		"password", "magic phrase", "downloads", "previews", "watermark", "PROOF", "expires_on", "2099-01-01"))
	sid := strconv.FormatInt(int64(st["id"].(float64)), 10)
	u, _ := url.Parse(st["url"].(string))
	base := u.Path
	subs := []string{"", ".zip", "/assets/" + ph, "/image/" + ph + "/64", "/image/" + ph + "/256", "/image/" + ph + "/1024",
		"/image/" + ph + "/2048", "/download/" + ph, "/play/" + ph, "/assets/" + svg, "/download/" + htm, "/assets/" + off}

	v := l.browser(t, "")
	t.Run("without the password", func(t *testing.T) {
		for _, sub := range subs {
			if res := v.get(base + sub); res.status != http.StatusUnauthorized || strings.Contains(res.body, "gps.jpg") {
				t.Errorf("GET %s without the password: %d, want 401", sub, res.status)
			}
		}
	})
	if res := v.post(base, url.Values{"password": {"magic phrase"}}); res.status != http.StatusSeeOther {
		t.Fatalf("the password: %d", res.status)
	}
	t.Run("an asset not on the Stage by its id", func(t *testing.T) {
		for _, sub := range []string{"/assets/" + off, "/image/" + off + "/256", "/image/" + off + "/1024", "/download/" + off, "/play/" + off} {
			if res := v.get(base + sub); res.status != http.StatusNotFound {
				t.Errorf("GET %s: %d, want 404", sub, res.status)
			}
		}
	})
	t.Run("no metadata in the previews", func(t *testing.T) {
		for _, sub := range []string{"/image/" + ph + "/64", "/image/" + ph + "/256", "/image/" + ph + "/1024", "/image/" + ph + "/2048", "/download/" + ph} {
			res := v.get(base + sub)
			if res.status != http.StatusOK {
				t.Errorf("GET %s: %d", sub, res.status)
				continue
			}
			for _, m := range []string{"Exif", "SecretCam", "Secret Author", "http://ns.adobe.com/xap", "Photoshop 3.0"} {
				if bytes.Contains([]byte(res.body), []byte(m)) {
					t.Errorf("GET %s holds %q", sub, m)
				}
			}
		}
	})
	t.Run("SVG and HTML never run", func(t *testing.T) {
		for _, id := range []string{svg, htm} {
			for _, sub := range []string{"/download/" + id, "/image/" + id + "/256", "/image/" + id + "/1024", "/play/" + id} {
				res := v.get(base + sub)
				ct := res.header.Get("Content-Type")
				if res.status == http.StatusOK && (strings.Contains(ct, "html") || strings.Contains(ct, "svg") ||
					!strings.Contains(res.header.Get("Content-Security-Policy"), "sandbox")) {
					t.Errorf("GET %s: %q, CSP %q", sub, ct, res.header.Get("Content-Security-Policy"))
				}
			}
			if res := v.get(base + "/assets/" + id); strings.Contains(res.body, "<script>alert") || strings.Contains(res.body, "<svg") {
				t.Errorf("the page of asset %s carries its markup", id)
			}
		}
	})
	gone := func(t *testing.T) {
		t.Helper()
		for _, sub := range subs {
			if res := v.get(base + sub); res.status != http.StatusGone {
				t.Errorf("GET %s: %d, want 410", sub, res.status)
			}
		}
	}
	t.Run("after expiry", func(t *testing.T) {
		l.admin.Form(http.StatusOK, "PUT", "/api/stages/"+sid+".json", "", nil, "expires_on", "2001-01-01")
		gone(t)
		l.admin.Form(http.StatusOK, "PUT", "/api/stages/"+sid+".json", "", nil, "expires_on", "")
		if res := v.get(base); res.status != http.StatusOK {
			t.Errorf("expiry lifted: %d", res.status)
		}
	})
	t.Run("after revocation", func(t *testing.T) {
		l.admin.Must(http.StatusOK, "DELETE", "/api/stages/"+sid+".json", "", nil)
		gone(t)
	})
}
