package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base32"
	"fmt"
	"strings"
	"time"

	"damask"
)

// A token's secret is TokenPrefix and 40 characters of base32: 200 random
// bits from crypto/rand.
const (
	TokenPrefix   = "dmk_"
	tokenChars    = 40
	tokenLen      = len(TokenPrefix) + tokenChars
	displayPrefix = 8 // characters of the secret kept for display

	// maxTokens is how many live tokens a user may have.
	maxTokens = 100
	// tokenTouchEvery is how often the last use of a token is written: a busy
	// client must not cost a write on every request.
	tokenTouchEvery = time.Minute
)

var tokenEncoding = base32.StdEncoding.WithPadding(base32.NoPadding)

// newTokenSecret makes a token's secret.
func newTokenSecret() string {
	b := make([]byte, tokenChars*5/8)
	rand.Read(b) // never fails (crypto/rand panics rather than answer less)
	return TokenPrefix + tokenEncoding.EncodeToString(b)
}

// tokenShaped tells whether s looks like a secret newTokenSecret makes, so that
// a password is never looked up as a token for nothing.
func tokenShaped(s string) bool {
	if len(s) != tokenLen || !strings.HasPrefix(s, TokenPrefix) {
		return false
	}
	for _, c := range s[len(TokenPrefix):] {
		if !(c >= 'A' && c <= 'Z' || c >= '2' && c <= '7') {
			return false
		}
	}
	return true
}

// TokenInput are the fields of a new token.
type TokenInput struct {
	Name     string
	ReadOnly bool
	// ExpiresAt is when the token stops working; zero: never, unless
	// ExpiresInDays counts days from now.
	ExpiresAt     time.Time
	ExpiresInDays int
}

// maxTokenDays is the furthest ExpiresInDays reaches: a hundred years.
const maxTokenDays = 36500

// CreateToken makes an API token for the caller and answers it with its
// secret, which is shown this once and never kept. Every role may, when
// signed in with a password: a token may not make tokens, or it could
// outlive its own revocation or raise a read-only scope. Errors: EFORBIDDEN
// for a token, EINVALID for a blank or long name, an expiry in the past or
// too many live tokens.
func (s *Service) CreateToken(ctx context.Context, c Caller, in TokenInput, key damask.IdempotencyKey) (t *damask.Token, secret string, replayed bool, err error) {
	if err := require(c, damask.RoleGuest, "create tokens"); err != nil {
		return nil, "", false, err
	}
	if c.Token != nil {
		return nil, "", false, damask.Errorf(damask.EFORBIDDEN, "Tokens cannot create tokens: sign in with your password")
	}
	// The secret is never kept: a replay answers the token without it.
	t, replayed, err = once(ctx, s, c, key, damask.KindToken, func(r *damask.IdempotencyRecord) (*damask.Token, error) {
		return s.Token(ctx, c, r.ID)
	}, func(ctx context.Context) (t *damask.Token, err error) {
		t, secret, err = s.createToken(ctx, c, in)
		return t, err
	})
	return t, secret, replayed, err
}

// createToken is the work of CreateToken, done once per Idempotency-Key.
func (s *Service) createToken(ctx context.Context, c Caller, in TokenInput) (*damask.Token, string, error) {
	name, err := required("Name", in.Name, maxName)
	if err != nil {
		return nil, "", err
	}
	now := s.now()
	if in.ExpiresInDays != 0 {
		if in.ExpiresInDays < 1 || in.ExpiresInDays > maxTokenDays || !in.ExpiresAt.IsZero() {
			return nil, "", damask.Errorf(damask.EINVALID, "Expiry in days must be from 1 to %d, without an expiry time", maxTokenDays)
		}
		in.ExpiresAt = now.Add(time.Duration(in.ExpiresInDays) * 24 * time.Hour)
	}
	if !in.ExpiresAt.IsZero() && !in.ExpiresAt.After(now) {
		return nil, "", damask.Errorf(damask.EINVALID, "Expiry must be in the future")
	}
	if in.ExpiresAt.After(now.Add(maxTokenDays * 24 * time.Hour)) {
		return nil, "", damask.Errorf(damask.EINVALID, "Expiry must be within %d days; leave it out for a token that never expires", maxTokenDays)
	}
	ts, err := s.store.Tokens(ctx, c.Account.ID, c.User.ID)
	if err != nil {
		return nil, "", fmt.Errorf("list tokens: %w", err)
	}
	live := 0
	for _, t := range ts {
		if t.Live(now) {
			live++
		}
	}
	if live >= maxTokens {
		return nil, "", damask.Errorf(damask.EINVALID, "You have %d live tokens, the most allowed: revoke one first", maxTokens)
	}
	secret := newTokenSecret()
	t := &damask.Token{AccountID: c.Account.ID, UserID: c.User.ID, Name: name, ReadOnly: in.ReadOnly,
		Prefix: secret[:displayPrefix], Hash: sha256.Sum256([]byte(secret)), ExpiresAt: in.ExpiresAt.UTC()}
	if err := s.store.CreateToken(ctx, t); err != nil {
		return nil, "", fmt.Errorf("create token: %w", err)
	}
	s.record(ctx, c, damask.AuditTokenCreated, tokenTarget(t), tokenDetail(t))
	return t, secret, nil
}

// Tokens lists the caller's own tokens, revoked and expired ones too,
// newest first.
func (s *Service) Tokens(ctx context.Context, c Caller) ([]*damask.Token, error) {
	ts, err := s.store.Tokens(ctx, c.Account.ID, c.User.ID)
	if err != nil {
		return nil, fmt.Errorf("list tokens: %w", err)
	}
	return ts, nil
}

