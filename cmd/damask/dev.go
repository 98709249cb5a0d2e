package main

import (
	"context"
	"database/sql"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/httpapi"
	"damask/library"
	"damask/search"
	"damask/sqlite"
	"damask/synth"

	_ "github.com/mattn/go-sqlite3" // the raw engine queries
)

// dev seed|bench-search: tools for developers, not for a library in use.
func dev(ctx context.Context, env environment, args []string) error {
	const use = "dev seed --assets N [--data DIR] [--raw] | dev bench-search [--data DIR] [--runs N]"
	if len(args) == 0 {
		return usageError(use)
	}
	fs := flag.NewFlagSet("dev "+args[0], flag.ContinueOnError)
	var st storage
	st.register(fs)
	n := fs.Int("assets", 10000, "how many assets to make")
	seed := fs.Uint64("seed", 1, "the catalogue's seed: the same seed makes the same catalogue")
	runs := fs.Int("runs", 200, "how many times to run each query")
	raw := fs.Bool("raw", false, "seed: load the same catalogue with the raw engine, as the import's reference (SQLite only)")
	if err := parse(fs, args[1:], env.getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(use)
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		switch args[0] {
		case "seed":
			if *raw {
				if st.postgres() {
					return usageError("dev seed --raw loads a SQLite file")
				}
				path, err := st.sqlitePath()
				if err != nil {
					return err
				}
				return rawSeed(ctx, env, lib, path, *n, *seed)
			}
			return seedCatalogue(ctx, env, lib, *n, *seed)
		case "bench-search":
			raw, pg := "", ""
			if st.postgres() {
				pg = st.db
			} else {
				var err error
				if raw, err = st.sqlitePath(); err != nil {
					return err
				}
			}
			return benchSearch(ctx, env, lib, raw, pg, *seed, *runs)
		}
		return usageError(use)
	})
}

// The catalogue's uploaders, made by seed.
var seedUsers = []string{"ann", "bob", "cho", "dev", "eve"}

const seedPassword = "seed-password"

// seedCatalogue adds n synthetic assets to the default account, in
// batches of one transaction each.
func seedCatalogue(ctx context.Context, env environment, lib *openLibrary, n int, seed uint64) error {
	accountID, users, err := seedAccount(ctx, lib)
	if err != nil {
		return err
	}
	start := time.Now()
	cat := synth.New(seed, users, n, start)
	load := func(ctx context.Context) error {
		for i := 0; i < n; i += seedBatch {
			if err := lib.db.CreateAssets(ctx, seedAssets(cat, accountID, i, n)); err != nil {
				return err
			}
			fmt.Fprintf(env.stderr, "\rseeded %d of %d", min(i+seedBatch, n), n)
		}
		return nil
	}
	if bl, ok := lib.db.(damask.BulkLoader); ok {
		err = bl.BulkLoad(ctx, load)
	} else {
		err = load(ctx)
	}
	if err != nil {
		return err
	}
	fmt.Fprintf(env.stderr, "\n")
	// The batches were loads, of which the planner knows little yet: a
	// search straight after the seed is planned as on the whole catalogue.
	if an, ok := lib.db.(damask.Analyzer); ok {
		if err := an.Analyze(ctx); err != nil {
			return err
		}
	}
	fmt.Fprintf(env.stdout, "Made %d assets in %.1f s (%.0f a second). They have no files: downloads and check will miss them.\n",
		n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	return nil
}

// seedBatch is how many assets the seed writes a transaction.
const seedBatch = 10000

// seedAccount makes the default account and its uploaders unless an
// earlier seed made them, and answers their ids.
func seedAccount(ctx context.Context, lib *openLibrary) (accountID int64, users []int64, err error) {
	if _, _, err := lib.svc.EnsureDefault(ctx, seedPassword); err != nil {
		return 0, nil, err
	}
	a, err := lib.svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		return 0, nil, err
	}
	for _, login := range seedUsers {
		pw, email := seedPassword, login+"@example.com"
		u, err := lib.svc.AddUser(ctx, a.Name, library.UserChanges{Login: &login, Email: &email, Password: &pw})
		if damask.ErrorCode(err) == damask.EINVALID { // made by an earlier seed
			var c library.Caller
			c, err = caller(ctx, lib, login)
			u = c.User
		}
		if err != nil {
			return 0, nil, fmt.Errorf("uploader %s: %w", login, err)
		}
		users = append(users, u.ID)
	}
	return a.ID, users, nil
}

// seedAssets are the catalogue's assets from i up to the next batch's.
func seedAssets(cat *synth.Catalogue, accountID int64, i, n int) []*damask.Asset {
	as := make([]*damask.Asset, 0, seedBatch)
	for j := i; j < min(i+seedBatch, n); j++ {
		as = append(as, cat.Asset(j, accountID))
	}
	return as
}

