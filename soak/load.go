package main

import (
	"bytes"
	"context"
	"encoding/json"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"
)

// client is one user of the load, with its own assets.
type client struct {
	hc   *http.Client
	base string
	auth func(*http.Request)

	rng    *rand.Rand
	assets []int64 // this client's, oldest first
	n      int     // files made
}

// body is a request body and its Content-Type.
type body struct {
	ct   string
	data []byte
}

func formBody(v url.Values) body {
	return body{"application/x-www-form-urlencoded", []byte(v.Encode())}
}

// do sends one request and reads the whole answer.
func (c *client) do(ctx context.Context, method, path string, b body) (status int, data []byte, header http.Header, err error) {
	req, err := http.NewRequestWithContext(ctx, method, c.base+path, bytes.NewReader(b.data))
	if err != nil {
		return 0, nil, nil, err
	}
	if b.ct != "" {
		req.Header.Set("Content-Type", b.ct)
	}
	c.auth(req)
	res, err := c.hc.Do(req)
	if err != nil {
		return 0, nil, nil, err
	}
	defer res.Body.Close()
	data, err = io.ReadAll(res.Body)
	return res.StatusCode, data, res.Header, err
}

// must sends a request that must answer want, and reads its JSON document.
func (c *client) must(ctx context.Context, method, path string, b body, want int) (map[string]any, error) {
	st, data, _, err := c.do(ctx, method, path, b)
	if err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	if st != want {
		return nil, fmt.Errorf("%s %s: %d, want %d: %s", method, path, st, want, data)
	}
	var doc map[string]any
	if err := json.Unmarshal(data, &doc); err != nil {
		return nil, fmt.Errorf("%s %s: %w", method, path, err)
	}
	return doc, nil
}

// The kinds of requests, and how often each is chosen (of 100).
var kinds = []struct {
	name   string
	weight int
}{
	{"upload jpeg", 12},
	{"upload text", 5},
	{"download", 18},
	{"thumbnail", 15},
	{"show", 10},
	{"search", 15},
	{"list", 5},
	{"edit", 12},
	{"delete", 8},
}

// keep is how many assets a client holds at most: past it, its next
// request deletes its oldest, so that the catalogue stays level and
// memory that grows is the server's doing, not the data's.
const keep = 40

var words = []string{"harbour", "mountain", "logo", "brochure", "summer", "campaign", "portrait", "invoice", "product", "studio"}

// run sends requests one after another until ctx ends.
func (c *client) run(ctx context.Context, st *stats, seed int64) {
	c.rng = rand.New(rand.NewPCG(uint64(seed), 0x50a4))
	for ctx.Err() == nil {
		kind := c.pick()
		start := time.Now()
		status, wait, err := c.one(ctx, kind)
		if ctx.Err() != nil {
			return // a request cut by the end of the run counts for nothing
		}
		st.add(kind, time.Since(start), status, err)
		if status == http.StatusTooManyRequests {
			select {
			case <-ctx.Done():
			case <-time.After(wait):
			}
		}
	}
}

func (c *client) pick() string {
	if len(c.assets) == 0 {
		return "upload jpeg"
	}
	if len(c.assets) > keep {
		return "delete"
	}
	n := c.rng.IntN(100)
	for _, k := range kinds {
		if n < k.weight {
			return k.name
		}
		n -= k.weight
	}
	return kinds[0].name
}

