package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"damask"
)

const inboxColumns = `id, account_id, token, title, message, password_hash, expires_at, tags,
	max_file_size, max_files, uploads_count, coalesce(user_id, 0), created_at, updated_at, revoked_at`

func scanInbox(s interface{ Scan(...any) error }) (*damask.Inbox, error) {
	var b damask.Inbox
	if err := s.Scan(&b.ID, &b.AccountID, &b.Token, &b.Title, &b.Message, &b.PasswordHash, timeCol{&b.ExpiresAt},
		&b.Tags, &b.MaxFileSize, &b.MaxFiles, &b.UploadsCount, &b.UserID,
		timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt}, timeCol{&b.RevokedAt}); err != nil {
		return nil, err
	}
	return &b, nil
}

func inboxByID(ctx context.Context, q querier, accountID, id int64) (*damask.Inbox, error) {
	return scanInbox(q.QueryRowContext(ctx,
		`SELECT `+inboxColumns+` FROM inboxes WHERE account_id = ? AND id = ?`, accountID, id))
}

// CreateInbox stores b.
func (db *DB) CreateInbox(ctx context.Context, b *damask.Inbox) error {
	now := db.clock()
	return db.update(ctx, "create inbox", func(tx *sql.Tx) error {
		if err := claimKey(ctx, tx, damask.KindInbox, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, b.AccountID); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO inboxes (account_id, token, title, message, password_hash, expires_at, tags,
				max_file_size, max_files, user_id, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			b.AccountID, b.Token, b.Title, b.Message, b.PasswordHash, timeValue(b.ExpiresAt), b.Tags,
			b.MaxFileSize, b.MaxFiles, nullID(b.UserID), now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		if err := keyDone(ctx, tx, id, 0); err != nil {
			return err
		}
		fresh, err := inboxByID(ctx, tx, b.AccountID, id)
		if err != nil {
			return err
		}
		*b = *fresh
		return nil
	})
}

// Inbox finds an Inbox of the account.
func (db *DB) Inbox(ctx context.Context, accountID, id int64) (*damask.Inbox, error) {
	var b *damask.Inbox
	err := db.lookup(ctx, fmt.Sprintf("inbox %d", id), func(q querier) (err error) {
		b, err = inboxByID(ctx, q, accountID, id)
		return err
	})
	return b, err
}

// InboxByToken finds an Inbox of the account by its address's secret.
func (db *DB) InboxByToken(ctx context.Context, accountID int64, token string) (*damask.Inbox, error) {
	var b *damask.Inbox
	err := db.lookup(ctx, "inbox by token", func(q querier) (err error) {
		b, err = scanInbox(q.QueryRowContext(ctx,
			`SELECT `+inboxColumns+` FROM inboxes WHERE account_id = ? AND token = ?`, accountID, token))
		return err
	})
	return b, err
}

// Inboxes lists the account's Inboxes, newest first.
func (db *DB) Inboxes(ctx context.Context, accountID int64, p damask.Page) ([]*damask.Inbox, int, error) {
	var (
		bs    []*damask.Inbox
		total int
	)
	err := db.view(ctx, fmt.Sprintf("inboxes of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM inboxes WHERE account_id = ?`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.QueryContext(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE account_id = ?
			ORDER BY id DESC LIMIT ? OFFSET ?`, accountID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			b, err := scanInbox(rows)
			if err != nil {
				return err
			}
			bs = append(bs, b)
		}
		return rows.Err()
	})
	return bs, total, err
}

// UpdateInbox writes b's settings.
func (db *DB) UpdateInbox(ctx context.Context, b *damask.Inbox) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update inbox %d", b.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE inboxes SET title = ?, message = ?, password_hash = ?, expires_at = ?, tags = ?,
				max_file_size = ?, max_files = ?, updated_at = ?
			WHERE account_id = ? AND id = ?`,
			b.Title, b.Message, b.PasswordHash, timeValue(b.ExpiresAt), b.Tags, b.MaxFileSize, b.MaxFiles,
			now.UnixNano(), b.AccountID, b.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		fresh, err := inboxByID(ctx, tx, b.AccountID, b.ID)
		if err != nil {
			return err
		}
		*b = *fresh
		return nil
	})
}

// RevokeInbox closes an Inbox, keeping the first time it was revoked.
func (db *DB) RevokeInbox(ctx context.Context, accountID, id int64, at time.Time) (*damask.Inbox, error) {
	var b *damask.Inbox
	err := db.update(ctx, fmt.Sprintf("revoke inbox %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE inboxes SET revoked_at = coalesce(revoked_at, ?), updated_at = ?
			WHERE account_id = ? AND id = ?`, at.UnixNano(), db.clock().UnixNano(), accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		b, err = inboxByID(ctx, tx, accountID, id)
		return err
	})
	return b, err
}

// InboxReceived stores a submission: its assets, the count and the
// event, in one transaction.
func (db *DB) InboxReceived(ctx context.Context, accountID, id int64, as []*damask.Asset) error {
	now := db.clock()
	return db.updateEvents(ctx, fmt.Sprintf("receive %d files in inbox %d", len(as), id), func(tx *sql.Tx, ev *eventLog) error {
		if err := ownAssets(accountID, as); err != nil {
			return err
		}
		res, err := tx.ExecContext(ctx, `UPDATE inboxes SET uploads_count = uploads_count + ? WHERE account_id = ? AND id = ?`,
			len(as), accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if err := insertAssets(ctx, tx, ev, as, now); err != nil {
			return err
		}
		ev.add(accountID, damask.EventInboxReceived, id)
		return nil
	})
}

// ownAssets answers EINVALID unless every asset is of the account.
func ownAssets(accountID int64, as []*damask.Asset) error {
	for _, a := range as {
		if a.AccountID != accountID {
			return damask.Errorf(damask.EINVALID, "Asset %q is not of account %d", a.Title, accountID)
		}
	}
	return nil
}
