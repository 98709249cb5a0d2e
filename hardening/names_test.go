package hardening

// Items 13 to 15 of RELIABILITY.md, "Hostile names and fields".

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"mime"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"damask/media/mediatest"
	"damask/servertest"
)

// TestR13_HostileFilenames: names that climb folders, are percent-encoded,
// hold NUL, CR or LF, are 1,000 characters long or are reserved on Windows
// are kept only as metadata, cleaned and cut to 255 bytes; every file on
// disk is under a key the server made from the content.
func TestR13_HostileFilenames(t *testing.T) {
	l := start(t)
	names := []string{
		"../../etc/passwd",
		"..%2f..%2fetc%2fpasswd",
		"%2e%2e%2f%2e%2e%2fetc%2fpasswd",
		"/etc/shadow",
		`..\..\Windows\win.ini`,
		`C:\Windows\System32\cmd.exe`,
		"a\x00b.jpg",
		"nul\x00",
		"a\r\nContent-Type: text/html\r\n\r\n<script>alert(1)</script>.jpg",
		strings.Repeat("a", 1000),
		strings.Repeat("é", 600) + ".jpg",
		"CON", "con.txt", "NUL", "AUX.jpg", "COM1", "LPT1.txt",
		"..", ".", ".htaccess", " . . .x", "\u202Egpj.exe", "invoice\u2067fdp.exe\u2069.txt",
		"-rf.jpg", "$(touch pwned).jpg", "`id`.jpg", "name\xff\xfe.jpg",
	}
	for i, name := range names {
		t.Run(fmt.Sprintf("%d", i), func(t *testing.T) {
			// Sent raw, so that the name reaches the server byte for byte.
			content := []byte(fmt.Sprintf("file number %d", i))
			b := l.admin.Must(http.StatusCreated, "POST", "/api/upload.xml?filename="+url.QueryEscape(name), "application/octet-stream", content)
			var up struct {
				ID       int64  `xml:"id"`
				Filename string `xml:"filename"`
			}
			if err := xml.Unmarshal(b, &up); err != nil {
				t.Fatal(err)
			}
			b = l.admin.Must(http.StatusCreated, "POST", "/api/assets.xml", "application/x-www-form-urlencoded", []byte(fmt.Sprintf("upload_id=%d", up.ID)))
			var a asset
			if err := xml.Unmarshal(b, &a); err != nil {
				t.Fatal(err)
			}
			t.Logf("%q -> %q", name, a.Filename)
			for _, got := range []string{up.Filename, a.Filename} {
				wantCleanName(t, got)
			}
			status, h, _ := l.admin.Request("GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil)
			if status != http.StatusOK {
				t.Fatalf("download: %d", status)
			}
			cd := h.Values("Content-Disposition")
			if len(cd) != 1 || strings.ContainsAny(cd[0], "\r\n\x00") {
				t.Fatalf("Content-Disposition %q", cd)
			}
			if _, params, err := mime.ParseMediaType(cd[0]); err != nil {
				t.Errorf("Content-Disposition %q: %v", cd[0], err)
			} else if params["filename"] != "" && strings.ContainsAny(params["filename"], `/\`) {
				t.Errorf("Content-Disposition names %q", params["filename"])
			}
			if h.Get("X-Injected") != "" || strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Errorf("headers injected: %v", h)
			}
		})
	}
	// On disk: the database, its secret key and content-addressed blobs,
	// nothing named after a client.
	blobs := blobFiles(t, l.data)
	if len(blobs) < len(names) {
		t.Errorf("%d blobs for %d distinct files", len(blobs), len(names))
	}
	for _, f := range dataFiles(t, l.data) {
		top, _, _ := strings.Cut(f, string(filepath.Separator))
		if f != "." && top != "blobs" && !strings.HasPrefix(f, "damask.db") && f != "secret.key" {
			t.Errorf("the data folder holds %s", f)
		}
	}
	assertAbsent(t, filepath.Join(filepath.Dir(l.data), "pwned"), "pwned", filepath.Join(l.data, "blobs", "pwned"))
}

// cleanName fails the test unless name is fit to keep and to show.
func wantCleanName(t *testing.T, name string) {
	t.Helper()
	switch {
	case name == "":
		t.Errorf("empty name")
	case !utf8.ValidString(name):
		t.Errorf("%q is not UTF-8", name)
	case len(name) > 255:
		t.Errorf("%q is %d bytes, over 255", name, len(name))
	case strings.ContainsAny(name, `/\`):
		t.Errorf("%q holds a path separator", name)
	case strings.HasPrefix(name, ".") || strings.HasPrefix(name, " "):
		t.Errorf("%q starts with a dot or a space", name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		t.Errorf("%q holds a control character", name)
	case strings.ContainsAny(name, "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f"):
		t.Errorf("%q holds a bidirectional control, which disguises its extension", name)
	}
}

// xss is what the hostile fields hold; xssName is a filename of markup
// (without the slash of a closing tag, which cleaning cuts at).
const (
	xss     = `<img src=x onerror=alert(1)>"><script>alert(2)</script>`
	xssName = `<img src=x onerror=alert(1)>"><svg onload=alert(3)>.jpg`
)

// TestR14_MarkupInFields: titles, descriptions, tags, filenames and the
// EXIF, IPTC and XMP fields of a file holding markup are shown as text on
// every page (library grid and list, search results, the asset's page and
// its metadata, the trash) and are text in the XML and JSON documents.
func TestR14_MarkupInFields(t *testing.T) {
	l := start(t)
	// A JPEG whose EXIF, IPTC and XMP fields all hold the markup.
	src := filepath.Join(t.TempDir(), "x.jpg")
	if err := os.WriteFile(src, mediatest.Sample(t, "photo.jpg"), 0o600); err != nil {
		t.Fatal(err)
	}
	args := []string{"-q", "-overwrite_original", "-codedcharacterset=utf8"}
	for _, tag := range []string{"EXIF:Make", "EXIF:Model", "EXIF:Artist", "EXIF:Copyright", "EXIF:ImageDescription", "EXIF:LensModel",
		"IPTC:Caption-Abstract", "IPTC:By-line", "IPTC:CopyrightNotice", "IPTC:ObjectName", "IPTC:Keywords",
		"XMP-dc:Title", "XMP-dc:Description", "XMP-dc:Creator", "XMP-dc:Rights", "XMP-dc:Subject"} {
		args = append(args, "-"+tag+"="+xss)
	}
	if out, err := exec.Command("exiftool", append(args, src)...).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v\n%s", err, out)
	}
	photo, err := os.ReadFile(src)
	if err != nil {
		t.Fatal(err)
	}
	a := l.upload(t, xssName, "image/jpeg", photo)
	form := url.Values{"title": {"T " + xss}, "description": {"D " + xss}, "tags": {xss + ",plain"}}
	l.admin.Must(http.StatusOK, "PUT", fmt.Sprintf("/api/assets/%d.xml", a.ID), "application/x-www-form-urlencoded", []byte(form.Encode()))
	if st := waitProcessed(t, l.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
		t.Fatalf("processing: %s %s", st.Processing, st.Error)
	}
	// A second one in the trash.
	gone := l.upload(t, xss+".txt", "text/plain", []byte("to the trash"))
	l.admin.Must(http.StatusOK, "PUT", fmt.Sprintf("/api/assets/%d.xml", gone.ID), "application/x-www-form-urlencoded",
		[]byte(url.Values{"title": {"Gone " + xss}}.Encode()))
	l.admin.Must(http.StatusOK, "DELETE", fmt.Sprintf("/api/assets/%d.xml", gone.ID), "", nil)

	t.Run("documents", func(t *testing.T) {
		xb := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/%d.xml", a.ID), "", nil)
		if bytes.Contains(xb, []byte("<img")) || bytes.Contains(xb, []byte("<script")) {
			t.Errorf("the XML holds markup as elements:\n%s", xb)
		}
		var doc struct {
			Title    string   `xml:"title"`
			Desc     string   `xml:"description"`
			Filename string   `xml:"filename"`
			Camera   string   `xml:"camera"`
			Caption  string   `xml:"caption"`
			XMPTitle string   `xml:"xmp_title"`
			Tags     []string `xml:"tags>tag>tag"`
		}
		if err := xml.Unmarshal(xb, &doc); err != nil {
			t.Fatalf("the XML does not parse: %v\n%s", err, xb)
		}
		if doc.Title != "T "+xss || doc.Desc != "D "+xss || doc.Filename != xssName || !strings.Contains(doc.Caption, xss) ||
			!strings.Contains(doc.XMPTitle, xss) || !strings.Contains(doc.Camera, "<img") {
			t.Errorf("the XML's text differs from what was stored: %+v", doc)
		}
		jb := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/%d.json", a.ID), "", nil)
		var jdoc map[string]any
		if err := json.Unmarshal(jb, &jdoc); err != nil {
			t.Fatalf("the JSON does not parse: %v\n%s", err, jb)
		}
		if jdoc["title"] != "T "+xss || jdoc["filename"] != xssName {
			t.Errorf("the JSON's text differs: title %q filename %q", jdoc["title"], jdoc["filename"])
		}
		lb := l.admin.Must(http.StatusOK, "GET", "/api/assets.xml", "", nil)
		if bytes.Contains(lb, []byte("<img")) || bytes.Contains(lb, []byte("<script")) {
			t.Errorf("the list holds markup as elements")
		}
	})

	s := l.browser(t, "")
	s.signIn("admin", servertest.AdminPassword)
	q := url.QueryEscape(xss)
	pages := []struct {
		path string
		want []string // escaped texts the page must show
	}{
		{"/", []string{"T &lt;img"}},
		{"/?view=list", []string{"T &lt;img"}},
		{"/?q=" + url.QueryEscape("title:T"), []string{"T &lt;img"}},
		{"/?q=" + q, nil}, // the query itself echoed
		{"/?tags=" + q, nil},
		{fmt.Sprintf("/assets/%d", a.ID), []string{"T &lt;img", "D &lt;img", "&lt;svg onload=alert(3)&gt;.jpg"}},
		{"/trash", []string{"Gone &lt;img"}},
		{"/people", nil},
	}
	for _, p := range pages {
		t.Run("page "+p.path, func(t *testing.T) {
			res := s.get(p.path)
			status, h, body := res.status, res.header, res.body
			if status != http.StatusOK {
				t.Fatalf("%d", status)
			}
			if !strings.HasPrefix(h.Get("Content-Type"), "text/html") {
				t.Fatalf("Content-Type %q", h.Get("Content-Type"))
			}
			for _, bad := range []string{"<img src=x", "<script>alert", "<svg onload", "onerror=alert(1)>\"", "\"><script"} {
				if strings.Contains(body, bad) {
					i := strings.Index(body, bad)
					t.Errorf("the page holds %q unescaped: …%s…", bad, body[max(0, i-80):min(len(body), i+80)])
				}
			}
			for _, w := range p.want {
				if !strings.Contains(body, w) {
					t.Errorf("the page does not show %q", w)
				}
			}
		})
	}
	t.Run("metadata panel", func(t *testing.T) {
		body := s.get(fmt.Sprintf("/assets/%d", a.ID)).body
		// Camera, caption, creator... are each shown escaped: count them.
		if n := strings.Count(body, "&lt;img src=x onerror=alert(1)&gt;"); n < 6 {
			t.Errorf("the asset page shows the markup escaped %d times, want the title, description, tag, filename and metadata fields", n)
		}
	})
}

// TestR15_MalformedBodies: malformed XML and JSON, broken forms, unknown
// fields, non-UTF-8 text and numbers too big for any integer, sent to the
// writing routes (and huge numbers to the reading ones), are 400 or 422
// (413 for a body over the limit) with an error document in the format
// asked for, never a 500.
func TestR15_MalformedBodies(t *testing.T) {
	l := start(t, "--rate", "0") // hundreds of requests in a row
	a := l.upload(t, "a.txt", "", []byte("a"))
	tag := l.admin.Must(http.StatusCreated, "POST", "/api/tags.xml", "application/x-www-form-urlencoded", []byte("tag=first"))
	var tg struct {
		ID int64 `xml:"id"`
	}
	xml.Unmarshal(tag, &tg)
	user := l.admin.Must(http.StatusCreated, "POST", "/api/users.xml", "application/x-www-form-urlencoded",
		[]byte("login=ann&email=ann@example.com&password=a-long-password-1&role=member"))
	var u struct {
		ID int64 `xml:"id"`
	}
	xml.Unmarshal(user, &u)
	routes := []struct{ method, path, res, field string }{
		{"PUT", "/api/account", "account", "company_name"},
		{"POST", "/api/users", "user", "first_name"},
		{"PUT", fmt.Sprintf("/api/users/%d", u.ID), "user", "first_name"},
		{"POST", "/api/tags", "tag", "tag"},
		{"PUT", fmt.Sprintf("/api/tags/%d", tg.ID), "tag", "tag"},
		{"POST", "/api/assets", "asset", "title"},
		{"PUT", fmt.Sprintf("/api/assets/%d", a.ID), "asset", "title"},
		{"POST", fmt.Sprintf("/api/assets/%d/versions", a.ID), "version", "comment"},
		{"POST", "/api/tokens", "token", "name"},
	}
	type body struct{ ct, data string }
	xmlB := func(s string) body { return body{"application/xml", s} }
	jsonB := func(s string) body { return body{"application/json", s} }
	formB := func(s string) body { return body{"application/x-www-form-urlencoded", s} }
	cases := []struct {
		name string
		body func(res, field string) body
	}{
		{"malformed XML", func(r, f string) body { return xmlB("<" + r + "><" + f + ">x</" + r + ">") }},
		{"unclosed XML", func(r, f string) body { return xmlB("<" + r + "><" + f + ">x") }},
		{"empty XML", func(r, f string) body { return xmlB("") }},
		{"billion laughs", func(r, f string) body {
			return xmlB(`<!DOCTYPE x [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;"><!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><` + r + `><` + f + `>&c;&c;&c;</` + f + `></` + r + `>`)
		}},
		{"unknown XML field", func(r, f string) body { return xmlB("<" + r + "><bogus>1</bogus></" + r + ">") }},
		{"non-UTF-8 XML", func(r, f string) body { return xmlB("<" + r + "><" + f + ">caf\xe9</" + f + "></" + r + ">") }},
		{"XML in another charset", func(r, f string) body {
			return xmlB(`<?xml version="1.0" encoding="ISO-8859-1"?><` + r + `><` + f + ">caf\xe9</" + f + "></" + r + ">")
		}},
		{"malformed JSON", func(r, f string) body { return jsonB(`{"` + f + `":`) }},
		{"JSON array", func(r, f string) body { return jsonB(`[1,2]`) }},
		{"deep JSON", func(r, f string) body { return jsonB(strings.Repeat("[", 100000) + strings.Repeat("]", 100000)) }},
		{"unknown JSON field", func(r, f string) body { return jsonB(`{"bogus":1}`) }},
		{"non-UTF-8 JSON", func(r, f string) body { return jsonB(`{"` + f + `":"caf` + "\xe9" + `"}`) }},
		{"huge JSON number", func(r, f string) body { return jsonB(`{"` + f + `":1e999999,"upload_id":1e999999}`) }},
		{"huge id in JSON", func(r, f string) body { return jsonB(`{"upload_id":999999999999999999999999999}`) }},
		{"huge id in a form", func(r, f string) body { return formB("upload_id=999999999999999999999999999") }},
		{"negative id", func(r, f string) body { return formB("upload_id=-1") }},
		{"unknown form field", func(r, f string) body { return formB("bogus=1") }},
		{"broken form", func(r, f string) body { return formB(f + "=%zz") }},
		{"non-UTF-8 form", func(r, f string) body { return formB(f + "=caf%E9") }},
		{"NUL in a field", func(r, f string) body { return formB(f + "=a%00b") }},
		{"garbled Content-Type", func(r, f string) body { return body{"multipart/form-data; boundary", "x"} }},
		{"broken multipart", func(r, f string) body {
			return body{"multipart/form-data; boundary=XYZ", "--XYZ\r\nContent-Disposition: form-data; name=\"" + f + "\"\r\n\r\nvalue"}
		}},
		{"unknown Content-Type", func(r, f string) body { return body{"text/plain", f + "=x"} }},
	}
	for _, rt := range routes {
		for _, c := range cases {
			for _, ext := range []string{".xml", ".json"} {
				b := c.body(rt.res, rt.field)
				t.Run(rt.method+" "+rt.path+ext+" "+c.name, func(t *testing.T) {
					status, h, resp := l.admin.Request(rt.method, rt.path+ext, b.ct, strings.NewReader(b.data))
					wantErrorDoc(t, status, h, resp, ext)
				})
			}
		}
	}
	// Huge and odd numbers where the reading routes take them.
	for _, p := range []string{
		"/api/assets/99999999999999999999", "/api/assets/1e999", "/api/tags/-99999999999999999999",
		"/api/users/0x7fffffffffffffff", fmt.Sprintf("/api/assets/%d/versions/99999999999999999999", a.ID),
		"/api/assets?page=99999999999999999999", "/api/assets?per_page=1e999", "/api/assets?page=%FF",
		"/api/assets?query=%FF%FE", "/api/assets?tags=%00",
	} {
		for _, ext := range []string{".xml", ".json"} {
			path, query, _ := strings.Cut(p, "?")
			full := path + ext
			if query != "" {
				full += "?" + query
			}
			t.Run("GET "+full, func(t *testing.T) {
				status, h, resp := l.admin.Request("GET", full, "", nil)
				if status == http.StatusNotFound {
					// A missing id, or a list with no result (an empty
					// array, as API.md says).
					if !strings.Contains(string(resp), "error") && !(strings.HasPrefix(path, "/api/assets") && (strings.Contains(string(resp), `type="array"`) || strings.TrimSpace(string(resp)) == "[]")) {
						t.Errorf("404 without an error document or an empty list: %s", resp)
					}
					return
				}
				wantErrorDoc(t, status, h, resp, ext)
			})
		}
	}
	// The web forms answer a page, never a 500.
	s := l.browser(t, "")
	s.signIn("admin", servertest.AdminPassword)
	for _, f := range []struct{ path, body string }{
		{fmt.Sprintf("/assets/%d", a.ID), "csrf=x&title=%zz"},
		{"/selection", "csrf=x&ids=99999999999999999999&action=download"},
		{"/signin", "login=\xff&password=%00"},
	} {
		t.Run("POST "+f.path, func(t *testing.T) {
			req, _ := http.NewRequest("POST", l.URL(f.path), strings.NewReader(f.body))
			req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
			req.Header.Set("Origin", "http://"+l.Addr)
			status := s.send(req).status
			if status >= 500 || status < 400 {
				t.Errorf("%d, want 4xx", status)
			}
		})
	}
	l.CheckLog()
}

// wantErrorDoc fails the test unless the answer is 400, 413 or 422 with an
// error document in the format of ext.
func wantErrorDoc(t *testing.T, status int, h http.Header, body []byte, ext string) {
	t.Helper()
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity && status != http.StatusRequestEntityTooLarge {
		t.Fatalf("%d, want 400 or 422: %.300s", status, body)
	}
	switch ext {
	case ".xml":
		var doc struct {
			XMLName xml.Name
			Errors  []string `xml:"error"`
		}
		if err := xml.Unmarshal(body, &doc); err != nil || doc.XMLName.Local != "errors" || len(doc.Errors) == 0 {
			t.Errorf("not an XML error document (%v): %.300s", err, body)
		}
	case ".json":
		var doc struct {
			Errors []string `json:"errors"`
		}
		if err := json.Unmarshal(body, &doc); err != nil || len(doc.Errors) == 0 {
			t.Errorf("not a JSON error document (%v): %.300s", err, body)
		}
	}
}
