package library

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"strconv"
	"sync"
	"time"

	"damask"
	"damask/password"
)

// Authenticate finds the enabled user of the account whose login or
// e-mail and password these are: a password only, never an API token, so
// that a token cannot start a web session. Unknown logins and wrong
// passwords take the same path (a dummy hash is checked) and answer the
// same EUNAUTHORIZED, so that no answer tells whether a login exists.
// After too many failures from one source or for one user (whether named
// by login or by e-mail address), it answers ETHROTTLED with the wait,
// the right password included.
//
// A verified password is remembered for a while, keyed by an HMAC of the
// credentials under a per-process key, so that Basic auth on every API
// request does not pay for argon2id each time. The entry holds the user
// and the auth generation count it was read under (see authcache.go); it
// is used only while the count is the same, else the user is read afresh
// and must still have the hash it was verified against and be enabled: a
// changed password or a disabled user misses at once, whichever process
// made the change.
func (s *Service) Authenticate(ctx context.Context, a *damask.Account, login, pw, source string) (*damask.User, error) {
	return s.password(ctx, a, login, pw, source, "")
}

// AuthenticateBasic finds the caller of an API request with HTTP Basic
// auth: a login or e-mail, and the password or one of the user's API
// tokens, so that old clients can use a token. A token's user must be the
// one the login names, and the caller then carries the token. A live
// token is recognised before the throttle is asked: a guesser who holds
// back a user's password sign-ins does not stop the user's tokens, which
// cannot be guessed. Failures are answered, recorded and throttled as in
// Authenticate.
func (s *Service) AuthenticateBasic(ctx context.Context, a *damask.Account, login, secret, source string) (Caller, error) {
	why := ""
	if tokenShaped(secret) {
		t, u, reason, err := s.liveToken(ctx, a, secret)
		if err != nil {
			return Caller{}, fmt.Errorf("authenticate: %w", err)
		}
		if t != nil {
			named, err := s.store.UserByLogin(ctx, a.ID, login)
			if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
				return Caller{}, fmt.Errorf("authenticate: %w", err)
			}
			if named != nil && named.ID == u.ID {
				return Caller{Account: a, User: u, Source: source, Token: t}, nil
			}
			reason = tokenTarget(t) + " sent with another login"
		}
		// Not a usable token; it may still be a password that happens
		// to look like one, checked like any other.
		why = reason
	}
	u, err := s.password(ctx, a, login, secret, source, why)
	if err != nil {
		return Caller{}, err
	}
	return Caller{Account: a, User: u, Source: source}, nil
}

// password checks a login's password, through the cache of verified
// credentials, once the throttle lets the try go ahead; a failure is
// recorded with the detail why. The throttle counts per user, found by
// login or e-mail address alike, so that a guesser gets 20 tries at a
// user and not 20 at each of its names; a login that finds no user is
// counted under what was typed, after the same lookup, so that a known
// and an unknown login take the same path.
func (s *Service) password(ctx context.Context, a *damask.Account, login, pw, source, why string) (*damask.User, error) {
	g, err := s.generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	key := s.creds.key(a.ID, login, pw)
	for {
		if u := s.remembered(ctx, g, a, key); u != nil {
			if err := s.throttleCheck(ctx, a.ID, signIns, signInName(u, login), source); err != nil {
				return nil, err
			}
			return u, nil
		}
		// Requests with the same credentials at once (a client's first
		// uploads, four at a time) wait for one verification instead of
		// paying argon2id each; after a failed one each verifies its own.
		done, err := s.creds.verifying(ctx, key)
		if err != nil {
			return nil, fmt.Errorf("authenticate: %w", err)
		}
		if done != nil {
			defer done()
			break
		}
	}
	u, err := s.store.UserByLogin(ctx, a.ID, login)
	if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
		return nil, fmt.Errorf("authenticate: %w", err)
	}
	name := signInName(u, login)
	if err := s.throttleCheck(ctx, a.ID, signIns, name, source); err != nil {
		return nil, err
	}
	hash := s.dummy()
	if u != nil {
		hash = u.PasswordHash
	}
	if s.onVerify != nil {
		s.onVerify()
	}
	ok, verr := password.Verify(pw, hash)
	if u == nil || !ok || verr != nil || u.Disabled {
		return nil, s.failed(ctx, a, login, name, source, why, "Wrong login or password")
	}
	s.creds.put(key, g.Auth, u)
	return u, nil
}

// remembered answers the user of credentials verified lately (the cache's
// key), while the user still has the hash they were verified against and
// is enabled; nil when they must be verified.
func (s *Service) remembered(ctx context.Context, g damask.Generation, a *damask.Account, key [32]byte) *damask.User {
	e, ok := s.creds.get(key)
	if !ok {
		return nil
	}
	if e.auth == g.Auth {
		u := *e.user
		return &u
	}
	u, err := s.store.User(ctx, a.ID, e.user.ID)
	if err == nil && u.PasswordHash == e.user.PasswordHash && !u.Disabled {
		s.creds.put(key, g.Auth, u)
		return u
	}
	s.creds.drop(key)
	return nil
}

// signInName is the throttle's name for whom a password sign-in names:
// its user when the login or e-mail address finds one, else what was
// typed (without regard to case, as logins are found).
func signInName(u *damask.User, login string) string {
	if u != nil {
		return "user\x00" + strconv.FormatInt(u.ID, 10)
	}
	return "login\x00" + login
}

