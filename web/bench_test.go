package web_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/url"
	"path/filepath"
	"syscall"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/library"
	"damask/password"
	"damask/sqlite"
	"damask/synth"
	"damask/web"
)

// cpuTime is the CPU time the process has used, user and system.
func cpuTime() time.Duration {
	var ru syscall.Rusage
	if err := syscall.Getrusage(syscall.RUSAGE_SELF, &ru); err != nil {
		return 0
	}
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkLibraryPage measures the server's time for the library page of
// an account of 10,000 assets (the synthetic catalogue of dev seed): the
// first page of 48 with its facets, a search with a tag, a deep page and
// three filters at once (a word, a type and a tag), through the real
// handler and SQLite store, each page's wall time (ns/op) and the
// process's CPU time per page (cpu-ms/op). The target is under 50 ms.
func BenchmarkLibraryPage(b *testing.B) {
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	defer db.Close()
	blobs, err := disk.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	defer blobs.Close()
	svc, err := library.New(db, blobs, library.Options{Password: password.Params{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.EnsureDefault(ctx, pw); err != nil {
		b.Fatal(err)
	}
	a, err := svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		b.Fatal(err)
	}
	const n = 10000
	cat := synth.New(1, []int64{a.HolderID}, n, time.Now())
	as := make([]*damask.Asset, n)
	for i := range as {
		as[i] = cat.Asset(i, a.ID)
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		b.Fatal(err)
	}
	_, secret, err := svc.SignIn(ctx, a, "admin", pw, library.Client{Source: "bench"})
	if err != nil {
		b.Fatal(err)
	}
	// The store's share of the page: its two reads alone.
	u, err := svc.Authenticate(ctx, a, "admin", pw, "bench")
	if err != nil {
		b.Fatal(err)
	}
	c := library.Caller{Account: a, User: u}
	b.Run("store: list", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Assets(ctx, c, library.AssetQuery{Page: damask.Page{Number: 1, Size: 48}}); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("store: facets", func(b *testing.B) {
		for b.Loop() {
			if _, err := svc.Facets(ctx, c, library.AssetQuery{}); err != nil {
				b.Fatal(err)
			}
		}
	})
	h := web.New(svc, web.Config{})
	for _, bc := range []struct{ name, path string }{
		{"first page", "/"},
		{"list view", "/?view=list"},
		{"word and tag", "/?q=" + cat.Tag(3) + "+tag%3A" + cat.Tag(1)},
		{"page 20", "/?page=20"},
		// Three filters at once, as a user narrows the library: a word,
		// a type and a tag.
		{"three filters", "/?q=" + url.QueryEscape(cat.Word(3)+" type:image tag:"+cat.Tag(1))},
	} {
		// The matches of the page's query, so that a filtered page is
		// seen to hold assets rather than to say that none match.
		pq, _ := url.ParseQuery(bc.path[min(len(bc.path), 2):])
		l, err := svc.Assets(ctx, c, library.AssetQuery{Query: pq.Get("q"), Page: damask.Page{Number: 1, Size: 1}})
		if err != nil {
			b.Fatal(err)
		}
		b.Run(bc.name, func(b *testing.B) {
			cpu := cpuTime()
			for b.Loop() {
				req := httptest.NewRequest(http.MethodGet, bc.path, nil)
				req.AddCookie(&http.Cookie{Name: web.SessionCookie, Value: secret})
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("status %d: %s", rec.Code, rec.Body)
				}
			}
			// On a busy machine the wall time also counts other
			// programs; the process's CPU time per page does not.
			b.ReportMetric(float64(cpuTime()-cpu)/float64(time.Millisecond)/float64(b.N), "cpu-ms/op")
			b.ReportMetric(float64(l.Total), "matches")
		})
	}
}
