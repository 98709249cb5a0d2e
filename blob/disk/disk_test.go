package disk_test

import (
	"bytes"
	"crypto/sha256"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"testing/iotest"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/blob/blobtest"
	"damask/blob/disk"
)

func open(t *testing.T, dir string) *disk.Store {
	t.Helper()
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

func TestConformance(t *testing.T) {
	blobtest.Run(t, func(t *testing.T) damask.BlobStore {
		s := open(t, t.TempDir())
		// Whatever the suite did, nothing may stay behind in .tmp.
		t.Cleanup(func() {
			if left := tmpFiles(t, s.Dir()); len(left) > 0 {
				t.Errorf("left in .tmp: %v", left)
			}
		})
		return s
	})
}

func TestLayout(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	data := []byte("hello, damask")
	info := commit(t, s, data)

	name := info.Ref.String()
	path := filepath.Join(dir, name[:2], name[2:4], name)
	got, err := os.ReadFile(path)
	if err != nil || !bytes.Equal(got, data) {
		t.Fatalf("ReadFile(%s) = %q, %v; want %q", path, got, err, data)
	}
	fi, err := os.Stat(path)
	if err != nil {
		t.Fatal(err)
	}
	if perm := fi.Mode().Perm(); perm != 0o600 {
		t.Errorf("file mode %v, want 0600", perm)
	}
	for _, d := range []string{filepath.Join(dir, name[:2]), filepath.Dir(path)} {
		fi, err := os.Stat(d)
		if err != nil {
			t.Fatal(err)
		}
		if perm := fi.Mode().Perm(); perm != 0o700 {
			t.Errorf("folder %s mode %v, want 0700", d, perm)
		}
	}

	// Open answers the *os.File, so that http.ServeContent reaches sendfile.
	r, err := s.Open(t.Context(), info.Ref)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	if _, ok := r.(*os.File); !ok {
		t.Errorf("Open answered a %T, want *os.File", r)
	}
}

func TestOpenRemovesLeftovers(t *testing.T) {
	dir := t.TempDir()
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	kept := commit(t, s, []byte("kept"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	// What a crash in the middle of writes leaves.
	tmp := filepath.Join(dir, ".tmp")
	mustWrite(t, filepath.Join(tmp, "blob-123"), "half a file")
	mustWrite(t, filepath.Join(tmp, "blob-456"), "")
	mustWrite(t, filepath.Join(tmp, "odd", "nested"), "x")

	s = open(t, dir)
	if left := tmpFiles(t, dir); len(left) > 0 {
		t.Errorf("left in .tmp after Open: %v", left)
	}
	if _, err := s.Stat(t.Context(), kept.Ref); err != nil {
		t.Errorf("Stat of a committed file after Open: %v", err)
	}
}

// A second store on the same folder (say `damask check` beside the server)
// must not take the first one's writes in progress for a crash's leftovers.
func TestOpenKeepsWritesOfAnotherStore(t *testing.T) {
	dir := t.TempDir()
	s1 := open(t, dir)
	w, err := s1.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	data := bytes.Repeat([]byte("in progress "), 10_000)
	if _, err := w.Write(data[:1000]); err != nil {
		t.Fatal(err)
	}

	open(t, dir)

	if _, err := w.Write(data[1000:]); err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(t.Context())
	if err != nil {
		t.Fatalf("Commit after another store opened: %v", err)
	}
	if info.Ref != sha256.Sum256(data) {
		t.Errorf("Commit ref %s, want %x", info.Ref, sha256.Sum256(data))
	}
}

func TestWalkIgnoresStrangers(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	info := commit(t, s, []byte("the only file"))
	name := info.Ref.String()
	other := damask.BlobRef(sha256.Sum256([]byte("elsewhere"))).String()

	for _, p := range []string{
		"README",                                // top level
		filepath.Join(name[:2], "notes.txt"),    // in a fan-out folder
		filepath.Join(name[:2], name[2:4], "x"), // beside a file
		filepath.Join(name[:2], name[2:4], name+".bak"),
		filepath.Join(name[:2], name[2:4], other), // in the wrong folder
		filepath.Join(name[:2], name[2:4], strings.ToUpper(name)),
		filepath.Join("zz", "zz", name), // not a hex folder
		filepath.Join("AB", "CD", name), // not lowercase
		filepath.Join(".tmp", name[:2], name[2:4], name),
	} {
		mustWrite(t, filepath.Join(dir, p), "stranger")
	}
	// A folder and a symbolic link where a file would be.
	odir := filepath.Join(dir, other[:2], other[2:4])
	if err := os.MkdirAll(filepath.Join(odir, other), 0o700); err != nil {
		t.Fatal(err)
	}
	third := damask.BlobRef(sha256.Sum256([]byte("link"))).String()
	tdir := filepath.Join(dir, third[:2], third[2:4])
	if err := os.MkdirAll(tdir, 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.Symlink("/etc/passwd", filepath.Join(tdir, third)); err != nil {
		t.Fatal(err)
	}

	var got []damask.BlobRef
	err := s.Walk(t.Context(), func(bi damask.BlobInfo) error {
		got = append(got, bi.Ref)
		return nil
	})
	if err != nil {
		t.Fatalf("Walk: %v", err)
	}
	if diff := cmp.Diff([]damask.BlobRef{info.Ref}, got); diff != "" {
		t.Errorf("Walk (-want +got):\n%s", diff)
	}
}

// io.Copy goes through the writer's ReadFrom, which gathers reads of any
// size into large writes.
func TestCopy(t *testing.T) {
	s := open(t, t.TempDir())
	for _, size := range []int{0, 1, 1<<20 - 1, 1 << 20, 3<<20 + 7} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7 / 3)
		}
		w, err := s.Create(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// HalfReader hides bytes.Reader's WriteTo and reads in odd sizes.
		n, err := io.Copy(w, iotest.HalfReader(bytes.NewReader(data)))
		if err != nil || n != int64(size) || w.Written() != int64(size) {
			t.Fatalf("io.Copy of %d bytes = %d, %v; Written() = %d", size, n, err, w.Written())
		}
		info, err := w.Commit(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		if want := damask.BlobRef(sha256.Sum256(data)); info.Ref != want || info.Size != int64(size) {
			t.Errorf("Commit after io.Copy of %d bytes = %s %d, want %s", size, info.Ref, info.Size, want)
		}
	}
}

// A file of the wrong size under a name is damaged; committing its bytes
// again repairs it instead of keeping it.
func TestCommitRepairsTruncatedFile(t *testing.T) {
	dir := t.TempDir()
	s := open(t, dir)
	data := []byte("the whole of it")
	info := commit(t, s, data)
	name := info.Ref.String()
	path := filepath.Join(dir, name[:2], name[2:4], name)
	if err := os.Truncate(path, 3); err != nil {
		t.Fatal(err)
	}

	again := commit(t, s, data)

	if again.Size != int64(len(data)) {
		t.Errorf("Commit Size = %d, want %d", again.Size, len(data))
	}
	if got, err := os.ReadFile(path); err != nil || !bytes.Equal(got, data) {
		t.Errorf("file after Commit = %q, %v; want %q", got, err, data)
	}
}

func commit(t *testing.T, s damask.BlobStore, data []byte) damask.BlobInfo {
	t.Helper()
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func mustWrite(t *testing.T, path, s string) {
	t.Helper()
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, []byte(s), 0o600); err != nil {
		t.Fatal(err)
	}
}

// tmpFiles lists everything under dir/.tmp.
func tmpFiles(t *testing.T, dir string) []string {
	t.Helper()
	var names []string
	tmp := filepath.Join(dir, ".tmp")
	err := filepath.WalkDir(tmp, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if p != tmp {
			names = append(names, strings.TrimPrefix(p, tmp+"/"))
		}
		return nil
	})
	if err != nil {
		t.Fatalf("list .tmp: %v", err)
	}
	slices.Sort(names)
	return names
}

// TestPartial: the partial files of resumable uploads, appended in place.
func TestPartial(t *testing.T) {
	blobtest.RunPartial(t, func(t *testing.T) damask.BlobStore { return open(t, t.TempDir()) })
}
