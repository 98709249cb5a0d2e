// Package blobtest is the conformance suite of damask.BlobStore: every
// implementation (blob/disk, blob/s3) runs it from its own tests, so that
// they all keep the same contract — content addressing, dedup that renews
// ModTime, ENOTFOUND for missing files, nothing left behind by Abort or a
// canceled context, and safe concurrent writers.
package blobtest

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
)

// Run runs the suite. open answers a new, empty store each time it is
// called; it registers any cleanup with t.
func Run(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	t.Run("Commit", func(t *testing.T) { testCommit(t, open) })
	t.Run("Seek", func(t *testing.T) { testSeek(t, open) })
	t.Run("Missing", func(t *testing.T) { testMissing(t, open) })
	t.Run("Dedup", func(t *testing.T) { testDedup(t, open) })
	t.Run("Abort", func(t *testing.T) { testAbort(t, open) })
	t.Run("Delete", func(t *testing.T) { testDelete(t, open) })
	t.Run("Walk", func(t *testing.T) { testWalk(t, open) })
	t.Run("Concurrent", func(t *testing.T) { testConcurrent(t, open) })
	t.Run("Canceled", func(t *testing.T) { testCanceled(t, open) })
	t.Run("Quarantine", func(t *testing.T) { testQuarantine(t, open) })
}

// oddChunks are write sizes that match no buffer or block size, cycled
// through when writing a file in pieces.
var oddChunks = []int{1, 7, 4093, 65537, 1<<20 + 3, 511, 300001}

func testCommit(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	tests := []struct {
		name   string
		size   int
		chunks []int // nil writes the whole file at once
	}{
		{"empty", 0, nil},
		{"one byte", 1, nil},
		{"one write", 100_000, nil},
		{"odd chunks", 5<<20 + 17, oddChunks},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			ctx := t.Context()
			s := open(t)
			data := content(uint64(tt.size), tt.size)
			start := time.Now()

			info := commit(t, s, data, tt.chunks)

			want := damask.BlobInfo{Ref: sha256.Sum256(data), Size: int64(tt.size)}
			if diff := cmp.Diff(want, info, ignoreModTime); diff != "" {
				t.Errorf("Commit info (-want +got):\n%s", diff)
			}
			checkRecent(t, "Commit ModTime", info.ModTime, start)
			if got := read(t, s, want.Ref); !bytes.Equal(got, data) {
				t.Errorf("Open read %s, want the %d bytes written", describe(got, data), len(data))
			}
			st, err := s.Stat(ctx, want.Ref)
			if err != nil {
				t.Fatalf("Stat: %v", err)
			}
			if diff := cmp.Diff(want, st, ignoreModTime); diff != "" {
				t.Errorf("Stat (-want +got):\n%s", diff)
			}
			checkRecent(t, "Stat ModTime", st.ModTime, start)
		})
	}
}

func testSeek(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	s := open(t)
	data := content(1, 3<<20+5)
	ref := commit(t, s, data, oddChunks).Ref
	n := int64(len(data))

	tests := []struct {
		name   string
		offset int64
		whence int
		want   int64 // position after Seek
		read   int
	}{
		{"start", 0, io.SeekStart, 0, 100},
		{"middle", 1<<20 + 1, io.SeekStart, 1<<20 + 1, 70000},
		{"from end", -10, io.SeekEnd, n - 10, 10},
		{"at end", 0, io.SeekEnd, n, 0},
		{"current", 12345, io.SeekCurrent, 12345, 1}, // from a fresh Open at 0
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r, err := s.Open(t.Context(), ref)
			if err != nil {
				t.Fatalf("Open: %v", err)
			}
			defer r.Close()
			pos, err := r.Seek(tt.offset, tt.whence)
			if err != nil || pos != tt.want {
				t.Fatalf("Seek(%d, %d) = %d, %v; want %d", tt.offset, tt.whence, pos, err, tt.want)
			}
			got := make([]byte, tt.read)
			if _, err := io.ReadFull(r, got); err != nil {
				t.Fatalf("read %d bytes at %d: %v", tt.read, pos, err)
			}
			if want := data[pos : pos+int64(tt.read)]; !bytes.Equal(got, want) {
				t.Errorf("read at %d: %s", pos, describe(got, want))
			}
			if pos+int64(tt.read) == n {
				// io.EOF itself, as io.Reader promises: io.Copy and others compare.
				if m, err := r.Read(make([]byte, 1)); m != 0 || err != io.EOF { //nolint:errorlint // the very value is the contract
					t.Errorf("Read at the end = %d, %v; want 0, io.EOF", m, err)
				}
			}
		})
	}
}

