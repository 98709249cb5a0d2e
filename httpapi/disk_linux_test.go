package httpapi_test

import (
	"bytes"
	"crypto/rand"
	"io"
	"syscall"
	"testing"

	"damask/library"
)

// tmpfs mounts a file system of size (as mount takes it: 8m) on a new
// folder, for a real full disk. It needs root (or CAP_SYS_ADMIN), as CI
// and the development machines have.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		t.Fatalf("mount a tmpfs of %s on %s, for a real full disk: %v (the tests need root or CAP_SYS_ADMIN)", size, dir, err)
	}
	// Registered after t.TempDir and before the env's own cleanup: the
	// store closes first, then the file system goes, then its folder.
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

func randomBytes(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// fileWays are the ways a file reaches the server, for tests that refuse
// it.
func fileWays(t *testing.T, c *client, asset string, data []byte) []struct {
	name string
	send func(ext string) *response
} {
	return []struct {
		name string
		send func(ext string) *response
	}{
		{"raw with Content-Length", func(ext string) *response {
			return c.do(t, "POST", "/api/upload"+ext+"?filename=f.bin", bytes.NewReader(data))
		}},
		{"raw chunked", func(ext string) *response {
			return c.do(t, "POST", "/api/upload"+ext+"?filename=f.bin", io.MultiReader(bytes.NewReader(data)))
		}},
		{"one-step create", func(ext string) *response {
			return c.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "f.bin", data}, "title", "f"))
		}},
		{"new version", func(ext string) *response {
			return c.send(t, "POST", "/api/assets/"+asset+"/versions"+ext, multipartBody(file{"file", "f.bin", data}))
		}},
	}
}

// TestDiskReserve: a file that would leave less free space than the
// reserve on the disk of the files is refused with 507, announced or not,
// and leaves nothing; a file that fits is taken.
func TestDiskReserve(t *testing.T) {
	for _, c := range []struct {
		name    string
		reserve library.Reserve
	}{
		{"bytes", library.Reserve{Bytes: 4 << 20}},
		{"percent", library.Reserve{Percent: 50}},
	} {
		t.Run(c.name, func(t *testing.T) {
			e := newEnv(t, setup{blobDir: tmpfs(t, "8m"), reserve: c.reserve, maxFile: 16 << 20})
			tn := e.tenant(t, "acme", "deluxe")
			tn.member.allow507 = true
			a := tn.member.createAsset(t, "three.bin", randomBytes(3<<20)) // about 5 MiB left
			over := randomBytes(2 << 20)
			for _, w := range fileWays(t, tn.member, id(t, a), over) {
				for _, ext := range formats {
					t.Run(w.name+ext, func(t *testing.T) {
						before := e.state(t, tn.holder)
						w.send(ext).wantError(t, 507, "reserve")
						e.unchanged(t, tn.holder, before)
					})
				}
			}
			tn.member.upload(t, "fits.bin", randomBytes(512<<10))
		})
	}
}

// TestDiskFull: a disk that fills up in the middle of a file (ENOSPC on
// write) answers 507 and keeps nothing of the file, the database is
// unchanged, and the server keeps serving reads and takes what fits again.
func TestDiskFull(t *testing.T) {
	e := newEnv(t, setup{blobDir: tmpfs(t, "4m"), maxFile: 16 << 20})
	tn := e.tenant(t, "acme", "deluxe")
	tn.member.allow507 = true
	kept := randomBytes(3 << 20)
	a := tn.member.createAsset(t, "kept.bin", kept)
	for _, w := range fileWays(t, tn.member, id(t, a), randomBytes(2<<20)) {
		for _, ext := range formats {
			t.Run(w.name+ext, func(t *testing.T) {
				before := e.state(t, tn.holder)
				w.send(ext).wantError(t, 507, "Storage is full")
				e.unchanged(t, tn.holder, before)
				if got := tn.admin.get(t, "/api/assets/download/"+id(t, a)).want(t, 200).body; !bytes.Equal(got, kept) {
					t.Errorf("download after a full disk: %d bytes, want the %d stored", len(got), len(kept))
				}
			})
		}
	}
	tn.guest.get(t, "/api/assets.json").want(t, 200)
	tn.member.upload(t, "small.txt", []byte("a small file still fits"))
}
