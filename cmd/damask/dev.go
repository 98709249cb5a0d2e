package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"net/url"
	"slices"
	"strings"
	"time"

	"damask"
	"damask/httpapi"
	"damask/library"
	"damask/search"
	"damask/synth"
)

// dev seed|bench-search: tools for developers, not for a library in use.
func dev(ctx context.Context, env environment, args []string) error {
	const use = "dev seed --assets N [--data DIR] | dev bench-search [--data DIR] [--runs N]"
	if len(args) == 0 {
		return usageError(use)
	}
	fs := flag.NewFlagSet("dev "+args[0], flag.ContinueOnError)
	var st storage
	st.register(fs)
	n := fs.Int("assets", 10000, "how many assets to make")
	seed := fs.Uint64("seed", 1, "the catalogue's seed: the same seed makes the same catalogue")
	runs := fs.Int("runs", 200, "how many times to run each query")
	if err := parse(fs, args[1:], env.getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(use)
	}
	return withLibrary(ctx, env, &st, func(lib *openLibrary) error {
		switch args[0] {
		case "seed":
			return seedCatalogue(ctx, env, lib, *n, *seed)
		case "bench-search":
			return benchSearch(ctx, env, lib, *seed, *runs)
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
	if _, _, err := lib.svc.EnsureDefault(ctx, seedPassword); err != nil {
		return err
	}
	a, err := lib.svc.AccountByName(ctx, library.DefaultAccount)
	if err != nil {
		return err
	}
	var users []int64
	for _, login := range seedUsers {
		pw, email := seedPassword, login+"@example.com"
		u, err := lib.svc.AddUser(ctx, a.Name, library.UserChanges{Login: &login, Email: &email, Password: &pw})
		if damask.ErrorCode(err) == damask.EINVALID { // made by an earlier seed
			var c library.Caller
			c, err = caller(ctx, lib, login)
			u = c.User
		}
		if err != nil {
			return fmt.Errorf("uploader %s: %w", login, err)
		}
		users = append(users, u.ID)
	}
	start := time.Now()
	cat := synth.New(seed, users, n, start)
	const batch = 10000
	for i := 0; i < n; i += batch {
		as := make([]*damask.Asset, 0, batch)
		for j := i; j < min(i+batch, n); j++ {
			as = append(as, cat.Asset(j, a.ID))
		}
		if err := lib.db.CreateAssets(ctx, as); err != nil {
			return err
		}
		fmt.Fprintf(env.stderr, "\rseeded %d of %d", min(i+batch, n), n)
	}
	fmt.Fprintf(env.stderr, "\n")
	fmt.Fprintf(env.stdout, "Made %d assets in %.1f s (%.0f a second). They have no files: downloads and check will miss them.\n",
		n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	return nil
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
// on every request, as clients do) and through the library without HTTP,
// alternating, and prints p50 and p95 of each.
func benchSearch(ctx context.Context, env environment, lib *openLibrary, seed uint64, runs int) error {
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
	cases := []searchCase{
		{"rare word", q("query", cat.Word(30000))},
		{"common word", q("query", common)},
		{"two words", q("query", cat.Word(3)+" "+cat.Word(12))},
		{"prefix", q("query", cat.Word(40)[:3]+"*")},
		{"one tag", q("tags", cat.Tag(20))},
		{"two tags", q("tags", cat.Tag(2)+","+cat.Tag(15))},
		{"word + tag", q("query", cat.Word(8), "tags", cat.Tag(5))},
		{"field filter", q("query", "camera:canon type:image")},
		{"numeric filter", q("query", "size>100MB")},
		{"newest first", q()},
		{"deep page (offset 10,000)", q("query", common, "sort", "-created_on", "page", "401")},
	}
	// The keyset page at the same depth: the cursor that page 400 hands out.
	deep, err := lib.svc.Assets(ctx, c, library.AssetQuery{Query: common, Sort: "-created_on", Page: damask.Page{Number: 400, Size: 25}})
	if err != nil {
		return err
	}
	cases = append(cases, searchCase{"keyset page (same depth)", q("query", common, "sort", "-created_on", "cursor", deep.Next)})

	defer countBench(ctx, env, lib, c, common, runs)

	srv := httptest.NewServer(httpapi.New(lib.svc, httpapi.Config{}))
	defer srv.Close()
	client := srv.Client()
	client.Transport.(*http.Transport).MaxIdleConnsPerHost = 4

	fmt.Fprintf(env.stdout, "| query | matches | API p50 | API p95 | library p50 | library p95 | API overhead (p50) |\n|---|---|---|---|---|---|---|\n")
	for _, sc := range cases {
		aq := library.AssetQuery{Query: sc.params.Get("query"), Tags: sc.params.Get("tags"), Sort: sc.params.Get("sort"),
			Cursor: sc.params.Get("cursor"), Page: damask.Page{Number: 1, Size: 25}}
		if p := sc.params.Get("page"); p != "" {
			fmt.Sscan(p, &aq.Page.Number)
		}
		var api, direct []time.Duration
		total := 0
		for i := range runs + 5 {
			t0 := time.Now()
			l, err := lib.svc.Assets(ctx, c, aq)
			d := time.Since(t0)
			if err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			total = l.Total
			t0 = time.Now()
			if err := get(ctx, client, srv.URL+"/api/assets.xml?"+sc.params.Encode()); err != nil {
				return fmt.Errorf("%s: %w", sc.name, err)
			}
			if i >= 5 { // the first runs warm the caches
				api, direct = append(api, time.Since(t0)), append(direct, d)
			}
		}
		fmt.Fprintf(env.stdout, "| %s | %d | %s | %s | %s | %s | %s |\n", sc.name, total,
			ms(pct(api, 50)), ms(pct(api, 95)), ms(pct(direct, 50)), ms(pct(direct, 95)), ms(pct(api, 50)-pct(direct, 50)))
	}
	return nil
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
	fmt.Fprintf(env.stdout, "| exact count of the common word (store) | %d | | | %s | %s | |\n", n, ms(pct(ds, 50)), ms(pct(ds, 95)))
}
