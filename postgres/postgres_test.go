package postgres

import (
	"context"
	"fmt"
	"os"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"
	"unicode"

	"github.com/jackc/pgx/v5"

	"damask"
	"damask/postgres/pgtest"
	"damask/search"
	"damask/storetest"
)

// The tests run on a real PostgreSQL server (package pgtest says which).
// Each store gets a database of its own, copied from a template that the
// first test migrates, and dropped when its test ends.

var tpl struct {
	once sync.Once
	name string // the template database, once made
	err  error
}

// template makes, once per run, a database with every migration applied,
// for the tests' databases to be copied from.
func template(t testing.TB) string {
	tpl.once.Do(func() {
		ctx := context.Background()
		name := pgtest.RandomName("damask_tpl_")
		if err := pgtest.Admin(ctx, `CREATE DATABASE `+pgx.Identifier{name}.Sanitize()); err != nil {
			tpl.err = err
			return
		}
		tpl.name = name
		db, err := Open(ctx, pgtest.WithDatabase(t, name))
		if err != nil {
			tpl.err = err
			return
		}
		db.Close()
	})
	if tpl.err != nil {
		t.Fatalf("PostgreSQL at %s is needed for these tests and failed: %v\n"+
			"(start the server, or name another with DAMASK_TEST_POSTGRES=postgres://user@host:port/db)", pgtest.Redacted(), tpl.err)
	}
	return tpl.name
}

func TestMain(m *testing.M) {
	code := m.Run()
	if tpl.name != "" {
		if err := pgtest.Admin(context.Background(), `DROP DATABASE IF EXISTS `+pgx.Identifier{tpl.name}.Sanitize()+` WITH (FORCE)`); err != nil {
			fmt.Fprintf(os.Stderr, "drop template database %s: %v\n", tpl.name, err)
		}
	}
	os.Exit(code)
}

// openTemp opens a store on a new database, dropped when t ends.
func openTemp(t testing.TB) *DB {
	t.Helper()
	db, err := Open(context.Background(), pgtest.Database(t, template(t)))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) damask.Store { return openTemp(t) })
}

// TestReopen checks that data survives closing and opening the database
// again, that a second Open leaves the schema alone, and that the store's
// derived data agree with its rows.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	a := &damask.Account{Name: "acme", Plan: "pro"}
	h := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, a, h); err != nil {
		t.Fatal(err)
	}
	asset := &damask.Asset{AccountID: a.ID, Title: "kept", UserID: h.ID}
	v := &damask.Version{Filename: "kept.jpg", Size: 3, Blob: damask.BlobRef{1, 2, 3}, UserID: h.ID}
	if err := db.CreateAsset(ctx, asset, v, []string{"tag"}, 0); err != nil {
		t.Fatal(err)
	}
	url := pgtest.WithDatabase(t, db.pool.Config().ConnConfig.Database)
	db.Close()

	db, err := Open(ctx, url)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	got, err := db.Asset(ctx, a.ID, asset.ID)
	if err != nil {
		t.Fatalf("asset after reopening: %v", err)
	}
	if got.Title != "kept" || got.Blob != v.Blob || len(got.Tags) != 1 || !got.CreatedAt.Equal(asset.CreatedAt) {
		t.Errorf("asset after reopening = %+v, want %+v", got, asset)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

// TestOpenConcurrently opens a new, empty database from several
// goroutines at once, as processes starting together would: each
// migration step must be applied once.
func TestOpenConcurrently(t *testing.T) {
	url := pgtest.Database(t, "") // empty: no migration yet
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := Open(t.Context(), url)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			defer db.Close()
			if err := db.IntegrityCheck(t.Context()); err != nil {
				t.Errorf("IntegrityCheck: %v", err)
			}
		})
	}
	wg.Wait()
}

