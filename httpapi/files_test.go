package httpapi_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"io/fs"
	"mime"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"testing"
	"time"
	"unicode"
	"unicode/utf8"

	"damask"
)

func TestUpload(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	data := []byte("%PDF-1.4\nnot much of a PDF, but it starts like one\n")
	sum := sha256.Sum256(data)
	cases := []struct {
		name   string
		send   func(ext string) *response
		want   string // filename
		wantCT string
	}{
		{"multipart", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "report.pdf", data}))
		}, "report.pdf", "application/pdf"},
		{"raw with ?filename=", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=r%C3%A9sum%C3%A9.pdf", bytes.NewReader(data),
				"Content-Type", "application/octet-stream")
		}, "résumé.pdf", "application/pdf"},
		{"raw with Content-Disposition", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext, bytes.NewReader(data),
				"Content-Disposition", `attachment; filename="annual report.pdf"`)
		}, "annual report.pdf", "application/pdf"},
		{"raw chunked, no name", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext, io.MultiReader(bytes.NewReader(data)))
		}, "untitled", "application/pdf"},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				u, loc := created(t, c.send(ext), ext, "/api/uploads/")
				for name, want := range map[string]string{"filename": c.want, "size": fmt.Sprint(len(data)),
					"sha256": hex.EncodeToString(sum[:]), "content_type": c.wantCT} {
					if got := str(u[name]); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if got := tn.guest.get(t, loc).want(t, 200).obj(t); got["id"] != u["id"] {
					t.Errorf("GET %s: %v", loc, got)
				}
			})
		}
	}
	t.Run("multipart without file", func(t *testing.T) {
		before := e.state(t, tn.holder)
		tn.member.send(t, "POST", "/api/upload.xml", multipartBody(file{})).wantError(t, 422, "File can't be blank")
		tn.member.send(t, "POST", "/api/upload.xml", multipartBody(file{}, "title", "x")).wantError(t, 422, "title")
		e.unchanged(t, tn.holder, before)
	})
	t.Run("guest", func(t *testing.T) {
		before := e.state(t, tn.holder)
		tn.guest.do(t, "POST", "/api/upload.xml?filename=a", bytes.NewReader(data)).wantError(t, 403, "role")
		e.unchanged(t, tn.holder, before)
	})
}

func TestVersions(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "pro")
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			v1 := []byte("one " + ext)
			a := tn.member.createAsset(t, "v.txt", v1)
			base := "/api/assets/" + id(t, a) + "/versions"

			v2 := []byte("two " + ext)
			r := tn.member.send(t, "POST", base+ext, multipartBody(file{"file", "v2.txt", v2}, "comment", "second"))
			v := r.want(t, 201).obj(t)
			if want := "http://acme.example.com" + base + "/2" + ext; r.header.Get("Location") != want {
				t.Errorf("Location %q, want %q", r.header.Get("Location"), want)
			}
			if str(v["number"]) != "2" || v["comment"] != "second" || v["filename"] != "v2.txt" || str(v["asset_id"]) != id(t, a) {
				t.Errorf("new version %v", v)
			}
			v3 := []byte("three " + ext)
			up := id(t, tn.member.upload(t, "v3.txt", v3))
			v = tn.member.send(t, "POST", base+ext, form("version[upload_id]", up, "version[comment]", "third")).want(t, 201).obj(t)
			if str(v["number"]) != "3" || v["comment"] != "third" {
				t.Errorf("new version %v", v)
			}
			l := tn.guest.get(t, base+ext).want(t, 200).list(t, "versions", "version")
			var numbers []string
			for _, x := range l {
				numbers = append(numbers, str(x.(map[string]any)["number"]))
			}
			if strings.Join(numbers, ",") != "1,2,3" {
				t.Errorf("versions %v, want 1,2,3 oldest first", numbers)
			}
			if got := tn.guest.get(t, base+"/1"+ext).want(t, 200).obj(t); got["filename"] != "v.txt" || got["comment"] != "" {
				t.Errorf("version 1: %v", got)
			}
			tn.guest.get(t, base+"/4"+ext).wantError(t, 404, "Not found")
			tn.guest.get(t, base+"/0"+ext).wantError(t, 404, "Not found")
			tn.guest.get(t, base+"/x"+ext).wantError(t, 404, "Not found")
			for n, want := range map[string][]byte{"1": v1, "2": v2, "3": v3, "": v3} {
				p := "/api/assets/download/" + id(t, a)
				if n != "" {
					p += "?version=" + n
				}
				if got := tn.member.get(t, p).want(t, 200).body; !bytes.Equal(got, want) {
					t.Errorf("GET %s: %q, want %q", p, got, want)
				}
			}
			if got := tn.guest.get(t, "/api/assets/"+id(t, a)+ext).obj(t); str(got["version"]) != "3" || got["filename"] != "v3.txt" {
				t.Errorf("asset after versions: %v", got)
			}
			before := e.state(t, tn.holder)
			tn.guest.send(t, "POST", base+ext, multipartBody(file{"file", "g.txt", []byte("guest")})).wantError(t, 403, "role")
			tn.member.send(t, "POST", base+ext, form("comment", "no file")).wantError(t, 422, "File can't be blank")
			e.unchanged(t, tn.holder, before)
		})
	}
}

