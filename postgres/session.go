package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const sessionColumns = `id, account_id, user_id, token_hash, password_fp, method, user_agent, source,
	created_at, last_seen_at, expires_at, idle_ns`

// CreateSession stores a web session.
func (db *DB) CreateSession(ctx context.Context, s *damask.Session) error {
	return db.update(ctx, "create session", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
			INSERT INTO sessions (account_id, user_id, token_hash, password_fp, method, user_agent, source,
				created_at, last_seen_at, expires_at, idle_ns)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11) RETURNING id`,
			s.AccountID, s.UserID, s.TokenHash[:], s.PasswordFP, s.Method, s.UserAgent, s.Source,
			s.CreatedAt, s.LastSeenAt, s.ExpiresAt, int64(s.Idle)).Scan(&s.ID)
	})
}

// SessionByHash finds a session of the account by the hash of its secret.
func (db *DB) SessionByHash(ctx context.Context, accountID int64, hash [sha256.Size]byte) (*damask.Session, error) {
	var s damask.Session
	err := db.get(ctx, "session", func(q querier) error {
		var idle int64
		err := q.QueryRow(ctx, `SELECT `+sessionColumns+` FROM sessions
			WHERE account_id = $1 AND token_hash = $2`, accountID, hash[:]).
			Scan(&s.ID, &s.AccountID, &s.UserID, hashCol{&s.TokenHash}, &s.PasswordFP, &s.Method, &s.UserAgent, &s.Source,
				timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt}, timeCol{&s.ExpiresAt}, &idle)
		if err != nil {
			return err
		}
		s.Idle = time.Duration(idle)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &s, nil
}

// TouchSession sets a session's LastSeenAt.
func (db *DB) TouchSession(ctx context.Context, accountID, id int64, at time.Time) error {
	return db.update(ctx, fmt.Sprintf("touch session %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE sessions SET last_seen_at = $1 WHERE account_id = $2 AND id = $3`,
			at, accountID, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete session %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE account_id = $1 AND id = $2`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, accountID, userID int64) (int, error) {
	var n int64
	err := db.update(ctx, fmt.Sprintf("delete sessions of user %d", userID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM sessions WHERE account_id = $1 AND user_id = $2`, accountID, userID)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

// DeleteExpiredSessions removes sessions past their absolute or idle end.
func (db *DB) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete expired sessions", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			DELETE FROM sessions
			WHERE expires_at < $1 OR last_seen_at + (idle_ns / 1000) * interval '1 microsecond' < $1`, before)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}

// OIDCConfig answers the account's OpenID Connect settings.
func (db *DB) OIDCConfig(ctx context.Context, accountID int64) (*damask.OIDCConfig, error) {
	var c damask.OIDCConfig
	err := db.get(ctx, fmt.Sprintf("oidc config of account %d", accountID), func(q querier) error {
		var domains, role string
		err := q.QueryRow(ctx, `
			SELECT account_id, issuer, client_id, client_secret, domains, auto_create, updated_at
			FROM oidc_configs WHERE account_id = $1`, accountID).
			Scan(&c.AccountID, &c.Issuer, &c.ClientID, &c.ClientSecret, &domains, &role, timeCol{&c.UpdatedAt})
		if err != nil {
			return err
		}
		if domains != "" {
			c.Domains = strings.Split(domains, ",")
		}
		c.AutoCreate = damask.Role(role)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return &c, nil
}

// SetOIDCConfig stores an account's OpenID Connect settings.
func (db *DB) SetOIDCConfig(ctx context.Context, c *damask.OIDCConfig) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("set oidc config of account %d", c.AccountID), func(tx pgx.Tx) error {
		if err := accountExists(ctx, tx, c.AccountID); err != nil {
			return err
		}
		_, err := tx.Exec(ctx, `
			INSERT INTO oidc_configs (account_id, issuer, client_id, client_secret, domains, auto_create, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7)
			ON CONFLICT (account_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
				client_secret = excluded.client_secret, domains = excluded.domains,
				auto_create = excluded.auto_create, updated_at = excluded.updated_at`,
			c.AccountID, c.Issuer, c.ClientID, c.ClientSecret, strings.Join(c.Domains, ","), string(c.AutoCreate), now)
		if err != nil {
			return err
		}
		c.UpdatedAt = now
		return nil
	})
}

// DeleteOIDCConfig removes an account's OpenID Connect settings.
func (db *DB) DeleteOIDCConfig(ctx context.Context, accountID int64) error {
	return db.update(ctx, fmt.Sprintf("delete oidc config of account %d", accountID), func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM oidc_configs WHERE account_id = $1`, accountID)
		return err
	})
}
