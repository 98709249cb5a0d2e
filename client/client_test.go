package client_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"damask/client"
	"damask/client/clienttest"
)

func randomBytes(n int, seed byte) []byte {
	b := make([]byte, n)
	rand.NewChaCha8([32]byte{seed}).Read(b)
	return b
}

func hexSum(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

func newClient(t *testing.T, s *clienttest.Server, opts ...client.Option) *client.Client {
	t.Helper()
	c, err := client.New(s.URL, append([]client.Option{client.WithBasicAuth(clienttest.Login, clienttest.Password)}, opts...)...)
	if err != nil {
		t.Fatal(err)
	}
	return c
}

func TestNew(t *testing.T) {
	for _, u := range []string{"", "ftp://x", "http://", "::"} {
		if _, err := client.New(u); err == nil {
			t.Errorf("New(%q): no error", u)
		}
	}
	c, err := client.New("https://dam.example.com/")
	if err != nil || c.BaseURL() != "https://dam.example.com" {
		t.Fatalf("New: %v %v", c, err)
	}
}

// TestCalls: every call of the client, once, against the real server.
func TestCalls(t *testing.T) {
	ctx := context.Background()
	s := clienttest.Start(t, clienttest.Options{})
	c := newClient(t, s)

	me, err := c.Me(ctx)
	if err != nil || me.Login != clienttest.Login {
		t.Fatalf("Me: %+v %v", me, err)
	}

	// A token, then every other call with it as Bearer.
	tok, err := c.CreateToken(ctx, client.NewToken{Name: "test", ExpiresInDays: 30})
	if err != nil || !strings.HasPrefix(tok.Secret, "dmk_") || tok.ExpiresOn == nil {
		t.Fatalf("CreateToken: %+v %v", tok, err)
	}
	c, err = client.New(s.URL, client.WithToken(tok.Secret))
	if err != nil {
		t.Fatal(err)
	}
	var apiErr *client.Error
	if _, err := c.CreateToken(ctx, client.NewToken{Name: "again"}); !errors.As(err, &apiErr) || apiErr.Status != http.StatusForbidden || len(apiErr.Messages) == 0 {
		t.Fatalf("CreateToken with a token: %v", err)
	}

	// Empty library: an empty page and no tags, not errors.
	p, err := c.ListPage(ctx, client.ListOptions{}, "")
	if err != nil || len(p.Assets) != 0 || p.Next != "" {
		t.Fatalf("ListPage of nothing: %+v %v", p, err)
	}
	if tags, err := c.Tags(ctx); err != nil || len(tags) != 0 {
		t.Fatalf("Tags of nothing: %v %v", tags, err)
	}

	// Multipart upload, then an asset from it.
	data := randomBytes(50_000, 1)
	up, err := c.Upload(ctx, "sea.bin", bytes.NewReader(data))
	if err != nil || up.Size != int64(len(data)) || up.SHA256 != hexSum(data) {
		t.Fatalf("Upload: %+v %v", up, err)
	}
	if got, err := c.GetUpload(ctx, up.ID); err != nil || got.SHA256 != up.SHA256 {
		t.Fatalf("GetUpload: %+v %v", got, err)
	}
	a, err := c.CreateAsset(ctx, client.NewAsset{UploadID: up.ID, Title: "The sea", Description: "blue", Tags: []string{"sea", "blue"}})
	if err != nil || a.Title != "The sea" || a.SHA256 != hexSum(data) || len(a.Tags) != 2 {
		t.Fatalf("CreateAsset: %+v %v", a, err)
	}

	// A resumable upload in pieces, made an asset by its metadata.
	big := randomBytes(300_000, 2)
	rc := newClient(t, s, client.WithChunkSize(64<<10))
	var offsets []int64
	u, fin, err := rc.UploadResumable(ctx, bytes.NewReader(big), int64(len(big)),
		client.Metadata{Filename: "big.bin", Title: "Big", Tags: []string{"sea"}}, client.Resumable{Progress: func(o int64) { offsets = append(offsets, o) }})
	if err != nil || fin == nil || fin.AssetID == 0 || fin.UploadID == 0 {
		t.Fatalf("UploadResumable: %v %+v %v", u, fin, err)
	}
	if len(offsets) != 1+5 || offsets[len(offsets)-1] != int64(len(big)) {
		t.Errorf("progress: %v", offsets)
	}
	b, err := c.Asset(ctx, fin.AssetID)
	if err != nil || b.Title != "Big" || b.Filename != "big.bin" || b.SHA256 != hexSum(big) || strings.Join(b.TagNames(), ",") != "sea" {
		t.Fatalf("Asset: %+v %v", b, err)
	}
	if off, length, done, err := c.ResumableOffset(ctx, u); err != nil || off != length || done == nil || done.AssetID != fin.AssetID {
		t.Fatalf("ResumableOffset of a complete upload: %d %d %+v %v", off, length, done, err)
	}

	// Create, then terminate, a resumable upload.
	u2, err := c.CreateResumable(ctx, 10, client.Metadata{Filename: "x"})
	if err != nil {
		t.Fatal(err)
	}
	if off, length, done, err := c.ResumableOffset(ctx, u2); err != nil || off != 0 || length != 10 || done != nil {
		t.Fatalf("ResumableOffset: %d %d %v %v", off, length, done, err)
	}
	if err := c.TerminateResumable(ctx, u2); err != nil {
		t.Fatal(err)
	}
	if _, _, _, err := c.ResumableOffset(ctx, u2); !client.IsNotFound(err) {
		t.Fatalf("after terminate: %v", err)
	}

	// Update, tags, search, iteration by cursor.
	title := "The deep sea"
	tags := []string{"sea"}
	if a, err = c.UpdateAsset(ctx, a.ID, client.AssetChanges{Title: &title, Tags: &tags}); err != nil || a.Title != title || len(a.Tags) != 1 {
		t.Fatalf("UpdateAsset: %+v %v", a, err)
	}
	if _, err := c.CreateTag(ctx, "empty"); err != nil {
		t.Fatal(err)
	}
	all, err := c.Tags(ctx)
	if err != nil {
		t.Fatal(err)
	}
	counts := map[string]int{}
	for _, tg := range all {
		counts[tg.Name] = tg.AssetsCount
	}
	if counts["sea"] != 2 || counts["empty"] != 0 || len(counts) != 3 {
		t.Fatalf("Tags: %+v", all)
	}
	for _, tg := range all {
		if tg.Name == "empty" {
			if err := c.DeleteTag(ctx, tg.ID); err != nil {
				t.Fatal(err)
			}
		}
	}
	for i := range 5 {
		if _, err := c.Upload(ctx, "n.bin", bytes.NewReader(randomBytes(100, byte(10+i)))); err != nil {
			t.Fatal(err)
		}
	}
	for i := range 5 {
		up, err := c.Upload(ctx, "n.bin", bytes.NewReader(randomBytes(100, byte(10+i))))
		if err != nil {
			t.Fatal(err)
		}
		if _, err := c.CreateAsset(ctx, client.NewAsset{UploadID: up.ID, Tags: []string{"small"}}); err != nil {
			t.Fatal(err)
		}
	}
	var ids []int64
	for a, err := range c.Assets(ctx, client.ListOptions{PerPage: 2}) {
		if err != nil {
			t.Fatal(err)
		}
		ids = append(ids, a.ID)
	}
	if len(ids) != 7 {
		t.Fatalf("Assets by 2: %v", ids)
	}
	n := 0
	for a, err := range c.Assets(ctx, client.ListOptions{Query: "tag:small", PerPage: 3}) {
		if err != nil || strings.Join(a.TagNames(), ",") != "small" {
			t.Fatalf("search: %+v %v", a, err)
		}
		n++
	}
	if n != 5 {
		t.Fatalf("search tag:small: %d", n)
	}
	if p, err := c.ListPage(ctx, client.ListOptions{Query: "nothingmatchesthis"}, ""); err != nil || len(p.Assets) != 0 {
		t.Fatalf("search without results: %+v %v", p, err)
	}
	if _, err := c.ListPage(ctx, client.ListOptions{Query: `"unclosed`}, ""); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnprocessableEntity || len(apiErr.Messages) == 0 {
		t.Fatalf("bad query: %v", err)
	}

	// Downloads: whole, then checked.
	dir := t.TempDir()
	path := filepath.Join(dir, "big.bin")
	if err := c.DownloadFile(ctx, b, path, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, big) {
		t.Fatal("downloaded bytes differ")
	}
	wrong := *b
	wrong.SHA256 = hexSum([]byte("other"))
	if err := c.DownloadFile(ctx, &wrong, filepath.Join(dir, "w"), nil); !errors.Is(err, client.ErrChecksum) {
		t.Fatalf("wrong sum: %v", err)
	}
	if _, err := os.Stat(filepath.Join(dir, "w.part")); !errors.Is(err, os.ErrNotExist) {
		t.Fatalf("part kept after a wrong sum: %v", err)
	}

	// Delete; then the asset is not found.
	if err := c.DeleteAsset(ctx, a.ID); err != nil {
		t.Fatal(err)
	}
	if _, err := c.Asset(ctx, a.ID); !client.IsNotFound(err) {
		t.Fatalf("deleted asset: %v", err)
	}
	bad, _ := client.New(s.URL, client.WithBasicAuth(clienttest.Login, "wrong"))
	if _, err := bad.Me(ctx); !errors.As(err, &apiErr) || apiErr.Status != http.StatusUnauthorized {
		t.Fatalf("wrong password: %v", err)
	}
}

// TestDownloadResumes: a part file left by an earlier run is completed by
// a Range request for the rest, and the whole is checked.
func TestDownloadResumes(t *testing.T) {
	ctx := context.Background()
	var mu sync.Mutex
	var ranges []string
	s := clienttest.Start(t, clienttest.Options{Wrap: func(h http.Handler) http.Handler {
		return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			if strings.HasPrefix(r.URL.Path, "/api/assets/download/") {
				mu.Lock()
				ranges = append(ranges, r.Header.Get("Range"))
				mu.Unlock()
			}
			h.ServeHTTP(w, r)
		})
	}})
	c := newClient(t, s)
	data := randomBytes(200_000, 3)
	up, err := c.Upload(ctx, "f.bin", bytes.NewReader(data))
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.CreateAsset(ctx, client.NewAsset{UploadID: up.ID})
	if err != nil {
		t.Fatal(err)
	}
	path := filepath.Join(t.TempDir(), "f.bin")
	if err := os.WriteFile(path+".part", data[:70_000], 0o644); err != nil {
		t.Fatal(err)
	}
	if err := c.DownloadFile(ctx, a, path, nil); err != nil {
		t.Fatal(err)
	}
	if got, _ := os.ReadFile(path); !bytes.Equal(got, data) {
		t.Fatal("resumed download differs")
	}
	if len(ranges) != 1 || ranges[0] != "bytes=70000-" {
		t.Fatalf("ranges asked: %q", ranges)
	}
}

