package jobs_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"path/filepath"
	"sync/atomic"
	"testing"
	"time"

	"damask"
	"damask/jobs"
	"damask/library"
	"damask/outbound"
	"damask/postgres"
	"damask/postgres/pgtest"
	"damask/seal"
	"damask/sqlite"
)

// BenchmarkDeliveries is one delivery worker on each store, sending
// queued webhooks (signed, through outbound) to a receiver on loopback
// that answers 204 at once; the deliveries spread over 20 webhooks, so
// that order per object holds none back. Each delivery is a claim and a
// record in the store, a commit each:
//
//	go test -run '^$' -bench BenchmarkDeliveries -benchtime 2000x ./jobs/
func BenchmarkDeliveries(b *testing.B) {
	stores := map[string]func(b *testing.B) damask.Store{
		"sqlite": func(b *testing.B) damask.Store {
			db, err := sqlite.Open(context.Background(), filepath.Join(b.TempDir(), "d.db"))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
		"postgres": func(b *testing.B) damask.Store {
			db, err := postgres.Open(context.Background(), pgtest.Database(b, ""))
			if err != nil {
				b.Fatal(err)
			}
			b.Cleanup(func() { db.Close() })
			return db
		},
	}
	for _, name := range []string{"sqlite", "postgres"} {
		b.Run(name, func(b *testing.B) {
			ctx := context.Background()
			var got atomic.Int64
			rc := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
				got.Add(1)
				w.WriteHeader(http.StatusNoContent)
			}))
			defer rc.Close()
			db := stores[name](b)
			svc, err := library.New(db, nil, library.Options{SecretKey: seal.NewKey(),
				Outbound: outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})})
			if err != nil {
				b.Fatal(err)
			}
			a, h, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe", HolderLogin: "holder",
				HolderEmail: "holder@acme.test", Password: "correct horse battery"})
			if err != nil {
				b.Fatal(err)
			}
			c := library.Caller{Account: a, User: h}
			var hooks []*damask.Webhook
			for range 20 {
				w, _, err := svc.CreateWebhook(ctx, c, library.WebhookInput{URL: &rc.URL, Events: &[]string{"tag.deleted"}})
				if err != nil {
					b.Fatal(err)
				}
				hooks = append(hooks, w)
			}
			now := time.Now()
			for i := range b.N {
				w := hooks[i%len(hooks)]
				d := &damask.Delivery{WebhookID: w.ID, AccountID: a.ID, EventType: damask.EventPing, EventAt: now,
					Object: "webhook", ObjectID: w.ID, GiveUpAt: now.Add(time.Hour)}
				if err := db.QueueDelivery(ctx, d); err != nil {
					b.Fatal(err)
				}
			}
			// The hourly housework's pruning, which on PostgreSQL also
			// refreshes the statistics the claims' plan needs, as a
			// running server has them.
			if _, err := db.PruneDeliveries(ctx, damask.DeliveriesKept); err != nil {
				b.Fatal(err)
			}
			pool := jobs.NewDeliveries(svc, svc.Deliver, jobs.Options{Workers: 1, Poll: time.Millisecond})
			rctx, cancel := context.WithCancel(ctx)
			defer cancel()
			b.ResetTimer()
			start := time.Now()
			done := make(chan struct{})
			go func() { pool.Run(rctx); close(done) }()
			for got.Load() < int64(b.N) {
				time.Sleep(time.Millisecond)
			}
			elapsed := time.Since(start)
			b.StopTimer()
			cancel()
			<-done
			b.ReportMetric(float64(b.N)/elapsed.Seconds(), "deliveries/s")
		})
	}
}
