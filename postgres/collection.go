package postgres

import (
	"context"
	"errors"
	"fmt"

	"github.com/jackc/pgx/v5"

	"damask"
)

// collectionColumns select a collection c with the number of its assets
// outside the trash (0 for a saved search, which has no rows of assets).
const collectionColumns = `c.id, c.account_id, c.title, c.description, c.query, coalesce(c.user_id, 0),
	c.created_at, c.updated_at,
	(SELECT count(*) FROM collection_assets x JOIN assets a ON a.id = x.asset_id
		WHERE x.collection_id = c.id AND a.deleted_at IS NULL)`

func scanCollection(s pgx.Row) (*damask.Collection, error) {
	var c damask.Collection
	if err := s.Scan(&c.ID, &c.AccountID, &c.Title, &c.Description, &c.Query, &c.UserID,
		timeCol{&c.CreatedAt}, timeCol{&c.UpdatedAt}, &c.AssetsCount); err != nil {
		return nil, err
	}
	return &c, nil
}

func collectionByID(ctx context.Context, q querier, accountID, id int64) (*damask.Collection, error) {
	return scanCollection(q.QueryRow(ctx,
		`SELECT `+collectionColumns+` FROM collections c WHERE c.account_id = $1 AND c.id = $2`, accountID, id))
}

// CreateCollection stores c and the assets of an ordered set.
func (db *DB) CreateCollection(ctx context.Context, c *damask.Collection, assetIDs []int64) error {
	now := db.clock()
	return db.update(ctx, "create collection", func(tx pgx.Tx) error {
		if err := claimKey(ctx, tx, damask.KindCollection, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, c.AccountID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO collections (account_id, title, description, query, user_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			c.AccountID, c.Title, c.Description, c.Query, nullID(c.UserID), now).Scan(&id); err != nil {
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
// order (the first place of an id given twice), after its last; every id
// must be of an asset of the account outside the trash. Two statements
// whatever the number of ids.
func addCollectionAssets(ctx context.Context, tx pgx.Tx, accountID, id int64, assetIDs []int64) error {
	if len(assetIDs) == 0 {
		return nil
	}
	var missing int64
	err := tx.QueryRow(ctx, `
		SELECT u.id FROM unnest($1::bigint[]) WITH ORDINALITY u (id, n)
		LEFT JOIN assets a ON a.id = u.id AND a.account_id = $2 AND a.deleted_at IS NULL
		WHERE a.id IS NULL ORDER BY u.n LIMIT 1`, assetIDs, accountID).Scan(&missing)
	switch {
	case err == nil:
		return damask.Errorf(damask.EINVALID, "Asset %d is not in this library", missing)
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	_, err = tx.Exec(ctx, `
		INSERT INTO collection_assets (collection_id, asset_id, position)
		SELECT $1, u.id, (SELECT coalesce(max(position), 0) FROM collection_assets WHERE collection_id = $1)
			+ row_number() OVER (ORDER BY u.n)
		FROM (SELECT id, min(n) AS n FROM unnest($2::bigint[]) WITH ORDINALITY v (id, n) GROUP BY id) u
		WHERE NOT EXISTS (SELECT 1 FROM collection_assets x WHERE x.collection_id = $1 AND x.asset_id = u.id)
		ON CONFLICT DO NOTHING`, id, assetIDs)
	return err
}

// Collection finds a collection of the account.
func (db *DB) Collection(ctx context.Context, accountID, id int64) (*damask.Collection, error) {
	var c *damask.Collection
	err := db.get(ctx, fmt.Sprintf("collection %d", id), func(q querier) (err error) {
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
	err := db.view(ctx, fmt.Sprintf("collections of account %d", accountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM collections WHERE account_id = $1`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		// By title without regard to ASCII case, in byte order, as
		// SQLite's NOCASE sorts them.
		rows, err := tx.Query(ctx, `
			SELECT `+collectionColumns+` FROM collections c WHERE c.account_id = $1
			ORDER BY lower(c.title COLLATE "C"), c.id LIMIT $2 OFFSET $3`, accountID, lim, off)
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

// UpdateCollection writes c's fields and changes its assets in one
// transaction; the UPDATE locks the collection's row, so that two changes
// of its assets take their turns.
func (db *DB) UpdateCollection(ctx context.Context, c *damask.Collection, ch damask.CollectionChange) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update collection %d", c.ID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE collections SET title = $1, description = $2, query = $3, updated_at = $4
			WHERE account_id = $5 AND id = $6`,
			c.Title, c.Description, c.Query, now, c.AccountID, c.ID)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		if ch.Set != nil || c.Query != "" {
			if _, err := tx.Exec(ctx, `DELETE FROM collection_assets WHERE collection_id = $1`, c.ID); err != nil {
				return err
			}
		}
		if c.Query == "" {
			if err := addCollectionAssets(ctx, tx, c.AccountID, c.ID, ch.Set); err != nil {
				return err
			}
			if len(ch.Remove) > 0 {
				if _, err := tx.Exec(ctx, `DELETE FROM collection_assets WHERE collection_id = $1 AND asset_id = ANY ($2::bigint[])`,
					c.ID, ch.Remove); err != nil {
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
	return db.update(ctx, fmt.Sprintf("delete collection %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM collections WHERE account_id = $1 AND id = $2`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// CollectionAssets lists an ordered set's assets outside the trash in its order.
func (db *DB) CollectionAssets(ctx context.Context, accountID, id int64, offset, lim int) ([]*damask.Asset, int, error) {
	var (
		as    []*damask.Asset
		total int
	)
	var limArg any
	if lim > 0 {
		limArg = lim
	}
	err := db.view(ctx, fmt.Sprintf("assets of collection %d", id), func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE account_id = $1 AND id = $2`,
			accountID, id).Scan(&one); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
			SELECT count(*) FROM collection_assets x JOIN assets a ON a.id = x.asset_id
			WHERE x.collection_id = $1 AND a.deleted_at IS NULL`, id).Scan(&total); err != nil {
			return err
		}
		var err error
		as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM collection_assets x JOIN assets a ON a.id = x.asset_id
			WHERE x.collection_id = $1 AND a.deleted_at IS NULL
			ORDER BY x.position, x.asset_id LIMIT $2 OFFSET $3`, id, limArg, max(offset, 0))
		return err
	})
	return as, total, err
}
