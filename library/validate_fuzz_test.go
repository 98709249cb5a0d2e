package library

import (
	"archive/zip"
	"bytes"
	"mime"
	"slices"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"
)

// checkCleanName fails unless name is what CleanFilename promises: valid
// UTF-8, not empty, at most 255 bytes, no path separators, NUL or control
// characters, no leading dot, no surrounding space.
func checkCleanName(t *testing.T, in, name string) {
	t.Helper()
	switch {
	case !utf8.ValidString(name):
		t.Errorf("CleanFilename(%q) = %q: not valid UTF-8", in, name)
	case name == "":
		t.Errorf("CleanFilename(%q) is empty", in)
	case len(name) > maxFilename:
		t.Errorf("CleanFilename(%q) = %q: %d bytes", in, name, len(name))
	case strings.ContainsAny(name, "/\\\x00"):
		t.Errorf("CleanFilename(%q) = %q: holds a separator or NUL", in, name)
	case strings.IndexFunc(name, unicode.IsControl) >= 0:
		t.Errorf("CleanFilename(%q) = %q: holds a control character", in, name)
	case strings.IndexFunc(name, bidiControl) >= 0:
		t.Errorf("CleanFilename(%q) = %q: holds a bidirectional control", in, name)
	case strings.HasPrefix(name, "."):
		t.Errorf("CleanFilename(%q) = %q: starts with a dot", in, name)
	case strings.TrimSpace(name) != name:
		t.Errorf("CleanFilename(%q) = %q: surrounding space", in, name)
	}
}

func TestCleanFilename(t *testing.T) {
	long := strings.Repeat("a", 300)
	longUTF8 := strings.Repeat("é", 200) // 400 bytes
	tests := []struct {
		in, want string
	}{
		{"photo.jpg", "photo.jpg"},
		{"  report final.pdf  ", "report final.pdf"},
		{"../../etc/passwd", "passwd"},
		{`..\..\windows\win.ini`, "win.ini"},
		{"C:\\Users\\ann\\My Pictures\\cat.png", "cat.png"},
		{"%2e%2e%2fsecret", "%2e%2e%2fsecret"}, // not decoded: the name is only metadata
		{"dir/", "untitled"},
		{"", "untitled"},
		{".", "untitled"},
		{"..", "untitled"},
		{".htaccess", "htaccess"},
		{"...hidden.txt", "hidden.txt"},
		{". . x", "x"},
		{" .\t. .x", "x"},
		{"a\x00b.txt", "ab.txt"},
		{"line\nbreak\r.txt", "linebreak.txt"},
		{"bell\a\x7f\u0085.txt", "bell.txt"},
		{"caf\xe9.txt", "caf\uFFFD.txt"},
		{"CON", "CON"},
		{"\u202egpj.exe", "gpj.exe"}, // shown as "exe.jpg" with the override
		{"invoice\u2067fdp.exe\u2069.txt", "invoicefdp.exe.txt"},
		{"\u200fname\u200e.png", "name.png"},
		{"👩\u200d💻 and \u05e9\u05dc\u05d5\u05dd.png", "👩\u200d💻 and \u05e9\u05dc\u05d5\u05dd.png"}, // joiners and right-to-left letters stay
		{"日本語のファイル.png", "日本語のファイル.png"},
		{long + ".jpeg", strings.Repeat("a", 250) + ".jpeg"},
		{long, strings.Repeat("a", 255)},
		{long + ".averyveryverylongextension", strings.Repeat("a", 255)},
		{longUTF8 + ".png", strings.Repeat("é", 125) + ".png"}, // 250 + 4 bytes: never half a character
		{"a" + strings.Repeat(" ", 300) + "b", "a"},
		{"a" + strings.Repeat(" ", 300) + ".txt", "a.txt"},
	}
	for _, tt := range tests {
		got := CleanFilename(tt.in)
		if got != tt.want {
			t.Errorf("CleanFilename(%q) = %q, want %q", tt.in, got, tt.want)
		}
		checkCleanName(t, tt.in, got)
		if again := CleanFilename(got); again != got {
			t.Errorf("CleanFilename(%q) = %q, but CleanFilename(%q) = %q", tt.in, got, got, again)
		}
	}
}

