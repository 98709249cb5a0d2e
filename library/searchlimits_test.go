package library

import (
	"context"
	"strings"
	"testing"
	"time"

	"damask"
)

// TestUserSlots checks the count of what each user does at once: the cap
// holds per user, a release gives back what its take took, and the map
// forgets users who hold nothing.
func TestUserSlots(t *testing.T) {
	ann := Caller{User: &damask.User{ID: 1}}
	bob := Caller{User: &damask.User{ID: 2}}
	u := newUserSlots(2, searchesBusy)
	take := func(c Caller, n int, ok bool) func() {
		t.Helper()
		release, err := u.take(c, n)
		if ok != (err == nil) {
			t.Fatalf("take(%d, %d): %v, want ok %v", c.User.ID, n, err, ok)
		}
		if err != nil {
			if damask.ErrorCode(err) != damask.ETHROTTLED || !strings.Contains(err.Error(), "at most 2 per user") || RetryAfter(err) != 0 {
				t.Errorf("refused with %v, want ETHROTTLED naming the cap", err)
			}
			return nil
		}
		return release
	}
	first := take(ann, 1, true)
	second := take(ann, 1, true)
	take(ann, 1, false)
	take(bob, 2, true)() // another user has slots of his own
	second()
	second() // twice gives back once
	take(ann, 2, false)
	third := take(ann, 1, true)
	first()
	third()
	both := take(ann, 2, true)
	take(ann, 1, false)
	both()
	if len(u.n) != 0 {
		t.Errorf("slots still held after every release: %v", u.n)
	}

	one := newUserSlots(1, searchesBusy)
	if release, err := one.take(ann, 2); err != nil { // asks more than the cap: takes the cap
		t.Errorf("take 2 of a cap of 1: %v", err)
	} else {
		release()
	}
	none := newUserSlots(0, searchesBusy)
	for range 10 {
		if _, err := none.take(ann, 1); err != nil {
			t.Fatalf("no cap: %v", err)
		}
	}
	if _, err := u.take(Caller{}, 5); err != nil { // no user (a share link): not counted
		t.Errorf("take without a user: %v", err)
	}
}

// TestSearchTurns runs searches whose reads the test holds open: past the
// process's cap a search waits its turn, and is stopped at the time limit
// if it does not get one; past the user's cap it is refused at once; a
// client that leaves while waiting is let go.
func TestSearchTurns(t *testing.T) {
	ctx := t.Context()
	ann := Caller{User: &damask.User{ID: 1}}
	bob := Caller{User: &damask.User{ID: 2}}
	cho := Caller{User: &damask.User{ID: 3}}
	newService := func(o Options) *Service {
		s, err := New(nil, nil, o)
		if err != nil {
			t.Fatal(err)
		}
		return s
	}
	// hold runs n searches as c (as the web's page does 2) whose read
	// lasts until stop is called, once they have their turn.
	hold := func(s *Service, c Caller, n int) (stop func()) {
		t.Helper()
		started, unblock, errc := make(chan struct{}), make(chan struct{}), make(chan error, 1)
		go func() {
			errc <- s.search(ctx, c, n, func(context.Context) error {
				close(started)
				<-unblock
				return nil
			})
		}()
		select {
		case <-started:
		case err := <-errc:
			t.Fatalf("search of user %d: %v", c.User.ID, err)
		}
		return func() {
			close(unblock)
			if err := <-errc; err != nil {
				t.Errorf("search of user %d: %v", c.User.ID, err)
			}
		}
	}
	quick := func(context.Context) error { return nil }

	s := newService(Options{MaxSearches: 2, MaxSearchesPerUser: 2, SearchTimeout: time.Minute})
	stopAnn, stopBob := hold(s, ann, 1), hold(s, bob, 1)
	chos := make(chan error, 1)
	go func() { chos <- s.search(ctx, cho, 1, quick) }()
	select {
	case err := <-chos:
		t.Fatalf("a third search ran beside two, past the process's cap of 2: %v", err)
	case <-time.After(50 * time.Millisecond):
	}
	stopAnn()
	if err := <-chos; err != nil {
		t.Fatalf("cho's search, once ann's ended: %v", err)
	}
	stopBob()

	// Ann's page holds both of her searches: a third is refused at
	// once, and bob, who waits for the process, gives up when he leaves.
	stopPage := hold(s, ann, 2)
	if err := s.search(ctx, ann, 1, quick); damask.ErrorCode(err) != damask.ETHROTTLED {
		t.Errorf("ann's third search: %v, want ETHROTTLED", err)
	}
	gone, leave := context.WithCancel(ctx)
	time.AfterFunc(50*time.Millisecond, leave)
	if err := s.search(gone, bob, 1, quick); damask.ErrorCode(err) != damask.ECANCELED {
		t.Errorf("bob's search, left while waiting: %v, want ECANCELED", err)
	}
	stopPage()

	// A turn that does not come within the time limit is the time limit.
	s = newService(Options{MaxSearches: 1, SearchTimeout: 50 * time.Millisecond})
	stop := hold(s, ann, 2) // asks more than the cap: takes the cap
	err := s.search(ctx, bob, 1, func(context.Context) error {
		t.Error("bob's search read the store without its turn")
		return nil
	})
	if damask.ErrorCode(err) != damask.EINVALID || !strings.Contains(err.Error(), "took longer than 50ms") {
		t.Errorf("bob's search without a turn: %v, want EINVALID past the time limit", err)
	}
	stop()
}
