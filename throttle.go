package damask

import (
	"context"
	"time"
)

// Failures is a counter of failed sign-ins under one key (a login, a
// source address) within a window that began with its first failure.
type Failures struct {
	Count int
	// Ends is when the window ends: the counter is then forgotten.
	Ends time.Time
}

// ThrottleStore keeps the counters of failed sign-ins, so that every
// server of a library counts the same failures: a guesser gets no more
// tries for spreading them over several servers, and no fewer wait for a
// restart. Keys are opaque to the store: UTF-8 text without NUL, at
// most 200 bytes. Times are the caller's clock, so
// that tests can move it.
type ThrottleStore interface {
	// AddFailure counts one failure under each key, in one atomic step
	// per key, and answers the counters afterwards in the order of keys.
	// A counter whose window ended by now starts again at 1 with a window
	// ending at now+window.
	AddFailure(ctx context.Context, keys []string, now time.Time, window time.Duration) ([]Failures, error)
	// FailureCounts answers the counters of the keys whose window has not
	// ended by now (a missing or ended one is the zero Failures), in the
	// order of keys.
	FailureCounts(ctx context.Context, keys []string, now time.Time) ([]Failures, error)
	// DeleteFailures removes the counters whose window ended before the
	// given time, in every account, and says how many.
	DeleteFailures(ctx context.Context, before time.Time) (int, error)
}

// UploadLeaseStore keeps a row for every file a user is sending, so that
// a cap on uploads at once holds across servers. A lease has an expiry
// that its holder renews while the file arrives: a server that dies with
// uploads in flight frees them when their leases run out.
type UploadLeaseStore interface {
	// TakeUploadLease records one more upload of the user, unless the user
	// holds max or more leases unexpired at now: then it answers 0 and no
	// error. Counting and taking are one atomic step, whatever the number
	// of servers. Expired leases do not count; DeleteExpiredUploadLeases
	// removes them.
	TakeUploadLease(ctx context.Context, accountID, userID int64, max int, now, expires time.Time) (int64, error)
	// RenewUploadLease moves a lease's expiry; ErrNotFound when it is gone.
	RenewUploadLease(ctx context.Context, id int64, expires time.Time) error
	// ReleaseUploadLease removes a lease; a missing one is not an error.
	ReleaseUploadLease(ctx context.Context, id int64) error
	// DeleteExpiredUploadLeases removes the leases that expired before the
	// given time and says how many.
	DeleteExpiredUploadLeases(ctx context.Context, before time.Time) (int, error)
}

// RateCounter is a Store that can count requests per credential for
// several servers at once (a token bucket kept in the database). Only
// stores that several servers share implement it; see docs/scaling.md.
type RateCounter interface {
	// TakeRateToken takes one token from key's bucket of burst tokens
	// refilled at rate a second, as of now. When the bucket is empty it
	// answers false and how long until the next token.
	TakeRateToken(ctx context.Context, key string, rate float64, burst int, now time.Time) (bool, time.Duration, error)
	// DeleteRateBuckets removes the buckets that are full as of now (a new
	// one would be the same) and says how many.
	DeleteRateBuckets(ctx context.Context, now time.Time) (int, error)
}