func caller(ctx context.Context, lib *openLibrary, login string) (library.Caller, error) {
	a, err := lib.svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		return library.Caller{}, err
	}
	u, err := lib.svc.Authenticate(ctx, a, login, seedPassword, "bench")
	return library.Caller{Account: a, User: u}, err
}

// searchCase is one class of query the Search issue holds to its targets.
type searchCase struct {
	name   string
	params url.Values
}

// benchSearch runs every class of query through the HTTP API (Basic auth
// on every request, as clients do), through the library without HTTP,
// and as the raw engine query, alternating, and prints p50 and p95 of
// each: for a SQLite library (rawPath its file, else "") the store's
// statements (see rawSearch), for a PostgreSQL one (pgURL its database,
// else "") the statement of the newest matches (see rawPostgres), whose
// plan it prints after the table.
func benchSearch(ctx context.Context, env environment, lib *openLibrary, rawPath, pgURL string, seed uint64, runs int) error {
	if err := lib.svc.SetAPI(ctx, library.DefaultAccount, true); err != nil {
		return err
	}
	c, err := caller(ctx, lib, seedUsers[0])
	if err != nil {
		return fmt.Errorf("sign in as %s (did dev seed run on this folder?): %w", seedUsers[0], err)
	}
	cat := synth.New(seed, []int64{0}, 1, time.Now())
	q := func(kv ...string) url.Values {
		v := url.Values{}
		for i := 0; i < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return v
	}
	common := cat.Word(0)
	// The rare words are those of ranks 30,000 and 20,000 when some asset
	// has them; a small catalogue has few of the rarest words, and a
	// fallback of words that no asset has finds nothing, so the next
	// commoner word some asset has stands in.
	rare := func(rank int) (string, error) {
		for ; rank > 0; rank = rank * 4 / 5 {
			l, err := lib.svc.Assets(ctx, c, library.AssetQuery{Query: cat.Word(rank), Page: damask.Page{Number: 1, Size: 1}})
			if err != nil {
				return "", fmt.Errorf("find a rare word: %w", err)
			}
			if l.Total > 0 {
				return cat.Word(rank), nil
			}
		}
		return cat.Word(0), nil
	}
	rare1, err := rare(30000)
	if err != nil {
		return err
	}
	rare2, err := rare(20000)
	if err != nil {
		return err
	}
	cases := []searchCase{
		{"rare word", q("query", rare1)},
		{"common word", q("query", common)},
		{"two words", q("query", cat.Word(3)+" "+cat.Word(12))},
		{"prefix", q("query", cat.Word(40)[:3]+"*")},
		{"one tag", q("tags", cat.Tag(20))},
		{"two tags", q("tags", cat.Tag(2)+","+cat.Tag(15))},
		{"word + tag", q("query", cat.Word(8), "tags", cat.Tag(5))},
		{"field filter", q("query", "camera:canon type:image")},
		{"numeric filter", q("query", "size>100MB")},
		{"newest first", q()},
		// No asset has all the words (the last is in no asset), so the
		// search falls back to those with most of them: the statements of
		// the words together, then those of the fallback.
		{"fallback, common words", q("query", cat.Word(3)+" "+cat.Word(12)+" "+noSuchWord)},
		{"fallback, rare words", q("query", rare1+" "+rare2+" "+noSuchWord)},
		{"fallback, common + rare word", q("query", common+" "+rare1+" "+noSuchWord)},
		{"deep page (offset 10,000)", q("query", common, "sort", "-created_on", "page", "401")},
	}
	// The keyset page at the same depth: the cursor that page 400 hands out.
	deep, err := lib.svc.Assets(ctx, c, library.AssetQuery{Query: common, Sort: "-created_on", Page: damask.Page{Number: 400, Size: 25}})
	if err != nil {
		return err
	}
	cases = append(cases, searchCase{"keyset page (same depth)", q("query", common, "sort", "-created_on", "cursor", deep.Next)})

	srv := httptest.NewServer(httpapi.New(lib.svc, httpapi.Config{}))
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 4

	stmts, _ := lib.db.(searchStatements)
	var raw *sql.DB
	if rawPath != "" && stmts != nil {
		// A plain connection of the driver, read-only, with none of the
		// store's settings: the engine as anyone would open it. One
		// connection, so that the statements stay prepared on it.
		if raw, err = sql.Open("sqlite3", "file:"+rawPath+"?mode=ro"); err != nil {
			return fmt.Errorf("open %s for the raw queries: %w", rawPath, err)
		}
		defer raw.Close()
		raw.SetMaxOpenConns(1)
	}
	var pgRaw *rawPostgres
	if pgURL != "" {
		if pgRaw, err = openRawPostgres(ctx, pgURL, lib.db); err != nil {
			return err
		}
		defer pgRaw.close(ctx)
	}

	fmt.Fprintf(env.stdout, "| query | matches | API p50 | API p95 | library p50 | library p95 | API overhead (p50) | raw p50 | raw p95 | library / raw (p50) |\n|---|---|---|---|---|---|---|---|---|---|\n")
	for _, sc := range cases {
		aq := library.AssetQuery{Query: sc.params.Get("query"), Tags: sc.params.Get("tags"), Sort: sc.params.Get("sort"),
			Cursor: sc.params.Get("cursor"), Page: damask.Page{Number: 1, Size: 25}}
		if p := sc.params.Get("page"); p != "" {
			fmt.Sscan(p, &aq.Page.Number)
		}
		var rq interface{ run(context.Context) error }
		if raw != nil {
			r, err := newRawSearch(ctx, raw, stmts, lib, c, aq)
			if err != nil {
				return fmt.Errorf("%s: raw: %w", sc.name, err)
			}
			if r != nil {
				defer r.close()
				rq = r
			}
		}
		if pgRaw != nil {
			r, err := pgRaw.statement(ctx, lib, c, sc.name, aq)
			if err != nil {
				return fmt.Errorf("%s: raw: %w", sc.name, err)
			}
			if r != nil {
				rq = r
			}
		}
		var api, direct, engine []time.Duration
		total := 0
		for i := range runs + 5 {
			t0 := time.Now()
			l, err := lib.svc.Assets(ctx, c, aq)
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			total = l.Total
			if strings.HasPrefix(sc.name, "fallback") && l.Fallback == "" {
				return fmt.Errorf("%s: the search did not fall back (%d matches of all the words)", sc.name, l.Total)
			}
			t0 = time.Now()
			// A parameter the API ignores, new on every run, so that the
			// answer is searched for and not the one the API keeps in
			// memory while nothing changes (httpapi's doccache.go).
			if err := get(ctx, client, srv.URL+"/api/assets.xml?"+sc.params.Encode()+"&run="+strconv.Itoa(i)); err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			a := time.Since(t0)
			var e time.Duration
			if rq != nil {
				t0 = time.Now()
				if err := rq.run(ctx); err != nil {
					return fmt.Errorf("%s: raw: %w", sc.name, err)
				}
				e = time.Since(t0)
			}
			if i >= 5 { // the first runs warm the caches
				api, direct, engine = append(api, a), append(direct, d), append(engine, e)
			}
		}
		rawCols := "| | |"
		if rq != nil {
			rawCols = fmt.Sprintf("%s | %s | %s |", ms(pct(engine, 50)), ms(pct(engine, 95)), ratio(pct(direct, 50), pct(engine, 50)))
		}
		fmt.Fprintf(env.stdout, "| %s | %d | %s | %s | %s | %s | %s | %s\n", sc.name, total,
			ms(pct(api, 50)), ms(pct(api, 95)), ms(pct(direct, 50)), ms(pct(direct, 95)), ms(pct(api, 50)-pct(direct, 50)), rawCols)
	}
	countBench(ctx, env, lib, c, common, runs)
	if pgRaw != nil {
		pgRaw.plans(env.stdout)
	}
	return nil
}

