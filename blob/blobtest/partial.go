package blobtest

import (
	"bytes"
	"crypto/sha256"
	"io"
	"math/rand/v2"
	"testing"

	"damask"
)

// RunPartial is the suite of damask.PartialStore: a file written in
// pieces of every kind of size across reopenings (as a resumable upload
// writes it, one request at a time), with pieces written and synced but
// never recorded (a crash before the offset's record) cut at the next
// opening, committed under its SHA-256 with every byte in order.
func RunPartial(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	t.Run("Pieces", func(t *testing.T) { testPartialPieces(t, open) })
	t.Run("Missing", func(t *testing.T) { testPartialMissing(t, open) })
}

func testPartialPieces(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	s := open(t)
	ps := s.(damask.PartialStore)
	const mib = 1 << 20
	// Small pieces then large ones, odd sizes: the stores that keep
	// pieces apart (S3) merge small ones; the disk appends.
	pieces := []int{3 * mib, 100, 6*mib + 1, 2 * mib, 7, 5*mib + 3}
	total := 0
	for _, n := range pieces {
		total += n
	}
	data := make([]byte, total)
	rand.NewChaCha8([32]byte{5}).Read(data)
	name := "0123456789abcdef0123456789abcdef"
	recorded := int64(0)
	for i, n := range pieces {
		f, err := ps.OpenPartial(ctx, name, recorded)
		if err != nil {
			t.Fatalf("open at %d: %v", recorded, err)
		}
		if f.Size() != recorded {
			t.Fatalf("Size %d, want %d", f.Size(), recorded)
		}
		if i%2 == 1 {
			// A piece synced but never recorded: the next opening
			// cuts it.
			if _, err := f.Write(bytes.Repeat([]byte{0xee}, n)); err != nil {
				t.Fatal(err)
			}
			if err := f.Sync(ctx); err != nil {
				t.Fatal(err)
			}
			f.Close()
			if f, err = ps.OpenPartial(ctx, name, recorded); err != nil {
				t.Fatalf("open after an unrecorded piece: %v", err)
			}
		}
		piece := data[recorded : recorded+int64(n)]
		for len(piece) > 0 {
			k := min(len(piece), 300001)
			if _, err := f.Write(piece[:k]); err != nil {
				t.Fatal(err)
			}
			piece = piece[k:]
		}
		if err := f.Sync(ctx); err != nil {
			t.Fatal(err)
		}
		recorded += int64(n)
		if i < len(pieces)-1 {
			if err := f.Close(); err != nil {
				t.Fatal(err)
			}
			continue
		}
		ref := damask.BlobRef(sha256.Sum256(data))
		info, err := f.Commit(ctx, ref)
		if err != nil {
			t.Fatalf("Commit: %v", err)
		}
		if info.Ref != ref || info.Size != int64(total) {
			t.Fatalf("Commit answered %+v", info)
		}
	}
	r, err := s.Open(ctx, damask.BlobRef(sha256.Sum256(data)))
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	got, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	if !bytes.Equal(got, data) {
		t.Fatalf("the committed file differs from the pieces written (%d bytes, want %d)", len(got), len(data))
	}
	// The partial file is gone: opening it again starts empty.
	f, err := ps.OpenPartial(ctx, name, 0)
	if err != nil {
		t.Fatalf("open after commit: %v", err)
	}
	f.Close()
	if err := ps.DeletePartial(ctx, name); err != nil {
		t.Fatal(err)
	}
}

func testPartialMissing(t *testing.T, open func(t *testing.T) damask.BlobStore) {
	ctx := t.Context()
	ps := open(t).(damask.PartialStore)
	name := "ffffffffffffffffffffffffffffffff"
	if _, err := ps.OpenPartial(ctx, name, 10); err == nil {
		t.Error("OpenPartial of bytes never written answered no error")
	}
	if err := ps.DeletePartial(ctx, name); err != nil {
		t.Errorf("DeletePartial of a missing file: %v", err)
	}
	if _, err := ps.OpenPartial(ctx, "../escape", 0); err == nil {
		t.Error("OpenPartial of a bad name answered no error")
	}
}
