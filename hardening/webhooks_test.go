package hardening

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"damask/postgres/pgtest"
	"damask/seal"
	"damask/servertest"
	"damask/webhook"
)

// TestWebhookKilledWorker: at least once across a SIGKILL. A worker holds
// a delivery (the receiver does not answer it) and is killed; another
// worker, once the lease of the dead one's claim runs out, delivers it
// again with the same webhook-id and a valid signature, and the log says
// delivered. The real binary, as TestR48 kills its workers.
func TestWebhookKilledWorker(t *testing.T) {
	bin := servertest.Build(t)
	run := func(t *testing.T, stores []string) {
		var (
			mu      sync.Mutex
			seen    []string // webhook-id of each request, in order
			secret  string
			bad     []string
			arrived = make(chan struct{}, 10)
		)
		rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			body, _ := io.ReadAll(r.Body)
			mu.Lock()
			seen = append(seen, r.Header.Get("webhook-id"))
			first := len(seen) == 1
			if err := webhook.Verify(secret, r.Header, body, time.Now()); err != nil {
				bad = append(bad, err.Error())
			}
			mu.Unlock()
			arrived <- struct{}{}
			if first {
				<-r.Context().Done() // never answered: its worker dies holding it
				return
			}
			w.WriteHeader(http.StatusNoContent)
		}))
		defer rc.Close()

		allow := []string{"--allow-outgoing", "127.0.0.0/8"}
		// PostgreSQL has no key file beside it: the operator gives one.
		key := []string{"DAMASK_SECRET_KEY=" + seal.NewKey().String()}
		srv := serveOn(t, bin, key, stores, append([]string{"--no-workers"}, allow...)...)
		status, b := srv.admin.Do("POST", "/api/webhooks.json", "application/json",
			fmt.Appendf(nil, `{"url": %q, "events": ["tag."]}`, rc.URL+"/hook"))
		if status != http.StatusCreated {
			t.Fatalf("create webhook: %d %s", status, b)
		}
		var hook struct {
			ID     int64  `json:"id"`
			Secret string `json:"secret"`
		}
		if err := json.Unmarshal(b, &hook); err != nil {
			t.Fatal(err)
		}
		mu.Lock()
		secret = hook.Secret
		mu.Unlock()
		if status, b := srv.admin.Do("POST", "/api/tags.json", "application/x-www-form-urlencoded", []byte("tag=fresh")); status != http.StatusCreated {
			t.Fatalf("create tag: %d %s", status, b)
		}

		worker := func(name string) *servertest.Server {
			return servertest.Start(t, bin, key, "Damask worker is running",
				append(append([]string{"worker", "--webhook-workers", "1"}, allow...), stores...)...)
		}
		doomed := worker("doomed")
		select {
		case <-arrived:
		case <-time.After(2 * time.Minute):
			t.Fatal("no delivery reached the receiver")
		}
		doomed.Kill()
		gone := time.Now()
		survivor := worker("survivor")
		defer survivor.Stop()
		select {
		case <-arrived:
			t.Logf("delivered again %v after the kill", time.Since(gone).Round(time.Second))
		case <-time.After(2 * time.Minute):
			t.Fatal("the killed worker's delivery was not delivered again")
		}
		mu.Lock()
		if len(seen) != 2 || seen[0] != seen[1] || seen[0] == "" {
			t.Errorf("the receiver saw %v, want one webhook-id twice", seen)
		}
		for _, e := range bad {
			t.Errorf("a delivery did not verify: %s", e)
		}
		mu.Unlock()
		// The log follows once the survivor has recorded the answer.
		for deadline := time.Now().Add(time.Minute); ; {
			_, b := srv.admin.Do("GET", fmt.Sprintf("/api/webhooks/%d/deliveries.json", hook.ID), "", nil)
			var log []struct {
				State    string `json:"state"`
				Attempts int    `json:"attempts"`
				Status   int    `json:"status"`
			}
			if err := json.Unmarshal(b, &log); err != nil {
				t.Fatalf("%v: %s", err, b)
			}
			if len(log) == 1 && log[0].State == "delivered" {
				if log[0].Attempts != 2 || log[0].Status != http.StatusNoContent {
					t.Errorf("logged %+v, want delivered at the 2nd attempt with 204", log[0])
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("log %s", b)
			}
			time.Sleep(100 * time.Millisecond)
		}
	}
	t.Run("sqlite", func(t *testing.T) {
		t.Parallel()
		run(t, []string{"--data", filepath.Join(t.TempDir(), "data")})
	})
	t.Run("postgres", func(t *testing.T) {
		t.Parallel()
		run(t, []string{"--data", filepath.Join(t.TempDir(), "data"), "--db", pgtest.Database(t, "")})
	})
}
