package tus

import (
	"encoding/base64"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"damask"
)

func TestParseMetadata(t *testing.T) {
	b := func(s string) string { return base64.StdEncoding.EncodeToString([]byte(s)) }
	for _, tt := range []struct {
		in   string
		want map[string]string
		bad  bool
	}{
		{"", map[string]string{}, false},
		{"filename " + b("a b.txt"), map[string]string{"filename": "a b.txt"}, false},
		{"filename " + b("x") + ", is_confidential, title " + b("T"), map[string]string{"filename": "x", "is_confidential": "", "title": "T"}, false},
		{"filename !!!", nil, true},
		{"a " + b("1") + ",a " + b("2"), nil, true},
		{" filename " + b("x") + " ", map[string]string{"filename": "x"}, false},
		{"k\x01ey " + b("x"), nil, true},
		{strings.Repeat("k", maxMetadata+1), nil, true},
	} {
		got, err := ParseMetadata(tt.in)
		if tt.bad {
			if damask.ErrorCode(err) != damask.EMALFORMED {
				t.Errorf("ParseMetadata(%q) = %v, %v; want EMALFORMED", tt.in, got, err)
			}
			continue
		}
		if err != nil {
			t.Errorf("ParseMetadata(%q): %v", tt.in, err)
		}
		if d := cmp.Diff(tt.want, got); d != "" {
			t.Errorf("ParseMetadata(%q) (-want +got):\n%s", tt.in, d)
		}
	}
}

func TestParseChecksum(t *testing.T) {
	sum := base64.StdEncoding.EncodeToString(make([]byte, 32))
	for _, tt := range []struct {
		in string
		ok bool
	}{
		{"sha256 " + sum, true},
		{"sha1 " + sum, false},
		{"sha256", false},
		{"sha256 abc", false},
		{"sha256 " + base64.StdEncoding.EncodeToString(make([]byte, 31)), false},
	} {
		_, err := ParseChecksum(tt.in)
		if (err == nil) != tt.ok {
			t.Errorf("ParseChecksum(%q): %v", tt.in, err)
		}
	}
}

// FuzzParseMetadata: any header answers metadata or EMALFORMED, never a
// panic, and what it answers holds at most maxMetadataKeys keys free of
// spaces and commas.
func FuzzParseMetadata(f *testing.F) {
	f.Add("filename ZmlsZS50eHQ=,title VA==,unpack dHJ1ZQ==")
	f.Add("a,b,c")
	f.Add("asset_id OTk5,,")
	f.Fuzz(func(t *testing.T, h string) {
		m, err := ParseMetadata(h)
		if err != nil {
			if damask.ErrorCode(err) != damask.EMALFORMED {
				t.Fatalf("ParseMetadata(%q): %v, not EMALFORMED", h, err)
			}
			return
		}
		if len(m) > maxMetadataKeys {
			t.Fatalf("%d keys", len(m))
		}
		for k := range m {
			if k == "" || strings.ContainsAny(k, " ,") {
				t.Fatalf("key %q", k)
			}
		}
		if _, err := Meta(m); err != nil && damask.ErrorCode(err) != damask.EINVALID {
			t.Fatalf("Meta: %v", err)
		}
	})
}

// FuzzParseChecksum: any header answers 32 bytes or EMALFORMED.
func FuzzParseChecksum(f *testing.F) {
	f.Add("sha256 " + base64.StdEncoding.EncodeToString(make([]byte, 32)))
	f.Add("md5 AAAA")
	f.Fuzz(func(t *testing.T, h string) {
		b, err := ParseChecksum(h)
		if err != nil {
			if damask.ErrorCode(err) != damask.EMALFORMED {
				t.Fatalf("ParseChecksum(%q): %v", h, err)
			}
			return
		}
		if len(b) != 32 {
			t.Fatalf("ParseChecksum(%q) answered %d bytes", h, len(b))
		}
	})
}

// TestMeta: the keys Damask reads, unpack and path_tags as booleans.
func TestMeta(t *testing.T) {
	for _, tt := range []struct {
		in      map[string]string
		want    damask.ResumableMeta
		invalid bool
	}{
		{map[string]string{"name": "a.txt"}, damask.ResumableMeta{Filename: "a.txt"}, false},
		{map[string]string{"filename": "a.zip", "unpack": "true", "path_tags": "1", "path": "x/y"},
			damask.ResumableMeta{Filename: "a.zip", Unpack: true, PathTags: true, Path: "x/y", Asset: true}, false},
		{map[string]string{"filename": "a.txt", "path": "docs"}, damask.ResumableMeta{Filename: "a.txt", Path: "docs", Asset: true}, false},
		{map[string]string{"path_tags": "maybe"}, damask.ResumableMeta{}, true},
		{map[string]string{"unpack": "yes please"}, damask.ResumableMeta{}, true},
	} {
		got, err := Meta(tt.in)
		if tt.invalid {
			if damask.ErrorCode(err) != damask.EINVALID {
				t.Errorf("Meta(%v) = %v; want EINVALID", tt.in, err)
			}
			continue
		}
		if err != nil || got != tt.want {
			t.Errorf("Meta(%v) = %+v, %v; want %+v", tt.in, got, err, tt.want)
		}
	}
}
