package sqlite

import (
	"database/sql"
	"path/filepath"
	"slices"
	"testing"
	"time"

	"damask"
	"damask/search"
	"damask/synth"
)

// TestSearchStatements runs the statements SearchStatements hands out on a
// plain connection of their own and checks that they choose the page
// Assets answers: the benchmarks time them as the engine's side of a
// search, which is only fair if they are the store's very SQL.
func TestSearchStatements(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	acct := &damask.Account{Name: "raw", Plan: "deluxe"}
	holder := &damask.User{Login: "holder", Email: "h@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, acct, holder); err != nil {
		t.Fatal(err)
	}
	// More assets than damask.ExactCount match the common word, so that
	// the estimate reads Bounds too.
	const n = 3000
	cat := synth.New(1, []int64{holder.ID}, n, time.Now())
	as := make([]*damask.Asset, n)
	for i := range as {
		as[i] = cat.Asset(i, acct.ID)
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}
	tag, err := db.TagByName(ctx, acct.ID, cat.Tag(0))
	if err != nil {
		t.Fatal(err)
	}
	parse := func(q string) search.Expr {
		x, err := search.Parse(q)
		if err != nil {
			t.Fatal(err)
		}
		return x
	}

	raw, err := sql.Open("sqlite3", path)
	if err != nil {
		t.Fatal(err)
	}
	defer raw.Close()

	page := damask.Page{Number: 1, Size: 25}
	for _, tc := range []struct {
		name string
		f    damask.AssetFilter
	}{
		{"common word, by relevance", damask.AssetFilter{Query: parse(cat.Word(0)), Page: page}},
		{"prefix", damask.AssetFilter{Query: parse(cat.Word(40)[:3] + "*"), Page: page}},
		{"word and tag", damask.AssetFilter{Query: parse(cat.Word(1)), TagIDs: []int64{tag.ID}, Page: page}},
		{"field filter, by title", damask.AssetFilter{Query: parse("type:image size>1MB"), Sort: "title", Page: page}},
		{"newest first, page 3", damask.AssetFilter{Page: damask.Page{Number: 3, Size: 25}}},
		{"keyset", damask.AssetFilter{Query: parse(cat.Word(0)), Sort: "-created_on", Page: page,
			After: &damask.Cursor{ID: as[n/2].ID}}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			tc.f.AccountID = acct.ID
			want, _, err := db.Assets(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if len(want) == 0 {
				t.Fatal("the store found nothing: the case tests nothing")
			}
			st, err := db.SearchStatements(tc.f)
			if err != nil {
				t.Fatal(err)
			}
			var count int
			var oldest sql.NullInt64
			if err := raw.QueryRowContext(ctx, st.Count.SQL, st.Count.Args...).Scan(&count, &oldest); err != nil {
				t.Fatalf("count: %v", err)
			}
			if count == 0 {
				t.Errorf("count found nothing; the page has %d assets", len(want))
			}
			var first, last int64
			if err := raw.QueryRowContext(ctx, st.Bounds.SQL, st.Bounds.Args...).Scan(&first, &last); err != nil {
				t.Fatalf("bounds: %v", err)
			}
			if first != as[0].ID || last != as[n-1].ID {
				t.Errorf("bounds = %d, %d, want %d, %d", first, last, as[0].ID, as[n-1].ID)
			}

			rows, err := raw.QueryContext(ctx, st.Page.SQL, st.Page.Args...)
			if err != nil {
				t.Fatalf("page: %v", err)
			}
			cols, err := rows.Columns()
			if err != nil {
				t.Fatal(err)
			}
			var got []int64
			for rows.Next() {
				dest := make([]any, len(cols))
				for i := range dest {
					dest[i] = new(sql.RawBytes)
				}
				var id int64
				dest[0] = &id
				if err := rows.Scan(dest...); err != nil {
					t.Fatal(err)
				}
				got = append(got, id)
			}
			if err := rows.Close(); err != nil {
				t.Fatal(err)
			}
			var wantIDs []int64
			tagged := 0
			for _, a := range want {
				wantIDs = append(wantIDs, a.ID)
				tagged += len(a.Tags)
			}
			if !slices.Equal(got, wantIDs) {
				t.Fatalf("raw page ids = %v,\nstore's = %v", got, wantIDs)
			}

			tags := st.Tags(got)
			var links int
			if err := raw.QueryRowContext(ctx, "SELECT count(*) FROM ("+tags.SQL+")", tags.Args...).Scan(&links); err != nil {
				t.Fatalf("tags: %v", err)
			}
			if links != tagged {
				t.Errorf("raw tags of the page = %d, store's = %d", links, tagged)
			}
		})
	}

	if _, err := db.SearchStatements(damask.AssetFilter{AccountID: acct.ID, Trash: true}); damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("statements of the trash: err = %v, want EINVALID", err)
	}
}
