package storetest

import (
	"testing"

	"damask"
	"damask/search"
)

// testSearchMostWords is the forgiving search: a filter with MostWords
// chooses what its query chooses (any of the words, and its other parts)
// and ranks by how many of the words each asset matches, then by its sort.
func testSearchMostWords(t *testing.T, s damask.Store) {
	c := newCatalogue(t, s)
	sunset, cafe, report, clip, song, logo := c.sunset, c.cafe, c.report, c.clip, c.song, c.logo
	as := func(as ...*damask.Asset) []*damask.Asset { return as }
	type tc struct {
		name  string
		words []search.Expr
		rest  search.And
		sort  string
		want  []*damask.Asset // in this order
	}
	cases := []tc{
		{"most words first, then newest", []search.Expr{w("sunset"), w("lake"), w("beach"), w("photos")}, nil, "",
			as(sunset, logo, clip, report)},
		{"four words before two before one", []search.Expr{w("beach"), w("sunset"), w("lake"), w("evening"), w("canon")}, nil, "",
			as(sunset, clip, song)},
		{"a phrase counts as one", []search.Expr{phrase("red", "car"), w("harbour"), w("sky")}, nil, "",
			as(report, song, sunset)},
		{"words found nowhere count nothing", []search.Expr{w("photos"), w("from"), w("lake")}, nil, "",
			as(logo, report, sunset)},
		{"with a field that holds", []search.Expr{w("canon"), w("beach"), w("evening")},
			search.And{search.Kind{Kind: search.KindImage}}, "", as(sunset)},
		{"then by the sort asked", []search.Expr{w("canon"), w("eos"), w("photo"), w("paris")}, nil, "title",
			as(sunset, clip, cafe, logo, report)},
		{"then oldest first", []search.Expr{w("canon"), w("eos"), w("photo"), w("paris")}, nil, "created_on",
			as(sunset, cafe, report, clip, logo)},
		{"a prefix", []search.Expr{prefix("sun"), w("lake"), w("shore")}, nil, "", as(sunset, clip)},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			mw := make([]damask.Query, len(tc.words))
			for i, x := range tc.words {
				mw[i] = x
			}
			q := append(tc.rest[:len(tc.rest):len(tc.rest)], search.Or(tc.words))
			f := damask.AssetFilter{AccountID: c.acct.ID, Query: q, Sort: tc.sort, MostWords: mw,
				Page: damask.Page{Number: 1, Size: 100}}
			got, total, err := s.Assets(t.Context(), f)
			must(t, "Assets", err)
			diff(t, "assets", describe(tc.want), describe(got))
			if total != len(tc.want) {
				t.Errorf("total %d, want %d", total, len(tc.want))
			}
			// Pages of one, by offset, give the same order.
			var paged []*damask.Asset
			for i := range tc.want {
				f.Page = damask.Page{Number: 1, Size: 1}
				f.After = &damask.Cursor{ID: 1, Offset: i}
				if i == 0 {
					f.After = nil
				}
				page, _, err := s.Assets(t.Context(), f)
				must(t, "Assets page", err)
				paged = append(paged, page...)
			}
			diff(t, "assets a page at a time", describe(tc.want), describe(paged))
		})
	}
}
