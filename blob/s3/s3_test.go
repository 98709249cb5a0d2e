package s3

import (
	"bytes"
	"context"
	"crypto/sha256"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"testing"
	"testing/iotest"
	"time"

	"github.com/minio/minio-go/v7"

	"damask"
	"damask/blob/blobtest"
	"damask/blob/s3/s3test"
)

// openStore opens a store at url and checks, when the test ends, that
// nothing stayed behind under .tmp: no object, no unfinished upload.
func openStore(t *testing.T, url string) *Store {
	t.Helper()
	s, err := Open(t.Context(), url)
	if err != nil {
		t.Fatalf("Open: %v", err)
	}
	t.Cleanup(func() {
		if left := s.temporaries(t); len(left) > 0 {
			t.Errorf("left under .tmp: %v", left)
		}
		if err := s.Close(); err != nil {
			t.Errorf("Close: %v", err)
		}
	})
	return s
}

// temporaries lists the objects and unfinished uploads under .tmp. It
// runs in cleanups, where t.Context is done already.
func (s *Store) temporaries(t *testing.T) []string {
	t.Helper()
	ctx := context.Background()
	var names []string
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix + tmpDirName + "/", Recursive: true}) {
		if obj.Err != nil {
			t.Fatalf("list .tmp: %v", obj.Err)
		}
		names = append(names, "object "+obj.Key)
	}
	res, err := s.core.ListMultipartUploads(ctx, s.bucket, s.prefix+tmpDirName+"/", "", "", "", 1000)
	if err != nil {
		t.Fatalf("list unfinished uploads: %v", err)
	}
	for _, u := range res.Uploads {
		names = append(names, "upload "+u.Key)
	}
	return names
}

// The suite runs twice: with the default part size, where all its files
// fit in one part and go up in one PUT, and with the least part size
// (5 MiB), where its largest files go up as multipart uploads.
func TestConformance(t *testing.T) {
	srv := s3test.StartServer(t)
	var n atomic.Int64
	for _, opts := range []string{"", "&part-size=5"} {
		t.Run("part-size="+partLabel(opts), func(t *testing.T) {
			blobtest.Run(t, func(t *testing.T) damask.BlobStore {
				return openStore(t, srv.URL(fmt.Sprintf("blobtest-%d", n.Add(1)))+opts)
			})
		})
	}
}

// TestPartial: the partial files of resumable uploads, as segments.
func TestPartial(t *testing.T) {
	srv := s3test.StartServer(t)
	var n atomic.Int64
	blobtest.RunPartial(t, func(t *testing.T) damask.BlobStore {
		return openStore(t, srv.URL(fmt.Sprintf("partial-%d", n.Add(1)))+"&part-size=5")
	})
}

// partLabel names a test by the part size its URL options set.
func partLabel(opts string) string {
	if opts == "" {
		return "default"
	}
	return strings.TrimPrefix(opts, "&part-size=")
}

// A store under a prefix keeps to it, beside another store in the same
// bucket.
func TestPrefix(t *testing.T) {
	srv := s3test.StartServer(t)
	a := openStore(t, strings.Replace(srv.URL("shared"), "/shared?", "/shared/a/?", 1))
	b := openStore(t, strings.Replace(srv.URL("shared"), "/shared?", "/shared/b/deeper?", 1))
	var n atomic.Int64
	blobtest.Run(t, func(t *testing.T) damask.BlobStore {
		// Each store of the suite starts empty: a prefix of its own.
		return openStore(t, strings.Replace(srv.URL("shared"), "/shared?", fmt.Sprintf("/shared/suite/%d?", n.Add(1)), 1))
	})

	info := commit(t, a, []byte("only in a"))
	if _, err := b.Stat(t.Context(), info.Ref); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat in b of a file of a: %v, want code %q", err, damask.ENOTFOUND)
	}
	name := info.Ref.String()
	if _, err := os.Stat(filepath.Join(srv.Dir, "shared", "a", name[:2], name[2:4], name)); err != nil {
		t.Errorf("file of store a: %v", err)
	}
}

