package httpapi_test

// The limits that hold under abuse (RELIABILITY.md, hostile clients):
// requests a second per credential, uploads at once per user, request
// bodies that stall. The free space of the disk is in disk_linux_test.go.

import (
	"bufio"
	"bytes"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask/httpapi"
)

// rawRequest is a request sent by hand on its own connection, so that a
// test can stop in the middle of its body.
type rawRequest struct {
	conn net.Conn
	done <-chan struct{} // closed once the server has closed the connection
	br   *bufio.Reader
	path string
}

// head is the start of a request with Basic auth as login: a body of
// length bytes, or chunked when length < 0.
func head(method, path, login, ct string, length int) string {
	h := fmt.Sprintf("%s %s HTTP/1.1\r\nHost: acme.%s\r\nAuthorization: Basic %s\r\nContent-Type: %s\r\n",
		method, path, domain, basic(login, pw), ct)
	if length < 0 {
		return h + "Transfer-Encoding: chunked\r\n\r\n"
	}
	return h + fmt.Sprintf("Content-Length: %d\r\n\r\n", length)
}

// chunk is b as one chunk of a chunked body.
func chunk(b []byte) []byte { return fmt.Appendf(nil, "%x\r\n%s\r\n", len(b), b) }

// start sends the head and the first part of a body, and leaves the
// request hanging.
func (e *env) start(t *testing.T, path, head string, first []byte) *rawRequest {
	t.Helper()
	conn, done := e.dial(t)
	t.Cleanup(func() { conn.Close() })
	q := &rawRequest{conn: conn, done: done, br: bufio.NewReader(conn), path: path}
	q.send(t, append([]byte(head), first...))
	return q
}

func (q *rawRequest) send(t *testing.T, b []byte) {
	t.Helper()
	if _, err := q.conn.Write(b); err != nil {
		t.Fatalf("send %s: %v", q.path, err)
	}
}

// answer reads the server's answer.
func (q *rawRequest) answer(t *testing.T) (*response, *http.Response) {
	t.Helper()
	res, err := http.ReadResponse(q.br, nil)
	if err != nil {
		t.Fatalf("%s: read answer: %v", q.path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s: read answer: %v", q.path, err)
	}
	return &response{method: "POST", path: q.path, status: res.StatusCode, header: res.Header, body: b}, res
}

// waitFor polls until ok, for what a test cannot be told: it fails only
// after a long time, so a slow machine is no trouble.
func waitFor(t *testing.T, what string, ok func() bool) {
	t.Helper()
	for deadline := time.Now().Add(time.Minute); !ok(); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("still waiting for %s after a minute", what)
		}
	}
}

func (e *env) temporaries(t *testing.T) int {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(e.blobDir, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	return len(entries)
}

func wantRetryAfter(t *testing.T, r *response) {
	t.Helper()
	if s, err := strconv.Atoi(r.header.Get("Retry-After")); err != nil || s < 1 {
		t.Errorf("Retry-After %q: want whole seconds, at least 1: %s", r.header.Get("Retry-After"), r)
	}
}

// TestRate: each credential (a token, or a user's password) has its own
// bucket of requests; past it, 429 with Retry-After, and the request is
// not carried out; the bucket refills with time.
func TestRate(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, setup{cfg: httpapi.Config{Rate: 1, Burst: 3, Now: clk.now}})
	tn := e.tenant(t, "acme", "deluxe")
	first := str(tn.member.newToken(t, "name", "first")["token"])
	second := str(tn.member.newToken(t, "name", "second")["token"])
	clk.add(time.Hour) // the member's password bucket is full again
	for _, ext := range []string{".xml", ".json", ".xml"} {
		tn.bearer(t, "GET", "/api/user"+ext, first, payload{}).want(t, 200)
	}
	cases := []struct {
		name string
		do   func() *response
	}{
		{"read, XML", func() *response { return tn.bearer(t, "GET", "/api/assets.xml", first, payload{}) }},
		{"read, JSON", func() *response { return tn.bearer(t, "GET", "/api/user.json", first, payload{}) }},
		{"write", func() *response { return tn.bearer(t, "POST", "/api/tags.json", first, form("tag", "refused")) }},
		{"upload", func() *response {
			return tn.bearer(t, "POST", "/api/upload.xml?filename=r.txt", first, payload{"text/plain", []byte("refused")})
		}},
		{"the token as Basic", func() *response { return tn.member.as("member", first).get(t, "/api/user.xml") }},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			r := c.do()
			r.wantError(t, 429, "Too many requests")
			wantRetryAfter(t, r)
		})
	}
	t.Run("other credentials", func(t *testing.T) {
		tn.bearer(t, "GET", "/api/user.json", second, payload{}).want(t, 200)
		tn.member.get(t, "/api/user.json").want(t, 200)
		tn.guest.get(t, "/api/user.json").want(t, 200)
	})
	t.Run("refilled", func(t *testing.T) {
		clk.add(time.Second)
		tn.bearer(t, "GET", "/api/user.json", first, payload{}).want(t, 200)
		tn.bearer(t, "GET", "/api/user.json", first, payload{}).wantError(t, 429, "Too many requests")
		clk.add(time.Hour)
		if got := tn.bearer(t, "GET", "/api/tags.json", first, payload{}).want(t, 404).list(t, "tags", "tag"); len(got) != 0 {
			t.Errorf("a refused request was carried out: tags %v", got)
		}
		if got := tn.bearer(t, "GET", "/api/assets.json", first, payload{}).want(t, 404).list(t, "assets", "asset"); len(got) != 0 {
			t.Errorf("a refused upload was carried out: assets %v", got)
		}
	})
}

