package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"damask"
)

// RecordAudit stores an audit event.
func (db *DB) RecordAudit(ctx context.Context, e *damask.AuditEvent) error {
	if e.At.IsZero() {
		e.At = db.clock()
	}
	return db.update(ctx, "record audit event", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO audit_events (account_id, user_id, action, target, detail, source, at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.AccountID, nullID(e.UserID), e.Action, e.Target, e.Detail, e.Source, e.At.UnixNano())
		if err != nil {
			return err
		}
		e.ID, err = res.LastInsertId()
		return err
	})
}

// AuditEvents lists an account's audit events, newest first.
func (db *DB) AuditEvents(ctx context.Context, accountID int64, p damask.Page) ([]*damask.AuditEvent, int, error) {
	var (
		es    []*damask.AuditEvent
		total int
	)
	err := db.view(ctx, fmt.Sprintf("audit events of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM audit_events WHERE account_id = ?`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.QueryContext(ctx, `
			SELECT id, account_id, coalesce(user_id, 0), action, target, detail, source, at
			FROM audit_events WHERE account_id = ? ORDER BY id DESC LIMIT ? OFFSET ?`, accountID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			var e damask.AuditEvent
			if err := rows.Scan(&e.ID, &e.AccountID, &e.UserID, &e.Action, &e.Target, &e.Detail, &e.Source, timeCol{&e.At}); err != nil {
				return err
			}
			es = append(es, &e)
		}
		return rows.Err()
	})
	return es, total, err
}