func TestDownload(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	data := []byte("<html><script>alert(1)</script></html>\n")
	a := tn.member.createAsset(t, "Übersicht \"final\".html", data)
	p := "/api/assets/download/" + id(t, a)
	sum := sha256.Sum256(data)
	etag := `"` + hex.EncodeToString(sum[:]) + `"`

	r := tn.member.get(t, p).want(t, 200)
	if !bytes.Equal(r.body, data) {
		t.Errorf("body %q, want %q", r.body, data)
	}
	for name, want := range map[string]string{
		"Content-Type":           "text/html; charset=utf-8",
		"ETag":                   etag,
		"X-Content-Type-Options": "nosniff",
		"Content-Length":         fmt.Sprint(len(data)),
		"Accept-Ranges":          "bytes",
	} {
		if got := r.header.Get(name); got != want {
			t.Errorf("%s: %q, want %q", name, got, want)
		}
	}
	disp, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
	if err != nil || disp != "attachment" || params["filename"] != `Übersicht "final".html` {
		t.Errorf("Content-Disposition %q: %s %q %v", r.header.Get("Content-Disposition"), disp, params, err)
	}
	if !strings.Contains(r.header.Get("Content-Disposition"), "filename*=UTF-8''%C3%9Cbersicht%20%22final%22.html") {
		t.Errorf("Content-Disposition %q without the UTF-8 filename*", r.header.Get("Content-Disposition"))
	}
	if !strings.Contains(r.header.Get("Content-Security-Policy"), "sandbox") {
		t.Errorf("Content-Security-Policy %q: HTML must not run", r.header.Get("Content-Security-Policy"))
	}
	lm, err := http.ParseTime(r.header.Get("Last-Modified"))
	if err != nil || time.Since(lm) > time.Hour {
		t.Errorf("Last-Modified %q: %v", r.header.Get("Last-Modified"), err)
	}

	t.Run("If-None-Match", func(t *testing.T) {
		r := tn.member.get(t, p, "If-None-Match", etag).want(t, 304)
		if len(r.body) != 0 || r.header.Get("ETag") != etag {
			t.Errorf("304 with body %q, ETag %q", r.body, r.header.Get("ETag"))
		}
		tn.member.get(t, p, "If-None-Match", `"other"`).want(t, 200)
	})
	t.Run("If-Modified-Since", func(t *testing.T) {
		tn.member.get(t, p, "If-Modified-Since", r.header.Get("Last-Modified")).want(t, 304)
	})
	t.Run("Range", func(t *testing.T) {
		r := tn.member.get(t, p, "Range", "bytes=6-13").want(t, 206)
		if !bytes.Equal(r.body, data[6:14]) {
			t.Errorf("range body %q, want %q", r.body, data[6:14])
		}
		if got, want := r.header.Get("Content-Range"), fmt.Sprintf("bytes 6-13/%d", len(data)); got != want {
			t.Errorf("Content-Range %q, want %q", got, want)
		}
		r = tn.member.get(t, p, "Range", "bytes=-5").want(t, 206)
		if !bytes.Equal(r.body, data[len(data)-5:]) {
			t.Errorf("suffix range body %q", r.body)
		}
		tn.member.get(t, p, "Range", "bytes=1000-2000").want(t, 416)
		r = tn.member.get(t, p, "Range", "bytes=0-1", "If-Range", `"stale"`).want(t, 200)
		if !bytes.Equal(r.body, data) {
			t.Errorf("If-Range with a stale ETag gave %q", r.body)
		}
	})
	t.Run("version", func(t *testing.T) {
		tn.member.get(t, p+"?version=1").want(t, 200)
		tn.member.get(t, p+"?version=2").wantError(t, 404, "Not found")
		for _, bad := range []string{"bad", "0", "-1", "1.5", "99999999999999999999999"} {
			tn.member.get(t, p+"?version="+bad).wantError(t, 400, "version")
		}
	})
	t.Run("ASCII name", func(t *testing.T) {
		b := tn.member.createAsset(t, "plain.txt", []byte("plain"))
		r := tn.member.get(t, "/api/assets/download/"+id(t, b)).want(t, 200)
		if got := r.header.Get("Content-Disposition"); got != `attachment; filename="plain.txt"` {
			t.Errorf("Content-Disposition %q", got)
		}
		if got := r.header.Get("Content-Type"); got != "text/plain; charset=utf-8" {
			t.Errorf("Content-Type %q", got)
		}
	})
	t.Run("guest", func(t *testing.T) {
		tn.guest.get(t, p).wantError(t, 403, "guests may preview only")
		tn.guest.get(t, p+".json").wantError(t, 403, "guests may preview only")
	})
	t.Run("with an extension", func(t *testing.T) {
		for _, ext := range formats {
			if got := tn.member.get(t, p+ext).want(t, 200).body; !bytes.Equal(got, data) {
				t.Errorf("GET %s%s: %q", p, ext, got)
			}
		}
	})
	t.Run("HEAD", func(t *testing.T) {
		r := tn.member.do(t, "HEAD", p, nil).want(t, 200)
		if len(r.body) != 0 || r.header.Get("Content-Length") != fmt.Sprint(len(data)) || r.header.Get("ETag") != etag {
			t.Errorf("HEAD: %q %v", r.body, r.header)
		}
	})
}

