package web_test

import (
	"encoding/base64"
	"net/http"
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
	if p := b.get("/assets/" + r.header.Get("X-Damask-Asset-Id")); p.status != http.StatusOK || !strings.Contains(p.body, "hello") {
		t.Errorf("the asset's page: %d", p.status)
	}
}
