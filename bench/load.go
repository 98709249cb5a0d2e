package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"slices"
	"sync"
	"time"
)

// loadResult is what a load run measured.
type loadResult struct {
	rate     float64 // requests per second
	p50, p99 time.Duration
	errors   int
}

// loadRun sends GET u from conns connections, each waiting for its answer
// before the next request, for d, and measures rate and latency. A Go load
// generator rather than wrk, so that make bench needs nothing more; it runs
// on the same two cores as the server, for both sides of a pair alike.
func loadRun(ctx context.Context, u string, conns int, d time.Duration, auth func(*http.Request)) (loadResult, error) {
	tr := &http.Transport{MaxIdleConnsPerHost: conns, MaxConnsPerHost: conns, DisableCompression: true}
	defer tr.CloseIdleConnections()
	client := &http.Client{Transport: tr}
	ctx, cancel := context.WithTimeout(ctx, d)
	defer cancel()
	var (
		mu     sync.Mutex
		all    []time.Duration
		errors int
		wg     sync.WaitGroup
	)
	t0 := time.Now()
	for range conns {
		wg.Add(1)
		go func() {
			defer wg.Done()
			lat := make([]time.Duration, 0, 1<<14)
			bad := 0
			for ctx.Err() == nil {
				req, _ := http.NewRequestWithContext(ctx, http.MethodGet, u, nil)
				if auth != nil {
					auth(req)
				}
				s := time.Now()
				res, err := client.Do(req)
				if err != nil {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				_, err = io.Copy(io.Discard, res.Body)
				res.Body.Close()
				if err != nil || res.StatusCode != http.StatusOK {
					if ctx.Err() == nil {
						bad++
					}
					continue
				}
				lat = append(lat, time.Since(s))
			}
			mu.Lock()
			all = append(all, lat...)
			errors += bad
			mu.Unlock()
		}()
	}
	wg.Wait()
	el := time.Since(t0)
	if len(all) == 0 {
		return loadResult{}, fmt.Errorf("GET %s: no request succeeded (%d errors)", u, errors)
	}
	slices.Sort(all)
	return loadResult{
		rate:   float64(len(all)) / el.Seconds(),
		p50:    all[len(all)/2],
		p99:    all[len(all)*99/100],
		errors: errors,
	}, nil
}

// median, low and high of samples.
func stats(xs []float64) (med, lo, hi float64) {
	s := slices.Clone(xs)
	slices.Sort(s)
	n := len(s)
	if n == 0 {
		return 0, 0, 0
	}
	med = s[n/2]
	if n%2 == 0 {
		med = (s[n/2-1] + s[n/2]) / 2
	}
	return med, s[0], s[n-1]
}
