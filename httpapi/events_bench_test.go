package httpapi_test

import (
	"bytes"
	"fmt"
	"net/http"
	"net/http/httptest"
	"testing"
)

// BenchmarkChangeEvents is the cost of the events on the write paths:
// creating an asset (POST /api/assets.json, a 4 KiB file in multipart)
// and editing one (PUT /api/assets/ID.json, a new title), each of which
// writes its event in its transaction, in the same run without and with a
// webhook that wants every event (whose delivery is then queued in the
// same transaction; no worker sends it here). In process, one request at
// a time, SQLite with its fsync per commit:
//
//	go test -run '^$' -bench 'BenchmarkChangeEvents' -benchtime 2s -count 3 ./httpapi/
func BenchmarkChangeEvents(b *testing.B) {
	content := bytes.Repeat([]byte("damask "), 4096/7)
	for _, hooked := range []bool{false, true} {
		name := "no-webhook"
		if hooked {
			name = "webhook"
		}
		setupEnv := func(b *testing.B) (*env, *tenant) {
			e := newEnv(b, setup{})
			tn := e.tenant(b, "acme", "deluxe")
			if hooked {
				tn.admin.send(b, "POST", "/api/webhooks.json", form("url", "http://127.0.0.1:9/hook", "events", "*")).want(b, 201)
			}
			return e, tn
		}
		b.Run("create/"+name, func(b *testing.B) {
			e, tn := setupEnv(b)
			h := e.srv.Config.Handler
			for i := 0; b.Loop(); i++ {
				data := append([]byte(fmt.Sprint(i, " ")), content...)
				p := multipartBody(file{"file", fmt.Sprintf("f%d.txt", i), data}, "title", "harbour")
				req := httptest.NewRequest(http.MethodPost, "/api/assets.json", bytes.NewReader(p.data))
				req.Host = tn.member.host
				req.Header.Set("Content-Type", p.ct)
				req.SetBasicAuth(tn.member.login, tn.member.password)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusCreated {
					b.Fatalf("create: %d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "creates/s")
		})
		b.Run("edit/"+name, func(b *testing.B) {
			e, tn := setupEnv(b)
			id := id(b, tn.member.createAsset(b, "a.txt", content))
			h := e.srv.Config.Handler
			for i := 0; b.Loop(); i++ {
				p := form("title", fmt.Sprint("title ", i))
				req := httptest.NewRequest(http.MethodPut, "/api/assets/"+id+".json", bytes.NewReader(p.data))
				req.Host = tn.member.host
				req.Header.Set("Content-Type", p.ct)
				req.SetBasicAuth(tn.member.login, tn.member.password)
				rec := httptest.NewRecorder()
				h.ServeHTTP(rec, req)
				if rec.Code != http.StatusOK {
					b.Fatalf("edit: %d %s", rec.Code, rec.Body)
				}
			}
			b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "edits/s")
		})
	}
}
