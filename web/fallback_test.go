package web_test

import (
	"net/http"
	"net/url"
	"strings"
	"testing"
)

// TestLibraryFallback: when no asset has all the words, the library shows
// those with most of them, most first, and says so; facets count what it
// shows.
func TestLibraryFallback(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	b.upload("sunset beach.txt", "the sun sets", "holiday, sea")
	b.upload("mountain.txt", "high up", "holiday")
	b.upload("report.txt", "numbers", "")

	const notice = "No asset has all of these words; showing those with most of them"
	tests := []struct {
		query    string
		fallback bool
		want     []string // in this order
		not      []string
	}{
		{"sunset beach", false, []string{">sunset beach<"}, []string{">mountain<"}},
		{"sunset beach photos", true, []string{">sunset beach<"}, []string{">mountain<", ">report<"}},
		{"photos from sunset beach mountain", true, []string{">sunset beach<", ">mountain<"}, []string{">report<"}},
		{"zebra quagga", false, nil, []string{">sunset beach<", ">mountain<", ">report<"}},
	}
	for _, tt := range tests {
		t.Run(tt.query, func(t *testing.T) {
			res := b.want(b.get("/?q="+url.QueryEscape(tt.query)), http.StatusOK)
			if got := strings.Contains(res.body, notice); got != tt.fallback {
				t.Errorf("notice shown %v, want %v", got, tt.fallback)
			}
			at := 0
			for _, w := range tt.want {
				i := strings.Index(res.body[at:], w)
				if i < 0 {
					t.Errorf("page lacks %q after byte %d:\n%s", w, at, res.body)
					continue
				}
				at += i + len(w)
			}
			for _, w := range tt.not {
				if strings.Contains(res.body, w) {
					t.Errorf("page has %q", w)
				}
			}
			if tt.fallback && !strings.Contains(res.body, `class="facet"`) {
				t.Error("no facets for the assets shown")
			}
		})
	}
}