// TestRefusals checks the refusals this store adds to the contract, and
// that the integrity check finds a count gone wrong.
func TestRefusals(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	a := &damask.Account{Name: "acme"}
	if err := db.CreateAccount(ctx, a, &damask.User{Login: "a", Email: "a@example.com", Role: damask.RoleHolder}); err != nil {
		t.Fatal(err)
	}
	b := &damask.Account{Name: "globex"}
	hb := &damask.User{Login: "b", Email: "b@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, b, hb); err != nil {
		t.Fatal(err)
	}

	// An account's holder must be one of its users.
	a.HolderID = hb.ID
	if err := db.UpdateAccount(ctx, a); damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("UpdateAccount with another account's holder: %v, want EINVALID", err)
	}
	// An unknown sort is the caller's mistake.
	_, _, err := db.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Sort: "name"})
	if damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("Assets sorted by name: %v, want EINVALID", err)
	}
	// Rows of a missing account are not found, not an internal error.
	err = db.CreateTag(ctx, &damask.Tag{AccountID: 1000, Name: "x"})
	if damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("CreateTag in a missing account: %v, want ENOTFOUND", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
	tg := &damask.Tag{AccountID: a.ID, Name: "x"}
	if err := db.CreateTag(ctx, tg); err != nil {
		t.Fatal(err)
	}
	if _, err := db.pool.Exec(ctx, `UPDATE tags SET assets_count = 7 WHERE id = $1`, tg.ID); err != nil {
		t.Fatal(err)
	}
	if err := db.IntegrityCheck(ctx); err == nil {
		t.Error("IntegrityCheck of a wrong tag count: nil, want an error")
	}
}

