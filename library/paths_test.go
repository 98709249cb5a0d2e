package library

import (
	"archive/zip"
	"bytes"
	"strings"
	"testing"
	"unicode"
	"unicode/utf8"

	"damask"
)

// checkCleanPath fails unless p is what CleanPath promises: valid UTF-8,
// within the limits, no empty, ".", ".." or space-wrapped segment, no
// backslash, control or bidirectional character, and clean again as it is.
func checkCleanPath(t *testing.T, in, p string) {
	t.Helper()
	switch {
	case !utf8.ValidString(p):
		t.Errorf("CleanPath(%q) = %q: not valid UTF-8", in, p)
	case len(p) > maxPath:
		t.Errorf("CleanPath(%q) = %q: %d bytes", in, p, len(p))
	case strings.ContainsAny(p, "\\\x00"):
		t.Errorf("CleanPath(%q) = %q: holds a backslash or NUL", in, p)
	case strings.IndexFunc(p, func(r rune) bool { return unicode.IsControl(r) || bidiControl(r) }) >= 0:
		t.Errorf("CleanPath(%q) = %q: holds a control character", in, p)
	}
	if p == "" {
		return
	}
	segs := strings.Split(p, "/")
	if len(segs) > maxPathDepth {
		t.Errorf("CleanPath(%q) = %q: %d folders", in, p, len(segs))
	}
	for _, s := range segs {
		if s == "" || s == "." || s == ".." || strings.TrimSpace(s) != s || len(s) > maxPathSegment {
			t.Errorf("CleanPath(%q) = %q: segment %q", in, p, s)
		}
	}
	again, err := CleanPath(p)
	if err != nil || again != p {
		t.Errorf("CleanPath(%q) = %q, but CleanPath of that is %q, %v", in, p, again, err)
	}
}

func TestCleanPath(t *testing.T) {
	tests := []struct {
		in, want string
		err      string // part of the error, when one is wanted
	}{
		{"", "", ""},
		{"/", "", ""},
		{"photos/2024", "photos/2024", ""},
		{" /photos//2024/ ", "photos/2024", ""},
		{`Brand\logos\2026`, "Brand/logos/2026", ""},
		{"./a/./b/.", "a/b", ""},
		{" a / b ", "a/b", ""},
		{"Summer, late/Ä", "Summer, late/Ä", ""},
		{".hidden/x", ".hidden/x", ""},
		{"a\x00b/c\td", "ab/cd", ""},
		{"a\u202Egpj.exe/x", "agpj.exe/x", ""},
		{"bad\xffutf8", "bad\uFFFDutf8", ""},
		{"..", "", `".."`},
		{"a/../b", "", `".."`},
		{`a\..\b`, "", `".."`},
		{" .. /x", "", `".."`},
		{strings.Repeat("x", 256), "", "255 bytes"},
		{strings.Repeat("a/", 65), "", "64 folders"},
		{strings.Repeat(strings.Repeat("x", 200)+"/", 6), "", "1024 bytes"},
	}
	for _, tt := range tests {
		got, err := CleanPath(tt.in)
		if tt.err != "" {
			if damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(err.Error(), tt.err) {
				t.Errorf("CleanPath(%q) = %q, %v; want EINVALID saying %s", tt.in, got, err, tt.err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("CleanPath(%q) = %q, %v; want %q", tt.in, got, err, tt.want)
		}
		checkCleanPath(t, tt.in, got)
	}
}

func FuzzCleanPath(f *testing.F) {
	for _, s := range []string{"", "/", "a/b", " /a//b/ ", `a\b`, "..", "a/../b", ". /x", "\xff/\x00",
		"a\u202E/b", strings.Repeat("a/", 70), "é/ü/.", " . . /x"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		p, err := CleanPath(in)
		if err != nil {
			if damask.ErrorCode(err) != damask.EINVALID || p != "" {
				t.Fatalf("CleanPath(%q) = %q, %v: want EINVALID and no path", in, p, err)
			}
			return
		}
		checkCleanPath(t, in, p)
	})
}

// FuzzPlanArchive: whatever bytes come as an archive, planArchive answers
// an error or entries whose folders and names are clean, never a panic.
func FuzzPlanArchive(f *testing.F) {
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, n := range []string{"a/b.txt", "c.txt", "d/"} {
		w, _ := zw.Create(n)
		w.Write([]byte("data " + n))
	}
	zw.Close()
	f.Add(b.Bytes())
	f.Add([]byte("PK\x05\x06" + strings.Repeat("\x00", 18)))
	f.Add([]byte("PK\x05\x06\x00\x00\x00\x00\xff\xff\xff\xff" + strings.Repeat("\xff", 10)))
	f.Add([]byte("not a zip"))
	f.Fuzz(func(t *testing.T, data []byte) {
		entries, err := planArchive(bytes.NewReader(data), int64(len(data)), 1<<20)
		if err != nil {
			if c := damask.ErrorCode(err); c != damask.EINVALID && c != damask.ETOOLARGE {
				t.Fatalf("planArchive: %v (%s), want EINVALID or ETOOLARGE", err, c)
			}
			return
		}
		seen := map[string]bool{}
		for _, e := range entries {
			checkCleanPath(t, e.raw, e.dir)
			if e.name != CleanFilename(e.name) || strings.ContainsAny(e.name, "/\\") {
				t.Errorf("entry name %q is not clean", e.name)
			}
			full := joinPath(e.dir, e.name)
			if seen[full] {
				t.Errorf("two entries %q", full)
			}
			seen[full] = true
		}
	})
}
