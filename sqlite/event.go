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
	return db.withEvents(ctx, what, db.update, fn)
}

// withEvents runs fn by run (update, or grouped), which may run it more
// than once, and writes the events fn recorded in the same transaction.
func (db *DB) withEvents(ctx context.Context, what string, run func(context.Context, string, func(*sql.Tx) error) error,
	fn func(tx *sql.Tx, ev *eventLog) error) error {
	ev := &eventLog{actor: damask.Actor(ctx), at: db.clock()}
	err := run(ctx, what, func(tx *sql.Tx) error {
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

// writeEvents numbers the events and inserts them. SQLite has one writer
// at a time, so ids follow the order of the commits by themselves: an
// account's next id is its highest plus one, read by the insert itself
// (one statement, and no page of a counter to write); DeleteEvents keeps
// each account's newest event, so that the highest never goes back.
func writeEvents(ctx context.Context, tx *sql.Tx, evs []damask.Event) error {
	if len(evs) > 1 {
		return writeManyEvents(ctx, tx, evs)
	}
	// The insert answers too whether the account has an active webhook,
	// so that a change in an account without one (most) costs no
	// statement more for its deliveries.
	hooked := false
	for i := range evs {
		e := &evs[i]
		var hooks int
		if err := tx.QueryRowContext(ctx, `
			INSERT INTO events (account_id, id, type, created_at, actor_id, object_id, changed)
			SELECT ?1, coalesce(max(id), 0) + 1, ?2, ?3, ?4, ?5, ?6 FROM events WHERE account_id = ?1
			RETURNING id, (SELECT count(*) FROM webhooks w WHERE w.account_id = ?1 AND w.active)`,
			e.AccountID, e.Type, e.CreatedAt.UnixNano(), nullID(e.ActorID), e.ObjectID,
			strings.Join(e.Changed, ",")).Scan(&e.ID, &hooks); err != nil {
			return fmt.Errorf("write event %s: %w", e.Type, err)
		}
		hooked = hooked || hooks > 0
	}
	if !hooked {
		return nil
	}
	return queueDeliveries(ctx, tx, evs)
}

// writeManyEvents is writeEvents for a change of many objects (an
// unpacked archive, a purge of the trash): each account's highest id and
// webhooks are read once, and the rows go in through one prepared
// statement, numbered on from there.
func writeManyEvents(ctx context.Context, tx *sql.Tx, evs []damask.Event) error {
	ins, err := tx.PrepareContext(ctx, `
		INSERT INTO events (account_id, id, type, created_at, actor_id, object_id, changed)
		VALUES (?, ?, ?, ?, ?, ?, ?)`)
	if err != nil {
		return fmt.Errorf("write %d events: %w", len(evs), err)
	}
	defer ins.Close()
	last := map[int64]int64{} // by account, the id given last
	hooked := false
	for i := range evs {
		e := &evs[i]
		id, ok := last[e.AccountID]
		if !ok {
			var hooks int
			if err := tx.QueryRowContext(ctx, `
				SELECT coalesce(max(id), 0), (SELECT count(*) FROM webhooks w WHERE w.account_id = ?1 AND w.active)
				FROM events WHERE account_id = ?1`, e.AccountID).Scan(&id, &hooks); err != nil {
				return fmt.Errorf("write %d events: %w", len(evs), err)
			}
			hooked = hooked || hooks > 0
		}
		e.ID = id + 1
		last[e.AccountID] = e.ID
		if _, err := ins.ExecContext(ctx, e.AccountID, e.ID, e.Type, e.CreatedAt.UnixNano(), nullID(e.ActorID), e.ObjectID,
			strings.Join(e.Changed, ",")); err != nil {
			return fmt.Errorf("write event %s: %w", e.Type, err)
		}
	}
	if !hooked {
		return nil
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
			SELECT coalesce(min(id), 1) FROM events WHERE account_id = ?`, accountID).Scan(&oldest); err != nil {
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

// DeleteEvents removes the events of every account made before the time
// but each account's newest, from which the next id is counted.
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete old events", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM events WHERE created_at < ?
				AND id < (SELECT max(n.id) FROM events n WHERE n.account_id = events.account_id)`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// groupedEvents is updateEvents committed in a group (grouped): fn must
// be safe to run again.
func (db *DB) groupedEvents(ctx context.Context, what string, fn func(tx *sql.Tx, ev *eventLog) error) error {
	return db.withEvents(ctx, what, db.grouped, fn)
}
