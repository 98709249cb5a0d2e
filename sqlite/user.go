package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"damask"
)

// accountExists answers ErrNotFound for a missing account, so that creating
// a row in it says so instead of failing on the foreign key.
func accountExists(ctx context.Context, q querier, accountID int64) error {
	var one int
	return q.QueryRowContext(ctx, `SELECT 1 FROM accounts WHERE id = ?`, accountID).Scan(&one)
}

// CreateUser stores u; login and e-mail are unique in the account without
// regard to case (the columns are COLLATE NOCASE).
func (db *DB) CreateUser(ctx context.Context, u *damask.User) error {
	now := db.clock()
	return db.updateEvents(ctx, "create user", func(tx *sql.Tx, ev *eventLog) error {
		if err := claimKey(ctx, tx, damask.KindUser, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, u.AccountID); err != nil {
			return err
		}
		if err := insertUser(ctx, tx, u, now); err != nil {
			return err
		}
		ev.add(u.AccountID, damask.EventUserCreated, u.ID)
		return keyDone(ctx, tx, u.ID, 0)
	})
}

// User finds a user of the account.
func (db *DB) User(ctx context.Context, accountID, id int64) (*damask.User, error) {
	var u *damask.User
	err := db.lookup(ctx, fmt.Sprintf("user %d", id), func(q querier) (err error) {
		u, err = scanUser(q.QueryRowContext(ctx,
			`SELECT `+userColumns+` FROM users WHERE account_id = ? AND id = ?`, accountID, id))
		return err
	})
	return u, err
}

// UserByLogin finds a user of the account by login or e-mail.
func (db *DB) UserByLogin(ctx context.Context, accountID int64, loginOrEmail string) (*damask.User, error) {
	var u *damask.User
	err := db.lookup(ctx, fmt.Sprintf("user %q", loginOrEmail), func(q querier) (err error) {
		if loginOrEmail == "" {
			// Users without an e-mail address have an empty one.
			return damask.ErrNotFound
		}
		// Should one user's login be another's e-mail address, the login wins.
		u, err = scanUser(q.QueryRowContext(ctx, `
			SELECT `+userColumns+` FROM users
			WHERE account_id = ?1 AND (login = ?2 OR email = ?2)
			ORDER BY login = ?2 DESC, id
			LIMIT 1`, accountID, loginOrEmail))
		return err
	})
	return u, err
}

// Users lists the account's users by id.
func (db *DB) Users(ctx context.Context, accountID int64, p damask.Page) ([]*damask.User, int, error) {
	var (
		us    []*damask.User
		total int
	)
	err := db.view(ctx, fmt.Sprintf("users of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM users WHERE account_id = ?`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.QueryContext(ctx, `
			SELECT `+userColumns+` FROM users WHERE account_id = ?
			ORDER BY id LIMIT ? OFFSET ?`, accountID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			u, err := scanUser(rows)
			if err != nil {
				return err
			}
			us = append(us, u)
		}
		return rows.Err()
	})
	return us, total, err
}

// UpdateUser writes every field but ID, AccountID and CreatedAt.
func (db *DB) UpdateUser(ctx context.Context, u *damask.User) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("update user %d", u.ID), func(tx *sql.Tx, ev *eventLog) error {
		old, err := scanUser(tx.QueryRowContext(ctx,
			`SELECT `+userColumns+` FROM users WHERE account_id = ? AND id = ?`, u.AccountID, u.ID))
		if err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE users SET login = ?, email = ?, first_name = ?, last_name = ?,
				role = ?, password_hash = ?, disabled = ?, updated_at = ?, collections_only = ?, time_zone = ?, language = ?
			WHERE account_id = ? AND id = ?`,
			u.Login, u.Email, u.FirstName, u.LastName,
			string(u.Role), u.PasswordHash, u.Disabled, now.UnixNano(), u.CollectionsOnly, u.TimeZone, u.Language,
			u.AccountID, u.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if changed := damask.UserChanges(old, u); len(changed) > 0 {
			ev.add(u.AccountID, damask.EventUserUpdated, u.ID, changed...)
		}
		u.UpdatedAt = now
		return setUserCollections(ctx, tx, u)
	})
}

// DeleteUser removes a user. The assets, versions and uploads the user made
// stay, with no user (UserID 0).
func (db *DB) DeleteUser(ctx context.Context, accountID, id int64) error {
	return db.updateEvents(ctx, fmt.Sprintf("delete user %d", id), func(tx *sql.Tx, ev *eventLog) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM users WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		ev.add(accountID, damask.EventUserDeleted, id)
		return nil
	})
}
