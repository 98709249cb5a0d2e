package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"fmt"
	"strconv"
	"strings"
	"time"

	"damask"
)

const assetColumns = `a.id, a.account_id, a.title, a.description, a.filename,
	a.content_type, a.size, a.blob, a.version, coalesce(a.user_id, 0),
	a.public_token, coalesce(a.public_link_by, 0), a.processing, a.created_at, a.updated_at, a.deleted_at,
	coalesce(a.width, 0), coalesce(a.height, 0), a.camera, a.taken_at, a.latitude, a.longitude, a.text,
	a.processing_error, a.pixel_width, a.pixel_height, a.duration, a.page_count, a.meta, a.thumb_token, a.path`

func scanAsset(s interface{ Scan(...any) error }, more ...any) (*damask.Asset, error) {
	var a damask.Asset
	var lat, lon sql.NullFloat64
	var dur int64
	var meta string
	err := s.Scan(append([]any{&a.ID, &a.AccountID, &a.Title, &a.Description, &a.Filename,
		&a.ContentType, &a.Size, blobCol{&a.Blob}, &a.Version, &a.UserID,
		&a.PublicToken, &a.PublicLinkBy, &a.Processing, timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt}, timeCol{&a.DeletedAt},
		&a.Width, &a.Height, &a.Camera, timeCol{&a.TakenAt}, &lat, &lon, &a.Text,
		&a.ProcessingError, &a.PixelWidth, &a.PixelHeight, &dur, &a.PageCount, &meta, &a.ThumbToken, &a.Path}, more...)...)
	if err != nil {
		return nil, err
	}
	if err := json.Unmarshal([]byte(meta), &a.Meta); err != nil {
		return nil, fmt.Errorf("meta of asset %d: %w", a.ID, err)
	}
	a.Duration = time.Duration(dur)
	if lat.Valid && lon.Valid {
		a.GPS = &damask.GeoPoint{Latitude: lat.Float64, Longitude: lon.Float64}
	}
	return &a, nil
}

// tagsColumn is the tags of asset a as one JSON array ordered by name, so
// that an asset and its tags come from one statement: one snapshot without
// a transaction around two.
const tagsColumn = `(SELECT json_group_array(json_object('id', t.id, 'name', t.name, 'at', t.created_at) ORDER BY t.name, t.id)
	FROM asset_tags at JOIN tags t ON t.id = at.tag_id WHERE at.asset_id = a.id)`

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
	var tags []byte
	a, err := scanAsset(q.QueryRowContext(ctx, `
		SELECT `+assetColumns+`, `+tagsColumn+` FROM assets a
		WHERE a.account_id = ? AND a.id = ? AND `+where, accountID, id), &tags)
	if err != nil {
		return nil, err
	}
	var ts []struct {
		ID   int64  `json:"id"`
		Name string `json:"name"`
		At   int64  `json:"at"`
	}
	if err := json.Unmarshal(tags, &ts); err != nil {
		return nil, fmt.Errorf("tags of asset %d: %w", a.ID, err)
	}
	a.Tags = make([]damask.Tag, len(ts))
	for i, t := range ts {
		a.Tags[i] = damask.Tag{ID: t.ID, AccountID: a.AccountID, Name: t.Name, CreatedAt: time.Unix(0, t.At).UTC()}
	}
	return a, nil
}

// tagsOf reads the tags of the assets, at least one.
func tagsOf(ids []int64) Statement {
	args := make([]any, len(ids))
	for i, id := range ids {
		args[i] = id
	}
	return Statement{`
			SELECT at.asset_id, t.id, t.account_id, t.name, t.created_at
			FROM asset_tags at JOIN tags t ON t.id = at.tag_id
			WHERE at.asset_id IN (?` + strings.Repeat(", ?", len(ids)-1) + `)
			ORDER BY t.name, t.id`, args}
}

