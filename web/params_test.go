package web

import (
	"net/http"
	"net/url"
	"reflect"
	"strings"
	"testing"

	"damask"
)

// FuzzListParams checks that the library page's parameters, whatever a
// client sends, survive their own links: every link the page makes
// (facets, pages, views) reads back as the parameters it was made from.
func FuzzListParams(f *testing.F) {
	f.Add("q=sunset+tag%3Abeach&tags=1,2&sort=-size&view=list&page=3")
	f.Add("cursor=eyJpIjozfQ&tags=x,,3")
	f.Add("page=-1&view=grid&q=%00")
	f.Fuzz(func(t *testing.T, raw string) {
		if _, err := url.ParseQuery(raw); err != nil {
			return
		}
		p := readListParams(&http.Request{URL: &url.URL{Path: "/", RawQuery: raw}})
		u := p.URL()
		back, err := url.Parse(u)
		if err != nil {
			t.Fatalf("%q makes the link %q: %v", raw, u, err)
		}
		again := readListParams(&http.Request{URL: back})
		if len(p.Tags) == 0 {
			p.Tags = nil
		}
		if len(again.Tags) == 0 {
			again.Tags = nil
		}
		if !reflect.DeepEqual(p, again) {
			t.Fatalf("%q -> %+v -> %s -> %+v", raw, p, u, again)
		}
	})
}

// Only colours reach the branding style sheet.
func TestBrandingRules(t *testing.T) {
	tests := []struct {
		b    damask.Branding
		want string
	}{
		{damask.Branding{}, ""},
		{damask.Branding{TopColor: "#123456", FontColor: "#fff", BottomColor: "#abcdef"},
			"header.top { background: #123456; }\nheader.top, header.top a, header.top button.link { color: #fff; }\nfooter.bottom { background: #abcdef; }\nfooter.bottom { color: #fff; }\n"},
		{damask.Branding{FontColor: "#fff"}, "header.top, header.top a, header.top button.link { color: #fff; }\n"},
		{damask.Branding{TopColor: "red;} body{display:none", FontColor: "#12345", BottomColor: "url(x)"}, ""},
	}
	for _, tt := range tests {
		if got := brandingRules(tt.b); got != tt.want {
			t.Errorf("brandingRules(%+v) = %q, want %q", tt.b, got, tt.want)
		}
	}
}

// localPath lets through only paths on this site: every way of writing
// another host (scheme-relative, backslashes, encoded, with a scheme,
// control characters) goes home instead.
func TestLocalPath(t *testing.T) {
	tests := []struct{ in, want string }{
		{"/assets/12", "/assets/12"},
		{"/?q=sunset&tags=1%2C2&page=2", "/?q=sunset&tags=1%2C2&page=2"},
		{"/assets/12#versions", "/assets/12#versions"},
		{"", "/"},
		{"//evil.example", "/"},
		{"//evil.example/assets/1", "/"},
		{"/\\evil.example", "/"},
		{"/\\/evil.example", "/"},
		{"\\evil.example", "/"},
		{"https://evil.example/", "/"},
		{"http:evil.example", "/"},
		{"javascript:alert(1)", "/"},
		{"evil.example", "/"},
		{"/%2Fevil.example", "/"},
		{"/%2F%2Fevil.example", "/"},
		{"%2F%2Fevil.example", "/"},
		{"/%5Cevil.example", "/"},
		{"/%5C%5Cevil.example", "/"},
		{"/\t/evil.example", "/"},
		{"/\r\n//evil.example", "/"},
		{"/%0d%0aLocation:%20//evil.example", "/"},
		{"/%zz", "/"},
		{"/signin?next=//evil.example", "/"},
		{"/signout", "/"},
		{"/auth/oidc", "/"},
		{"/" + strings.Repeat("a", 5000), "/"},
	}
	for _, tt := range tests {
		if got := localPath(tt.in); got != tt.want {
			t.Errorf("localPath(%q) = %q, want %q", tt.in, got, tt.want)
		}
	}
}

// FuzzLocalPath: whatever comes in, what goes out is a path on this site.
func FuzzLocalPath(f *testing.F) {
	for _, s := range []string{"/assets/1", "//evil.example", "/\\evil", "https://x", "/%2F%2Fx", "/a?b=//c"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, in string) {
		out := localPath(in)
		if out != "/" && out != in {
			t.Fatalf("localPath(%q) = %q: neither home nor the path", in, out)
		}
		u, err := url.Parse(out)
		if err != nil || u.Host != "" || u.Scheme != "" || !strings.HasPrefix(out, "/") ||
			strings.HasPrefix(out, "//") || strings.ContainsAny(out, "\\\r\n") {
			t.Fatalf("localPath(%q) = %q, which is not a local path", in, out)
		}
		if p, err := url.PathUnescape(u.EscapedPath()); err != nil || strings.HasPrefix(p, "//") || strings.Contains(p, "\\") {
			t.Fatalf("localPath(%q) = %q decodes to another host", in, out)
		}
	})
}