// failed records a failed sign-in and counts it in the throttle under the
// name and the source, and answers the error for the client:
// EUNAUTHORIZED with msg, or ETHROTTLED once this failure reaches the
// limit. Under attack this writes an event a try until the throttle holds
// the source back; the login is kept, a password or a secret never.
func (s *Service) failed(ctx context.Context, a *damask.Account, login, name, source, detail, msg string) error {
	s.record(ctx, Caller{Account: a, Source: source}, damask.AuditSignInFailed, "login "+truncateRunes(login, 64), detail)
	if wait, err := s.throttleFail(ctx, a.ID, signIns, name, source); err != nil {
		return err
	} else if wait > 0 {
		return throttled(wait)
	}
	return damask.Errorf(damask.EUNAUTHORIZED, "%s", msg)
}

func throttled(wait time.Duration) error {
	return &damask.Error{Code: damask.ETHROTTLED, Message: "Too many failed sign-ins; try again later",
		Err: &retryAfter{wait}}
}

// retryAfter carries the wait inside a throttled error's chain.
type retryAfter struct{ d time.Duration }

func (r *retryAfter) Error() string { return fmt.Sprintf("retry after %s", r.d) }

// RetryAfter is the wait a throttled error asks for, or 0.
func RetryAfter(err error) time.Duration {
	var r *retryAfter
	if errors.As(err, &r) {
		return r.d
	}
	return 0
}

// credCache remembers verified credentials for credTTL.
type credCache struct {
	secret []byte
	// macs are HMAC-SHA256 states under secret, reset and reused: a new
	// one per request cost more than the rest of a cached sign-in.
	macs sync.Pool
	mu   sync.Mutex
	m    map[[32]byte]credEntry
	// inflight holds the credentials being verified, each with a channel
	// closed when the verification ends (verifying).
	inflight map[[32]byte]chan struct{}
}

// credEntry is the user whose password was verified, as read under the
// auth generation count auth; the user's hash is the one verified.
type credEntry struct {
	user    *damask.User
	auth    int64
	expires time.Time
}

const (
	credTTL     = 5 * time.Minute
	credMaxSize = 10000
)

func newCredCache() *credCache {
	secret := make([]byte, 32)
	rand.Read(secret) // never fails on Linux; a zero key would only weaken a cache kept in memory
	c := &credCache{secret: secret, m: make(map[[32]byte]credEntry), inflight: make(map[[32]byte]chan struct{})}
	c.macs.New = func() any { return &credMAC{h: hmac.New(sha256.New, secret)} }
	return c
}

// credMAC is a reusable HMAC state and the buffer its input is put in.
type credMAC struct {
	h   hash.Hash
	buf []byte
	sum [sha256.Size]byte
}

// key is the HMAC of the account, the login (its length first, so that
// no two pairs of login and password give the same input) and the
// password.
func (c *credCache) key(account int64, login, pw string) [32]byte {
	m := c.macs.Get().(*credMAC)
	b := strconv.AppendInt(m.buf[:0], account, 10)
	b = append(b, 0)
	b = strconv.AppendInt(b, int64(len(login)), 10)
	b = append(b, ':')
	b = append(b, login...)
	b = append(b, 0)
	b = append(b, pw...)
	m.h.Reset()
	m.h.Write(b)
	var k [32]byte
	copy(k[:], m.h.Sum(m.sum[:0]))
	clear(b) // the password does not stay in the pool
	m.buf = b[:0]
	c.macs.Put(m)
	return k
}

// verifying marks the credentials k as being verified by the caller, who
// calls done once the outcome is in the cache (or known to be a failure).
// When another request is verifying them already, it waits for that one
// to end (or for ctx) and answers a nil done: the caller looks in the
// cache again.
func (c *credCache) verifying(ctx context.Context, k [32]byte) (done func(), err error) {
	c.mu.Lock()
	if ch, ok := c.inflight[k]; ok {
		c.mu.Unlock()
		select {
		case <-ch:
			return nil, nil
		case <-ctx.Done():
			return nil, ctx.Err()
		}
	}
	ch := make(chan struct{})
	c.inflight[k] = ch
	c.mu.Unlock()
	return func() {
		c.mu.Lock()
		delete(c.inflight, k)
		c.mu.Unlock()
		close(ch)
	}, nil
}

func (c *credCache) get(k [32]byte) (credEntry, bool) {
	c.mu.Lock()
	defer c.mu.Unlock()
	e, ok := c.m[k]
	if !ok || time.Now().After(e.expires) {
		return credEntry{}, false
	}
	return e, true
}

// put remembers u, a copy of it, as read under the count auth; an entry
// renewed this way keeps its expiry, so that a password is verified again
// at least every credTTL.
func (c *credCache) put(k [32]byte, auth int64, u *damask.User) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.m) >= credMaxSize {
		clear(c.m)
	}
	cp := *u
	expires := time.Now().Add(credTTL)
	if e, ok := c.m[k]; ok && e.user.ID == u.ID && time.Now().Before(e.expires) {
		expires = e.expires
	}
	c.m[k] = credEntry{user: &cp, auth: auth, expires: expires}
}

func (c *credCache) drop(k [32]byte) {
	c.mu.Lock()
	defer c.mu.Unlock()
	delete(c.m, k)
}
