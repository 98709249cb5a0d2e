package web

import (
	"net/http"
	"net/url"
	"reflect"
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
		if p.Cursor != "" {
			p.Page = again.Page // a keyset link carries no page number
		}
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
			"header.top { background: #123456; }\nheader.top, header.top a, header.top button.link { color: #fff; }\nfooter.bottom { background: #abcdef; }\n"},
		{damask.Branding{TopColor: "red;} body{display:none", FontColor: "#12345", BottomColor: "url(x)"}, ""},
	}
	for _, tt := range tests {
		if got := brandingRules(tt.b); got != tt.want {
			t.Errorf("brandingRules(%+v) = %q, want %q", tt.b, got, tt.want)
		}
	}
}
