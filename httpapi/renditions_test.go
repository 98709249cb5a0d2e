package httpapi_test

import (
	"bytes"
	"image/jpeg"
	"net/http"
	"net/url"
	"os"
	"regexp"
	"slices"
	"strings"
	"testing"
	"time"

	"damask/media"
	"damask/metadata"
)

// newTools starts the real renderer and extractor, closed when t ends.
func newTools(t testing.TB) (*media.Renderer, *metadata.Extractor) {
	t.Helper()
	r, err := media.New(media.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	x, err := metadata.New(t.Context(), metadata.Config{})
	if err != nil {
		r.Close()
		t.Skipf("exiftool: %v", err)
	}
	t.Cleanup(func() { r.Close(); x.Close() })
	return r, x
}

func testFile(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile("../media/testdata/" + name)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// waitProcessed polls the asset until its processing is no longer pending.
func waitProcessed(t *testing.T, c *client, id string) map[string]any {
	t.Helper()
	deadline := time.Now().Add(30 * time.Second)
	for {
		doc := c.get(t, "/api/assets/"+id+".json").want(t, http.StatusOK).obj(t)
		if doc["processing"] != "pending" {
			return doc
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %s still pending after 30 s", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// uriOf is the path and query of an absolute URL of a document.
func uriOf(t *testing.T, raw any) string {
	t.Helper()
	u, err := url.Parse(str(raw))
	if err != nil || raw == nil {
		t.Fatalf("URL %v: %v", raw, err)
	}
	return u.RequestURI()
}

// wantJPEG checks an answer is a JPEG whose longest side is px.
func wantJPEG(t *testing.T, r *response, px int) {
	t.Helper()
	r.want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "image/jpeg" {
		t.Errorf("%s: Content-Type %q", r.path, ct)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(r.body))
	if err != nil {
		t.Fatalf("%s: not a JPEG: %v", r.path, err)
	}
	if got := max(cfg.Width, cfg.Height); got != px {
		t.Errorf("%s: %dx%d, want longest side %d", r.path, cfg.Width, cfg.Height, px)
	}
}

// wantWebP checks an answer is a WebP whose longest side is px.
func wantWebP(t *testing.T, r *response, px int) {
	t.Helper()
	r.want(t, http.StatusOK)
	if ct := r.header.Get("Content-Type"); ct != "image/webp" {
		t.Errorf("%s: Content-Type %q", r.path, ct)
	}
	w, h, err := media.WebPDimensions(r.body)
	if err != nil {
		t.Fatalf("%s: not a WebP: %v", r.path, err)
	}
	if got := max(w, h); got != px {
		t.Errorf("%s: %dx%d, want longest side %d", r.path, w, h, px)
	}
}

func TestRenditionsEndToEnd(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "pro")
	c := tn.member
	// The credentialed forms; the capability URLs have their own test
	// (TestCapabilityThumbnails).
	tn.holder.send(t, "PUT", "/api/account.json", jsonBody(`{"account":{"public_thumbnails":false}}`)).want(t, http.StatusOK)

	doc := c.createAsset(t, "photo.jpg", testFile(t, "photo.jpg"))
	aid := id(t, doc)
	if !regexp.MustCompile(`/api/assets/` + aid + `/thumbnail/[0-9a-f]{16}_64\.jpg$`).MatchString(str(doc["thumb_url"])) {
		t.Errorf("thumb_url %v", doc["thumb_url"])
	}
	doc = waitProcessed(t, c, aid)
	if doc["processing"] != "done" {
		t.Fatalf("processing %v, want done", doc["processing"])
	}
	if num(t, doc["width"]) != 600 || num(t, doc["height"]) != 400 || num(t, doc["metadata_pixel_width"]) != 600 {
		t.Errorf("dimensions %v x %v (pixels %v)", doc["width"], doc["height"], doc["metadata_pixel_width"])
	}

	thumb := uriOf(t, doc["thumb_url"])
	for _, px := range []string{"64", "128", "256"} {
		u := strings.Replace(thumb, "_64.jpg", "_"+px+".jpg", 1)
		r := c.get(t, u)
		wantJPEG(t, r, map[string]int{"64": 64, "128": 128, "256": 256}[px])
		if cc := r.header.Get("Cache-Control"); cc != "private, max-age=31536000, immutable" {
			t.Errorf("thumbnail_%s Cache-Control %q", px, cc)
		}
		etag := r.header.Get("ETag")
		if len(etag) != 66 {
			t.Errorf("ETag %q", etag)
		}
		c.get(t, u, "If-None-Match", etag).want(t, http.StatusNotModified)
	}
	// The preview is never upscaled: the photo is 600 px wide.
	wantJPEG(t, c.get(t, uriOf(t, doc["preview_url"])), 600)
	wantJPEG(t, c.get(t, "/api/assets/"+aid+"/preview?size=1024"), 600)
	wantJPEG(t, c.get(t, "/api/assets/"+aid+"/preview?size=2048"), 600)
	r := c.get(t, "/api/assets/"+aid+"/thumbnail?size=128")
	wantJPEG(t, r, 128)
	if cc := r.header.Get("Cache-Control"); cc != "private, max-age=0, must-revalidate" {
		t.Errorf("thumbnail without v: Cache-Control %q", cc)
	}
	if v := r.header.Get("Vary"); v != "Accept" {
		t.Errorf("thumbnail?size=: Vary %q, want Accept", v)
	}

	// WebP for a client that names it, on the routes that negotiate; the
	// thumb_url forms stay JPEG whatever the client accepts.
	accept := "image/avif,image/webp,*/*;q=0.8"
	for _, tc := range []struct {
		path string
		px   int
	}{{"/thumbnail?size=256", 256}, {"/thumbnail", 64}, {"/preview", 600}, {"/preview?size=2048", 600}} {
		r := c.get(t, "/api/assets/"+aid+tc.path, "Accept", accept)
		wantWebP(t, r, tc.px)
		if v := r.header.Get("Vary"); v != "Accept" {
			t.Errorf("%s: Vary %q, want Accept", tc.path, v)
		}
		c.get(t, "/api/assets/"+aid+tc.path, "If-None-Match", r.header.Get("ETag"), "Accept", accept).want(t, http.StatusNotModified)
	}
	wantJPEG(t, c.get(t, "/api/assets/"+aid+"/thumbnail?size=256", "Accept", "image/webp;q=0, image/jpeg"), 256)
	wantJPEG(t, c.get(t, "/api/assets/"+aid+"/thumbnail?size=256", "Accept", "*/*"), 256)
	r = c.get(t, thumb, "Accept", accept)
	wantJPEG(t, r, 64)
	if v := r.header.Get("Vary"); v != "" {
		t.Errorf("thumb_url: Vary %q, want none", v)
	}

	c.get(t, "/api/assets/"+aid+"/thumbnail?size=1024").wantError(t, http.StatusNotFound, "64, 128, 256")
	c.get(t, "/api/assets/"+aid+"/thumbnail_100.jpg").wantError(t, http.StatusNotFound, "")

	// Guests see renditions but not originals; strangers see nothing.
	wantJPEG(t, tn.guest.get(t, thumb), 64)
	tn.guest.get(t, "/api/assets/download/"+aid).want(t, http.StatusForbidden)
	tn.anon.get(t, thumb).want(t, http.StatusUnauthorized)
	other := e.tenant(t, "other", "pro")
	other.holder.get(t, thumb).wantError(t, http.StatusNotFound, "")

	// The same bytes again share the renditions.
	doc2 := waitProcessed(t, c, id(t, c.createAsset(t, "copy.jpg", testFile(t, "photo.jpg"))))
	r1 := c.get(t, thumb)
	r2 := c.get(t, uriOf(t, doc2["thumb_url"]))
	if r1.header.Get("ETag") != r2.header.Get("ETag") {
		t.Errorf("identical files have different thumbnails")
	}
}

func TestRenditionsUnsupported(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	c := e.tenant(t, "acme", "pro").member
	doc := waitProcessed(t, c, id(t, c.createAsset(t, "notes.txt", []byte("just some words\n"))))
	if doc["processing"] != "unsupported" {
		t.Errorf("processing %v, want unsupported", doc["processing"])
	}
	if doc["thumb_url"] != nil || doc["preview_url"] != nil {
		t.Errorf("thumb_url %v, preview_url %v, want nil", doc["thumb_url"], doc["preview_url"])
	}
	c.get(t, "/api/assets/"+str(doc["id"])+"/thumbnail_64.jpg").wantError(t, http.StatusNotFound, "no rendition")
	c.get(t, "/api/assets/"+str(doc["id"])+"/preview.json").wantError(t, http.StatusNotFound, "no rendition")

	// Bytes no tool reads (exiftool says "Unknown file type") are
	// unsupported too, not failed.
	noise := make([]byte, 4096)
	for i := range noise {
		noise[i] = byte(i*7919>>3) ^ byte(i)
	}
	doc = waitProcessed(t, c, id(t, c.createAsset(t, "noise.bin", noise)))
	if doc["processing"] != "unsupported" {
		t.Errorf("bytes no tool reads: processing %v, want unsupported", doc["processing"])
	}

	// A corrupt JPEG fails, with no rendition either.
	bad := testFile(t, "photo.jpg")[:2000]
	doc = waitProcessed(t, c, id(t, c.createAsset(t, "broken.jpg", bad)))
	if doc["processing"] != "failed" || doc["thumb_url"] != nil {
		t.Errorf("truncated JPEG: processing %v thumb_url %v, want failed and nil", doc["processing"], doc["thumb_url"])
	}
}

func TestRenditionsPending(t *testing.T) {
	// Processing on but no workers: the job waits in the queue.
	e := newEnv(t, setup{process: true})
	c := e.tenant(t, "acme", "pro").member
	doc := c.createAsset(t, "photo.jpg", testFile(t, "photo.jpg"))
	if doc["processing"] != "pending" {
		t.Fatalf("processing %v, want pending", doc["processing"])
	}
	r := c.get(t, uriOf(t, doc["thumb_url"]))
	r.wantError(t, http.StatusAccepted, "try again")
	if r.header.Get("Retry-After") == "" {
		t.Error("202 without Retry-After")
	}
	c.get(t, "/api/assets/"+id(t, doc)+"/preview.json").wantError(t, http.StatusAccepted, "try again")
}

func TestRenditionsOff(t *testing.T) {
	// Without processing, files are unsupported at once, as before.
	e := newEnv(t, setup{})
	c := e.tenant(t, "acme", "pro").member
	doc := c.createAsset(t, "photo.jpg", testFile(t, "photo.jpg"))
	if doc["processing"] != "unsupported" || doc["thumb_url"] != nil {
		t.Errorf("processing %v thumb_url %v", doc["processing"], doc["thumb_url"])
	}
	c.get(t, "/api/assets/"+id(t, doc)+"/thumbnail").wantError(t, http.StatusNotFound, "")
}

// TestKeywordsBecomeTags: the IPTC and XMP keywords of a photo become tags
// of its asset (the account's setting, on by default), searchable as tags;
// with the setting off they do not.
func TestKeywordsBecomeTags(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "pro")
	photo, err := os.ReadFile("../metadata/testdata/photo.jpg") // keywords lake, geneva, Summer; subject fountain
	if err != nil {
		t.Fatal(err)
	}
	acct := tn.holder.get(t, "/api/account.json").want(t, 200).obj(t)
	if acct["keywords_to_tags"] != true {
		t.Fatalf("keywords_to_tags = %v, want true by default", acct["keywords_to_tags"])
	}
	doc := waitProcessed(t, tn.member, id(t, tn.member.createAsset(t, "geneva.jpg", photo)))
	var got []string
	for _, tg := range doc["tags"].([]any) {
		got = append(got, str(tg.(map[string]any)["tag"]))
	}
	for _, want := range []string{"lake", "geneva", "Summer", "fountain"} {
		if !slices.ContainsFunc(got, func(g string) bool { return strings.EqualFold(g, want) }) {
			t.Errorf("tags %v lack %q", got, want)
		}
	}
	tn.member.get(t, "/api/assets.json?query=tag:fountain").want(t, 200)
	// What the file says of itself is in the document.
	for _, field := range []string{"camera", "lens", "creator", "copyright", "taken_at", "latitude", "metadata_orientation"} {
		if doc[field] == nil || doc[field] == "" {
			t.Errorf("%s is empty: %v", field, doc[field])
		}
	}
	if kw, _ := doc["keywords"].([]any); len(kw) < 3 {
		t.Errorf("keywords %v", doc["keywords"])
	}

	tn.holder.send(t, "PUT", "/api/account.json", form("keywords_to_tags", "false")).want(t, 200)
	doc = waitProcessed(t, tn.member, id(t, tn.member.createAsset(t, "geneva2.jpg", append(photo, 0))))
	if tags := doc["tags"].([]any); len(tags) != 0 {
		t.Errorf("with the setting off the asset has tags %v", tags)
	}
}
