package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"

	"damask"
)

// collectionColumns select a collection c with the number of its assets
// outside the trash (0 for a saved search, which has no rows of assets).
const collectionColumns = `c.id, c.account_id, c.title, c.description, c.query, coalesce(c.user_id, 0),
	c.created_at, c.updated_at,
	(SELECT count(*) FROM collection_assets x JOIN assets a ON a.id = x.asset_id
		WHERE x.collection_id = c.id AND a.deleted_at IS NULL)`

func scanCollection(s interface{ Scan(...any) error }) (*damask.Collection, error) {
	var c damask.Collection
	if err := s.Scan(&c.ID, &c.AccountID, &c.Title, &c.Description, &c.Query, &c.UserID,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.AssetsCount); err != nil {
		return nil, err
	}
	return &c, nil
}

func collectionByID(ctx context.Context, q querier, accountID, id int64) (*damask.Collection, error) {
	return scanCollection(q.QueryRowContext(ctx,
		`SELECT `+collectionColumns+` FROM collections c WHERE c.account_id = ? AND c.id = ?`, accountID, id))
}

// CreateCollection stores c and the assets of an ordered set.
func (db *DB) CreateCollection(ctx context.Context, c *damask.Collection, assetIDs []int64) error {
	now := db.clock()
	return db.update(ctx, "create collection", func(tx *sql.Tx) error {
		if err := claimKey(ctx, tx, damask.KindCollection, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, c.AccountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO collections (account_id, title, description, query, user_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			c.AccountID, c.Title, c.Description, c.Query, nullID(c.UserID), now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if c.Query == "" {
			if err := addCollectionAssets(ctx, tx, c.AccountID, id, assetIDs); err != nil {
				return err
			}
		}
		if err := keyDone(ctx, tx, id, 0); err != nil {
			return err
		}
		fresh, err := collectionByID(ctx, tx, c.AccountID, id)
		if err != nil {
			return err
		}
		*c = *fresh
		return nil
	})
}

// addCollectionAssets appends the assets not in the collection yet, in
// order, after its last; every id must be of an asset of the account
// outside the trash.
func addCollectionAssets(ctx context.Context, tx *sql.Tx, accountID, id int64, assetIDs []int64) error {
	if len(assetIDs) == 0 {
		return nil
	}
	var pos int64
	if err := tx.QueryRowContext(ctx, `SELECT coalesce(max(position), 0) FROM collection_assets WHERE collection_id = ?`,
		id).Scan(&pos); err != nil {
		return err
	}
	exists, err := tx.PrepareContext(ctx, `SELECT 1 FROM assets WHERE account_id = ? AND id = ? AND deleted_at IS NULL`)
	if err != nil {
		return err
	}
	defer exists.Close()
	insert, err := tx.PrepareContext(ctx, `
		INSERT INTO collection_assets (collection_id, asset_id, position) VALUES (?, ?, ?)
		ON CONFLICT DO NOTHING`)
	if err != nil {
		return err
	}
	defer insert.Close()
	for _, a := range assetIDs {
		var one int
		if err := exists.QueryRowContext(ctx, accountID, a).Scan(&one); errors.Is(err, sql.ErrNoRows) {
			return damask.Errorf(damask.EINVALID, "Asset %d is not in this library", a)
		} else if err != nil {
			return err
		}
		res, err := insert.ExecContext(ctx, id, a, pos+1)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n > 0 {
			pos++
		}
	}
	return nil
}

// Collection finds a collection of the account.
func (db *DB) Collection(ctx context.Context, accountID, id int64) (*damask.Collection, error) {
	var c *damask.Collection
	err := db.lookup(ctx, fmt.Sprintf("collection %d", id), func(q querier) (err error) {
		c, err = collectionByID(ctx, q, accountID, id)
		return err
	})
	return c, err
}

// Collections lists the account's collections by title.
func (db *DB) Collections(ctx context.Context, accountID int64, p damask.Page) ([]*damask.Collection, int, error) {
	var (
		cs    []*damask.Collection
		total int
	)
	err := db.view(ctx, fmt.Sprintf("collections of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM collections WHERE account_id = ?`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.QueryContext(ctx, `
			SELECT `+collectionColumns+` FROM collections c WHERE c.account_id = ?
			ORDER BY c.title COLLATE NOCASE, c.id LIMIT ? OFFSET ?`, accountID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			c, err := scanCollection(rows)
			if err != nil {
				return err
			}
			cs = append(cs, c)
		}
		return rows.Err()
	})
	return cs, total, err
}

// UpdateCollection writes c's fields and changes its assets in one transaction.
func (db *DB) UpdateCollection(ctx context.Context, c *damask.Collection, ch damask.CollectionChange) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update collection %d", c.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE collections SET title = ?, description = ?, query = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`,
			c.Title, c.Description, c.Query, now.UnixNano(), c.AccountID, c.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if ch.Set != nil || c.Query != "" {
			if _, err := tx.ExecContext(ctx, `DELETE FROM collection_assets WHERE collection_id = ?`, c.ID); err != nil {
				return err
			}
		}
		if c.Query == "" {
			if err := addCollectionAssets(ctx, tx, c.AccountID, c.ID, ch.Set); err != nil {
				return err
			}
			for _, a := range ch.Remove {
				if _, err := tx.ExecContext(ctx, `DELETE FROM collection_assets WHERE collection_id = ? AND asset_id = ?`,
					c.ID, a); err != nil {
					return err
				}
			}
			if err := addCollectionAssets(ctx, tx, c.AccountID, c.ID, ch.Add); err != nil {
				return err
			}
		}
		fresh, err := collectionByID(ctx, tx, c.AccountID, c.ID)
		if err != nil {
			return err
		}
		*c = *fresh
		return nil
	})
}

// DeleteCollection removes a collection; its rows of assets go with it.
func (db *DB) DeleteCollection(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete collection %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM collections WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// CollectionAssets lists an ordered set's assets outside the trash in its order.
func (db *DB) CollectionAssets(ctx context.Context, accountID, id int64, offset, lim int) ([]*damask.Asset, int, error) {
	var (
		as    []*damask.Asset
		total int
	)
	if lim <= 0 {
		lim = -1
	}
	err := db.view(ctx, fmt.Sprintf("assets of collection %d", id), func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM collections WHERE account_id = ? AND id = ?`,
			accountID, id).Scan(&one); err != nil {
			return err
		}
		if err := tx.QueryRowContext(ctx, `
			SELECT count(*) FROM collection_assets x JOIN assets a ON a.id = x.asset_id
			WHERE x.collection_id = ? AND a.deleted_at IS NULL`, id).Scan(&total); err != nil {
			return err
		}
		var err error
		as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM collection_assets x JOIN assets a ON a.id = x.asset_id
			WHERE x.collection_id = ? AND a.deleted_at IS NULL
			ORDER BY x.position, x.asset_id LIMIT ? OFFSET ?`, id, lim, max(offset, 0))
		return err
	})
	return as, total, err
}