// cutter drops the connection of one PATCH after half its body arrived,
// and counts the body bytes the server read.
type cutter struct {
	next    http.Handler
	patches atomic.Int64
	cutAt   int64 // the PATCH (1-based) to cut; 0 for none
	read    atomic.Int64
}

type countBody struct {
	io.ReadCloser
	n     *atomic.Int64
	limit int64 // error after this many bytes; <0 for none
	got   int64
}

func (b *countBody) Read(p []byte) (int, error) {
	if b.limit >= 0 && b.got >= b.limit {
		return 0, io.ErrUnexpectedEOF
	}
	if b.limit >= 0 && int64(len(p)) > b.limit-b.got {
		p = p[:b.limit-b.got]
	}
	n, err := b.ReadCloser.Read(p)
	b.got += int64(n)
	b.n.Add(int64(n))
	return n, err
}

type discard struct{ h http.Header }

func (d discard) Header() http.Header       { return d.h }
func (discard) Write(p []byte) (int, error) { return len(p), nil }
func (discard) WriteHeader(int)             {}

func (c *cutter) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodPatch {
		c.next.ServeHTTP(w, r)
		return
	}
	n := c.patches.Add(1)
	if n != c.cutAt {
		r.Body = &countBody{ReadCloser: r.Body, n: &c.read, limit: -1}
		c.next.ServeHTTP(w, r)
		return
	}
	// Half the piece reaches the server, then the connection breaks: the
	// server's handler sees its body end early, and the client no answer.
	r.Body = &countBody{ReadCloser: r.Body, n: &c.read, limit: r.ContentLength / 2}
	c.next.ServeHTTP(discard{http.Header{}}, r)
	panic(http.ErrAbortHandler)
}