func testMissing(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	// A store holding another file must still say not found.
	commit(t, s, []byte("something else"), nil)
	ref := damask.BlobRef(sha256.Sum256([]byte("never stored")))

	r, err := s.Open(ctx, ref)
	if err == nil {
		r.Close()
	}
	if code := damask.ErrorCode(err); code != damask.ENOTFOUND {
		t.Errorf("Open of a missing file: error %v (code %q), want code %q", err, code, damask.ENOTFOUND)
	}
	_, err = s.Stat(ctx, ref)
	if code := damask.ErrorCode(err); code != damask.ENOTFOUND {
		t.Errorf("Stat of a missing file: error %v (code %q), want code %q", err, code, damask.ENOTFOUND)
	}
	if p, ok := s.(damask.BlobPather); ok {
		_, err = p.Path(ref)
		if code := damask.ErrorCode(err); code != damask.ENOTFOUND {
			t.Errorf("Path of a missing file: error %v (code %q), want code %q", err, code, damask.ENOTFOUND)
		}
	}
}

func testDedup(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	data := content(2, 200_000)
	first := commit(t, s, data, nil)

	// Stores may keep ModTime to the second only (S3's Last-Modified does):
	// commit again in the next second, so that renewal must show.
	time.Sleep(time.Until(first.ModTime.Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	second := commit(t, s, data, []int{4096})

	if diff := cmp.Diff(first, second, ignoreModTime); diff != "" {
		t.Errorf("second Commit info (-first +second):\n%s", diff)
	}
	if !second.ModTime.After(first.ModTime) {
		t.Errorf("second Commit ModTime = %v, want after the first's %v", second.ModTime, first.ModTime)
	}
	st, err := s.Stat(ctx, first.Ref)
	if err != nil {
		t.Fatalf("Stat: %v", err)
	}
	if !st.ModTime.After(first.ModTime) {
		t.Errorf("Stat ModTime = %v, want renewed after the first Commit's %v", st.ModTime, first.ModTime)
	}
	if diff := cmp.Diff(map[damask.BlobRef]int64{first.Ref: first.Size}, Listed(t, s)); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	if got := read(t, s, first.Ref); !bytes.Equal(got, data) {
		t.Errorf("Open read %s", describe(got, data))
	}
}

func testAbort(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()

	t.Run("before Commit", func(t *testing.T) {
		s := open(t)
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		data := content(3, 100_000)
		write(t, w, data, oddChunks)
		if err := w.Abort(); err != nil {
			t.Fatalf("Abort: %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("second Abort: %v", err)
		}
		if got := Listed(t, s); len(got) != 0 {
			t.Errorf("Walk after Abort found %v, want nothing", got)
		}
		if _, err := s.Stat(ctx, sha256.Sum256(data)); damask.ErrorCode(err) != damask.ENOTFOUND {
			t.Errorf("Stat after Abort: error %v, want code %q", err, damask.ENOTFOUND)
		}
	})

	t.Run("after Commit", func(t *testing.T) {
		s := open(t)
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		data := content(4, 1000)
		write(t, w, data, nil)
		info, err := w.Commit(ctx)
		if err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after Commit: %v", err)
		}
		if got := read(t, s, info.Ref); !bytes.Equal(got, data) {
			t.Errorf("Open after Abort after Commit read %s", describe(got, data))
		}
	})

	t.Run("without writing", func(t *testing.T) {
		s := open(t)
		w, err := s.Create(ctx)
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort: %v", err)
		}
		if got := Listed(t, s); len(got) != 0 {
			t.Errorf("Walk after Abort found %v, want nothing", got)
		}
	})
}

func testDelete(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	keep := commit(t, s, []byte("keep"), nil)
	gone := commit(t, s, []byte("gone"), nil)

	if err := s.Delete(ctx, gone.Ref); err != nil {
		t.Fatalf("Delete: %v", err)
	}
	r, err := s.Open(ctx, gone.Ref)
	if err == nil {
		r.Close()
	}
	if code := damask.ErrorCode(err); code != damask.ENOTFOUND {
		t.Errorf("Open after Delete: error %v (code %q), want code %q", err, code, damask.ENOTFOUND)
	}
	if _, err := s.Stat(ctx, gone.Ref); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat after Delete: error %v, want code %q", err, damask.ENOTFOUND)
	}
	if err := s.Delete(ctx, gone.Ref); err != nil {
		t.Errorf("Delete of a deleted file: %v, want nil", err)
	}
	if err := s.Delete(ctx, sha256.Sum256([]byte("never stored"))); err != nil {
		t.Errorf("Delete of a missing file: %v, want nil", err)
	}
	if diff := cmp.Diff(map[damask.BlobRef]int64{keep.Ref: keep.Size}, Listed(t, s)); diff != "" {
		t.Errorf("Walk after Delete (-want +got):\n%s", diff)
	}
	// A deleted file can be stored again.
	again := commit(t, s, []byte("gone"), nil)
	if got := read(t, s, again.Ref); string(got) != "gone" {
		t.Errorf("Open after storing again read %q, want %q", got, "gone")
	}
}