func TestLayout(t *testing.T) {
	url, dir := s3test.Start(t)
	for _, opts := range []string{"", "&part-size=5"} {
		s := openStore(t, url+opts)
		for _, size := range []int{0, 1000, 6 << 20} {
			data := bytes.Repeat([]byte{byte(size)}, size)
			info := commit(t, s, data)
			name := info.Ref.String()
			path := filepath.Join(dir, name[:2], name[2:4], name)
			got, err := os.ReadFile(path)
			if err != nil || !bytes.Equal(got, data) {
				t.Errorf("part size %q, %d bytes: ReadFile(%s) = %d bytes, %v; want the %d written", opts, size, path, len(got), err, size)
			}
		}
	}
}

// Bytes stored again repair an object damaged behind the store's back, as
// a disk store repairs a truncated file.
func TestCommitRepairsDamage(t *testing.T) {
	url, dir := s3test.Start(t)
	s := openStore(t, url+"&part-size=5")
	for _, size := range []int{100, 6 << 20} {
		data := bytes.Repeat([]byte("whole "), size/6)
		info := commit(t, s, data)
		name := info.Ref.String()
		path := filepath.Join(dir, name[:2], name[2:4], name)
		if err := os.Truncate(path, 3); err != nil {
			t.Fatal(err)
		}
		again := commit(t, s, data)
		if again.Size != int64(len(data)) {
			t.Errorf("Commit Size = %d, want %d", again.Size, len(data))
		}
		if got := read(t, s, info.Ref); !bytes.Equal(got, data) {
			t.Errorf("%d bytes: read %d bytes after Commit, want the %d written", size, len(got), len(data))
		}
	}
}

// io.Copy goes through the writer's ReadFrom, reading into the part being
// filled, across part boundaries.
func TestCopy(t *testing.T) {
	url, _ := s3test.Start(t)
	s := openStore(t, url+"&part-size=5")
	const part = 5 << 20
	for _, size := range []int{0, 1, 40_000, part - 1, part, part + 1, 2 * part, 2*part + 7} {
		data := make([]byte, size)
		for i := range data {
			data[i] = byte(i * 7 / 3)
		}
		w, err := s.Create(t.Context())
		if err != nil {
			t.Fatal(err)
		}
		// HalfReader hides bytes.Reader's WriteTo and reads in odd sizes.
		n, err := io.Copy(w, iotest.HalfReader(bytes.NewReader(data)))
		if err != nil || n != int64(size) || w.Written() != int64(size) {
			t.Fatalf("io.Copy of %d bytes = %d, %v; Written() = %d", size, n, err, w.Written())
		}
		info, err := w.Commit(t.Context())
		if err != nil {
			t.Fatalf("Commit after io.Copy of %d bytes: %v", size, err)
		}
		if want := damask.BlobRef(sha256.Sum256(data)); info.Ref != want || info.Size != int64(size) {
			t.Errorf("Commit after io.Copy of %d bytes = %s %d, want %s", size, info.Ref, info.Size, want)
		}
		if got := read(t, s, info.Ref); !bytes.Equal(got, data) {
			t.Errorf("read back %d bytes, want the %d written", len(got), size)
		}
	}
}

