package httpapi_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"sync/atomic"
	"testing"
	"time"

	"damask/jobs"
)

// BenchmarkWebhookDelivery is one worker delivering queued webhooks to a
// receiver on loopback that answers 204 at once: each delivery is a claim
// and a record in SQLite (a commit each) around a signed POST. The pings
// are queued first, outside the timer, spread over many objects as real
// events are (a ping's object is its webhook: 20 webhooks):
//
//	go test -run '^$' -bench 'BenchmarkWebhookDelivery' -benchtime 2000x ./httpapi/
func BenchmarkWebhookDelivery(b *testing.B) {
	var got atomic.Int64
	rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		got.Add(1)
		w.WriteHeader(http.StatusNoContent)
	}))
	defer rc.Close()
	e := newEnv(b, setup{})
	tn := e.tenant(b, "acme", "deluxe")
	var hooks []string
	for range 20 {
		hooks = append(hooks, id(b, tn.admin.send(b, "POST", "/api/webhooks.json", form("url", rc.URL, "events", "tag.deleted")).want(b, 201).obj(b)))
	}
	b.StopTimer()
	for i := range b.N {
		tn.admin.send(b, "POST", "/api/webhooks/"+hooks[i%len(hooks)]+"/ping.json", payload{}).want(b, 202)
	}
	pool := jobs.NewDeliveries(e.svc, e.svc.Deliver, jobs.Options{Workers: 1, Poll: time.Millisecond})
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	start := time.Now()
	b.StartTimer()
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	for got.Load() < int64(b.N) {
		time.Sleep(time.Millisecond)
	}
	b.StopTimer()
	elapsed := time.Since(start)
	cancel()
	<-done
	b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
}
