package postgres

import (
	"context"
	"encoding/json"
	"fmt"
	"path"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
	"damask/search"
)

const assetColumns = `a.id, a.account_id, a.title, a.description, a.filename,
	a.content_type, a.size, a.blob, a.version, coalesce(a.user_id, 0),
	a.public_token, coalesce(a.public_link_by, 0), a.processing, a.created_at, a.updated_at, a.deleted_at,
	coalesce(a.width, 0), coalesce(a.height, 0), a.camera, a.taken_at, a.latitude, a.longitude, a.text,
	a.processing_error, a.pixel_width, a.pixel_height, a.duration, a.page_count, a.meta, a.thumb_token, a.path`

func scanAsset(s pgx.Row) (*damask.Asset, error) {
	var a damask.Asset
	var lat, lon *float64
	var dur int64
	var meta []byte
	err := s.Scan(&a.ID, &a.AccountID, &a.Title, &a.Description, &a.Filename,
		&a.ContentType, &a.Size, blobCol{&a.Blob}, &a.Version, &a.UserID,
		&a.PublicToken, &a.PublicLinkBy, &a.Processing, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, timeCol{&a.DeletedAt},
		&a.Width, &a.Height, &a.Camera, timeCol{&a.TakenAt}, &lat, &lon, &a.Text,
		&a.ProcessingError, &a.PixelWidth, &a.PixelHeight, &dur, &a.PageCount, &meta, &a.ThumbToken, &a.Path)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal(meta, &a.Meta); err != nil {
		return nil, fmt.Errorf("meta of asset %d: %w", a.ID, err)
	}
	a.Duration = time.Duration(dur)
	if lat != nil && lon != nil {
		a.GPS = &damask.GeoPoint{Latitude: *lat, Longitude: *lon}
	}
	return &a, nil
}

// kindAndExt derive the kind and extension columns of an asset.
func kindAndExt(contentType, filename string) (string, string) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(filename), "."))
	return search.KindOf(contentType), ext
}

// assetByID finds an asset outside the trash, with its tags.
func assetByID(ctx context.Context, q querier, accountID, id int64) (*damask.Asset, error) {
	return assetIn(ctx, q, accountID, id, false)
}

// assetIn finds an asset with its tags, in the trash or outside it.
func assetIn(ctx context.Context, q querier, accountID, id int64, trash bool) (*damask.Asset, error) {
	where := "a.deleted_at IS NULL"
	if trash {
		where = "a.deleted_at IS NOT NULL"
	}
	a, err := scanAsset(q.QueryRow(ctx, `
		SELECT `+assetColumns+` FROM assets a
		WHERE a.account_id = $1 AND a.id = $2 AND `+where, accountID, id))
	if err != nil {
		return nil, err
	}
	if err := loadTags(ctx, q, []*damask.Asset{a}); err != nil {
		return nil, err
	}
	return a, nil
}

// loadTags sets the Tags of the assets, ordered by name. An asset's tags
// carry no AssetsCount: counting them for every asset of a list would cost
// more than the list.
func loadTags(ctx context.Context, q querier, as []*damask.Asset) error {
	byID := make(map[int64]*damask.Asset, len(as))
	ids := make([]int64, len(as))
	for i, a := range as {
		a.Tags = []damask.Tag{}
		byID[a.ID] = a
		ids[i] = a.ID
	}
	if len(as) == 0 {
		return nil
	}
	rows, err := q.Query(ctx, `
		SELECT x.asset_id, t.id, t.account_id, t.name, t.created_at
		FROM asset_tags x JOIN tags t ON t.id = x.tag_id
		WHERE x.asset_id = ANY($1)
		ORDER BY lower(t.name COLLATE "C"), t.id`, ids)
	if err != nil {
		return err
	}
	defer rows.Close()
	for rows.Next() {
		var assetID int64
		var t damask.Tag
		if err := rows.Scan(&assetID, &t.ID, &t.AccountID, &t.Name, timeCol{&t.CreatedAt}); err != nil {
			return err
		}
		a := byID[assetID]
		a.Tags = append(a.Tags, t)
	}
	return rows.Err()
}

