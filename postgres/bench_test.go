package postgres

import (
	"os"
	"strconv"
	"testing"
	"time"

	"damask"
	"damask/search"
	"damask/synth"
)

// BenchmarkSearch loads a synthetic catalogue (DAMASK_BENCH_ASSETS assets,
// 20,000 unless set) and times a page of each class of query the Search
// issue holds to its targets, through the store alone.
func BenchmarkSearch(b *testing.B) {
	ctx := b.Context()
	n := 20000
	if s := os.Getenv("DAMASK_BENCH_ASSETS"); s != "" {
		var err error
		if n, err = strconv.Atoi(s); err != nil {
			b.Fatalf("DAMASK_BENCH_ASSETS: %v", err)
		}
	}
	db := openTemp(b)
	acct := &damask.Account{Name: "acme"}
	h := &damask.User{Login: "h", Email: "h@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, acct, h); err != nil {
		b.Fatal(err)
	}
	cat := synth.New(1, []int64{h.ID}, n, time.Now())
	t0 := time.Now()
	const batch = 10000
	for i := 0; i < n; i += batch {
		as := make([]*damask.Asset, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			as = append(as, cat.Asset(j, acct.ID))
		}
		if err := db.CreateAssets(ctx, as); err != nil {
			b.Fatal(err)
		}
	}
	load := time.Since(t0)
	if _, err := db.pool.Exec(ctx, `ANALYZE`); err != nil {
		b.Fatal(err)
	}
	b.Logf("loaded %d assets in %v (%.0f a second)", n, load.Round(time.Millisecond), float64(n)/load.Seconds())

	tag, err := db.TagByName(ctx, acct.ID, cat.Tag(5))
	if err != nil {
		b.Fatal(err)
	}
	word := func(rank int) search.Word { return search.Word{Value: cat.Word(rank)} }
	cases := []struct {
		name string
		f    damask.AssetFilter
	}{
		{"rare word", damask.AssetFilter{Query: word(30000)}},
		{"common word", damask.AssetFilter{Query: word(2)}},
		{"common word newest", damask.AssetFilter{Query: word(2), Sort: "-created_on"}},
		{"two words", damask.AssetFilter{Query: search.And{word(3), word(12)}}},
		{"prefix", damask.AssetFilter{Query: search.Word{Value: cat.Word(40)[:3], Prefix: true}}},
		{"one tag", damask.AssetFilter{TagIDs: []int64{tag.ID}}},
		{"word + tag", damask.AssetFilter{Query: word(8), TagIDs: []int64{tag.ID}}},
		{"field filter", damask.AssetFilter{Query: search.And{search.Word{Field: search.Camera, Value: "canon"}, search.Kind{Kind: search.KindImage}}}},
		{"numeric filter", damask.AssetFilter{Query: search.Compare{Field: search.Size, Op: search.Greater, Value: 100 << 20}}},
		{"everything by title", damask.AssetFilter{Sort: "title"}},
	}
	for _, c := range cases {
		b.Run(c.name, func(b *testing.B) {
			f := c.f
			f.AccountID, f.Page = acct.ID, damask.Page{Number: 1, Size: 25}
			total := 0
			for b.Loop() {
				var err error
				if _, total, err = db.Assets(ctx, f); err != nil {
					b.Fatal(err)
				}
			}
			b.ReportMetric(float64(total), "matches")
		})
	}
}
