package main

import (
	"bytes"
	"context"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync"
	"testing"
	"time"

	"damask/client"
	"damask/client/clienttest"
)

// BenchmarkClientPush: `damask push` of a folder of 1,000 files of 100 KB
// (4 at once) to a real server in the same process (SQLite and disk in
// the test's temporary folder), against the ceiling of the same files:
// write + fsync + rename by 4 writers on the same disk, raw, and through
// a plain HTTP sink (POST, io.Copy, fsync, rename) as `make bench`'s
// reference. Each round alternates the three; the figures are files/s and
// push's ratio to each ceiling.
//
//	go test -run XXX -bench ClientPush -benchtime 3x ./cmd/damask/
func BenchmarkClientPush(b *testing.B) {
	const files, size, writers = 1000, 100_000, 4
	src := filepath.Join(b.TempDir(), "folder")
	if err := os.MkdirAll(src, 0o755); err != nil {
		b.Fatal(err)
	}
	contents := make([][]byte, files)
	for i := range files {
		contents[i] = make([]byte, size)
		rand.NewChaCha8([32]byte{byte(i), byte(i >> 8), 77}).Read(contents[i])
		if err := os.WriteFile(filepath.Join(src, strconv.Itoa(i)+".bin"), contents[i], 0o644); err != nil {
			b.Fatal(err)
		}
	}
	var raw, sink, ours, direct []float64
	round := 0
	for b.Loop() {
		round++
		// Raw: write + fsync + rename, 4 writers.
		dir := b.TempDir()
		t0 := time.Now()
		parallel(files, writers, func(i int) {
			if err := writeSync(dir, strconv.Itoa(i), bytes.NewReader(contents[i])); err != nil {
				b.Fatal(err)
			}
		})
		raw = append(raw, files/time.Since(t0).Seconds())

		// The plain HTTP sink, 4 clients.
		sdir := b.TempDir()
		var n sync.Mutex
		seq := 0
		srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			n.Lock()
			seq++
			name := strconv.Itoa(seq)
			n.Unlock()
			if err := writeSync(sdir, name, r.Body); err != nil {
				http.Error(w, err.Error(), http.StatusInternalServerError)
				return
			}
			w.WriteHeader(http.StatusCreated)
		}))
		t0 = time.Now()
		parallel(files, writers, func(i int) {
			f, err := os.Open(filepath.Join(src, strconv.Itoa(i)+".bin"))
			if err != nil {
				b.Fatal(err)
			}
			defer f.Close()
			res, err := http.Post(srv.URL+"/", "application/octet-stream", f)
			if err != nil {
				b.Fatal(err)
			}
			io.Copy(io.Discard, res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				b.Fatalf("sink: %d", res.StatusCode)
			}
		})
		sink = append(sink, files/time.Since(t0).Seconds())
		srv.Close()

		// The server's own one-request upload (POST /api/upload, multipart, no asset), 4 clients: what any client can reach.
		{
			b.StopTimer()
			s := clienttest.Start(b, clienttest.Options{})
			c, _ := clientNew(s.URL)
			b.StartTimer()
			t0 := time.Now()
			parallel(files, writers, func(i int) {
				f, err := os.Open(filepath.Join(src, strconv.Itoa(i)+".bin"))
				if err != nil {
					b.Fatal(err)
				}
				defer f.Close()
				if _, err := c.Upload(context.Background(), strconv.Itoa(i)+".bin", f); err != nil {
					b.Fatal(err)
				}
			})
			direct = append(direct, files/time.Since(t0).Seconds())
		}

		// damask push to a fresh server.
		b.StopTimer()
		s := clienttest.Start(b, clienttest.Options{})
		env := map[string]string{"DAMASK_CONFIG_DIR": b.TempDir(), "DAMASK_PASSWORD": clienttest.Password}
		getenv := func(k string) string { return env[k] }
		if err := run(context.Background(), []string{"login", s.URL, "--user", clienttest.Login}, getenv, nil, io.Discard, io.Discard); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
		t0 = time.Now()
		var out bytes.Buffer
		if err := run(context.Background(), []string{"push", src, "--jobs", strconv.Itoa(writers)}, getenv, nil, &out, io.Discard); err != nil {
			b.Fatalf("push: %v\n%s", err, out.String())
		}
		ours = append(ours, files/time.Since(t0).Seconds())
		if !bytes.Contains(out.Bytes(), []byte("1000 sent, 0 skipped, 0 failed")) {
			b.Fatalf("push: %s", out.Bytes()[max(0, out.Len()-200):])
		}
		b.Logf("round %d: raw %.0f files/s, sink %.0f, push %.0f (%.2fx raw, %.2fx sink)", round, raw[round-1], sink[round-1], ours[round-1],
			ours[round-1]/raw[round-1], ours[round-1]/sink[round-1])
	}
	m := func(v []float64) float64 {
		var s float64
		for _, x := range v {
			s += x
		}
		return s / float64(len(v))
	}
	b.ReportMetric(m(raw), "raw-files/s")
	b.ReportMetric(m(sink), "sink-files/s")
	b.ReportMetric(m(ours), "push-files/s")
	b.ReportMetric(m(direct), "upload-files/s")
	b.ReportMetric(m(ours)/m(raw), "x-raw")
	b.ReportMetric(m(ours)/m(sink), "x-sink")
}

// parallel calls f(0..n-1) from w goroutines.
func parallel(n, w int, f func(int)) {
	next := make(chan int)
	var wg sync.WaitGroup
	for range w {
		wg.Go(func() {
			for i := range next {
				f(i)
			}
		})
	}
	for i := range n {
		next <- i
	}
	close(next)
	wg.Wait()
}

// writeSync writes r to dir/name by a temporary file, fsync and rename.
func writeSync(dir, name string, r io.Reader) error {
	f, err := os.CreateTemp(dir, ".tmp-*")
	if err != nil {
		return err
	}
	if _, err := io.Copy(f, r); err != nil {
		f.Close()
		return err
	}
	if err := f.Sync(); err != nil {
		f.Close()
		return err
	}
	if err := f.Close(); err != nil {
		return err
	}
	return os.Rename(f.Name(), filepath.Join(dir, name))
}

func clientNew(u string) (*client.Client, error) {
	return client.New(u, client.WithBasicAuth(clienttest.Login, clienttest.Password))
}
