package hardening

// Items 8 and 9 of RELIABILITY.md where archives are unpacked: uploads
// with unpack=true. Every hostile archive is sent through each way an
// archive arrives (a multipart create, a raw upload, an upload id then a
// create) to the real binary; none may make an asset or write a file
// outside the blob store.

import (
	"archive/zip"
	"bytes"
	"compress/flate"
	"encoding/json"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"path/filepath"
	"strings"
	"testing"

	"damask/servertest"
)

// unpackRoutes sends an archive with unpack=true by each route and
// answers the status and body of each.
func unpackRoutes(t *testing.T, c servertest.Client, name string, data []byte) map[string]struct {
	status int
	body   []byte
} {
	t.Helper()
	out := map[string]struct {
		status int
		body   []byte
	}{}
	body, ct := multipartFile(name, "application/zip", data)
	st, b := c.Do("POST", "/api/assets.json?unpack=true", ct, body)
	out["multipart create"] = struct {
		status int
		body   []byte
	}{st, b}
	st, b = c.Do("POST", "/api/upload.json?unpack=1&filename="+name, "application/zip", data)
	out["raw upload"] = struct {
		status int
		body   []byte
	}{st, b}
	st, b = c.Do("POST", "/api/upload.json?filename="+name, "application/zip", data)
	if st != http.StatusCreated {
		t.Fatalf("upload of %s: %d %s", name, st, b)
	}
	var u struct{ ID int64 }
	if err := json.Unmarshal(b, &u); err != nil {
		t.Fatal(err)
	}
	st, b = c.Do("POST", "/api/assets.json", "application/x-www-form-urlencoded", fmt.Appendf(nil, "upload_id=%d&unpack=true", u.ID))
	out["upload id"] = struct {
		status int
		body   []byte
	}{st, b}
	return out
}

// refusedEverywhere checks that every route refused the archive with
// status and a message holding msg, making no asset.
func refusedEverywhere(t *testing.T, l *library, name string, data []byte, status int, msg string) {
	t.Helper()
	before := l.counts(t).Assets
	for route, r := range unpackRoutes(t, l.admin, name, data) {
		if r.status != status || !strings.Contains(string(r.body), msg) {
			t.Errorf("%s by %s: %d %.300s, want %d saying %q", name, route, r.status, r.body, status, msg)
		}
	}
	if after := l.counts(t).Assets; after != before {
		t.Errorf("%s: %d assets before, %d after: something was unpacked", name, before, after)
	}
}