func TestPublicLink(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	data := []byte("public bytes")
	a := tn.member.createAsset(t, "pub.txt", data)
	link := str(a["public_url"])
	path := strings.TrimPrefix(link, "http://acme.example.com")
	if !strings.HasPrefix(path, "/p/") {
		t.Fatalf("public_url %q", link)
	}
	r := tn.anon.get(t, path).want(t, 200)
	if !bytes.Equal(r.body, data) || !strings.HasPrefix(r.header.Get("Content-Disposition"), "attachment") {
		t.Errorf("public download: %s %v", r, r.header)
	}
	// Without the API too: a link is for people without an account.
	tn.holder.send(t, "PUT", "/api/account.xml", form("api_enabled", "false")).want(t, 200)
	tn.anon.get(t, path).want(t, 200)
	e.svc.SetAPI(t.Context(), "acme", true)

	for _, bad := range []string{"/p/" + id(t, a), "/p/" + id(t, a) + "-wrong", "/p/999999-" + strings.SplitN(path, "-", 2)[1], "/p/", "/p/x"} {
		tn.anon.get(t, bad).wantError(t, 404, "Not found")
	}
	tn.anon.do(t, "POST", path, nil).want(t, 405)
	// Another account's host does not serve it.
	e.tenant(t, "other", "deluxe").anon.get(t, path).wantError(t, 404, "Not found")

	for _, ext := range formats {
		got := tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, form("public_link", "false")).want(t, 200).obj(t)
		if got["public_url"] != nil {
			t.Errorf("public_url after revoking: %v", got["public_url"])
		}
		tn.anon.get(t, path).wantError(t, 404, "Not found")
		got = tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, form("public_link", "true")).want(t, 200).obj(t)
		if got["public_url"] == nil || got["public_url"] == link {
			t.Errorf("public_url after renewing: %v, was %v", got["public_url"], link)
		}
		tn.anon.get(t, strings.TrimPrefix(str(got["public_url"]), "http://acme.example.com")).want(t, 200)
		link = str(got["public_url"])
		path = strings.TrimPrefix(link, "http://acme.example.com")
	}
	// The account switches public links off: every link stops.
	tn.holder.send(t, "PUT", "/api/account.json", form("public_links", "false")).want(t, 200)
	tn.anon.get(t, path).wantError(t, 404, "Not found")
	if got := tn.guest.get(t, "/api/assets/"+id(t, tn.member.createAsset(t, "new.txt", []byte("new")))+".json").obj(t); got["public_url"] != nil {
		t.Errorf("public_url %v on an account without public links", got["public_url"])
	}
}