// tagIDs finds or makes the named tags of the account, in increasing
// order of id, once each. Names are trimmed; empty ones are skipped; names
// that differ only in case are one tag. Links are then made in the order
// of the ids, so that writers sharing tags lock their counts in one order
// and never deadlock.
func tagIDs(ctx context.Context, tx pgx.Tx, ev *eventLog, accountID int64, names []string, now time.Time) ([]int64, error) {
	ids := []int64{} // not nil, which would be NULL
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		id, err := tagID(ctx, tx, ev, accountID, name, now)
		if err != nil {
			return nil, fmt.Errorf("tag %q: %w", name, err)
		}
		ids = append(ids, id)
	}
	slices.Sort(ids)
	return slices.Compact(ids), nil
}

// setTags makes the asset's tags exactly the named ones, creating the names
// the account lacks.
func setTags(ctx context.Context, tx pgx.Tx, ev *eventLog, accountID, assetID int64, names []string, now time.Time) error {
	ids, err := tagIDs(ctx, tx, ev, accountID, names, now)
	if err != nil {
		return err
	}
	if _, err := tx.Exec(ctx, `DELETE FROM asset_tags WHERE asset_id = $1 AND NOT tag_id = ANY($2)`, assetID, ids); err != nil {
		return err
	}
	return link(ctx, tx, assetID, ids)
}

// addTags adds the named tags to the asset, keeping those it has.
func addTags(ctx context.Context, tx pgx.Tx, ev *eventLog, accountID, assetID int64, names []string, now time.Time) error {
	ids, err := tagIDs(ctx, tx, ev, accountID, names, now)
	if err != nil {
		return err
	}
	return link(ctx, tx, assetID, ids)
}

// link gives the asset the tags of ids, in order, keeping those it has.
func link(ctx context.Context, tx pgx.Tx, assetID int64, ids []int64) error {
	if len(ids) == 0 {
		return nil
	}
	_, err := tx.Exec(ctx, `
		INSERT INTO asset_tags (asset_id, tag_id) SELECT $1, t FROM unnest($2::bigint[]) WITH ORDINALITY AS u(t, n)
		ORDER BY n ON CONFLICT DO NOTHING`, assetID, ids)
	return err
}

// consumeUpload deletes the upload an asset or version is made from, or
// answers ErrNotFound when it is gone.
func consumeUpload(ctx context.Context, tx pgx.Tx, accountID, uploadID int64) error {
	tag, err := tx.Exec(ctx, `DELETE FROM uploads WHERE account_id = $1 AND id = $2`, accountID, uploadID)
	if err != nil {
		return err
	}
	return notFound(tag)
}

func insertVersion(ctx context.Context, tx pgx.Tx, v *damask.Version) error {
	return tx.QueryRow(ctx, `
		INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9) RETURNING id`,
		v.AssetID, v.Number, v.Filename, v.ContentType, v.Size, v.Blob[:], v.Comment, nullID(v.UserID), v.CreatedAt).Scan(&v.ID)
}

// CreateAsset stores a, its first version v and its tags in one transaction.
// The asset's file fields are taken from v.
func (db *DB) CreateAsset(ctx context.Context, a *damask.Asset, v *damask.Version, tags []string, uploadID int64) error {
	now := db.clock()
	return db.updateEvents(ctx, "create asset", func(tx pgx.Tx, ev *eventLog) error {
		return insertAsset(ctx, tx, ev, now, a, v, tags, uploadID)
	})
}