// unpackBombs: bombs sent with unpack=true are refused before a byte is
// extracted, whatever route brings them, and the server's memory stays
// low; an archive inside an archive is kept as a file, never unpacked.
func unpackBombs(t *testing.T, l *library, bomb, many, gz []byte) {
	// A bomb spread over many entries, each small enough alone.
	spread := zipOf(t, func(zw *zip.Writer) {
		zero := make([]byte, 1<<20)
		for i := range 200 {
			w, _ := zw.Create(fmt.Sprintf("part%03d.bin", i))
			w.Write(zero)
		}
	})
	// An entry whose header says 100 bytes and whose data inflates to
	// 64 MiB: archive/zip stops at the size the directory gave.
	var deflated bytes.Buffer
	fw, _ := flate.NewWriter(&deflated, flate.BestCompression)
	fw.Write(make([]byte, 64<<20))
	fw.Close()
	liar := zipOf(t, func(zw *zip.Writer) {
		w, _ := zw.Create("first.txt")
		w.Write([]byte("a good entry first"))
		w, _ = zw.CreateRaw(&zip.FileHeader{Name: "liar.bin", Method: zip.Deflate, CRC32: crc32.ChecksumIEEE(make([]byte, 100)),
			CompressedSize64: uint64(deflated.Len()), UncompressedSize64: 100})
		w.Write(deflated.Bytes())
	})
	_, peakBefore := serverMemory(t, l.Server)
	blobsBefore := blobFiles(t, l.data)
	for _, tc := range []struct {
		name   string
		data   []byte
		status int
		msg    string
	}{
		{"bomb.zip", bomb, 422, "zip bomb"},
		{"many.zip", many, 422, "100000 entries"},
		{"spread.zip", spread, 422, "zip bomb"},
		{"zeros.gz", gz, 422, "not a zip"},
		{"liar.zip", liar, 422, "corrupt"},
	} {
		t.Run("unpack "+tc.name, func(t *testing.T) {
			refusedEverywhere(t, l, tc.name, tc.data, tc.status, tc.msg)
		})
	}
	t.Run("unpack nested", func(t *testing.T) {
		// The library holds no asset of spread.zip's bytes (it was
		// refused), so the entry is made.
		nested := zipOf(t, func(zw *zip.Writer) {
			w, _ := zw.CreateHeader(&zip.FileHeader{Name: "inner/bomb.zip", Method: zip.Store})
			w.Write(spread)
		})
		body, ct := multipartFile("nested.zip", "application/zip", nested)
		st, b := l.admin.Do("POST", "/api/assets.json?unpack=true", ct, body)
		if st != http.StatusCreated {
			t.Fatalf("nested: %d %s", st, b)
		}
		var rep struct {
			Assets []struct {
				Filename, Path string
				Size           int64
			}
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		if len(rep.Assets) != 1 || rep.Assets[0].Filename != "bomb.zip" || rep.Assets[0].Path != "inner" || rep.Assets[0].Size != int64(len(spread)) {
			t.Errorf("nested: %s, want the inner archive as one asset", b)
		}
	})
	var added, sent int64
	for k, size := range blobFiles(t, l.data) {
		if _, ok := blobsBefore[k]; !ok {
			added += size
		}
	}
	for _, d := range [][]byte{spread, liar, spread} { // bomb, many and gz are stored already; spread again inside nested.zip
		sent += int64(len(d))
	}
	// What was streamed before a refusal (liar.zip's first entry) is
	// a few bytes; nothing of a bomb's inside is stored.
	if added > sent+4096 {
		t.Errorf("the blob tree grew by %d bytes with unpacks of archives of %d: something was extracted", added, sent)
	}
	for _, f := range dataFiles(t, l.data) {
		if strings.HasSuffix(f, ".bin") || strings.Contains(f, "part0") || strings.Contains(f, "liar") {
			t.Errorf("the data folder holds %s: something was extracted", f)
		}
	}
	_, peak := serverMemory(t, l.Server)
	t.Logf("unpacks: server peak memory %d MiB before, %d MiB after; blob tree +%d bytes", peakBefore>>20, peak>>20, added)
	if peak-peakBefore > 128<<20 {
		t.Errorf("peak memory rose by %d MiB with the unpacks", (peak-peakBefore)>>20)
	}
}

// unpackPaths: each entry that climbs out, is absolute, is a link, is
// encrypted or repeats a name has its whole archive refused by every
// route (the good entry before it makes nothing), and nothing is written
// outside the blob store; odd but harmless names unpack into clean paths.
func unpackPaths(t *testing.T, l *library, out string) {
	abs := filepath.Join(out, "unpacked-abs")
	good := func(zw *zip.Writer) {
		w, _ := zw.Create("good/first.txt")
		w.Write([]byte("a good entry first"))
	}
	entry := func(name string) []byte {
		return zipOf(t, func(zw *zip.Writer) {
			good(zw)
			w, _ := zw.Create(name)
			w.Write([]byte("escaped"))
		})
	}
	cases := []struct {
		name string
		data []byte
		msg  string
	}{
		{"parent", entry("../unpacked-x"), "outside"},
		{"grandparent", entry("../../unpacked-x"), "outside"},
		{"parent inside", entry("a/../../unpacked-x"), "outside"},
		{"backslash parent", entry(`..\unpacked-x`), "outside"},
		{"backslash grandparent", entry(`..\..\unpacked-x`), "outside"},
		{"absolute", entry(abs), "absolute"},
		{"backslash absolute", entry(`\unpacked-x`), "absolute"},
		{"drive", entry("C:/unpacked-x"), "absolute"},
		{"backslash drive", entry(`C:\unpacked-x`), "absolute"},
		{"symlink", zipOf(t, func(zw *zip.Writer) {
			good(zw)
			h := &zip.FileHeader{Name: "link", Method: zip.Store}
			h.SetMode(os.ModeSymlink | 0o777)
			w, _ := zw.CreateHeader(h)
			w.Write([]byte("/etc/passwd"))
			w, _ = zw.CreateHeader(&zip.FileHeader{Name: "link/passwd", Method: zip.Store})
			w.Write([]byte("through the link"))
		}), "symbolic link"},
		{"symlink to a folder", zipOf(t, func(zw *zip.Writer) {
			good(zw)
			h := &zip.FileHeader{Name: "up", Method: zip.Store}
			h.SetMode(os.ModeSymlink | 0o777)
			w, _ := zw.CreateHeader(h)
			w.Write([]byte(".."))
		}), "symbolic link"},
		{"encrypted", zipOf(t, func(zw *zip.Writer) {
			good(zw)
			w, _ := zw.CreateRaw(&zip.FileHeader{Name: "secret.txt", Method: zip.Store, Flags: 0x1,
				CompressedSize64: 7, UncompressedSize64: 7})
			w.Write([]byte("escaped"))
		}), "encrypted"},
		{"duplicate", entry("good/first.txt"), "two entries"},
		{"duplicate by backslash", entry(`good\first.txt`), "two entries"},
		{"NUL", entry("good/x\x00.txt"), "NUL"},
	}
	for _, tc := range cases {
		t.Run("unpack "+tc.name, func(t *testing.T) {
			refusedEverywhere(t, l, "evil.zip", tc.data, 422, tc.msg)
		})
	}
	parent := filepath.Dir(l.data)
	assertAbsent(t, abs, filepath.Join(parent, "unpacked-x"), filepath.Join(filepath.Dir(parent), "unpacked-x"),
		filepath.Join(l.data, "unpacked-x"), filepath.Join(l.data, "link"), filepath.Join(l.data, "good"))
	for _, f := range dataFiles(t, l.data) {
		if strings.Contains(f, "unpacked") || strings.Contains(f, "first.txt") || strings.Contains(f, "link") {
			t.Errorf("the data folder holds %s", f)
		}
	}

	t.Run("unpack odd names", func(t *testing.T) {
		odd := zipOf(t, func(zw *zip.Writer) {
			for i, n := range []string{"./dot/a.txt", "sp ace /  b.txt", `win\dows\c.txt`, ".hidden/d.txt", "e//f.txt", "CON", "bidi\u202Etxt.exe/g.txt"} {
				w, _ := zw.Create(n)
				fmt.Fprintf(w, "odd %d", i)
			}
		})
		body, ct := multipartFile("odd.zip", "application/zip", odd)
		st, b := l.admin.Do("POST", "/api/assets.json?unpack=true", ct, body)
		if st != http.StatusCreated {
			t.Fatalf("odd names: %d %s", st, b)
		}
		var rep struct {
			Assets []struct{ Filename, Path string }
		}
		if err := json.Unmarshal(b, &rep); err != nil {
			t.Fatal(err)
		}
		want := map[string]string{"a.txt": "dot", "b.txt": "sp ace", "c.txt": "win/dows", "d.txt": ".hidden", "f.txt": "e", "CON": "", "g.txt": "biditxt.exe"}
		got := map[string]string{}
		for _, a := range rep.Assets {
			got[a.Filename] = a.Path
		}
		if fmt.Sprint(got) != fmt.Sprint(want) {
			t.Errorf("paths %v, want %v", got, want)
		}
	})
}