func testWalk(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	if got := Listed(t, s); len(got) != 0 {
		t.Errorf("Walk of an empty store found %v", got)
	}

	want := map[damask.BlobRef]int64{}
	for i, size := range []int{0, 1, 2, 100, 4096, 4097, 65536, 1 << 20} {
		info := commit(t, s, content(uint64(100+i), size), nil)
		want[info.Ref] = info.Size
	}
	if diff := cmp.Diff(want, Listed(t, s)); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}

	// What Walk lists can be verified against its name.
	err := s.Walk(ctx, func(info damask.BlobInfo) error {
		r, err := s.Open(ctx, info.Ref)
		if err != nil {
			return err
		}
		defer r.Close()
		h := sha256.New()
		if _, err := io.Copy(h, r); err != nil {
			return err
		}
		if got := damask.BlobRef(h.Sum(nil)); got != info.Ref {
			t.Errorf("file %s holds bytes hashing to %s", info.Ref, got)
		}
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}

	// An error from fn stops the walk and comes back.
	stop := errors.New("stop")
	calls := 0
	err = s.Walk(ctx, func(damask.BlobInfo) error { calls++; return stop })
	if !errors.Is(err, stop) || calls != 1 {
		t.Errorf("Walk with fn failing: %v after %d calls, want %v after 1", err, calls, stop)
	}
}

func testConcurrent(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	const writers = 20
	shared := content(5, 300_000)
	datas := make([][]byte, writers)
	for i := range datas {
		if i%2 == 0 {
			datas[i] = shared // half write the same bytes at once
		} else {
			datas[i] = content(uint64(1000+i), 10_000*i)
		}
	}

	infos := make([]damask.BlobInfo, writers)
	var wg sync.WaitGroup
	for i, data := range datas {
		wg.Go(func() {
			w, err := s.Create(ctx)
			if err != nil {
				t.Errorf("writer %d: Create: %v", i, err)
				return
			}
			defer w.Abort()
			for p := data; len(p) > 0; {
				n := min(len(p), 1000*(i+1)+1)
				if _, err := w.Write(p[:n]); err != nil {
					t.Errorf("writer %d: Write: %v", i, err)
					return
				}
				p = p[n:]
			}
			infos[i], err = w.Commit(ctx)
			if err != nil {
				t.Errorf("writer %d: Commit: %v", i, err)
			}
		})
	}
	wg.Wait()
	if t.Failed() {
		return
	}

	want := map[damask.BlobRef]int64{}
	for i, data := range datas {
		ref := damask.BlobRef(sha256.Sum256(data))
		want[ref] = int64(len(data))
		if infos[i].Ref != ref || infos[i].Size != int64(len(data)) {
			t.Errorf("writer %d: Commit = %s %d bytes, want %s %d bytes", i, infos[i].Ref, infos[i].Size, ref, len(data))
		}
	}
	if diff := cmp.Diff(want, Listed(t, s)); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
	for i, data := range datas {
		if got := read(t, s, sha256.Sum256(data)); !bytes.Equal(got, data) {
			t.Errorf("writer %d: Open read %s", i, describe(got, data))
		}
	}
}