// insertAsset is the work of CreateAsset in tx: safe to run again, as a
// group's write must be (it sets a and v from what it wrote).
func insertAsset(ctx context.Context, tx pgx.Tx, ev *eventLog, now time.Time, a *damask.Asset, v *damask.Version, tags []string, uploadID int64) error {
	if err := claimKey(ctx, tx, damask.KindAsset, now); err != nil {
		return err
	}
	if err := accountExists(ctx, tx, a.AccountID); err != nil {
		return err
	}
	if uploadID != 0 {
		if err := consumeUpload(ctx, tx, a.AccountID, uploadID); err != nil {
			return fmt.Errorf("upload %d: %w", uploadID, err)
		}
	}
	var width, height, lat, lon any // NULL when unknown
	if a.Width > 0 && a.Height > 0 {
		width, height = a.Width, a.Height
	}
	if a.GPS != nil {
		lat, lon = a.GPS.Latitude, a.GPS.Longitude
	}
	kind, ext := kindAndExt(v.ContentType, v.Filename)
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO assets (account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext, thumb_token, path)
		VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21, $22, $23)
		RETURNING id`,
		a.AccountID, a.Title, a.Description, v.Filename, v.ContentType,
		v.Size, v.Blob[:], nullID(a.UserID), a.PublicToken, nullID(a.PublicLinkBy), a.Processing, now,
		width, height, a.Camera, timeValue(a.TakenAt), lat, lon, a.Text, kind, ext, damask.EnsureThumbToken(a), a.Path).Scan(&id)
	if err != nil {
		return err
	}
	nv := *v
	nv.AssetID, nv.Number, nv.CreatedAt = id, 1, now
	if err := insertVersion(ctx, tx, &nv); err != nil {
		return err
	}
	if err := setTags(ctx, tx, ev, a.AccountID, id, tags, now); err != nil {
		return err
	}
	ev.add(a.AccountID, damask.EventAssetCreated, id)
	if a.Processing == damask.ProcessingPending {
		if err := enqueueJob(ctx, tx, a.AccountID, id, 1, nv.Blob, now); err != nil {
			return err
		}
	}
	if err := reindex(ctx, tx, id); err != nil {
		return err
	}
	if err := keyDone(ctx, tx, id, 0); err != nil {
		return err
	}
	fresh, err := assetByID(ctx, tx, a.AccountID, id)
	if err != nil {
		return err
	}
	*a, *v = *fresh, nv
	return nil
}

// TrashedAsset finds an asset in the trash, with its tags.
func (db *DB) TrashedAsset(ctx context.Context, accountID, id int64) (*damask.Asset, error) {
	var a *damask.Asset
	err := db.get(ctx, fmt.Sprintf("asset %d in the trash", id), func(q querier) (err error) {
		a, err = assetIn(ctx, q, accountID, id, true)
		return err
	})
	return a, err
}

// Asset finds an asset outside the trash, with its tags.
func (db *DB) Asset(ctx context.Context, accountID, id int64) (*damask.Asset, error) {
	var a *damask.Asset
	err := db.get(ctx, fmt.Sprintf("asset %d", id), func(q querier) (err error) {
		a, err = assetByID(ctx, q, accountID, id)
		return err
	})
	return a, err
}

// assetBefore reads what an update's event compares: the fields an update
// writes and the ids of the tags; cheaper than the whole asset.
func assetBefore(ctx context.Context, q querier, accountID, id int64) (*damask.Asset, error) {
	a := damask.Asset{AccountID: accountID, ID: id}
	var tags []int64
	err := q.QueryRow(ctx, `
		SELECT a.title, a.description, a.public_token,
			coalesce((SELECT array_agg(x.tag_id) FROM asset_tags x WHERE x.asset_id = a.id), '{}')
		FROM assets a WHERE a.account_id = $1 AND a.id = $2 AND a.deleted_at IS NULL`,
		accountID, id).Scan(&a.Title, &a.Description, &a.PublicToken, &tags)
	if err != nil {
		return nil, err
	}
	for _, t := range tags {
		a.Tags = append(a.Tags, damask.Tag{ID: t})
	}
	return &a, nil
}

// UpdateAsset writes the descriptive fields of an asset outside the trash
// and, when tags is not nil, its tags; a is refreshed.
func (db *DB) UpdateAsset(ctx context.Context, a *damask.Asset, tags []string) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("update asset %d", a.ID), func(tx pgx.Tx, ev *eventLog) error {
		old, err := assetBefore(ctx, tx, a.AccountID, a.ID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `
			UPDATE assets SET title = $1, description = $2, public_token = $3, public_link_by = $4, updated_at = $5,
				thumb_token = $8, path = $9
			WHERE account_id = $6 AND id = $7 AND deleted_at IS NULL`,
			a.Title, a.Description, a.PublicToken, nullID(a.PublicLinkBy), now, a.AccountID, a.ID,
			damask.EnsureThumbToken(a), a.Path)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		if tags != nil {
			if err := setTags(ctx, tx, ev, a.AccountID, a.ID, tags, now); err != nil {
				return err
			}
		}
		if err := reindex(ctx, tx, a.ID); err != nil {
			return err
		}
		fresh, err := assetByID(ctx, tx, a.AccountID, a.ID)
		if err != nil {
			return err
		}
		if changed := damask.AssetChanges(old, fresh); len(changed) > 0 {
			ev.add(a.AccountID, damask.EventAssetUpdated, a.ID, changed...)
		}
		*a = *fresh
		return nil
	})
}

// AddVersion adds v as the next version of a and makes it current.
func (db *DB) AddVersion(ctx context.Context, a *damask.Asset, v *damask.Version, uploadID int64) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("add version to asset %d", a.ID), func(tx pgx.Tx, ev *eventLog) error {
		if err := claimKey(ctx, tx, damask.KindVersion, now); err != nil {
			return err
		}
		// The lock on the asset queues writers of versions of one asset;
		// the number is read after it, in a statement of its own, so
		// that it sees the version the writer before just committed.
		var one int
		if err := tx.QueryRow(ctx, `
			SELECT 1 FROM assets WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL FOR UPDATE`,
			a.AccountID, a.ID).Scan(&one); err != nil {
			return err
		}
		var number int
		if err := tx.QueryRow(ctx, `SELECT coalesce(max(number), 0) + 1 FROM versions WHERE asset_id = $1`,
			a.ID).Scan(&number); err != nil {
			return err
		}
		if uploadID != 0 {
			if err := consumeUpload(ctx, tx, a.AccountID, uploadID); err != nil {
				return fmt.Errorf("upload %d: %w", uploadID, err)
			}
		}
		nv := *v
		nv.AssetID, nv.Number, nv.CreatedAt = a.ID, number, now
		if err := insertVersion(ctx, tx, &nv); err != nil {
			return err
		}
		kind, ext := kindAndExt(nv.ContentType, nv.Filename)
		if _, err := tx.Exec(ctx, `
			UPDATE assets SET filename = $1, content_type = $2, size = $3, blob = $4, version = $5, updated_at = $6,
				kind = $7, ext = $8, processing = $9, processing_error = '',
				width = NULL, height = NULL, pixel_width = 0, pixel_height = 0, duration = 0, page_count = 0,
				camera = '', taken_at = NULL, latitude = NULL, longitude = NULL, text = '', meta = '{}', meta_raw = '{}'
			WHERE id = $10`,
			nv.Filename, nv.ContentType, nv.Size, nv.Blob[:], nv.Number, now, kind, ext, a.Processing, a.ID); err != nil {
			return err
		}
		if a.Processing == damask.ProcessingPending {
			if err := enqueueJob(ctx, tx, a.AccountID, a.ID, nv.Number, nv.Blob, now); err != nil {
				return err
			}
		}
		if err := reindex(ctx, tx, a.ID); err != nil {
			return err
		}
		if err := keyDone(ctx, tx, a.ID, nv.Number); err != nil {
			return err
		}
		ev.add(a.AccountID, damask.EventVersionCreated, a.ID, "version")
		fresh, err := assetByID(ctx, tx, a.AccountID, a.ID)
		if err != nil {
			return err
		}
		*a, *v = *fresh, nv
		return nil
	})
}

const versionColumns = `v.id, v.asset_id, v.number, v.filename, v.content_type,
	v.size, v.blob, v.comment, coalesce(v.user_id, 0), v.created_at`

func scanVersion(s pgx.Row) (*damask.Version, error) {
	var v damask.Version
	err := s.Scan(&v.ID, &v.AssetID, &v.Number, &v.Filename, &v.ContentType,
		&v.Size, blobCol{&v.Blob}, &v.Comment, &v.UserID, timeCol{&v.CreatedAt})
	if err != nil {
		return nil, err
	}
	return &v, nil
}

// Versions lists the versions of an asset outside the trash, oldest first.
func (db *DB) Versions(ctx context.Context, accountID, assetID int64) ([]*damask.Version, error) {
	var vs []*damask.Version
	err := db.get(ctx, fmt.Sprintf("versions of asset %d", assetID), func(q querier) error {
		var one int
		if err := q.QueryRow(ctx, `
			SELECT 1 FROM assets WHERE account_id = $1 AND id = $2 AND deleted_at IS NULL`,
			accountID, assetID).Scan(&one); err != nil {
			return err
		}
		rows, err := q.Query(ctx, `
			SELECT `+versionColumns+` FROM versions v WHERE v.asset_id = $1 ORDER BY v.number`, assetID)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			v, err := scanVersion(rows)
			if err != nil {
				return err
			}
			vs = append(vs, v)
		}
		return rows.Err()
	})
	return vs, err
}

// Version finds one version of an asset outside the trash.
func (db *DB) Version(ctx context.Context, accountID, assetID int64, number int) (*damask.Version, error) {
	var v *damask.Version
	err := db.get(ctx, fmt.Sprintf("version %d of asset %d", number, assetID), func(q querier) (err error) {
		v, err = scanVersion(q.QueryRow(ctx, `
			SELECT `+versionColumns+` FROM versions v JOIN assets a ON a.id = v.asset_id
			WHERE a.account_id = $1 AND a.id = $2 AND a.deleted_at IS NULL AND v.number = $3`,
			accountID, assetID, number))
		return err
	})
	return v, err
}

// TrashAsset moves an asset outside the trash into it, as of at. Lists
// leave assets in the trash out by their deleted_at; the search columns
// stay as they are, for a restore.
func (db *DB) TrashAsset(ctx context.Context, accountID, id int64, at time.Time) error {
	if at.IsZero() {
		// NULL would mean "outside the trash".
		at = db.clock()
	}
	return db.updateEvents(ctx, fmt.Sprintf("trash asset %d", id), func(tx pgx.Tx, ev *eventLog) error {
		tag, err := tx.Exec(ctx, `
			UPDATE assets SET deleted_at = $1 WHERE account_id = $2 AND id = $3 AND deleted_at IS NULL`,
			at, accountID, id)
		if err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetTrashed, id)
		return notFound(tag)
	})
}

// RestoreAsset brings an asset back from the trash.
func (db *DB) RestoreAsset(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("restore asset %d", id), func(tx pgx.Tx, ev *eventLog) error {
		tag, err := tx.Exec(ctx, `
			UPDATE assets SET deleted_at = NULL WHERE account_id = $1 AND id = $2 AND deleted_at IS NOT NULL`,
			accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetRestored, id)
		return requeuePending(ctx, tx, id, db.clock())
	})
}

// requeuePending queues the asset's current version again when it is
// still pending with no job to do it: processing skips an asset that sits
// in the trash, so one restored from there would wait for ever.
func requeuePending(ctx context.Context, tx pgx.Tx, id int64, now time.Time) error {
	var (
		accountID int64
		version   int
		blob      damask.BlobRef
		waiting   bool
	)
	err := tx.QueryRow(ctx, `
		SELECT a.account_id, a.version, a.blob,
			a.processing = $1 AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.asset_id = a.id AND j.state IN ('queued', 'running'))
		FROM assets a WHERE a.id = $2`, damask.ProcessingPending, id).Scan(&accountID, &version, blobCol{&blob}, &waiting)
	if err != nil || !waiting {
		return err
	}
	return enqueueJob(ctx, tx, accountID, id, version, blob, now)
}

// PurgeAsset removes an asset in the trash; foreign keys take its versions
// and tag links with it.
func (db *DB) PurgeAsset(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("purge asset %d", id), func(tx pgx.Tx, ev *eventLog) error {
		tag, err := tx.Exec(ctx, `
			DELETE FROM assets WHERE account_id = $1 AND id = $2 AND deleted_at IS NOT NULL`,
			accountID, id)
		if err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetDeleted, id)
		return notFound(tag)
	})
}

// PurgeTrash removes the assets of every account trashed before the time.
func (db *DB) PurgeTrash(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.updateEvents(ctx, "purge trash", func(tx pgx.Tx, ev *eventLog) error {
		// Sorted by account, so that writeEvents bumps the counters in one
		// order.
		rows, err := tx.Query(ctx, `
			WITH gone AS (DELETE FROM assets WHERE deleted_at < $1 RETURNING account_id, id)
			SELECT account_id, id FROM gone ORDER BY account_id, id`, before)
		if err != nil {
			return err
		}
		n = 0
		for rows.Next() {
			var account, id int64
			if err := rows.Scan(&account, &id); err != nil {
				rows.Close()
				return err
			}
			ev.add(account, damask.EventAssetDeleted, id)
			n++
		}
		return rows.Err()
	})
	return int(n), err
}

// AssetByBlob finds the account's oldest asset outside the trash whose
// current file is ref.
func (db *DB) AssetByBlob(ctx context.Context, accountID int64, ref damask.BlobRef) (*damask.Asset, error) {
	var a *damask.Asset
	err := db.get(ctx, "asset by file "+ref.String(), func(q querier) error {
		var id int64
		if err := q.QueryRow(ctx, `SELECT id FROM assets
			WHERE account_id = $1 AND blob = $2 AND deleted_at IS NULL ORDER BY id LIMIT 1`, accountID, ref[:]).Scan(&id); err != nil {
			return err
		}
		var err error
		a, err = assetByID(ctx, q, accountID, id)
		return err
	})
	return a, err
}
