package hardening

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"slices"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/servertest"
	"damask/synth"
)

// Item 40 of RELIABILITY.md, "Found from outside": the costliest queries
// of the search language.

// TestR40_SearchCost: the queries that once cost seconds among 100,000
// assets (one-letter prefixes by the dozen, hidden ones as in IMG_2*,
// many prefixes, deep OR trees, each as a list and as facets) are refused
// with 422 naming the limit; four clients sending the heaviest query
// still allowed, as lists and facets, of one user or of two, get answers
// (200, or 429 with Retry-After past the two searches a user may run at
// once, or 422 past the time limit), never a 5xx, while another account's
// GET /api/assets/ID.xml keeps answering; and a search past the time
// limit answers 422 saying so.
func TestR40_SearchCost(t *testing.T) {
	const domain = "r40.test"
	// --rate 0: every 429 here is the cap on searches at once, not the
	// request rate.
	l := start(t, "--domain", domain, "--rate", "0")
	bin := servertest.Build(t)
	// A catalogue of the default account, beside the running server, with
	// its uploaders ann, bob, ... (password seed-password).
	if out, err := servertest.Command(t, bin, nil, "dev", "seed", "--assets", "3000", "--data", l.data); err != nil {
		t.Fatalf("dev seed: %v\n%s", err, out)
	}
	ann := l.admin
	ann.Login, ann.PW = "ann", "seed-password"
	other := l.createAccount(t, "other", domain)
	body, ct := servertest.Multipart("note.txt", []byte("a note of the other account"), "title", "Note")
	id := idOf(t, other.Must(http.StatusCreated, "POST", "/api/assets.json", ct, body))
	otherGET := "/api/assets/" + id + ".xml"

	search := func(path, q string, kv ...string) string {
		v := url.Values{"query": {q}}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Set(kv[i], kv[i+1])
		}
		return path + "?" + v.Encode()
	}
	letters := func(n int, suffix, sep string) string {
		var ws []string
		for c := range n {
			ws = append(ws, string(rune('a'+c))+suffix)
		}
		return strings.Join(ws, sep)
	}
	// The heaviest query the language allows over the catalogue, by
	// measurement.
	heaviest := synth.New(1, []int64{0}, 1, time.Now()).CostliestQuery()

	t.Run("refused", func(t *testing.T) {
		deep := "ph*"
		for i := range 17 {
			deep = fmt.Sprintf("(w%d OR %s)", i, deep)
		}
		for _, tc := range []struct{ name, q, limit string }{
			{"one-letter prefix", "a*", "at least 2 letters or digits right before it"},
			{"26 one-letter prefixes", letters(26, "*", " "), "at least 2 letters or digits right before it"},
			{"26 one-letter prefixes, OR", letters(26, "*", " OR "), "at least 2 letters or digits right before it"},
			{"one-letter prefixes, excluded", "photo " + letters(25, "*", " -"), "at least 2 letters or digits right before it"},
			{"a hidden one-letter prefix", "IMG_2*", "at least 2 letters or digits right before it"},
			{"a one-letter prefix of a field", "title:s*", "at least 2 letters or digits right before it"},
			{"nine prefixes", strings.Join(strings.Fields("ph* im* th* an* to* in* fo* wi* be*"), " OR "), "more than 8 words ending in"},
			{"nine prefixes beside a size", "(ph* OR size>1) (im* OR size>1) (th* OR size>1) (an* OR size>1) " +
				"(to* OR size>1) (in* OR size>1) (fo* OR size>1) (wi* OR size>1) (be* OR size>1)", "more than 8 words ending in"},
			{"65 terms, 9 of them prefixes", heaviest + " OR wi*", "more than 64 terms"},
			{"65 words OR", letters(26, "x", " OR ") + " OR " + letters(26, "y", " OR ") + " OR " + letters(13, "z", " OR "), "more than 64 terms"},
			{"an OR tree 17 deep", deep, "nested more than 16 deep"},
			{"a query of 1001 bytes", strings.Repeat("ab ", 333) + "ab", "longer than 1000 bytes"},
		} {
			for _, path := range []string{"/api/assets.json", "/api/assets/facets.json"} {
				st, b := ann.Do("GET", search(path, tc.q), "", nil)
				if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), tc.limit) {
					t.Errorf("%s, %s: %d %.200s, want 422 saying %q", tc.name, path, st, b, tc.limit)
				}
			}
		}
		// What the limits leave stays open to people: two-letter prefixes,
		// eight of them.
		for _, q := range []string{"ph*", "photo su* -dr*", heaviest} {
			if st, b := ann.Do("GET", search("/api/assets.json", q), "", nil); st != http.StatusOK {
				t.Errorf("%q: %d %.200s, want 200", q, st, b)
			}
		}
	})

	get := func(c servertest.Client, path string) (int, http.Header, string, time.Duration) {
		req, err := http.NewRequest("GET", l.URL(path), nil)
		if err != nil {
			return 0, nil, err.Error(), 0
		}
		if c.Host != "" {
			req.Host = c.Host
		}
		req.SetBasicAuth(c.Login, c.PW)
		t0 := time.Now()
		res, err := c.HTTP.Do(req)
		if err != nil {
			return 0, nil, err.Error(), time.Since(t0)
		}
		defer res.Body.Close()
		b, _ := io.ReadAll(res.Body)
		return res.StatusCode, res.Header, string(b), time.Since(t0)
	}
	fetchOther := func(t *testing.T, n int) []time.Duration {
		var ds []time.Duration
		for range n {
			st, _, b, d := get(other, otherGET)
			// Generous: a loaded machine running -race; the point is that
			// it answers, not how fast.
			if st != http.StatusOK || d > 15*time.Second {
				t.Errorf("another account's GET %s: %d after %s: %s", otherGET, st, d, b)
			}
			ds = append(ds, d)
		}
		return ds
	}
	bob := ann
	bob.Login = "bob"
	paths := []string{search("/api/assets/facets.json", heaviest), search("/api/assets.json", heaviest, "sort", "title"),
		search("/api/assets.json", heaviest)}
	// Four clients at once: of one user, whom the cap of 2 searches at
	// once holds back, and of two, whom the server's own cap makes wait
	// their turns.
	for _, tc := range []struct {
		name    string
		clients []servertest.Client
	}{
		{"four clients of one user", []servertest.Client{ann, ann, ann, ann}},
		{"four clients of two users", []servertest.Client{ann, bob, ann, bob}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			alone := fetchOther(t, 10)
			var (
				stop    atomic.Bool
				wg      sync.WaitGroup
				mu      sync.Mutex
				answers = map[int]int{}
			)
			for i, c := range tc.clients {
				wg.Add(1)
				go func() {
					defer wg.Done()
					for n := i; !stop.Load(); n++ {
						st, h, b, _ := get(c, paths[n%len(paths)])
						mu.Lock()
						answers[st]++
						mu.Unlock()
						switch st {
						case http.StatusOK, http.StatusNotFound:
						case http.StatusTooManyRequests:
							if h.Get("Retry-After") == "" || !strings.Contains(b, "at most 2 per user") {
								t.Errorf("429 without Retry-After or the cap: %v %s", h, b)
							}
						case http.StatusUnprocessableEntity: // cut off by the time limit
							if !strings.Contains(b, "took longer than") {
								t.Errorf("422: %s", b)
							}
						default:
							t.Errorf("the heaviest query: %d %s", st, b)
							return
						}
					}
				}()
			}
			// The attack runs until the other account has been served
			// meanwhile (and, for one user, the cap has shown).
			var attacked []time.Duration
			deadline := time.Now().Add(2 * time.Minute)
			for {
				attacked = append(attacked, fetchOther(t, 5)...)
				mu.Lock()
				capped, found := answers[http.StatusTooManyRequests], answers[http.StatusOK]+answers[http.StatusNotFound]
				mu.Unlock()
				oneUser := tc.clients[1] == tc.clients[0]
				if len(attacked) >= 20 && found > 0 && (capped > 0 || !oneUser) || time.Now().After(deadline) || t.Failed() {
					break
				}
			}
			stop.Store(true)
			wg.Wait()
			t.Logf("another account's GET p50: %s alone, %s under attack; the attack's answers by status: %v",
				p50(alone), p50(attacked), answers)
			if tc.clients[1] == tc.clients[0] && answers[http.StatusTooManyRequests] == 0 {
				t.Errorf("four clients of one user never met the cap of 2 searches at once: %v", answers)
			}
			if answers[http.StatusOK]+answers[http.StatusNotFound] == 0 {
				t.Errorf("no search of the attack answered: %v", answers)
			}
		})
	}
	l.CheckLog()

	t.Run("time limit", func(t *testing.T) {
		// A limit no search can meet: each is stopped, and says why.
		cut := start(t, "--search-timeout", "1ns")
		for _, path := range []string{search("/api/assets.json", "ph*"), search("/api/assets/facets.json", ""),
			"/api/assets.xml?sort=title"} {
			st, b := cut.admin.Do("GET", path, "", nil)
			if st != http.StatusUnprocessableEntity || !strings.Contains(string(b), "The search took longer than 1ns and was stopped") {
				t.Errorf("%s: %d %s, want 422 saying the search took too long", path, st, b)
			}
		}
		cut.CheckLog()
	})
}

func p50(ds []time.Duration) time.Duration {
	if len(ds) == 0 {
		return 0
	}
	s := slices.Clone(ds)
	slices.Sort(s)
	return s[len(s)/2]
}
