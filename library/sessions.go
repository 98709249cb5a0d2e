package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"fmt"
	"strings"
	"time"

	"damask"
)

// AccountByHost chooses the account a request's Host names: a subdomain of
// domain names an account ("acme.example.com" is acme under
// "example.com"); any other host is the default account. Host and domain
// are read as damask.HostName spells them, so that case, a port and a
// final dot make no difference ("Acme.Example.Com.:8080" is acme too).
// The API and the web pages both choose this way. The account is kept in
// memory while the auth generation count stays the same (authcache.go).
func (s *Service) AccountByHost(ctx context.Context, host, domain string) (*damask.Account, error) {
	host = damask.HostName(host)
	name := DefaultAccount
	if d := damask.HostName(domain); d != "" && strings.HasSuffix(host, "."+d) {
		name = strings.TrimSuffix(host, "."+d)
	}
	g, err := s.generation(ctx)
	if err != nil {
		return nil, fmt.Errorf("find account: %w", err)
	}
	if a, ok := s.cache.account(g, name); ok {
		return a, nil
	}
	a, err := s.store.AccountByName(ctx, name)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return nil, damask.Errorf(damask.ENOTFOUND, "No account at this address")
	}
	if err != nil {
		return nil, err
	}
	s.cache.putAccount(g, name, a)
	return a, nil
}

// Client describes the browser that signs in, for the session's record
// and the audit log.
type Client struct {
	Source    string // its address
	UserAgent string
}

// SignIn checks a login (or e-mail) and password as Authenticate does,
// throttled and with one answer for an unknown login and a wrong
// password, and starts a web session. It answers the session's secret,
// which the browser keeps and the store never sees.
func (s *Service) SignIn(ctx context.Context, a *damask.Account, login, pw string, cl Client) (*damask.User, string, error) {
	u, err := s.Authenticate(ctx, a, login, pw, cl.Source)
	if err != nil {
		return nil, "", err
	}
	secret, err := s.startSession(ctx, a, u, "password", cl)
	if err != nil {
		return nil, "", err
	}
	return u, secret, nil
}

// startSession stores a new session of u and records the sign-in.
func (s *Service) startSession(ctx context.Context, a *damask.Account, u *damask.User, method string, cl Client) (string, error) {
	secret := newWebSecret()
	now := s.now()
	se := &damask.Session{
		AccountID:  a.ID,
		UserID:     u.ID,
		TokenHash:  webSecretHash(secret),
		PasswordFP: passwordFP(u),
		Method:     method,
		UserAgent:  truncateRunes(cl.UserAgent, 256),
		Source:     cl.Source,
		CreatedAt:  now,
		LastSeenAt: now,
		ExpiresAt:  now.Add(damask.SessionLifetime),
		Idle:       damask.SessionIdle,
	}
	if err := s.store.CreateSession(ctx, se); err != nil {
		return "", fmt.Errorf("start session: %w", err)
	}
	s.record(ctx, Caller{Account: a, User: u, Source: cl.Source}, damask.AuditSignIn, userTarget(u), "web, "+method)
	return secret, nil
}

// touchEvery is how stale LastSeenAt may grow before a request renews it:
// a page view then costs no write, and idle expiry stays exact to a minute.
const touchEvery = time.Minute

// Session finds the signed-in user of a session secret. It answers
// EUNAUTHORIZED, and forgets the session, when the session is unknown,
// idle or past its absolute end, its user is disabled or gone, or the
// user's password changed after the session began.
func (s *Service) Session(ctx context.Context, a *damask.Account, secret string) (*damask.User, *damask.Session, error) {
	refused := damask.Errorf(damask.EUNAUTHORIZED, "Please sign in")
	if secret == "" {
		return nil, nil, refused
	}
	se, err := s.store.SessionByHash(ctx, a.ID, webSecretHash(secret))
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return nil, nil, refused
	}
	if err != nil {
		return nil, nil, fmt.Errorf("session: %w", err)
	}
	now := s.now()
	u, err := s.store.User(ctx, a.ID, se.UserID)
	if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
		return nil, nil, fmt.Errorf("session %d: %w", se.ID, err)
	}
	if u == nil || u.Disabled || !now.Before(se.ExpiresAt) || !now.Before(se.LastSeenAt.Add(se.Idle)) ||
		passwordFP(u) != se.PasswordFP {
		if err := s.store.DeleteSession(ctx, a.ID, se.ID); err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
			s.log.Error("forget dead session", "account", a.ID, "session", se.ID, "err", err)
		}
		return nil, nil, refused
	}
	if now.Sub(se.LastSeenAt) >= touchEvery {
		// A lost touch only brings the idle end nearer: log it and serve.
		if err := s.store.TouchSession(ctx, a.ID, se.ID, now); err != nil {
			s.log.Error("touch session", "account", a.ID, "session", se.ID, "err", err)
		} else {
			se.LastSeenAt = now
		}
	}
	return u, se, nil
}

// SignOut ends the caller's session.
func (s *Service) SignOut(ctx context.Context, c Caller, se *damask.Session) error {
	if err := s.store.DeleteSession(ctx, c.Account.ID, se.ID); err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
		return fmt.Errorf("sign out: %w", err)
	}
	s.record(ctx, c, damask.AuditSignOut, userTarget(c.User), "this session")
	return nil
}

// SignOutEverywhere ends every session of the caller and says how many.
func (s *Service) SignOutEverywhere(ctx context.Context, c Caller) (int, error) {
	n, err := s.store.DeleteUserSessions(ctx, c.Account.ID, c.User.ID)
	if err != nil {
		return 0, fmt.Errorf("sign out everywhere: %w", err)
	}
	s.record(ctx, c, damask.AuditSignOut, userTarget(c.User), fmt.Sprintf("everywhere: %d sessions", n))
	return n, nil
}

// newWebSecret is 32 random bytes, in URL-safe base64.
func newWebSecret() string {
	b := make([]byte, 32)
	rand.Read(b) // never fails: crypto/rand panics rather than answer weak bytes
	return base64.RawURLEncoding.EncodeToString(b)
}

func webSecretHash(secret string) [sha256.Size]byte { return sha256.Sum256([]byte(secret)) }

// passwordFP fingerprints a user's password hash. The hash holds a fresh
// salt, so any new password, even the same one again, changes it.
func passwordFP(u *damask.User) string {
	h := sha256.Sum256([]byte("damask session\x00" + u.PasswordHash))
	return hex.EncodeToString(h[:16])
}

// DeleteExpiredSessions forgets sessions past their end, and sign-ins with
// a provider that were never finished; the housework calls it.
func (s *Service) DeleteExpiredSessions(ctx context.Context) (int, error) {
	n, err := s.store.DeleteExpiredSessions(ctx, s.now())
	if err != nil {
		return 0, fmt.Errorf("delete expired sessions: %w", err)
	}
	return n, nil
}
