// Package httplimit holds the limits that keep a Damask server serving
// when clients misbehave: a request rate per credential (token buckets)
// and request bodies that must keep moving. The request rate is counted
// in the memory of the process (Rates) or, when several servers share a
// database, in the database (Shared); the bodies are watched by the
// process that reads them.
package httplimit

import (
	"math"
	"sync"
	"time"
)

// Rates is a token bucket per key: each key may make Burst requests at
// once and Rate a second after that. It is safe for concurrent use. The
// number of buckets stays bounded: a bucket that has filled up again
// holds nothing worth keeping and is dropped at the next sweep.
type Rates struct {
	rate  float64 // tokens a second
	burst float64
	now   func() time.Time

	mu        sync.Mutex
	buckets   map[string]*bucket
	lastSweep time.Time
}

type bucket struct {
	tokens float64
	at     time.Time // when tokens was right
}

// Sweeps: at most once a minute, and at once when the map grows past
// maxBuckets, the full buckets go.
const (
	sweepEvery = time.Minute
	maxBuckets = 100_000
)

// NewRates returns buckets of burst tokens filled at rate a second; now
// tells the time (time.Now when nil). A rate of 0 or less allows
// everything.
func NewRates(rate float64, burst int, now func() time.Time) *Rates {
	if now == nil {
		now = time.Now
	}
	if burst < 1 {
		burst = max(1, int(math.Ceil(rate)))
	}
	return &Rates{rate: rate, burst: float64(burst), now: now, buckets: make(map[string]*bucket)}
}

// Allow takes a token from key's bucket. When the bucket is empty it
// answers false and how long until the next token.
func (l *Rates) Allow(key string) (ok bool, wait time.Duration) {
	if l == nil || l.rate <= 0 {
		return true, 0
	}
	l.mu.Lock()
	defer l.mu.Unlock()
	now := l.now()
	if now.Sub(l.lastSweep) >= sweepEvery || len(l.buckets) >= maxBuckets {
		l.sweep(now)
	}
	b := l.buckets[key]
	if b == nil {
		b = &bucket{tokens: l.burst, at: now}
		l.buckets[key] = b
	}
	l.fill(b, now)
	if b.tokens < 1 {
		return false, time.Duration((1 - b.tokens) / l.rate * float64(time.Second))
	}
	b.tokens--
	return true, 0
}

func (l *Rates) fill(b *bucket, now time.Time) {
	if el := now.Sub(b.at).Seconds(); el > 0 {
		b.tokens = min(l.burst, b.tokens+el*l.rate)
		b.at = now
	}
}

// sweep drops the buckets that are full again: a new bucket would be the
// same. Should every bucket be busy and the map still too large, it is
// emptied, which errs on the side of letting requests through.
func (l *Rates) sweep(now time.Time) {
	l.lastSweep = now
	for k, b := range l.buckets {
		if l.fill(b, now); b.tokens >= l.burst {
			delete(l.buckets, k)
		}
	}
	if len(l.buckets) >= maxBuckets {
		clear(l.buckets)
	}
}
