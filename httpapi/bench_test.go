package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"runtime"
	"sync/atomic"
	"testing"
	"time"
)

// The hot read paths of the API, in process (no network), so that a
// profile shows the server's own cost per request:
//
//	go test -run '^$' -bench . -cpuprofile cpu.out ./httpapi/
//
// make bench measures the same routes over loopback with 64 connections.

// BenchmarkGetAsset is GET /api/assets/ID.xml with Basic auth, as a
// fluxiom client sends it on every request.
func BenchmarkGetAsset(b *testing.B) {
	for _, ext := range []string{".xml", ".json"} {
		b.Run(ext[1:], func(b *testing.B) {
			e, tn := benchEnv(b, 1)
			benchGet(b, e, tn, "/api/assets/1"+ext)
		})
	}
}

// BenchmarkListAssets is GET /api/assets.xml?per_page=25, the first page
// of a library of 200 assets.
func BenchmarkListAssets(b *testing.B) {
	for _, ext := range []string{".xml", ".json"} {
		b.Run(ext[1:], func(b *testing.B) {
			e, tn := benchEnv(b, 200)
			benchGet(b, e, tn, "/api/assets"+ext+"?per_page=25")
		})
	}
}

// benchEnv is a server whose account acme holds n small assets with tags.
func benchEnv(b *testing.B, n int) (*env, *tenant) {
	b.Helper()
	e := newEnv(b, setup{})
	tn := e.tenant(b, "acme", "deluxe")
	for i := range n {
		tn.member.createAsset(b, fmt.Sprintf("IMG_%04d.jpg", i), []byte(fmt.Sprintf("file %d", i)),
			"asset[title]", fmt.Sprintf("Harbour at dusk %d", i), "asset[tags]", "harbour,dusk,print")
	}
	return e, tn
}

// benchGet serves path to the member from every core at once.
func benchGet(b *testing.B, e *env, tn *tenant, path string) {
	h := e.srv.Config.Handler
	get := func() *httptest.ResponseRecorder {
		req := httptest.NewRequest(http.MethodGet, path, nil)
		req.Host = tn.member.host
		req.SetBasicAuth(tn.member.login, tn.member.password)
		rec := httptest.NewRecorder()
		h.ServeHTTP(rec, req)
		return rec
	}
	if rec := get(); rec.Code != http.StatusOK {
		b.Fatalf("GET %s: %d %s", path, rec.Code, rec.Body)
	}
	b.ReportAllocs()
	b.ResetTimer()
	b.RunParallel(func(pb *testing.PB) {
		for pb.Next() {
			if rec := get(); rec.Code != http.StatusOK {
				b.Errorf("GET %s: %d", path, rec.Code)
				io.Copy(io.Discard, rec.Body)
				return
			}
		}
	})
}

// BenchmarkUpload is POST /api/upload.xml of a 256 MiB raw body over
// loopback, through the whole stack (Basic auth, the service, the disk
// blob store, SQLite), next to the references make bench holds it against
// (PERFORMANCE.md): the plainest Go sink that stores a body durably
// (io.Copy to a temporary file, fsync, rename; "sink") and the same with
// SHA-256 in the same loop ("sink-sha256"). The target is damask >= 0.85x
// sink. Each iteration sends different bytes, so that none is a copy of a
// stored file. Run the three alternately and profile the server's side:
//
//	go test -run '^$' -bench 'BenchmarkUpload$' -benchtime 4x -count 3 -cpuprofile cpu.out ./httpapi/
func BenchmarkUpload(b *testing.B) {
	const size = 256 << 20
	chunk := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{7}).Read(chunk)
	send := func(b *testing.B, url, host string, auth func(*http.Request), i int) {
		req, err := http.NewRequest(http.MethodPost, url, &repeatBody{chunk: chunk, stamp: uint64(i)<<32 | uint64(time.Now().UnixNano()), left: size})
		if err != nil {
			b.Fatal(err)
		}
		req.ContentLength = size
		req.Host = host
		req.Header.Set("Content-Type", "application/octet-stream")
		if auth != nil {
			auth(req)
		}
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			b.Fatal(err)
		}
		body, _ := io.ReadAll(res.Body)
		res.Body.Close()
		if res.StatusCode/100 != 2 {
			b.Fatalf("POST %s: %d %s", url, res.StatusCode, body)
		}
	}
	for _, hashed := range []bool{false, true} {
		name := "sink"
		if hashed {
			name = "sink-sha256"
		}
		b.Run(name, func(b *testing.B) {
			srv := httptest.NewServer(sink(b.TempDir(), hashed))
			defer srv.Close()
			b.SetBytes(size)
			for i := 0; b.Loop(); i++ {
				send(b, srv.URL, "", nil, i)
			}
		})
	}
	b.Run("damask", func(b *testing.B) {
		e := newEnv(b, setup{maxFile: 8 << 30})
		tn := e.tenant(b, "acme", "deluxe")
		c := tn.member
		b.SetBytes(size)
		for i := 0; b.Loop(); i++ {
			send(b, e.srv.URL+"/api/upload.xml?filename=big.bin", c.host,
				func(r *http.Request) { r.SetBasicAuth(c.login, c.password) }, i)
		}
	})
}