// TestUploadsPerUser: a user sending as many files as allowed gets 429
// with Retry-After for the next, in every way a file comes, and nothing
// of it is kept; other users are not held up, the files under way finish,
// and once one has, the user may send again.
func TestUploadsPerUser(t *testing.T) {
	e := newEnv(t, setup{maxUploads: 2})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	data := bytes.Repeat([]byte("held"), 16<<10)
	var held []*rawRequest
	for i := range 2 {
		path := fmt.Sprintf("/api/upload.json?filename=held%d.bin", i)
		held = append(held, e.start(t, path, head("POST", path, "member", "application/octet-stream", len(data)), data[:1000]))
	}
	waitFor(t, "two files under way", func() bool { return e.temporaries(t) == 2 })
	before := e.state(t, tn.holder)
	small := []byte("one more file")
	cases := []struct {
		name string
		send func(ext string) *response
	}{
		{"raw", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=m.txt", bytes.NewReader(small))
		}},
		{"raw chunked", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=m.txt", io.MultiReader(bytes.NewReader(small)))
		}},
		{"multipart", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "m.txt", small}))
		}},
		{"one-step create", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "m.txt", small}, "title", "m"))
		}},
		{"new version", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, multipartBody(file{"file", "m.txt", small}))
		}},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				r := c.send(ext)
				r.wantError(t, 429, "at once")
				wantRetryAfter(t, r)
				e.unchanged(t, tn.holder, before)
			})
		}
	}
	t.Run("another user", func(t *testing.T) {
		tn.admin.upload(t, "admin.txt", []byte("the admin's file"))
	})
	t.Run("the files under way finish", func(t *testing.T) {
		held[0].send(t, data[1000:])
		r, _ := held[0].answer(t)
		if got := r.want(t, 201).obj(t); num(t, got["size"]) != int64(len(data)) {
			t.Errorf("held upload stored as %v", got)
		}
		tn.member.upload(t, "next.txt", []byte("the next file"))
	})
	held[1].conn.Close()
	<-held[1].done
	if n := e.temporaries(t); n != 0 {
		t.Errorf("%d temporary files left", n)
	}
}