func testCanceled(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	canceled, cancel := context.WithCancel(t.Context())
	cancel()

	t.Run("Create", func(t *testing.T) {
		s := open(t)
		w, err := s.Create(canceled)
		if err != nil {
			if !errors.Is(err, context.Canceled) {
				t.Errorf("Create: %v, want an error wrapping context.Canceled", err)
			}
		} else {
			// A store may notice the context only at Commit.
			write(t, w, []byte("late"), nil)
			if info, err := w.Commit(canceled); !errors.Is(err, context.Canceled) {
				t.Errorf("Commit after Create with a canceled context = %v, %v; want an error wrapping context.Canceled", info, err)
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort after a failed Commit: %v", err)
			}
		}
		if got := Listed(t, s); len(got) != 0 {
			t.Errorf("Walk found %v, want nothing", got)
		}
	})

	t.Run("Commit", func(t *testing.T) {
		s := open(t)
		w, err := s.Create(t.Context())
		if err != nil {
			t.Fatalf("Create: %v", err)
		}
		data := content(6, 100_000)
		write(t, w, data, oddChunks)
		if info, err := w.Commit(canceled); !errors.Is(err, context.Canceled) {
			t.Errorf("Commit = %v, %v; want an error wrapping context.Canceled", info, err)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after a failed Commit: %v", err)
		}
		if got := Listed(t, s); len(got) != 0 {
			t.Errorf("Walk found %v, want nothing", got)
		}
		if _, err := s.Stat(t.Context(), sha256.Sum256(data)); damask.ErrorCode(err) != damask.ENOTFOUND {
			t.Errorf("Stat: error %v, want code %q", err, damask.ENOTFOUND)
		}
	})
}

// ignoreModTime compares BlobInfos without ModTime, which tests check apart.
var ignoreModTime = cmp.FilterPath(func(p cmp.Path) bool {
	sf, ok := p.Last().(cmp.StructField)
	return ok && sf.Name() == "ModTime"
}, cmp.Ignore())

// checkRecent fails unless tm lies between start and now, give or take a
// minute of clock skew between the test and a remote store.
func checkRecent(t *testing.T, what string, tm, start time.Time) {
	t.Helper()
	const skew = time.Minute
	if tm.Before(start.Add(-skew)) || tm.After(time.Now().Add(skew)) {
		t.Errorf("%s = %v, want about now (%v)", what, tm, start)
	}
}

// content makes n pseudo-random bytes, the same for the same seed.
func content(seed uint64, n int) []byte {
	var s [32]byte
	s[0] = byte(seed)
	s[1] = byte(seed >> 8)
	s[2] = byte(n)
	s[3] = byte(n >> 8)
	s[4] = byte(n >> 16)
	b := make([]byte, n)
	rand.NewChaCha8(s).Read(b)
	return b
}

// write writes data in pieces of the sizes in chunks, cycled, checking
// Written after each; nil chunks write data at once.
func write(t *testing.T, w damask.BlobWriter, data []byte, chunks []int) {
	t.Helper()
	start := w.Written()
	off := 0
	for i := 0; off < len(data) || i == 0; i++ {
		n := len(data) - off
		if len(chunks) > 0 {
			n = min(n, chunks[i%len(chunks)])
		}
		m, err := w.Write(data[off : off+n])
		if err != nil || m != n {
			t.Fatalf("Write of %d bytes at %d = %d, %v", n, off, m, err)
		}
		off += n
		if got, want := w.Written(), start+int64(off); got != want {
			t.Fatalf("Written() = %d after writing %d bytes, want %d", got, off, want)
		}
	}
}

// commit stores data, written in the given chunks.
func commit(t *testing.T, s damask.BlobStore, data []byte, chunks []int) damask.BlobInfo {
	t.Helper()
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatalf("Create: %v", err)
	}
	defer w.Abort()
	write(t, w, data, chunks)
	info, err := w.Commit(t.Context())
	if err != nil {
		t.Fatalf("Commit of %d bytes: %v", len(data), err)
	}
	return info
}

// read answers the whole file named ref.
func read(t *testing.T, s damask.BlobStore, ref damask.BlobRef) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), ref)
	if err != nil {
		t.Fatalf("Open %s: %v", ref, err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatalf("read %s: %v", ref, err)
	}
	return b
}

