package tus_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding"
	"flag"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strconv"
	"sync/atomic"
	"testing"
	"time"

	"damask/blob/disk"
	"damask/httpapi"
	"damask/library"
	"damask/password"
	"damask/procstat"
	"damask/sqlite"
)

// The cost of a resumable upload next to the ceiling of the machine: a
// file sent in 64 MiB PATCHes through the real HTTP stack (loopback), to
// the disk store, against io.Copy of the same bytes into a file and an
// fsync (the plain sink, a server on loopback too), in the same run. Also measured: the server's
// RSS during the upload (the whole test process, which holds only a 1 MiB
// source buffer besides), and what tusd's own file store would add (the
// finished file read again and written under its SHA-256: a second copy).
//
//	go test -run XXX -bench Tus -benchtime 1x ./tus/            1 GiB
//	go test -run XXX -bench Tus -benchtime 1x -short ./tus/     256 MiB
//	go test -run XXX -bench Tus -benchtime 1x ./tus/ -args -tus.gib=4   4 GiB

var tusGiB = flag.Int("tus.gib", 0, "size of BenchmarkTusUpload's file in GiB (default 1, 256 MiB with -short)")

const patchSize = 64 << 20

func benchSize() int64 {
	switch {
	case *tusGiB > 0:
		return int64(*tusGiB) << 30
	case testing.Short():
		return 256 << 20
	}
	return 1 << 30
}

// source is n bytes made of a 1 MiB random block repeated, read without
// holding more than the block.
type source struct {
	block []byte
	left  int64
	off   int
}

func newSource(n int64) *source {
	b := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{42}).Read(b)
	return &source{block: b, left: n}
}

func (s *source) Read(p []byte) (int, error) {
	if s.left == 0 {
		return 0, io.EOF
	}
	p = p[:min(int64(len(p)), s.left)]
	n := 0
	for n < len(p) {
		k := copy(p[n:], s.block[s.off:])
		n += k
		s.off = (s.off + k) % len(s.block)
	}
	s.left -= int64(n)
	return n, nil
}

type benchEnv struct {
	srv  *httptest.Server
	dir  string
	host string
}

func newBenchEnv(b *testing.B, maxFile int64) *benchEnv {
	ctx := context.Background()
	dir := b.TempDir()
	db, err := sqlite.Open(ctx, filepath.Join(dir, "d.db"))
	if err != nil {
		b.Fatal(err)
	}
	blobs, err := disk.Open(filepath.Join(dir, "blobs"))
	if err != nil {
		b.Fatal(err)
	}
	svc, err := library.New(db, blobs, library.Options{MaxFileSize: maxFile,
		Password: password.Params{Memory: 64, Time: 1, Threads: 1}})
	if err != nil {
		b.Fatal(err)
	}
	if _, _, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "deluxe",
		HolderLogin: "holder", HolderEmail: "holder@acme.test", Password: "correct horse battery"}); err != nil {
		b.Fatal(err)
	}
	if err := svc.SetAPI(ctx, "acme", true); err != nil {
		b.Fatal(err)
	}
	srv := httptest.NewServer(httpapi.New(svc, httpapi.Config{Domain: "example.com"}))
	b.Cleanup(func() { srv.Close(); db.Close(); blobs.Close() })
	return &benchEnv{srv: srv, dir: dir, host: "acme.example.com"}
}

func (e *benchEnv) do(b *testing.B, method, path string, body io.Reader, n int64, h ...string) *http.Response {
	req, err := http.NewRequest(method, e.srv.URL+path, body)
	if err != nil {
		b.Fatal(err)
	}
	req.Host = e.host
	req.ContentLength = n
	req.SetBasicAuth("holder", "correct horse battery")
	req.Header.Set("Tus-Resumable", "1.0.0")
	for i := 0; i+1 < len(h); i += 2 {
		req.Header.Set(h[i], h[i+1])
	}
	res, err := e.srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	return res
}

// tusUpload sends size bytes in PATCHes of patchSize and answers the time.
func (e *benchEnv) tusUpload(b *testing.B, size int64) time.Duration {
	start := time.Now()
	res := e.do(b, "POST", "/api/uploads/tus/", nil, 0, "Upload-Length", strconv.FormatInt(size, 10),
		"Upload-Metadata", "filename YmlnLmJpbg==")
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("creation: %s", res.Status)
	}
	loc := res.Header.Get("Location")
	src := newSource(size)
	for off := int64(0); off < size; off += patchSize {
		n := min(patchSize, size-off)
		res := e.do(b, "PATCH", loc, io.LimitReader(src, n), n,
			"Upload-Offset", strconv.FormatInt(off, 10), "Content-Type", "application/offset+octet-stream")
		if res.StatusCode != http.StatusNoContent {
			b.Fatalf("PATCH at %d: %s", off, res.Status)
		}
	}
	return time.Since(start)
}

