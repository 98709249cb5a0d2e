package httpapi_test

import (
	"net/url"
	"strconv"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestSearchFallback: when no asset has all the words of a query, the
// list holds those with most of them, most first, and says so in
// X-Search-Fallback; a query whose words match together says nothing.
func TestSearchFallback(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populateSearch(t, tn)
	populateSearch(t, e.tenant(t, "globex", "deluxe")) // never answers in acme

	cases := []struct {
		query    string
		fallback bool
		want     []string
	}{
		{"sunset lake", false, []string{f.sunset}},
		{"evening lake beach", true, []string{f.sunset, f.backup, f.beach}},
		{"sunset beach photos", true, []string{f.beach, f.sunset}},
		{"photos from the lake", true, []string{f.sunset}},
		{"red car waves", true, []string{f.notes, f.report, f.beach}},
		{`"red car" numbers waves`, true, []string{f.report, f.beach}},
		{"lake waves beach type:image", true, []string{f.beach, f.sunset}},
		{"evening beach type:image", true, []string{f.beach, f.sunset}},
		{"evening beach -waves", true, []string{f.backup, f.sunset}}, // the exclusion holds
		{"zebra quagga", false, nil},
		{"zebra", false, nil},
		{"evening OR zebra", false, []string{f.backup, f.sunset}},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.query+ext, func(t *testing.T) {
				r := tn.guest.get(t, "/api/assets"+ext+"?per_page=100&query="+url.QueryEscape(c.query))
				if len(c.want) == 0 {
					r.want(t, 404)
				} else {
					r.want(t, 200)
				}
				if diff := cmp.Diff(c.want, listIDs(t, r)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				wantHeader := ""
				if c.fallback {
					wantHeader = "most-words"
				}
				if got := r.header.Get("X-Search-Fallback"); got != wantHeader {
					t.Errorf("X-Search-Fallback %q, want %q", got, wantHeader)
				}
				if got := r.header.Get("X-Total-Count"); got != strconv.Itoa(len(c.want)) {
					t.Errorf("X-Total-Count %s, want %d", got, len(c.want))
				}
			})
		}
	}

	t.Run("pages", func(t *testing.T) {
		want := []string{f.sunset, f.backup, f.beach}
		for _, ext := range formats {
			var got []string
			// By page number, then by cursor.
			for page := 1; page <= len(want); page++ {
				r := tn.guest.get(t, "/api/assets"+ext+"?per_page=1&page="+strconv.Itoa(page)+"&query="+url.QueryEscape("evening lake beach")).want(t, 200)
				got = append(got, listIDs(t, r)...)
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s pages by number (-want +got):\n%s", ext, diff)
			}
			got = nil
			p := "/api/assets" + ext + "?per_page=1&query=" + url.QueryEscape("evening lake beach")
			for p != "" && len(got) <= len(want) {
				r := tn.guest.get(t, p)
				if r.status == 404 {
					break
				}
				r.want(t, 200)
				if h := r.header.Get("X-Search-Fallback"); h != "most-words" {
					t.Errorf("%s: X-Search-Fallback %q on a later page", ext, h)
				}
				got = append(got, listIDs(t, r)...)
				p = ""
				if next := r.header.Get("X-Next-Cursor"); next != "" {
					p = "/api/assets" + ext + "?per_page=1&query=" + url.QueryEscape("evening lake beach") + "&cursor=" + url.QueryEscape(next)
				}
			}
			if diff := cmp.Diff(want, got); diff != "" {
				t.Errorf("%s pages by cursor (-want +got):\n%s", ext, diff)
			}
		}
	})
}
