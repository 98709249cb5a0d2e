package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// enqueueJob queues the processing of a version, inside the transaction
// that stores the version.
func enqueueJob(ctx context.Context, tx pgx.Tx, accountID, assetID int64, version int, blob damask.BlobRef, now time.Time) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO jobs (account_id, asset_id, version, blob, state, run_after, created_at, updated_at)
		VALUES ($1, $2, $3, $4, 'queued', $5, $5, $5)`,
		accountID, assetID, version, blob[:], now)
	if err != nil {
		return fmt.Errorf("queue job: %w", err)
	}
	return nil
}

const jobColumns = `id, account_id, asset_id, version, blob, state, attempts,
	run_after, lease_until, last_error, created_at, updated_at, stage`

func scanJob(s pgx.Row) (*damask.Job, error) {
	var j damask.Job
	err := s.Scan(&j.ID, &j.AccountID, &j.AssetID, &j.Version, blobCol{&j.Blob}, &j.State, &j.Attempts,
		timeCol{&j.RunAfter}, timeCol{&j.LeaseUntil}, &j.LastError, timeCol{&j.CreatedAt}, timeCol{&j.UpdatedAt}, &j.Stage)
	if err != nil {
		return nil, err
	}
	return &j, nil
}

// ClaimJob takes the runnable job of the earliest stage, oldest first: queued and due, or running with
// its lease run out. FOR UPDATE SKIP LOCKED makes claimers pass over a job
// another claimer is taking instead of waiting for it, and the row is
// checked again once locked, so that two claimers, in this process or
// another, never take one job.
func (db *DB) ClaimJob(ctx context.Context, worker string, lease time.Duration) (*damask.Job, error) {
	now := db.clock()
	var j *damask.Job
	err := db.update(ctx, "claim job", func(tx pgx.Tx) (err error) {
		j, err = scanJob(tx.QueryRow(ctx, `
			WITH c AS (
				SELECT id FROM jobs
				WHERE (state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until <= $1)
				ORDER BY stage, id LIMIT 1 FOR UPDATE SKIP LOCKED
			)
			UPDATE jobs SET state = 'running', attempts = attempts + 1, lease_until = $2, worker = $3, updated_at = $1
			WHERE id = (SELECT id FROM c)
			RETURNING `+jobColumns, now, now.Add(lease), worker))
		return err
	})
	return j, err
}

// JobsReady tells whether a job could be claimed now (one may be locked
// by a claim under way, which ClaimJob would skip).
func (db *DB) JobsReady(ctx context.Context) (bool, error) {
	now := db.clock()
	var ready bool
	err := db.get(ctx, "jobs ready", func(q querier) error {
		return q.QueryRow(ctx, `
			SELECT EXISTS (SELECT 1 FROM jobs
				WHERE (state = 'queued' AND run_after <= $1) OR (state = 'running' AND lease_until <= $1))`,
			now).Scan(&ready)
	})
	return ready, err
}

// RenewJob moves the lease of a job the worker holds, while it runs.
func (db *DB) RenewJob(ctx context.Context, id int64, worker string, lease time.Duration) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("renew job %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE jobs SET lease_until = $1
			WHERE id = $2 AND state = 'running' AND worker = $3 AND lease_until > $4`,
			now.Add(lease), id, worker, now)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// NextStage queues a job the worker holds again at its next stage and
// stores the renditions its stage made, in one transaction.
func (db *DB) NextStage(ctx context.Context, id int64, worker string, renditions []damask.Rendition) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("queue job %d at its next stage", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE jobs SET state = 'queued', stage = stage + 1, attempts = 0, run_after = $1,
				lease_until = NULL, last_error = '', updated_at = $1
			WHERE id = $2 AND state = 'running' AND worker = $3`, now, id, worker)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
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

// FinishJob marks a job the worker holds done.
func (db *DB) FinishJob(ctx context.Context, id int64, worker string) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("finish job %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE jobs SET state = 'done', lease_until = NULL, updated_at = $1
			WHERE id = $2 AND state = 'running' AND worker = $3`, now, id, worker)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// FailJob queues a job the worker holds again, or gives up on it after