// sink is the reference of an upload (bench/refs.go): every POST's body is
// copied to a new file in dir with io.Copy, fsynced and renamed into
// place, its SHA-256 computed in the same loop when hashed.
func sink(dir string, hashed bool) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := os.CreateTemp(dir, "up-")
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer os.Remove(f.Name())
		var dst io.Writer = f
		sum := sha256.New()
		if hashed {
			dst = io.MultiWriter(f, sum)
		}
		_, err = io.Copy(dst, r.Body)
		if err == nil {
			err = f.Sync()
		}
		if cerr := f.Close(); err == nil {
			err = cerr
		}
		if err == nil {
			err = os.Rename(f.Name(), f.Name()+".done")
		}
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		os.Remove(f.Name() + ".done")
		fmt.Fprintf(w, "%x\n", sum.Sum(nil))
	})
}

// repeatBody reads chunk over and over until left bytes are read, with
// stamp in the first bytes of each chunk, so that no two bodies are alike.
type repeatBody struct {
	chunk []byte
	stamp uint64
	off   int
	left  int
	n     uint64
}

func (r *repeatBody) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	if r.off == 0 {
		binary.LittleEndian.PutUint64(r.chunk, r.stamp)
		binary.LittleEndian.PutUint64(r.chunk[8:], r.n)
		r.n++
	}
	n := copy(p[:min(len(p), r.left)], r.chunk[r.off:])
	r.off = (r.off + n) % len(r.chunk)
	r.left -= n
	return n, nil
}

// BenchmarkUploadSmall is POST /api/upload.xml of 100 KB raw bodies by
// four writers at once over loopback, through the whole stack, next to
// the plain sink (write + fsync + rename), as make bench's row "upload
// 1,000 x 100 KB, 4 writers" (target >= 0.8x the sink). Profile the
// server's side per upload:
//
//	go test -run '^$' -bench 'BenchmarkUploadSmall$' -benchtime 600x -cpuprofile cpu.out ./httpapi/
func BenchmarkUploadSmall(b *testing.B) {
	const size, writers = 100_000, 4
	run := func(b *testing.B, url, host string, auth func(*http.Request)) {
		var n atomic.Int64
		b.SetParallelism((writers + runtime.GOMAXPROCS(0) - 1) / runtime.GOMAXPROCS(0))
		b.RunParallel(func(pb *testing.PB) {
			body := make([]byte, size)
			rng := rand.NewChaCha8([32]byte{byte(time.Now().UnixNano())})
			for pb.Next() {
				rng.Read(body[:64]) // no body is a copy of a stored one
				binary.LittleEndian.PutUint64(body[64:], uint64(n.Add(1)))
				req, err := http.NewRequest(http.MethodPost, url, bytes.NewReader(body))
				if err != nil {
					b.Error(err)
					return
				}
				req.Host = host
				req.Header.Set("Content-Type", "application/octet-stream")
				if auth != nil {
					auth(req)
				}
				res, err := http.DefaultClient.Do(req)
				if err != nil {
					b.Error(err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if res.StatusCode/100 != 2 {
					b.Errorf("POST %s: %d", url, res.StatusCode)
					return
				}
			}
		})
		b.ReportMetric(float64(b.N)/b.Elapsed().Seconds(), "files/s")
	}
	b.Run("sink", func(b *testing.B) {
		srv := httptest.NewServer(sink(b.TempDir(), false))
		defer srv.Close()
		run(b, srv.URL, "", nil)
	})
	b.Run("damask", func(b *testing.B) {
		e := newEnv(b, setup{})
		tn := e.tenant(b, "acme", "deluxe")
		c := tn.member
		run(b, e.srv.URL+"/api/upload.xml?filename=small.bin", c.host,
			func(r *http.Request) { r.SetBasicAuth(c.login, c.password) })
	})
}