// TestTooLarge: a file over the limit is 413, whether the client announces
// its length or sends it chunked, and nothing is stored.
func TestTooLarge(t *testing.T) {
	const limit = 1000
	e := newEnv(t, setup{maxFile: limit})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "small.txt", []byte("small"))
	big := bytes.Repeat([]byte("x"), limit+1)
	exact := bytes.Repeat([]byte("y"), limit)
	cases := []struct {
		name string
		send func(ext string, data []byte) *response
	}{
		{"raw with Content-Length", func(ext string, d []byte) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=big.bin", bytes.NewReader(d))
		}},
		{"raw chunked", func(ext string, d []byte) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=big.bin", io.MultiReader(bytes.NewReader(d)))
		}},
		{"multipart upload", func(ext string, d []byte) *response {
			return tn.member.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "big.bin", d}))
		}},
		{"multipart upload chunked", func(ext string, d []byte) *response {
			b := multipartBody(file{"file", "big.bin", d})
			return tn.member.do(t, "POST", "/api/upload"+ext, io.MultiReader(bytes.NewReader(b.data)), "Content-Type", b.ct)
		}},
		{"one-step create", func(ext string, d []byte) *response {
			return tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "big.bin", d}, "title", "Big"))
		}},
		{"new version", func(ext string, d []byte) *response {
			return tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, multipartBody(file{"file", "big.bin", d}))
		}},
		{"update with a file", func(ext string, d []byte) *response {
			return tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, multipartBody(file{"file", "big.bin", d}))
		}},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				before := e.state(t, tn.holder)
				c.send(ext, big).wantError(t, 413, fmt.Sprint(limit))
				e.unchanged(t, tn.holder, before)
			})
		}
	}
	t.Run("far over the limit", func(t *testing.T) {
		before := e.state(t, tn.holder)
		tn.member.do(t, "POST", "/api/upload.xml?filename=huge", bytes.NewReader(bytes.Repeat([]byte("z"), 100*limit))).
			wantError(t, 413, "larger")
		e.unchanged(t, tn.holder, before)
	})
	t.Run("at the limit", func(t *testing.T) {
		tn.member.do(t, "POST", "/api/upload.xml?filename=exact", io.MultiReader(bytes.NewReader(exact))).want(t, 201)
		tn.member.send(t, "POST", "/api/assets.xml", multipartBody(file{"file", "exact", exact}, "title", "Exact")).want(t, 201)
	})
}

// TestFileCutAtBodyLimit: a file within its limit whose body is cut at
// the body's limit (the form before it was large) is too large, 413, as
// the file over its own limit is: the service is told by the marked
// limit, not by an HTTP error type.
func TestFileCutAtBodyLimit(t *testing.T) {
	const limit = 1000
	e := newEnv(t, setup{maxFile: limit})
	tn := e.tenant(t, "acme", "deluxe")
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	// A part header as large as the form may be takes the room the
	// file's framing had.
	h := textproto.MIMEHeader{}
	h.Set("Content-Disposition", `form-data; name="title"`)
	h.Set("X-Padding", strings.Repeat("p", 1<<20)) // the room of the form fields
	w, _ := mw.CreatePart(h)
	w.Write([]byte("Cut"))
	w, _ = mw.CreateFormFile("file", "cut.bin")
	w.Write(bytes.Repeat([]byte("c"), limit))
	mw.Close()
	before := e.state(t, tn.holder)
	tn.member.send(t, "POST", "/api/assets.xml", payload{mw.FormDataContentType(), buf.Bytes()}).
		wantError(t, 413, fmt.Sprint("larger than the limit of ", limit))
	e.unchanged(t, tn.holder, before)
}

