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
