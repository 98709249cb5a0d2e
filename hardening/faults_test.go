package hardening

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"damask/blob/s3/s3test"
	"damask/servertest"
)

// The fault items of RELIABILITY.md: crashes (28, 29), I/O errors under
// the disk store (32) and a failing S3 service (35). Helpers shared by
// them are in crash_test.go.

// listAll reads every page of GET /api/assets.xml.
func listAll(t *testing.T, c servertest.Client) map[int64]asset {
	t.Helper()
	all := map[int64]asset{}
	for page := 1; ; page++ {
		status, b := c.Do("GET", fmt.Sprintf("/api/assets.xml?per_page=100&page=%d", page), "", nil)
		if status == http.StatusNotFound { // past the last page
			return all
		}
		if status != http.StatusOK {
			t.Fatalf("list page %d: %d: %s", page, status, b)
		}
		var doc struct {
			Assets []asset `xml:"asset"`
		}
		if err := xml.Unmarshal(b, &doc); err != nil {
			t.Fatalf("list page %d: %v: %s", page, err, b)
		}
		if len(doc.Assets) == 0 {
			return all
		}
		for _, a := range doc.Assets {
			all[a.ID] = a
		}
	}
}

// downloadSum fetches an asset's file and answers the SHA-256 and the
// size of what came, or fails the test.
func downloadSum(t *testing.T, c servertest.Client, id int64) (string, int64) {
	t.Helper()
	c.T = t
	return c.Sum(fmt.Sprintf("/api/assets/download/%d", id))
}

func sha(b []byte) string {
	s := sha256.Sum256(b)
	return hex.EncodeToString(s[:])
}

// faultPoints are the injected I/O errors of TestR32, each with the status
// its upload must get: 500, or 507 for a full disk.
var faultPoints = []struct {
	spec   string
	status int
}{
	{"write=eio@1MiB", http.StatusInternalServerError},
	{"write=eio", http.StatusInternalServerError},
	{"fsync=eio", http.StatusInternalServerError},
	{"rename=eio", http.StatusInternalServerError},
	{"dirsync=eio", http.StatusInternalServerError},
	{"write=enospc@1MiB", http.StatusInsufficientStorage},
}

// TestR32_IOErrorIs5xx: the real server over a disk whose writes, fsyncs,
// renames or folder fsyncs fail (a binary built with the faultfs tag,
// which reads DAMASK_FAULTS; see blob/disk/faultfs). Each upload answers
// 5xx with an error document, never 2xx; no asset appears; no temporary
// file stays; the server still serves the files it has. Restarted without
// the fault, it takes the same uploads, and `damask check` finds all
// sound.
func TestR32_IOErrorIs5xx(t *testing.T) {
	bin := servertest.Build(t, "faultfs")
	data := filepath.Join(t.TempDir(), "data")
	s := servertest.Serve(t, bin, data, "--no-workers")
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	kept := bytes.Repeat([]byte("stored before the disk failed\n"), 1000)
	body, ct := servertest.Multipart("kept.txt", kept)
	var a asset
	if err := xml.Unmarshal(admin.Must(http.StatusCreated, "POST", "/api/assets.xml", ct, body), &a); err != nil {
		t.Fatal(err)
	}
	s.Stop()

	files := map[string][]byte{}
	for i, fp := range faultPoints {
		t.Run(fp.spec, func(t *testing.T) {
			s := servertest.Start(t, bin, []string{"DAMASK_FAULTS=" + fp.spec}, "Damask is listening on ",
				"serve", "--data", data, "--addr", "127.0.0.1:0", "--no-workers")
			defer s.Stop()
			admin := servertest.Admin(t, s)
			s.WaitReady(admin.HTTP)
			file := bytes.Repeat(fmt.Appendf(nil, "file %d, sent while %s\n", i, fp.spec), 100_000) // 3-4 MB
			files[fp.spec] = file
			body, ct := servertest.Multipart("failing.txt", file)
			status, b := admin.Do("POST", "/api/assets.xml", ct, body)
			if status != fp.status || !strings.Contains(string(b), "<errors><error>") {
				t.Errorf("upload with %s: %d %s; want %d with an error document", fp.spec, status, b, fp.status)
			}
			for id, a := range listAll(t, admin) {
				if a.SHA256 == sha(file) {
					t.Errorf("asset %d holds the failed upload", id)
				}
			}
			if left, _ := os.ReadDir(filepath.Join(data, "blobs", ".tmp")); len(left) > 0 {
				t.Errorf("%d temporary files left", len(left))
			}
			if got, n := downloadSum(t, admin, a.ID); got != sha(kept) || n != int64(len(kept)) {
				t.Errorf("download of a file stored before: %d bytes, sha256 %s", n, got)
			}
			s.CheckLog()
		})
	}

	s = servertest.Serve(t, bin, data, "--no-workers")
	admin = servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	for spec, file := range files {
		body, ct := servertest.Multipart("retried.txt", file)
		if status, b := admin.Do("POST", "/api/assets.xml", ct, body); status != http.StatusCreated {
			t.Errorf("upload of the file that failed with %s, without faults: %d %s", spec, status, b)
		}
	}
	s.Stop()
	if out, err := servertest.Command(t, bin, nil, "check", "--data", data); err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}

