package damask

import (
	"context"
	"crypto/sha256"
	"time"
)

// Session is a signed-in browser of the web interface. The browser holds a
// random secret in a cookie; the store keeps only its SHA-256 (TokenHash),
// so that a copy of the database signs nobody in.
type Session struct {
	ID        int64
	AccountID int64
	UserID    int64
	TokenHash [sha256.Size]byte
	// PasswordFP is a fingerprint of the user's password hash when the
	// session began: a changed password ends every older session.
	PasswordFP string
	Method     string // how the user signed in: "password" or "oidc"
	UserAgent  string
	Source     string // the client's address at sign-in
	CreatedAt  time.Time
	LastSeenAt time.Time
	ExpiresAt  time.Time     // absolute end, whatever the use
	Idle       time.Duration // the session ends this long after LastSeenAt
}

// Lifetimes of a web session.
const (
	SessionLifetime = 30 * 24 * time.Hour
	SessionIdle     = 12 * time.Hour
)

// OIDCConfig is how an account signs users in with an OpenID Connect
// provider.
type OIDCConfig struct {
	AccountID    int64
	Issuer       string
	ClientID     string
	ClientSecret string
	// Domains are the e-mail domains allowed to sign in, lowercase.
	Domains []string
	// AutoCreate is the role of a user created at the first sign-in of an
	// unknown e-mail address; "" creates nobody.
	AutoCreate Role
	UpdatedAt  time.Time
}

// OIDCLoginLifetime is how long a sign-in may stay at the provider. The
// browser keeps the sign-in under way, sealed (see library.BeginOIDC).
const OIDCLoginLifetime = 10 * time.Minute

// SessionStore keeps web sessions and the OpenID Connect settings.
type SessionStore interface {
	// CreateSession stores s, setting its ID.
	CreateSession(ctx context.Context, s *Session) error
	// SessionByHash finds a session of the account by the hash of its
	// secret; ErrNotFound when there is none (or it is another account's).
	// It does not judge expiry: the caller does.
	SessionByHash(ctx context.Context, accountID int64, hash [sha256.Size]byte) (*Session, error)
	// TouchSession sets a session's LastSeenAt.
	TouchSession(ctx context.Context, accountID, id int64, at time.Time) error
	// DeleteSession ends one session; ErrNotFound when there is none.
	DeleteSession(ctx context.Context, accountID, id int64) error
	// DeleteUserSessions ends every session of a user and says how many.
	DeleteUserSessions(ctx context.Context, accountID, userID int64) (int, error)
	// DeleteExpiredSessions removes, in every account, the sessions that
	// expired or idled out before the given time, and says how many.
	DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error)

	// OIDCConfig answers the account's settings; ErrNotFound when it has none.
	OIDCConfig(ctx context.Context, accountID int64) (*OIDCConfig, error)
	// SetOIDCConfig stores c, replacing the account's settings, and sets UpdatedAt.
	SetOIDCConfig(ctx context.Context, c *OIDCConfig) error
	// DeleteOIDCConfig removes the account's settings; none is not an error.
	DeleteOIDCConfig(ctx context.Context, accountID int64) error
}
