package httpapi_test

import (
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"testing"
)

// The hot read paths of the API, in process (no network), so that a
// profile shows the server's own cost per request:
//
//	go test -run '^$' -bench . -cpuprofile cpu.out ./httpapi/
//
// make bench measures the same routes over loopback with 64 connections.

// BenchmarkGetAsset is GET /api/assets/ID.xml with Basic auth, as a
// fluxiom client sends it on every request.
func BenchmarkGetAsset(b *testing.B) {
	for _, ext := range []string{".xml", ".json"} {
		b.Run(ext[1:], func(b *testing.B) {
			e, tn := benchEnv(b, 1)
			benchGet(b, e, tn, "/api/assets/1"+ext)
		})
	}
}

// BenchmarkListAssets is GET /api/assets.xml?per_page=25, the first page
// of a library of 200 assets.
func BenchmarkListAssets(b *testing.B) {
	for _, ext := range []string{".xml", ".json"} {
		b.Run(ext[1:], func(b *testing.B) {
			e, tn := benchEnv(b, 200)
			benchGet(b, e, tn, "/api/assets"+ext+"?per_page=25")
		})
	}
}

// benchEnv is a server whose account acme holds n small assets with tags.
func benchEnv(b *testing.B, n int) (*env, *tenant) {
	b.Helper()
	e := newEnv(b, setup{})
	tn := e.tenant(b, "acme", "deluxe")
	for i := range n {
		tn.member.createAsset(b, fmt.Sprintf("IMG_%04d.jpg", i), []byte(fmt.Sprintf("file %d", i)),
			"asset[title]", fmt.Sprintf("Harbour at dusk %d", i), "asset[tags]", "harbour,dusk,print")
	}
	return e, tn
}

// benchGet serves path to the member from every core at once.
func benchGet(b *testing.B, e *env, tn *tenant, path string) {
	h := e.srv.Config.Handler
	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = tn.member.host
		req.SetBasicAuth(tn.member.login, tn.member.password)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get(); rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := get(); rec.Code != http.StatusOK {
				b.Errorf("GET %s: %d", path, rec.Code)
				io.Copy(io.Discard, rec.Body)
				return
			}
		}
	})
}
