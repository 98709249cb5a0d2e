package library

import (
	"context"
	"fmt"
	"sync"
	"time"

	"damask"
)

// DefaultEventsRetention is how long events are kept when the operator
// says nothing (--events-retention).
const DefaultEventsRetention = 30 * 24 * time.Hour

// MaxEventsWait is the longest a read of the feed waits for an event.
const MaxEventsWait = 30 * time.Second

// eventsPoll is how often a waiting read looks in the store for events
// that another process (a worker, another server) wrote: this process's
// own writes wake it at once. A second keeps a thousand waiting clients
// to a thousand small indexed reads a second.
const eventsPoll = time.Second

// acting carries the caller, as the actor of the changes it makes, to the
// store that records them in the events. The operator's commands, which
// borrow the holder for the role checks (AddUser), act as the system.
func acting(ctx context.Context, c Caller) context.Context {
	if c.User == nil || c.Source == operatorSource {
		return ctx
	}
	return damask.WithActor(ctx, c.User.ID)
}

// eventHub wakes the readers waiting for an account's next event. Each
// account has at most one channel, closed (and forgotten) when the store
// commits events of the account.
type eventHub struct {
	mu    sync.Mutex
	waits map[int64]chan struct{}
}

func newEventHub() *eventHub { return &eventHub{waits: map[int64]chan struct{}{}} }

// next is closed at the account's next event.
func (h *eventHub) next(accountID int64) <-chan struct{} {
	h.mu.Lock()
	defer h.mu.Unlock()
	ch := h.waits[accountID]
	if ch == nil {
		ch = make(chan struct{})
		h.waits[accountID] = ch
	}
	return ch
}

func (h *eventHub) signal(accountID int64) {
	h.mu.Lock()
	defer h.mu.Unlock()
	if ch := h.waits[accountID]; ch != nil {
		close(ch)
		delete(h.waits, accountID)
	}
}

// Events answers the account's events after the id after, oldest first,
// at most damask.EventsPage. When there are none and wait is positive (at
// most MaxEventsWait; more is cut to it), it waits for one that long, and
// answers none when none came or ctx ended (the client went).
//
// Events reveal assets, their titles' changes and users: members and up
// read them, guests not (EFORBIDDEN). after below 0 is EINVALID. A reader
// whose after lies before the oldest event kept has missed events that
// retention removed: EGONE, whose message names the oldest id kept. after
// 0 means from the oldest kept, and is never EGONE.
func (s *Service) Events(ctx context.Context, c Caller, after int64, wait time.Duration) ([]damask.Event, error) {
	if err := requireRole(c, damask.RoleMember, "read the events"); err != nil {
		return nil, err
	}
	if after < 0 {
		return nil, damask.Errorf(damask.EINVALID, "after must be an event id, 0 or more")
	}
	wait = min(max(wait, 0), MaxEventsWait)
	account := c.Account.ID
	deadline := time.NewTimer(wait)
	defer deadline.Stop()
	var tick *time.Ticker
	for {
		// Ask for the wake-up before reading, so that an event committed
		// between the read and the wait still wakes us.
		woken := s.hub.next(account)
		evs, oldest, err := s.store.Events(ctx, account, after, damask.EventsPage)
		if err != nil {
			return nil, fmt.Errorf("events after %d: %w", after, err)
		}
		if after > 0 && after < oldest-1 {
			return nil, damask.Errorf(damask.EGONE,
				"Events after %d are no longer kept; the oldest kept is %d", after, oldest)
		}
		if len(evs) > 0 || wait == 0 {
			return evs, nil
		}
		if tick == nil {
			tick = time.NewTicker(eventsPoll)
			defer tick.Stop()
		}
		select {
		case <-woken:
		case <-tick.C:
		case <-deadline.C:
			return nil, nil
		case <-ctx.Done():
			return nil, nil
		}
	}
}

// deleteOldEvents is Tidy's part for the feed.
func (s *Service) deleteOldEvents(ctx context.Context, now time.Time) error {
	n, err := s.store.DeleteEvents(ctx, now.Add(-s.eventsKept))
	if err != nil {
		return fmt.Errorf("delete old events: %w", err)
	}
	if n > 0 {
		s.log.Info("removed old events", "count", n)
	}
	return nil
}