// TestQuota: a plan whose storage is full answers 507, and keeps nothing.
func TestQuota(t *testing.T) {
	plans := damask.DefaultPlans()
	plans["tiny"] = damask.Plan{Name: "tiny", Versions: true, MultipleUsers: true, StorageLimit: 100}
	e := newEnv(t, setup{plans: plans})
	tn := e.tenant(t, "acme", "tiny")
	tn.member.allow507 = true
	a := tn.member.createAsset(t, "sixty.txt", bytes.Repeat([]byte("6"), 60))
	acc := tn.holder.get(t, "/api/account.json").obj(t)
	if got := num(t, acc["stats"].(map[string]any)["available_space"]); got != 40 {
		t.Errorf("available_space %d, want 40", got)
	}
	over := bytes.Repeat([]byte("o"), 41)
	cases := []struct {
		name string
		send func(ext string) *response
	}{
		{"raw with Content-Length", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=o", bytes.NewReader(over))
		}},
		{"raw chunked", func(ext string) *response {
			return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=o", io.MultiReader(bytes.NewReader(over)))
		}},
		{"one-step create", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "o", over}))
		}},
		{"new version", func(ext string) *response {
			return tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, multipartBody(file{"file", "o", over}))
		}},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				before := e.state(t, tn.holder)
				c.send(ext).wantError(t, 507, "tiny plan")
				e.unchanged(t, tn.holder, before)
			})
		}
	}
	t.Run("what fits", func(t *testing.T) {
		tn.member.do(t, "POST", "/api/upload.xml?filename=fits", bytes.NewReader(over[:40])).want(t, 201)
		tn.member.do(t, "POST", "/api/upload.xml?filename=one", bytes.NewReader([]byte("1"))).wantError(t, 507, "full")
	})
}

