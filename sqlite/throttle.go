package sqlite

import (
	"context"
	"database/sql"
	"strings"
	"time"

	"damask"
)

// AddFailure counts one failure under each key, in one write transaction.
func (db *DB) AddFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]damask.Failures, error) {
	out := make([]damask.Failures, len(keys))
	err := db.update(ctx, "count failed sign-in", func(tx *sql.Tx) error {
		for i, k := range keys {
			var ends int64
			err := tx.QueryRowContext(ctx, `
				INSERT INTO sign_in_failures (key, count, ends_at) VALUES (?1, 1, ?3)
				ON CONFLICT (key) DO UPDATE SET
					count   = CASE WHEN ends_at <= ?2 THEN 1 ELSE count + 1 END,
					ends_at = CASE WHEN ends_at <= ?2 THEN ?3 ELSE ends_at END
				RETURNING count, ends_at`,
				k, now.UnixNano(), now.Add(window).UnixNano()).Scan(&out[i].Count, &ends)
			if err != nil {
				return err
			}
			out[i].Ends = time.Unix(0, ends).UTC()
		}
		return nil
	})
	return out, err
}

// FailureCounts reads the counters of the keys in one statement.
func (db *DB) FailureCounts(ctx context.Context, keys []string, now time.Time) ([]damask.Failures, error) {
	out := make([]damask.Failures, len(keys))
	if len(keys) == 0 {
		return out, nil
	}
	args := []any{now.UnixNano()}
	for _, k := range keys {
		args = append(args, k)
	}
	err := db.lookup(ctx, "read failed sign-ins", func(q querier) error {
		rows, err := q.QueryContext(ctx, `
			SELECT key, count, ends_at FROM sign_in_failures
			WHERE ends_at > ? AND key IN (?`+strings.Repeat(", ?", len(keys)-1)+`)`, args...)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var k string
			var f damask.Failures
			if err := rows.Scan(&k, &f.Count, timeCol{&f.Ends}); err != nil {
				return err
			}
			for i := range keys {
				if keys[i] == k {
					out[i] = f
				}
			}
		}
		return rows.Err()
	})
	return out, err
}

// DeleteFailures removes the counters whose window ended before the time.
func (db *DB) DeleteFailures(ctx context.Context, before time.Time) (int, error) {
	return db.deleteBefore(ctx, "forget failed sign-ins", `DELETE FROM sign_in_failures WHERE ends_at < ?`, before)
}

// TakeUploadLease counts and takes in one write transaction: SQLite has
// one writer, so no other take runs between the count and the insert.
func (db *DB) TakeUploadLease(ctx context.Context, accountID, userID int64, max int, now, expires time.Time) (int64, error) {
	var id int64
	err := db.update(ctx, "take upload lease", func(tx *sql.Tx) error {
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM upload_leases WHERE user_id = ? AND expires_at > ?`,
			userID, now.UnixNano()).Scan(&n); err != nil {
			return err
		}
		if n >= max {
			return nil
		}
		res, err := tx.ExecContext(ctx, `INSERT INTO upload_leases (account_id, user_id, expires_at) VALUES (?, ?, ?)`,
			accountID, userID, expires.UnixNano())
		if err != nil {
			return err
		}
		id, err = res.LastInsertId()
		return err
	})
	return id, err
}

// RenewUploadLease moves a lease's expiry.
func (db *DB) RenewUploadLease(ctx context.Context, id int64, expires time.Time) error {
	return db.update(ctx, "renew upload lease", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE upload_leases SET expires_at = ? WHERE id = ?`, expires.UnixNano(), id)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return damask.ErrNotFound
		}
		return nil
	})
}

// ReleaseUploadLease removes a lease.
func (db *DB) ReleaseUploadLease(ctx context.Context, id int64) error {
	return db.update(ctx, "release upload lease", func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM upload_leases WHERE id = ?`, id)
		return err
	})
}

// DeleteExpiredUploadLeases removes the leases that expired before the time.
func (db *DB) DeleteExpiredUploadLeases(ctx context.Context, before time.Time) (int, error) {
	return db.deleteBefore(ctx, "delete expired upload leases", `DELETE FROM upload_leases WHERE expires_at < ?`, before)
}

// deleteBefore runs a DELETE whose one argument is a time, and says how
// many rows went.
func (db *DB) deleteBefore(ctx context.Context, what, query string, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, what, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, query, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
