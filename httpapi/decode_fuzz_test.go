package httpapi

import (
	"bytes"
	"encoding/json"
	"encoding/xml"
	"errors"
	"io"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"
	"unicode/utf8"

	"damask"
)

// Fuzz tests of the request decoding: whatever a client sends, readBody
// answers fields the resource takes or a client's error, never a panic and
// never an internal error (RELIABILITY.md item 15).

const fuzzBoundary = "fuzzb0undary"

// fuzzContentTypes are the Content-Types the fuzzer picks from by index;
// an index past them sends the fuzzed raw Content-Type instead.
var fuzzContentTypes = []string{
	"application/x-www-form-urlencoded",
	"application/xml",
	"text/xml; charset=utf-8",
	"application/json",
	"multipart/form-data; boundary=" + fuzzBoundary,
	"",
}

func multipartSeed(parts ...string) []byte {
	var b bytes.Buffer
	for i := 0; i+1 < len(parts); i += 2 {
		b.WriteString("--" + fuzzBoundary + "\r\n")
		if parts[i] == "file" {
			b.WriteString(`Content-Disposition: form-data; name="file"; filename="a.txt"` + "\r\nContent-Type: text/plain\r\n\r\n")
		} else {
			b.WriteString(`Content-Disposition: form-data; name="` + parts[i] + `"` + "\r\n\r\n")
		}
		b.WriteString(parts[i+1] + "\r\n")
	}
	b.WriteString("--" + fuzzBoundary + "--\r\n")
	return b.Bytes()
}

