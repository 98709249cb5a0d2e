package sqlite

import (
	"context"
	"crypto/sha256"
	"database/sql"
	"fmt"
	"time"

	"damask"
)

const tokenColumns = `id, account_id, user_id, name, read_only, prefix, hash,
	created_at, expires_at, last_used_at, revoked_at`

func scanToken(row interface{ Scan(...any) error }) (*damask.Token, error) {
	var (
		t    damask.Token
		hash []byte
	)
	err := row.Scan(&t.ID, &t.AccountID, &t.UserID, &t.Name, &t.ReadOnly, &t.Prefix, &hash,
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt}, timeCol{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	if len(hash) != len(t.Hash) {
		return nil, fmt.Errorf("token %d: hash of %d bytes", t.ID, len(hash))
	}
	copy(t.Hash[:], hash)
	return &t, nil
}

// CreateToken stores t. The user must be of the token's account.
func (db *DB) CreateToken(ctx context.Context, t *damask.Token) error {
	now := db.clock()
	return db.update(ctx, "create token", func(tx *sql.Tx) error {
		if err := claimKey(ctx, tx, damask.KindToken, now); err != nil {
			return err
		}
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE account_id = ? AND id = ?`,
			t.AccountID, t.UserID).Scan(&one); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO tokens (account_id, user_id, name, read_only, prefix, hash,
				created_at, expires_at, last_used_at, revoked_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			t.AccountID, t.UserID, t.Name, t.ReadOnly, t.Prefix, t.Hash[:],
			now.UnixNano(), timeValue(t.ExpiresAt), timeValue(t.LastUsedAt), timeValue(t.RevokedAt))
		if err != nil {
			return err
		}
		if t.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if err := keyDone(ctx, tx, t.ID, 0); err != nil {
			return err
		}
		t.CreatedAt = now
		return nil
	})
}

// Tokens lists a user's tokens, newest first.
func (db *DB) Tokens(ctx context.Context, accountID, userID int64) ([]*damask.Token, error) {
	var ts []*damask.Token
	err := db.view(ctx, fmt.Sprintf("tokens of user %d", userID), func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `
			SELECT `+tokenColumns+` FROM tokens
			WHERE account_id = ? AND user_id = ? ORDER BY id DESC`, accountID, userID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanToken(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, err
}

// TokenByHash finds a token of the account by the hash of its secret.
func (db *DB) TokenByHash(ctx context.Context, accountID int64, hash [sha256.Size]byte) (*damask.Token, error) {
	var t *damask.Token
	err := db.view(ctx, "token by hash", func(tx *sql.Tx) (err error) {
		t, err = scanToken(tx.QueryRowContext(ctx,
			`SELECT `+tokenColumns+` FROM tokens WHERE hash = ? AND account_id = ?`, hash[:], accountID))
		return err
	})
	return t, err
}

// RevokeToken revokes a token of the user, keeping the first revocation's
// time when it is revoked already.
func (db *DB) RevokeToken(ctx context.Context, accountID, userID, id int64, at time.Time) (*damask.Token, error) {
	var t *damask.Token
	err := db.update(ctx, fmt.Sprintf("revoke token %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE tokens SET revoked_at = coalesce(revoked_at, ?)
			WHERE account_id = ? AND user_id = ? AND id = ?`,
			at.UnixNano(), accountID, userID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		t, err = scanToken(tx.QueryRowContext(ctx,
			`SELECT `+tokenColumns+` FROM tokens WHERE account_id = ? AND id = ?`, accountID, id))
		return err
	})
	return t, err
}

// TouchToken records the last use of a token.
func (db *DB) TouchToken(ctx context.Context, accountID, id int64, at time.Time) error {
	return db.update(ctx, fmt.Sprintf("touch token %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE tokens SET last_used_at = ? WHERE account_id = ? AND id = ?`,
			at.UnixNano(), accountID, id)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}