// Listed answers what Walk lists, by name with its size, failing the test
// if it lists a file twice.
func Listed(t *testing.T, s damask.BlobStore) map[damask.BlobRef]int64 {
	t.Helper()
	got := map[damask.BlobRef]int64{}
	err := s.Walk(t.Context(), func(info damask.BlobInfo) error {
		if _, dup := got[info.Ref]; dup {
			t.Errorf("Walk listed %s twice", info.Ref)
		}
		got[info.Ref] = info.Size
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	return got
}

// describe says how got differs from want without printing megabytes.
func describe(got, want []byte) string {
	if len(got) != len(want) {
		return fmt.Sprintf("%d bytes, want %d", len(got), len(want))
	}
	for i := range got {
		if got[i] != want[i] {
			return fmt.Sprintf("bytes differing first at offset %d (%#x, want %#x)", i, got[i], want[i])
		}
	}
	return "the same bytes"
}

// testQuarantine checks the contract of damask.BlobCollector, for the
// stores that are one: a quarantined file leaves Walk but reads still find
// it (and put it back); Restore puts it back; Release removes it; a Commit
// of the same bytes meanwhile stores them whole.
func testQuarantine(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	c, ok := s.(damask.BlobCollector)
	if !ok {
		t.Skip("not a damask.BlobCollector")
	}
	quarantined := func() map[damask.BlobRef]int64 {
		t.Helper()
		got := map[damask.BlobRef]int64{}
		err := c.WalkQuarantine(ctx, func(b damask.BlobInfo) error {
			got[b.Ref] = b.Size
			return nil
		})
		if err != nil {
			t.Fatalf("WalkQuarantine: %v", err)
		}
		return got
	}
	keep := commit(t, s, []byte("keep"), nil)
	read1 := commit(t, s, []byte("read while quarantined"), nil)
	restored := commit(t, s, []byte("restored"), nil)
	released := commit(t, s, []byte("released"), nil)
	recommitted := commit(t, s, []byte("committed again"), nil)
	start := time.Now()
	for _, b := range []damask.BlobInfo{read1, restored, released, recommitted} {
		if err := c.Quarantine(ctx, b.Ref); err != nil {
			t.Fatalf("Quarantine: %v", err)
		}
	}
	if err := c.Quarantine(ctx, sha256.Sum256([]byte("never stored"))); err != nil {
		t.Errorf("Quarantine of a missing file: %v, want nil", err)
	}
	if diff := cmp.Diff(map[damask.BlobRef]int64{keep.Ref: keep.Size}, Listed(t, s)); diff != "" {
		t.Errorf("Walk after Quarantine (-want +got):\n%s", diff)
	}
	want := map[damask.BlobRef]int64{read1.Ref: read1.Size, restored.Ref: restored.Size, released.Ref: released.Size, recommitted.Ref: recommitted.Size}
	if diff := cmp.Diff(want, quarantined()); diff != "" {
		t.Errorf("WalkQuarantine (-want +got):\n%s", diff)
	}
	err := c.WalkQuarantine(ctx, func(b damask.BlobInfo) error {
		checkRecent(t, "a quarantined file's ModTime", b.ModTime, start)
		return nil
	})
	if err != nil {
		t.Fatal(err)
	}

	if got := read(t, s, read1.Ref); string(got) != "read while quarantined" {
		t.Errorf("Open of a quarantined file read %q", got)
	}
	if err := c.Restore(ctx, restored.Ref); err != nil {
		t.Errorf("Restore: %v", err)
	}
	if err := c.Restore(ctx, sha256.Sum256([]byte("never stored"))); err != nil {
		t.Errorf("Restore of a missing file: %v, want nil", err)
	}
	if info := commit(t, s, []byte("committed again"), nil); info != (damask.BlobInfo{Ref: recommitted.Ref, Size: recommitted.Size, ModTime: info.ModTime}) {
		t.Errorf("Commit of quarantined bytes = %v", info)
	}
	if err := c.Release(ctx, released.Ref); err != nil {
		t.Errorf("Release: %v", err)
	}
	if err := c.Release(ctx, recommitted.Ref); err != nil {
		t.Errorf("Release: %v", err)
	}
	if err := c.Release(ctx, released.Ref); err != nil {
		t.Errorf("Release of a released file: %v, want nil", err)
	}
	if _, err := s.Stat(ctx, released.Ref); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat of a released file: %v, want code %q", err, damask.ENOTFOUND)
	}
	if got := read(t, s, recommitted.Ref); string(got) != "committed again" {
		t.Errorf("the file committed again while quarantined, after Release, reads %q", got)
	}
	want = map[damask.BlobRef]int64{keep.Ref: keep.Size, read1.Ref: read1.Size, restored.Ref: restored.Size, recommitted.Ref: recommitted.Size}
	if diff := cmp.Diff(want, Listed(t, s)); diff != "" {
		t.Errorf("Walk at the end (-want +got):\n%s", diff)
	}
	if q := quarantined(); len(q) > 0 {
		t.Errorf("still quarantined at the end: %v", q)
	}
}
