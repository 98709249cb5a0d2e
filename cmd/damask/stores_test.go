package main

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"damask/blob/s3/s3test"
	"damask/servertest"
)

// TestS3Blobs runs the server with its files in a real S3 server
// (versitygw): an upload is stored there under its hash, downloads come
// back byte for byte, `damask check` reads them, and names the file whose
// bytes were flipped in the bucket.
func TestS3Blobs(t *testing.T) {
	bin := servertest.Build(t)
	data := t.TempDir()
	blobs, dir := s3test.Start(t)
	srv := servertest.Serve(t, bin, data, "--blobs", blobs, "--no-workers")
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data, "--blobs", blobs); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	c := &http.Client{Timeout: time.Minute}
	srv.WaitReady(c)

	file := bytes.Repeat([]byte("a file kept in a bucket\n"), 50_000) // 1.2 MB
	id := createFile(t, c, srv, "notes.txt", file)
	req, _ := http.NewRequest("GET", srv.URL("/api/assets/download/"+id), nil)
	req.SetBasicAuth("admin", servertest.AdminPassword)
	res, err := c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	got, err := io.ReadAll(res.Body)
	res.Body.Close()
	if err != nil || res.StatusCode != http.StatusOK || !bytes.Equal(got, file) {
		t.Fatalf("download: %d, %d bytes (want %d), %v", res.StatusCode, len(got), len(file), err)
	}
	sum := sha256.Sum256(file)
	name := hex.EncodeToString(sum[:])
	object := filepath.Join(dir, name[:2], name[2:4], name)
	if _, err := os.Stat(object); err != nil {
		t.Fatalf("the file is not in the bucket under its hash: %v", err)
	}
	if out, err := servertest.Command(t, bin, nil, "check", "--data", data, "--blobs", blobs); err != nil || !strings.Contains(out, "ok:") {
		t.Fatalf("check of a sound library: %v\n%s", err, out)
	}

	// Bytes flipped in the bucket: the download fails loudly and is
	// counted, and check names the file.
	b, err := os.ReadFile(object)
	if err != nil {
		t.Fatal(err)
	}
	b[len(b)/2] ^= 0x20
	if err := os.WriteFile(object, b, 0o644); err != nil {
		t.Fatal(err)
	}
	res, err = c.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	io.Copy(io.Discard, res.Body)
	res.Body.Close()
	if res.StatusCode != http.StatusInternalServerError {
		t.Errorf("download of flipped bytes: %d, want 500", res.StatusCode)
	}
	res, err = c.Get(srv.URL("/metrics"))
	if err != nil {
		t.Fatal(err)
	}
	m, _ := io.ReadAll(res.Body)
	res.Body.Close()
	if !strings.Contains(string(m), "\ndamask_integrity_failures_total 1\n") {
		t.Errorf("/metrics does not count the refusal:\n%s", m)
	}
	if !strings.Contains(srv.Log(), "stored file damaged") {
		t.Errorf("the refusal is not logged")
	}
	srv.Stop()
	out, err := servertest.Command(t, bin, nil, "check", "--data", data, "--blobs", blobs)
	if err == nil || !strings.Contains(out, "DAMAGED") || !strings.Contains(out, name) {
		t.Fatalf("check of a flipped byte: %v\n%s", err, out)
	}
}