func FuzzReadBody(f *testing.F) {
	seeds := []struct {
		ct    uint8
		query string
		body  string
	}{
		{0, "", "title=Sunset&description=red+sky&tags=a%2Cb"},
		{0, "", "asset[title]=x&asset[public_link]=true&upload_id=12"},
		{0, "", "user[login]=ann&user[email]=a%40b.c&password=secret123"},
		{0, "", "title=%zz"},
		{0, "", "other[title]=x"},
		{0, "", "sha256=abc&id=1&title=kept"},
		{0, "", "a=1;b=2"},
		{1, "", "<asset><title>Sunset</title><tags>a, b</tags></asset>"},
		{1, "", `<asset><tags type="array"><tag><id type="integer">1</id><tag>a</tag></tag><tag>b</tag></tags><description nil="true"/></asset>`},
		{1, "", `<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><asset><title>&x;</title></asset>`},
		{1, "", "<asset><title><b>bold</b></title></asset>"},
		{1, "", "<user><login>ann</login><email>a@b.c</email><role>admin</role></user>"},
		{1, "", `<asset><upload-id type="integer">5</upload-id><title>x</title><description nil="true"/><public-link type="boolean">true</public-link></asset>`},
		{1, "", `<user><first-name>Ann</first-name><last-name nil="true"/><created-on type="dateTime">2026-01-01T00:00:00Z</created-on></user>`},
		{1, "", `<asset><id type="integer">1</id><keywords type="array"><keyword>a</keyword></keywords><tags type="array"><tag><id type="integer">1</id></tag><tag/></tags><colour><x/></colour></asset>`},
		{1, "", `<account><plan full-text-search="true">pro</plan><stats><available-space>1</available-space><x><y/></x></stats><branding-info><title nil="true"/></branding-info></account>`},
		{1, "", `<oidc><client-id>x</client-id><domains type="array"><domain>a.test</domain><domain><b/></domain></domains></oidc>`},
		{1, "", `<tag><tag>a</tag><documents-count type="integer">1</documents-count><-/><a--b>1</a--b></tag>`},
		{2, "", "<asset><title>\xff\xfe</title></asset>"},
		{2, "", "<asset><title>a</title>"},
		{3, "", `{"asset":{"title":"x","tags":["a","b",{"id":3},{"tag":"c"}],"public_link":true,"upload_id":12}}`},
		{3, "", `{"title":1e999,"description":null,"id":{"x":1}}`},
		{3, "", `{"login":"ann","email":"a@b.c","disabled":false,"password":"secret123"}`},
		{3, "", `{"title":"a"} {"title":"b"}`},
		{3, "", `[1,2,3]`},
		{3, "", `{"tags":[[1]]}`},
		{3, "", "{\"title\":\"\xff\"}"},
		{4, "", string(multipartSeed("title", "Sunset", "file", "hello world", "asset[tags]", "a b"))},
		{4, "", string(multipartSeed("file", "one", "file", "two"))},
		{4, "", string(multipartSeed("user[login]", "ann", "email", "a@b.c"))},
		{4, "", "--" + fuzzBoundary + "\r\nContent-Disposition: form-data; name=\"title\"\r\n\r\nunterminated"},
		{5, "title=from+query&asset[tags]=q", ""},
		{5, "", "a body without a type"},
		{6, "", "title=x"},
		{0, "", "collection[title]=Spring&asset_ids=3%2C1%2C2&collection_ids=4"},
		{1, "", `<collection><title>Spring</title><asset_ids type="array"><asset_id>3</asset_id><asset_id>1</asset_id></asset_ids><query nil="true"/></collection>`},
		{1, "", `<collection><add_asset_ids type="array"><asset_id><x>1</x></asset_id></add_asset_ids></collection>`},
		{3, "", `{"collection":{"title":"Spring","asset_ids":[3,"1",2.5],"remove_asset_ids":[{"id":1}]}}`},
		{3, "", `{"user":{"collection_ids":[4,5]}}`},
	}
	for _, s := range seeds {
		f.Add(s.ct, "", s.query, []byte(s.body))
	}
	f.Add(uint8(9), "multipart/form-data", "", []byte("--x\r\n"))
	f.Add(uint8(9), `multipart/form-data; boundary="a b"`, "", []byte("--a b--\r\n"))
	f.Add(uint8(9), "application/json; charset=\"", "", []byte("{}"))
	f.Add(uint8(9), "image/png", "", []byte("\x89PNG"))
	f.Add(uint8(9), "application/xml;;;", "title=q", []byte("<a/>"))

	f.Fuzz(func(t *testing.T, ct uint8, rawCT, query string, data []byte) {
		contentType := rawCT
		if int(ct) < len(fuzzContentTypes) {
			contentType = fuzzContentTypes[ct]
		}
		for _, res := range []resource{assetResource, userResource, accountResource, tagResource, oidcResource, collectionResource} {
			r := &http.Request{
				Method:        "POST",
				URL:           &url.URL{Path: "/api/assets", RawQuery: query},
				Header:        http.Header{},
				Body:          io.NopCloser(bytes.NewReader(data)),
				ContentLength: int64(len(data)),
			}
			if contentType != "" {
				r.Header.Set("Content-Type", contentType)
			}
			var onFile fileFunc
			if res.name == "asset" {
				// As the service does: a body that breaks off is the
				// client's fault.
				onFile = func(body io.Reader, filename string) error {
					if _, err := io.Copy(io.Discard, body); err != nil {
						return &damask.Error{Code: damask.EMALFORMED, Message: "The file could not be read to its end", Err: err}
					}
					return nil
				}
			}
			b, err := readBody(r, res, onFile)
			if err != nil {
				switch code := damask.ErrorCode(err); code {
				case damask.EMALFORMED, damask.EINVALID, damask.ETOOLARGE:
				default:
					t.Fatalf("%s under %q: error with code %s: %v", res.name, contentType, code, err)
				}
				if msg := damask.ErrorMessage(err); msg == "" || msg == "Internal error" {
					t.Fatalf("%s: error without a message for the client: %v", res.name, err)
				}
				continue
			}
			for name, v := range b {
				if !res.writable[name] {
					t.Fatalf("%s: field %q is not writable but was read", res.name, name)
				}
				if len(v) > maxFieldSize {
					t.Fatalf("%s: field %q holds %d bytes", res.name, name, len(v))
				}
			}
		}
	})
}

// assetFields are the writable fields an asset document carries back.
type assetFields struct {
	title, description, tag string
}

// fuzzAsset is the document the server writes for an asset with the
// fuzzed fields.
func fuzzAsset(in assetFields) node {
	at := time.Date(2007, 5, 1, 12, 0, 0, 0, time.UTC)
	a := &damask.Asset{ID: 7, Title: in.title, Description: in.description, Filename: "a.txt",
		ContentType: "text/plain", Size: 3, Version: 1, UserID: 2, Processing: damask.ProcessingDone,
		PublicToken: "tok", ThumbToken: "secret", CreatedAt: at, UpdatedAt: at}
	if in.tag != "" {
		a.Tags = []damask.Tag{{ID: 3, Name: in.tag}}
	}
	return assetDoc(a, &damask.Account{ID: 1, PublicThumbnails: true}, "http://acme.example.com", "http://acme.example.com")
}