// Downloads go through http.ServeContent, whose Range requests seek the
// reader: each must answer exactly the bytes asked for.
func TestServeContent(t *testing.T) {
	url, _ := s3test.Start(t)
	s := openStore(t, url)
	data := make([]byte, 3<<20+11)
	for i := range data {
		data[i] = byte(i ^ i>>9)
	}
	ref := commit(t, s, data).Ref
	srv := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		f, err := s.Open(r.Context(), ref)
		if err != nil {
			http.Error(w, err.Error(), http.StatusInternalServerError)
			return
		}
		defer f.Close()
		http.ServeContent(w, r, "file", time.Time{}, f)
	}))
	defer srv.Close()

	n := len(data)
	tests := []struct {
		rng  string
		want []byte
	}{
		{"", data},
		{"bytes=0-0", data[:1]},
		{"bytes=100-199", data[100:200]},
		{fmt.Sprintf("bytes=%d-", n-5), data[n-5:]},
		{"bytes=-7", data[n-7:]},
		{"bytes=1048576-2097152", data[1<<20 : 2<<20+1]},
		{"bytes=0-1,5-9", nil}, // multipart/byteranges: checked by its parts below
	}
	for _, tt := range tests {
		t.Run(tt.rng, func(t *testing.T) {
			req, _ := http.NewRequestWithContext(t.Context(), http.MethodGet, srv.URL, nil)
			if tt.rng != "" {
				req.Header.Set("Range", tt.rng)
			}
			resp, err := http.DefaultClient.Do(req)
			if err != nil {
				t.Fatal(err)
			}
			defer resp.Body.Close()
			body, err := io.ReadAll(resp.Body)
			if err != nil {
				t.Fatal(err)
			}
			if tt.want == nil {
				if resp.StatusCode != http.StatusPartialContent || !bytes.Contains(body, data[:2]) || !bytes.Contains(body, data[5:10]) {
					t.Errorf("status %d, body of %d bytes: want 206 with both ranges", resp.StatusCode, len(body))
				}
				return
			}
			if !bytes.Equal(body, tt.want) {
				t.Errorf("status %d, %d bytes, want %d bytes", resp.StatusCode, len(body), len(tt.want))
			}
		})
	}
}

// A crash leaves temporary objects and unfinished uploads: a store opened
// later removes those older than a day, and leaves younger ones, which may
// belong to a write of another process in progress.
func TestOpenRemovesStale(t *testing.T) {
	url, dir := s3test.Start(t)
	s, err := Open(t.Context(), url+"&part-size=5")
	if err != nil {
		t.Fatal(err)
	}
	ctx := t.Context()
	for _, name := range []string{"old", "young"} {
		if _, err := s.client.PutObject(ctx, s.bucket, ".tmp/"+name, strings.NewReader(name), int64(len(name)), minio.PutObjectOptions{}); err != nil {
			t.Fatal(err)
		}
	}
	longAgo := time.Now().Add(-48 * time.Hour)
	if err := os.Chtimes(filepath.Join(dir, ".tmp", "old"), longAgo, longAgo); err != nil {
		t.Fatal(err)
	}
	// A write in progress in this process: a multipart upload under .tmp.
	w, err := s.Create(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	data := bytes.Repeat([]byte("x"), 6<<20)
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}

	s2, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("Open again: %v", err)
	}
	left := s2.temporaries(t)
	if !contains(left, "object .tmp/young") || contains(left, "object .tmp/old") {
		t.Errorf("under .tmp after Open: %v; want .tmp/young kept, .tmp/old removed", left)
	}
	if _, err := w.Write(data); err != nil {
		t.Fatalf("Write after another store opened: %v", err)
	}
	info, err := w.Commit(ctx)
	if err != nil {
		t.Fatalf("Commit after another store opened: %v", err)
	}
	if info.Ref != sha256.Sum256(append(data, data...)) {
		t.Errorf("Commit ref %s, want the hash of what was written", info.Ref)
	}

	// Only once they are old are they taken.
	if err := s2.removeStale(ctx, time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if left := s2.temporaries(t); len(left) > 0 {
		t.Errorf("under .tmp after removing everything stale: %v", left)
	}
}

func contains(list []string, s string) bool {
	for _, x := range list {
		if x == s {
			return true
		}
	}
	return false
}

