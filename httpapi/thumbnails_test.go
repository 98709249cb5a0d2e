package httpapi_test

import (
	"bytes"
	"context"
	"image"
	"image/color"
	"image/jpeg"
	"net/http"
	"regexp"
	"strconv"
	"strings"
	"testing"
)

// capabilityRE is a thumb_url where the account has public thumbnails on:
// /t/ID-SECRET/KEY_64.jpg, nothing after.
var capabilityRE = regexp.MustCompile(`^http://acme\.example\.com(/t/([0-9]+)-([a-z2-7]{26})/([0-9a-f]{16})_64\.jpg)$`)

// sized is what fluxiom's clients do with a thumb_url: swap /_64.jpg$/.
func sized(u string, px int) string {
	return regexp.MustCompile(`_64\.jpg$`).ReplaceAllString(u, "_"+strconv.Itoa(px)+".jpg")
}

// photoJPEG is a w x h JPEG whose colours follow seed, larger than the
// previews so that a rendition never is the file at its full size.
func photoJPEG(t *testing.T, w, h int, seed uint8) []byte {
	t.Helper()
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(x * 255 / w), uint8(y * 255 / h), seed, 255})
		}
	}
	var b bytes.Buffer
	if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// thumbOf reads the asset's thumb_url as the client reads it, and its
// path.
func thumbOf(t *testing.T, c *client, aid string) (url, path string) {
	t.Helper()
	doc := waitProcessed(t, c, aid)
	if doc["processing"] != "done" {
		t.Fatalf("processing %v", doc["processing"])
	}
	u := str(doc["thumb_url"])
	if !regexp.MustCompile(`_64\.jpg$`).MatchString(u) {
		t.Fatalf("thumb_url %q does not end in _64.jpg", u)
	}
	return u, uriOf(t, u)
}

