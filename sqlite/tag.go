package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"damask"
)

// tagColumns select a tag t with the number of its assets outside the
// trash, which triggers keep (migrations/0002_search.sql).
const tagColumns = `t.id, t.account_id, t.name, t.created_at, t.assets_count`

func scanTag(s interface{ Scan(...any) error }) (*damask.Tag, error) {
	var t damask.Tag
	if err := s.Scan(&t.ID, &t.AccountID, &t.Name, timeCol{&t.CreatedAt}, &t.AssetsCount); err != nil {
		return nil, err
	}
	return &t, nil
}

// CreateTag stores t; names are unique in the account without regard to case.
func (db *DB) CreateTag(ctx context.Context, t *damask.Tag) error {
	now := db.clock()
	return db.updateEvents(ctx, "create tag", func(tx *sql.Tx, ev *eventLog) error {
		if err := claimKey(ctx, tx, damask.KindTag, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, t.AccountID); err != nil {
			return err
		}
		id, err := insertTag(ctx, tx, t.AccountID, t.Name, now.UnixNano())
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

func insertTag(ctx context.Context, tx *sql.Tx, accountID int64, name string, now int64) (int64, error) {
	res, err := tx.ExecContext(ctx, `INSERT INTO tags (account_id, name, created_at) VALUES (?, ?, ?)`,
		accountID, name, now)
	if err != nil {
		return 0, err
	}
	return res.LastInsertId()
}

// Tag finds a tag of the account.
func (db *DB) Tag(ctx context.Context, accountID, id int64) (*damask.Tag, error) {
	var t *damask.Tag
	err := db.view(ctx, fmt.Sprintf("tag %d", id), func(tx *sql.Tx) (err error) {
		t, err = tagByID(ctx, tx, accountID, id)
		return err
	})
	return t, err
}

func tagByID(ctx context.Context, q querier, accountID, id int64) (*damask.Tag, error) {
	return scanTag(q.QueryRowContext(ctx,
		`SELECT `+tagColumns+` FROM tags t WHERE t.account_id = ? AND t.id = ?`, accountID, id))
}

// TagByName finds a tag of the account by name, without regard to case.
func (db *DB) TagByName(ctx context.Context, accountID int64, name string) (*damask.Tag, error) {
	var t *damask.Tag
	err := db.view(ctx, fmt.Sprintf("tag %q", name), func(tx *sql.Tx) (err error) {
		t, err = scanTag(tx.QueryRowContext(ctx,
			`SELECT `+tagColumns+` FROM tags t WHERE t.account_id = ? AND t.name = ?`, accountID, name))
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
	err := db.view(ctx, fmt.Sprintf("tags of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM tags WHERE account_id = ?`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.QueryContext(ctx, `
			SELECT `+tagColumns+` FROM tags t WHERE t.account_id = ?
			ORDER BY t.name, t.id LIMIT ? OFFSET ?`, accountID, lim, off)
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
	return db.updateEvents(ctx, fmt.Sprintf("update tag %d", t.ID), func(tx *sql.Tx, ev *eventLog) error {
		old, err := tagByID(ctx, tx, t.AccountID, t.ID)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE tags SET name = ? WHERE account_id = ? AND id = ?`,
			t.Name, t.AccountID, t.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if err := reindexTagged(ctx, tx, t.ID); err != nil {
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
	return db.updateEvents(ctx, fmt.Sprintf("delete tag %d", id), func(tx *sql.Tx, ev *eventLog) error {
		// The assets that carry the tag are indexed again once it is gone.
		ids, err := column[int64](ctx, tx, `
			SELECT x.asset_id FROM asset_tags x JOIN tags t ON t.id = x.tag_id
			WHERE t.account_id = ? AND t.id = ?`, accountID, id)
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `DELETE FROM tags WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		ev.add(accountID, damask.EventTagDeleted, id)
		return reindex(ctx, tx, ids...)
	})
}
