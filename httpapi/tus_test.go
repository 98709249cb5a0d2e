package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/base64"
	"errors"
	"fmt"
	"io/fs"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/tus"
)

// The tus 1.0 conformance of /api/uploads/tus/: core, creation,
// creation-with-upload, termination, checksum (sha256), expiration, and
// every error the protocol names, through the real HTTP stack.

const tusV = "1.0.0"

func b64(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }

func sum256(b []byte) string {
	s := sha256.Sum256(b)
	return "sha256 " + base64.StdEncoding.EncodeToString(s[:])
}

// tusCreate starts an upload of n bytes and answers its path.
func (c *client) tusCreate(t testing.TB, n int, meta string) string {
	t.Helper()
	r := c.do(t, http.MethodPost, "/api/uploads/tus/", nil, "Tus-Resumable", tusV,
		"Upload-Length", strconv.Itoa(n), "Upload-Metadata", meta).want(t, http.StatusCreated)
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/api/uploads/tus/") || r.header.Get("Upload-Offset") != "0" {
		t.Fatalf("creation answered Location %q, Upload-Offset %q", loc, r.header.Get("Upload-Offset"))
	}
	if _, err := time.Parse(http.TimeFormat, r.header.Get("Upload-Expires")); err != nil {
		t.Errorf("Upload-Expires %q: %v", r.header.Get("Upload-Expires"), err)
	}
	return loc
}

func (c *client) tusPatch(t testing.TB, path string, offset int, data []byte, headers ...string) *response {
	t.Helper()
	h := append([]string{"Tus-Resumable", tusV, "Upload-Offset", strconv.Itoa(offset),
		"Content-Type", "application/offset+octet-stream"}, headers...)
	return c.do(t, http.MethodPatch, path, bytes.NewReader(data), h...)
}

func (c *client) tusHead(t testing.TB, path string) *response {
	t.Helper()
	return c.do(t, http.MethodHead, path, nil, "Tus-Resumable", tusV)
}