// Without keys in the URL, the store takes them from the environment.
func TestCredentialsFromEnvironment(t *testing.T) {
	srv := s3test.StartServer(t)
	t.Setenv("AWS_ACCESS_KEY_ID", srv.AccessKey)
	t.Setenv("AWS_SECRET_ACCESS_KEY", srv.SecretKey)
	t.Setenv("AWS_SESSION_TOKEN", "")
	s := openStore(t, "s3://"+srv.Addr+"/fromenv?tls=false")
	info := commit(t, s, []byte("keys from the environment"))
	if got := read(t, s, info.Ref); string(got) != "keys from the environment" {
		t.Errorf("read %q", got)
	}

	t.Setenv("AWS_SECRET_ACCESS_KEY", "wrong")
	if _, err := Open(t.Context(), "s3://"+srv.Addr+"/fromenv?tls=false"); err == nil {
		t.Errorf("Open with a wrong secret succeeded")
	} else if strings.Contains(err.Error(), srv.SecretKey) {
		t.Errorf("Open error shows the secret: %v", err)
	}
}

func commit(t *testing.T, s damask.BlobStore, data []byte) damask.BlobInfo {
	t.Helper()
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	info, err := w.Commit(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	return info
}

func read(t *testing.T, s damask.BlobStore, ref damask.BlobRef) []byte {
	t.Helper()
	r, err := s.Open(t.Context(), ref)
	if err != nil {
		t.Fatal(err)
	}
	defer r.Close()
	b, err := io.ReadAll(r)
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// A write that became a multipart upload leaves nothing behind however it
// ends short of a Commit (openStore checks .tmp when the test ends).
func TestMultipartLeavesNothing(t *testing.T) {
	url, _ := s3test.Start(t)
	const part = 5 << 20
	data := make([]byte, 2*part+100)
	for i := range data {
		data[i] = byte(i * 31)
	}
	ref := damask.BlobRef(sha256.Sum256(data))

	tests := []struct {
		name string
		// end ends the write after data was written (or failed to be);
		// it answers the error that Commit gave, nil when not called.
		end      func(t *testing.T, w damask.BlobWriter, cancelCreate func()) error
		maxParts int
		wantCode string
	}{
		{"Abort", func(t *testing.T, w damask.BlobWriter, _ func()) error {
			return nil
		}, 0, ""},
		{"Commit canceled", func(t *testing.T, w damask.BlobWriter, _ func()) error {
			ctx, cancel := context.WithCancel(t.Context())
			cancel()
			_, err := w.Commit(ctx)
			return err
		}, 0, damask.ECANCELED},
		{"Create's context ended", func(t *testing.T, w damask.BlobWriter, cancelCreate func()) error {
			cancelCreate()
			_, err := w.Commit(t.Context())
			return err
		}, 0, damask.ECANCELED},
		{"too many parts", func(t *testing.T, w damask.BlobWriter, _ func()) error {
			_, err := w.Commit(t.Context())
			return err
		}, 2, damask.ETOOLARGE},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			s := openStore(t, url+"&part-size=5")
			if tt.maxParts > 0 {
				s.maxParts = tt.maxParts
			}
			ctx, cancel := context.WithCancel(t.Context())
			defer cancel()
			w, err := s.Create(ctx)
			if err != nil {
				t.Fatal(err)
			}
			_, werr := w.Write(data)
			err = tt.end(t, w, cancel)
			if werr != nil {
				err = werr
			}
			if tt.wantCode != "" {
				if code := damask.ErrorCode(err); code != tt.wantCode {
					t.Errorf("Write or Commit: error %v (code %q), want code %q", err, code, tt.wantCode)
				}
			}
			if err := w.Abort(); err != nil {
				t.Errorf("Abort: %v", err)
			}
			if _, err := s.Stat(t.Context(), ref); damask.ErrorCode(err) != damask.ENOTFOUND {
				t.Errorf("Stat: error %v, want code %q", err, damask.ENOTFOUND)
			}
		})
	}
}

