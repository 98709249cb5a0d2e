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

var (
	_ damask.BulkCreator = (*DB)(nil)
	_ damask.BulkLoader  = (*DB)(nil)
)

// bulkCacheKiB is the writer's page cache during a BulkLoad. A million
// assets make a file of 1.4 GB whose indexes (versions by blob, links by
// tag, the full-text segments being merged) take inserts all over: with
// SQLite's default of 2 MB every insert read its pages back from the
// kernel, 13 s of system time in a load of 300,000 against 4 s with this
// (bench/notes.md, "Import of a million assets").
const bulkCacheKiB = 512 << 10

// BulkLoad runs load with a page cache of bulkCacheKiB on the writer, and
// puts the connection's own back after it.
func (db *DB) BulkLoad(ctx context.Context, load func(ctx context.Context) error) error {
	var size int64
	if err := db.write.QueryRowContext(ctx, `PRAGMA cache_size`).Scan(&size); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	// The write pool is one connection that is never closed, so the
	// setting holds for each of load's transactions.
	if _, err := db.write.ExecContext(ctx, fmt.Sprintf(`PRAGMA cache_size = %d`, -bulkCacheKiB)); err != nil {
		return fmt.Errorf("sqlite: bulk load: %w", err)
	}
	err := load(ctx)
	if _, rerr := db.write.ExecContext(context.WithoutCancel(ctx), fmt.Sprintf(`PRAGMA cache_size = %d`, size)); rerr != nil {
		err = errors.Join(err, fmt.Errorf("sqlite: bulk load: restore the page cache: %w", rerr))
	}
	return err
}

// CreateAssets stores many assets in one transaction with prepared
// statements, where one transaction each would wait for a fsync each. Most
// of a load's time is FTS5's (tokens, prefix indexes, segment merges):
// bench/notes.md, "Import of a million assets", has the measurements.
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
	// The driver watches a cancellable context with a goroutine of its own
	// for every statement it runs: a fifth of a load's time went to
	// starting and waking them. The loop checks ctx once an asset instead,
	// and an error rolls the whole transaction back.
	stop := ctx
	ctx = context.WithoutCancel(ctx)
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
		if err := stop.Err(); err != nil {
			return err
		}
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
		}
		row := newIndexRow(a)
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

// newIndexRow is the index row of a new asset whose tags have their ids.
func newIndexRow(a *damask.Asset) indexRow {
	kind, ext := kindAndExt(a.ContentType, a.Filename)
	r := indexRow{id: a.ID, accountID: a.AccountID, userID: a.UserID, title: a.Title, description: a.Description,
		filename: a.Filename, camera: a.Camera, body: a.Text, kind: kind, ext: ext, meta: a.Meta.MetaTexts()}
	names := make([]string, 0, len(a.Tags))
	for _, t := range a.Tags {
		names = append(names, unmarked(t.Name))
		r.tagIDs = append(r.tagIDs, t.ID)
	}
	r.tags = strings.Join(names, tagSeparator)
	return r
}

// IndexInsert answers the statement that writes an asset's row of the
// account's full-text index, and its arguments for a new asset whose ID
// and tags' IDs are set: the very row CreateAssets writes, for the raw
// engine's load of the same catalogue that benchmarks set beside the
// import (`damask dev seed --raw`).
func IndexInsert(a *damask.Asset) (string, []any) {
	r := newIndexRow(a)
	return indexInsert(r.accountID), indexValues(r)
}
