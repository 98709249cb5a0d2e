package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"strconv"
	"strings"
	"testing"
)

// TestTusFromPages: the pages' tus endpoint takes the session and asks for
// the CSRF header on every request that changes something; without a
// session it answers 401, and another user's upload is 404.
func TestTusFromPages(t *testing.T) {
	e := newEnv(t)
	b := e.browser(t)
	b.signIn("ann", pw)
	csrf := token(t, b.get("/"))
	data := "hello, resumable world"
	meta := "filename " + base64.StdEncoding.EncodeToString([]byte("hello.txt")) +
		",path " + base64.StdEncoding.EncodeToString([]byte("trip/day1"))

	tusReq := func(b *browser, method, path, body, csrf string, hdr ...string) response {
		t.Helper()
		req, err := http.NewRequest(method, b.base+path, strings.NewReader(body))
		if err != nil {
			t.Fatal(err)
		}
		req.Header.Set("Tus-Resumable", "1.0.0")
		if csrf != "" {
			req.Header.Set("X-CSRF-Token", csrf)
		}
		for i := 0; i+1 < len(hdr); i += 2 {
			req.Header.Set(hdr[i], hdr[i+1])
		}
		return b.do(req)
	}

	if r := tusReq(b, "POST", "/uploads/tus/", "", "", "Upload-Length", "22"); r.status != http.StatusForbidden {
		t.Errorf("creation without the CSRF header: %d, want 403", r.status)
	}
	if r := tusReq(e.browser(t), "POST", "/uploads/tus/", "", csrf, "Upload-Length", "22"); r.status != http.StatusUnauthorized {
		t.Errorf("creation without a session: %d, want 401", r.status)
	}
	r := tusReq(b, "POST", "/uploads/tus/", "", csrf, "Upload-Length", "22", "Upload-Metadata", meta)
	if r.status != http.StatusCreated {
		t.Fatalf("creation: %d %s", r.status, r.body)
	}
	loc := r.header.Get("Location")
	if !strings.HasPrefix(loc, "/uploads/tus/") {
		t.Fatalf("Location %q", loc)
	}
	if r := tusReq(b, "HEAD", loc, "", ""); r.status != http.StatusOK || r.header.Get("Upload-Offset") != "0" {
		t.Errorf("HEAD: %d %v", r.status, r.header)
	}
	if r := tusReq(b, "PATCH", loc, data[:5], "", "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream"); r.status != http.StatusForbidden {
		t.Errorf("PATCH without the CSRF header: %d, want 403", r.status)
	}
	admin := e.browser(t)
	admin.signIn("admin", pw)
	if r := tusReq(admin, "PATCH", loc, data[:5], token(t, admin.get("/")), "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream"); r.status != http.StatusNotFound {
		t.Errorf("PATCH by another user: %d, want 404", r.status)
	}
	r = tusReq(b, "PATCH", loc, data, csrf, "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	if r.status != http.StatusNoContent || r.header.Get("X-Damask-Asset-Id") == "" {
		t.Fatalf("PATCH: %d %v %s", r.status, r.header, r.body)
	}
	if p := b.get("/assets/" + r.header.Get("X-Damask-Asset-Id")); p.status != http.StatusOK || !strings.Contains(p.body, "hello") ||
		!strings.Contains(p.body, `value="trip/day1"`) {
		t.Errorf("the asset's page (with its folder trip/day1): %d", p.status)
	}
	if r := b.get(loc + ".json"); r.status != http.StatusNotFound {
		t.Errorf("report of an upload without unpack: %d, want 404", r.status)
	}

	// unpack (with path and path_tags) in the metadata: the archive is
	// unpacked as /upload?unpack=1 does, and its report is read at the
	// URL the last PATCH names.
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for name, body := range map[string]string{"album/one.txt": "first file", "album/sub/two.txt": "second file", "empty.txt": ""} {
		w, err := zw.Create(name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	b64 := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	r = tusReq(b, "POST", "/uploads/tus/", "", csrf, "Upload-Length", strconv.Itoa(zb.Len()),
		"Upload-Metadata", "filename "+b64("album.zip")+",unpack "+b64("true")+",path_tags "+b64("true")+",path "+b64("trip"))
	if r.status != http.StatusCreated {
		t.Fatalf("creation of an unpack: %d %s", r.status, r.body)
	}
	loc = r.header.Get("Location")
	r = tusReq(b, "PATCH", loc, zb.String(), csrf, "Upload-Offset", "0", "Content-Type", "application/offset+octet-stream")
	report := r.header.Get("X-Damask-Unpack-Location")
	if r.status != http.StatusNoContent || report != loc+".json" || r.header.Get("X-Damask-Asset-Id") != "" {
		t.Fatalf("PATCH of an unpack: %d %v %s", r.status, r.header, r.body)
	}
	if r := admin.get(report); r.status != http.StatusNotFound {
		t.Errorf("another user's report: %d, want 404", r.status)
	}
	rep := b.get(report)
	var doc struct {
		Archive string `json:"archive"`
		Assets  []struct {
			ID    int64  `json:"id"`
			Title string `json:"title"`
		} `json:"assets"`
		Skipped []struct{ Name, Reason string } `json:"skipped"`
	}
	if rep.status != http.StatusOK || json.Unmarshal([]byte(rep.body), &doc) != nil {
		t.Fatalf("report: %d %s", rep.status, rep.body)
	}
	if doc.Archive != "album.zip" || len(doc.Assets) != 2 || len(doc.Skipped) != 1 || doc.Skipped[0].Name != "empty.txt" {
		t.Fatalf("report %+v", doc)
	}
	paths := map[string]bool{}
	for _, a := range doc.Assets {
		p := b.get("/assets/" + strconv.FormatInt(a.ID, 10))
		for _, want := range []string{"trip/album/sub", "trip/album"} {
			if strings.Contains(p.body, `value="`+want+`"`) {
				paths[want] = true
				break
			}
		}
	}
	if !paths["trip/album"] || !paths["trip/album/sub"] {
		t.Errorf("the unpacked assets' folders: %v, want trip/album and trip/album/sub", paths)
	}
}
