package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// tagColumns select a tag t with the number of its assets outside the
// trash, which triggers keep (migrations/0001_init.sql).
const tagColumns = `t.id, t.account_id, t.name, t.created_at, t.assets_count`

func scanTag(s pgx.Row) (*damask.Tag, error) {
	var t damask.Tag
	if err := s.Scan(&t.ID, &t.AccountID, &t.Name, timeCol{&t.CreatedAt}, &t.AssetsCount); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateTag stores t; names are unique in the account without regard to case.
func (db *DB) CreateTag(ctx context.Context, t *damask.Tag) error {
	now := db.clock()
	return db.updateEvents(ctx, "create tag", func(tx pgx.Tx, ev *eventLog) error {
		if err := claimKey(ctx, tx, damask.KindTag, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, t.AccountID); err != nil {
			return err
		}
		var id int64
		err := tx.QueryRow(ctx, `INSERT INTO tags (account_id, name, created_at) VALUES ($1, $2, $3) RETURNING id`,
			t.AccountID, t.Name, now).Scan(&id)
		if err != nil {
			return err
		}
		if err := keyDone(ctx, tx, id, 0); err != nil {
			return err
		}
		ev.add(t.AccountID, damask.EventTagCreated, id)
		t.ID, t.CreatedAt, t.AssetsCount = id, now, 0
		return nil
	})
}

// tagID finds the account's tag of that name, making it when missing. Two
// writers making one new tag at once both end with its id: the second
// insert waits for the first and then does nothing.
func tagID(ctx context.Context, tx pgx.Tx, ev *eventLog, accountID int64, name string, now time.Time) (int64, error) {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO tags (account_id, name, created_at) VALUES ($1, $2, $3)
		ON CONFLICT (account_id, lower(name)) DO NOTHING
		RETURNING id`, accountID, name, now).Scan(&id)
	switch {
	case errors.Is(err, pgx.ErrNoRows):
		err = tx.QueryRow(ctx, `SELECT id FROM tags WHERE account_id = $1 AND lower(name) = lower($2)`,
			accountID, name).Scan(&id)
	case err == nil:
		ev.add(accountID, damask.EventTagCreated, id)
	}
	return id, err
}

// Tag finds a tag of the account.
func (db *DB) Tag(ctx context.Context, accountID, id int64) (*damask.Tag, error) {
	var t *damask.Tag
	err := db.get(ctx, fmt.Sprintf("tag %d", id), func(q querier) (err error) {
		t, err = tagByID(ctx, q, accountID, id)
		return err
	})
	return t, err
}

func tagByID(ctx context.Context, q querier, accountID, id int64) (*damask.Tag, error) {
	return scanTag(q.QueryRow(ctx,
		`SELECT `+tagColumns+` FROM tags t WHERE t.account_id = $1 AND t.id = $2`, accountID, id))
}

// TagByName finds a tag of the account by name, without regard to case.
func (db *DB) TagByName(ctx context.Context, accountID int64, name string) (*damask.Tag, error) {
	var t *damask.Tag
	err := db.get(ctx, fmt.Sprintf("tag %q", name), func(q querier) (err error) {
		t, err = scanTag(q.QueryRow(ctx,
			`SELECT `+tagColumns+` FROM tags t WHERE t.account_id = $1 AND lower(t.name) = lower($2)`, accountID, name))
		return err
	})
	return t, err
}

// Tags lists the account's tags by name.
func (db *DB) Tags(ctx context.Context, accountID int64, p damask.Page) ([]*damask.Tag, int, error) {
	var (
		ts    []*damask.Tag
		total int
	)
	err := db.view(ctx, fmt.Sprintf("tags of account %d", accountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM tags WHERE account_id = $1`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		// By name without regard to ASCII case, in byte order, as
		// SQLite's NOCASE sorts them.
		rows, err := tx.Query(ctx, `
			SELECT `+tagColumns+` FROM tags t WHERE t.account_id = $1
			ORDER BY lower(t.name COLLATE "C"), t.id LIMIT $2 OFFSET $3`, accountID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			t, err := scanTag(rows)
			if err != nil {
				return err
			}
			ts = append(ts, t)
		}
		return rows.Err()
	})
	return ts, total, err
}

// UpdateTag renames a tag and refreshes t.
func (db *DB) UpdateTag(ctx context.Context, t *damask.Tag) error {
	return db.updateEvents(ctx, fmt.Sprintf("update tag %d", t.ID), func(tx pgx.Tx, ev *eventLog) error {
		old, err := tagByID(ctx, tx, t.AccountID, t.ID)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `UPDATE tags SET name = $1 WHERE account_id = $2 AND id = $3`,
			t.Name, t.AccountID, t.ID)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		ids, err := column[int64](ctx, tx, `SELECT asset_id FROM asset_tags WHERE tag_id = $1`, t.ID)
		if err != nil {
			return err
		}
		if err := reindex(ctx, tx, ids...); err != nil {
			return err
		}
		fresh, err := tagByID(ctx, tx, t.AccountID, t.ID)
		if err != nil {
			return err
		}
		if fresh.Name != old.Name {
			ev.add(t.AccountID, damask.EventTagUpdated, t.ID, "name")
		}
		*t = *fresh
		return nil
	})
}

// DeleteTag removes a tag; asset_tags' foreign key takes it off the assets.
func (db *DB) DeleteTag(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("delete tag %d", id), func(tx pgx.Tx, ev *eventLog) error {
		// The assets that carry the tag are indexed again once it is gone.
		ids, err := column[int64](ctx, tx, `
			SELECT x.asset_id FROM asset_tags x JOIN tags t ON t.id = x.tag_id
			WHERE t.account_id = $1 AND t.id = $2`, accountID, id)
		if err != nil {
			return err
		}
		tag, err := tx.Exec(ctx, `DELETE FROM tags WHERE account_id = $1 AND id = $2`, accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		ev.add(accountID, damask.EventTagDeleted, id)
		return reindex(ctx, tx, ids...)
	})
}

// column reads a one-column result.
func column[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	return pgx.CollectRows(rows, pgx.RowTo[T])
}
