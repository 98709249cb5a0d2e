package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"damask"
)

const sessionColumns = `id, account_id, user_id, token_hash, password_fp, method, user_agent, source,
	created_at, last_seen_at, expires_at, idle_ns`

// CreateSession stores a web session.
func (db *DB) CreateSession(ctx context.Context, s *damask.Session) error {
	return db.update(ctx, "create session", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO sessions (account_id, user_id, token_hash, password_fp, method, user_agent, source,
				created_at, last_seen_at, expires_at, idle_ns)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			s.AccountID, s.UserID, s.TokenHash[:], s.PasswordFP, s.Method, s.UserAgent, s.Source,
			s.CreatedAt.UnixNano(), s.LastSeenAt.UnixNano(), s.ExpiresAt.UnixNano(), int64(s.Idle))
		if err != nil {
			return err
		}
		s.ID, err = res.LastInsertId()
		return err
	})
}

// SessionByHash finds a session of the account by the hash of its secret.
func (db *DB) SessionByHash(ctx context.Context, accountID int64, hash [sha256.Size]byte) (*damask.Session, error) {
	var s damask.Session
	err := db.view(ctx, "session", func(tx *sql.Tx) error {
		var tok []byte
		var idle int64
		err := tx.QueryRowContext(ctx, `SELECT `+sessionColumns+` FROM sessions
			WHERE account_id = ? AND token_hash = ?`, accountID, hash[:]).
			Scan(&s.ID, &s.AccountID, &s.UserID, &tok, &s.PasswordFP, &s.Method, &s.UserAgent, &s.Source,
				timeCol{&s.CreatedAt}, timeCol{&s.LastSeenAt}, timeCol{&s.ExpiresAt}, &idle)
		if err != nil {
			return err
		}
		if len(tok) != len(s.TokenHash) {
			return fmt.Errorf("session %d: token hash of %d bytes", s.ID, len(tok))
		}
		copy(s.TokenHash[:], tok)
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
	return db.update(ctx, fmt.Sprintf("touch session %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE sessions SET last_seen_at = ? WHERE account_id = ? AND id = ?`,
			at.UnixNano(), accountID, id)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// DeleteSession ends one session.
func (db *DB) DeleteSession(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete session %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// DeleteUserSessions ends every session of a user.
func (db *DB) DeleteUserSessions(ctx context.Context, accountID, userID int64) (int, error) {
	var n int64
	err := db.update(ctx, fmt.Sprintf("delete sessions of user %d", userID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE account_id = ? AND user_id = ?`, accountID, userID)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// DeleteExpiredSessions removes sessions past their absolute or idle end.
func (db *DB) DeleteExpiredSessions(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete expired sessions", func(tx *sql.Tx) error {
		t := before.UnixNano()
		res, err := tx.ExecContext(ctx, `DELETE FROM sessions WHERE expires_at < ?1 OR last_seen_at + idle_ns < ?1`, t)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// OIDCConfig answers the account's OpenID Connect settings.
func (db *DB) OIDCConfig(ctx context.Context, accountID int64) (*damask.OIDCConfig, error) {
	var c damask.OIDCConfig
	err := db.view(ctx, fmt.Sprintf("oidc config of account %d", accountID), func(tx *sql.Tx) error {
		var domains, role string
		err := tx.QueryRowContext(ctx, `
			SELECT account_id, issuer, client_id, client_secret, domains, auto_create, updated_at
			FROM oidc_configs WHERE account_id = ?`, accountID).
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
	return db.update(ctx, fmt.Sprintf("set oidc config of account %d", c.AccountID), func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, c.AccountID); err != nil {
			return err
		}
		_, err := tx.ExecContext(ctx, `
			INSERT INTO oidc_configs (account_id, issuer, client_id, client_secret, domains, auto_create, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)
			ON CONFLICT (account_id) DO UPDATE SET issuer = excluded.issuer, client_id = excluded.client_id,
				client_secret = excluded.client_secret, domains = excluded.domains,
				auto_create = excluded.auto_create, updated_at = excluded.updated_at`,
			c.AccountID, c.Issuer, c.ClientID, c.ClientSecret, strings.Join(c.Domains, ","), string(c.AutoCreate), now.UnixNano())
		if err != nil {
			return err
		}
		c.UpdatedAt = now
		return nil
	})
}

// DeleteOIDCConfig removes an account's OpenID Connect settings.
func (db *DB) DeleteOIDCConfig(ctx context.Context, accountID int64) error {
	return db.update(ctx, fmt.Sprintf("delete oidc config of account %d", accountID), func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM oidc_configs WHERE account_id = ?`, accountID)
		return err
	})
}
