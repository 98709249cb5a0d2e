package main

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/binary"
	"encoding/hex"
	"encoding/xml"
	"errors"
	"fmt"
	"io"
	"math/rand/v2"
	"mime/multipart"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// The crash test runs the real binary, as an operator would, and kills it
// with SIGKILL while uploads are in flight (RELIABILITY.md items 28, 29 and
// 36). After a restart on the same data folder every acknowledged upload
// must be there byte for byte, no record may point at missing bytes, the
// temporary files of the interrupted writes must be gone, and `damask
// check` must find the database and every file intact.

const (
	crashUploads   = 50
	crashKillAfter = 15 // acknowledged uploads before the SIGKILL
	crashMinSize   = 10 << 10
	crashMaxSize   = 8 << 20
	crashPassword  = "crash-test-password"
)

// buildDamask builds the command once per test binary run, into a folder
// that lives as long as the test that first asked for it needs it. Tests
// that use the binary call it; the build is shared by go's cache anyway.
var (
	buildOnce sync.Once
	buildPath string
	buildErr  error
)

func buildDamask(t *testing.T) string {
	t.Helper()
	buildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "damask-bin-")
		if err != nil {
			buildErr = err
			return
		}
		buildPath = filepath.Join(dir, "damask")
		args := []string{"build", "-o", buildPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		cmd := exec.Command("go", append(args, ".")...)
		out, err := cmd.CombinedOutput()
		if err != nil {
			buildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if buildErr != nil {
		t.Fatal(buildErr)
	}
	return buildPath
}

func TestMain(m *testing.M) {
	code := m.Run()
	if buildPath != "" {
		os.RemoveAll(filepath.Dir(buildPath))
	}
	os.Exit(code)
}

// cleanEnv is the test process's environment without DAMASK_ variables, so
// that an operator's settings never leak into the server under test.
func cleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DAMASK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// server is a running `damask serve`.
type server struct {
	t      *testing.T
	cmd    *exec.Cmd
	addr   string // host:port it listens on
	stderr *lockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done
	// killing is set just before SIGKILL: a connection that breaks
	// earlier is a failure of the server, not of the test's crash.
	killing atomic.Bool
}

type lockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *lockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *lockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// noUploadCap are the flags that let one user send any number of files at
// once, for tests of many uploads together.
var noUploadCap = []string{"--max-uploads-per-user", "0"}

// startServer starts `damask serve` on a port of the kernel's choosing and
// waits until it says where it listens.
func startServer(t *testing.T, bin, data string, extra ...string) *server {
	t.Helper()
	return startProcess(t, bin, "Damask is listening on ", append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)...)
}

// startProcess runs the binary with args and waits until it prints a line
// starting with ready; the rest of that line is its address, if any.
func startProcess(t *testing.T, bin, ready string, args ...string) *server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = cleanEnv("DAMASK_ADMIN_PASSWORD=" + crashPassword)
	s := &server{t: t, cmd: cmd, stderr: &lockedBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), ready); ok {
				addrc <- strings.TrimSpace(a)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("damask %s log:\n%s", args[0], s.stderr)
		}
	})
	select {
	case s.addr = <-addrc:
	case <-s.done:
		t.Fatalf("damask %s exited before it was ready: %v\n%s", args[0], s.err, s.stderr)
	case <-time.After(2 * time.Minute):
		t.Fatalf("damask %s was not ready within 2 minutes\n%s", args[0], s.stderr)
	}
	return s
}

func (s *server) url(path string) string { return "http://" + s.addr + path }

// kill sends SIGKILL and waits until the process is gone. It may run on
// any goroutine.
func (s *server) kill() {
	s.killing.Store(true)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Errorf("kill: %v", err)
	}
	<-s.done
}

// checkLog fails on what the server must never log: SQLite's lock errors
// (RELIABILITY 36) and, when built with -race, data races.
func (s *server) checkLog() {
	s.t.Helper()
	log := s.stderr.String()
	for _, bad := range []string{"database is locked", "WARNING: DATA RACE", "panic:"} {
		if strings.Contains(log, bad) {
			s.t.Errorf("the server logged %q", bad)
		}
	}
}