// Storing a large file again renews its time, as the suite checks for small
// ones: the copy into place writes the object anew.
func TestLargeDedupRenews(t *testing.T) {
	url, _ := s3test.Start(t)
	s := openStore(t, url+"&part-size=5")
	data := bytes.Repeat([]byte("large "), 6<<20/6+1)
	first := commit(t, s, data)
	// Last-Modified counts whole seconds: commit again in the next one.
	time.Sleep(time.Until(first.ModTime.Truncate(time.Second).Add(time.Second + 20*time.Millisecond)))
	second := commit(t, s, data)
	if second.Ref != first.Ref || second.Size != first.Size || !second.ModTime.After(first.ModTime) {
		t.Errorf("second Commit = %v, want %v renewed", second, first)
	}
	st, err := s.Stat(t.Context(), first.Ref)
	if err != nil || !st.ModTime.After(first.ModTime) {
		t.Errorf("Stat = %v, %v; want renewed after %v", st, err, first.ModTime)
	}
}

// Walk lists only objects whose key is the one their name calls for.
// Strangers are put in as plain files behind versitygw, which lists them as
// objects.
func TestWalkIgnoresStrangers(t *testing.T) {
	url, dir := s3test.Start(t)
	s := openStore(t, url)
	info := commit(t, s, []byte("the only file"))
	name := info.Ref.String()
	other := damask.BlobRef(sha256.Sum256([]byte("elsewhere"))).String()
	for _, p := range []string{
		"README",                                // top level
		filepath.Join(name[:2], "notes.txt"),    // in a fan-out folder
		filepath.Join(name[:2], name[2:4], "x"), // beside a file
		filepath.Join(name[:2], name[2:4], name+".bak"),
		filepath.Join(name[:2], name[2:4], other), // in the wrong folder
		filepath.Join(name[:2], name[2:4], strings.ToUpper(name)),
		filepath.Join("zz", "zz", name), // not a hex folder
		filepath.Join("AB", "CD", name), // not lowercase
		filepath.Join("x", name[:2], name[2:4], name),
	} {
		path := filepath.Join(dir, p)
		if err := os.MkdirAll(filepath.Dir(path), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(path, []byte("stranger"), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	if got := blobtest.Listed(t, s); len(got) != 1 || got[info.Ref] != info.Size {
		t.Errorf("Walk listed %v, want only %s", got, info.Ref)
	}
}

// The S3 server going away mid-upload fails the Commit (after the client's
// retries, with backoff) and stores nothing; what the upload left is removed once it is
// stale, when the server is back.
func TestServerDownMidUpload(t *testing.T) {
	srv := s3test.StartServer(t)
	c, err := parseURL(srv.URL("down")+"&part-size=5", os.Getenv)
	if err != nil {
		t.Fatal(err)
	}
	c.retries = 2 // the default 10 take some 12 s of backoff
	s, err := open(t.Context(), c)
	if err != nil {
		t.Fatal(err)
	}
	data := bytes.Repeat([]byte("part "), 6<<20/5)
	w, err := s.Create(t.Context())
	if err != nil {
		t.Fatal(err)
	}
	defer w.Abort()
	if _, err := w.Write(data); err != nil {
		t.Fatal(err)
	}
	srv.Stop()
	start := time.Now()
	info, err := w.Commit(t.Context())
	if err == nil {
		t.Fatalf("Commit with the server down = %v, want an error", info)
	}
	t.Logf("Commit failed after %v: %v", time.Since(start), err)
	srv.Restart()
	if _, err := s.Stat(t.Context(), sha256.Sum256(data)); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("Stat after a failed Commit: %v, want code %q", err, damask.ENOTFOUND)
	}
	if err := s.removeStale(t.Context(), time.Now().Add(time.Minute)); err != nil {
		t.Fatal(err)
	}
	if left := s.temporaries(t); len(left) > 0 {
		t.Errorf("under .tmp after removing what is stale: %v", left)
	}
}
