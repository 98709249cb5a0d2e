package httpapi_test

import (
	"bytes"
	"fmt"
	"image/jpeg"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"damask/httpapi"
)

// The sized images of public links (API.md, Documents, asset: public_url):
// fluxiom's galleries append _WxH.jpg (fit) or _fWxH.jpg (fill) to the
// link and show what comes back in an <img>, without credentials.

// publicPath is the path of an asset document's public_url on the
// account's own host.
func publicPath(t *testing.T, doc map[string]any) string {
	t.Helper()
	link := str(doc["public_url"])
	path, ok := strings.CutPrefix(link, "http://acme."+domain)
	if !ok || !strings.HasPrefix(path, "/p/") {
		t.Fatalf("public_url %q", link)
	}
	return path
}

// sizedPhoto is a server that renders, and a 600x400 photo of the
// account acme, processed, with its public link's path.
func sizedPhoto(t *testing.T, s setup) (*env, *tenant, map[string]any, string) {
	t.Helper()
	s.process, s.workers = true, true
	e := newEnv(t, s)
	tn := e.tenant(t, "acme", "deluxe")
	doc := tn.member.createAsset(t, "photo.jpg", testFile(t, "photo.jpg"))
	doc = waitProcessed(t, tn.member, id(t, doc))
	if doc["processing"] != "done" {
		t.Fatalf("processing %v", doc["processing"])
	}
	return e, tn, doc, publicPath(t, doc)
}

// wantSized checks a sized image: a JPEG of w x h pixels, with the
// headers of a public rendition.
func wantSized(t *testing.T, r *response, w, h int) {
	t.Helper()
	r.want(t, http.StatusOK)
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s: not a JPEG: %v", r.path, err)
	}
	if cfg.Width != w || cfg.Height != h {
		t.Errorf("%s: %dx%d, want %dx%d", r.path, cfg.Width, cfg.Height, w, h)
	}
	for k, want := range map[string]string{
		"Content-Type":            "image/jpeg",
		"Cache-Control":           "public, max-age=86400",
		"X-Content-Type-Options":  "nosniff",
		"Content-Security-Policy": "default-src 'none'; sandbox",
	} {
		if got := r.header.Get(k); got != want {
			t.Errorf("%s: %s %q, want %q", r.path, k, got, want)
		}
	}
	if etag := r.header.Get("ETag"); len(etag) != 66 {
		t.Errorf("%s: ETag %q, want the image's SHA-256", r.path, etag)
	}
}

