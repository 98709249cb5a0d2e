package postgres

import (
	"context"
	"fmt"
	"sync/atomic"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// eventLog gathers the events of one write transaction, to be written
// last, just before the commit (see writeEvents).
type eventLog struct {
	actor int64
	at    time.Time
	evs   []damask.Event
}

// add records an event; a nil log records nothing (the bulk loader).
func (l *eventLog) add(accountID int64, typ string, object int64, changed ...string) {
	if l == nil {
		return
	}
	if changed == nil {
		changed = []string{} // not NULL
	}
	l.evs = append(l.evs, damask.Event{AccountID: accountID, Type: typ, CreatedAt: l.at,
		ActorID: l.actor, ObjectID: object, Changed: changed})
}

// updateEvents runs fn in a write transaction as update does (run again
// after a deadlock, with the log emptied), and writes the events fn
// recorded in the same transaction, after fn's own writes. Once
// committed, the accounts of the events are signalled (OnEvents).
func (db *DB) updateEvents(ctx context.Context, what string, fn func(tx pgx.Tx, ev *eventLog) error) error {
	ev := &eventLog{actor: damask.Actor(ctx), at: db.clock()}
	err := db.update(ctx, what, func(tx pgx.Tx) error {
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
// inserts them.
//
// Why a counter row, and why last: transactions commit in an order of
// their own, so ids from a sequence could commit out of order (id 8 seen
// by a reader before id 7 commits, and a reader that then asks for events
// after 8 never sees 7). The account's counter row is locked by the
// UPDATE until the transaction ends, so the account's next writer waits
// there and takes its ids only once this one has committed (or rolled
// back, undoing the bump): ids are handed out in commit order, and every
// event below a visible one is visible too. The cost is that writers of
// one account queue for the time between the bump and the commit, which
// is why the bump comes after every other statement of the transaction;
// writers of different accounts do not meet. A transaction bumps one
// counter row at most per account, in the order of its events' accounts,
// which the callers keep to one account (PurgeTrash's sorted by account),
// so two writers cannot wait for each other.
func writeEvents(ctx context.Context, tx pgx.Tx, evs []damask.Event) error {
	for i := 0; i < len(evs); {
		j := i
		for j < len(evs) && evs[j].AccountID == evs[i].AccountID {
			j++
		}
		var last int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO event_counters AS c (account_id, last) VALUES ($1, $2)
			ON CONFLICT (account_id) DO UPDATE SET last = c.last + excluded.last
			RETURNING last`, evs[i].AccountID, int64(j-i)).Scan(&last); err != nil {
			return fmt.Errorf("number events: %w", err)
		}
		for k := i; k < j; k++ {
			evs[k].ID = last - int64(j-k) + 1
		}
		i = j
	}
	if len(evs) == 0 {
		return nil
	}
	rows := make([][]any, len(evs))
	for i, e := range evs {
		rows[i] = []any{e.AccountID, e.ID, e.Type, e.CreatedAt, nullID(e.ActorID), e.ObjectID, e.Changed}
	}
	if len(rows) == 1 {
		_, err := tx.Exec(ctx, `
			INSERT INTO events (account_id, id, type, created_at, actor_id, object_id, changed)
			VALUES ($1, $2, $3, $4, $5, $6, $7)`, rows[0]...)
		if err != nil {
			return fmt.Errorf("write event: %w", err)
		}
		return queueDeliveries(ctx, tx, evs)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"events"},
		[]string{"account_id", "id", "type", "created_at", "actor_id", "object_id", "changed"},
		pgx.CopyFromRows(rows)); err != nil {
		return fmt.Errorf("write %d events: %w", len(rows), err)
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

// Events lists the account's events after an id, oldest first. The two
// reads share one snapshot, in which every id below a visible one is
// visible (writeEvents).
func (db *DB) Events(ctx context.Context, accountID, after int64, limit int) ([]damask.Event, int64, error) {
	var (
		evs    []damask.Event
		oldest int64
	)
	err := db.view(ctx, fmt.Sprintf("events of account %d", accountID), func(tx pgx.Tx) error {
		evs = nil
		if err := tx.QueryRow(ctx, `
			SELECT coalesce((SELECT min(id) FROM events WHERE account_id = $1),
				(SELECT last + 1 FROM event_counters WHERE account_id = $1), 1)`, accountID).Scan(&oldest); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `
			SELECT id, type, created_at, coalesce(actor_id, 0), object_id, changed FROM events
			WHERE account_id = $1 AND id > $2 ORDER BY id LIMIT $3`, accountID, after, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			e := damask.Event{AccountID: accountID}
			if err := rows.Scan(&e.ID, &e.Type, timeCol{&e.CreatedAt}, &e.ActorID, &e.ObjectID, &e.Changed); err != nil {
				return err
			}
			if len(e.Changed) == 0 {
				e.Changed = nil
			}
			evs = append(evs, e)
		}
		return rows.Err()
	})
	return evs, oldest, err
}

// DeleteEvents removes the events of every account made before the time
// but each account's newest, as the SQLite store must (the contract is
// one): a reader can always tell how far the feed has gone.
func (db *DB) DeleteEvents(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete old events", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			DELETE FROM events e WHERE e.created_at < $1
				AND e.id < (SELECT max(n.id) FROM events n WHERE n.account_id = e.account_id)`, before)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		return nil
	})
	return int(n), err
}