// stop asks the server to shut down as Ctrl-C would and expects a clean exit.
func (s *server) stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		s.t.Fatalf("interrupt: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.t.Fatal("damask serve did not stop within a minute of SIGINT")
	}
	if s.err != nil {
		s.t.Fatalf("damask serve exited with %v\n%s", s.err, s.stderr)
	}
}

// damaskCmd runs a one-shot command of the binary and answers its output.
func damaskCmd(t *testing.T, bin string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = cleanEnv()
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// waitReady polls the API until an authenticated call succeeds. The first
// such call also puts the admin's credentials in the server's cache, so
// that the uploads that follow do not each pay for argon2id at once.
func waitReady(t *testing.T, c *http.Client, s *server) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", s.url("/api/account.xml"), nil)
		req.SetBasicAuth("admin", crashPassword)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-s.done:
			t.Fatalf("server exited: %v", s.err)
		default:
		}
		if time.Now().After(deadline) {
			t.Fatalf("server not ready within 2 minutes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// payload is the content of upload i: size bytes of a stream seeded by i,
// so that the test never holds the uploads in memory.
func payload(seed uint64, size int64) io.Reader {
	var key [32]byte
	binary.LittleEndian.PutUint64(key[:], seed)
	return io.LimitReader(rand.NewChaCha8(key), size)
}

type uploadResult struct {
	n          int
	beforeKill bool // the upload ended before the SIGKILL was sent
	size       int64
	sent       string // SHA-256 of the bytes sent
	status     int    // 0 when no answer came
	id         int64
	gotHash    string // sha256 of the answer
	err        error
	body       string
	replayed   bool // answered with Idempotent-Replayed: true
}

type assetXML struct {
	ID       int64  `xml:"id"`
	Filename string `xml:"filename"`
	Size     int64  `xml:"size"`
	SHA256   string `xml:"sha256"`
}

// upload sends one file as POST /api/assets.xml with a multipart body that
// is written as it is sent, with the Idempotency-Key key unless it is "".
func upload(ctx context.Context, c *http.Client, s *server, n int, seed uint64, size int64, key string) uploadResult {
	res := uploadResult{n: n, size: size}
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	h := sha256.New()
	hashc := make(chan string, 1) // the hash of what was sent, once the writer is done
	go func() {
		defer func() { hashc <- hex.EncodeToString(h.Sum(nil)) }()
		err := func() error {
			if err := mw.WriteField("title", fmt.Sprintf("crash %d", n)); err != nil {
				return err
			}
			part, err := mw.CreateFormFile("file", fmt.Sprintf("crash-%02d.bin", n))
			if err != nil {
				return err
			}
			if _, err := io.Copy(io.MultiWriter(part, h), payload(seed, size)); err != nil {
				return err
			}
			return mw.Close()
		}()
		pw.CloseWithError(err)
	}()
	req, err := http.NewRequestWithContext(ctx, "POST", s.url("/api/assets.xml"), pr)
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.SetBasicAuth("admin", crashPassword)
	resp, err := c.Do(req)
	pr.CloseWithError(errors.New("request over")) // unblocks the writer if the request ended early
	res.sent = <-hashc
	if err != nil {
		res.err = err
		return res
	}
	defer resp.Body.Close()
	body, err := io.ReadAll(resp.Body)
	if err != nil {
		res.err = err // the status alone is no acknowledgement
		return res
	}
	res.status = resp.StatusCode
	res.body = string(body)
	res.replayed = resp.Header.Get("Idempotent-Replayed") == "true"
	if resp.StatusCode == http.StatusCreated {
		var a assetXML
		if err := xml.Unmarshal(body, &a); err != nil {
			res.err = fmt.Errorf("201 with an unreadable asset: %v: %s", err, body)
			return res
		}
		res.id, res.gotHash = a.ID, a.SHA256
	}
	return res
}

func TestCrashDuringUploads(t *testing.T) {
	bin := buildDamask(t)
	data := t.TempDir()
	start := time.Now()

	// The uploads all come from admin at once, which the per-user cap of
	// uploads at once would refuse: this test is about crashes.
	srv := startServer(t, bin, data, noUploadCap...)
	if out, err := damaskCmd(t, bin, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	// A client per server run: its connections die with the server.
	client := &http.Client{Timeout: 5 * time.Minute}
	waitReady(t, client, srv)

	seed := uint64(time.Now().UnixNano())
	t.Logf("sizes and contents from seed %d", seed)
	rng := rand.New(rand.NewPCG(seed, 0xda3a5c))
	sizes := make([]int64, crashUploads)
	seeds := make([]uint64, crashUploads)
	for i := range sizes {
		sizes[i] = crashMinSize + rng.Int64N(crashMaxSize-crashMinSize+1)
		seeds[i] = rng.Uint64()
	}

	var (
		acked    atomic.Int32
		killOnce sync.Once
		killed   = make(chan struct{})
		results  = make([]uploadResult, crashUploads)
		wg       sync.WaitGroup
	)
	ctx, cancel := context.WithTimeout(context.Background(), 5*time.Minute)
	defer cancel()
	for i := range crashUploads {
		wg.Go(func() {
			results[i] = upload(ctx, client, srv, i, seeds[i], sizes[i], "")
			results[i].beforeKill = !srv.killing.Load()
			if results[i].status == http.StatusCreated && acked.Add(1) == crashKillAfter {
				killOnce.Do(func() {
					srv.kill()
					close(killed)
				})
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() { // fewer acknowledgements than expected: still crash
		t.Errorf("only %d uploads were acknowledged before the kill", acked.Load())
		srv.kill()
		close(killed)
	})
	<-killed
	client.CloseIdleConnections()
	t.Logf("killed the server after %v", time.Since(start).Round(time.Millisecond))

	// Every answer received before the kill is a success: 5xx would be a
	// broken promise (RELIABILITY 36: never "database is locked").
	sent := map[int64]uploadResult{}
	var nAcked, nFailed int
	for _, r := range results {
		switch {
		case r.status == http.StatusCreated && r.err == nil:
			nAcked++
			if r.gotHash != r.sent {
				t.Errorf("upload %d: answered sha256 %s, sent %s", r.n, r.gotHash, r.sent)
			}
			sent[r.id] = r
		case r.status != 0:
			t.Errorf("upload %d (%d bytes): %d %s", r.n, r.size, r.status, r.body)
		case r.beforeKill:
			t.Errorf("upload %d (%d bytes) failed before the kill: %v", r.n, r.size, r.err)
		default:
			nFailed++ // cut off by the kill
		}
	}
	srv.checkLog()
	t.Logf("%d uploads acknowledged, %d cut off by SIGKILL", nAcked, nFailed)
	if nFailed == 0 {
		t.Errorf("no upload was in flight when the server was killed")
	}

	// Whatever the interrupted writes left in .tmp goes at the next start;
	// a file planted there makes sure the cleanup is exercised.
	tmpDir := filepath.Join(data, "blobs", ".tmp")
	left, err := os.ReadDir(tmpDir)
	if err != nil {
		t.Fatal(err)
	}
	t.Logf("%d temporary files left by the crash", len(left))
	if err := os.WriteFile(filepath.Join(tmpDir, "blob-planted"), []byte("partial"), 0o600); err != nil {
		t.Fatal(err)
	}

	srv = startServer(t, bin, data, noUploadCap...)
	client = &http.Client{Timeout: 5 * time.Minute}
	waitReady(t, client, srv)
	if left, err := os.ReadDir(tmpDir); err != nil {
		t.Fatal(err)
	} else if len(left) > 0 {
		var names []string
		for _, e := range left {
			names = append(names, e.Name())
		}
		t.Errorf("temporary files left after the restart: %v", names)
	}

	// Every asset listed downloads whole, and every acknowledged one is
	// listed with the bytes that were sent.
	listed := listAssets(t, client, srv)
	for id, r := range sent {
		a, ok := listed[id]
		if !ok {
			t.Errorf("acknowledged upload %d (asset %d, %d bytes) is lost", r.n, id, r.size)
			continue
		}
		if a.SHA256 != r.sent || a.Size != r.size {
			t.Errorf("asset %d: listed as %d bytes with sha256 %s, sent %d bytes with %s", id, a.Size, a.SHA256, r.size, r.sent)
		}
	}
	for id, a := range listed {
		got, n := download(t, client, srv, id)
		if got != a.SHA256 || n != a.Size {
			t.Errorf("asset %d: downloaded %d bytes with sha256 %s, recorded %d bytes with %s", id, n, got, a.Size, a.SHA256)
		}
	}
	t.Logf("%d assets after the restart (%d acknowledged, %d committed whose answer was lost)",
		len(listed), len(sent), len(listed)-len(sent))

	// Files whose record never committed (RELIABILITY 29) stay on disk
	// until the housework's grace period ends; no asset shows them.
	recorded := map[string]bool{}
	for _, a := range listed {
		recorded[a.SHA256] = true
	}
	stored, _ := filepath.Glob(filepath.Join(data, "blobs", "??", "??", "*"))
	orphans := 0
	for _, p := range stored {
		if !recorded[filepath.Base(p)] {
			orphans++
		}
	}
	t.Logf("%d stored files, %d of them without a record", len(stored), orphans)

	// The operator's check, beside the running server and after it.
	out, err := damaskCmd(t, bin, "check", "--data", data)
	if err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check beside the server: %v\n%s", err, out)
	}
	srv.stop()
	srv.checkLog()
	out, err = damaskCmd(t, bin, "check", "--data", data)
	if err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
	t.Logf("crash test took %v", time.Since(start).Round(time.Millisecond))
}

// listAssets reads every page of GET /api/assets.xml.
func listAssets(t *testing.T, c *http.Client, s *server) map[int64]assetXML {
	t.Helper()
	all := map[int64]assetXML{}
	for page := 1; ; page++ {
		req, _ := http.NewRequest("GET", s.url(fmt.Sprintf("/api/assets.xml?per_page=100&page=%d", page)), nil)
		req.SetBasicAuth("admin", crashPassword)
		resp, err := c.Do(req)
		if err != nil {
			t.Fatal(err)
		}
		body, err := io.ReadAll(resp.Body)
		resp.Body.Close()
		if err != nil {
			t.Fatal(err)
		}
		var doc struct {
			Assets []assetXML `xml:"asset"`
		}
		switch resp.StatusCode {
		case http.StatusOK:
		case http.StatusNotFound: // an empty page
			return all
		default:
			t.Fatalf("list page %d: %s: %s", page, resp.Status, body)
		}
		if err := xml.Unmarshal(body, &doc); err != nil {
			t.Fatalf("list page %d: %v: %s", page, err, body)
		}
		if len(doc.Assets) == 0 {
			return all
		}
		for _, a := range doc.Assets {
			all[a.ID] = a
		}
	}
}

// download fetches an asset's file and answers its SHA-256 and size.
func download(t *testing.T, c *http.Client, s *server, id int64) (string, int64) {
	t.Helper()
	req, _ := http.NewRequest("GET", s.url(fmt.Sprintf("/api/assets/download/%d", id)), nil)
	req.SetBasicAuth("admin", crashPassword)
	resp, err := c.Do(req)
	if err != nil {
		t.Fatalf("download %d: %v", id, err)
	}
	defer resp.Body.Close()
	if resp.StatusCode != http.StatusOK {
		body, _ := io.ReadAll(resp.Body)
		t.Errorf("download %d: %s: %s", id, resp.Status, body)
		return "", 0
	}
	h := sha256.New()
	n, err := io.Copy(h, resp.Body)
	if err != nil {
		t.Errorf("download %d: %v", id, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}
