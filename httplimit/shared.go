package httplimit

import (
	"context"
	"log/slog"
	"math"
	"time"

	"damask"
)

// Shared is a token bucket per key kept in a store that several servers
// share (damask.RateCounter): a client spreading its requests over N
// servers gets the limit once, not N times. It costs one round trip to the
// database per request, which is why a server alone on its database (an
// embedded SQLite library) uses Rates instead; see docs/scaling.md.
type Shared struct {
	counter damask.RateCounter
	rate    float64
	burst   int
	now     func() time.Time
	log     *slog.Logger
}

// NewShared returns buckets of burst tokens filled at rate a second, kept
// in counter; now tells the time (time.Now when nil). A rate of 0 or less
// allows everything.
func NewShared(counter damask.RateCounter, rate float64, burst int, now func() time.Time, log *slog.Logger) *Shared {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(rate)))
	}
	if log == nil {
		log = slog.New(slog.DiscardHandler)
	}
	return &Shared{counter: counter, rate: rate, burst: burst, now: now, log: log}
}

// Allow takes a token from key's bucket. When the bucket is empty it
// answers false and how long until the next token. Should the database
// fail to answer, the request is let through (and the failure logged): a
// limit on clients must not take the server down with it, and the request
// meets the same database next anyway.
func (l *Shared) Allow(ctx context.Context, key string) (bool, time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	ok, wait, err := l.counter.TakeRateToken(ctx, key, l.rate, l.burst, l.now().UTC())
	if err != nil {
		l.log.Warn("request rate not counted", "key", key, "err", err)
		return true, 0
	}
	return ok, wait
}

// AllowContext is Allow for callers that hold a context: the memory of
// this process has no use for it.
func (l *Rates) AllowContext(_ context.Context, key string) (bool, time.Duration) {
	return l.Allow(key)
}
