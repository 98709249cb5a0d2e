package main

import (
	"bytes"
	"io"
	"math/rand/v2"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
)

// TestFilePiece: each PATCH body carries exactly its range of the file,
// whether the transport copies it by sendfile or by Read, and the file
// stays usable for the next piece.
func TestFilePiece(t *testing.T) {
	data := make([]byte, 3<<20+12345)
	rand.NewChaCha8([32]byte{7}).Read(data)
	path := filepath.Join(t.TempDir(), "f")
	if err := os.WriteFile(path, data, 0o644); err != nil {
		t.Fatal(err)
	}
	var got [][]byte
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		b, err := io.ReadAll(r.Body)
		if err != nil {
			http.Error(w, err.Error(), http.StatusBadRequest)
			return
		}
		got = append(got, b)
	}))
	defer srv.Close()
	f, err := os.Open(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	const piece = 1 << 20
	size := int64(len(data))
	for off := int64(0); off < size; off += piece {
		n := min(piece, size-off)
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			t.Fatal(err)
		}
		req, err := http.NewRequest(http.MethodPatch, srv.URL, &filePiece{f: f, end: off + n})
		if err != nil {
			t.Fatal(err)
		}
		req.ContentLength = n
		res, err := srv.Client().Do(req)
		if err != nil {
			t.Fatalf("piece at %d: %v", off, err)
		}
		res.Body.Close()
		if res.StatusCode != http.StatusOK {
			t.Fatalf("piece at %d: %s", off, res.Status)
		}
	}
	if len(got) != 4 {
		t.Fatalf("%d bodies, want 4", len(got))
	}
	for i, b := range got {
		want := data[i*piece : min(len(data), (i+1)*piece)]
		if !bytes.Equal(b, want) {
			t.Errorf("body %d: %d bytes, not the %d of its range", i, len(b), len(want))
		}
	}
}
