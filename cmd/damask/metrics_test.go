package main

import (
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"strings"
	"testing"

	"damask/blob/disk"
	"damask/library"
	"damask/sqlite"
)

func TestMetricsOnlyForThisMachine(t *testing.T) {
	db, err := sqlite.Open(t.Context(), filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	blobs, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer blobs.Close()
	svc, err := library.New(db, blobs, library.Options{})
	if err != nil {
		t.Fatal(err)
	}
	h := metrics(svc)
	for _, c := range []struct {
		name, remote, header string
		status               int
	}{
		{"loopback", "127.0.0.1:40000", "", 200},
		{"loopback v6", "[::1]:40000", "", 200},
		{"another machine", "203.0.113.7:40000", "", 404},
		{"relayed by a proxy on this machine", "127.0.0.1:40000", "X-Forwarded-For", 404},
		{"relayed with Forwarded", "127.0.0.1:40000", "Forwarded", 404},
	} {
		t.Run(c.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/metrics", nil)
			r.RemoteAddr = c.remote
			if c.header != "" {
				r.Header.Set(c.header, "198.51.100.1")
			}
			rec := httptest.NewRecorder()
			h.ServeHTTP(rec, r)
			if rec.Code != c.status {
				t.Fatalf("status %d, want %d", rec.Code, c.status)
			}
			if c.status == 200 && !strings.Contains(rec.Body.String(), "damask_integrity_failures_total 0\n") {
				t.Errorf("metrics:\n%s", rec.Body)
			}
		})
	}
	r := httptest.NewRequest("POST", "/metrics", nil)
	r.RemoteAddr = "127.0.0.1:1"
	rec := httptest.NewRecorder()
	h.ServeHTTP(rec, r)
	if rec.Code != http.StatusMethodNotAllowed {
		t.Errorf("POST: %d", rec.Code)
	}
}
