package hardening

import (
	"bytes"
	"crypto/md5"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"syscall"
	"testing"
	"time"

	"damask/blob/s3/s3test"
	"damask/servertest"
)

// Faults of the network, the disk and the stored bytes: RELIABILITY.md
// items 30, 31, 33, 34 and 36.

// TestR30_LostAnswerRetried: a client sends a whole upload with an
// Idempotency-Key and hangs up before the answer; it sends the same
// request again with the same key and gets one asset, the same each time,
// never two.
func TestR30_LostAnswerRetried(t *testing.T) {
	l := start(t)
	auth := basic("admin", servertest.AdminPassword)
	const rounds = 4
	for i := range rounds {
		t.Run(fmt.Sprintf("round %d", i+1), func(t *testing.T) {
			data := randomData(256<<10 + i)
			key := fmt.Sprintf("lost-answer-%d", i)
			body, ct := multipartFile(fmt.Sprintf("lost-%d.bin", i), "", data)
			// The first try: all of the request, then the connection
			// closes before a byte of the answer is read.
			conn, _ := rawRequest(t, l.Addr, fmt.Sprintf("POST /api/assets.json?title=lost-%d HTTP/1.1\r\nHost: %s\r\n"+
				"Authorization: %s\r\nIdempotency-Key: %s\r\nContent-Type: %s\r\nContent-Length: %d\r\n\r\n",
				i, l.Addr, auth, key, ct, len(body)))
			if _, err := conn.Write(body); err != nil {
				t.Fatal(err)
			}
			if i%2 == 1 {
				// The answer is written and never read: the
				// connection closes once the asset exists.
				waitTotal(t, l.admin, i+1)
			}
			conn.Close()
			// The retries, as the client would send them.
			var ids []string
			for range 2 {
				st, h, b := l.admin.Request("POST", "/api/assets.json?title="+fmt.Sprintf("lost-%d", i), ct, bytes.NewReader(body), "Idempotency-Key", key)
				if st != http.StatusCreated {
					t.Fatalf("retry: %d: %s", st, b)
				}
				ids = append(ids, idOf(t, b))
				if sum := doc(t, b)["sha256"]; sum != fmt.Sprintf("%x", sha256.Sum256(data)) {
					t.Errorf("retry answered an asset of other bytes: %v", sum)
				}
				_ = h
			}
			if ids[0] != ids[1] {
				t.Errorf("two retries, two assets: %v", ids)
			}
		})
	}
	// Once every request has ended (a clean stop waits for them), there
	// is one asset per key.
	l.Stop()
	s := servertest.Serve(t, servertest.Build(t), l.data)
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	st, h, b := admin.Request("GET", "/api/assets.json?per_page=100", "", nil)
	if st != http.StatusOK || h.Get("X-Total-Count") != strconv.Itoa(rounds) {
		t.Errorf("assets after the lost answers: %d, X-Total-Count %q, want %d: %s", st, h.Get("X-Total-Count"), rounds, b)
	}
	s.CheckLog()
}

// waitTotal waits (up to two minutes) until the account has n assets or
// more.
func waitTotal(t *testing.T, c servertest.Client, n int) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		_, h, _ := c.Request("GET", "/api/assets.json", "", nil)
		if got, _ := strconv.Atoi(h.Get("X-Total-Count")); got >= n {
			return
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s assets after two minutes, want %d", h.Get("X-Total-Count"), n)
		}
		time.Sleep(20 * time.Millisecond)
	}
}

// tmpfs mounts a file system of size (8m) on a new folder, for a real
// full disk; it needs root (or CAP_SYS_ADMIN), and the test is skipped
// without.
func tmpfs(t *testing.T, size string) string {
	t.Helper()
	dir := t.TempDir()
	if err := syscall.Mount("tmpfs", dir, "tmpfs", syscall.MS_NOSUID|syscall.MS_NODEV, "size="+size+",mode=0700"); err != nil {
		t.Skipf("mount a tmpfs of %s, for a real full disk: %v (needs root or CAP_SYS_ADMIN)", size, err)
	}
	t.Cleanup(func() {
		if err := syscall.Unmount(dir, syscall.MNT_DETACH); err != nil {
			t.Errorf("unmount %s: %v", dir, err)
		}
	})
	return dir
}

