package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"damask"
)

const resumableColumns = `id, account_id, user_id, length, received, hash_state,
	filename, title, tags, asset_id, unpack, path, path_tags, make_asset, upload_id, made_asset,
	report, created_at, expires_at`

func scanResumable(s interface{ Scan(...any) error }) (*damask.ResumableUpload, error) {
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
	return db.update(ctx, "create resumable upload", func(tx *sql.Tx) error {
		return insertResumable(ctx, tx, u, now)
	})
}

// insertResumable is the work of CreateResumableUpload in tx, safe to run
// again.
func insertResumable(ctx context.Context, tx *sql.Tx, u *damask.ResumableUpload, now time.Time) error {
	if err := accountExists(ctx, tx, u.AccountID); err != nil {
		return err
	}
	m := u.Meta
	_, err := tx.ExecContext(ctx, `
		INSERT INTO resumable_uploads (id, account_id, user_id, length, received, hash_state,
			filename, title, tags, asset_id, unpack, path, path_tags, make_asset, upload_id, made_asset, report,
			created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.ID, u.AccountID, u.UserID, u.Length, u.Offset, u.HashState,
		m.Filename, m.Title, m.Tags, m.AssetID, m.Unpack, m.Path, m.PathTags, m.Asset, u.UploadID, u.AssetID, u.Report,
		now.UnixNano(), u.ExpiresAt.UnixNano())
	if err != nil {
		return err
	}
	u.CreatedAt, u.ExpiresAt = now, u.ExpiresAt.UTC()
	return nil
}

// ResumableUpload finds a resumable upload of the user.
func (db *DB) ResumableUpload(ctx context.Context, accountID, userID int64, id string) (*damask.ResumableUpload, error) {
	var u *damask.ResumableUpload
	err := db.view(ctx, "resumable upload "+id, func(tx *sql.Tx) (err error) {
		u, err = scanResumable(tx.QueryRowContext(ctx, `SELECT `+resumableColumns+`
			FROM resumable_uploads WHERE account_id = ? AND user_id = ? AND id = ?`, accountID, userID, id))
		return err
	})
	return u, err
}

// AdvanceResumableUpload moves the offset from from to offset.
func (db *DB) AdvanceResumableUpload(ctx context.Context, id string, from, offset int64, hashState []byte) error {
	return db.update(ctx, "advance resumable upload "+id, func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `UPDATE resumable_uploads SET received = ?, hash_state = ?
			WHERE id = ? AND received = ?`, offset, hashState, id, from)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			return damask.Errorf(damask.ECONFLICT, "The upload moved on meanwhile")
		}
		return nil
	})
}

// FinishResumableUpload records the upload and the asset made.
func (db *DB) FinishResumableUpload(ctx context.Context, id string, uploadID, assetID int64, report []byte) error {
	return db.update(ctx, "finish resumable upload "+id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `UPDATE resumable_uploads SET upload_id = ?, made_asset = ?, report = ? WHERE id = ?`,
			uploadID, assetID, report, id)
		return err
	})
}

// DeleteResumableUpload removes one.
func (db *DB) DeleteResumableUpload(ctx context.Context, id string) error {
	return db.update(ctx, "delete resumable upload "+id, func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, `DELETE FROM resumable_uploads WHERE id = ?`, id)
		return err
	})
}

// ExpiredResumableUploads lists the ids past their expiry.
func (db *DB) ExpiredResumableUploads(ctx context.Context, before time.Time, limit int) ([]string, error) {
	var ids []string
	err := db.view(ctx, fmt.Sprintf("expired resumable uploads before %s", before), func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT id FROM resumable_uploads WHERE expires_at < ? ORDER BY expires_at LIMIT ?`,
			before.UnixNano(), limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var id string
			if err := rows.Scan(&id); err != nil {
				return err
			}
			ids = append(ids, id)
		}
		return rows.Err()
	})
	return ids, err
}

// CreateResumableAsset stores a resumable upload finished in its
// creation's request with the Upload and the asset it made, in one
// transaction committed in a group (grouped), as `damask push` sends
// several at once.
func (db *DB) CreateResumableAsset(ctx context.Context, u *damask.ResumableUpload, up *damask.Upload, a *damask.Asset, v *damask.Version, tags []string) error {
	now := db.clock()
	expires := up.ExpiresAt
	if expires.IsZero() {
		expires = now.Add(damask.UploadLifetime)
	}
	return db.groupedEvents(ctx, "create resumable upload and asset", func(tx *sql.Tx, ev *eventLog) error {
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
