package library_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"io"
	"testing"
	"time"

	"damask"
	"damask/blob/s3"
	"damask/blob/s3/s3test"
	"damask/library"
)

// blobStores are the file stores the collector's tests run on.
var blobStores = []struct {
	name string
	open func(t *testing.T) damask.BlobStore
}{
	{"disk", func(t *testing.T) damask.BlobStore {
		return openDisk(t)
	}},
	{"s3", func(t *testing.T) damask.BlobStore {
		url, _ := s3test.Start(t)
		s, err := s3.Open(t.Context(), url)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}},
}

// The collector against an upload of the same bytes: content addressing
// makes the new upload's file the old unreferenced one. Between the moment
// the housework decides that file is unused and the moment it removes it,
// the upload renews the file and commits its record (the hook runs there,
// so the interleaving is forced, not hoped for). The asset must keep its
// bytes; and bytes renewed by an upload whose record commits only after
// the housework must still be readable then. Unreferenced files are still
// collected in the end.
func TestCollectRacesUpload(t *testing.T) {
	for _, bs := range blobStores {
		t.Run(bs.name, func(t *testing.T) {
			for _, lateRecord := range []bool{false, true} {
				name := "record before the removal"
				if lateRecord {
					name = "record after the housework"
				}
				t.Run(name, func(t *testing.T) {
					testCollectRace(t, bs.open(t), lateRecord)
				})
			}
		})
	}
}

func testCollectRace(t *testing.T, blobs damask.BlobStore, lateRecord bool) {
	ctx := t.Context()
	now := time.Now()
	var hook func(context.Context, damask.BlobRef)
	svc := serviceOn(t, openSQLite(t), blobs, &now, library.Options{})
	svc.SetBeforeCollect(func(ctx context.Context, ref damask.BlobRef) {
		if hook != nil {
			hook(ctx, ref)
		}
	})
	if _, _, err := svc.EnsureDefault(ctx, "correct horse battery"); err != nil {
		t.Fatal(err)
	}
	a, err := svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	admin, err := svc.Authenticate(ctx, a, "admin", "correct horse battery", "test")
	if err != nil {
		t.Fatal(err)
	}
	holder := library.Caller{Account: a, User: admin}
	data := bytes.Repeat([]byte("the same bytes, uploaded twice\n"), 1000)
	ref := damask.BlobRef(sha256.Sum256(data))
	create := func() int64 {
		f, err := svc.ReceiveFile(ctx, holder, library.FileInput{Body: bytes.NewReader(data), Filename: "same.txt", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		as, err := svc.CreateAsset(ctx, holder, library.AssetInput{File: f})
		if err != nil {
			t.Fatal(err)
		}
		return as.ID
	}

	// The first asset goes for good: its file is unreferenced, and old
	// by the time the housework runs.
	first := create()
	if _, err := svc.DeleteAsset(ctx, holder, first); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EmptyAccountTrash(ctx, holder); err != nil {
		t.Fatal(err)
	}
	now = now.Add(2 * time.Hour)

	var second int64
	var pending *library.StoredFile
	ran := false
	hook = func(hctx context.Context, r damask.BlobRef) {
		if r != ref || ran {
			return
		}
		ran = true
		if !lateRecord {
			second = create()
			return
		}
		// The upload's file is committed; its record is not yet.
		f, err := svc.ReceiveFile(hctx, holder, library.FileInput{Body: bytes.NewReader(data), Filename: "same.txt", Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		pending = f
	}
	if err := svc.Tidy(ctx, time.Hour); err != nil {
		t.Fatalf("Tidy: %v", err)
	}
	if !ran {
		t.Fatal("the housework did not consider the unreferenced file")
	}
	hook = nil
	if lateRecord {
		as, err := svc.CreateAsset(ctx, holder, library.AssetInput{File: pending})
		if err != nil {
			t.Fatalf("the asset of a file received before the housework: %v", err)
		}
		second = as.ID
	}
	readBack := func(when string) {
		t.Helper()
		r, err := blobs.Open(ctx, ref)
		if err != nil {
			t.Fatalf("%s: the file of a committed asset: %v", when, err)
		}
		got, err := io.ReadAll(r)
		r.Close()
		if err != nil || !bytes.Equal(got, data) {
			t.Fatalf("%s: read %d bytes, %v; want the %d stored", when, len(got), err, len(data))
		}
		var problems []library.Problem
		if _, err := svc.Check(ctx, func(p library.Problem) { problems = append(problems, p) }); err != nil || len(problems) > 0 {
			t.Fatalf("%s: Check: %v, %v", when, problems, err)
		}
	}
	readBack("after the housework")
	// Later rounds keep the referenced file.
	for range 2 {
		now = now.Add(2 * time.Hour)
		if err := svc.Tidy(ctx, time.Hour); err != nil {
			t.Fatalf("Tidy: %v", err)
		}
	}
	readBack("after two more rounds")

	// Once unreferenced, the file goes in the end.
	if _, err := svc.DeleteAsset(ctx, holder, second); err != nil {
		t.Fatal(err)
	}
	if _, err := svc.EmptyAccountTrash(ctx, holder); err != nil {
		t.Fatal(err)
	}
	for range 2 {
		now = now.Add(2 * time.Hour)
		if err := svc.Tidy(ctx, time.Hour); err != nil {
			t.Fatalf("Tidy: %v", err)
		}
	}
	if _, err := blobs.Stat(ctx, ref); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat of the unreferenced file after the housework: %v, want ENOTFOUND", err)
	}
	if r, err := blobs.Open(ctx, ref); err == nil {
		r.Close()
		t.Errorf("the unreferenced file still opens after the housework")
	}
}
