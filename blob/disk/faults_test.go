package disk_test

import (
	"bytes"
	"crypto/sha256"
	"errors"
	"os"
	"syscall"
	"testing"

	"damask"
	"damask/blob/disk"
	"damask/blob/disk/faultfs"
)

// An I/O error at any point of a write (RELIABILITY.md item 32) fails the
// write or its Commit with that error and leaves no temporary file and no
// partial file under the name; ENOSPC becomes EQUOTA (507 at the API). A
// folder's fsync that fails after the rename leaves the whole file under
// its name, an orphan the collector takes (see Commit), never a part of it.
func TestFaults(t *testing.T) {
	data := bytes.Repeat([]byte("a stored file\n"), 300_000) // 4.2 MB: several writebacks' worth of Write calls
	ref := damask.BlobRef(sha256.Sum256(data))
	for _, tc := range []struct {
		spec     string
		errno    syscall.Errno
		atCommit bool // the error comes from Commit, not Write
		whole    bool // the whole file may stay under its name
	}{
		{spec: "write=eio", errno: syscall.EIO},
		{spec: "write=eio@1MiB", errno: syscall.EIO},
		{spec: "write=enospc@64KiB", errno: syscall.ENOSPC},
		{spec: "fsync=eio", errno: syscall.EIO, atCommit: true},
		{spec: "fsync=enospc", errno: syscall.ENOSPC, atCommit: true},
		{spec: "rename=eio", errno: syscall.EIO, atCommit: true},
		{spec: "dirsync=eio", errno: syscall.EIO, atCommit: true, whole: true},
	} {
		t.Run(tc.spec, func(t *testing.T) {
			sp, err := faultfs.Parse(tc.spec)
			if err != nil {
				t.Fatal(err)
			}
			dir := t.TempDir()
			s, err := disk.OpenFS(dir, faultfs.New(sp))
			if err != nil {
				t.Fatal(err)
			}
			defer s.Close()
			w, err := s.Create(t.Context())
			if err != nil {
				t.Fatal(err)
			}
			var werr error
			for rest := data; len(rest) > 0 && werr == nil; {
				k := min(len(rest), 100_000)
				_, werr = w.Write(rest[:k])
				rest = rest[k:]
			}
			info, cerr := w.Commit(t.Context())
			w.Abort()
			if cerr == nil {
				t.Fatalf("Commit = %v, nil; want an error", info)
			}
			got := werr
			if tc.atCommit {
				if werr != nil {
					t.Fatalf("Write: %v; the fault is at Commit", werr)
				}
				got = cerr
			}
			if !errors.Is(got, tc.errno) {
				t.Errorf("error %v, want %v", got, tc.errno)
			}
			if want := tc.errno == syscall.ENOSPC; (damask.ErrorCode(cerr) == damask.EQUOTA) != want {
				t.Errorf("Commit's error code %q; EQUOTA wanted: %v", damask.ErrorCode(cerr), want)
			}
			if left := tmpFiles(t, dir); len(left) > 0 {
				t.Errorf("temporary files left: %v", left)
			}
			b, err := os.ReadFile(pathOf(dir, ref))
			switch {
			case errors.Is(err, os.ErrNotExist):
			case err != nil:
				t.Fatal(err)
			case !tc.whole:
				t.Errorf("a file of %d bytes is under the name", len(b))
			case !bytes.Equal(b, data):
				t.Errorf("a partial file of %d bytes (of %d) is under the name", len(b), len(data))
			}

			// The same store without the fault takes the file.
			s.Close()
			s = open(t, dir)
			if info := commit(t, s, data); info.Ref != ref {
				t.Errorf("stored as %s, want %s", info.Ref, ref)
			}
		})
	}
}

func TestParseFaults(t *testing.T) {
	for _, tc := range []struct {
		in   string
		want faultfs.Spec
	}{
		{"write=eio", faultfs.Spec{Write: syscall.EIO}},
		{"write=enospc@3MiB, fsync=eio", faultfs.Spec{Write: syscall.ENOSPC, WriteAfter: 3 << 20, Fsync: syscall.EIO}},
		{"rename=eio,dirsync=enospc", faultfs.Spec{Rename: syscall.EIO, DirSync: syscall.ENOSPC}},
		{"write=eio@100", faultfs.Spec{Write: syscall.EIO, WriteAfter: 100}},
	} {
		got, err := faultfs.Parse(tc.in)
		if err != nil || got != tc.want {
			t.Errorf("Parse(%q) = %+v, %v; want %+v", tc.in, got, err, tc.want)
		}
	}
	for _, bad := range []string{"", "write", "write=eperm", "read=eio", "fsync=eio@1", "write=eio@lots", "write=eio@-1"} {
		if sp, err := faultfs.Parse(bad); err == nil {
			t.Errorf("Parse(%q) = %+v, nil; want an error", bad, sp)
		}
	}
}

// pathOf is where a disk store in dir keeps ref.
func pathOf(dir string, ref damask.BlobRef) string {
	n := ref.String()
	return dir + "/" + n[:2] + "/" + n
}
