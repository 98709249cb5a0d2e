package hardening

import (
	"database/sql"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"

	"damask/oidctest"

	_ "github.com/mattn/go-sqlite3"
)

// What anonymous requests make the server keep: RELIABILITY.md item 43.

// tableRows counts the rows of every table of the library's database,
// read beside the running server.
func (l *library) tableRows(t *testing.T) map[string]int {
	t.Helper()
	db, err := sql.Open("sqlite3", "file:"+filepath.Join(l.data, "damask.db")+"?mode=ro")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	rows, err := db.Query(`SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'`)
	if err != nil {
		t.Fatal(err)
	}
	var names []string
	for rows.Next() {
		var n string
		if err := rows.Scan(&n); err != nil {
			t.Fatal(err)
		}
		names = append(names, n)
	}
	rows.Close()
	counts := map[string]int{}
	for _, n := range names {
		var c int
		if err := db.QueryRow(`SELECT count(*) FROM "` + n + `"`).Scan(&c); err != nil {
			t.Fatalf("count %s: %v", n, err)
		}
		counts[n] = c
	}
	return counts
}

// grown answers the tables that have more rows in after than in before,
// with how many more, and the total.
func grown(before, after map[string]int) (string, int) {
	var s []string
	total := 0
	for n, c := range after {
		if d := c - before[n]; d > 0 {
			s = append(s, fmt.Sprintf("%s +%d", n, d))
			total += d
		}
	}
	return strings.Join(s, ", "), total
}

// flood sends n requests made by req from one address (the test's), 8 at
// once, without cookies, and counts the answers by status.
func flood(t *testing.T, n int, req func(i int) *http.Request) map[int]int {
	t.Helper()
	c := &http.Client{CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	var mu sync.Mutex
	statuses := map[int]int{}
	var next atomic.Int64
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for i := int(next.Add(1)); i <= n; i = int(next.Add(1)) {
				res, err := c.Do(req(i))
				if err != nil {
					t.Errorf("request %d: %v", i, err)
					return
				}
				io.Copy(io.Discard, res.Body)
				res.Body.Close()
				mu.Lock()
				statuses[res.StatusCode]++
				mu.Unlock()
			}
		})
	}
	wg.Wait()
	return statuses
}

// TestR43_AnonymousState: anonymous requests sent by the thousand from one
// address: OpenID sign-in starts (the server once kept a row for each),
// starts while the provider fails, forged provider answers, public-link
// guesses and password sign-ins with made-up logins. No table grows but
// by the throttle's bounded count, and the provider is not flooded.
// (Damask has no share passwords nor public upload forms: the public link
// is the anonymous door it has.)
func TestR43_AnonymousState(t *testing.T) {
	l := start(t, "--allow-outgoing", "127.0.0.1/32")
	op := oidctest.StartBad(t)
	if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusOK {
		t.Fatalf("set the provider: %d: %s", st, body)
	}
	const n = 3000
	get := func(path string) func(int) *http.Request {
		return func(i int) *http.Request {
			r, _ := http.NewRequest("GET", l.URL(strings.ReplaceAll(path, "{i}", strconv.Itoa(i))), nil)
			return r
		}
	}

	t.Run("sign-in starts", func(t *testing.T) {
		before, discovery := l.tableRows(t), op.Requests("/.well-known/openid-configuration")
		rss0, _ := serverMemory(t, l.Server)
		st := flood(t, n, get("/auth/oidc"))
		if st[http.StatusFound] != n {
			t.Errorf("answers %v, want %d redirects to the provider", st, n)
		}
		rss1, _ := serverMemory(t, l.Server)
		t.Logf("%d sign-in starts: server memory %d -> %d MiB", n, rss0>>20, rss1>>20)
		if g, total := grown(before, l.tableRows(t)); total > 0 {
			t.Errorf("sign-in starts grew tables: %s", g)
		}
		if asked := op.Requests("/.well-known/openid-configuration") - discovery; asked > 1 {
			t.Errorf("the provider's discovery document was read %d times for %d starts", asked, n)
		}
		if rss1-rss0 > 64<<20 {
			t.Errorf("the server grew by %d MiB", (rss1-rss0)>>20)
		}
	})

	t.Run("starts while the provider fails", func(t *testing.T) {
		// A provider good when set, whose document then names another
		// issuer: every start fails, and may not ask it each time.
		op := oidctest.StartBad(t)
		if st, body := putOIDC(t, l.admin, op.URL); st != http.StatusOK {
			t.Fatalf("set the provider: %d: %s", st, body)
		}
		op.SetEndpoint("issuer", "https://another.example")
		before, discovery := l.tableRows(t), op.Requests("/.well-known/openid-configuration")
		st := flood(t, 1000, get("/auth/oidc"))
		if st[http.StatusUnauthorized] != 1000 {
			t.Errorf("answers %v, want 1000 refusals", st)
		}
		// A minute apart at most: the test may straddle one.
		if asked := op.Requests("/.well-known/openid-configuration") - discovery; asked > 2 {
			t.Errorf("the failing provider was asked %d times for 1000 starts", asked)
		}
		if g, total := grown(before, l.tableRows(t)); total > 0 {
			t.Errorf("failed starts grew tables: %s", g)
		}
	})

	t.Run("public link guesses", func(t *testing.T) {
		id := strconv.FormatInt(l.upload(t, "kept.txt", "", []byte("kept")).ID, 10)
		waitProcessed(t, l.admin, id) // its rows stay still from now on
		l.admin.Form(http.StatusOK, "PUT", "/api/assets/"+id+".json", "", nil, "public_link", "true")
		before := l.tableRows(t)
		st := flood(t, n, get("/p/"+id+"-guess{i}aaaaaaaaaaaaaaaaaaaaaa"))
		if st[http.StatusNotFound] != n {
			t.Errorf("answers %v, want %d not found", st, n)
		}
		if g, total := grown(before, l.tableRows(t)); total > 0 {
			t.Errorf("public link guesses grew tables: %s", g)
		}
	})

	// The forged answers and the sign-ins share the address's throttle:
	// 20 failures, then every try is held back without a trace.
	t.Run("forged answers and sign-ins", func(t *testing.T) {
		before := l.tableRows(t)
		st := flood(t, n, get("/auth/oidc/callback?state=forged{i}&code=forged{i}&error_description=spam{i}"))
		st2 := flood(t, n/3, get("/auth/oidc/callback?error=access_denied&error_description=spam{i}"))
		b := l.browser(t, "")
		csrf := b.csrf(b.get("/signin"))
		st3 := map[int]int{}
		for i := range 200 {
			res := b.post("/signin", url.Values{"csrf": {csrf}, "login": {"nobody-" + strconv.Itoa(i)}, "password": {"guess"}})
			st3[res.status]++
		}
		t.Logf("forged answers %v, provider errors %v, sign-ins %v", st, st2, st3)
		if st[http.StatusTooManyRequests] < n-20 || st2[http.StatusTooManyRequests] != n/3 || st3[http.StatusTooManyRequests] != 200 {
			t.Errorf("the address was not held back after 20 failures")
		}
		g, total := grown(before, l.tableRows(t))
		t.Logf("rows added: %s", g)
		// 20 audit events (a few more: 8 requests race the count) and
		// the address's counter; nothing per try.
		if total > 30 {
			t.Errorf("%d anonymous failures added %d rows: %s", 2*n, total, g)
		}
	})
	l.CheckLog()
}
