package s3

import (
	"bytes"
	"crypto/sha256"
	"io"
	"os"
	"testing"
	"time"

	"damask"
	"damask/blob/s3/s3test"
)

// openVia opens a store of bucket through a fault proxy, with 5 MiB parts
// and retries tries per request.
func openVia(t *testing.T, p *s3test.Proxy, bucket string, retries int) *Store {
	t.Helper()
	c, err := parseURL(p.URL(bucket)+"&part-size=5", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c.retries = retries
	s, err := open(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if left := s.temporaries(t); len(left) > 0 {
			t.Errorf("left under .tmp: %v", left)
		}
	})
	return s
}

// Faults of the S3 server (RELIABILITY.md item 35), played by a proxy in
// front of a real one. Answers of 503 and connections reset in the
// middle of a part are retried with backoff by the client, and the write
// succeeds with the right bytes; a small file (one PUT) and a large one
// (a multipart upload) alike.
func TestTransientFaultsRetried(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	s := openVia(t, p, "transient", 0) // minio-go's own retries
	small := bytes.Repeat([]byte("small "), 1000)
	large := bytes.Repeat([]byte("large "), 12<<20/6) // three parts
	for _, tc := range []struct {
		name  string
		fault func()
		data  []byte
	}{
		{"503 on a PUT", func() { p.Fail503(3) }, small},
		{"503 on the parts", func() { p.Fail503(3) }, large},
		{"reset mid-part", func() { p.ResetMidBody(2, 1<<20) }, large},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := p.Requests()
			tc.fault()
			w, err := s.Create(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			defer w.Abort()
			if _, err := w.Write(tc.data); err != nil {
				t.Fatalf("Write: %v", err)
			}
			info, err := w.Commit(t.Context())
			if err != nil {
				t.Fatalf("Commit: %v", err)
			}
			if want := damask.BlobRef(sha256.Sum256(tc.data)); info.Ref != want || info.Size != int64(len(tc.data)) {
				t.Errorf("Commit = %v, want %s of %d bytes", info, want, len(tc.data))
			}
			r, err := s.Open(t.Context(), info.Ref)
			if err != nil {
				t.Fatal(err)
			}
			got, err := io.ReadAll(r)
			r.Close()
			if err != nil || !bytes.Equal(got, tc.data) {
				t.Errorf("read back %d bytes, %v; want the %d written", len(got), err, len(tc.data))
			}
			t.Logf("%d requests for the write", p.Requests()-before)
		})
	}
}

// The S3 server unreachable in the middle of a multipart upload: Commit
// fails, after the client's retries, within a bounded time; no object is
// stored; and once the server is back, the upload is aborted (the next
// write of the store retries the abort that failed) and nothing is left
// under .tmp, without waiting a day for removeStale.
func TestStoppedMidUpload(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	s := openVia(t, p, "stopped", 3)
	data := bytes.Repeat([]byte("cut off "), 12<<20/8)
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data[:6<<20]); err != nil { // the first part goes out
		t.Fatal(err)
	}
	p.Stop()
	start := time.Now()
	var werr error
	if _, werr = w.Write(data[6<<20:]); werr == nil {
		_, werr = w.Commit(t.Context())
	}
	took := time.Since(start)
	if werr == nil {
		t.Fatal("the write succeeded with the server unreachable")
	}
	t.Logf("failed after %v: %v", took, werr)
	// Generous, for a busy machine: what matters is that it ends.
	if took > 3*time.Minute {
		t.Errorf("the write took %v to fail", took)
	}
	w.Abort()

	p.Resume()
	if _, err := s.Stat(t.Context(), sha256.Sum256(data)); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat after the failed write: %v, want code %q", err, damask.ENOTFOUND)
	}
	// The next write goes through and aborts what was left.
	w2, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	w2.Write([]byte("after the outage"))
	if _, err := w2.Commit(t.Context()); err != nil {
		t.Fatalf("a write once the server is back: %v", err)
	}
	// openVia's cleanup checks that .tmp holds no object and no
	// unfinished upload.
}
