package disk_test

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"io"
	"math/rand/v2"
	"os"
	"path/filepath"
	"testing"

	"damask/blob/disk"
)

// BenchmarkWrite stores 256 MiB per iteration through the store ("store"),
// against the references an upload is held to (PERFORMANCE.md): a plain
// file write + fsync + rename ("plain"), and the same with SHA-256 in the
// same loop ("inline", what io.MultiWriter does). The target is store >=
// 85% of plain. Each iteration writes different bytes, so no dedup.
//
//	go test -run '^$' -bench Write -benchtime 8x ./blob/disk
func BenchmarkWrite(b *testing.B) {
	const total = 256 << 20
	for _, chunk := range []int{1 << 20, 32 << 10} {
		buf := make([]byte, chunk)
		rand.NewChaCha8([32]byte{1}).Read(buf)
		// stamp makes iteration i's bytes unique.
		stamp := func(i int) { binary.LittleEndian.PutUint64(buf, uint64(i)) }

		b.Run(fmt.Sprintf("plain/%dKiB", chunk>>10), func(b *testing.B) {
			benchFile(b, buf, stamp, total, false)
		})
		b.Run(fmt.Sprintf("inline/%dKiB", chunk>>10), func(b *testing.B) {
			benchFile(b, buf, stamp, total, true)
		})
		b.Run(fmt.Sprintf("store/%dKiB", chunk>>10), func(b *testing.B) {
			s, err := disk.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := b.Context()
			b.SetBytes(total)
			for i := 0; b.Loop(); i++ {
				stamp(i)
				w, err := s.Create(ctx)
				if err != nil {
					b.Fatal(err)
				}
				for range total / chunk {
					if _, err := w.Write(buf); err != nil {
						b.Fatal(err)
					}
				}
				info, err := w.Commit(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, info.Ref); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
		// What an upload does: io.Copy from a body that reads 32 KiB at a
		// time, which goes through the writer's ReadFrom.
		b.Run(fmt.Sprintf("store-copy/%dKiB", chunk>>10), func(b *testing.B) {
			s, err := disk.Open(b.TempDir())
			if err != nil {
				b.Fatal(err)
			}
			defer s.Close()
			ctx := b.Context()
			b.SetBytes(total)
			for i := 0; b.Loop(); i++ {
				stamp(i)
				w, err := s.Create(ctx)
				if err != nil {
					b.Fatal(err)
				}
				if _, err := io.Copy(w, &repeatReader{buf: buf, left: total}); err != nil {
					b.Fatal(err)
				}
				info, err := w.Commit(ctx)
				if err != nil {
					b.Fatal(err)
				}
				b.StopTimer()
				if err := s.Delete(ctx, info.Ref); err != nil {
					b.Fatal(err)
				}
				b.StartTimer()
			}
		})
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

// benchFile is the reference: write a temporary file, fsync, close, rename,
// optionally hashing in the same loop.
func benchFile(b *testing.B, buf []byte, stamp func(int), total int, hash bool) {
	dir := b.TempDir()
	dst := filepath.Join(dir, "dst")
	b.SetBytes(int64(total))
	for i := 0; b.Loop(); i++ {
		stamp(i)
		f, err := os.CreateTemp(dir, "tmp-*")
		if err != nil {
			b.Fatal(err)
		}
		h := sha256.New()
		for range total / len(buf) {
			if _, err := f.Write(buf); err != nil {
				b.Fatal(err)
			}
			if hash {
				h.Write(buf)
			}
		}
		h.Sum(nil)
		if err := f.Sync(); err != nil {
			b.Fatal(err)
		}
		if err := f.Close(); err != nil {
			b.Fatal(err)
		}
		if err := os.Rename(f.Name(), dst); err != nil {
			b.Fatal(err)
		}
		b.StopTimer()
		os.Remove(dst)
		b.StartTimer()
	}
}
