package postgres

import (
	"context"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const resumableColumns = `id, account_id, user_id, length, received, hash_state,
	filename, title, tags, asset_id, unpack, path, path_tags, make_asset, upload_id, made_asset,
	report, created_at, expires_at`

func scanResumable(s pgx.Row) (*damask.ResumableUpload, error) {
	var u damask.ResumableUpload
	m := &u.Meta
	err := s.Scan(&u.ID, &u.AccountID, &u.UserID, &u.Length, &u.Offset, &u.HashState,
		&m.Filename, &m.Title, &m.Tags, &m.AssetID, &m.Unpack, &m.Path, &m.PathTags, &m.Asset, &u.UploadID, &u.AssetID, &u.Report,
		timeCol{&u.CreatedAt}, timeCol{&u.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateResumableUpload stores u: one not yet begun, or one finished in
// its creation's request (its offset, upload, asset and report set).
func (db *DB) CreateResumableUpload(ctx context.Context, u *damask.ResumableUpload) error {
	now := db.clock()
	return db.update(ctx, "create resumable upload", func(tx pgx.Tx) error {
		return insertResumable(ctx, tx, u, now)
	})
}

// insertResumable is the work of CreateResumableUpload in tx.
func insertResumable(ctx context.Context, tx pgx.Tx, u *damask.ResumableUpload, now time.Time) error {
	if err := accountExists(ctx, tx, u.AccountID); err != nil {
		return err
	}
	m := u.Meta
	_, err := tx.Exec(ctx, `
		INSERT INTO resumable_uploads (id, account_id, user_id, length, received, hash_state,
			filename, title, tags, asset_id, unpack, path, path_tags, make_asset, upload_id, made_asset, report,
			created_at, expires_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19)`,
		u.ID, u.AccountID, u.UserID, u.Length, u.Offset, u.HashState,
		m.Filename, m.Title, m.Tags, m.AssetID, m.Unpack, m.Path, m.PathTags, m.Asset, u.UploadID, u.AssetID, u.Report,
		now, u.ExpiresAt)
	if err != nil {
		return err
	}
	u.CreatedAt, u.ExpiresAt = now, u.ExpiresAt.UTC()
	return nil
}

// ResumableUpload finds a resumable upload of the user.
func (db *DB) ResumableUpload(ctx context.Context, accountID, userID int64, id string) (*damask.ResumableUpload, error) {
	var u *damask.ResumableUpload
	err := db.get(ctx, "resumable upload "+id, func(q querier) (err error) {
		u, err = scanResumable(q.QueryRow(ctx, `SELECT `+resumableColumns+`
			FROM resumable_uploads WHERE account_id = $1 AND user_id = $2 AND id = $3`, accountID, userID, id))
		return err
	})
	return u, err
}

// AdvanceResumableUpload moves the offset from from to offset.
func (db *DB) AdvanceResumableUpload(ctx context.Context, id string, from, offset int64, hashState []byte) error {
	return db.update(ctx, "advance resumable upload "+id, func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE resumable_uploads SET received = $1, hash_state = $2
			WHERE id = $3 AND received = $4`, offset, hashState, id, from)
		if err != nil {
			return err
		}
		if tag.RowsAffected() == 0 {
			return damask.Errorf(damask.ECONFLICT, "The upload moved on meanwhile")
		}
		return nil
	})
}

// FinishResumableUpload records the upload and the asset made.
func (db *DB) FinishResumableUpload(ctx context.Context, id string, uploadID, assetID int64, report []byte) error {
	return db.update(ctx, "finish resumable upload "+id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `UPDATE resumable_uploads SET upload_id = $1, made_asset = $2, report = $3 WHERE id = $4`,
			uploadID, assetID, report, id)
		return err
	})
}

// DeleteResumableUpload removes one.
func (db *DB) DeleteResumableUpload(ctx context.Context, id string) error {
	return db.update(ctx, "delete resumable upload "+id, func(tx pgx.Tx) error {
		_, err := tx.Exec(ctx, `DELETE FROM resumable_uploads WHERE id = $1`, id)
		return err
	})
}

// ExpiredResumableUploads lists the ids past their expiry.
func (db *DB) ExpiredResumableUploads(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := db.get(ctx, "expired resumable uploads", func(q querier) error {
		rows, err := q.Query(ctx, `SELECT id FROM resumable_uploads WHERE expires_at < $1 ORDER BY expires_at LIMIT $2`,
			before, limit)
		if err != nil {
			return err
		}
		ids, err = pgx.CollectRows(rows, pgx.RowTo[string])
		return err
	})
	return ids, err
}

// CreateResumableAsset stores a resumable upload finished in its
// creation's request with the Upload and the asset it made, in one
// transaction.
func (db *DB) CreateResumableAsset(ctx context.Context, u *damask.ResumableUpload, up *damask.Upload, a *damask.Asset, v *damask.Version, tags []string) error {
	now := db.clock()
	expires := up.ExpiresAt
	if expires.IsZero() {
		expires = now.Add(damask.UploadLifetime)
	}
	return db.updateEvents(ctx, "create resumable upload and asset", func(tx pgx.Tx, ev *eventLog) error {
		if err := insertUpload(ctx, tx, up, now, expires); err != nil {
			return err
		}
		if err := insertAsset(ctx, tx, ev, now, a, v, tags, up.ID); err != nil {
			return err
		}
		u.UploadID, u.AssetID = up.ID, a.ID
		return insertResumable(ctx, tx, u, now)
	})
}
