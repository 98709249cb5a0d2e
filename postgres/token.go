package postgres

import (
	"context"
	"crypto/sha256"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const tokenColumns = `id, account_id, user_id, name, read_only, prefix, hash,
	created_at, expires_at, last_used_at, revoked_at`

func scanToken(row pgx.Row) (*damask.Token, error) {
	var t damask.Token
	err := row.Scan(&t.ID, &t.AccountID, &t.UserID, &t.Name, &t.ReadOnly, &t.Prefix, hashCol{&t.Hash},
		timeCol{&t.CreatedAt}, timeCol{&t.ExpiresAt}, timeCol{&t.LastUsedAt}, timeCol{&t.RevokedAt})
	if err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateToken stores t. The user must be of the token's account.
func (db *DB) CreateToken(ctx context.Context, t *damask.Token) error {
	now := db.clock()
	return db.update(ctx, "create token", func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE account_id = $1 AND id = $2`,
			t.AccountID, t.UserID).Scan(&one); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO tokens (account_id, user_id, name, read_only, prefix, hash,
				created_at, expires_at, last_used_at, revoked_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING id`,
			t.AccountID, t.UserID, t.Name, t.ReadOnly, t.Prefix, t.Hash[:],
			now, timeValue(t.ExpiresAt), timeValue(t.LastUsedAt), timeValue(t.RevokedAt)).Scan(&id)
		if err != nil {
			return err
		}
		t.ID, t.CreatedAt = id, now
		return nil
	})
}

// Tokens lists a user's tokens, newest first.
func (db *DB) Tokens(ctx context.Context, accountID, userID int64) ([]*damask.Token, error) {
	var ts []*damask.Token
	err := db.get(ctx, fmt.Sprintf("tokens of user %d", userID), func(q querier) error {
		rows, err := q.Query(ctx, `
			SELECT `+tokenColumns+` FROM tokens
			WHERE account_id = $1 AND user_id = $2 ORDER BY id DESC`, accountID, userID)
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
	err := db.get(ctx, "token by hash", func(q querier) (err error) {
		t, err = scanToken(q.QueryRow(ctx,
			`SELECT `+tokenColumns+` FROM tokens WHERE hash = $1 AND account_id = $2`, hash[:], accountID))
		return err
	})
	return t, err
}

// RevokeToken revokes a token of the user, keeping the first revocation's
// time when it is revoked already.
func (db *DB) RevokeToken(ctx context.Context, accountID, userID, id int64, at time.Time) (*damask.Token, error) {
	var t *damask.Token
	err := db.update(ctx, fmt.Sprintf("revoke token %d", id), func(tx pgx.Tx) (err error) {
		t, err = scanToken(tx.QueryRow(ctx, `
			UPDATE tokens SET revoked_at = coalesce(revoked_at, $1)
			WHERE account_id = $2 AND user_id = $3 AND id = $4
			RETURNING `+tokenColumns, at, accountID, userID, id))
		return err
	})
	return t, err
}

// TouchToken records the last use of a token.
func (db *DB) TouchToken(ctx context.Context, accountID, id int64, at time.Time) error {
	return db.update(ctx, fmt.Sprintf("touch token %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE tokens SET last_used_at = $1 WHERE account_id = $2 AND id = $3`,
			at, accountID, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}
