package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const inboxColumns = `id, account_id, token, title, message, password_hash, expires_at, tags,
	max_file_size, max_files, uploads_count, coalesce(user_id, 0), created_at, updated_at, revoked_at`

func scanInbox(s pgx.Row) (*damask.Inbox, error) {
	var b damask.Inbox
	if err := s.Scan(&b.ID, &b.AccountID, &b.Token, &b.Title, &b.Message, &b.PasswordHash, timeCol{&b.ExpiresAt},
		&b.Tags, &b.MaxFileSize, &b.MaxFiles, &b.UploadsCount, &b.UserID,
		timeCol{&b.CreatedAt}, timeCol{&b.UpdatedAt}, timeCol{&b.RevokedAt}); err != nil {
		return nil, err
	}
	return &b, nil
}

func inboxByID(ctx context.Context, q querier, accountID, id int64) (*damask.Inbox, error) {
	return scanInbox(q.QueryRow(ctx,
		`SELECT `+inboxColumns+` FROM inboxes WHERE account_id = $1 AND id = $2`, accountID, id))
}

// CreateInbox stores b.
func (db *DB) CreateInbox(ctx context.Context, b *damask.Inbox) error {
	now := db.clock()
	return db.update(ctx, "create inbox", func(tx pgx.Tx) error {
		if err := claimKey(ctx, tx, damask.KindInbox, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, b.AccountID); err != nil {
			return err
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO inboxes (account_id, token, title, message, password_hash, expires_at, tags,
				max_file_size, max_files, user_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $11) RETURNING id`,
			b.AccountID, b.Token, b.Title, b.Message, b.PasswordHash, timeValue(b.ExpiresAt), b.Tags,
			b.MaxFileSize, b.MaxFiles, nullID(b.UserID), now).Scan(&id); err != nil {
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
	err := db.get(ctx, fmt.Sprintf("inbox %d", id), func(q querier) (err error) {
		b, err = inboxByID(ctx, q, accountID, id)
		return err
	})
	return b, err
}

// InboxByToken finds an Inbox of the account by its address's secret.
func (db *DB) InboxByToken(ctx context.Context, accountID int64, token string) (*damask.Inbox, error) {
	var b *damask.Inbox
	err := db.get(ctx, "inbox by token", func(q querier) (err error) {
		b, err = scanInbox(q.QueryRow(ctx,
			`SELECT `+inboxColumns+` FROM inboxes WHERE account_id = $1 AND token = $2`, accountID, token))
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
	err := db.view(ctx, fmt.Sprintf("inboxes of account %d", accountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM inboxes WHERE account_id = $1`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.Query(ctx, `SELECT `+inboxColumns+` FROM inboxes WHERE account_id = $1
			ORDER BY id DESC LIMIT $2 OFFSET $3`, accountID, lim, off)
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
	return db.update(ctx, fmt.Sprintf("update inbox %d", b.ID), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE inboxes SET title = $1, message = $2, password_hash = $3, expires_at = $4, tags = $5,
				max_file_size = $6, max_files = $7, updated_at = $8
			WHERE account_id = $9 AND id = $10`,
			b.Title, b.Message, b.PasswordHash, timeValue(b.ExpiresAt), b.Tags, b.MaxFileSize, b.MaxFiles,
			now, b.AccountID, b.ID)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
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
	err := db.update(ctx, fmt.Sprintf("revoke inbox %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			UPDATE inboxes SET revoked_at = coalesce(revoked_at, $1), updated_at = $2
			WHERE account_id = $3 AND id = $4`, at.UTC().Truncate(time.Microsecond), db.clock(), accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
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
	return db.updateEvents(ctx, fmt.Sprintf("receive %d files in inbox %d", len(as), id), func(tx pgx.Tx, ev *eventLog) error {
		for _, a := range as {
			if a.AccountID != accountID {
				return damask.Errorf(damask.EINVALID, "Asset %q is not of account %d", a.Title, accountID)
			}
		}
		tag, err := tx.Exec(ctx, `UPDATE inboxes SET uploads_count = uploads_count + $1 WHERE account_id = $2 AND id = $3`,
			len(as), accountID, id)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		if err := insertAssets(ctx, tx, ev, as, now); err != nil {
			return err
		}
		ev.add(accountID, damask.EventInboxReceived, id)
		return nil
	})
}