// loadTags sets the Tags of the assets, ordered by name. An asset's tags
// carry no AssetsCount: counting them for every asset of a list would cost
// more than the list.
func loadTags(ctx context.Context, q querier, as []*damask.Asset) error {
	byID := make(map[int64]*damask.Asset, len(as))
	for _, a := range as {
		a.Tags = []damask.Tag{}
		byID[a.ID] = a
	}
	// Stay well under SQLite's limit on bound parameters.
	const chunk = 500
	for len(as) > 0 {
		n := min(len(as), chunk)
		ids := make([]int64, n)
		for i, a := range as[:n] {
			ids[i] = a.ID
		}
		as = as[n:]
		st := tagsOf(ids)
		rows, err := q.QueryContext(ctx, st.SQL, st.Args...)
		if err != nil {
			return err
		}
		for rows.Next() {
			var assetID int64
			var t damask.Tag
			if err := rows.Scan(&assetID, &t.ID, &t.AccountID, &t.Name, timeCol{&t.CreatedAt}); err != nil {
				rows.Close()
				return err
			}
			a := byID[assetID]
			a.Tags = append(a.Tags, t)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		if err := rows.Err(); err != nil {
			return err
		}
	}
	return nil
}

// setTags makes the asset's tags exactly the named ones, creating the names
// the account lacks. Names are trimmed; empty ones are skipped; names that
// differ only in case are one tag.
func setTags(ctx context.Context, tx *sql.Tx, ev *eventLog, accountID, assetID int64, names []string, now time.Time) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM asset_tags WHERE asset_id = ?`, assetID); err != nil {
		return err
	}
	for _, name := range names {
		name = strings.TrimSpace(name)
		if name == "" {
			continue
		}
		id, err := tagID(ctx, tx, ev, accountID, name, now)
		if err != nil {
			return err
		}
		// A name given twice is one tag, kept once.
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO asset_tags (asset_id, tag_id) VALUES (?, ?)`, assetID, id); err != nil {
			return err
		}
	}
	return nil
}

// addTags adds the named tags to the asset, keeping those it has, and
// creating the names the account lacks.
func addTags(ctx context.Context, tx *sql.Tx, ev *eventLog, accountID, assetID int64, names []string, now time.Time) error {
	for _, name := range names {
		id, err := tagID(ctx, tx, ev, accountID, name, now)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `INSERT OR IGNORE INTO asset_tags (asset_id, tag_id) VALUES (?, ?)`, assetID, id); err != nil {
			return err
		}
	}
	return nil
}

// consumeUpload deletes the upload an asset or version is made from, or
// answers ErrNotFound when it is gone.
func consumeUpload(ctx context.Context, tx *sql.Tx, accountID, uploadID int64) error {
	res, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE account_id = ? AND id = ?`, accountID, uploadID)
	if err != nil {
		return err
	}
	return notFound(res)
}

func insertVersion(ctx context.Context, tx *sql.Tx, v *damask.Version) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		v.AssetID, v.Number, v.Filename, v.ContentType, v.Size, v.Blob[:], v.Comment, nullID(v.UserID), v.CreatedAt.UnixNano())
	if err != nil {
		return err
	}
	v.ID, err = res.LastInsertId()
	return err
}

// CreateAsset stores a, its first version v and its tags in one transaction.
// The asset's file fields are taken from v.
func (db *DB) CreateAsset(ctx context.Context, a *damask.Asset, v *damask.Version, tags []string, uploadID int64) error {
	now := db.clock()
	return db.updateEvents(ctx, "create asset", func(tx *sql.Tx, ev *eventLog) error {
		return insertAsset(ctx, tx, ev, now, a, v, tags, uploadID)
	})
}

// insertAsset is the work of CreateAsset in tx: safe to run again, as a
// group's write must be (it sets a and v from what it wrote).
func insertAsset(ctx context.Context, tx *sql.Tx, ev *eventLog, now time.Time, a *damask.Asset, v *damask.Version, tags []string, uploadID int64) error {
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
	res, err := tx.ExecContext(ctx, `
		INSERT INTO assets (account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext, thumb_token, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		a.AccountID, a.Title, a.Description, v.Filename, v.ContentType,
		v.Size, v.Blob[:], nullID(a.UserID), a.PublicToken, nullID(a.PublicLinkBy), a.Processing, now.UnixNano(), now.UnixNano(),
		width, height, a.Camera, timeValue(a.TakenAt), lat, lon, a.Text, kind, ext, damask.EnsureThumbToken(a), a.Path)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
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
	err := db.lookup(ctx, fmt.Sprintf("asset %d in the trash", id), func(q querier) (err error) {
		a, err = assetIn(ctx, q, accountID, id, true)
		return err
	})
	return a, err
}

