package library

import (
	"context"
	"fmt"
	"sync"

	"damask"
)

// What every request's sign-in reads (its account, its user or token, the
// throttle's counters) is kept in memory, each entry under the generation
// counts (damask.Generation) read before the rows it holds. A request reads
// the counts, one small read, and uses an entry only when they are still
// the same: any change of an account, a user or a token, by this process,
// another server or the command line beside the server, changes them, so
// that it takes effect on the very next request. An entry is filled only
// from rows read after the counts it is kept under; a change committed in
// between changes the counts too, and the entry is then never used.

// genKey keeps a request's generation counts in its context.
type genKey struct{}

// WithGeneration reads the generation counts once for a request, so that
// its account, its caller and the throttle are checked against one read
// instead of one each. Without it each of them reads the counts. It is
// meant for the checks at the start of a request: a change the request
// makes afterwards is not seen through it.
func (s *Service) WithGeneration(ctx context.Context) (context.Context, error) {
	g, err := s.store.Generation(ctx)
	if err != nil {
		return ctx, fmt.Errorf("read generation: %w", err)
	}
	return context.WithValue(ctx, genKey{}, g), nil
}

// DataStamp answers the stamp of the store's contents that the request's
// generation counts came with (damask.Generation.Data; WithGeneration), 0
// when there is none. An answer computed from the store after the counts
// were read may be kept under the stamp and given again to a request of
// the same caller that comes with the same stamp: nothing was committed
// in between, so that the service would answer the same.
func DataStamp(ctx context.Context) int64 {
	g, _ := ctx.Value(genKey{}).(damask.Generation)
	return g.Data
}

// generation answers the counts of the request, or reads them.
func (s *Service) generation(ctx context.Context) (damask.Generation, error) {
	if g, ok := ctx.Value(genKey{}).(damask.Generation); ok {
		return g, nil
	}
	g, err := s.store.Generation(ctx)
	if err != nil {
		return g, fmt.Errorf("read generation: %w", err)
	}
	return g, nil
}

// authCacheMax bounds each map of the cache; a full map is emptied, which
// costs only reads.
const authCacheMax = 10000

// authCache keeps accounts by name, tokens by the hash of their secret
// and the throttle's answers, for one auth count at a time: entries of
// another count are dropped when a request brings a new one.
type authCache struct {
	mu       sync.Mutex
	auth     int64 // the auth count of accounts and tokens
	accounts map[string]*damask.Account
	tokens   map[[32]byte]tokenEntry
	// clear holds, per account, name and source, the failures count at
	// which their counters were below the limit. Counters only fall as
	// time passes and every failure recorded changes the count, so that
	// the answer holds for as long as the count stays the same.
	clear map[clearKey]int64
}

// clearKey names the throttle's counters of one try: its account, the
// family of counters, the name tried (lower case) and the source.
type clearKey struct {
	account      int64
	kind         throttleKind
	name, source string
}

// tokenEntry is a live token and its user.
type tokenEntry struct {
	token *damask.Token
	user  *damask.User
}

func newAuthCache() *authCache {
	return &authCache{
		accounts: make(map[string]*damask.Account),
		tokens:   make(map[[32]byte]tokenEntry),
		clear:    make(map[clearKey]int64),
	}
}

// at empties the entries kept under another auth count than g's. The
// caller holds mu.
func (c *authCache) at(g damask.Generation) {
	if c.auth != g.Auth {
		c.auth = g.Auth
		clear(c.accounts)
		clear(c.tokens)
	}
}

func (c *authCache) account(g damask.Generation, name string) (*damask.Account, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(g)
	a, ok := c.accounts[name]
	if !ok {
		return nil, false
	}
	cp := *a // callers may change their account
	return &cp, true
}

func (c *authCache) putAccount(g damask.Generation, name string, a *damask.Account) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(g)
	if len(c.accounts) >= authCacheMax {
		clear(c.accounts)
	}
	cp := *a
	c.accounts[name] = &cp
}

func (c *authCache) token(g damask.Generation, hash [32]byte) (*damask.Token, *damask.User, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(g)
	e, ok := c.tokens[hash]
	if !ok {
		return nil, nil, false
	}
	t, u := *e.token, *e.user
	return &t, &u, true
}

func (c *authCache) putToken(g damask.Generation, hash [32]byte, t *damask.Token, u *damask.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.at(g)
	if len(c.tokens) >= authCacheMax {
		clear(c.tokens)
	}
	tc, uc := *t, *u
	c.tokens[hash] = tokenEntry{token: &tc, user: &uc}
}

func (c *authCache) isClear(g damask.Generation, key clearKey) bool {
	c.mu.Lock()
	defer c.mu.Unlock()
	f, ok := c.clear[key]
	return ok && f == g.Failures
}

func (c *authCache) putClear(g damask.Generation, key clearKey) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.clear) >= authCacheMax {
		clear(c.clear)
	}
	c.clear[key] = g.Failures
}