func TestPublicSizes(t *testing.T) {
	_, tn, _, path := sizedPhoto(t, setup{})
	// photo.jpg is 600x400 (3:2).
	for _, tt := range []struct {
		suffix string
		w, h   int
	}{
		{"_170x100.jpg", 150, 100}, // fit: as large as the box allows, aspect kept
		{"_100x170.jpg", 100, 67},
		{"_16x16.jpg", 16, 11},
		{"_2048x2048.jpg", 600, 400}, // fit never enlarges
		{"_f170x100.jpg", 170, 100},  // fill: exactly the box, cropped
		{"_f100x170.jpg", 100, 170},
		{"_f16x16.jpg", 16, 16},
		{"_f2048x1024.jpg", 2048, 1024}, // fill enlarges when it must
	} {
		t.Run(tt.suffix, func(t *testing.T) {
			wantSized(t, tn.anon.get(t, path+tt.suffix), tt.w, tt.h)
		})
	}

	t.Run("conditional", func(t *testing.T) {
		r := tn.anon.get(t, path+"_170x100.jpg").want(t, 200)
		tn.anon.get(t, path+"_170x100.jpg", "If-None-Match", r.header.Get("ETag")).want(t, http.StatusNotModified)
		h := tn.anon.do(t, http.MethodHead, path+"_170x100.jpg", nil).want(t, 200)
		if len(h.body) != 0 || h.header.Get("Content-Length") != fmt.Sprint(len(r.body)) {
			t.Errorf("HEAD: %d bytes, Content-Length %s", len(h.body), h.header.Get("Content-Length"))
		}
		tn.anon.do(t, http.MethodPost, path+"_170x100.jpg", nil).want(t, http.StatusMethodNotAllowed)
	})

	// Out of bounds is 404, as a rendition size not served is: the path
	// names no image. In the API's error format, which says the bounds.
	t.Run("bounds", func(t *testing.T) {
		for _, suffix := range []string{"_15x100.jpg", "_100x15.jpg", "_2049x100.jpg", "_f100x2049.jpg", "_99999x99999.jpg", "_f15x15.jpg"} {
			tn.anon.get(t, path+suffix).wantError(t, http.StatusNotFound, "from 16 to 2048")
		}
		// Not a size (leading zeros, six digits, another type, no x): no
		// link of that name.
		for _, suffix := range []string{"_0170x100.jpg", "_170x100000.jpg", "_170x100.png", "_170.jpg", "_fx100.jpg", "_F170x100.jpg", "_170x100.jpg.jpg", "__170x100.jpg"} {
			tn.anon.get(t, path+suffix).wantError(t, http.StatusNotFound, "Not found")
		}
		// A size of a link that does not exist is not found, whatever
		// the size.
		tn.anon.get(t, "/p/1-nosuchsecret_170x100.jpg").wantError(t, http.StatusNotFound, "Not found")
		tn.anon.get(t, "/p/_170x100.jpg").wantError(t, http.StatusNotFound, "Not found")
	})
}

// TestPublicSizesLinkRules: a sized image is served under the rules of
// the link itself: it stops with the link, with the account's public
// links, and with its maker's right to originals.
func TestPublicSizesLinkRules(t *testing.T) {
	_, tn, doc, path := sizedPhoto(t, setup{})
	aid := id(t, doc)
	tn.anon.get(t, path+"_170x100.jpg").want(t, 200) // made and kept

	// Revoked: the kept image goes with the link; a renewed link has it.
	tn.member.send(t, "PUT", "/api/assets/"+aid+".json", form("public_link", "false")).want(t, 200)
	tn.anon.get(t, path+"_170x100.jpg").wantError(t, 404, "Not found")
	tn.anon.get(t, path+"_f64x64.jpg").wantError(t, 404, "Not found")
	got := tn.member.send(t, "PUT", "/api/assets/"+aid+".json", form("public_link", "true")).want(t, 200).obj(t)
	renewed := publicPath(t, got)
	wantSized(t, tn.anon.get(t, renewed+"_170x100.jpg"), 150, 100)
	tn.anon.get(t, path+"_170x100.jpg").wantError(t, 404, "Not found")

	// Its maker made a guest: the link gives no more than its maker may.
	member := tn.member.get(t, "/api/user.json").want(t, 200).obj(t)
	tn.holder.send(t, "PUT", "/api/users/"+id(t, member)+".json", form("role", "guest")).want(t, 200)
	tn.anon.get(t, renewed+"_170x100.jpg").wantError(t, 404, "Not found")
	tn.holder.send(t, "PUT", "/api/users/"+id(t, member)+".json", form("role", "member")).want(t, 200)
	tn.anon.get(t, renewed+"_170x100.jpg").want(t, 200)

	// The account switches public links off.
	tn.holder.send(t, "PUT", "/api/account.json", form("public_links", "false")).want(t, 200)
	tn.anon.get(t, renewed+"_170x100.jpg").wantError(t, 404, "Not found")
	tn.anon.get(t, renewed+"_f300x300.jpg").wantError(t, 404, "Not found")
}