// one sends one request of the kind and answers its status (0 when the
// request failed without one) and, for 429, the wait asked for.
func (c *client) one(ctx context.Context, kind string) (int, time.Duration, error) {
	var (
		method, path = "GET", ""
		b            body
	)
	someAsset := func() int64 { return c.assets[c.rng.IntN(len(c.assets))] }
	switch kind {
	case "upload jpeg", "upload text":
		c.n++
		name, data := fmt.Sprintf("note-%d.txt", c.n), []byte(strings.Repeat(words[c.rng.IntN(len(words))]+" ", 200+c.rng.IntN(2000)))
		if kind == "upload jpeg" {
			name, data = fmt.Sprintf("photo-%d.jpg", c.n), c.jpeg()
		}
		method, path, b = "POST", "/api/assets.json", multipartFile(name, data,
			"title", words[c.rng.IntN(len(words))]+" "+strconv.Itoa(c.n), "tags", words[c.rng.IntN(len(words))]+",soak")
	case "download":
		path = fmt.Sprintf("/api/assets/download/%d", someAsset())
	case "thumbnail":
		// The older half of the client's assets: the workers are more
		// likely to have made their thumbnails.
		id := c.assets[c.rng.IntN((len(c.assets)+1)/2)]
		path = fmt.Sprintf("/api/assets/%d/thumbnail_%d.jpg", id, []int{64, 128, 256}[c.rng.IntN(3)])
	case "show":
		path = fmt.Sprintf("/api/assets/%d.json", someAsset())
	case "search":
		path = "/api/assets.json?query=" + url.QueryEscape(words[c.rng.IntN(len(words))])
	case "list":
		path = fmt.Sprintf("/api/assets.json?page=%d&per_page=25&tags=soak", 1+c.rng.IntN(4))
	case "edit":
		method, path = "PUT", fmt.Sprintf("/api/assets/%d.json", someAsset())
		b = formBody(url.Values{"title": {"edited " + words[c.rng.IntN(len(words))]}, "tags": {words[c.rng.IntN(len(words))] + ",soak,edited"}})
	case "delete":
		id := c.assets[0]
		if len(c.assets) <= keep {
			id = someAsset()
		}
		method, path = "DELETE", fmt.Sprintf("/api/assets/%d.json", id)
	}
	st, data, h, err := c.do(ctx, method, path, b)
	if err != nil {
		return 0, 0, err
	}
	switch {
	case strings.HasPrefix(kind, "upload") && st == http.StatusCreated:
		var doc struct {
			ID int64 `json:"id"`
		}
		if err := json.Unmarshal(data, &doc); err != nil || doc.ID == 0 {
			return st, 0, fmt.Errorf("create answered %s", data)
		}
		c.assets = append(c.assets, doc.ID)
	case kind == "delete" && (st == http.StatusOK || st == http.StatusNotFound):
		c.drop(path)
	}
	wait := time.Second
	if s, err := strconv.Atoi(h.Get("Retry-After")); err == nil && s > 0 {
		wait = time.Duration(s) * time.Second
	}
	return st, wait, nil
}

// drop forgets the asset a DELETE path names.
func (c *client) drop(path string) {
	id, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimPrefix(path, "/api/assets/"), ".json"), 10, 64)
	for i, a := range c.assets {
		if a == id {
			c.assets = append(c.assets[:i], c.assets[i+1:]...)
			return
		}
	}
}

// jpeg makes a small photo-like JPEG whose bytes differ from every other.
func (c *client) jpeg() []byte {
	w, h := 320+c.rng.IntN(480), 240+c.rng.IntN(360)
	img := image.NewRGBA(image.Rect(0, 0, w, h))
	r0, g0, b0 := c.rng.IntN(256), c.rng.IntN(256), c.rng.IntN(256)
	for y := range h {
		for x := range w {
			img.Set(x, y, color.RGBA{uint8(r0 + x/3), uint8(g0 + y/2), uint8(b0 + (x^y)&31 + c.rng.IntN(8)), 255})
		}
	}
	var buf bytes.Buffer
	jpeg.Encode(&buf, img, &jpeg.Options{Quality: 80})
	return buf.Bytes()
}

// multipartFile is a multipart body with the fields (name, value pairs)
// and the file.
func multipartFile(name string, data []byte, kv ...string) body {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		mw.WriteField(kv[i], kv[i+1])
	}
	fw, _ := mw.CreateFormFile("file", name)
	fw.Write(data)
	mw.Close()
	return body{mw.FormDataContentType(), buf.Bytes()}
}