func FuzzCleanFilename(f *testing.F) {
	for _, s := range []string{
		"photo.jpg", "../../etc/passwd", `..\x`, "", ".", ". . x", "a\x00b", "\xff\xfe.txt",
		"CON", "nul.txt", "\u202egnp.exe", " \u00a0.x", "a\u0085b",
		strings.Repeat("é", 200) + ".png", strings.Repeat("a", 254) + " b",
		"a" + strings.Repeat(" ", 300) + "b", strings.Repeat("x", 250) + ".abcdefghijklmnop",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		name := CleanFilename(in)
		checkCleanName(t, in, name)
		if again := CleanFilename(name); again != name {
			t.Errorf("not idempotent: %q -> %q -> %q", in, name, again)
		}
	})
}

func TestSplitList(t *testing.T) {
	tests := []struct {
		in   string
		want []string
	}{
		{"", nil},
		{"one", []string{"one"}},
		{"a, b ,c", []string{"a", "b", "c"}},
		{"a b\tc\n d", []string{"a", "b", "c", "d"}},
		{"new york, san francisco", []string{"new york", "san francisco"}},
		{"a,,b,", []string{"a", "b"}},
		{" , ,, ", nil},
		{"   ", nil},
		{"a\u00a0b", []string{"a", "b"}}, // Unicode spaces split too
		{"ünï, cödé", []string{"ünï", "cödé"}},
	}
	for _, tt := range tests {
		if got := splitList(tt.in); !slices.Equal(got, tt.want) {
			t.Errorf("splitList(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// docx is the beginning of a real .docx: a zip whose first entry is
// [Content_Types].xml.
func docx(t *testing.T) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	w, err := zw.Create("[Content_Types].xml")
	if err != nil {
		t.Fatal(err)
	}
	w.Write([]byte(`<?xml version="1.0" encoding="UTF-8" standalone="yes"?><Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types"/>`))
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

func TestDetectType(t *testing.T) {
	png := []byte("\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89")
	html := []byte("<!DOCTYPE html><html><body><script>alert(1)</script></body></html>")
	svg := []byte(`<svg xmlns="http://www.w3.org/2000/svg" width="10" height="10"><rect width="10" height="10"/></svg>`)
	svgDecl := []byte(`<?xml version="1.0" encoding="UTF-8"?>` + "\n" + string(svg))
	random := []byte{0x00, 0x9f, 0x13, 0xfe, 0x01, 0x77, 0xc3, 0x28, 0x00, 0xff, 0x10, 0x02}
	tests := []struct {
		name     string
		head     []byte
		filename string
		want     string // the media type, without parameters
	}{
		{"html-as-jpg", html, "x.jpg", "text/html"},
		{"html-as-png", html, "cute-cat.png", "text/html"},
		{"png", png, "image.png", "image/png"},
		{"png-misnamed", png, "notes.txt", "image/png"},
		{"png-no-name", png, "", "image/png"},
		{"svg", svg, "drawing.svg", "image/svg+xml"},
		{"svg-with-declaration", svgDecl, "drawing.SVG", "image/svg+xml"},
		{"svg-as-png", svg, "drawing.png", "text/plain"}, // never an image type the bytes deny
		{"docx", docx(t), "letter.docx", "application/vnd.openxmlformats-officedocument.wordprocessingml.document"},
		{"xlsx", docx(t), "Budget.XLSX", "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"},
		{"odt", docx(t), "letter.odt", "application/vnd.oasis.opendocument.text"},
		{"zip-as-docx-stays-zip-type", docx(t), "archive.zip", "application/zip"},
		{"html-as-docx", html, "letter.docx", "text/html"},
		{"random-bin", random, "data.bin", "application/octet-stream"},
		{"random-no-name", random, "", "application/octet-stream"},
		{"random-as-jpg", random, "photo.jpg", "image/jpeg"}, // the bytes say nothing: the name decides
		{"text-as-css", []byte("body { color: red }\n"), "site.css", "text/css"},
		{"text-as-exe", []byte("plain words\n"), "setup.exe", "text/plain"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got := DetectType(tt.head, tt.filename)
			mt, _, err := mime.ParseMediaType(got)
			if err != nil {
				t.Fatalf("DetectType = %q: %v", got, err)
			}
			if mt != tt.want {
				t.Errorf("DetectType(%q) = %q, want %s", tt.filename, got, tt.want)
			}
		})
	}
}
