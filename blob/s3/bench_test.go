package s3_test

import (
	"encoding/binary"
	"io"
	"math/rand/v2"
	"runtime"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/blob/s3"
	"damask/blob/s3/s3test"
)

// BenchmarkWrite stores a 256 MiB file per iteration, as an upload does
// (io.Copy from a body read 32 KiB at a time), through a disk store and
// through S3 stores on a versitygw on the same machine (whose disk writes
// the bytes several times: parts, the completed object, its copy into
// place). commit-s/op is the part of the time spent in Commit (for a large
// file on S3: completing the upload and the copy into place, both inside
// the server). peak-heap-MiB is the most heap in use during the writes
// (the S3 store holds two parts, plus what the garbage collector has not
// yet taken). Each iteration writes different bytes.
//
//	go test -run '^$' -bench Write -benchtime 3x ./blob/s3
func BenchmarkWrite(b *testing.B) {
	const total = 256 << 20
	buf := make([]byte, 1<<20)
	rand.NewChaCha8([32]byte{1}).Read(buf)
	stamp := func(i int) { binary.LittleEndian.PutUint64(buf, uint64(i)) }

	b.Run("disk", func(b *testing.B) {
		s, err := disk.Open(b.TempDir())
		if err != nil {
			b.Fatal(err)
		}
		defer s.Close()
		benchStore(b, s, buf, stamp, total)
	})
	srv := s3test.StartServer(b)
	for _, c := range []struct{ name, opts string }{
		{"s3", ""},
		{"s3/part-size=16", "&part-size=16"},
		{"s3/part-size=64", "&part-size=64"},
	} {
		b.Run(c.name, func(b *testing.B) {
			s, err := s3.Open(b.Context(), srv.URL("bench")+c.opts)
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			benchStore(b, s, buf, stamp, total)
		})
	}
}

func benchStore(b *testing.B, s damask.BlobStore, buf []byte, stamp func(int), total int) {
	ctx := b.Context()
	stop := sampleHeap(b)
	defer stop()
	b.SetBytes(int64(total))
	var inCommit time.Duration
	defer func() { b.ReportMetric(inCommit.Seconds()/float64(b.N), "commit-s/op") }()
	for i := 0; b.Loop(); i++ {
		stamp(i)
		w, err := s.Create(ctx)
		if err != nil {
			b.Fatal(err)
		}
		if _, err := io.Copy(w, &repeatReader{buf: buf, left: total}); err != nil {
			b.Fatal(err)
		}
		start := time.Now()
		info, err := w.Commit(ctx)
		if err != nil {
			b.Fatal(err)
		}
		inCommit += time.Since(start)
		b.StopTimer()
		if err := s.Delete(ctx, info.Ref); err != nil {
			b.Fatal(err)
		}
		b.StartTimer()
	}
}

// sampleHeap reports, when stopped, the most heap in use it saw.
func sampleHeap(b *testing.B) (stop func()) {
	runtime.GC()
	var peak uint64
	done := make(chan struct{})
	var wg sync.WaitGroup
	wg.Go(func() {
		var m runtime.MemStats
		t := time.NewTicker(5 * time.Millisecond)
		defer t.Stop()
		for {
			runtime.ReadMemStats(&m)
			peak = max(peak, m.HeapInuse)
			select {
			case <-done:
				return
			case <-t.C:
			}
		}
	})
	return func() {
		close(done)
		wg.Wait()
		b.ReportMetric(float64(peak)/(1<<20), "peak-heap-MiB")
	}
}

// repeatReader reads buf over and over, at most 32 KiB per Read like a
// network body, until left bytes are read.
type repeatReader struct {
	buf  []byte
	off  int
	left int
}

func (r *repeatReader) Read(p []byte) (int, error) {
	if r.left == 0 {
		return 0, io.EOF
	}
	n := copy(p[:min(len(p), 32<<10, r.left)], r.buf[r.off:])
	r.off = (r.off + n) % len(r.buf)
	r.left -= n
	return n, nil
}
