package damask

import (
	"context"
	"crypto/sha256"
	"time"
)

// Token is a personal API token: a long random secret a user hands to a
// client instead of the password, usable as the Basic-auth password or as
// "Authorization: Bearer". The secret is shown once, when the token is made;
// only its hash is kept.
type Token struct {
	ID        int64
	AccountID int64
	UserID    int64
	Name      string
	// ReadOnly tokens may call every reading route and nothing else.
	ReadOnly bool
	// Prefix is the start of the secret, so that a user can tell tokens
	// apart; too short to help a guess.
	Prefix string
	// Hash is the SHA-256 of the secret. A fast hash is right here, unlike
	// for passwords: the secret is 200 random bits, so there is no
	// dictionary to try, and a lookup by hash costs nothing per request.
	Hash       [sha256.Size]byte
	CreatedAt  time.Time
	ExpiresAt  time.Time // zero: never
	LastUsedAt time.Time // zero: never used
	RevokedAt  time.Time // zero: live
}

// Live tells whether the token may be used at the given time: neither
// revoked nor expired.
func (t *Token) Live(now time.Time) bool {
	return t.RevokedAt.IsZero() && (t.ExpiresAt.IsZero() || now.Before(t.ExpiresAt))
}

// TokenStore keeps the API tokens of every account. A token belongs to one
// user of one account; deleting the user deletes its tokens.
type TokenStore interface {
	// CreateToken stores t, setting ID and CreatedAt. Hashes are unique.
	CreateToken(ctx context.Context, t *Token) error
	// Tokens lists a user's tokens, revoked and expired ones too, newest
	// first.
	Tokens(ctx context.Context, accountID, userID int64) ([]*Token, error)
	// TokenByHash finds a token of the account by the hash of its secret,
	// whatever its state; ErrNotFound when there is none.
	TokenByHash(ctx context.Context, accountID int64, hash [sha256.Size]byte) (*Token, error)
	// RevokeToken sets RevokedAt of a token of the user to at, unless it
	// is revoked already, and answers the token. Another account's or
	// another user's token is ErrNotFound, exactly as a missing one.
	RevokeToken(ctx context.Context, accountID, userID, id int64, at time.Time) (*Token, error)
	// TouchToken sets LastUsedAt of a token of the account.
	TouchToken(ctx context.Context, accountID, id int64, at time.Time) error
}
