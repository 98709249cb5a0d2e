package storetest

import (
	"sync"
	"testing"
	"time"

	"damask"
)

func testFailures(t *testing.T, s damask.Store) {
	ctx := t.Context()
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	window := 15 * time.Minute
	keys := []string{"1 login joe", "1 addr 192.0.2.1"}

	got, err := s.FailureCounts(ctx, keys, start)
	must(t, "FailureCounts of nothing", err)
	diff(t, "FailureCounts of nothing", []damask.Failures{{}, {}}, got)

	for i := 1; i <= 3; i++ {
		got, err = s.AddFailure(ctx, keys[:1], start.Add(time.Duration(i)*time.Minute), window)
		must(t, "AddFailure", err)
		diff(t, "AddFailure", []damask.Failures{{Count: i, Ends: start.Add(time.Minute + window)}}, got)
	}
	got, err = s.AddFailure(ctx, keys, start.Add(5*time.Minute), window)
	must(t, "AddFailure of two keys", err)
	diff(t, "AddFailure of two keys", []damask.Failures{
		{Count: 4, Ends: start.Add(time.Minute + window)},
		{Count: 1, Ends: start.Add(5*time.Minute + window)},
	}, got)
	// In the order asked for, whatever the order of the rows.
	got, err = s.FailureCounts(ctx, []string{keys[1], "other", keys[0]}, start.Add(6*time.Minute))
	must(t, "FailureCounts", err)
	diff(t, "FailureCounts", []damask.Failures{
		{Count: 1, Ends: start.Add(5*time.Minute + window)}, {},
		{Count: 4, Ends: start.Add(time.Minute + window)},
	}, got)

	// The first window ended: that counter is forgotten, the other holds,
	// and a new failure starts a new window.
	later := start.Add(time.Minute + window)
	got, err = s.FailureCounts(ctx, keys, later)
	must(t, "FailureCounts after the window", err)
	diff(t, "FailureCounts after the window", []damask.Failures{{}, {Count: 1, Ends: start.Add(5*time.Minute + window)}}, got)
	got, err = s.AddFailure(ctx, keys[:1], later, window)
	must(t, "AddFailure after the window", err)
	diff(t, "AddFailure after the window", []damask.Failures{{Count: 1, Ends: later.Add(window)}}, got)

	// The housework removes the counters that ended.
	n, err := s.DeleteFailures(ctx, start.Add(5*time.Minute+window+time.Second))
	must(t, "DeleteFailures", err)
	if n != 1 {
		t.Errorf("DeleteFailures removed %d, want 1", n)
	}
	got, err = s.FailureCounts(ctx, keys, later)
	must(t, "FailureCounts after DeleteFailures", err)
	diff(t, "FailureCounts after DeleteFailures", []damask.Failures{{Count: 1, Ends: later.Add(window)}, {}}, got)
}

// testFailuresConcurrent: failures counted at once, as by several servers,
// are all counted.
func testFailuresConcurrent(t *testing.T, s damask.Store) {
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	keys := []string{"1 login joe", "1 addr 192.0.2.1"}
	const n = 20
	var wg sync.WaitGroup
	errs := make(chan error, n)
	for range n {
		wg.Go(func() {
			_, err := s.AddFailure(ctx, keys, now, time.Hour)
			errs <- err
		})
	}
	wg.Wait()
	close(errs)
	for err := range errs {
		must(t, "AddFailure", err)
	}
	got, err := s.FailureCounts(ctx, keys, now)
	must(t, "FailureCounts", err)
	diff(t, "FailureCounts", []damask.Failures{{Count: n, Ends: now.Add(time.Hour)}, {Count: n, Ends: now.Add(time.Hour)}}, got)
}

