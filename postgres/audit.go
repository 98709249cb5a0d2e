package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"damask"
)

// RecordAudit stores an audit event.
func (db *DB) RecordAudit(ctx context.Context, e *damask.AuditEvent) error {
	if e.At.IsZero() {
		e.At = db.clock()
	}
	return db.update(ctx, "record audit event", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `
			INSERT INTO audit_events (account_id, user_id, action, target, detail, source, at)
			VALUES ($1, $2, $3, $4, $5, $6, $7) RETURNING id`,
			e.AccountID, nullID(e.UserID), e.Action, e.Target, e.Detail, e.Source, e.At).Scan(&e.ID)
	})
}

// AuditEvents lists an account's audit events, newest first.
func (db *DB) AuditEvents(ctx context.Context, accountID int64, p damask.Page) ([]*damask.AuditEvent, int, error) {
	var (
		es    []*damask.AuditEvent
		total int
	)
	err := db.view(ctx, fmt.Sprintf("audit events of account %d", accountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM audit_events WHERE account_id = $1`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.Query(ctx, `
			SELECT id, account_id, coalesce(user_id, 0), action, target, detail, source, at
			FROM audit_events WHERE account_id = $1 ORDER BY id DESC LIMIT $2 OFFSET $3`, accountID, lim, off)
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
