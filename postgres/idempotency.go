package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// claimKey records the context's Idempotency-Key, if any, as the first
// step of a create's transaction; keyDone completes the record with what
// was created before the transaction commits. A second create with the
// same key waits on the primary key until the first one's transaction
// ends: when it committed, the key is ErrKeyInUse and the second create
// stores nothing; when it rolled back, the second one goes on.
func claimKey(ctx context.Context, tx pgx.Tx, kind string, now time.Time) error {
	k := damask.IdempotencyKeyFrom(ctx)
	if k == nil {
		return nil
	}
	tag, err := tx.Exec(ctx, `
		INSERT INTO idempotency_keys (account_id, user_id, key, request, kind, created_at)
		VALUES ($1, $2, $3, $4, $5, $6)
		ON CONFLICT DO NOTHING`,
		k.AccountID, k.UserID, k.Key, k.Request[:], kind, now)
	if err != nil {
		return fmt.Errorf("claim idempotency key: %w", err)
	}
	if tag.RowsAffected() == 0 {
		return damask.ErrKeyInUse
	}
	return nil
}

// keyDone writes the created resource into the key's record.
func keyDone(ctx context.Context, tx pgx.Tx, id int64, number int) error {
	k := damask.IdempotencyKeyFrom(ctx)
	if k == nil {
		return nil
	}
	_, err := tx.Exec(ctx, `
		UPDATE idempotency_keys SET resource_id = $1, number = $2
		WHERE account_id = $3 AND user_id = $4 AND key = $5`,
		id, number, k.AccountID, k.UserID, k.Key)
	if err != nil {
		return fmt.Errorf("record idempotency key: %w", err)
	}
	return nil
}

// IdempotencyRecord finds the record of a user's key.
func (db *DB) IdempotencyRecord(ctx context.Context, accountID, userID int64, key string) (*damask.IdempotencyRecord, error) {
	r := &damask.IdempotencyRecord{AccountID: accountID, UserID: userID, Key: key}
	err := db.get(ctx, "idempotency key", func(q querier) error {
		return q.QueryRow(ctx, `
			SELECT request, kind, resource_id, number, created_at FROM idempotency_keys
			WHERE account_id = $1 AND user_id = $2 AND key = $3`, accountID, userID, key).
			Scan(hashCol{&r.Request}, &r.Kind, &r.ID, &r.Number, timeCol{&r.CreatedAt})
	})
	if err != nil {
		return nil, err
	}
	return r, nil
}

// DeleteIdempotencyRecords removes the records made before the time.
func (db *DB) DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete idempotency keys", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM idempotency_keys WHERE created_at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