func TestTusConformance(t *testing.T) {
	plans := damask.DefaultPlans()
	plans["tiny"] = damask.Plan{Name: "tiny", MultipleUsers: true, StorageLimit: 1000}
	e := newEnv(t, setup{plans: plans})
	tn := e.tenant(t, "acme", "pro")
	m := tn.member
	data := bytes.Repeat([]byte("0123456789abcdef"), 4096) // 64 KiB

	t.Run("options", func(t *testing.T) {
		for _, c := range []*client{m, tn.anon} {
			r := c.do(t, http.MethodOptions, "/api/uploads/tus/", nil).want(t, http.StatusNoContent)
			for h, want := range map[string]string{
				"Tus-Version": tusV, "Tus-Resumable": tusV, "Tus-Extension": tus.Extensions,
				"Tus-Max-Size": strconv.Itoa(2 << 20), "Tus-Checksum-Algorithm": "sha256",
			} {
				if got := r.header.Get(h); got != want {
					t.Errorf("OPTIONS %s = %q, want %q", h, got, want)
				}
			}
		}
	})

	t.Run("core and creation: pieces, HEAD, the upload it becomes", func(t *testing.T) {
		loc := m.tusCreate(t, len(data), "filename "+b64("song.txt"))
		h := m.tusHead(t, loc).want(t, http.StatusOK)
		if h.header.Get("Upload-Offset") != "0" || h.header.Get("Upload-Length") != strconv.Itoa(len(data)) ||
			h.header.Get("Cache-Control") != "no-store" {
			t.Errorf("HEAD of a new upload: %v", h.header)
		}
		r := m.tusPatch(t, loc, 0, data[:1000]).want(t, http.StatusNoContent)
		if r.header.Get("Upload-Offset") != "1000" || r.header.Get(tus.HeaderUploadID) != "" {
			t.Fatalf("first piece answered %v", r.header)
		}
		if got := m.tusHead(t, loc).header.Get("Upload-Offset"); got != "1000" {
			t.Errorf("HEAD after a piece: offset %s", got)
		}
		r = m.tusPatch(t, loc, 1000, data[1000:], "Upload-Checksum", sum256(data[1000:])).want(t, http.StatusNoContent)
		if r.header.Get("Upload-Offset") != strconv.Itoa(len(data)) {
			t.Fatalf("last piece answered %v", r.header)
		}
		upID := r.header.Get(tus.HeaderUploadID)
		if upID == "" || r.header.Get(tus.HeaderUploadURL) != "/api/uploads/"+upID || r.header.Get(tus.HeaderAssetID) != "" {
			t.Fatalf("last piece answered %v", r.header)
		}
		up := m.get(t, "/api/uploads/"+upID+".json").want(t, http.StatusOK).obj(t)
		s := sha256.Sum256(data)
		if str(up["filename"]) != "song.txt" || num(t, up["size"]) != int64(len(data)) || str(up["sha256"]) != hexOf(s[:]) {
			t.Errorf("upload document %v", up)
		}
		// The two-step flow: the upload makes an asset.
		a := m.send(t, http.MethodPost, "/api/assets.json", form("upload_id", upID, "title", "Song")).want(t, http.StatusCreated).obj(t)
		got := m.get(t, "/api/assets/download/"+id(t, a)).want(t, http.StatusOK)
		if !bytes.Equal(got.body, data) {
			t.Error("downloaded bytes differ")
		}
		// HEAD of the complete upload keeps telling where it went.
		if h := m.tusHead(t, loc).want(t, http.StatusOK); h.header.Get(tus.HeaderUploadID) != upID {
			t.Errorf("HEAD of a complete upload: %v", h.header)
		}
	})

	t.Run("creation-with-upload and metadata asking for an asset", func(t *testing.T) {
		meta := "filename " + b64("a.txt") + ",title " + b64("Report") + ",tags " + b64("x, y") + ",filetype " + b64("text/plain")
		r := m.do(t, http.MethodPost, "/api/uploads/tus/", bytes.NewReader(data), "Tus-Resumable", tusV,
			"Upload-Length", strconv.Itoa(len(data)), "Upload-Metadata", meta,
			"Content-Type", "application/offset+octet-stream", "Upload-Checksum", sum256(data)).want(t, http.StatusCreated)
		aid := r.header.Get(tus.HeaderAssetID)
		if r.header.Get("Upload-Offset") != strconv.Itoa(len(data)) || aid == "" {
			t.Fatalf("creation-with-upload answered %v", r.header)
		}
		a := m.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)
		if str(a["title"]) != "Report" || len(a["tags"].([]any)) != 2 {
			t.Errorf("asset %v", a)
		}
		// The whole file in the creation is recorded finished at once:
		// HEAD tells the same as the creation's answer.
		h := m.tusHead(t, r.header.Get("Location")).want(t, http.StatusOK)
		if h.header.Get("Upload-Offset") != strconv.Itoa(len(data)) || h.header.Get(tus.HeaderAssetID) != aid ||
			h.header.Get(tus.HeaderUploadID) != r.header.Get(tus.HeaderUploadID) {
			t.Errorf("HEAD after a creation-with-upload of the whole file: %v, creation: %v", h.header, r.header)
		}
		// A whole file whose checksum is not its bytes' makes nothing.
		other := []byte("bytes of a file that no asset holds")
		before := len(m.get(t, "/api/assets.json").want(t, http.StatusOK).list(t, "assets", "asset"))
		m.do(t, http.MethodPost, "/api/uploads/tus/", bytes.NewReader(other), "Tus-Resumable", tusV,
			"Upload-Length", strconv.Itoa(len(other)), "Upload-Metadata", meta,
			"Content-Type", "application/offset+octet-stream", "Upload-Checksum", sum256(data)).want(t, tus.StatusChecksumMismatch)
		if after := len(m.get(t, "/api/assets.json").want(t, http.StatusOK).list(t, "assets", "asset")); after != before {
			t.Errorf("a creation whose checksum failed made an asset: %d assets, %d before", after, before)
		}
		// asset_id: a new version of that asset.
		v2 := []byte("second version")
		r = m.do(t, http.MethodPost, "/api/uploads/tus/", bytes.NewReader(v2), "Tus-Resumable", tusV,
			"Upload-Length", strconv.Itoa(len(v2)), "Upload-Metadata", "filename "+b64("a2.txt")+",asset_id "+b64(aid),
			"Content-Type", "application/offset+octet-stream").want(t, http.StatusCreated)
		if r.header.Get(tus.HeaderAssetID) != aid {
			t.Errorf("version answered %v", r.header)
		}
		a = m.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)
		if num(t, a["version"]) != 2 || str(a["filename"]) != "a2.txt" {
			t.Errorf("asset after a tus version: %v", a)
		}
	})

	t.Run("termination", func(t *testing.T) {
		loc := m.tusCreate(t, 100, "")
		m.tusPatch(t, loc, 0, data[:10]).want(t, http.StatusNoContent)
		m.do(t, http.MethodDelete, loc, nil, "Tus-Resumable", tusV).want(t, http.StatusNoContent)
		m.tusHead(t, loc).want(t, http.StatusNotFound)
		m.tusPatch(t, loc, 10, data[:10]).want(t, http.StatusNotFound)
	})

	t.Run("errors", func(t *testing.T) {
		loc := m.tusCreate(t, 100, "")
		m.tusPatch(t, loc, 0, data[:10]).want(t, http.StatusNoContent)
		theirs := e.tenant(t, "globex", "pro").member
		for _, tt := range []struct {
			name   string
			c      *client
			method string
			path   string
			body   []byte
			hdr    []string
			want   int
		}{
			{"wrong offset", m, "PATCH", loc, data[:5], []string{"Upload-Offset", "3"}, http.StatusConflict},
			{"offset past the end", m, "PATCH", loc, data[:5], []string{"Upload-Offset", "50"}, http.StatusConflict},
			{"checksum mismatch", m, "PATCH", loc, data[:5], []string{"Upload-Checksum", sum256(data[1:6])}, tus.StatusChecksumMismatch},
			{"checksum of another algorithm", m, "PATCH", loc, data[:5], []string{"Upload-Checksum", "md5 " + b64("0123456789abcdef")}, http.StatusBadRequest},
			{"piece past the length", m, "PATCH", loc, data[:200], nil, http.StatusRequestEntityTooLarge},
			{"no Tus-Resumable", m, "PATCH", loc, data[:5], []string{"Tus-Resumable", ""}, http.StatusPreconditionFailed},
			{"another Tus-Resumable", m, "PATCH", loc, data[:5], []string{"Tus-Resumable", "0.2.2"}, http.StatusPreconditionFailed},
			{"wrong content type", m, "PATCH", loc, data[:5], []string{"Content-Type", "application/octet-stream"}, http.StatusUnsupportedMediaType},
			{"another user of the account", tn.admin, "PATCH", loc, data[:5], nil, http.StatusNotFound},
			{"another account", theirs, "PATCH", loc, data[:5], nil, http.StatusNotFound},
			{"another user's HEAD", tn.holder, "HEAD", loc, nil, nil, http.StatusNotFound},
			{"another user's DELETE", tn.holder, "DELETE", loc, nil, nil, http.StatusNotFound},
			{"an id that is no id", m, "HEAD", "/api/uploads/tus/nope", nil, nil, http.StatusNotFound},
			{"no credentials", tn.anon, "HEAD", loc, nil, nil, http.StatusUnauthorized},
			{"a guest", tn.guest, "POST", "/api/uploads/tus/", nil, []string{"Upload-Length", "10"}, http.StatusForbidden},
			{"too large on creation", m, "POST", "/api/uploads/tus/", nil, []string{"Upload-Length", strconv.Itoa(2<<20 + 1)}, http.StatusRequestEntityTooLarge},
			{"no length", m, "POST", "/api/uploads/tus/", nil, nil, http.StatusBadRequest},
			{"deferred length", m, "POST", "/api/uploads/tus/", nil, []string{"Upload-Defer-Length", "1"}, http.StatusBadRequest},
			{"bad metadata", m, "POST", "/api/uploads/tus/", nil, []string{"Upload-Length", "10", "Upload-Metadata", "filename ***"}, http.StatusBadRequest},
			{"bad asset_id", m, "POST", "/api/uploads/tus/", nil, []string{"Upload-Length", "10", "Upload-Metadata", "asset_id " + b64("x")}, http.StatusUnprocessableEntity},
			{"another account's asset_id", m, "POST", "/api/uploads/tus/", nil, []string{"Upload-Length", "10", "Upload-Metadata", "asset_id " + b64("999999")}, http.StatusNotFound},
			{"method not served", m, "PUT", loc, nil, nil, http.StatusMethodNotAllowed},
		} {
			t.Run(tt.name, func(t *testing.T) {
				h := []string{"Tus-Resumable", tusV, "Upload-Offset", "10", "Content-Type", "application/offset+octet-stream"}
				h = append(h, tt.hdr...)
				var body *bytes.Reader
				if tt.body != nil {
					body = bytes.NewReader(tt.body)
				} else {
					body = bytes.NewReader(nil)
				}
				tt.c.do(t, tt.method, tt.path, body, h...).want(t, tt.want)
			})
		}
		// Nothing of the refused pieces was kept.
		if got := m.tusHead(t, loc).header.Get("Upload-Offset"); got != "10" {
			t.Errorf("offset after refused pieces: %s, want 10", got)
		}
		m.tusPatch(t, loc, 10, data[10:100], "Upload-Checksum", sum256(data[10:100])).want(t, http.StatusNoContent)
	})

	t.Run("quota on creation and on every piece", func(t *testing.T) {
		small := e.tenant(t, "small", "tiny")
		small.member.allow507 = true
		small.member.do(t, http.MethodPost, "/api/uploads/tus/", nil, "Tus-Resumable", tusV, "Upload-Length", "1001").
			want(t, http.StatusInsufficientStorage)
		loc := small.member.tusCreate(t, 900, "")
		small.member.tusPatch(t, loc, 0, data[:400]).want(t, http.StatusNoContent)
		// Meanwhile another file fills the plan.
		small.holder.upload(t, "other.bin", data[:500])
		small.member.tusPatch(t, loc, 400, data[:500]).want(t, http.StatusInsufficientStorage)
	})
}

