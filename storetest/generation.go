package storetest

import (
	"testing"
	"time"

	"damask"
)

// testGeneration checks that every change of what a sign-in reads bumps
// the auth count, that a token's last use does not, and that the
// throttle's counters bump the failures count alone; and that a store that
// stamps its data (Generation.Data) answers a new stamp after every change
// and the same one while nothing changes.
func testGeneration(t *testing.T, s damask.Store) {
	ctx := t.Context()
	last, err := s.Generation(ctx)
	must(t, "Generation", err)
	var a *damask.Account
	var u *damask.User
	var tk *damask.Token
	steps := []struct {
		name           string
		change         func()
		auth, failures bool // whether the count must change
	}{
		{"create account", func() { a, _ = newAccount(t, s, "acme") }, true, false},
		{"update account", func() {
			a.APIEnabled = false
			must(t, "UpdateAccount", s.UpdateAccount(ctx, a))
		}, true, false},
		{"create user", func() { u = newUser(t, s, a.ID, "bob") }, true, false},
		{"update user", func() {
			u.Disabled = true
			must(t, "UpdateUser", s.UpdateUser(ctx, u))
		}, true, false},
		{"create token", func() { tk = newToken(t, s, u, "dmk_generation", false, time.Time{}) }, true, false},
		{"touch token", func() { must(t, "TouchToken", s.TouchToken(ctx, a.ID, tk.ID, time.Now())) }, false, false},
		{"revoke token", func() {
			_, err := s.RevokeToken(ctx, a.ID, u.ID, tk.ID, time.Now())
			must(t, "RevokeToken", err)
		}, true, false},
		{"delete user", func() { must(t, "DeleteUser", s.DeleteUser(ctx, a.ID, u.ID)) }, true, false},
		{"add failure", func() {
			_, err := s.AddFailure(ctx, []string{"generation"}, time.Now(), time.Minute)
			must(t, "AddFailure", err)
		}, false, true},
		{"add failure again", func() {
			_, err := s.AddFailure(ctx, []string{"generation"}, time.Now(), time.Minute)
			must(t, "AddFailure", err)
		}, false, true},
		{"delete failures", func() {
			_, err := s.DeleteFailures(ctx, time.Now().Add(time.Hour))
			must(t, "DeleteFailures", err)
		}, false, true},
	}
	for _, st := range steps {
		st.change()
		g, err := s.Generation(ctx)
		must(t, "Generation after "+st.name, err)
		if got := g.Auth != last.Auth; got != st.auth {
			t.Errorf("after %s: auth count %d -> %d, want a change: %v", st.name, last.Auth, g.Auth, st.auth)
		}
		if got := g.Failures != last.Failures; got != st.failures {
			t.Errorf("after %s: failures count %d -> %d, want a change: %v", st.name, last.Failures, g.Failures, st.failures)
		}
		if last.Data != 0 && g.Data == last.Data {
			t.Errorf("after %s: data stamp stayed %d", st.name, g.Data)
		}
		if g.Auth < last.Auth || g.Failures < last.Failures {
			t.Errorf("after %s: counts went down from %+v to %+v", st.name, last, g)
		}
		last = g
	}
	// Nothing committed: the same stamp, or none.
	g, err := s.Generation(ctx)
	must(t, "Generation again", err)
	if g != last {
		t.Errorf("with no change, Generation answered %+v, then %+v", last, g)
	}
}