// roundTrip checks that a document the server wrote is well formed and,
// sent back as a request body as ActiveResource does, answers the fields
// it was written from: what a client reads it can write back unchanged.
func roundTrip(t *testing.T, in assetFields, contentType string, doc []byte) {
	t.Helper()
	r := &http.Request{Method: "PUT", URL: &url.URL{Path: "/api/assets/7"}, Header: http.Header{"Content-Type": {contentType}},
		Body: io.NopCloser(bytes.NewReader(doc)), ContentLength: int64(len(doc))}
	b, err := readBody(r, assetResource, nil)
	if err != nil {
		if damask.ErrorCode(err) == damask.EINVALID && (len(in.title) > maxFieldSize || len(in.description) > maxFieldSize) {
			return // too long to send back, and said so
		}
		t.Fatalf("the server's own %s document is refused: %v\n%s", contentType, err, doc)
	}
	// Only text that XML can carry comes back as it went; the encoders
	// replace the rest (invalid UTF-8, characters XML forbids) by U+FFFD.
	exact := func(s string) bool {
		if !utf8.ValidString(s) {
			return false
		}
		if contentType == "application/xml" {
			for _, c := range s {
				if !(c == '\t' || c == '\n' || c == '\r' || c >= 0x20 && c <= 0xD7FF || c >= 0xE000 && c <= 0xFFFD || c >= 0x10000 && c <= 0x10FFFF) {
					return false
				}
			}
		}
		return true
	}
	// The XML reader trims the surrounding space of every field.
	want := func(s string) string {
		if contentType == "application/xml" {
			return strings.TrimSpace(s)
		}
		return s
	}
	for _, f := range []struct{ name, sent string }{{"title", in.title}, {"description", in.description}, {"tags", in.tag}} {
		got, ok := b[f.name]
		if !ok {
			t.Fatalf("%s: field %s missing after the round trip: %v", contentType, f.name, b)
		}
		if exact(f.sent) && got != want(f.sent) {
			t.Fatalf("%s: %s %q came back as %q", contentType, f.name, f.sent, got)
		}
	}
	// The folder is written too: the fuzzed asset is at the top.
	if p, ok := b["path"]; !ok || p != "" || len(b) != 4 {
		t.Fatalf("%s: fields %v; want title, description, path and tags only", contentType, b)
	}
}

func fuzzSeeds(f *testing.F) {
	f.Add("Sunset", "A red sky\nover the sea", "holiday")
	f.Add("  padded  ", "\ttabs\r\nand CRLF\n", "a b")
	f.Add("<img src=x onerror=alert(1)>", "]]><![CDATA[", "&amp;")
	f.Add("\xff\xfe", "\x00\x01\x1b", "\uFFFE")
	f.Add("\u2028\u2029", "</asset>", `"quoted" \ back`)
	f.Add("", "", "")
	f.Add("日本語", "emoji 😀", "ünï")
}

// FuzzDecodeXMLDoc writes an asset's XML document with fuzzed fields and
// reads it back as a request body, with its names as written and dashed.
func FuzzDecodeXMLDoc(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, description, tag string) {
		if strings.Contains(tag, ",") {
			return // a tag name never holds a comma: it separates them
		}
		in := assetFields{title, description, tag}
		var b bytes.Buffer
		writeXML(&b, fuzzAsset(in))
		d := xml.NewDecoder(bytes.NewReader(b.Bytes()))
		d.Strict = true
		for {
			_, err := d.Token()
			if errors.Is(err, io.EOF) {
				break
			}
			if err != nil {
				t.Fatalf("the XML document is not well formed: %v\n%s", err, b.Bytes())
			}
		}
		roundTrip(t, in, "application/xml", b.Bytes())
		// As Rails' to_xml and ActiveResource send it back: dashed.
		roundTrip(t, in, "application/xml", dashed(b.Bytes()))
	})
}

// FuzzJSON does the same with the JSON document.
func FuzzJSON(f *testing.F) {
	fuzzSeeds(f)
	f.Fuzz(func(t *testing.T, title, description, tag string) {
		if strings.Contains(tag, ",") {
			return
		}
		in := assetFields{title, description, tag}
		var b bytes.Buffer
		writeJSON(&b, fuzzAsset(in))
		if !json.Valid(b.Bytes()) {
			t.Fatalf("the JSON document is not valid: %s", b.Bytes())
		}
		var doc map[string]any
		if err := json.Unmarshal(b.Bytes(), &doc); err != nil {
			t.Fatal(err)
		}
		if utf8.ValidString(title) && doc["title"] != title {
			t.Fatalf("title %q decodes as %q", title, doc["title"])
		}
		roundTrip(t, in, "application/json", b.Bytes())
	})
}
