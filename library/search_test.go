package library_test

import (
	"context"
	"fmt"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// TestCursorPastEstimate walks a list whose count is an estimate below the
// truth (matches dense among the oldest assets, sparse among the newest):
// cursors must lead to the end all the same.
func TestCursorPastEstimate(t *testing.T) {
	ctx := context.Background()
	now := time.Now()
	svc, db := newService(t, &now)
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	const old, recent = 1500, 1500
	var as []*damask.Asset
	want := 0
	for i := range old + recent {
		title := fmt.Sprintf("asset %d", i)
		if i < old || i%50 == 0 {
			title += " archive"
			want++
		}
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: title, Filename: fmt.Sprintf("f%d.jpg", i),
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID})
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}

	c := library.Caller{Account: acct, User: holder}
	q := library.AssetQuery{Query: "archive", Sort: "-created_on", Page: damask.Page{Number: 1, Size: 100}}
	seen := 0
	for range 100 {
		l, err := svc.Assets(ctx, c, q)
		if err != nil {
			t.Fatal(err)
		}
		seen += len(l.Assets)
		if l.Next == "" {
			break
		}
		q.Cursor = l.Next
	}
	if seen != want {
		t.Errorf("walked %d assets, want %d", seen, want)
	}
}

// TestSearchTimeLimit runs lists, facets and the web's browse past a time
// limit they cannot meet: each answers EINVALID asking for a narrower
// query, never an internal error, and the same searches without the limit
// answer.
func TestSearchTimeLimit(t *testing.T) {
	ctx := context.Background()
	db, blobs := openStores(t)
	for _, limit := range []time.Duration{time.Nanosecond, 0} {
		svc := serviceOn(t, db, blobs, nil, library.Options{SearchTimeout: limit, MaxSearchesPerUser: 2, MaxSearches: 1})
		name := fmt.Sprintf("acme%d", limit)
		acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: name, Plan: "pro",
			HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
		if err != nil {
			t.Fatal(err)
		}
		if err := db.CreateAssets(ctx, []*damask.Asset{{AccountID: acct.ID, Title: "sunset", Filename: "a.jpg",
			ContentType: "image/jpeg", Size: 10, UserID: holder.ID}}); err != nil {
			t.Fatal(err)
		}
		c := library.Caller{Account: acct, User: holder}
		q := library.AssetQuery{Query: "sun*", Page: damask.Page{Number: 1, Size: 10}}
		check := func(what string, n int, err error) {
			t.Helper()
			switch {
			case limit == 0 && (err != nil || n != 1):
				t.Errorf("%s without a limit: %d, %v", what, n, err)
			case limit > 0 && (damask.ErrorCode(err) != damask.EINVALID ||
				damask.ErrorMessage(err) != "The search took longer than 1ns and was stopped: narrow it (fewer words ending in *, fewer OR)"):
				t.Errorf("%s past the limit: %v, want EINVALID saying so", what, err)
			}
		}
		found := func(l *library.AssetList) int {
			if l == nil {
				return 0
			}
			return len(l.Assets)
		}
		l, err := svc.Assets(ctx, c, q)
		check("Assets", found(l), err)
		fc, err := svc.Facets(ctx, c, q)
		check("Facets", fc.Total, err)
		l, fc, err = svc.Browse(ctx, c, q)
		check("Browse", min(found(l), fc.Total), err)
	}
}
