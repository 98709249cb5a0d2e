package hardening

import (
	"net/http"
	"net/url"
	"os"
	"slices"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR37_GuestsGetNoOriginal: a guest (reads and previews only) tries
// every route to an original, through the API (XML and JSON, with a
// password and with a token) and the pages: downloads, an old version, zip
// selections, the media player, the renditions that show the file at its
// full size, and the public link, which a guest is never shown and which
// serves nothing once its maker is made a guest. A member still gets each.
func TestR37_GuestsGetNoOriginal(t *testing.T) {
	l := start(t)
	member, memberID := addUser(t, l.admin, "mia", "member")
	guest, _ := addUser(t, l.admin, "gus", "guest")
	tokenGuest := guest
	tokenGuest.Login, tokenGuest.PW = "", ""
	tokenGuest.Token, _ = newToken(t, guest, "name", "reader")
	anon := l.admin
	anon.Login, anon.PW = "", ""

	photo, err := os.ReadFile("../media/testdata/photo.jpg") // 400 x 600 px
	if err != nil {
		t.Fatal(err)
	}
	clip, err := os.ReadFile("../media/testdata/clip.mp4")
	if err != nil {
		t.Fatal(err)
	}
	addAsset := func(name string, data []byte) string {
		t.Helper()
		return idOf(t, member.Form(http.StatusCreated, "POST", "/api/assets.json", name, data))
	}
	pid, vid := addAsset("photo.jpg", photo), addAsset("clip.mp4", clip)
	// Version 2 is a cut copy and version 3 the photo again, so that
	// ?version=1 is an old version's original.
	member.Form(http.StatusCreated, "POST", "/api/assets/"+pid+"/versions.json", "photo.jpg", photo[:len(photo)/2], "comment", "cut")
	member.Form(http.StatusCreated, "POST", "/api/assets/"+pid+"/versions.json", "photo.jpg", photo, "comment", "whole again")
	waitProcessed(t, member, pid)
	waitProcessed(t, member, vid)
	link := publicPath(t, member.Must(http.StatusOK, "GET", "/api/assets/"+pid+".json", "", nil))

	guests := map[string]servertest.Client{"guest": guest, "guest's token": tokenGuest}
	// Originals through the API.
	{
		for _, p := range []string{
			"/api/assets/download/" + pid, "/api/assets/download/" + pid + "?version=1",
			"/api/assets/download/" + pid + "?version=2", "/api/assets/download/" + pid + "?version=3", "/api/assets/download/" + vid,
			"/api/assets/download/" + pid + ".json", "/api/assets/download/" + pid + ".xml",
		} {
			for who, c := range guests {
				if st, _, b := c.Request("GET", p, "", nil); st != http.StatusForbidden {
					t.Errorf("%s GET %s: %d, want 403: %.200s", who, p, st, b)
				}
			}
			if st, _, _ := member.Request("GET", p, "", nil); st != http.StatusOK {
				t.Errorf("member GET %s: %d, want 200", p, st)
			}
		}
	}
	// Renditions as large as the file, through the API.
	{
		for _, tc := range []struct {
			path   string
			accept string
			guest  int
		}{
			{"/api/assets/" + pid + "/thumbnail_256.jpg", "", http.StatusOK},
			{"/api/assets/" + pid + "/thumbnail?size=128", "image/webp", http.StatusOK},
			{"/api/assets/" + pid + "/preview", "", http.StatusForbidden},
			{"/api/assets/" + pid + "/preview", "image/webp", http.StatusForbidden},
			{"/api/assets/" + pid + "/preview_1024.jpg", "", http.StatusForbidden},
			{"/api/assets/" + pid + "/preview_2048.jpg", "", http.StatusForbidden},
			{"/api/assets/" + pid + "/preview?size=2048", "image/webp", http.StatusForbidden},
			{"/api/assets/" + vid + "/preview_1024.jpg", "", http.StatusOK}, // a frame, not the video
		} {
			for who, c := range guests {
				if st, _, _ := c.Request("GET", tc.path, "", nil, "Accept", tc.accept); st != tc.guest {
					t.Errorf("%s GET %s (Accept %q): %d, want %d", who, tc.path, tc.accept, st, tc.guest)
				}
			}
			if st, _, _ := member.Request("GET", tc.path, "", nil, "Accept", tc.accept); st != http.StatusOK {
				t.Errorf("member GET %s: %d, want 200", tc.path, st)
			}
		}
	}
	// The capability URLs of thumbnails and previews, which guests see
	// and anyone holding them may load without credentials, show no more
	// than a guest may see: the 1024 and 2048 px previews of this 600 px
	// photo would be the file itself.
	{
		for who, c := range guests {
			d := doc(t, c.Must(http.StatusOK, "GET", "/api/assets/"+pid+".json", "", nil))
			thumb, _ := d["thumb_url"].(string)
			i := strings.Index(thumb, "/t/")
			if i < 0 || !strings.HasSuffix(thumb, "_64.jpg") || d["public_url"] != nil {
				t.Fatalf("%s: thumb_url %v public_url %v", who, d["thumb_url"], d["public_url"])
			}
			base := strings.TrimSuffix(thumb[i:], "_64.jpg")
			for px, want := range map[string]int{"64": http.StatusOK, "256": http.StatusOK, "1024": http.StatusForbidden, "2048": http.StatusForbidden} {
				if st, _, _ := anon.Request("GET", base+"_"+px+".jpg", "", nil); st != want {
					t.Errorf("anonymous GET %s_%s.jpg: %d, want %d", base, px, st, want)
				}
			}
		}
	}
	// The API's documents show guests no public link.
	{
		docs := []string{"/api/assets/" + pid, "/api/assets", "/api/assets?query=photo", "/api/assets?tags=",
			"/api/assets/" + pid + "/versions", "/api/assets/" + pid + "/versions/1"}
		for _, p := range docs {
			for _, ext := range []string{".xml", ".json"} {
				path, query, _ := strings.Cut(p, "?")
				path += ext
				if query != "" {
					path += "?" + query
				}
				for who, c := range guests {
					st, b := c.Do("GET", path, "", nil)
					if st != http.StatusOK || strings.Contains(string(b), "/p/") {
						t.Errorf("%s GET %s: %d, a public link in %.300s", who, path, st, b)
					}
				}
				if st, b := member.Do("GET", path, "", nil); st != http.StatusOK || !strings.Contains(path, "versions") && !strings.Contains(string(b), link) {
					t.Errorf("member GET %s: %d, no public link in %.300s", path, st, b)
				}
			}
		}
		for who, c := range guests {
			if st, _ := c.Do("PUT", "/api/assets/"+pid+".json", "application/json", []byte(`{"public_link":true}`)); st != http.StatusForbidden {
				t.Errorf("%s makes a public link: %d, want 403", who, st)
			}
		}
	}

	// The pages, signed in.
	{
		g := l.browser(t, "")
		g.signIn("gus", "password of gus")
		m := l.browser(t, "")
		m.signIn("mia", "password of mia")
		for _, tc := range []struct {
			path   string
			banned []string
		}{
			{"/assets/" + pid, []string{"/p/", "/download", "/thumb/1024", "/thumb/2048"}},
			{"/assets/" + vid, []string{"/p/", "/download", "/media"}}, // a frame of 1024 px is no video
			{"/", []string{"/p/"}},
		} {
			page := g.get(tc.path)
			if page.status != http.StatusOK {
				t.Errorf("guest's page %s: %d", tc.path, page.status)
			}
			for _, s := range tc.banned {
				if i := strings.Index(page.body, s); i >= 0 {
					t.Errorf("guest's page %s offers %s: %s", tc.path, s, page.body[max(0, i-100):min(len(page.body), i+100)])
				}
			}
		}
		if page := m.get("/assets/" + pid); !strings.Contains(page.body, link) || !strings.Contains(page.body, "/thumb/2048") {
			t.Errorf("member's page lacks the public link or the zoom: %.500s", page.body)
		}
		for _, p := range []string{"/assets/" + pid + "/download", "/assets/" + pid + "/download?version=1",
			"/assets/" + vid + "/download", "/assets/" + vid + "/media", "/assets/" + pid + "/thumb/1024", "/assets/" + pid + "/thumb/2048"} {
			if res := g.get(p); res.status != http.StatusForbidden {
				t.Errorf("guest GET %s: %d, want 403", p, res.status)
			}
			if res := m.get(p); res.status != http.StatusOK {
				t.Errorf("member GET %s: %d, want 200", p, res.status)
			}
		}
		if res := g.get("/assets/" + pid + "/thumb/256"); res.status != http.StatusOK {
			t.Errorf("guest's thumbnail: %d, want 200", res.status)
		}
		zip := func(b *browser, ids ...string) page {
			form := url.Values{"csrf": {b.csrf(b.get("/"))}, "action": {"download"}, "ids": ids}
			return b.post("/selection", form)
		}
		for name, ids := range map[string][]string{
			"one":               {pid},
			"two":               {vid, pid},
			"a missing id":      {"999999", pid},
			"one id, 500 times": slices.Repeat([]string{pid}, 500),
		} {
			if res := zip(g, ids...); res.status != http.StatusForbidden || strings.HasPrefix(res.body, "PK") {
				t.Errorf("guest's zip of %s: %d", name, res.status)
			}
			if res := zip(m, ids...); res.status != http.StatusOK || !strings.HasPrefix(res.body, "PK") {
				t.Errorf("member's zip of %s: %d", name, res.status)
			}
		}
	}

	// The public link carries its maker's right.
	{
		serves := func(want int) {
			t.Helper()
			st, _, b := anon.Request("GET", link, "", nil)
			if st != want || want == http.StatusOK && string(b) != string(photo) {
				t.Errorf("GET %s: %d (%d bytes), want %d", link, st, len(b), want)
			}
		}
		serves(http.StatusOK) // fluxiom's behaviour for the other roles
		role := func(r string) {
			l.admin.Form(http.StatusOK, "PUT", "/api/users/"+memberID+".json", "", nil, "role", r)
		}
		role("guest")
		serves(http.StatusNotFound)
		for who, c := range guests { // credentials change nothing
			if st, _, _ := c.Request("GET", link, "", nil); st != http.StatusNotFound {
				t.Errorf("%s GET %s: %d, want 404", who, link, st)
			}
		}
		role("member")
		serves(http.StatusOK)
	}
	l.CheckLog()
}

// publicPath is the path of the public link in a JSON asset document.
func publicPath(t *testing.T, b []byte) string {
	t.Helper()
	u, _ := doc(t, b)["public_url"].(string)
	i := strings.Index(u, "/p/")
	if i < 0 {
		t.Fatalf("no public link in %s", b)
	}
	return u[i:]
}
