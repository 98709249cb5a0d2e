package library_test

import (
	"archive/zip"
	"bytes"
	"crypto/sha256"
	"hash/crc32"
	"io"
	"math/rand/v2"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// TestUnpackStreams: on the disk store (read at offsets) and on S3 (read
// through Seek and Read), every file of an archive is stored whole, its
// SHA-256 made on the way; an archive whose last entry is corrupt makes
// no asset, and the files it had streamed are collected by the housework.
func TestUnpackStreams(t *testing.T) {
	rng := rand.New(rand.NewPCG(1, 2))
	big := make([]byte, 3<<20) // several reads, and not compressible
	for i := range big {
		big[i] = byte(rng.UintN(256))
	}
	files := map[string][]byte{
		"a/big.bin":       big,
		"a/b/small.txt":   []byte("small"),
		"c/repeated.txt":  bytes.Repeat([]byte("repeat "), 100000),
		"top-level.jpeg2": []byte("not really a picture"),
	}
	var good bytes.Buffer
	zw := zip.NewWriter(&good)
	for _, n := range []string{"a/big.bin", "a/b/small.txt", "c/repeated.txt", "top-level.jpeg2"} {
		w, _ := zw.Create(n)
		w.Write(files[n])
	}
	zw.Close()
	var bad bytes.Buffer
	zw = zip.NewWriter(&bad)
	w, _ := zw.Create("fine/first.bin")
	w.Write(big[:1<<20])
	w, _ = zw.CreateRaw(&zip.FileHeader{Name: "fine/broken.txt", Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte("other")),
		CompressedSize64: 5, UncompressedSize64: 5})
	w.Write([]byte("bytes"))
	zw.Close()

	for _, bs := range blobStores {
		t.Run(bs.name, func(t *testing.T) {
			ctx := t.Context()
			now := time.Now()
			blobs := bs.open(t)
			svc := serviceOn(t, openSQLite(t), blobs, &now, library.Options{MaxFileSize: 64 << 20})
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
			c := library.Caller{Account: a, User: admin}

			f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(good.Bytes()), Filename: "good.zip", Length: -1})
			if err != nil {
				t.Fatal(err)
			}
			rep, err := svc.Unpack(ctx, c, library.UnpackInput{File: f, Path: "in"})
			if err != nil {
				t.Fatal(err)
			}
			if len(rep.Assets) != len(files) || rep.Files != len(files) {
				t.Fatalf("%d assets of %d files, want %d", len(rep.Assets), rep.Files, len(files))
			}
			for _, as := range rep.Assets {
				name := as.Path[len("in"):] + "/" + as.Filename
				if name[0] == '/' {
					name = name[1:]
				}
				want, ok := files[name]
				if !ok {
					t.Errorf("asset %q in %q: no such file", as.Filename, as.Path)
					continue
				}
				if as.Blob != damask.BlobRef(sha256.Sum256(want)) || as.Size != int64(len(want)) {
					t.Errorf("%s: blob %s, size %d; want the file's", name, as.Blob, as.Size)
				}
				r, err := blobs.Open(ctx, as.Blob)
				if err != nil {
					t.Fatal(err)
				}
				got, err := io.ReadAll(r)
				r.Close()
				if err != nil || !bytes.Equal(got, want) {
					t.Errorf("%s: stored %d bytes, %v", name, len(got), err)
				}
			}

			before, err := svc.Assets(ctx, c, library.AssetQuery{Page: damask.Page{Number: 1, Size: 100}})
			if err != nil {
				t.Fatal(err)
			}
			f, err = svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(bad.Bytes()), Filename: "bad.zip", Length: -1})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Unpack(ctx, c, library.UnpackInput{File: f}); damask.ErrorCode(err) != damask.EINVALID {
				t.Fatalf("corrupt archive: %v, want EINVALID", err)
			}
			after, err := svc.Assets(ctx, c, library.AssetQuery{Page: damask.Page{Number: 1, Size: 100}})
			if err != nil || after.Total != before.Total {
				t.Fatalf("after a refused archive: %d assets, before %d (%v)", after.Total, before.Total, err)
			}
			streamed := damask.BlobRef(sha256.Sum256(big[:1<<20]))
			if _, err := blobs.Stat(ctx, streamed); err != nil {
				t.Fatalf("the first entry was not streamed before the failure: %v", err)
			}
			for range 2 {
				now = now.Add(2 * time.Hour)
				if err := svc.Tidy(ctx, time.Hour); err != nil {
					t.Fatal(err)
				}
			}
			for _, ref := range []damask.BlobRef{streamed, f.Blob.Ref} {
				if _, err := blobs.Stat(ctx, ref); damask.ErrorCode(err) != damask.ENOTFOUND {
					t.Errorf("%s of a refused unpack still stored after the housework: %v", ref, err)
				}
			}
		})
	}
}
