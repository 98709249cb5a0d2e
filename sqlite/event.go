package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"sync/atomic"
	"time"

	"damask"
)

// eventLog gathers the events of one write transaction, to be written
// last, just before the commit (see writeEvents).
type eventLog struct {
	actor int64
	at    time.Time
	evs   []damask.Event
}

// add records an event; a nil log records nothing (callers outside a
// change, such as the bulk loader's tag lookups in tests).
func (l *eventLog) add(accountID int64, typ string, object int64, changed ...string) {
	if l == nil {
		return
	}
	l.evs = append(l.evs, damask.Event{AccountID: accountID, Type: typ, CreatedAt: l.at,
		ActorID: l.actor, ObjectID: object, Changed: changed})
}

// updateEvents runs fn in a write transaction as update does, and writes
// the events fn recorded in the same transaction, after fn's own writes.
// Once committed, the accounts of the events are signalled (OnEvents).
func (db *DB) updateEvents(ctx context.Context, what string, fn func(tx *sql.Tx, ev *eventLog) error) error {
	ev := &eventLog{actor: damask.Actor(ctx), at: db.clock()}
	err := db.update(ctx, what, func(tx *sql.Tx) error {
		ev.evs = ev.evs[:0]
		if err := fn(tx, ev); err != nil {
			return err
		}
		return writeEvents(ctx, tx, ev.evs)
	})
	if err == nil {
		db.signal(ev.evs)
	}
	return err
}

// writeEvents numbers the events from their accounts' counters and
// inserts them. SQLite has one writer at a time, so ids follow the order
// of the commits by themselves; the counter (rather than max(id)+1) keeps
// ids from coming back once retention has removed the newest events.
func writeEvents(ctx context.Context, tx *sql.Tx, evs []damask.Event) error {
	for i := range evs {
		e := &evs[i]
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO event_counters (account_id, last) VALUES (?, 1)
			ON CONFLICT (account_id) DO UPDATE SET last = last + 1
			RETURNING last`, e.AccountID).Scan(&e.ID); err != nil {
			return fmt.Errorf("number event %s: %w", e.Type, err)
		}
		if _, err := tx.ExecContext(ctx, `
			INSERT INTO events (account_id, id, type, created_at, actor_id, object_id, changed)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			e.AccountID, e.ID, e.Type, e.CreatedAt.UnixNano(), nullID(e.ActorID), e.ObjectID,
			strings.Join(e.Changed, ",")); err != nil {
			return fmt.Errorf("write event %s: %w", e.Type, err)
		}
	}
	return queueDeliveries(ctx, tx, evs)
}

// notifier holds the OnEvents callback.
type notifier struct{ fn atomic.Pointer[func(int64)] }

// OnEvents has fn called with an account's id after each commit that
// wrote events of it.
func (db *DB) OnEvents(fn func(accountID int64)) { db.events.fn.Store(&fn) }

func (db *DB) signal(evs []damask.Event) {
	fn := db.events.fn.Load()
	if fn == nil || len(evs) == 0 {
		return
	}
	last := int64(0)
	for _, e := range evs {
		if e.AccountID != last {
			(*fn)(e.AccountID)
			last = e.AccountID
		}
	}
}

// Events lists the account's events after an id, oldest first.
func (db *DB) Events(ctx context.Context, accountID, after int64, limit int) ([]damask.Event, int64, error) {
	var (
		evs    []damask.Event
		oldest int64
	)
	err := db.view(ctx, fmt.Sprintf("events of account %d", accountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `
			SELECT coalesce((SELECT min(id) FROM events WHERE account_id = ?1),
				(SELECT last + 1 FROM event_counters WHERE account_id = ?1), 1)`, accountID).Scan(&oldest); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `
			SELECT id, type, created_at, coalesce(actor_id, 0), object_id, changed FROM events
			WHERE account_id = ? AND id > ? ORDER BY id LIMIT ?`, accountID, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := damask.Event{AccountID: accountID}
			var changed string
			if err := rows.Scan(&e.ID, &e.Type, timeCol{&e.CreatedAt}, &e.ActorID, &e.ObjectID, &changed); err != nil {
				return err
			}
			if changed != "" {
				e.Changed = strings.Split(changed, ",")
			}
			evs = append(evs, e)
		}
		return rows.Err()
	})
	return evs, oldest, err
}

// DeleteEvents removes the events of every account made before the time.
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete old events", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM events WHERE created_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