// TestPublicSizesOnce: a size is made once and then served from storage,
// also to requests that come while it is made; new sizes are bounded per
// account a minute, sizes made are not. The service's clock stands
// still, so the bound's two new sizes never come back: a second making
// of a size would be refused, which is how the test sees that none
// happens.
func TestPublicSizesOnce(t *testing.T) {
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	e, tn, _, path := sizedPhoto(t, setup{publicSizes: 2, now: func() time.Time { return now }})

	first := tn.anon.get(t, path+"_170x100.jpg")
	wantSized(t, first, 150, 100)
	again := tn.anon.get(t, path+"_170x100.jpg")
	wantSized(t, again, 150, 100)
	if !bytes.Equal(first.body, again.body) || first.header.Get("ETag") != again.header.Get("ETag") {
		t.Error("the second answer is not the image kept")
	}

	// Many at once, for one new size: one making, one token.
	const n = 8
	var wg sync.WaitGroup
	answers := make([]*response, n)
	for i := range n {
		wg.Go(func() { answers[i] = tn.anon.get(t, path+"_f120x120.jpg") })
	}
	wg.Wait()
	for _, r := range answers {
		wantSized(t, r, 120, 120)
		if r.header.Get("ETag") != answers[0].header.Get("ETag") {
			t.Errorf("concurrent answers differ: %s, %s", r.header.Get("ETag"), answers[0].header.Get("ETag"))
		}
	}

	// The bound: a third new size waits; the kept ones are served.
	r := tn.anon.get(t, path+"_f121x120.jpg")
	r.wantError(t, http.StatusTooManyRequests, "new image sizes")
	if ra := r.header.Get("Retry-After"); ra != "31" {
		t.Errorf("Retry-After %q, want 31 (a size every 30 s)", ra)
	}
	wantSized(t, tn.anon.get(t, path+"_170x100.jpg"), 150, 100)
	wantSized(t, tn.anon.get(t, path+"_f120x120.jpg"), 120, 120)

	// Another account has a bound of its own.
	other := e.tenant(t, "other", "deluxe")
	doc := other.member.createAsset(t, "photo.jpg", testFile(t, "photo.jpg"))
	doc = waitProcessed(t, other.member, id(t, doc))
	link := strings.TrimPrefix(str(doc["public_url"]), "http://other."+domain)
	wantSized(t, other.anon.get(t, link+"_f121x120.jpg"), 121, 120)
}

// TestPublicSizesNoImage: a file with no rendition has no sized image.
func TestPublicSizesNoImage(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "deluxe")
	doc := tn.member.createAsset(t, "notes.txt", []byte("just words"))
	doc = waitProcessed(t, tn.member, id(t, doc))
	tn.anon.get(t, publicPath(t, doc)+"_170x100.jpg").wantError(t, 404, "no image")
}

// TestPublicBaseURL: --public-base-url puts an operator's CDN in
// public_url, {account} naming the account; the CDN asks the server for
// the same path.
func TestPublicBaseURL(t *testing.T) {
	for _, tt := range []struct{ base, want string }{
		{"https://cdn.example.net", "https://cdn.example.net/p/"},
		{"https://{account}.cdn.example.net/media", "https://acme.cdn.example.net/media/p/"},
	} {
		e := newEnv(t, setup{cfg: httpapi.Config{PublicBaseURL: tt.base}})
		tn := e.tenant(t, "acme", "deluxe")
		doc := tn.member.createAsset(t, "pub.txt", []byte("public bytes"))
		link := str(doc["public_url"])
		token, ok := strings.CutPrefix(link, tt.want)
		if !ok {
			t.Fatalf("public_url %q, want it under %q", link, tt.want)
		}
		for _, ext := range []string{".json", ".xml"} {
			r := tn.member.get(t, "/api/assets/"+id(t, doc)+ext).want(t, 200)
			if !bytes.Contains(r.body, []byte(tt.want+token)) {
				t.Errorf("%s: no public_url %s%s in %s", ext, tt.want, token, r)
			}
		}
		tn.anon.get(t, "/p/"+token).want(t, 200)
	}
}
