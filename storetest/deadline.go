package storetest

import (
	"context"
	"errors"
	"testing"
	"time"

	"damask"
	"damask/search"
	"damask/synth"
)

// testSearchDeadline checks that a search stops when its context ends,
// inside the engine, rather than running to the end (the library's time
// limit on searches rests on it), that the error says so, and that the
// store answers as before afterwards.
func testSearchDeadline(t *testing.T, s damask.Store) {
	bulk, ok := s.(damask.BulkCreator)
	if !ok {
		t.Skip("the store cannot load a catalogue in bulk")
	}
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	const n = 5000
	cat := synth.New(1, []int64{h.ID}, n, time.Now())
	as := make([]*damask.Asset, n)
	for i := range as {
		as[i] = cat.Asset(i, acct.ID)
	}
	must(t, "CreateAssets", bulk.CreateAssets(ctx, as))

	// One-letter prefixes, which the language refuses but a store must
	// survive: each reads a good part of the index.
	var heavy search.Or
	for c := 'a'; c <= 'z'; c++ {
		heavy = append(heavy, search.Word{Value: string(c), Prefix: true})
	}
	f := damask.AssetFilter{AccountID: acct.ID, Query: search.And{heavy, search.Not{X: heavy[:13]}}}
	t0 := time.Now()
	if _, err := s.AssetFacets(ctx, f); err != nil {
		t.Fatalf("AssetFacets without a deadline: %v", err)
	}
	whole := time.Since(t0)
	if whole < 50*time.Millisecond {
		t.Skipf("the heavy search took only %s: too fast to tell a stopped one", whole)
	}

	for _, tc := range []struct {
		name string
		run  func(ctx context.Context) error
	}{
		{"facets", func(ctx context.Context) error { _, err := s.AssetFacets(ctx, f); return err }},
		{"list by title", func(ctx context.Context) error {
			g := f
			g.Sort, g.Page = "title", damask.Page{Number: 1, Size: 25}
			_, _, err := s.Assets(ctx, g)
			return err
		}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			// A busy machine can hold one stopped search as long as the
			// whole one took alone: a search that runs to its end fails
			// every try, a stopped one passes one of three.
			var tooLong []time.Duration
			for range 3 {
				dctx, cancel := context.WithTimeout(ctx, whole/20)
				t0 := time.Now()
				err := tc.run(dctx)
				took := time.Since(t0)
				cancel()
				if err == nil {
					// A list may be cheaper than the facets; nothing to stop.
					t.Logf("finished in %s, within the deadline of %s", took, whole/20)
					return
				}
				t.Logf("stopped after %s of %s: %v", took, whole, err)
				if !errors.Is(err, context.DeadlineExceeded) {
					t.Fatalf("err = %v, want one that wraps context.DeadlineExceeded", err)
				}
				if took <= whole*3/4 {
					return
				}
				tooLong = append(tooLong, took)
			}
			t.Errorf("stopped after %v: the whole search takes %s, the deadline was %s", tooLong, whole, whole/20)
		})
	}
	// The store answers as before: connections the deadline interrupted
	// are sound, or replaced.
	for range 8 { // more than a pool holds
		got, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 5}})
		if err != nil || len(got) != 5 {
			t.Fatalf("Assets after the deadline: %d assets, %v", len(got), err)
		}
	}
}
