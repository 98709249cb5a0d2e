package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"time"

	"damask"
)

// enqueueJob queues the processing of a version, inside the transaction
// that stores the version.
func enqueueJob(ctx context.Context, tx *sql.Tx, accountID, assetID int64, version int, blob damask.BlobRef, now time.Time) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO jobs (account_id, asset_id, version, blob, state, run_after, created_at, updated_at)
		VALUES (?, ?, ?, ?, 'queued', ?, ?, ?)`,
		accountID, assetID, version, blob[:], now.UnixNano(), now.UnixNano(), now.UnixNano())
	if err != nil {
		return fmt.Errorf("queue job: %w", err)
	}
	return nil
}

const jobColumns = `id, account_id, asset_id, version, blob, state, attempts,
	run_after, lease_until, last_error, created_at, updated_at, stage`

func scanJob(s interface{ Scan(...any) error }) (*damask.Job, error) {
	var j damask.Job
	err := s.Scan(&j.ID, &j.AccountID, &j.AssetID, &j.Version, blobCol{&j.Blob}, &j.State, &j.Attempts,
		timeCol{&j.RunAfter}, timeCol{&j.LeaseUntil}, &j.LastError, timeCol{&j.CreatedAt}, timeCol{&j.UpdatedAt}, &j.Stage)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// ClaimJob takes the runnable job of the earliest stage, oldest first.
// SQLite has one writer, so the look and the claim in one write
// transaction cannot race with another claim.
func (db *DB) ClaimJob(ctx context.Context, worker string, lease time.Duration) (*damask.Job, error) {
	now := db.clock()
	var j *damask.Job
	err := db.update(ctx, "claim job", func(tx *sql.Tx) error {
		// Two indexed looks rather than one OR, so that each uses its
		// partial index; of the two candidates, the earlier stage wins,
		// then the older.
		var id int64
		err := tx.QueryRowContext(ctx, `
			SELECT id FROM (
				SELECT * FROM (SELECT id, stage FROM jobs WHERE state = 'queued' AND run_after <= ?1
					ORDER BY stage, id LIMIT 1)
				UNION ALL
				SELECT * FROM (SELECT id, stage FROM jobs WHERE state = 'running' AND lease_until <= ?1
					ORDER BY lease_until LIMIT 1))
			ORDER BY stage, id LIMIT 1`,
			now.UnixNano()).Scan(&id)
		if err != nil {
			return err // no rows: ErrNotFound
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = ?, worker = ?, updated_at = ?
			WHERE id = ?`, now.Add(lease).UnixNano(), worker, now.UnixNano(), id); err != nil {
			return err
		}
		j, err = scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
		return err
	})
	return j, err
}

// JobsReady tells whether a job could be claimed now, with the indexed
// looks of ClaimJob, on a read connection.
func (db *DB) JobsReady(ctx context.Context) (bool, error) {
	now := db.clock().UnixNano()
	var ready bool
	err := db.view(ctx, "jobs ready", func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM jobs WHERE state = 'queued' AND run_after <= ?1)
				OR EXISTS (SELECT 1 FROM jobs WHERE state = 'running' AND lease_until <= ?1)`,
			now).Scan(&ready)
	})
	return ready, err
}

// RenewJob moves the lease of a job the worker holds, while it runs.
func (db *DB) RenewJob(ctx context.Context, id int64, worker string, lease time.Duration) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("renew job %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE jobs SET lease_until = ?
			WHERE id = ? AND state = 'running' AND worker = ? AND lease_until > ?`,
			now.Add(lease).UnixNano(), id, worker, now.UnixNano())
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// FinishJob marks a job the worker holds done.
func (db *DB) FinishJob(ctx context.Context, id int64, worker string) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("finish job %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = ?
			WHERE id = ? AND state = 'running' AND worker = ?`, now.UnixNano(), id, worker)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// NextStage queues a job the worker holds again at its next stage and
// stores the renditions its stage made, in one transaction.
func (db *DB) NextStage(ctx context.Context, id int64, worker string, renditions []damask.Rendition) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("queue job %d at its next stage", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE jobs SET state = 'queued', stage = stage + 1, attempts = 0, run_after = ?1,
				lease_until = NULL, last_error = '', updated_at = ?1
			WHERE id = ?2 AND state = 'running' AND worker = ?3`, now.UnixNano(), id, worker)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		for _, r := range renditions {
			if err := putRendition(ctx, tx, r); err != nil {
				return fmt.Errorf("rendition %s of %s: %w", r.Size, r.Source, err)
			}
		}
		return nil
	})
}

