package library

import (
	"strings"
	"testing"

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
