package metadata

import (
	"archive/zip"
	"context"
	"errors"
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"
)

// writeZip writes a zip of n empty entries (with zip64 end records past
// 65535 entries).
func writeZip(t *testing.T, path string, n int) {
	t.Helper()
	f, err := os.Create(path)
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	zw := zip.NewWriter(f)
	for i := range n {
		h := &zip.FileHeader{Name: fmt.Sprintf("f%06d.txt", i), Method: zip.Store}
		if _, err := zw.CreateHeader(h); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
}

// TestZipEntries: the count comes from the end record alone, for plain
// and zip64 archives; other files are not zips.
func TestZipEntries(t *testing.T) {
	dir := t.TempDir()
	for _, tc := range []struct{ n int }{{0}, {3}, {70000}} { // 70000: zip64
		p := filepath.Join(dir, fmt.Sprintf("z%d.zip", tc.n))
		writeZip(t, p, tc.n)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		n, ok, err := zipEntries(f)
		f.Close()
		if err != nil || !ok || n != uint64(tc.n) {
			t.Errorf("%d entries: got %d, %v, %v", tc.n, n, ok, err)
		}
	}
	f, err := os.Open("testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	defer f.Close()
	if _, ok, err := zipEntries(f); ok || err != nil {
		t.Errorf("photo.jpg taken for a zip: %v %v", ok, err)
	}
}

// TestExtractZipOfManyEntries: a zip of 100,000 entries (a few MB, over
// a minute of exiftool's time) is refused at once; a small one is read.
func TestExtractZipOfManyEntries(t *testing.T) {
	x := newExtractor(t, Config{Timeout: 10 * time.Second})
	dir := t.TempDir()
	many := filepath.Join(dir, "many.zip")
	writeZip(t, many, 100000)
	_, err := x.Extract(context.Background(), many, "application/zip")
	if !errors.Is(err, ErrTooLarge) || !strings.Contains(err.Error(), "100000 entries") {
		t.Fatalf("err = %v, want ErrTooLarge naming the count", err)
	}
	few := filepath.Join(dir, "few.zip")
	writeZip(t, few, 3)
	m, err := x.Extract(context.Background(), few, "application/zip")
	if err != nil {
		t.Fatalf("a zip of 3 entries: %v", err)
	}
	if m.Raw == nil {
		t.Error("a zip of 3 entries was not read")
	}
}