// damask.MaxJobAttempts.
func (db *DB) FailJob(ctx context.Context, id int64, worker string, retryAt time.Time, reason string) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("fail job %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE jobs SET state = CASE WHEN attempts >= $1 THEN 'failed' ELSE 'queued' END,
				run_after = $2, lease_until = NULL, last_error = $3, updated_at = $4
			WHERE id = $5 AND state = 'running' AND worker = $6`,
			damask.MaxJobAttempts, retryAt, reason, now, id, worker)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// Job finds a job by id.
func (db *DB) Job(ctx context.Context, id int64) (*damask.Job, error) {
	var j *damask.Job
	err := db.get(ctx, fmt.Sprintf("job %d", id), func(q querier) (err error) {
		j, err = scanJob(q.QueryRow(ctx, `SELECT `+jobColumns+` FROM jobs WHERE id = $1`, id))
		return err
	})
	return j, err
}

// SetExtracted writes what processing found while the version is current.
func (db *DB) SetExtracted(ctx context.Context, accountID, assetID int64, version int, x damask.Extracted) error {
	return db.updateEvents(ctx, fmt.Sprintf("set extracted of asset %d", assetID), func(tx pgx.Tx, ev *eventLog) error {
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
		tag, err := tx.Exec(ctx, `
			UPDATE assets SET processing = $1, processing_error = $2, width = $3, height = $4,
				pixel_width = $5, pixel_height = $6, duration = $7, page_count = $8,
				camera = $9, taken_at = $10, latitude = $11, longitude = $12, text = $13,
				meta = $14::text::jsonb, meta_raw = $15::text::jsonb
			WHERE account_id = $16 AND id = $17 AND version = $18`,
			x.Processing, x.Reason, width, height,
			x.PixelWidth, x.PixelHeight, int64(x.Duration), x.PageCount,
			x.Camera, timeValue(x.TakenAt), lat, lon, x.Text, string(meta), string(raw),
			accountID, assetID, version)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		changed := []string{"processing"}
		if len(x.Keywords) > 0 {
			var on bool
			if err := tx.QueryRow(ctx, `SELECT keywords_to_tags FROM accounts WHERE id = $1`, accountID).Scan(&on); err != nil {
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
	return db.update(ctx, "put rendition", func(tx pgx.Tx) error { return putRendition(ctx, tx, r) })
}

// putRendition stores r in tx, replacing any of the same source and size.
func putRendition(ctx context.Context, tx pgx.Tx, r damask.Rendition) error {
	_, err := tx.Exec(ctx, `
		INSERT INTO renditions (source, size, rendition, width, height) VALUES ($1, $2, $3, $4, $5)
		ON CONFLICT (source, size) DO UPDATE SET
			rendition = excluded.rendition, width = excluded.width, height = excluded.height`,
		r.Source[:], r.Size, r.Blob[:], r.Width, r.Height)
	return err
}

// Rendition finds the rendition of source at size.
func (db *DB) Rendition(ctx context.Context, source damask.BlobRef, size string) (damask.Rendition, error) {
	r := damask.Rendition{Source: source, Size: size}
	err := db.get(ctx, fmt.Sprintf("rendition %s of %s", size, source), func(q querier) error {
		return q.QueryRow(ctx, `
			SELECT rendition, width, height FROM renditions WHERE source = $1 AND size = $2`,
			source[:], size).Scan(blobCol{&r.Blob}, &r.Width, &r.Height)
	})
	return r, err
}

// DeleteFinishedJobs removes the jobs done or failed before the time.
func (db *DB) DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete finished jobs", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM jobs WHERE state IN ('done', 'failed') AND updated_at < $1`, before)
		n = tag.RowsAffected()
		return err
	})
	return int(n), err
}