func testUploadLeases(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	u := newUser(t, s, a.ID, "joe")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	take := func(what string, userID int64, at, expires time.Time) int64 {
		t.Helper()
		id, err := s.TakeUploadLease(ctx, a.ID, userID, 2, at, expires)
		must(t, what, err)
		return id
	}
	l1 := take("first lease", u.ID, now, now.Add(time.Minute))
	l2 := take("second lease", u.ID, now, now.Add(time.Hour))
	if l1 == 0 || l2 == 0 || l1 == l2 {
		t.Fatalf("leases %d and %d; want distinct and set", l1, l2)
	}
	if id := take("third lease", u.ID, now, now.Add(time.Hour)); id != 0 {
		t.Errorf("a third lease of two was taken: %d", id)
	}
	// Another user has leases of their own.
	if id := take("another user's lease", h.ID, now, now.Add(time.Hour)); id == 0 {
		t.Errorf("another user's lease was refused")
	}
	// A released lease frees its place.
	must(t, "ReleaseUploadLease", s.ReleaseUploadLease(ctx, l2))
	must(t, "ReleaseUploadLease again", s.ReleaseUploadLease(ctx, l2))
	wantCode(t, "RenewUploadLease of a released lease", s.RenewUploadLease(ctx, l2, now.Add(time.Hour)), damask.ENOTFOUND, "")
	l3 := take("lease after a release", u.ID, now, now.Add(time.Hour))
	if l3 == 0 {
		t.Fatal("a lease was refused after a release")
	}
	// An expired lease (its server died) frees its place; a renewed one
	// does not.
	must(t, "RenewUploadLease", s.RenewUploadLease(ctx, l1, now.Add(2*time.Minute)))
	if id := take("lease before the renewed expiry", u.ID, now.Add(90*time.Second), now.Add(time.Hour)); id != 0 {
		t.Errorf("a lease was taken beside a renewed one: %d", id)
	}
	if id := take("lease after an expiry", u.ID, now.Add(2*time.Minute), now.Add(time.Hour)); id == 0 {
		t.Errorf("an expired lease still counts")
	}
	n, err := s.DeleteExpiredUploadLeases(ctx, now.Add(2*time.Hour))
	must(t, "DeleteExpiredUploadLeases", err)
	if n != 4 {
		t.Errorf("DeleteExpiredUploadLeases removed %d, want 4", n)
	}
}

// testUploadLeasesConcurrent: takes at once, as by several servers, never
// take more than the cap.
func testUploadLeasesConcurrent(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	const tries, max = 12, 3
	ids := make(chan int64, tries)
	var wg sync.WaitGroup
	for range tries {
		wg.Go(func() {
			id, err := s.TakeUploadLease(ctx, a.ID, h.ID, max, now, now.Add(time.Hour))
			if err != nil {
				t.Errorf("TakeUploadLease: %v", err)
			}
			ids <- id
		})
	}
	wg.Wait()
	close(ids)
	taken := 0
	for id := range ids {
		if id != 0 {
			taken++
		}
	}
	if taken != max {
		t.Errorf("%d leases taken at once, want %d", taken, max)
	}
}

// testRateCounter checks the token buckets of a store that keeps them.
func testRateCounter(t *testing.T, s damask.Store) {
	rc, ok := s.(damask.RateCounter)
	if !ok {
		t.Skip("the store keeps no request rates (each server counts in memory)")
	}
	ctx := t.Context()
	now := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)
	for i := range 3 {
		ok, wait, err := rc.TakeRateToken(ctx, "user 1", 2, 3, now)
		must(t, "TakeRateToken", err)
		if !ok || wait != 0 {
			t.Errorf("request %d of a burst of 3: %v, wait %v; want allowed", i+1, ok, wait)
		}
	}
	ok, wait, err := rc.TakeRateToken(ctx, "user 1", 2, 3, now)
	must(t, "TakeRateToken past the burst", err)
	if ok || wait != 500*time.Millisecond {
		t.Errorf("past the burst: %v, wait %v; want refused, wait 500ms", ok, wait)
	}
	// Another key has its own bucket.
	if ok, _, err := rc.TakeRateToken(ctx, "user 2", 2, 3, now); err != nil || !ok {
		t.Errorf("another key: %v, %v; want allowed", ok, err)
	}
	// Half a second later, one token more, and one only.
	later := now.Add(500 * time.Millisecond)
	if ok, _, err := rc.TakeRateToken(ctx, "user 1", 2, 3, later); err != nil || !ok {
		t.Errorf("after the wait: %v, %v; want allowed", ok, err)
	}
	if ok, _, err := rc.TakeRateToken(ctx, "user 1", 2, 3, later); err != nil || ok {
		t.Errorf("second request after the wait: %v, %v; want refused", ok, err)
	}
	// Buckets full again are removed.
	n, err := rc.DeleteRateBuckets(ctx, now.Add(time.Hour))
	must(t, "DeleteRateBuckets", err)
	if n != 2 {
		t.Errorf("DeleteRateBuckets removed %d, want 2", n)
	}
}
