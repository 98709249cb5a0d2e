package disk_test

import (
	"bytes"
	"crypto/sha256"
	"fmt"
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

// layouts are the two shapes of a store's folder: one made now, with one
// fan-out level, and one made before the depth was recorded, which keeps
// the two levels it has (here a second-level folder and no .layout).
var layouts = []struct {
	name   string
	levels int
	dir    func(t *testing.T) string // a folder for Open
}{
	{"one level", 1, func(t *testing.T) string { return t.TempDir() }},
	{"two levels", 2, func(t *testing.T) string {
		dir := t.TempDir()
		if err := os.MkdirAll(filepath.Join(dir, "00", "00"), 0o700); err != nil {
			t.Fatal(err)
		}
		return dir
	}},
}

// folderOf is the fan-out folder of a store of levels levels in dir that
// holds the file named name.
func folderOf(dir string, levels int, name string) string {
	if levels == 2 {
		return filepath.Join(dir, name[:2], name[2:4])
	}
	return filepath.Join(dir, name[:2])
}

func TestConformance(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) damask.BlobStore {
				s := open(t, l.dir(t))
				// Whatever the suite did, nothing may stay behind in .tmp.
				t.Cleanup(func() {
					if left := tmpFiles(t, s.Dir()); len(left) > 0 {
						t.Errorf("left in .tmp: %v", left)
					}
				})
				return s
			})
		})
	}
}

func TestLayout(t *testing.T) {
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			dir := l.dir(t)
			s := open(t, dir)
			data := []byte("hello, damask")
			info := commit(t, s, data)

			name := info.Ref.String()
			path := filepath.Join(folderOf(dir, l.levels, name), name)
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, data) {
				t.Fatalf("ReadFile(%s) = %q, %v; want %q", path, got, err, data)
			}
			if p, err := s.Path(info.Ref); p != path || err != nil {
				t.Errorf("Path = %s, %v; want %s", p, err, path)
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
			want := fmt.Sprintf("fan-out %d\n", l.levels)
			if b, err := os.ReadFile(filepath.Join(dir, ".layout")); string(b) != want || err != nil {
				t.Errorf(".layout = %q, %v; want %q", b, err, want)
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
		})
	}
}

// The recorded depth is kept whatever the folder holds, and a record Open
// does not know is refused rather than guessed.
func TestLayoutRecorded(t *testing.T) {
	dir := t.TempDir()
	s, err := disk.Open(dir)
	if err != nil {
		t.Fatal(err)
	}
	info := commit(t, s, []byte("one level"))
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}
	// A second-level folder made by hand does not turn the store into one
	// of two levels.
	if err := os.MkdirAll(filepath.Join(dir, "ff", "ff"), 0o700); err != nil {
		t.Fatal(err)
	}
	if s, err = disk.Open(dir); err != nil {
		t.Fatal(err)
	}
	if _, err := s.Stat(t.Context(), info.Ref); err != nil {
		t.Errorf("Stat after reopening: %v", err)
	}
	if err := s.Close(); err != nil {
		t.Fatal(err)
	}

	mustWrite(t, filepath.Join(dir, ".layout"), "fan-out 3\n")
	if s, err := disk.Open(dir); err == nil {
		s.Close()
		t.Errorf("Open of a store with .layout %q succeeded, want an error", "fan-out 3")
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
	for _, l := range layouts {
		t.Run(l.name, func(t *testing.T) {
			dir := l.dir(t)
			s := open(t, dir)
			info := commit(t, s, []byte("the only file"))
			name := info.Ref.String()
			other := damask.BlobRef(sha256.Sum256([]byte("elsewhere"))).String()
			folder, _ := filepath.Rel(dir, folderOf(dir, l.levels, name))

			for _, p := range []string{
				"README",                             // top level
				filepath.Join(name[:2], "notes.txt"), // in a fan-out folder
				filepath.Join(folder, "x"),           // beside a file
				filepath.Join(folder, name+".bak"),
				filepath.Join(folder, other), // in the wrong folder
				filepath.Join(folder, strings.ToUpper(name)),
				filepath.Join(name[:2], name[2:4], name[4:6], name), // one level too deep
				filepath.Join("zz", "zz", name),                     // not a hex folder
				filepath.Join("zz", name),
				filepath.Join("AB", "CD", name), // not lowercase
				filepath.Join("AB", name),
				filepath.Join(".tmp", name[:2], name[2:4], name),
				filepath.Join(".tmp", name[:2], name),
			} {
				mustWrite(t, filepath.Join(dir, p), "stranger")
			}
			// A folder and a symbolic link where a file would be.
			if err := os.MkdirAll(filepath.Join(folderOf(dir, l.levels, other), other), 0o700); err != nil {
				t.Fatal(err)
			}
			third := damask.BlobRef(sha256.Sum256([]byte("link"))).String()
			tdir := folderOf(dir, l.levels, third)
			if err := os.MkdirAll(tdir, 0o700); err != nil {
				t.Fatal(err)
			}
			if err := os.Symlink("/etc/passwd", filepath.Join(tdir, third)); err != nil {
				t.Fatal(err)
			}

			want := map[damask.BlobRef]int64{info.Ref: info.Size}
			if diff := cmp.Diff(want, blobtest.Listed(t, s)); diff != "" {
				t.Errorf("Walk (-want +got):\n%s", diff)
			}
		})
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
	path, err := s.Path(info.Ref)
	if err != nil {
		t.Fatal(err)
	}
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