// TestTusExpiration: an upload past its 24 hours answers 410 Gone, and the
// housework drops it with its bytes.
func TestTusExpiration(t *testing.T) {
	var now time.Time
	clock := func() time.Time {
		if now.IsZero() {
			return time.Now()
		}
		return now
	}
	e := newEnv(t, setup{now: clock})
	m := e.tenant(t, "acme", "pro").member
	loc := m.tusCreate(t, 100, "")
	m.tusPatch(t, loc, 0, []byte("0123456789")).want(t, http.StatusNoContent)
	now = time.Now().Add(damask.UploadLifetime + time.Minute)
	m.tusHead(t, loc).want(t, http.StatusGone)
	m.tusPatch(t, loc, 10, []byte("0123456789")).want(t, http.StatusGone)
	if err := e.svc.Tidy(t.Context(), time.Hour); err != nil {
		t.Fatal(err)
	}
	m.tusHead(t, loc).want(t, http.StatusNotFound)
	id := loc[strings.LastIndex(loc, "/")+1:]
	if _, err := os.Stat(filepath.Join(e.blobDir, ".partial", id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the partial file outlived its upload: %v", err)
	}
}

func hexOf(b []byte) string {
	const digits = "0123456789abcdef"
	out := make([]byte, 0, 2*len(b))
	for _, c := range b {
		out = append(out, digits[c>>4], digits[c&15])
	}
	return string(out)
}

// TestTusNetworkDrop: a PATCH whose connection breaks off keeps the bytes
// that arrived (tus: store as much as possible), and the client resumes
// from the offset HEAD tells.
func TestTusNetworkDrop(t *testing.T) {
	e := newEnv(t, setup{})
	m := e.tenant(t, "acme", "pro").member
	data := bytes.Repeat([]byte("resumable!"), 100)
	loc := m.tusCreate(t, len(data), "filename "+b64("drop.txt")+",asset "+b64("true"))
	conn, done := e.dial(t)
	fmt.Fprintf(conn, "PATCH %s HTTP/1.1\r\nHost: %s\r\nAuthorization: Basic %s\r\nTus-Resumable: 1.0.0\r\n"+
		"Upload-Offset: 0\r\nContent-Type: application/offset+octet-stream\r\nContent-Length: %d\r\n\r\n",
		loc, m.host, basic(m.login, m.password), len(data))
	conn.Write(data[:600])
	conn.Close()
	<-done
	got := m.tusHead(t, loc).want(t, http.StatusOK).header.Get("Upload-Offset")
	if got != "600" {
		t.Fatalf("offset after the drop: %s, want 600", got)
	}
	r := m.tusPatch(t, loc, 600, data[600:]).want(t, http.StatusNoContent)
	a := m.get(t, "/api/assets/download/"+r.header.Get(tus.HeaderAssetID)).want(t, http.StatusOK)
	if !bytes.Equal(a.body, data) {
		t.Error("the resumed file differs from the one sent")
	}
}
