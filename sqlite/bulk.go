package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"strings"
	"time"

	"damask"
)

var _ damask.BulkCreator = (*DB)(nil)

// CreateAssets stores many assets in one transaction with prepared
// statements: a million load in well under a minute, where one
// transaction each would wait for a million fsyncs.
func (db *DB) CreateAssets(ctx context.Context, as []*damask.Asset) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("create %d assets", len(as)), func(tx *sql.Tx, ev *eventLog) error {
		return insertAssets(ctx, tx, ev, as, now)
	})
}

// insertAssets is the work of CreateAssets inside a transaction of the
// caller's, so that a change made of many assets (an Inbox's submission)
// writes them with the rest of it.
func insertAssets(ctx context.Context, tx *sql.Tx, ev *eventLog, as []*damask.Asset, now time.Time) error {
	insAsset, err := tx.PrepareContext(ctx, `
		INSERT INTO assets (account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext, thumb_token, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return err
	}
	defer insAsset.Close()
	insVersion, err := tx.PrepareContext(ctx, `
		INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
		VALUES (?, 1, ?, ?, ?, ?, '', ?, ?)`)
	if err != nil {
		return err
	}
	defer insVersion.Close()
	insLink, err := tx.PrepareContext(ctx, `INSERT OR IGNORE INTO asset_tags (asset_id, tag_id) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	defer insLink.Close()

	tagIDs := map[string]int64{} // by lower-case name, within this batch
	for _, a := range as {
		created, updated := a.CreatedAt, a.UpdatedAt
		if created.IsZero() {
			created = now
		}
		if updated.IsZero() {
			updated = created
		}
		var width, height, lat, lon, user any
		if a.Width > 0 && a.Height > 0 {
			width, height = a.Width, a.Height
		}
		if a.GPS != nil {
			lat, lon = a.GPS.Latitude, a.GPS.Longitude
		}
		if a.UserID != 0 {
			user = a.UserID
		}
		kind, ext := kindAndExt(a.ContentType, a.Filename)
		res, err := insAsset.ExecContext(ctx, a.AccountID, a.Title, a.Description, a.Filename, a.ContentType,
			a.Size, a.Blob[:], user, a.PublicToken, nullID(a.PublicLinkBy), a.Processing, created.UnixNano(), updated.UnixNano(),
			width, height, a.Camera, timeValue(a.TakenAt), lat, lon, a.Text, kind, ext, damask.EnsureThumbToken(a), a.Path)
		if err != nil {
			return fmt.Errorf("insert asset %q: %w", a.Title, err)
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		ev.add(a.AccountID, damask.EventAssetCreated, a.ID)
		a.Version, a.CreatedAt, a.UpdatedAt = 1, created.UTC(), updated.UTC()
		if _, err := insVersion.ExecContext(ctx, a.ID, a.Filename, a.ContentType, a.Size, a.Blob[:], user, created.UnixNano()); err != nil {
			return fmt.Errorf("insert version of asset %d: %w", a.ID, err)
		}
		if a.Processing == damask.ProcessingPending {
			if err := enqueueJob(ctx, tx, a.AccountID, a.ID, 1, a.Blob, now); err != nil {
				return err
			}
		}
		row := indexRow{id: a.ID, accountID: a.AccountID, userID: a.UserID, title: a.Title, description: a.Description,
			filename: a.Filename, camera: a.Camera, body: a.Text, kind: kind, ext: ext, meta: a.Meta.MetaTexts()}
		names := make([]string, 0, len(a.Tags))
		for i, t := range a.Tags {
			key := strings.ToLower(t.Name)
			id, ok := tagIDs[key]
			if !ok {
				if id, err = tagID(ctx, tx, ev, a.AccountID, t.Name, now); err != nil {
					return fmt.Errorf("tag %q: %w", t.Name, err)
				}
				tagIDs[key] = id
			}
			if _, err := insLink.ExecContext(ctx, a.ID, id); err != nil {
				return err
			}
			a.Tags[i].ID, a.Tags[i].AccountID = id, a.AccountID
			names = append(names, unmarked(t.Name))
			row.tagIDs = append(row.tagIDs, id)
		}
		row.tags = strings.Join(names, tagSeparator)
		if err := writeIndex(ctx, tx, row, false); err != nil { // a new id has no row to replace
			return err
		}
	}
	return nil
}

// tagID finds the account's tag of that name, making it when missing.
func tagID(ctx context.Context, tx *sql.Tx, ev *eventLog, accountID int64, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRowContext(ctx, `SELECT id FROM tags WHERE account_id = ? AND name = ?`, accountID, name).Scan(&id)
	if errors.Is(err, sql.ErrNoRows) {
		id, err = insertTag(ctx, tx, accountID, name, now.UnixNano())
		if err == nil {
			ev.add(accountID, damask.EventTagCreated, id)
		}
	}
	return id, err
}