// TestR31_DiskFull: the real server on a data folder of a small tmpfs
// (database and files), with no reserve, gets a file larger than the free
// space: 507, no partial file, the database unchanged, reads still
// served, and a file that fits is taken after.
func TestR31_DiskFull(t *testing.T) {
	disk := tmpfs(t, "12m")
	data := filepath.Join(disk, "data")
	bin := servertest.Build(t)
	s := servertest.Serve(t, bin, data, "--disk-reserve", "0", "--max-file-size", strconv.Itoa(64<<20))
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	l := &library{Server: s, data: data, admin: admin}
	kept := randomData(3 << 20)
	a := l.upload(t, "kept.bin", "", kept)
	waitProcessed(t, l.admin, strconv.FormatInt(a.ID, 10)) // its document stays still from now on
	big := randomData(16 << 20)
	form, formType := multipartFile("big.bin", "", big)
	for _, tc := range []struct {
		name, path, ct string
		body           func() io.Reader
	}{
		{"raw with Content-Length", "/api/upload.json?filename=big.bin", "application/octet-stream", func() io.Reader { return bytes.NewReader(big) }},
		{"raw chunked", "/api/upload.json?filename=big.bin", "application/octet-stream", func() io.Reader { return io.MultiReader(bytes.NewReader(big)) }},
		{"one-step create", "/api/assets.json", formType, func() io.Reader { return bytes.NewReader(form) }},
		{"new version", "/api/assets/" + strconv.FormatInt(a.ID, 10) + "/versions.json", formType, func() io.Reader { return bytes.NewReader(form) }},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := l.counts(t)
			beforeList := l.admin.Must(http.StatusOK, "GET", "/api/assets.json", "", nil)
			st, _, b := l.admin.Request("POST", tc.path, tc.ct, tc.body())
			if st != http.StatusInsufficientStorage {
				t.Fatalf("status %d, want 507: %s", st, b)
			}
			l.waitNoTmp(t)
			if after := l.counts(t); after != before {
				t.Errorf("something was kept: before %+v, after %+v", before, after)
			}
			if after := l.admin.Must(http.StatusOK, "GET", "/api/assets.json", "", nil); !bytes.Equal(after, beforeList) {
				t.Errorf("the assets changed:\n%s\n%s", beforeList, after)
			}
			// Reads are still served.
			if got := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil); !bytes.Equal(got, kept) {
				t.Errorf("download after a full disk: %d bytes, want the %d stored", len(got), len(kept))
			}
		})
	}
	l.upload(t, "small.bin", "", randomData(64<<10))
	if out, err := servertest.Command(t, bin, nil, "check", "--data", data); err != nil {
		t.Errorf("damask check after a full disk: %v\n%s", err, out)
	}
	s.CheckLog()
}

// TestR33_ChecksumMismatch: a body whose Content-Digest (sha-256) or
// Content-MD5 does not match is refused with 400 and nothing is stored,
// raw or in a form; the right sums are taken.
func TestR33_ChecksumMismatch(t *testing.T) {
	l := start(t)
	data := randomData(200 << 10)
	damaged := bytes.Clone(data)
	damaged[1000] ^= 0x40
	digest := func(b []byte) string {
		s := sha256.Sum256(b)
		return "sha-256=:" + base64.StdEncoding.EncodeToString(s[:]) + ":"
	}
	md := func(b []byte) string { s := md5.Sum(b); return base64.StdEncoding.EncodeToString(s[:]) }
	form, formType := multipartFile("f.bin", "", data)
	badForm := bytes.Replace(form, data, damaged, 1)
	for _, b := range []struct {
		name, path, ct string
		sent, meant    []byte // what goes on the wire, what the sums are of
	}{
		{"raw", "/api/upload.json?filename=f.bin", "application/octet-stream", damaged, data},
		{"form", "/api/assets.json", formType, badForm, form},
	} {
		for _, h := range []struct{ name, header, value string }{
			{"Content-Digest", "Content-Digest", digest(b.meant)},
			{"Content-MD5", "Content-MD5", md(b.meant)},
		} {
			t.Run(b.name+" "+h.name, func(t *testing.T) {
				before := l.counts(t)
				st, _, body := l.admin.Request("POST", b.path, b.ct, bytes.NewReader(b.sent), h.header, h.value)
				if st != http.StatusBadRequest {
					t.Fatalf("status %d, want 400: %s", st, body)
				}
				contains(t, "error", body, "does not match its "+h.header)
				l.waitNoTmp(t)
				if after := l.counts(t); after != before {
					t.Errorf("something was kept: before %+v, after %+v", before, after)
				}
				// The same request undamaged is taken.
				st, _, body = l.admin.Request("POST", b.path, b.ct, bytes.NewReader(b.meant), h.header, h.value)
				if st != http.StatusCreated {
					t.Errorf("undamaged: %d: %s", st, body)
				}
			})
		}
	}
	l.CheckLog()
}

// TestR34_FlippedBytes: a stored file whose bytes were changed where it
// is kept, on the disk or in an S3 bucket, is not served: the download is
// a 5xx, the server logs it and counts it in /metrics, and `damask check`
// names the file.
func TestR34_FlippedBytes(t *testing.T) {
	t.Run("disk", func(t *testing.T) {
		l := start(t)
		flipped(t, l, func(name string) string { return filepath.Join(l.data, "blobs", name[:2], name) })
	})
	t.Run("S3", func(t *testing.T) {
		blobs, dir := s3test.Start(t)
		l := start(t, "--blobs", blobs)
		flipped(t, l, func(name string) string { return filepath.Join(dir, name[:2], name[2:4], name) }, "--blobs", blobs)
	})
}

