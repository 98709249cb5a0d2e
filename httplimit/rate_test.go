package httplimit

import (
	"fmt"
	"testing"
	"time"
)

type fakeClock struct{ t time.Time }

func (c *fakeClock) now() time.Time { return c.t }

func TestRates(t *testing.T) {
	for _, c := range []struct {
		name        string
		rate        float64
		burst       int
		gap         time.Duration // between two tries
		tries, want int           // allowed of tries
	}{
		{"off", 0, 0, 0, 1000, 1000},
		{"burst at once", 10, 5, 0, 100, 5},
		{"at the rate", 10, 5, 100 * time.Millisecond, 100, 100},
		{"twice the rate", 10, 5, 50 * time.Millisecond, 100, 5 + 50},
		{"burst below one", 0.5, 0, 0, 10, 1},
	} {
		t.Run(c.name, func(t *testing.T) {
			clk := &fakeClock{t: time.Unix(1e9, 0)}
			l := NewRates(c.rate, c.burst, clk.now)
			got := 0
			for range c.tries {
				ok, wait := l.Allow("k")
				if ok {
					got++
				} else if wait <= 0 || wait > time.Duration(float64(time.Second)/c.rate)+1 {
					t.Errorf("wait %s at rate %g", wait, c.rate)
				}
				clk.t = clk.t.Add(c.gap)
			}
			// Allowing at the rate, a few tries may fall either way of
			// a token's arrival.
			if got < c.want-1 || got > c.want+1 {
				t.Errorf("allowed %d of %d, want %d", got, c.tries, c.want)
			}
		})
	}
}

// TestRatesBounded: buckets that have filled up again go, so that many
// credentials seen once leave no trace.
func TestRatesBounded(t *testing.T) {
	clk := &fakeClock{t: time.Unix(1e9, 0)}
	l := NewRates(1, 10, clk.now)
	for i := range 50_000 {
		l.Allow(fmt.Sprint("once ", i))
	}
	for range 20 {
		l.Allow("busy")
	}
	clk.t = clk.t.Add(sweepEvery)
	if ok, _ := l.Allow("new"); !ok {
		t.Fatal("a new key was refused")
	}
	l.mu.Lock()
	n := len(l.buckets)
	l.mu.Unlock()
	if n != 1 {
		t.Errorf("%d buckets after a sweep, want the new one (the busy one has filled up again)", n)
	}
	for i := range 2 * maxBuckets {
		l.Allow(fmt.Sprint("flood ", i))
		if i%1000 == 0 {
			l.mu.Lock()
			n = len(l.buckets)
			l.mu.Unlock()
			if n > maxBuckets {
				t.Fatalf("%d buckets, above the bound of %d", n, maxBuckets)
			}
		}
	}
}