func ratio(a, b time.Duration) string {
	if b <= 0 {
		return ""
	}
	return fmt.Sprintf("%.1fx", float64(a)/float64(b))
}

// noSuchWord is in no synthetic asset: the word of a query that makes
// the search fall back to the assets with most of its words.
const noSuchWord = "zyxwvut"

// searchStatements is what the SQLite store tells of the SQL it runs for
// a search.
type searchStatements interface {
	SearchStatements(damask.AssetFilter) (sqlite.Statements, error)
}

// rawSearch is the raw engine query of a search: the statements the
// SQLite store runs for it, taken from the store once, prepared once on a
// plain connection, and run as the store runs them (the count, the
// account's bounds when the count passes damask.ExactCount, the page, the
// page's tags), reading every value as bytes. What the store adds beyond
// it (a read transaction, values turned into assets, the library's
// parsing and tag lookups) is the store's overhead.
type rawSearch struct {
	st                  sqlite.Statements
	count, bounds, page *sql.Stmt
	tags                map[int]*sql.Stmt // by number of ids
	db                  *sql.DB
	// fallback runs when the count finds nothing and the query can fall
	// back to the assets with most of its words (library.FallbackFilter).
	fallback *rawSearch
}

func newRawSearch(ctx context.Context, db *sql.DB, stmts searchStatements, lib *openLibrary, c library.Caller, q library.AssetQuery) (*rawSearch, error) {
	f, ok, err := lib.svc.AssetFilter(ctx, c, q)
	if err != nil || !ok { // !ok: the store is not asked
		return nil, err
	}
	r, err := prepareRaw(ctx, db, stmts, f)
	if err != nil {
		return nil, err
	}
	if ff, ok := library.FallbackFilter(f); ok {
		if r.fallback, err = prepareRaw(ctx, db, stmts, ff); err != nil {
			r.close()
			return nil, err
		}
	}
	return r, nil
}