// FailJob queues a job the worker holds again, or gives up on it after
// damask.MaxJobAttempts.
func (db *DB) FailJob(ctx context.Context, id int64, worker string, retryAt time.Time, reason string) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("fail job %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE jobs SET state = CASE WHEN attempts >= ? THEN 'failed' ELSE 'queued' END,
				run_after = ?, lease_until = NULL, last_error = ?, updated_at = ?
			WHERE id = ? AND state = 'running' AND worker = ?`,
			damask.MaxJobAttempts, retryAt.UnixNano(), reason, now.UnixNano(), id, worker)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// Job finds a job by id.
func (db *DB) Job(ctx context.Context, id int64) (*damask.Job, error) {
	var j *damask.Job
	err := db.view(ctx, fmt.Sprintf("job %d", id), func(tx *sql.Tx) (err error) {
		j, err = scanJob(tx.QueryRowContext(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = ?`, id))
		return err
	})
	return j, err
}

// SetExtracted writes what processing found while the version is current.
func (db *DB) SetExtracted(ctx context.Context, accountID, assetID int64, version int, x damask.Extracted) error {
	return db.updateEvents(ctx, fmt.Sprintf("set extracted of asset %d", assetID), func(tx *sql.Tx, ev *eventLog) error {
		var width, height, lat, lon any // NULL when unknown
		if x.Width > 0 && x.Height > 0 {
			width, height = x.Width, x.Height
		}
		if x.GPS != nil {
			lat, lon = x.GPS.Latitude, x.GPS.Longitude
		}
		meta, err := json.Marshal(x.Meta)
		if err != nil {
			return fmt.Errorf("meta: %w", err)
		}
		raw := []byte("{}")
		if len(x.Raw) > 0 {
			if raw, err = json.Marshal(x.Raw); err != nil {
				return fmt.Errorf("raw meta: %w", err)
			}
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE assets SET processing = ?, processing_error = ?, width = ?, height = ?,
				pixel_width = ?, pixel_height = ?, duration = ?, page_count = ?,
				camera = ?, taken_at = ?, latitude = ?, longitude = ?, text = ?, meta = ?, meta_raw = ?
			WHERE account_id = ? AND id = ? AND version = ?`,
			x.Processing, x.Reason, width, height,
			x.PixelWidth, x.PixelHeight, int64(x.Duration), x.PageCount,
			x.Camera, timeValue(x.TakenAt), lat, lon, x.Text, meta, raw,
			accountID, assetID, version)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		changed := []string{"processing"}
		if len(x.Keywords) > 0 {
			var on bool
			if err := tx.QueryRowContext(ctx, `SELECT keywords_to_tags FROM accounts WHERE id = ?`, accountID).Scan(&on); err != nil {
				return err
			}
			if on {
				if err := addTags(ctx, tx, ev, accountID, assetID, x.Keywords, db.clock()); err != nil {
					return err
				}
				changed = append(changed, "tags")
			}
		}
		// After the tags the keywords made: their tag.created come first.
		ev.add(accountID, damask.ProcessingEvent(x.Processing), assetID, changed...)
		return reindex(ctx, tx, assetID)
	})
}

// PutRendition stores r, replacing the one of the same source and size.
func (db *DB) PutRendition(ctx context.Context, r damask.Rendition) error {
	return db.update(ctx, "put rendition", func(tx *sql.Tx) error { return putRendition(ctx, tx, r) })
}

// putRendition stores r in tx, replacing any of the same source and size.
func putRendition(ctx context.Context, tx *sql.Tx, r damask.Rendition) error {
	_, err := tx.ExecContext(ctx, `
		INSERT INTO renditions (source, size, rendition, width, height) VALUES (?, ?, ?, ?, ?)
		ON CONFLICT (source, size) DO UPDATE SET
			rendition = excluded.rendition, width = excluded.width, height = excluded.height`,
		r.Source[:], r.Size, r.Blob[:], r.Width, r.Height)
	return err
}

// Rendition finds the rendition of source at size.
func (db *DB) Rendition(ctx context.Context, source damask.BlobRef, size string) (damask.Rendition, error) {
	r := damask.Rendition{Source: source, Size: size}
	err := db.view(ctx, fmt.Sprintf("rendition %s of %s", size, source), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			SELECT rendition, width, height FROM renditions WHERE source = ? AND size = ?`,
			source[:], size).Scan(blobCol{&r.Blob}, &r.Width, &r.Height)
	})
	return r, err
}

// DeleteFinishedJobs removes the jobs done or failed before the time.
func (db *DB) DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete finished jobs", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