// TestCapabilityThumbnails is what fluxiom's asset chooser does: read
// thumb_url, swap _64.jpg for _128.jpg or _256.jpg, and load it in an
// <img>, without credentials; and what stops such a URL working.
func TestCapabilityThumbnails(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true, maxFile: 8 << 20})
	tn := e.tenant(t, "acme", "pro")
	other := e.tenant(t, "other", "pro")
	anon := tn.anon

	acct := tn.holder.get(t, "/api/account.json").want(t, http.StatusOK).obj(t)
	if acct["public_thumbnails"] != true || acct["public_links"] != true {
		t.Fatalf("public_thumbnails %v public_links %v, want on by default", acct["public_thumbnails"], acct["public_links"])
	}
	if x := tn.holder.get(t, "/api/account.xml").want(t, http.StatusOK).xml(t).kid("public_thumbnails"); x == nil || x.Text != "true" {
		t.Fatalf("account XML public_thumbnails %+v", x)
	}

	aid := id(t, tn.member.createAsset(t, "big.jpg", photoJPEG(t, 1600, 1200, 10)))
	thumb, path := thumbOf(t, tn.member, aid)
	m := capabilityRE.FindStringSubmatch(thumb)
	if m == nil || m[2] != aid {
		t.Fatalf("thumb_url %q, want a capability URL of asset %s", thumb, aid)
	}
	secret, key := m[3], m[4]
	doc := tn.member.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)
	if want := strings.TrimSuffix(thumb, "_64.jpg") + "_1024.jpg"; doc["preview_url"] != want {
		t.Errorf("preview_url %v, want %s", doc["preview_url"], want)
	}

	t.Run("swapped and fetched without credentials", func(t *testing.T) {
		for _, px := range []int{64, 128, 256, 1024} {
			r := anon.get(t, sized(path, px))
			wantJPEG(t, r, px)
			h := r.header
			for name, want := range map[string]string{
				"Cache-Control":           "public, max-age=31536000, immutable",
				"X-Content-Type-Options":  "nosniff",
				"Content-Security-Policy": "default-src 'none'; sandbox",
			} {
				if got := h.Get(name); got != want {
					t.Errorf("_%d.jpg: %s %q, want %q", px, name, got, want)
				}
			}
			if h.Get("Set-Cookie") != "" || len(h.Get("ETag")) != 66 {
				t.Errorf("_%d.jpg: Set-Cookie %q ETag %q", px, h.Get("Set-Cookie"), h.Get("ETag"))
			}
			anon.get(t, sized(path, px), "If-None-Match", h.Get("ETag")).want(t, http.StatusNotModified)
		}
		// No more than a guest sees: the 2048 px preview of a 1600 px
		// photo would be the file itself.
		anon.get(t, sized(path, 2048)).want(t, http.StatusForbidden)
		anon.do(t, "HEAD", path, nil).want(t, http.StatusOK)
		anon.do(t, "POST", path, nil).want(t, http.StatusMethodNotAllowed)
		// The route of the old thumb_url form still serves, cached for
		// good when v names the current file.
		r := tn.member.get(t, "/api/assets/"+aid+"/thumbnail_64.jpg?v="+key)
		wantJPEG(t, r, 64)
		if cc := r.header.Get("Cache-Control"); cc != "private, max-age=31536000, immutable" {
			t.Errorf("?v= form: Cache-Control %q", cc)
		}
	})

	t.Run("a guest sees thumb_url, never public_url", func(t *testing.T) {
		g := tn.guest.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)
		if g["thumb_url"] != thumb || g["preview_url"] == nil || g["public_url"] != nil {
			t.Errorf("guest: thumb_url %v preview_url %v public_url %v", g["thumb_url"], g["preview_url"], g["public_url"])
		}
		if doc["public_url"] == nil {
			t.Errorf("member: no public_url")
		}
	})

	t.Run("misses are one 404", func(t *testing.T) {
		flip := func(s string) string {
			if s[0] == 'a' {
				return "b" + s[1:]
			}
			return "a" + s[1:]
		}
		miss := anon.get(t, "/t/999999-"+secret+"/"+key+"_64.jpg")
		miss.wantError(t, http.StatusNotFound, "")
		for _, p := range []string{
			"/t/" + aid + "-" + flip(secret) + "/" + key + "_64.jpg",
			"/t/" + aid + "-" + strings.ToUpper(secret) + "/" + key + "_64.jpg",
			"/t/" + aid + "-" + secret[:25] + "/" + key + "_64.jpg",
			"/t/" + aid + "-/" + key + "_64.jpg",
			"/t/" + aid + "/" + key + "_64.jpg",
			"/t/" + strconv.Itoa(mustAtoi(t, aid)+1) + "-" + secret + "/" + key + "_64.jpg",
		} {
			r := anon.get(t, p)
			r.wantError(t, http.StatusNotFound, "")
			if !bytes.Equal(r.body, miss.body) {
				t.Errorf("%s: %s, unlike a missing asset's %s", p, r.body, miss.body)
			}
		}
		anon.get(t, "/t/"+aid+"-"+secret+"/"+key+"_100.jpg").want(t, http.StatusNotFound)
		anon.get(t, "/t/"+aid+"-"+secret+"/"+key+"_64.png").want(t, http.StatusNotFound)
		// Another account's host: the secret belongs to acme.
		other.anon.get(t, path).wantError(t, http.StatusNotFound, "")
		other.holder.get(t, path).wantError(t, http.StatusNotFound, "")
	})

	t.Run("a new version keeps the secret, changes the key", func(t *testing.T) {
		tn.member.send(t, "POST", "/api/assets/"+aid+"/versions.json",
			multipartBody(file{"file", "big2.jpg", photoJPEG(t, 1200, 1600, 200)}, "comment", "portrait")).want(t, http.StatusCreated)
		thumb2, path2 := thumbOf(t, tn.member, aid)
		m2 := capabilityRE.FindStringSubmatch(thumb2)
		if m2 == nil || m2[3] != secret || m2[4] == key {
			t.Fatalf("after a new version thumb_url %q (was %q): want the same secret, another key", thumb2, thumb)
		}
		// The old URL was cached for good: it never shows the new file.
		anon.get(t, path).wantError(t, http.StatusNotFound, "former file")
		wantJPEG(t, anon.get(t, sized(path2, 256)), 256)
		thumb, path, key = thumb2, path2, m2[4]
	})

	t.Run("public_link=false rotates the secret", func(t *testing.T) {
		tn.member.send(t, "PUT", "/api/assets/"+aid+".json", jsonBody(`{"asset":{"public_link":false}}`)).want(t, http.StatusOK)
		thumb2, path2 := thumbOf(t, tn.member, aid)
		m2 := capabilityRE.FindStringSubmatch(thumb2)
		if m2 == nil || m2[3] == secret || m2[4] != key {
			t.Fatalf("after public_link=false thumb_url %q (was %q): want a new secret, the same key", thumb2, thumb)
		}
		anon.get(t, path).wantError(t, http.StatusNotFound, "")
		wantJPEG(t, anon.get(t, sized(path2, 128)), 128)
		thumb, path, secret = thumb2, path2, m2[3]
	})

	t.Run("public_thumbnails=false turns them off", func(t *testing.T) {
		tn.admin.send(t, "PUT", "/api/account.json", jsonBody(`{"account":{"public_thumbnails":false}}`)).want(t, http.StatusForbidden)
		a := tn.holder.send(t, "PUT", "/api/account.xml", xmlBody(`<account><public-thumbnails type="boolean">false</public-thumbnails></account>`))
		if a.status == http.StatusUnprocessableEntity { // dashed names are another branch's
			a = tn.holder.send(t, "PUT", "/api/account.xml", xmlBody(`<account><public_thumbnails type="boolean">false</public_thumbnails></account>`))
		}
		if x := a.want(t, http.StatusOK).xml(t).kid("public_thumbnails"); x == nil || x.Text != "false" {
			t.Fatalf("account after the switch: %+v", x)
		}
		anon.get(t, path).wantError(t, http.StatusNotFound, "")
		off := str(tn.member.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)["thumb_url"])
		want := "http://acme.example.com/api/assets/" + aid + "/thumbnail/" + key + "_64.jpg"
		if off != want {
			t.Fatalf("thumb_url with public thumbnails off %q, want %q", off, want)
		}
		offPath := uriOf(t, off)
		anon.get(t, offPath).want(t, http.StatusUnauthorized)
		r := tn.guest.get(t, sized(offPath, 256))
		wantJPEG(t, r, 256)
		if cc := r.header.Get("Cache-Control"); cc != "private, max-age=31536000, immutable" {
			t.Errorf("credentialed thumb_url: Cache-Control %q", cc)
		}
		tn.member.get(t, "/api/assets/"+aid+"/thumbnail/0123456789abcdef_64.jpg").wantError(t, http.StatusNotFound, "former file")
		tn.member.get(t, "/api/assets/"+aid+"/thumbnail/"+key+"_1024.jpg").wantError(t, http.StatusNotFound, "64, 128, 256")
		wantJPEG(t, tn.member.get(t, "/api/assets/"+aid+"/preview/"+key+"_1024.jpg"), 1024)

		tn.holder.send(t, "PUT", "/api/account.json", jsonBody(`{"account":{"public_thumbnails":true}}`)).want(t, http.StatusOK)
		wantJPEG(t, anon.get(t, path), 64)
	})

	t.Run("trash revokes", func(t *testing.T) {
		tn.member.do(t, "DELETE", "/api/assets/"+aid+".json", nil).want(t, http.StatusOK)
		anon.get(t, path).wantError(t, http.StatusNotFound, "")
		if err := e.svc.Restore(context.Background(), "acme", int64(mustAtoi(t, aid))); err != nil {
			t.Fatal(err)
		}
		anon.get(t, path).wantError(t, http.StatusNotFound, "")
		thumb2, path2 := thumbOf(t, tn.member, aid)
		if m2 := capabilityRE.FindStringSubmatch(thumb2); m2 == nil || m2[3] == secret {
			t.Fatalf("after the trash thumb_url %q (was %q): want a new secret", thumb2, thumb)
		}
		wantJPEG(t, anon.get(t, path2), 64)
	})
}

func mustAtoi(t *testing.T, s string) int {
	t.Helper()
	n, err := strconv.Atoi(s)
	if err != nil {
		t.Fatal(err)
	}
	return n
}