// prepareRaw prepares the statements of the filter on db.
func prepareRaw(ctx context.Context, db *sql.DB, stmts searchStatements, f damask.AssetFilter) (*rawSearch, error) {
	r := &rawSearch{db: db, tags: map[int]*sql.Stmt{}}
	var err error
	if r.st, err = stmts.SearchStatements(f); err != nil {
		return nil, err
	}
	for _, p := range []struct {
		stmt **sql.Stmt
		sql  string
	}{{&r.count, r.st.Count.SQL}, {&r.bounds, r.st.Bounds.SQL}, {&r.page, r.st.Page.SQL}} {
		if *p.stmt, err = db.PrepareContext(ctx, p.sql); err != nil {
			r.close()
			return nil, err
		}
	}
	return r, nil
}

func (r *rawSearch) run(ctx context.Context) error {
	var n int
	var oldest sql.NullInt64
	if err := r.count.QueryRowContext(ctx, r.st.Count.Args...).Scan(&n, &oldest); err != nil {
		return fmt.Errorf("count: %w", err)
	}
	if n == 0 && r.fallback != nil {
		return r.fallback.run(ctx)
	}
	if n > damask.ExactCount {
		var first, last int64
		if err := r.bounds.QueryRowContext(ctx, r.st.Bounds.Args...).Scan(&first, &last); err != nil {
			return fmt.Errorf("bounds: %w", err)
		}
	}
	var ids []int64
	if err := scanRaw(ctx, r.page, r.st.Page.Args, func(id int64) { ids = append(ids, id) }); err != nil {
		return fmt.Errorf("page: %w", err)
	}
	if len(ids) == 0 {
		return nil
	}
	st := r.st.Tags(ids)
	stmt := r.tags[len(ids)]
	if stmt == nil {
		var err error
		if stmt, err = r.db.PrepareContext(ctx, st.SQL); err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		r.tags[len(ids)] = stmt
	}
	if err := scanRaw(ctx, stmt, st.Args, func(int64) {}); err != nil {
		return fmt.Errorf("tags: %w", err)
	}
	return nil
}

// scanRaw runs the statement and reads every row: its first column as an
// id, the others as bytes.
func scanRaw(ctx context.Context, stmt *sql.Stmt, args []any, id func(int64)) error {
	rows, err := stmt.QueryContext(ctx, args...)
	if err != nil {
		return err
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		return err
	}
	var first int64
	dest := make([]any, len(cols))
	dest[0] = &first
	for i := 1; i < len(dest); i++ {
		dest[i] = new(sql.RawBytes)
	}
	for rows.Next() {
		if err := rows.Scan(dest...); err != nil {
			return err
		}
		id(first)
	}
	return rows.Err()
}

func (r *rawSearch) close() {
	for _, s := range []*sql.Stmt{r.count, r.bounds, r.page} {
		if s != nil {
			s.Close()
		}
	}
	for _, s := range r.tags {
		s.Close()
	}
	if r.fallback != nil {
		r.fallback.close()
	}
}

func get(ctx context.Context, client *http.Client, u string) error {
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
	if err != nil {
		return err
	}
	req.SetBasicAuth(seedUsers[0], seedPassword)
	resp, err := client.Do(req)
	if err != nil {
		return err
	}
	defer resp.Body.Close()
	body, _ := io.ReadAll(resp.Body)
	if resp.StatusCode != http.StatusOK && resp.StatusCode != http.StatusNotFound {
		return fmt.Errorf("status %d: %s", resp.StatusCode, strings.TrimSpace(string(body)))
	}
	return nil
}

func pct(ds []time.Duration, p int) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[min(len(s)-1, len(s)*p/100)]
}

func ms(d time.Duration) string { return fmt.Sprintf("%.2f ms", float64(d.Microseconds())/1000) }

// countBench times the exact count of the common word's matches, which a
// list only estimates above damask.ExactCount.
func countBench(ctx context.Context, env environment, lib *openLibrary, c library.Caller, word string, runs int) {
	f := damask.AssetFilter{AccountID: c.Account.ID, Query: search.Word{Value: word}}
	var ds []time.Duration
	n := 0
	for range runs {
		t0 := time.Now()
		var err error
		if n, err = lib.db.Count(ctx, f); err != nil {
			fmt.Fprintf(env.stderr, "count: %v\n", err)
			return
		}
		ds = append(ds, time.Since(t0))
	}
	fmt.Fprintf(env.stdout, "| exact count of the common word (store) | %d | | | %s | %s | | | | |\n", n, ms(pct(ds, 50)), ms(pct(ds, 95)))
}