// waitLog waits until the server's log holds want. Generous, for a busy
// machine; the log line is the signal, not the time.
func waitLog(t *testing.T, s *servertest.Server, want string) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for !strings.Contains(s.Log(), want) {
		if time.Now().After(deadline) {
			t.Fatalf("the server did not log %q within 2 minutes:\n%s", want, s.Log())
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// TestR29_OrphanBytesCollected: bytes in place whose record never
// committed (here: a create refused after its file arrived, which leaves
// the same thing a SIGKILL between the two steps does) are served by no
// asset, and the housework collects them once they are older than its
// grace: set aside first, deleted a round later. Time is played by
// setting the files' times back, as the hours would.
func TestR29_OrphanBytesCollected(t *testing.T) {
	l := start(t, "--no-workers")
	orphan := bytes.Repeat([]byte("bytes whose record never committed\n"), 1000)
	body, ct := servertest.Multipart("orphan.txt", orphan, "title", strings.Repeat("x", 300))
	if status, b := l.admin.Do("POST", "/api/assets.xml", ct, body); status != http.StatusUnprocessableEntity {
		t.Fatalf("create with a title too long: %d %s, want 422", status, b)
	}
	name := sha(orphan)
	path := filepath.Join(l.data, "blobs", name[:2], name)
	if _, err := os.Stat(path); err != nil {
		t.Fatalf("the refused create's bytes are not in place (the test needs them there): %v", err)
	}
	for id, a := range listAll(t, l.admin) {
		if a.SHA256 == name {
			t.Fatalf("asset %d serves the orphan bytes", id)
		}
	}
	l.Stop()

	// Two hours later, the housework at start sets them aside.
	old := time.Now().Add(-2 * time.Hour)
	if err := os.Chtimes(path, old, old); err != nil {
		t.Fatal(err)
	}
	bin := servertest.Build(t)
	s := servertest.Serve(t, bin, l.data, "--no-workers")
	waitLog(t, s, `set aside unreferenced file" blob=`+name)
	s.Stop()
	if _, err := os.Stat(path); !os.IsNotExist(err) {
		t.Errorf("the orphan is still in place after the housework: %v", err)
	}
	// Two more hours, and the next round deletes them.
	aside := filepath.Join(l.data, "blobs", ".gc", name)
	if err := os.Chtimes(aside, old, old); err != nil {
		t.Fatalf("the orphan was not set aside in .gc: %v", err)
	}
	s = servertest.Serve(t, bin, l.data, "--no-workers")
	waitLog(t, s, `released unreferenced file" blob=`+name)
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	for id, a := range listAll(t, admin) {
		if a.SHA256 == name {
			t.Errorf("asset %d serves the orphan bytes", id)
		}
	}
	s.Stop()
	for _, p := range []string{path, aside} {
		if _, err := os.Stat(p); !os.IsNotExist(err) {
			t.Errorf("%s after the second round: %v, want it gone", p, err)
		}
	}
}

// TestR35_S3Faults: the real server with its files in a real S3 server
// behind a proxy that fails on demand (s3test.Proxy). Answers of 503 are
// retried with backoff and the uploads succeed. The S3 service going away
// in the middle of a multipart upload fails the upload cleanly, within a
// bounded time: 5xx with an error document, no record; once it is back,
// uploads work again and the cut-off multipart upload is aborted, none
// left on the server.
func TestR35_S3Faults(t *testing.T) {
	srv := s3test.StartServer(t)
	p := s3test.StartProxy(t, srv)
	blobs := p.URL(s3test.Bucket) + "&part-size=5"
	data := filepath.Join(t.TempDir(), "data")
	bin := servertest.Build(t)
	s := servertest.Serve(t, bin, data, "--blobs", blobs, "--no-workers")
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data, "--blobs", blobs); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)

	small := bytes.Repeat([]byte("a small file, sent while S3 says 503\n"), 1000)
	large := bytes.Repeat([]byte("a large file, sent while S3 says 503\n"), 12<<20/37) // three parts
	for _, file := range [][]byte{small, large} {
		before := p.Requests()
		p.Fail503(3)
		body, ct := servertest.Multipart("slowdown.bin", file)
		var a asset
		if err := xml.Unmarshal(admin.Must(http.StatusCreated, "POST", "/api/assets.xml", ct, body), &a); err != nil {
			t.Fatal(err)
		}
		if got, n := downloadSum(t, admin, a.ID); got != sha(file) || n != int64(len(file)) {
			t.Errorf("asset %d stored through 503s downloads as %d bytes with sha256 %s", a.ID, n, got)
		}
		t.Logf("%d bytes stored through three 503s, in %d requests to S3", len(file), p.Requests()-before)
	}

	// S3 goes away once the upload has started a multipart upload.
	cutoff := bytes.Repeat([]byte("a file S3 went away in the middle of\n"), 12<<20/37)
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	before := p.Requests()
	partSent := make(chan struct{})
	go func() {
		part, _ := mw.CreateFormFile("file", "cutoff.bin")
		part.Write(cutoff[:6<<20]) // one part and more
		<-partSent
		part.Write(cutoff[6<<20:])
		mw.Close()
		pw.Close()
	}()
	type answer struct {
		status int
		body   []byte
		err    error
	}
	answered := make(chan answer, 1)
	began := time.Now()
	go func() {
		req, _ := http.NewRequest("POST", s.URL("/api/assets.xml"), pr)
		req.Header.Set("Content-Type", mw.FormDataContentType())
		req.SetBasicAuth(admin.Login, admin.PW)
		res, err := admin.HTTP.Do(req)
		if err != nil {
			answered <- answer{err: err}
			return
		}
		b, err := io.ReadAll(res.Body)
		res.Body.Close()
		answered <- answer{res.StatusCode, b, err}
	}()
	// The multipart upload has started and its first part is on its way
	// (or there) once two more requests reached S3. Polled: the count is
	// the signal.
	for deadline := time.Now().Add(2 * time.Minute); p.Requests() < before+2; {
		if time.Now().After(deadline) {
			t.Fatalf("no multipart upload began within 2 minutes (%d requests)", p.Requests()-before)
		}
		time.Sleep(20 * time.Millisecond)
	}
	p.Stop()
	close(partSent)
	ans := <-answered
	took := time.Since(began)
	if ans.err != nil || ans.status < 500 || !strings.Contains(string(ans.body), "<errors><error>") {
		t.Errorf("upload while S3 is away: %d %v %s; want 5xx with an error document", ans.status, ans.err, ans.body)
	}
	t.Logf("the upload failed after %v: %d %s", took.Round(time.Millisecond), ans.status, ans.body)
	if took > 5*time.Minute { // generous: the point is that it ends
		t.Errorf("the upload took %v to fail", took)
	}
	for id, a := range listAll(t, admin) {
		if a.SHA256 == sha(cutoff) {
			t.Errorf("asset %d holds the failed upload", id)
		}
	}

	// S3 is back: the same file goes in, and nothing of the cut-off
	// upload is left in the bucket.
	p.Resume()
	body, ct := servertest.Multipart("cutoff.bin", cutoff)
	var a asset
	if err := xml.Unmarshal(admin.Must(http.StatusCreated, "POST", "/api/assets.xml", ct, body), &a); err != nil {
		t.Fatal(err)
	}
	if got, n := downloadSum(t, admin, a.ID); got != sha(cutoff) || n != int64(len(cutoff)) {
		t.Errorf("asset %d downloads as %d bytes with sha256 %s", a.ID, n, got)
	}
	s.Stop()
	s.CheckLog()
	if left := unfinishedUploads(t, srv); len(left) > 0 {
		t.Errorf("multipart uploads left on the S3 server: %v", left)
	}
	if out, err := servertest.Command(t, bin, nil, "check", "--data", data, "--blobs", blobs); err != nil || !strings.Contains(out, "ok:") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}

// unfinishedUploads lists the multipart uploads in progress in the
// bucket, asking the S3 server itself.
func unfinishedUploads(t *testing.T, srv *s3test.Server) []string {
	t.Helper()
	c, err := minio.NewCore(srv.Addr, &minio.Options{Creds: credentials.NewStaticV4(srv.AccessKey, srv.SecretKey, ""), Region: "us-east-1"})
	if err != nil {
		t.Fatal(err)
	}
	res, err := c.ListMultipartUploads(t.Context(), s3test.Bucket, "", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list multipart uploads: %v", err)
	}
	var keys []string
	for _, u := range res.Uploads {
		keys = append(keys, u.Key)
	}
	return keys
}