// Asset finds an asset outside the trash, with its tags.
func (db *DB) Asset(ctx context.Context, accountID, id int64) (*damask.Asset, error) {
	var a *damask.Asset
	err := db.lookup(ctx, fmt.Sprintf("asset %d", id), func(q querier) (err error) {
		a, err = assetByID(ctx, q, accountID, id)
		return err
	})
	return a, err
}

// UpdateAsset writes the descriptive fields of an asset outside the trash
// and, when tags is not nil, its tags; a is refreshed.
func (db *DB) UpdateAsset(ctx context.Context, a *damask.Asset, tags []string) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("update asset %d", a.ID), func(tx *sql.Tx, ev *eventLog) error {
		old, err := assetBefore(ctx, tx, a.AccountID, a.ID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE assets SET title = ?, description = ?, public_token = ?, public_link_by = ?, updated_at = ?,
				thumb_token = ?, path = ?
			WHERE account_id = ? AND id = ? AND deleted_at IS NULL`,
			a.Title, a.Description, a.PublicToken, nullID(a.PublicLinkBy), now.UnixNano(),
			damask.EnsureThumbToken(a), a.Path, a.AccountID, a.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
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

// assetBefore reads what an update's event compares: the fields an update
// writes and the ids of the tags; cheaper than the whole asset.
func assetBefore(ctx context.Context, q querier, accountID, id int64) (*damask.Asset, error) {
	a := damask.Asset{AccountID: accountID, ID: id}
	var tags string
	err := q.QueryRowContext(ctx, `
		SELECT a.title, a.description, a.public_token,
			coalesce((SELECT group_concat(x.tag_id) FROM asset_tags x WHERE x.asset_id = a.id), '')
		FROM assets a WHERE a.account_id = ? AND a.id = ? AND a.deleted_at IS NULL`,
		accountID, id).Scan(&a.Title, &a.Description, &a.PublicToken, &tags)
	if err != nil {
		return nil, err
	}
	for _, f := range splitList(tags) {
		tid, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("tag id %q: %w", f, err)
		}
		a.Tags = append(a.Tags, damask.Tag{ID: tid})
	}
	return &a, nil
}

// AddVersion adds v as the next version of a and makes it current.
func (db *DB) AddVersion(ctx context.Context, a *damask.Asset, v *damask.Version, uploadID int64) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("add version to asset %d", a.ID), func(tx *sql.Tx, ev *eventLog) error {
		if err := claimKey(ctx, tx, damask.KindVersion, now); err != nil {
			return err
		}
		var number int
		err := tx.QueryRowContext(ctx, `
			SELECT (SELECT coalesce(max(number), 0) + 1 FROM versions WHERE asset_id = a.id)
			FROM assets a WHERE a.account_id = ? AND a.id = ? AND a.deleted_at IS NULL`,
			a.AccountID, a.ID).Scan(&number)
		if err != nil {
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
		if _, err := tx.ExecContext(ctx, `
			UPDATE assets SET filename = ?, content_type = ?, size = ?, blob = ?, version = ?, updated_at = ?,
				kind = ?, ext = ?, processing = ?, processing_error = '',
				width = NULL, height = NULL, pixel_width = 0, pixel_height = 0, duration = 0, page_count = 0,
				camera = '', taken_at = NULL, latitude = NULL, longitude = NULL, text = '', meta = '{}', meta_raw = '{}'
			WHERE id = ?`,
			nv.Filename, nv.ContentType, nv.Size, nv.Blob[:], nv.Number, now.UnixNano(), kind, ext, a.Processing, a.ID); err != nil {
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

func scanVersion(s interface{ Scan(...any) error }) (*damask.Version, error) {
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
	err := db.view(ctx, fmt.Sprintf("versions of asset %d", assetID), func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `
			SELECT 1 FROM assets WHERE account_id = ? AND id = ? AND deleted_at IS NULL`,
			accountID, assetID).Scan(&one); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT `+versionColumns+` FROM versions v WHERE v.asset_id = ? ORDER BY v.number`, assetID)
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
	err := db.view(ctx, fmt.Sprintf("version %d of asset %d", number, assetID), func(tx *sql.Tx) (err error) {
		v, err = scanVersion(tx.QueryRowContext(ctx, `
			SELECT `+versionColumns+` FROM versions v JOIN assets a ON a.id = v.asset_id
			WHERE a.account_id = ? AND a.id = ? AND a.deleted_at IS NULL AND v.number = ?`,
			accountID, assetID, number))
		return err
	})
	return v, err
}

