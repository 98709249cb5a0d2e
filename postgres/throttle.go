package postgres

import (
	"context"
	"errors"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

var _ damask.RateCounter = (*DB)(nil)

// AddFailure counts one failure under each key, each in one UPSERT: two
// servers counting the same key at once both count.
func (db *DB) AddFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]damask.Failures, error) {
	out := make([]damask.Failures, len(keys))
	err := db.update(ctx, "count failed sign-in", func(tx pgx.Tx) error {
		for i, k := range keys {
			err := tx.QueryRow(ctx, `
				INSERT INTO sign_in_failures AS f (key, count, ends_at) VALUES ($1, 1, $3)
				ON CONFLICT (key) DO UPDATE SET
					count   = CASE WHEN f.ends_at <= $2 THEN 1 ELSE f.count + 1 END,
					ends_at = CASE WHEN f.ends_at <= $2 THEN $3 ELSE f.ends_at END
				RETURNING count, ends_at`,
				k, now, now.Add(window)).Scan(&out[i].Count, timeCol{&out[i].Ends})
			if err != nil {
				return err
			}
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
	err := db.get(ctx, "read failed sign-ins", func(q querier) error {
		rows, err := q.Query(ctx, `
			SELECT key, count, ends_at FROM sign_in_failures
			WHERE key = ANY ($1) AND ends_at > $2`, keys, now)
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
	return db.deleteBefore(ctx, "forget failed sign-ins", `DELETE FROM sign_in_failures WHERE ends_at < $1`, before)
}

// TakeUploadLease locks the user's row first, so that two servers taking
// a lease for one user at once take turns: the count and insert that
// follow, a statement of their own, see what the other committed (a
// statement's snapshot begins after the lock is held). Both statements go
// in one round trip; the expired leases are left to the housework.
func (db *DB) TakeUploadLease(ctx context.Context, accountID, userID int64, max int, now, expires time.Time) (int64, error) {
	var id int64
	err := db.update(ctx, "take upload lease", func(tx pgx.Tx) error {
		id = 0
		b := &pgx.Batch{}
		b.Queue(`SELECT 1 FROM users WHERE id = $1 AND account_id = $2 FOR UPDATE`, userID, accountID)
		b.Queue(`
			INSERT INTO upload_leases (account_id, user_id, expires_at)
			SELECT $1, $2, $3
			WHERE (SELECT count(*) FROM upload_leases WHERE user_id = $2 AND expires_at > $4) < $5
			RETURNING id`, accountID, userID, expires, now, max)
		res := tx.SendBatch(ctx, b)
		var one int
		if err := res.QueryRow().Scan(&one); err != nil {
			res.Close()
			return err
		}
		err := res.QueryRow().Scan(&id)
		if errors.Is(err, pgx.ErrNoRows) {
			id, err = 0, nil
		}
		if cerr := res.Close(); err == nil {
			err = cerr
		}
		return err
	})
	return id, err
}

// RenewUploadLease moves a lease's expiry.
func (db *DB) RenewUploadLease(ctx context.Context, id int64, expires time.Time) error {
	return db.get(ctx, "renew upload lease", func(q querier) error {
		tag, err := q.Exec(ctx, `UPDATE upload_leases SET expires_at = $1 WHERE id = $2`, expires, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// ReleaseUploadLease removes a lease.
func (db *DB) ReleaseUploadLease(ctx context.Context, id int64) error {
	return db.get(ctx, "release upload lease", func(q querier) error {
		_, err := q.Exec(ctx, `DELETE FROM upload_leases WHERE id = $1`, id)
		return err
	})
}

// DeleteExpiredUploadLeases removes the leases that expired before the time.
func (db *DB) DeleteExpiredUploadLeases(ctx context.Context, before time.Time) (int, error) {
	return db.deleteBefore(ctx, "delete expired upload leases", `DELETE FROM upload_leases WHERE expires_at < $1`, before)
}

// TakeRateToken runs the generic cell rate algorithm in one statement:
// each request moves the bucket's theoretical arrival time (tat) one
// interval on from the later of tat and now, unless that would put it
// more than burst intervals ahead of now, in which case the row is not
// changed, nothing is returned, and the wait is read from the row.
func (db *DB) TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (bool, time.Duration, error) {
	interval := time.Duration(float64(time.Second) / rate)
	limit := now.Add(time.Duration(burst) * interval)
	var ok bool
	var wait time.Duration
	err := db.get(ctx, "take rate token", func(q querier) error {
		var tat time.Time
		err := q.QueryRow(ctx, `
			INSERT INTO rate_buckets AS b (key, tat) VALUES ($1, $2::timestamptz + $3 * interval '1 microsecond')
			ON CONFLICT (key) DO UPDATE SET tat = greatest(b.tat, $2) + $3 * interval '1 microsecond'
			WHERE greatest(b.tat, $2) + $3 * interval '1 microsecond' <= $4
			RETURNING tat`, key, now, interval.Microseconds(), limit).Scan(&tat)
		if err == nil {
			ok = true
			return nil
		}
		if !errors.Is(err, pgx.ErrNoRows) {
			return err
		}
		if err := q.QueryRow(ctx, `SELECT tat FROM rate_buckets WHERE key = $1`, key).Scan(timeCol{&tat}); err != nil {
			return err
		}
		// The next request fits once tat+interval <= now+burst*interval.
		wait = max(tat.Add(interval).Sub(limit), time.Microsecond)
		return nil
	})
	return ok, wait, err
}

// DeleteRateBuckets removes the buckets that are full again as of now:
// a new bucket would be the same.
func (db *DB) DeleteRateBuckets(ctx context.Context, now time.Time) (int, error) {
	return db.deleteBefore(ctx, "delete full rate buckets", `DELETE FROM rate_buckets WHERE tat < $1`, now)
}

// deleteBefore runs a DELETE whose one argument is a time, and says how
// many rows went.
func (db *DB) deleteBefore(ctx context.Context, what, query string, before time.Time) (int, error) {
	var n int64
	err := db.get(ctx, what, func(q querier) error {
		tag, err := q.Exec(ctx, query, before)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}

// Generation reads the counts the triggers of migration 0004 keep.
func (db *DB) Generation(ctx context.Context) (damask.Generation, error) {
	var g damask.Generation
	err := db.get(ctx, "read generation", func(q querier) error {
		return q.QueryRow(ctx, `SELECT auth, failures FROM generation WHERE id = 1`).Scan(&g.Auth, &g.Failures)
	})
	return g, err
}
