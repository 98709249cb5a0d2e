package main

import (
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
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/servertest"
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
)

func TestMain(m *testing.M) {
	code := m.Run()
	servertest.Cleanup()
	os.Exit(code)
}

// noUploadCap are the flags that let one user send any number of files at
// once, for tests of many uploads together.
var noUploadCap = []string{"--max-uploads-per-user", "0"}

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
func upload(ctx context.Context, c *http.Client, s *servertest.Server, n int, seed uint64, size int64, key string) uploadResult {
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
	req, err := http.NewRequestWithContext(ctx, "POST", s.URL("/api/assets.xml"), pr)
	if err != nil {
		res.err = err
		return res
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if key != "" {
		req.Header.Set("Idempotency-Key", key)
	}
	req.SetBasicAuth("admin", servertest.AdminPassword)
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
			res.err = fmt.Errorf("201 with an unreadable asset: %w: %s", err, body)
			return res
		}
		res.id, res.gotHash = a.ID, a.SHA256
	}
	return res
}

func TestCrashDuringUploads(t *testing.T) {
	bin := servertest.Build(t)
	data := t.TempDir()
	start := time.Now()

	// The uploads all come from admin at once, which the per-user cap of
	// uploads at once would refuse: this test is about crashes.
	srv := servertest.Serve(t, bin, data, noUploadCap...)
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	// A client per server run: its connections die with the server.
	client := &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)

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
			results[i].beforeKill = !srv.Killing()
			if results[i].status == http.StatusCreated && acked.Add(1) == crashKillAfter {
				killOnce.Do(func() {
					srv.Kill()
					close(killed)
				})
			}
		})
	}
	wg.Wait()
	killOnce.Do(func() { // fewer acknowledgements than expected: still crash
		t.Errorf("only %d uploads were acknowledged before the kill", acked.Load())
		srv.Kill()
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
	srv.CheckLog()
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

	srv = servertest.Serve(t, bin, data, noUploadCap...)
	client = &http.Client{Timeout: 5 * time.Minute}
	srv.WaitReady(client)
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
	out, err := servertest.Command(t, bin, nil, "check", "--data", data)
	if err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check beside the server: %v\n%s", err, out)
	}
	srv.Stop()
	srv.CheckLog()
	out, err = servertest.Command(t, bin, nil, "check", "--data", data)
	if err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
	t.Logf("crash test took %v", time.Since(start).Round(time.Millisecond))
}

// listAssets reads every page of GET /api/assets.xml.
func listAssets(t *testing.T, c *http.Client, s *servertest.Server) map[int64]assetXML {
	t.Helper()
	all := map[int64]assetXML{}
	for page := 1; ; page++ {
		req, _ := http.NewRequest("GET", s.URL(fmt.Sprintf("/api/assets.xml?per_page=100&page=%d", page)), nil)
		req.SetBasicAuth("admin", servertest.AdminPassword)
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

// download fetches an asset's file as admin and answers its SHA-256 and
// size.
func download(t *testing.T, c *http.Client, s *servertest.Server, id int64) (string, int64) {
	t.Helper()
	admin := servertest.Admin(t, s)
	admin.HTTP = c
	return admin.Sum(fmt.Sprintf("/api/assets/download/%d", id))
}
