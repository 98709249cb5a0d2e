package main

import (
	"context"
	"fmt"
	"math/rand/v2"
	"net/http"
	"slices"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/postgres/pgtest"
	"damask/servertest"
)

// TestCrashRetryWithIdempotencyKey runs the real binary, sends uploads
// with an Idempotency-Key each and kills the server with SIGKILL while
// they are in flight (RELIABILITY.md items 28 and 30). After a restart the
// client sends again, with its key, every upload whose answer it did not
// get, and every answered one too, as if that answer had been lost. Then
// each file exists exactly once, with the bytes that were sent, on SQLite
// and on PostgreSQL.
func TestCrashRetryWithIdempotencyKey(t *testing.T) {
	bin := servertest.Build(t)
	stores := []struct {
		name string
		args func(t *testing.T) []string
	}{
		{"sqlite", func(t *testing.T) []string { return nil }},
		{"postgres", func(t *testing.T) []string { return []string{"--db", pgtest.Database(t, "")} }},
	}
	for _, st := range stores {
		t.Run(st.name, func(t *testing.T) {
			crashRetry(t, bin, st.args(t))
		})
	}
}

func crashRetry(t *testing.T, bin string, dbArgs []string) {
	const (
		uploads   = 24
		killAfter = 8
		maxSize   = 4 << 20
	)
	data := t.TempDir()
	// The uploads all come from admin at once, past the per-user cap of
	// uploads at once: this test is about crashes.
	args := append(slices.Clone(dbArgs), noUploadCap...)
	srv := servertest.Serve(t, bin, data, args...)
	if out, err := servertest.Command(t, bin, nil, append([]string{"account", "api", "default", "on", "--data", data}, dbArgs...)...); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	client := &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)

	seed := uint64(time.Now().UnixNano())
	t.Logf("sizes and contents from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0x1de3))
	sizes := make([]int64, uploads)
	seeds := make([]uint64, uploads)
	keys := make([]string, uploads)
	for i := range sizes {
		sizes[i] = crashMinSize + rng.Int64N(maxSize-crashMinSize+1)
		seeds[i] = rng.Uint64()
		keys[i] = fmt.Sprintf("crash-retry-%d-%d", seed, i)
	}

	var (
		acked    atomic.Int32
		killOnce sync.Once
		results  = make([]uploadResult, uploads)
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := range uploads {
		wg.Go(func() {
			results[i] = upload(ctx, client, srv, i, seeds[i], sizes[i], keys[i])
			results[i].beforeKill = !srv.Killing()
			if results[i].status == http.StatusCreated && acked.Add(1) == killAfter {
				killOnce.Do(srv.Kill)
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() {
		t.Errorf("only %d uploads were acknowledged before the kill", acked.Load())
		srv.Kill()
	})
	client.CloseIdleConnections()
	srv.CheckLog()

	answered := map[int]int64{} // upload -> asset id
	var lost []int
	for i, r := range results {
		switch {
		case r.status == http.StatusCreated && r.err == nil:
			if r.gotHash != r.sent {
				t.Errorf("upload %d: answered sha256 %s, sent %s", i, r.gotHash, r.sent)
			}
			answered[i] = r.id
		case r.status != 0:
			t.Errorf("upload %d: %d %s", i, r.status, r.body)
		case r.beforeKill:
			t.Errorf("upload %d failed before the kill: %v", i, r.err)
		default:
			lost = append(lost, i)
		}
	}
	t.Logf("%d uploads answered, %d cut off by SIGKILL", len(answered), len(lost))
	if len(lost) == 0 {
		t.Errorf("no upload was in flight when the server was killed")
	}

	srv = servertest.Serve(t, bin, data, args...)
	client = &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)

	// Every upload again, with its key: the answered ones are replays of
	// the same asset; a cut-off one is a replay when its record committed
	// before the kill, else it is made now.
	committed := 0
	sent := make([]string, uploads) // SHA-256 of each file, sent whole
	for i := range uploads {
		r := upload(ctx, client, srv, i, seeds[i], sizes[i], keys[i])
		sent[i] = r.sent
		if r.status != http.StatusCreated || r.err != nil {
			t.Errorf("retry of upload %d: %d %v %s", i, r.status, r.err, r.body)
			continue
		}
		if r.gotHash != r.sent {
			t.Errorf("retry of upload %d: answered sha256 %s, sent %s", i, r.gotHash, r.sent)
		}
		if id, ok := answered[i]; ok {
			if !r.replayed || r.id != id {
				t.Errorf("retry of answered upload %d: asset %d (replayed %v), want a replay of asset %d", i, r.id, r.replayed, id)
			}
		} else if r.replayed {
			committed++
		}
	}
	t.Logf("%d of the cut-off uploads had committed before the kill; their retries answered the same asset", committed)

	// Each file exactly once, with its bytes.
	listed := listAssets(t, client, srv)
	byName := map[string][]assetXML{}
	for _, a := range listed {
		byName[a.Filename] = append(byName[a.Filename], a)
	}
	for i := range uploads {
		as := byName[fmt.Sprintf("crash-%02d.bin", i)]
		if len(as) != 1 {
			t.Errorf("upload %d is stored %d times, want once", i, len(as))
			continue
		}
		if as[0].SHA256 != sent[i] || as[0].Size != sizes[i] {
			t.Errorf("upload %d: stored %d bytes with sha256 %s, sent %d bytes with %s", i, as[0].Size, as[0].SHA256, sizes[i], sent[i])
		}
	}
	if len(listed) != uploads {
		t.Errorf("%d assets, want %d", len(listed), uploads)
	}
	srv.Stop()
	srv.CheckLog()
	out, err := servertest.Command(t, bin, nil, append([]string{"check", "--data", data}, dbArgs...)...)
	if err != nil {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}