// TestCreateAssets loads a catalogue in bulk and checks that it is found,
// counted and queued as one made asset by asset would be.
func TestCreateAssets(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	acct := &damask.Account{Name: "acme"}
	h := &damask.User{Login: "h", Email: "h@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, acct, h); err != nil {
		t.Fatal(err)
	}
	const n = 1500 // more than ExactCount, and than one batch
	start := time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC)
	var as []*damask.Asset
	for i := range n {
		a := &damask.Asset{AccountID: acct.ID, Title: fmt.Sprintf("Photo %d of the Lake", i),
			Filename: fmt.Sprintf("IMG_%04d.jpg", i), ContentType: "image/jpeg", Size: int64(i + 1),
			Blob: damask.BlobRef{byte(i), byte(i >> 8)}, UserID: h.ID, Processing: damask.ProcessingPending,
			CreatedAt: start.Add(time.Duration(i) * time.Hour)}
		a.Tags = []damask.Tag{{Name: "lake"}}
		if i%3 == 0 {
			a.Tags = append(a.Tags, damask.Tag{Name: "Third"})
		}
		as = append(as, a)
	}
	if err := db.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}
	got, err := db.Asset(ctx, acct.ID, as[42].ID)
	if err != nil {
		t.Fatal(err)
	}
	if !got.CreatedAt.Equal(as[42].CreatedAt) || got.Title != as[42].Title || len(got.Tags) != 2 {
		t.Errorf("asset 42 = %+v, want %+v", got, as[42])
	}
	third := int64(got.Tags[1].ID)
	for _, tt := range []struct {
		name string
		f    damask.AssetFilter
		want int
	}{
		{"a word", damask.AssetFilter{Query: search.Word{Value: "lakes"}}, n},
		{"a filename", damask.AssetFilter{Query: search.Word{Field: search.Filename, Value: "img_0042.jpg"}}, 1},
		{"a tag", damask.AssetFilter{TagIDs: []int64{third}}, n / 3},
		{"a tag by name", damask.AssetFilter{Query: search.Word{Value: "third"}}, n / 3},
		{"a size", damask.AssetFilter{Query: search.Compare{Field: search.Size, Op: search.LessEqual, Value: 10}}, 10},
		{"a date", damask.AssetFilter{Query: search.Date{Before: true, At: start.Add(24 * time.Hour)}}, 24},
	} {
		f := tt.f
		f.AccountID = acct.ID
		f.Page = damask.Page{Number: 1, Size: 10}
		if c, err := db.Count(ctx, f); err != nil || c != tt.want {
			t.Errorf("%s: Count = %d, %v; want %d", tt.name, c, err, tt.want)
		}
		page, total, err := db.Assets(ctx, f)
		if err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		if len(page) != min(10, tt.want) {
			t.Errorf("%s: a page of %d, want %d", tt.name, len(page), min(10, tt.want))
		}
		// An estimate above ExactCount, and this catalogue is even: it
		// must be near.
		if tt.want <= damask.ExactCount && total != tt.want || total < tt.want*9/10 || total > tt.want*11/10 {
			t.Errorf("%s: total %d, want %d", tt.name, total, tt.want)
		}
	}
	lake, err := db.TagByName(ctx, acct.ID, "LAKE")
	if err != nil || lake.AssetsCount != n {
		t.Errorf("tag lake: %+v, %v; want %d assets", lake, err, n)
	}
	claimed := 0
	for {
		j, err := db.ClaimJob(ctx, "w", time.Minute)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			break
		}
		if err != nil {
			t.Fatal(err)
		}
		if claimed == 0 && j.AssetID != as[0].ID {
			t.Errorf("first job for asset %d, want %d", j.AssetID, as[0].ID)
		}
		claimed++
		if claimed > n {
			break
		}
	}
	if claimed != n {
		t.Errorf("%d jobs queued, want %d", claimed, n)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

// TestClaimAcrossProcesses: workers of two stores on one database, as two
// processes would have, never claim one job twice.
func TestClaimAcrossProcesses(t *testing.T) {
	ctx := t.Context()
	first := openTemp(t)
	second, err := Open(ctx, pgtest.WithDatabase(t, first.pool.Config().ConnConfig.Database))
	if err != nil {
		t.Fatal(err)
	}
	defer second.Close()
	acct := &damask.Account{Name: "acme"}
	h := &damask.User{Login: "h", Email: "h@example.com", Role: damask.RoleHolder}
	if err := first.CreateAccount(ctx, acct, h); err != nil {
		t.Fatal(err)
	}
	const n = 60
	var as []*damask.Asset
	for i := range n {
		as = append(as, &damask.Asset{AccountID: acct.ID, Title: fmt.Sprint(i), Blob: damask.BlobRef{byte(i)},
			Processing: damask.ProcessingPending})
	}
	if err := first.CreateAssets(ctx, as); err != nil {
		t.Fatal(err)
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 6 {
		db := first
		if w%2 == 1 {
			db = second
		}
		wg.Go(func() {
			worker := fmt.Sprint("w", w)
			for {
				j, err := db.ClaimJob(ctx, worker, time.Minute)
				if err != nil {
					if damask.ErrorCode(err) != damask.ENOTFOUND {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				seen[j.ID]++
				mu.Unlock()
				if err := db.FinishJob(ctx, j.ID, worker); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d jobs claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %d claimed %d times", id, c)
		}
	}
}

// FuzzWords: whatever the text, the words sent to PostgreSQL are letters
// and digits in lower case, never tsquery syntax.
func FuzzWords(f *testing.F) {
	for _, s := range []string{"IMG_2041.jpg", "Café de Flore", "Ärger", "'a' & b | !c <-> d:*", "ﬁle ２０４１", "\uE000kimage"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, s string) {
		ws := words(s)
		for _, w := range ws {
			if w == "" || len(w) > maxWord {
				t.Fatalf("words(%q) has %q", s, w)
			}
			for _, r := range w {
				if !unicode.IsLetter(r) && !unicode.IsNumber(r) {
					t.Fatalf("words(%q) has %q with %q", s, w, r)
				}
			}
		}
		q := tsquery(ws, true, "A")
		if strings.Count(q, "'") != 2*len(ws) {
			t.Fatalf("tsquery(%q) = %q: stray quotes", ws, q)
		}
	})
}

// TestPageOf checks the pages cut from the newest matches, and that a
// page they do not hold whole is left to the table.
func TestPageOf(t *testing.T) {
	ids := []int64{9, 7, 5, 3, 1} // newest first
	tests := []struct {
		name     string
		complete bool
		desc     bool
		after    *damask.Cursor
		lim      any
		off      int
		want     []int64
		ok       bool
	}{
		{"first page", false, true, nil, 2, 0, []int64{9, 7}, true},
		{"second page", false, true, nil, 2, 2, []int64{5, 3}, true},
		{"past the newest, incomplete", false, true, nil, 2, 4, nil, false},
		{"past the newest, complete", true, true, nil, 2, 4, []int64{1}, true},
		{"beyond the end, complete", true, true, nil, 2, 6, []int64{}, true},
		{"after a cursor", false, true, &damask.Cursor{ID: 7}, 2, 0, []int64{5, 3}, true},
		{"after a cursor between ids", false, true, &damask.Cursor{ID: 6}, 1, 0, []int64{5}, true},
		{"after a cursor past the newest", false, true, &damask.Cursor{ID: 1}, 1, 0, nil, false},
		{"oldest first, incomplete", false, false, nil, 2, 0, nil, false},
		{"oldest first, complete", true, false, nil, 2, 0, []int64{1, 3}, true},
		{"oldest first after a cursor", true, false, &damask.Cursor{ID: 3}, 2, 0, []int64{5, 7}, true},
		{"everything, incomplete", false, true, nil, nil, 0, nil, false},
		{"everything, complete", true, true, nil, nil, 0, ids, true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			got, ok := pageOf(ids, tt.complete, tt.desc, tt.after, tt.lim, tt.off)
			if ok != tt.ok || ok && !slices.Equal(got, tt.want) {
				t.Errorf("pageOf = %v, %v; want %v, %v", got, ok, tt.want, tt.ok)
			}
		})
	}
}