// TrashAsset moves an asset outside the trash into it, as of at.
func (db *DB) TrashAsset(ctx context.Context, accountID, id int64, at time.Time) error {
	if at.IsZero() {
		// NULL would mean "outside the trash".
		at = db.clock()
	}
	return db.updateEvents(ctx, fmt.Sprintf("trash asset %d", id), func(tx *sql.Tx, ev *eventLog) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE assets SET deleted_at = ? WHERE account_id = ? AND id = ? AND deleted_at IS NULL`,
			at.UnixNano(), accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetTrashed, id)
		return reindex(ctx, tx, id)
	})
}

// RestoreAsset brings an asset back from the trash.
func (db *DB) RestoreAsset(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("restore asset %d", id), func(tx *sql.Tx, ev *eventLog) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE assets SET deleted_at = NULL WHERE account_id = ? AND id = ? AND deleted_at IS NOT NULL`,
			accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if err := requeuePending(ctx, tx, id, db.clock()); err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetRestored, id)
		return reindex(ctx, tx, id)
	})
}

// requeuePending queues the asset's current version again when it is
// still pending with no job to do it: processing skips an asset that sits
// in the trash, so one restored from there would wait for ever.
func requeuePending(ctx context.Context, tx *sql.Tx, id int64, now time.Time) error {
	var (
		accountID int64
		version   int
		blob      damask.BlobRef
		waiting   bool
	)
	err := tx.QueryRowContext(ctx, `
		SELECT a.account_id, a.version, a.blob,
			a.processing = ? AND NOT EXISTS (SELECT 1 FROM jobs j WHERE j.asset_id = a.id AND j.state IN ('queued', 'running'))
		FROM assets a WHERE a.id = ?`, damask.ProcessingPending, id).Scan(&accountID, &version, blobCol{&blob}, &waiting)
	if err != nil || !waiting {
		return err
	}
	return enqueueJob(ctx, tx, accountID, id, version, blob, now)
}

// PurgeAsset removes an asset in the trash; foreign keys take its versions
// and tag links with it.
func (db *DB) PurgeAsset(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("purge asset %d", id), func(tx *sql.Tx, ev *eventLog) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM assets WHERE account_id = ? AND id = ? AND deleted_at IS NOT NULL`,
			accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		ev.add(accountID, damask.EventAssetDeleted, id)
		return reindex(ctx, tx, id)
	})
}

// PurgeTrash removes the assets of every account trashed before the time.
func (db *DB) PurgeTrash(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.updateEvents(ctx, "purge trash", func(tx *sql.Tx, ev *eventLog) error {
		rows, err := tx.QueryContext(ctx, `SELECT account_id, id FROM assets WHERE deleted_at < ? ORDER BY account_id, id`, before.UnixNano())
		if err != nil {
			return err
		}
		for rows.Next() {
			var account, id int64
			if err := rows.Scan(&account, &id); err != nil {
				rows.Close()
				return err
			}
			ev.add(account, damask.EventAssetDeleted, id)
		}
		if err := rows.Close(); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM assets WHERE deleted_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		// Counts the assets only: SQLite leaves rows removed by foreign
		// key actions out of the changes.
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// AssetByBlob finds the account's oldest asset outside the trash whose
// current file is ref.
func (db *DB) AssetByBlob(ctx context.Context, accountID int64, ref damask.BlobRef) (*damask.Asset, error) {
	var a *damask.Asset
	err := db.lookup(ctx, "asset by file "+ref.String(), func(q querier) error {
		var id int64
		if err := q.QueryRowContext(ctx, `SELECT id FROM assets
			WHERE account_id = ? AND blob = ? AND deleted_at IS NULL ORDER BY id LIMIT 1`, accountID, ref[:]).Scan(&id); err != nil {
			return err
		}
		var err error
		a, err = assetByID(ctx, q, accountID, id)
		return err
	})
	return a, err
}