// TestFilenames: whatever name a client sends, the stored name is clean
// and short, and the stored file's path comes from its hash only.
func TestFilenames(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	long := strings.Repeat("é", 500) + ".txt" // 1,000 bytes of name
	cases := []struct {
		name, want string // want "" means: only check that it is clean
	}{
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\system32\config`, "config"},
		{"/absolute/path.txt", "path.txt"},
		{"a\x00b.txt", "ab.txt"},
		{"tab\there\r\nand\x1bescape.txt", "tabhereandescape.txt"},
		{"CON", ""},
		{"nul.txt", ""},
		{"..", "untitled"},
		{"...hidden", "hidden"},
		{"  spaced  ", "spaced"},
		{"\xff\xfe.txt", "\uFFFD.txt"},
		{strings.Repeat("a", 1000), ""},
		{long, ""},
	}
	data := []byte("the same bytes for every name")
	for _, c := range cases {
		t.Run(fmt.Sprintf("%q", truncate(c.name, 40)), func(t *testing.T) {
			u := tn.member.do(t, "POST", "/api/upload.json?filename="+urlEscape(c.name), bytes.NewReader(data)).want(t, 201).obj(t)
			got := str(u["filename"])
			checkClean(t, got)
			if c.want != "" && got != c.want {
				t.Errorf("stored name %q, want %q", got, c.want)
			}
			if c.name == long && !strings.HasSuffix(got, ".txt") {
				t.Errorf("a long name lost its extension: %q", got)
			}
			a := tn.member.send(t, "POST", "/api/assets.json", form("upload_id", id(t, u))).want(t, 201).obj(t)
			r := tn.member.get(t, "/api/assets/download/"+id(t, a)).want(t, 200)
			_, params, err := mime.ParseMediaType(r.header.Get("Content-Disposition"))
			if err != nil || params["filename"] != got {
				t.Errorf("Content-Disposition %q: %q, %v; want filename %q", r.header.Get("Content-Disposition"), params, err, got)
			}
		})
	}
	t.Run("multipart", func(t *testing.T) {
		a := tn.member.createAsset(t, "../../x/../evil.txt", data)
		checkClean(t, str(a["filename"]))
		if a["filename"] != "evil.txt" {
			t.Errorf("filename %v", a["filename"])
		}
	})
	t.Run("blob paths", func(t *testing.T) {
		name := regexp.MustCompile(`^([0-9a-f]{2})/([0-9a-f]{64})$`)
		n := 0
		err := filepath.WalkDir(e.blobDir, func(p string, d fs.DirEntry, err error) error {
			if err != nil || d.IsDir() || d.Name() == ".layout" {
				return err
			}
			rel, _ := filepath.Rel(e.blobDir, p)
			m := name.FindStringSubmatch(filepath.ToSlash(rel))
			if m == nil || m[2][:2] != m[1] {
				t.Errorf("stored file %q is not named by its hash", rel)
			}
			n++
			return nil
		})
		if err != nil {
			t.Fatal(err)
		}
		if n != 1 {
			t.Errorf("%d stored files for one content, want 1", n)
		}
	})
}

func checkClean(t *testing.T, name string) {
	t.Helper()
	if name == "" || len(name) > 255 || !utf8.ValidString(name) || strings.ContainsAny(name, `/\`) ||
		strings.HasPrefix(name, ".") || strings.TrimSpace(name) != name ||
		strings.IndexFunc(name, unicode.IsControl) >= 0 {
		t.Errorf("stored name %q (%d bytes) is not clean", name, len(name))
	}
}

// TestEmptyFile: an empty file is invalid, in every way it can come.
func TestEmptyFile(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	for _, ext := range formats {
		for name, send := range map[string]func() *response{
			"raw": func() *response {
				return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=empty", bytes.NewReader(nil))
			},
			"raw chunked": func() *response {
				return tn.member.do(t, "POST", "/api/upload"+ext+"?filename=empty", io.MultiReader())
			},
			"multipart": func() *response {
				return tn.member.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "empty", nil}))
			},
			"create": func() *response {
				return tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "empty", nil}, "title", "e"))
			},
			"version": func() *response {
				return tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, multipartBody(file{"file", "empty", nil}))
			},
		} {
			t.Run(name+ext, func(t *testing.T) {
				before := e.state(t, tn.holder)
				send().wantError(t, 422, "empty")
				e.unchanged(t, tn.holder, before)
			})
		}
	}
}

// TestDisconnect: a client that goes away in the middle of a file leaves
// nothing behind: no record, no stored file, no temporary file, no change
// of the used space.
func TestDisconnect(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	const size = 1 << 20
	auth := "Basic " + basic("member", pw)
	half := bytes.Repeat([]byte("h"), size/2)
	mp := multipartBody(file{"file", "half.bin", bytes.Repeat([]byte("m"), size)}, "title", "half")
	cases := []struct {
		name, head string
		body       []byte
	}{
		{"raw upload", "POST /api/upload.xml?filename=half.bin HTTP/1.1\r\nHost: acme.example.com\r\n" +
			"Authorization: " + auth + "\r\nContent-Type: application/octet-stream\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n", size), half},
		{"multipart upload", "POST /api/upload.json HTTP/1.1\r\nHost: acme.example.com\r\n" +
			"Authorization: " + auth + "\r\nContent-Type: " + mp.ct + "\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n", len(mp.data)), mp.data[:len(mp.data)/2]},
		{"one-step create, chunked", "POST /api/assets.xml HTTP/1.1\r\nHost: acme.example.com\r\n" +
			"Authorization: " + auth + "\r\nContent-Type: " + mp.ct + "\r\nTransfer-Encoding: chunked\r\n\r\n",
			[]byte(fmt.Sprintf("%x\r\n%s\r\n", len(mp.data)/2, mp.data[:len(mp.data)/2]))},
		{"new version", "POST /api/assets/" + id(t, a) + "/versions.xml HTTP/1.1\r\nHost: acme.example.com\r\n" +
			"Authorization: " + auth + "\r\nContent-Type: " + mp.ct + "\r\n" +
			fmt.Sprintf("Content-Length: %d\r\n\r\n", len(mp.data)), mp.data[:len(mp.data)/2]},
	}
	for _, c := range cases {
		t.Run(c.name, func(t *testing.T) {
			before := e.state(t, tn.holder)
			conn, done := e.dial(t)
			if _, err := io.WriteString(conn, c.head); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write(c.body); err != nil {
				t.Fatal(err)
			}
			conn.Close()
			<-done // the server closed its end: the handler has returned
			e.unchanged(t, tn.holder, before)
		})
	}
	entries, err := os.ReadDir(filepath.Join(e.blobDir, ".tmp"))
	if err != nil || len(entries) != 0 {
		t.Errorf("temporary files left: %v %v", entries, err)
	}
}