// Token finds one of the caller's own tokens; another user's is
// ENOTFOUND, as a missing one.
func (s *Service) Token(ctx context.Context, c Caller, id int64) (*damask.Token, error) {
	ts, err := s.Tokens(ctx, c)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, damask.ErrNotFound
}

// RevokeToken ends one of the caller's own tokens at once; revoking it
// again changes nothing. Another user's token is ENOTFOUND, as a missing
// one. A read-write token may revoke tokens, itself included.
func (s *Service) RevokeToken(ctx context.Context, c Caller, id int64) (*damask.Token, error) {
	if err := require(c, damask.RoleGuest, "revoke tokens"); err != nil {
		return nil, err
	}
	now := s.now()
	t, err := s.store.RevokeToken(ctx, c.Account.ID, c.User.ID, id, now)
	if err != nil {
		return nil, fmt.Errorf("revoke token %d: %w", id, err)
	}
	if t.RevokedAt.Equal(now) {
		s.record(ctx, c, damask.AuditTokenRevoked, tokenTarget(t), tokenDetail(t))
	}
	return t, nil
}

func tokenTarget(t *damask.Token) string { return fmt.Sprintf("token %d (%s)", t.ID, t.Prefix) }

func tokenDetail(t *damask.Token) string {
	d := truncateRunes(t.Name, 64)
	if t.ReadOnly {
		d += ", read-only"
	}
	if !t.ExpiresAt.IsZero() {
		d += ", expires " + t.ExpiresAt.Format(time.RFC3339)
	}
	return d
}

// liveToken finds the token whose secret this is and its user, when the
// token may be used now: not revoked, not expired, its user not disabled.
// Otherwise it answers why not, for the audit log, with nil.
func (s *Service) liveToken(ctx context.Context, a *damask.Account, secret string) (*damask.Token, *damask.User, string, error) {
	hash := sha256.Sum256([]byte(secret))
	g, err := s.generation(ctx)
	if err != nil {
		return nil, nil, "", fmt.Errorf("find token: %w", err)
	}
	now := s.now()
	if t, u, ok := s.cache.token(g, hash); ok && t.AccountID == a.ID && t.Live(now) {
		s.touchToken(ctx, g, a, t, u, now)
		return t, u, "", nil
	}
	// The lookup by hash compares a value the client cannot choose (it
	// would have to invert SHA-256), so its timing tells nothing of the
	// stored secrets; the comparison below is constant-time all the same.
	t, err := s.store.TokenByHash(ctx, a.ID, hash)
	switch {
	case damask.ErrorCode(err) == damask.ENOTFOUND:
		return nil, nil, "unknown token", nil
	case err != nil:
		return nil, nil, "", fmt.Errorf("find token: %w", err)
	case subtle.ConstantTimeCompare(t.Hash[:], hash[:]) != 1:
		return nil, nil, "unknown token", nil
	}
	switch {
	case !t.RevokedAt.IsZero():
		return nil, nil, "revoked " + tokenTarget(t), nil
	case !t.Live(now):
		return nil, nil, "expired " + tokenTarget(t), nil
	}
	u, err := s.store.User(ctx, a.ID, t.UserID)
	switch {
	case damask.ErrorCode(err) == damask.ENOTFOUND:
		return nil, nil, "unknown token", nil
	case err != nil:
		return nil, nil, "", fmt.Errorf("token user: %w", err)
	case u.Disabled:
		return nil, nil, "disabled user's " + tokenTarget(t), nil
	}
	s.cache.putToken(g, hash, t, u)
	s.touchToken(ctx, g, a, t, u, now)
	return t, u, "", nil
}

// touchToken records the token's use now and then. Its last use changes
// no generation count, so that the cached token is kept with it.
func (s *Service) touchToken(ctx context.Context, g damask.Generation, a *damask.Account, t *damask.Token, u *damask.User, now time.Time) {
	if now.Sub(t.LastUsedAt) < tokenTouchEvery {
		return
	}
	// A lost write costs only the accuracy of LastUsedAt.
	if err := s.store.TouchToken(ctx, a.ID, t.ID, now); err != nil {
		s.log.Error("token use not recorded", "account", a.ID, "token", t.ID, "err", err)
		return
	}
	t.LastUsedAt = now
	s.cache.putToken(g, t.Hash, t, u)
}

// AuthenticateBearer finds the caller whose API token this is, as sent in
// "Authorization: Bearer". Like Authenticate it answers EUNAUTHORIZED for
// a secret that is unknown, revoked, expired or a disabled user's, writes
// an audit event for it, and counts it in the same throttle (per source
// address; per token prefix in place of a login), answering ETHROTTLED
// past the limit. A live token is recognised before the throttle is
// asked, as in AuthenticateBasic: a user whose password sign-ins are
// held back, or who shares an address with a guesser, keeps the use of
// their tokens.
func (s *Service) AuthenticateBearer(ctx context.Context, a *damask.Account, secret, source string) (Caller, error) {
	// The throttle counts per address; the prefix stands in for a login.
	// Anything that is not shaped like a token (a password sent by
	// mistake, say) is never written to the audit log, even in part.
	key := "token (malformed)"
	why := "malformed token"
	if tokenShaped(secret) {
		key = "token " + secret[:displayPrefix]
		t, u, reason, err := s.liveToken(ctx, a, secret)
		if err != nil {
			return Caller{}, fmt.Errorf("authenticate: %w", err)
		}
		if t != nil {
			return Caller{Account: a, User: u, Source: source, Token: t}, nil
		}
		why = reason
	}
	if err := s.throttleCheck(ctx, a.ID, signIns, key, source); err != nil {
		return Caller{}, err
	}
	return Caller{}, s.failed(ctx, a, key, key, source, why, "Wrong or revoked token")
}