// flipped stores a file, flips a byte of it where the store keeps it
// (where answers that path from the file's SHA-256 in hex), and checks the
// refusals; checkFlags are the flags `damask check` needs besides --data.
func flipped(t *testing.T, l *library, where func(name string) string, checkFlags ...string) {
	data := bytes.Repeat([]byte("precious bytes\n"), 20_000)
	a := l.upload(t, "precious.txt", "", data)
	sum := sha256.Sum256(data)
	name := hex.EncodeToString(sum[:])
	file := where(name)
	if _, err := os.Stat(file); err != nil {
		t.Fatalf("the stored file: %v", err)
	}
	check := func() (string, error) {
		return servertest.Command(t, servertest.Build(t), nil, append([]string{"check", "--data", l.data}, checkFlags...)...)
	}
	if out, err := check(); err != nil || !strings.Contains(out, "ok:") {
		t.Fatalf("damask check of a sound library: %v\n%s", err, out)
	}
	metric := func() string {
		res, err := http.Get(l.URL("/metrics"))
		if err != nil {
			t.Fatal(err)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		for _, line := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(line, "damask_integrity_failures_total "); ok {
				return v
			}
		}
		t.Fatalf("no damask_integrity_failures_total in /metrics:\n%s", b)
		return ""
	}
	if m := metric(); m != "0" {
		t.Fatalf("integrity failures before the damage: %s", m)
	}
	damaged := bytes.Clone(data)
	damaged[len(damaged)/3] ^= 1
	os.Chmod(file, 0o600)
	if err := os.WriteFile(file, damaged, 0o600); err != nil {
		t.Fatal(err)
	}
	logBefore := len(l.Log())
	path := fmt.Sprintf("/api/assets/download/%d", a.ID)
	for _, h := range [][]string{nil, {"Range", "bytes=0-9"}} {
		st, _, b := l.admin.Request("GET", path, "", nil, h...)
		if st < 500 || bytes.Equal(b, damaged) {
			t.Errorf("download %v of a damaged file: %d, %d bytes", h, st, len(b))
		}
	}
	if m := metric(); m != "2" {
		t.Errorf("damask_integrity_failures_total %s, want 2", m)
	}
	if log := l.Log()[logBefore:]; !strings.Contains(log, "level=ERROR") {
		t.Errorf("the server did not log the damage as an error:\n%s", log)
	}
	out, err := check()
	if err == nil || !strings.Contains(out, "DAMAGED") || !strings.Contains(out, name) {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}

// TestR36_ConcurrentUploadsSQLite: 50 uploads at once on SQLite all
// succeed without "database is locked"; after a SIGKILL in the middle of
// more, SQLite's integrity check and `damask check` are clean.
func TestR36_ConcurrentUploadsSQLite(t *testing.T) {
	l := start(t, "--max-uploads-per-user", "0", "--rate", "0")
	const n = 50
	upload := func(i int) (int, []byte) {
		body, ct := multipartFile(fmt.Sprintf("c%d.bin", i), "", randomData(32<<10+i))
		st, _, b := l.admin.Request("POST", "/api/assets.json", ct, bytes.NewReader(body))
		return st, b
	}
	var wg sync.WaitGroup
	errs := make(chan string, n)
	for i := range n {
		wg.Go(func() {
			if st, b := upload(i); st != http.StatusCreated {
				errs <- fmt.Sprintf("upload %d: %d: %s", i, st, b)
			}
		})
	}
	wg.Wait()
	close(errs)
	for e := range errs {
		t.Error(e)
	}
	_, h, _ := l.admin.Request("GET", "/api/assets.json", "", nil)
	if h.Get("X-Total-Count") != strconv.Itoa(n) {
		t.Errorf("X-Total-Count %q, want %d", h.Get("X-Total-Count"), n)
	}
	l.CheckLog()

	// More at once, and SIGKILL while they run.
	started := make(chan struct{}, n)
	c := l.admin
	for i := range n {
		go func() {
			body, ct := multipartFile(fmt.Sprintf("k%d.bin", i), "", randomData(256<<10))
			started <- struct{}{}
			req, _ := http.NewRequest("POST", l.URL("/api/assets.json"), bytes.NewReader(body))
			req.Header.Set("Content-Type", ct)
			req.SetBasicAuth(c.Login, c.PW)
			if res, err := c.HTTP.Do(req); err == nil {
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
			}
		}()
	}
	for range n {
		<-started
	}
	waitTotal(t, l.admin, n+1) // some have committed, others are under way
	l.Kill()
	if out, err := exec.Command("sqlite3", filepath.Join(l.data, "damask.db"), "PRAGMA integrity_check;").CombinedOutput(); err != nil || strings.TrimSpace(string(out)) != "ok" {
		t.Errorf("PRAGMA integrity_check: %v: %s", err, out)
	}
	if out, err := servertest.Command(t, servertest.Build(t), nil, "check", "--data", l.data); err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check after SIGKILL: %v\n%s", err, out)
	}
}
