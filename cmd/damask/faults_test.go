package main

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
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"
)

// buildFaultDamask builds the command with the faultfs tag, which makes
// `damask serve` inject the I/O errors DAMASK_FAULTS names under its disk
// file store. The build is separate from buildDamask's: the ordinary
// binary has no such code path.
var (
	faultBuildOnce sync.Once
	faultBuildPath string
	faultBuildErr  error
)

func buildFaultDamask(t *testing.T) string {
	t.Helper()
	faultBuildOnce.Do(func() {
		dir, err := os.MkdirTemp("", "damask-faultfs-bin-")
		if err != nil {
			faultBuildErr = err
			return
		}
		faultBuildPath = filepath.Join(dir, "damask")
		// -tags on the command line replaces the tags of GOFLAGS (say
		// sqlite_fts5): keep them.
		tags := []string{"faultfs"}
		for f := range strings.FieldsSeq(os.Getenv("GOFLAGS")) {
			if v, ok := strings.CutPrefix(f, "-tags="); ok {
				tags = append(tags, v)
			}
		}
		args := []string{"build", "-tags", strings.Join(tags, ","), "-o", faultBuildPath}
		if raceEnabled {
			args = append(args, "-race")
		}
		out, err := exec.Command("go", append(args, ".")...).CombinedOutput()
		if err != nil {
			faultBuildErr = fmt.Errorf("go build: %v\n%s", err, out)
		}
	})
	if faultBuildErr != nil {
		t.Fatal(faultBuildErr)
	}
	return faultBuildPath
}

// postFile uploads data as POST /api/assets.xml and answers the status
// and the body.
func postFile(t *testing.T, c *http.Client, s *server, name string, data []byte) (int, string) {
	t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	part, err := mw.CreateFormFile("file", name)
	if err != nil {
		t.Fatal(err)
	}
	part.Write(data)
	mw.Close()
	req, _ := http.NewRequest("POST", s.url("/api/assets.xml"), &body)
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.SetBasicAuth("admin", crashPassword)
	res, err := c.Do(req)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("upload %s: %v", name, err)
	}
	return res.StatusCode, string(b)
}

// faultPoints are the injected I/O errors of TestInjectedIOErrors, each
// with the status its upload must get.
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

// TestInjectedIOErrors runs the real server over a disk whose writes,
// fsyncs, renames or folder fsyncs fail (RELIABILITY.md item 32; the
// binary is built with the faultfs tag). Each failing upload answers 5xx
// with an error document, never 2xx; no asset appears; no temporary file
// stays; the server still serves the files it has. Restarted without the
// fault, it takes the same uploads.
func TestInjectedIOErrors(t *testing.T) {
	runInjectedIOErrors(t)
}

// runInjectedIOErrors is TestInjectedIOErrors, for the hardening suite too.
func runInjectedIOErrors(t *testing.T) {
	bin := buildFaultDamask(t)
	data := t.TempDir()
	srv := startServer(t, bin, data, "--no-workers")
	if out, err := damaskCmd(t, bin, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	c := &http.Client{Timeout: 2 * time.Minute}
	waitReady(t, c, srv)
	kept := bytes.Repeat([]byte("stored before the disk failed\n"), 1000)
	status, body := postFile(t, c, srv, "kept.txt", kept)
	if status != http.StatusCreated {
		t.Fatalf("upload without faults: %d %s", status, body)
	}
	keptID := assetIDOf(t, body)
	keptSum := sha256.Sum256(kept)
	srv.stop()

	files := map[string][]byte{}
	for i, fp := range faultPoints {
		t.Run(fp.spec, func(t *testing.T) {
			srv := startProcessEnv(t, bin, []string{"DAMASK_FAULTS=" + fp.spec}, "Damask is listening on ",
				"serve", "--data", data, "--addr", "127.0.0.1:0", "--no-workers")
			defer srv.stop()
			waitReady(t, c, srv)
			file := bytes.Repeat([]byte(fmt.Sprintf("file %d, sent while %s\n", i, fp.spec)), 100_000) // 3-4 MB
			files[fp.spec] = file
			status, body := postFile(t, c, srv, "failing.txt", file)
			if status != fp.status || !strings.Contains(body, "<errors><error>") {
				t.Errorf("upload with %s: %d %s; want %d with an error document", fp.spec, status, body, fp.status)
			}
			sum := sha256.Sum256(file)
			for id, a := range listAssets(t, c, srv) {
				if a.SHA256 == hex.EncodeToString(sum[:]) {
					t.Errorf("asset %d holds the failed upload", id)
				}
			}
			if left, _ := os.ReadDir(filepath.Join(data, "blobs", ".tmp")); len(left) > 0 {
				t.Errorf("%d temporary files left", len(left))
			}
			if got, n := download(t, c, srv, keptID); got != hex.EncodeToString(keptSum[:]) || n != int64(len(kept)) {
				t.Errorf("download of a file stored before: %d bytes, sha256 %s", n, got)
			}
			srv.checkLog()
		})
	}

	srv = startServer(t, bin, data, "--no-workers")
	waitReady(t, c, srv)
	for spec, file := range files {
		if status, body := postFile(t, c, srv, "retried.txt", file); status != http.StatusCreated {
			t.Errorf("upload of the file that failed with %s, without faults: %d %s", spec, status, body)
		}
	}
	srv.stop()
	if out, err := damaskCmd(t, bin, "check", "--data", data); err != nil || !strings.Contains(out, "ok: database intact") {
		t.Errorf("damask check: %v\n%s", err, out)
	}
}

// assetIDOf reads the id of the asset document body.
func assetIDOf(t *testing.T, body string) int64 {
	t.Helper()
	var a assetXML
	if err := xmlUnmarshal(body, &a); err != nil || a.ID == 0 {
		t.Fatalf("not an asset: %v: %s", err, body)
	}
	return a.ID
}

func xmlUnmarshal(s string, v any) error { return xml.Unmarshal([]byte(s), v) }
