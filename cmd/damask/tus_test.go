package main

import (
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"io"
	"io/fs"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"testing"

	"damask/blob/s3/s3test"
	"damask/postgres/pgtest"
	"damask/servertest"
)

// TestTusResumesAfterSIGKILL: a resumable upload survives a SIGKILL of the
// real server in the middle of a PATCH. After the restart, HEAD answers
// the offset of the last PATCH that was answered (the piece cut by the kill
// is dropped, never half kept), the upload goes on from there, and the
// complete file has the SHA-256 of the bytes sent, computed from the hash
// state recorded before the kill: nothing is read again.
func TestTusResumesAfterSIGKILL(t *testing.T) {
	for _, setup := range []struct {
		name string
		args func(t *testing.T) []string
		disk bool
	}{
		{"sqlite+disk", func(t *testing.T) []string { return nil }, true},
		{"postgres+s3", func(t *testing.T) []string {
			url, _ := s3test.Start(t)
			return []string{"--db", pgtest.Database(t, ""), "--blobs", url + "&part-size=5"}
		}, false},
	} {
		t.Run(setup.name, func(t *testing.T) { testTusSIGKILL(t, setup.args(t), setup.disk) })
	}
}

func testTusSIGKILL(t *testing.T, args []string, disk bool) {
	bin := servertest.Build(t)
	data := t.TempDir()
	const size, piece = 24 << 20, 8 << 20
	file := make([]byte, size)
	rng := rand.NewChaCha8([32]byte{17})
	rng.Read(file)
	want := sha256.Sum256(file)

	s := servertest.Serve(t, bin, data, args...)
	if out, err := servertest.Command(t, bin, nil, append([]string{"account", "api", "default", "on", "--data", data}, args...)...); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	c := servertest.Admin(t, s)
	tusH := func(h ...string) []string { return append([]string{"Tus-Resumable", "1.0.0"}, h...) }
	st, h, body := c.Request("POST", "/api/uploads/tus/", "", nil,
		tusH("Upload-Length", strconv.Itoa(size), "Upload-Metadata", "filename "+base64.StdEncoding.EncodeToString([]byte("big.bin")))...)
	if st != http.StatusCreated {
		t.Fatalf("creation: %d %s", st, body)
	}
	loc := h.Get("Location")
	st, _, body = c.Request("PATCH", loc, "application/offset+octet-stream", strings.NewReader(string(file[:piece])), tusH("Upload-Offset", "0")...)
	if st != http.StatusNoContent {
		t.Fatalf("first piece: %d %s", st, body)
	}

	// The second piece: half of it sent, then the server is killed.
	pr, pw := io.Pipe()
	sent := make(chan error, 1)
	go func() {
		req, _ := http.NewRequest("PATCH", s.URL(loc), pr)
		req.SetBasicAuth("admin", servertest.AdminPassword)
		req.Header.Set("Tus-Resumable", "1.0.0")
		req.Header.Set("Upload-Offset", strconv.Itoa(piece))
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		req.ContentLength = piece
		res, err := http.DefaultClient.Do(req)
		if err == nil {
			res.Body.Close()
			err = errors.New("answered " + res.Status)
		}
		sent <- err
	}()
	if _, err := pw.Write(file[piece : piece+piece/2]); err != nil {
		t.Fatal(err)
	}
	s.Kill()
	pw.CloseWithError(errors.New("server killed"))
	<-sent

	s = servertest.Serve(t, bin, data, args...)
	c = servertest.Admin(t, s)
	st, h, _ = c.Request("HEAD", loc, "", nil, tusH()...)
	if st != http.StatusOK || h.Get("Upload-Offset") != strconv.Itoa(piece) {
		t.Fatalf("HEAD after the kill: %d, offset %q; want 200, %d", st, h.Get("Upload-Offset"), piece)
	}
	// What the client sends again: the bytes it had sent past the last
	// answered offset, at most one PATCH.
	resent := piece + piece/2 - piece
	if resent > piece {
		t.Errorf("resuming sends %d bytes again, more than one PATCH (%d)", resent, piece)
	}
	t.Logf("killed at %d of %d bytes sent; resumed from %d: %d bytes (%.1f PATCH) sent again", piece+piece/2, size, piece, resent, float64(resent)/piece)
	rest := file[piece:]
	sum := sha256.Sum256(rest)
	st, h, body = c.Request("PATCH", loc, "application/offset+octet-stream", strings.NewReader(string(rest)),
		tusH("Upload-Offset", strconv.Itoa(piece), "Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum[:]))...)
	if st != http.StatusNoContent || h.Get("Upload-Offset") != strconv.Itoa(size) {
		t.Fatalf("the rest: %d %v %s", st, h, body)
	}
	up := h.Get("X-Damask-Upload-Id")
	_, _, doc := c.Request("GET", "/api/uploads/"+up+".xml", "", nil)
	if !strings.Contains(string(doc), hex.EncodeToString(want[:])) {
		t.Errorf("the upload's document does not carry the SHA-256 of the bytes sent:\n%s", doc)
	}
	if !disk {
		return
	}
	id := loc[strings.LastIndex(loc, "/")+1:]
	if _, err := os.Stat(filepath.Join(data, "blobs", ".partial", id)); !errors.Is(err, fs.ErrNotExist) {
		t.Errorf("the partial file is still there: %v", err)
	}
	hx := hex.EncodeToString(want[:])
	if _, err := os.Stat(filepath.Join(data, "blobs", hx[:2], hx)); err != nil {
		t.Errorf("the file is not in the blob store under its SHA-256: %v", err)
	}
}