// TestSlowBody: a body that stops coming is cut off with 408 (and the
// connection closed) whatever it carries, leaving nothing behind; a slow
// body that keeps moving is taken, however long it takes.
func TestSlowBody(t *testing.T) {
	const window = 300 * time.Millisecond
	e := newEnv(t, setup{cfg: httpapi.Config{BodyWindow: window, BodyMinBytes: 1024}})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	mp := multipartBody(file{"file", "slow.bin", bytes.Repeat([]byte("s"), 64<<10)}, "title", "slow")
	mpv := multipartBody(file{"file", "slow.bin", bytes.Repeat([]byte("v"), 64<<10)}, "comment", "slow")
	oct := "application/octet-stream"
	cases := []struct {
		name, method, path, ct string
		length                 int
		first                  []byte
	}{
		{"raw upload", "POST", "/api/upload.xml?filename=slow.bin", oct, 64 << 10, bytes.Repeat([]byte("s"), 100)},
		{"raw upload, nothing sent", "POST", "/api/upload.json?filename=slow.bin", oct, 64 << 10, nil},
		{"raw upload chunked", "POST", "/api/upload.json?filename=slow.bin", oct, -1, chunk(bytes.Repeat([]byte("s"), 100))},
		{"multipart create", "POST", "/api/assets.json", mp.ct, len(mp.data), mp.data[:500]},
		{"multipart version chunked", "POST", "/api/assets/" + id(t, a) + "/versions.xml", mpv.ct, -1, chunk(mpv.data[:500])},
		{"update as XML", "PUT", "/api/assets/" + id(t, a) + ".xml", "application/xml", 200, []byte("<asset><title>sl")},
		{"a tag as JSON", "POST", "/api/tags.json", "application/json", 100, []byte(`{"tag": {"tag": "sl`)},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(t, tn.holder)
			q := e.start(t, c.path, head(c.method, c.path, "member", c.ct, c.length), c.first)
			r, res := q.answer(t)
			r.wantError(t, 408, "too slowly")
			if !res.Close {
				t.Errorf("the connection stays open after a stalled body: %v", res.Header)
			}
			<-q.done
			e.unchanged(t, tn.holder, before)
		})
	}
	t.Run("the next request", func(t *testing.T) {
		tn.member.upload(t, "quick.txt", []byte("quick"))
	})
}

// TestSlowHonestBody: a body that comes slowly but keeps the pace is never
// cut off, though it takes several windows.
func TestSlowHonestBody(t *testing.T) {
	const window = time.Second
	e := newEnv(t, setup{cfg: httpapi.Config{BodyWindow: window, BodyMinBytes: 1024}})
	e.tenant(t, "acme", "deluxe")
	data := bytes.Repeat([]byte("0123456789abcdef"), 2<<10) // 32 KiB in 32 pieces, 20 times the pace
	path := "/api/upload.json?filename=slow.bin"
	q := e.start(t, path, head("POST", path, "member", "application/octet-stream", len(data)), nil)
	for i := 0; i < len(data); i += 1024 {
		time.Sleep(window / 20)
		q.send(t, data[i:i+1024])
	}
	r, _ := q.answer(t)
	if got := r.want(t, 201).obj(t); num(t, got["size"]) != int64(len(data)) {
		t.Errorf("stored %v", got)
	}
}

// TestTagLimit: a list of thousands of tags, in any encoding, is refused
// with the limit stated and makes no tag; as many as allowed are taken.
func TestTagLimit(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	asset := "/api/assets/" + id(t, tn.member.createAsset(t, "a.txt", []byte("a"))) + ".json"
	names := func(n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = "t" + strconv.Itoa(i)
		}
		return out
	}
	xmlTags := func(n int) string {
		var b bytes.Buffer
		b.WriteString(`<asset><tags type="array">`)
		for _, name := range names(n) {
			fmt.Fprintf(&b, "<tag><tag>%s</tag></tag>", name)
		}
		b.WriteString("</tags></asset>")
		return b.String()
	}
	jsonTags := func(n int) string {
		b, _ := json.Marshal(map[string]any{"tags": names(n)})
		return string(b)
	}
	for _, tc := range []struct {
		name string
		body payload
	}{
		{"form", form("tags", strings.Join(names(5000), ","))},
		{"XML", xmlBody(xmlTags(5000))},
		{"JSON", jsonBody(jsonTags(5000))},
		{"101", jsonBody(jsonTags(101))},
	} {
		tn.member.send(t, "PUT", asset, tc.body).wantError(t, http.StatusUnprocessableEntity, "at most 100 tags")
		if l := tn.member.get(t, "/api/tags.json").list(t, "tags", "tag"); len(l) != 0 {
			t.Errorf("%s: %d tags made by a refused request", tc.name, len(l))
		}
	}
	doc := tn.member.send(t, "PUT", asset, xmlBody(xmlTags(100))).want(t, http.StatusOK).obj(t)
	if got := len(doc["tags"].([]any)); got != 100 {
		t.Errorf("%d tags on the asset, want 100", got)
	}
}
