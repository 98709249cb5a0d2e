package disk

import (
	"errors"
	"os"
	"syscall"
	"testing"

	"damask"
)

// An I/O error on write must surface from Write and from Commit, and leave
// nothing behind. /dev/full answers every write with ENOSPC, which also
// shows a full disk becoming EQUOTA (507 at the API).
func TestWriteErrorSurfaces(t *testing.T) {
	full, err := os.OpenFile("/dev/full", os.O_WRONLY, 0)
	if err != nil {
		t.Skipf("no /dev/full: %v", err)
	}
	s, err := Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()

	for _, size := range []int{10, pipelineMin} { // inline and pipelined hashing
		bw, err := s.Create(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		w := bw.(*writer)
		w.f.Close()
		w.f = full

		if _, err := w.Write(make([]byte, size)); !errors.Is(err, syscall.ENOSPC) || damask.ErrorCode(err) != damask.EQUOTA {
			t.Errorf("Write of %d bytes to a full disk: %v (code %q), want ENOSPC with code %q", size, err, damask.ErrorCode(err), damask.EQUOTA)
		}
		if _, err := w.Write([]byte("more")); err == nil {
			t.Errorf("Write after a failed Write succeeded")
		}
		if info, err := w.Commit(t.Context()); err == nil {
			t.Errorf("Commit after a failed Write = %v, nil; want an error", info)
		}
		if err := w.Abort(); err != nil {
			t.Errorf("Abort after a failed Commit: %v", err)
		}
		if _, err := os.Stat(w.tmp); !errors.Is(err, os.ErrNotExist) {
			t.Errorf("temporary file after a failed Commit: %v, want it gone", err)
		}
		full, _ = os.OpenFile("/dev/full", os.O_WRONLY, 0)
	}
	full.Close()
}

// TestFolderRemovedByHand: a fan-out folder removed from under a running
// store (by hand; the store never removes them) is made again by the next
// Commit that needs it, though the store knew it made and synced.
func TestFolderRemovedByHand(t *testing.T) {
	dir := t.TempDir()
	s, err := Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	defer s.Close()
	put := func(data string) damask.BlobInfo {
		t.Helper()
		w, err := s.Create(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(data)); err != nil {
			t.Fatal(err)
		}
		info, err := w.Commit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		return info
	}
	info := put("first")
	name := info.Ref.String()
	if err := os.RemoveAll(dir + "/" + name[:2]); err != nil {
		t.Fatal(err)
	}
	if err := s.Delete(t.Context(), info.Ref); err != nil {
		t.Fatal(err)
	}
	if got := put("first"); got.Ref != info.Ref {
		t.Fatalf("stored as %s, want %s", got.Ref, info.Ref)
	}
	if _, err := os.Stat(s.path(info.Ref)); err != nil {
		t.Errorf("after its folders were removed: %v", err)
	}
}
