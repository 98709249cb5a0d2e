package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"damask"
)

// claimKey records the context's Idempotency-Key, if any, as the first
// step of a create's transaction; keyDone completes the record with what
// was created before the transaction commits. A key recorded already is
// ErrKeyInUse, and the create stores nothing. (SQLite has one writer, so
// a key committed by another create is always seen here.)
func claimKey(ctx context.Context, tx *sql.Tx, kind string, now time.Time) error {
	k := damask.IdempotencyKeyFrom(ctx)
	if k == nil {
		return nil
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO idempotency_keys (account_id, user_id, key, request, kind, created_at)
		VALUES (?, ?, ?, ?, ?, ?)
		ON CONFLICT DO NOTHING`,
		k.AccountID, k.UserID, k.Key, k.Request[:], kind, now.UnixNano())
	if err != nil {
		return fmt.Errorf("claim idempotency key: %w", err)
	}
	if n, err := res.RowsAffected(); err != nil {
		return err
	} else if n == 0 {
		return damask.ErrKeyInUse
	}
	return nil
}

// keyDone writes the created resource into the key's record.
func keyDone(ctx context.Context, tx *sql.Tx, id int64, number int) error {
	k := damask.IdempotencyKeyFrom(ctx)
	if k == nil {
		return nil
	}
	_, err := tx.ExecContext(ctx, `
		UPDATE idempotency_keys SET resource_id = ?, number = ?
		WHERE account_id = ? AND user_id = ? AND key = ?`,
		id, number, k.AccountID, k.UserID, k.Key)
	if err != nil {
		return fmt.Errorf("record idempotency key: %w", err)
	}
	return nil
}

// IdempotencyRecord finds the record of a user's key.
func (db *DB) IdempotencyRecord(ctx context.Context, accountID, userID int64, key string) (*damask.IdempotencyRecord, error) {
	r := &damask.IdempotencyRecord{AccountID: accountID, UserID: userID, Key: key}
	err := db.lookup(ctx, "idempotency key", func(q querier) error {
		var request []byte
		err := q.QueryRowContext(ctx, `
			SELECT request, kind, resource_id, number, created_at FROM idempotency_keys
			WHERE account_id = ? AND user_id = ? AND key = ?`, accountID, userID, key).
			Scan(&request, &r.Kind, &r.ID, &r.Number, timeCol{&r.CreatedAt})
		if err != nil {
			return err
		}
		if len(request) != len(r.Request) {
			return fmt.Errorf("request fingerprint of %d bytes", len(request))
		}
		copy(r.Request[:], request)
		return nil
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteIdempotencyRecords removes the records made before the time.
func (db *DB) DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete idempotency keys", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM idempotency_keys WHERE created_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