// TestResumableAfterCutConnection: a PATCH cut in the middle is followed
// by HEAD and the rest from the server's offset; the file arrives whole
// with its SHA-256, and at most the cut piece is sent again.
func TestResumableAfterCutConnection(t *testing.T) {
	ctx := context.Background()
	cut := &cutter{cutAt: 2}
	s := clienttest.Start(t, clienttest.Options{Wrap: func(h http.Handler) http.Handler { cut.next = h; return cut }})
	const chunk = 100_000
	c := newClient(t, s, client.WithChunkSize(chunk))
	data := randomBytes(450_000, 4)
	_, fin, err := c.UploadResumable(ctx, bytes.NewReader(data), int64(len(data)), client.Metadata{Filename: "cut.bin", Asset: true}, client.Resumable{})
	if err != nil {
		t.Fatal(err)
	}
	a, err := c.Asset(ctx, fin.AssetID)
	if err != nil || a.SHA256 != hexSum(data) || a.Size != int64(len(data)) {
		t.Fatalf("asset: %+v %v", a, err)
	}
	if got := cut.read.Load(); got > int64(len(data))+chunk {
		t.Fatalf("the server read %d bytes for a file of %d in pieces of %d", got, len(data), chunk)
	}
	if cut.patches.Load() < 6 {
		t.Fatalf("%d PATCHes: the cut one was not sent again", cut.patches.Load())
	}
}

