package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"sync"
)

// Group commit. A write transaction in WAL mode with synchronous=FULL costs
// one fsync of the log at its commit, and SQLite has one writer: uploads
// sent at once would each wait for the commits of those ahead of them.
// grouped lets the transactions that wait join one: the first to come
// leads, runs every write waiting by then, each in its own savepoint, and
// commits them together; whoever came meanwhile waits for the next group,
// led by the first of them. Each caller returns only after the commit that
// holds its write, so what was acknowledged is on disk as before.
//
// A write that fails is rolled back to its savepoint alone; the others
// commit. Should the group's transaction itself fail (its commit, or a
// statement that made SQLite roll the whole transaction back, as an
// interrupted one does), each write that had not failed on its own is run
// again in a transaction of its own, as update would have: the writes
// given to grouped must be safe to run twice (set their results, never
// add to them).

// groupWrite is one write waiting for its group.
type groupWrite struct {
	ctx  context.Context
	what string
	fn   func(tx *sql.Tx) error
	err  error         // its outcome, set before done is closed
	done chan struct{} // closed when err is known
	lead chan struct{} // signaled when it is to lead the next group
}

// groups queues the writes of grouped.
type groups struct {
	mu      sync.Mutex
	waiting []*groupWrite
	busy    bool // a leader is running a group
}

// grouped is update for writes that many requests make at once (a new
// upload's record): the same outcome, committed in a group.
func (db *DB) grouped(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	w := &groupWrite{ctx: ctx, what: what, fn: fn, done: make(chan struct{}), lead: make(chan struct{}, 1)}
	g := &db.groups
	g.mu.Lock()
	g.waiting = append(g.waiting, w)
	if g.busy {
		g.mu.Unlock()
		select {
		case <-w.done:
			return w.err
		case <-w.lead:
		}
	} else {
		g.busy = true
		g.mu.Unlock()
	}
	// This write leads: it takes every write waiting, its own among them
	// unless an earlier group has run it already.
	for {
		g.mu.Lock()
		batch := g.waiting
		g.waiting = nil
		g.mu.Unlock()
		db.runGroup(batch)
		g.mu.Lock()
		select {
		case <-w.done:
			// Hand the lead to the first of those who came meanwhile.
			if len(g.waiting) > 0 {
				g.waiting[0].lead <- struct{}{}
			} else {
				g.busy = false
			}
			g.mu.Unlock()
			return w.err
		default:
			g.mu.Unlock()
		}
	}
}

// runGroup runs a group's writes in one transaction and tells each its
// outcome.
func (db *DB) runGroup(batch []*groupWrite) {
	finish := func(w *groupWrite, err error) {
		if err != nil {
			err = fmt.Errorf("sqlite: %s: %w", w.what, err)
		}
		w.err = err
		close(w.done)
	}
	var live []*groupWrite
	for _, w := range batch {
		if err := w.ctx.Err(); err != nil {
			finish(w, err) // gone before its turn: nothing written
		} else {
			live = append(live, w)
		}
	}
	if len(live) == 1 {
		w := live[0]
		w.err = db.update(w.ctx, w.what, w.fn)
		close(w.done)
		return
	}
	if len(live) == 0 {
		return
	}
	ok, err := db.runTogether(live)
	if err == nil {
		for i, w := range live {
			finish(w, ok[i])
		}
		return
	}
	// The group's transaction is lost: each write that had not failed on
	// its own runs again, alone.
	for i, w := range live {
		if ok != nil && ok[i] != nil && !errors.Is(ok[i], errGroupLost) {
			finish(w, ok[i])
			continue
		}
		w.err = db.update(w.ctx, w.what, w.fn)
		close(w.done)
	}
}

// errGroupLost marks the writes whose outcome the group's failure decides.
var errGroupLost = errors.New("group transaction lost")

// runTogether runs the writes in one transaction, each in a savepoint, and
// commits. It answers each write's own failure (domain errors, as update
// gives them), and an error when the transaction as a whole failed.
func (db *DB) runTogether(ws []*groupWrite) ([]error, error) {
	// The transaction belongs to the group, not to whichever request led
	// it: a leader's client going away must not roll back the others.
	ctx := context.WithoutCancel(ws[0].ctx)
	tx, err := db.begin(ctx)
	if err != nil {
		return nil, err
	}
	defer tx.Rollback()
	outcome := make([]error, len(ws))
	for i := range outcome {
		outcome[i] = errGroupLost
	}
	for i, w := range ws {
		if _, err := tx.ExecContext(ctx, "SAVEPOINT grouped"); err != nil {
			return outcome, err
		}
		if err := w.fn(tx); err != nil {
			if _, rerr := tx.ExecContext(ctx, "ROLLBACK TO grouped"); rerr != nil {
				return outcome, rerr // SQLite rolled the whole transaction back
			}
			outcome[i] = domainError(err)
		} else {
			outcome[i] = nil
		}
		if _, err := tx.ExecContext(ctx, "RELEASE grouped"); err != nil {
			return outcome, err
		}
	}
	if err := tx.Commit(); err != nil {
		for i := range outcome {
			if outcome[i] == nil {
				outcome[i] = errGroupLost
			}
		}
		return outcome, err
	}
	return outcome, nil
}