// sinkServer is the ceiling: the plainest Go server that stores a body
// durably (io.Copy from the request into a temporary file, fsync,
// rename), on loopback as the tus server is (PERFORMANCE.md's reference
// for uploads).
func sinkServer(b *testing.B, dir string) *httptest.Server {
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "sink-")
		if err == nil {
			_, err = io.Copy(f, r.Body)
		}
		if err == nil {
			err = f.Sync()
		}
		if err == nil {
			err = f.Close()
		}
		if err == nil {
			err = os.Rename(f.Name(), f.Name()+".done")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		os.Remove(f.Name() + ".done")
		w.WriteHeader(http.StatusCreated)
	}))
	b.Cleanup(srv.Close)
	return srv
}

// sink sends size bytes to the sink server in one PUT.
func sink(b *testing.B, srv *httptest.Server, size int64) time.Duration {
	start := time.Now()
	req, err := http.NewRequest("PUT", srv.URL, newSource(size))
	if err != nil {
		b.Fatal(err)
	}
	req.ContentLength = size
	res, err := srv.Client().Do(req)
	if err != nil {
		b.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusCreated {
		b.Fatalf("sink: %s", res.Status)
	}
	return time.Since(start)
}

// secondCopy is what a store that keeps a finished file under its own
// name adds: reading it again into the blob store, hashed, and an fsync.
func secondCopy(b *testing.B, dir string, size int64) time.Duration {
	f, err := os.CreateTemp(dir, "first-")
	if err != nil {
		b.Fatal(err)
	}
	defer os.Remove(f.Name())
	defer f.Close()
	if _, err := io.Copy(f, newSource(size)); err != nil {
		b.Fatal(err)
	}
	f.Sync()
	f.Seek(0, 0)
	blobs, err := disk.Open(filepath.Join(dir, "second"))
	if err != nil {
		b.Fatal(err)
	}
	defer blobs.Close()
	start := time.Now()
	w, err := blobs.Create(context.Background())
	if err != nil {
		b.Fatal(err)
	}
	if _, err := io.Copy(w, f); err != nil {
		b.Fatal(err)
	}
	if _, err := w.Commit(context.Background()); err != nil {
		b.Fatal(err)
	}
	return time.Since(start)
}

func BenchmarkTusUpload(b *testing.B) {
	size := benchSize()
	e := newBenchEnv(b, 1<<40)
	var peak atomic.Int64
	stop := make(chan struct{})
	sampled := make(chan struct{})
	go func() {
		defer close(sampled)
		t := time.NewTicker(50 * time.Millisecond)
		defer t.Stop()
		for {
			if r := procstat.RSS(os.Getpid()); r > peak.Load() {
				peak.Store(r)
			}
			select {
			case <-stop:
				return
			case <-t.C:
			}
		}
	}()
	ref := sinkServer(b, b.TempDir())
	var tusT, sinkT time.Duration
	b.SetBytes(size)
	for b.Loop() {
		sinkT += sink(b, ref, size)
		tusT += e.tusUpload(b, size)
	}
	close(stop)
	<-sampled
	second := secondCopy(b, e.dir, size)
	n := float64(b.N)
	mbs := func(d time.Duration) float64 { return float64(size) * n / d.Seconds() / 1e6 }
	b.ReportMetric(mbs(tusT), "tus_MB/s")
	b.ReportMetric(mbs(sinkT), "sink_MB/s")
	b.ReportMetric(sinkT.Seconds()/tusT.Seconds(), "tus/sink")
	b.ReportMetric(float64(peak.Load())/(1<<20), "peak_RSS_MiB")
	b.ReportMetric(second.Seconds()/(tusT.Seconds()/n), "second_copy/tus")
	b.Logf("%d MiB: tus %.0f MB/s, sink %.0f MB/s, ratio %.2f, peak RSS %d MiB; a second copy would add %.0f%% to the upload's time",
		size>>20, mbs(tusT), mbs(sinkT), sinkT.Seconds()/tusT.Seconds(), peak.Load()>>20, 100*second.Seconds()/(tusT.Seconds()/n))
}

// BenchmarkResumeHash: what a resume costs to go on hashing, by the
// state recorded with the offset (UnmarshalBinary of 108 bytes) or by
// reading the bytes already received again (here 256 MiB from memory:
// from the disk, slower still).
func BenchmarkResumeHash(b *testing.B) {
	h := sha256.New()
	h.Write([]byte("some bytes"))
	state, _ := h.(encoding.BinaryMarshaler).MarshalBinary()
	b.Run("stored state", func(b *testing.B) {
		for b.Loop() {
			h := sha256.New()
			if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(state); err != nil {
				b.Fatal(err)
			}
		}
	})
	b.Run("recompute 256 MiB", func(b *testing.B) {
		buf := bytes.Repeat([]byte{7}, 1<<20)
		b.SetBytes(256 << 20)
		for b.Loop() {
			h := sha256.New()
			for range 256 {
				h.Write(buf)
			}
		}
	})
	fmt.Fprint(io.Discard, len(state))
}