// TestResumableAcrossRuns: a run cancelled after two pieces leaves the
// upload's URL; another run with that URL sends only the rest.
func TestResumableAcrossRuns(t *testing.T) {
	cut := &cutter{}
	s := clienttest.Start(t, clienttest.Options{Wrap: func(h http.Handler) http.Handler { cut.next = h; return cut }})
	const chunk = 64 << 10
	c := newClient(t, s, client.WithChunkSize(chunk))
	data := randomBytes(5*chunk+123, 5)
	ctx, cancel := context.WithCancel(context.Background())
	var url string
	_, _, err := c.UploadResumable(ctx, bytes.NewReader(data), int64(len(data)), client.Metadata{Filename: "r.bin", Asset: true}, client.Resumable{
		Created: func(u string) { url = u },
		Progress: func(o int64) {
			if o >= 2*chunk {
				cancel()
			}
		},
	})
	if !errors.Is(err, context.Canceled) || url == "" {
		t.Fatalf("first run: %v (url %q)", err, url)
	}
	off, _, _, err := c.ResumableOffset(context.Background(), url)
	if err != nil || off != 2*chunk {
		t.Fatalf("offset after the first run: %d %v", off, err)
	}
	before := cut.read.Load()
	u, fin, err := c.UploadResumable(context.Background(), bytes.NewReader(data), int64(len(data)), client.Metadata{Filename: "r.bin", Asset: true}, client.Resumable{URL: url})
	if err != nil || u != url || fin == nil {
		t.Fatalf("second run: %v %+v %v", u, fin, err)
	}
	if sent := cut.read.Load() - before; sent != int64(len(data))-off {
		t.Fatalf("second run sent %d bytes, want %d", sent, int64(len(data))-off)
	}
	a, err := c.Asset(context.Background(), fin.AssetID)
	if err != nil || a.SHA256 != hexSum(data) {
		t.Fatalf("asset: %+v %v", a, err)
	}
	// A URL the server does not know begins a new upload.
	_, fin2, err := c.UploadResumable(context.Background(), bytes.NewReader(data[:10]), 10, client.Metadata{Filename: "s.bin", Asset: true}, client.Resumable{URL: url + "9"})
	if err != nil || fin2 == nil || fin2.AssetID == fin.AssetID {
		t.Fatalf("unknown URL: %+v %v", fin2, err)
	}
}
