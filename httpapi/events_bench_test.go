package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
	"time"
)

// BenchmarkChangeEvents is the cost of the events on the write paths:
// creating an asset (POST /api/assets.json, a 4 KiB file in multipart)
// and editing one (PUT /api/assets/ID.json, a new title), each of which
// writes its event in its transaction, on two servers side by side: one
// without a webhook and one with a webhook that wants every event (whose
// delivery is then queued in the same transaction; no worker sends it
// here). The two take turns, request by request, so that the machine's
// drift (a busy disk, another process) falls on both alike; each reports
// its own rate and the webhook's as a share of the other's. In process,
// one request at a time, SQLite with its fsync per commit:
//
//	go test -run '^$' -bench 'BenchmarkChangeEvents' -benchtime 500x -count 3 ./httpapi/
func BenchmarkChangeEvents(b *testing.B) {
	content := bytes.Repeat([]byte("damask "), 4096/7)
	type side struct {
		e    *env
		tn   *tenant
		id   string
		took time.Duration
	}
	sides := func(b *testing.B) [2]*side {
		var s [2]*side
		for i, hooked := range []bool{false, true} {
			e := newEnv(b, setup{})
			tn := e.tenant(b, "acme", "deluxe")
			if hooked {
				tn.admin.send(b, "POST", "/api/webhooks.json", form("url", "http://127.0.0.1:9/hook", "events", "*")).want(b, 201)
			}
			s[i] = &side{e: e, tn: tn, id: id(b, tn.member.createAsset(b, "a.txt", content))}
		}
		return s
	}
	serve := func(b *testing.B, s *side, method, path string, p payload, want int) {
		req := httptest.NewRequest(method, path, bytes.NewReader(p.data))
		req.Host = s.tn.member.host
		req.Header.Set("Content-Type", p.ct)
		req.SetBasicAuth(s.tn.member.login, s.tn.member.password)
		rec := httptest.NewRecorder()
		t0 := time.Now()
		s.e.srv.Config.Handler.ServeHTTP(rec, req)
		s.took += time.Since(t0)
		if rec.Code != want {
			b.Fatalf("%s %s: %d %s", method, path, rec.Code, rec.Body)
		}
	}
	report := func(b *testing.B, s [2]*side, unit string) {
		without, with := float64(b.N)/s[0].took.Seconds(), float64(b.N)/s[1].took.Seconds()
		b.ReportMetric(without, unit+"/s-no-webhook")
		b.ReportMetric(with, unit+"/s-webhook")
		b.ReportMetric(100*with/without, "%-with-webhook")
	}
	b.Run("create", func(b *testing.B) {
		s := sides(b)
		for i := 0; b.Loop(); i++ {
			for _, sd := range s {
				data := append([]byte(fmt.Sprint(i, " ")), content...)
				serve(b, sd, http.MethodPost, "/api/assets.json",
					multipartBody(file{"file", fmt.Sprintf("f%d.txt", i), data}, "title", "harbour"), http.StatusCreated)
			}
		}
		report(b, s, "creates")
	})
	b.Run("edit", func(b *testing.B) {
		s := sides(b)
		for i := 0; b.Loop(); i++ {
			for _, sd := range s {
				serve(b, sd, http.MethodPut, "/api/assets/"+sd.id+".json", form("title", fmt.Sprint("title ", i)), http.StatusOK)
			}
		}
		report(b, s, "edits")
	})
}
