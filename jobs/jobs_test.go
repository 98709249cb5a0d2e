package jobs_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"log/slog"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/jobs"
	"damask/sqlite"
)

// queue opens a store with n pending assets, so n queued jobs.
func queue(t *testing.T, n int) *sqlite.DB {
	t.Helper()
	ctx := t.Context()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	acct := &damask.Account{Name: "acme", Plan: "pro"}
	h := &damask.User{Login: "h", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, acct, h); err != nil {
		t.Fatal(err)
	}
	for i := range n {
		blob := sha256.Sum256(fmt.Append(nil, i))
		a := &damask.Asset{AccountID: acct.ID, Processing: damask.ProcessingPending}
		v := &damask.Version{Filename: fmt.Sprint(i, ".jpg"), Blob: blob}
		if err := db.CreateAsset(ctx, a, v, nil, 0); err != nil {
			t.Fatal(err)
		}
	}
	return db
}

// waitFor polls cond until it holds or the deadline passes.
func waitFor(t *testing.T, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out waiting for %s", what)
		}
		time.Sleep(5 * time.Millisecond)
	}
}

// counter counts the jobs a handler completed, per asset.
type counter struct {
	mu   sync.Mutex
	done map[int64]int
}

func (c *counter) add(id int64) {
	c.mu.Lock()
	defer c.mu.Unlock()
	if c.done == nil {
		c.done = map[int64]int{}
	}
	c.done[id]++
}

func (c *counter) len() int {
	c.mu.Lock()
	defer c.mu.Unlock()
	return len(c.done)
}

func (c *counter) check(t *testing.T, n int) {
	t.Helper()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.done) != n {
		t.Errorf("%d jobs done, want %d", len(c.done), n)
	}
	for id, k := range c.done {
		if k != 1 {
			t.Errorf("asset %d processed %d times", id, k)
		}
	}
}

func TestPoolRunsEveryJobOnce(t *testing.T) {
	const n = 30
	db := queue(t, n)
	var c counter
	p := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		c.add(j.AssetID)
		return nil
	}, jobs.Options{Workers: 4, Poll: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { p.Run(ctx); close(stopped) }()
	waitFor(t, "every job", func() bool { return c.len() == n })
	cancel()
	<-stopped
	c.check(t, n)
}

func TestPoolRetriesWithBackoff(t *testing.T) {
	db := queue(t, 1)
	var mu sync.Mutex
	var attempts []int
	p := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		mu.Lock()
		defer mu.Unlock()
		attempts = append(attempts, j.Attempts)
		return errors.New("flaky")
	}, jobs.Options{Workers: 1, Poll: time.Millisecond, Backoff: func(int) time.Duration { return 0 }})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { p.Run(ctx); close(stopped) }()
	waitFor(t, "the last attempt", func() bool {
		j, err := db.Job(t.Context(), 1)
		return err == nil && j.State == damask.JobFailed
	})
	cancel()
	<-stopped
	if len(attempts) != damask.MaxJobAttempts {
		t.Errorf("attempts %v, want %d", attempts, damask.MaxJobAttempts)
	}
	j, _ := db.Job(t.Context(), 1)
	if j.LastError != "flaky" {
		t.Errorf("LastError %q", j.LastError)
	}
}

func TestBackoff(t *testing.T) {
	for _, tt := range []struct {
		attempt int
		want    time.Duration
	}{{1, 30 * time.Second}, {2, time.Minute}, {3, 2 * time.Minute}, {20, time.Hour}} {
		if got := jobs.Backoff(tt.attempt); got != tt.want {
			t.Errorf("Backoff(%d) = %v, want %v", tt.attempt, got, tt.want)
		}
	}
}

// TestPoolRestart stops a pool in the middle of a batch, as a shutdown or a
// crash would, and starts another: every job ends done exactly once.
func TestPoolRestart(t *testing.T) {
	const n = 20
	db := queue(t, n)
	var c counter
	started := make(chan struct{}, n)
	// The first pool finishes a few jobs, then hangs on the rest until it
	// is stopped; the second takes those once their leases end, no longer
	// renewed. The lease leaves room for a renewal late on a loaded
	// machine (at 50 ms, a job claimed, done and not yet marked so was
	// claimed again by the same pool).
	first := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		if j.AssetID <= 5 {
			c.add(j.AssetID)
			return nil
		}
		started <- struct{}{}
		<-ctx.Done()
		return ctx.Err()
	}, jobs.Options{Workers: 3, Poll: time.Millisecond, Lease: 5 * time.Second, Name: "first"})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { first.Run(ctx); close(stopped) }()
	for range 3 {
		<-started
	}
	cancel()
	<-stopped
	if c.len() != 5 {
		t.Fatalf("first pool finished %d jobs, want 5", c.len())
	}

	second := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		c.add(j.AssetID)
		return nil
	}, jobs.Options{Workers: 3, Poll: time.Millisecond, Lease: time.Minute, Name: "second"})
	ctx, cancel = context.WithCancel(t.Context())
	stopped = make(chan struct{})
	go func() { second.Run(ctx); close(stopped) }()
	waitFor(t, "every job", func() bool { return c.len() == n })
	cancel()
	<-stopped
	c.check(t, n)
	for id := int64(1); id <= n; id++ {
		j, err := db.Job(t.Context(), id)
		if err != nil || j.State != damask.JobDone {
			t.Errorf("job %d: %v %v", id, j, err)
		}
	}
}

func TestWakeWithoutPoll(t *testing.T) {
	db := queue(t, 0)
	var c counter
	p := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		c.add(j.AssetID)
		return nil
	}, jobs.Options{Workers: 2, Poll: time.Hour})
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { p.Run(ctx); close(stopped) }()
	time.Sleep(20 * time.Millisecond) // the workers' first look finds nothing
	a := &damask.Asset{AccountID: 1, Processing: damask.ProcessingPending}
	if err := db.CreateAsset(t.Context(), a, &damask.Version{Filename: "x.jpg", Blob: sha256.Sum256([]byte("x"))}, nil, 0); err != nil {
		t.Fatal(err)
	}
	p.Wake()
	waitFor(t, "the woken worker", func() bool { return c.len() == 1 })
	cancel()
	<-stopped
}

// runPool runs p until the test ends.
func runPool(t *testing.T, p *jobs.Pool) {
	ctx, cancel := context.WithCancel(t.Context())
	stopped := make(chan struct{})
	go func() { p.Run(ctx); close(stopped) }()
	t.Cleanup(func() { cancel(); <-stopped })
}

// TestPoolRenewsLease: a job that runs for several leases keeps its claim,
// renewed while it runs: another pool looking for work all along never
// takes it, and it is done once, on its first attempt.
func TestPoolRenewsLease(t *testing.T) {
	db := queue(t, 1)
	var c counter
	const lease = 2 * time.Second
	for _, name := range []string{"first", "second"} {
		runPool(t, jobs.New(db, func(ctx context.Context, j *damask.Job) error {
			c.add(j.AssetID)
			select {
			case <-time.After(7 * lease / 2):
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		}, jobs.Options{Workers: 1, Poll: 10 * time.Millisecond, Lease: lease, Name: name}))
	}
	waitFor(t, "the job done", func() bool {
		j, err := db.Job(t.Context(), 1)
		return err == nil && j.State == damask.JobDone
	})
	c.check(t, 1)
	if j, _ := db.Job(t.Context(), 1); j.Attempts != 1 {
		t.Errorf("the job took %d attempts, want 1", j.Attempts)
	}
}

// TestPoolStopsLostJob: a job that another worker took over (as one does
// once the holder was frozen past its lease) is stopped at the holder's
// next renewal, with ErrLeaseLost as the cause, and the holder records
// nothing: the new holder's claim stands.
func TestPoolStopsLostJob(t *testing.T) {
	ctx := t.Context()
	db := queue(t, 1)
	running := make(chan struct{})
	stopped := make(chan error, 1)
	runPool(t, jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		close(running)
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return ctx.Err()
	}, jobs.Options{Workers: 1, Poll: time.Hour, Lease: 3 * time.Second, Name: "first"}))
	<-running
	if err := db.FailJob(ctx, 1, "first/0", time.Now(), "taken over"); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimJob(ctx, "second", time.Minute); err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-stopped:
		if !errors.Is(cause, jobs.ErrLeaseLost) {
			t.Errorf("the job was stopped by %v, want ErrLeaseLost", cause)
		}
	case <-time.After(time.Minute):
		t.Fatal("the job whose lease was lost still runs a minute later")
	}
	time.Sleep(100 * time.Millisecond) // the time to record an outcome, if it did
	j, err := db.Job(ctx, 1)
	if err != nil || j.State != damask.JobRunning || j.Attempts != 2 || j.LastError != "taken over" {
		t.Fatalf("job after the old holder stopped: %+v %v", j, err)
	}
	if err := db.FinishJob(ctx, 1, "second"); err != nil {
		t.Errorf("the new holder cannot finish the job: %v", err)
	}
}

// unrenewable is the queue of a worker cut off from the database while
// its job runs: every renewal fails.
type unrenewable struct{ *sqlite.DB }

func (unrenewable) RenewJob(context.Context, int64, string, time.Duration) error {
	return errors.New("connection refused")
}

// TestPoolStopsUnrenewedJob: a job whose lease cannot be renewed is
// stopped before the lease runs out, so before another worker may claim
// it, and nothing is recorded: the job is claimed again after its lease.
func TestPoolStopsUnrenewedJob(t *testing.T) {
	ctx := t.Context()
	db := queue(t, 1)
	type stop struct {
		at    time.Time
		cause error
	}
	stopped := make(chan stop, 1)
	runPool(t, jobs.New(unrenewable{db}, func(ctx context.Context, j *damask.Job) error {
		<-ctx.Done()
		stopped <- stop{time.Now(), context.Cause(ctx)}
		return ctx.Err()
	}, jobs.Options{Workers: 1, Poll: time.Hour, Lease: 5 * time.Second, Name: "cut-off"}))
	var s stop
	select {
	case s = <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("a job that cannot renew its lease still runs a minute later")
	}
	if !errors.Is(s.cause, jobs.ErrLeaseLost) {
		t.Errorf("the job was stopped by %v, want ErrLeaseLost", s.cause)
	}
	j, err := db.Job(ctx, 1)
	if err != nil {
		t.Fatal(err)
	}
	if !s.at.Before(j.LeaseUntil) {
		t.Errorf("the job stopped at %v, after its lease ran out at %v", s.at, j.LeaseUntil)
	}
	if j.State != damask.JobRunning || j.Attempts != 1 || j.LastError != "" {
		t.Errorf("the stopped job was recorded: %+v", j)
	}
	waitFor(t, "the lease to run out", func() bool {
		_, err := db.ClaimJob(ctx, "other", time.Minute)
		return err == nil
	})
}

// ownNotFound is a queue whose not-found is an error of its own, as the
// store contract allows: the code ENOTFOUND, not damask.ErrNotFound.
type ownNotFound struct{ *sqlite.DB }

func own(err error) error {
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return &damask.Error{Code: damask.ENOTFOUND, Message: "No such job", Err: errors.New("the store's own")}
	}
	return err
}

func (q ownNotFound) ClaimJob(ctx context.Context, worker string, lease time.Duration) (*damask.Job, error) {
	j, err := q.DB.ClaimJob(ctx, worker, lease)
	return j, own(err)
}

func (q ownNotFound) RenewJob(ctx context.Context, id int64, worker string, lease time.Duration) error {
	return own(q.DB.RenewJob(ctx, id, worker, lease))
}

// TestPoolOwnNotFound: the pool knows not-found by its code, which is all
// the store contract promises. An empty queue is idle, not a failure of
// the queue; a lease another worker took is lost at the next renewal.
func TestPoolOwnNotFound(t *testing.T) {
	ctx := t.Context()
	db := queue(t, 1)
	var logs syncBuffer
	running := make(chan struct{})
	stopped := make(chan error, 1)
	runPool(t, jobs.New(ownNotFound{db}, func(ctx context.Context, j *damask.Job) error {
		close(running)
		<-ctx.Done()
		stopped <- context.Cause(ctx)
		return ctx.Err()
	}, jobs.Options{Workers: 2, Poll: 10 * time.Millisecond, Lease: 3 * time.Second, Name: "first",
		Logger: slog.New(slog.NewTextHandler(&logs, &slog.HandlerOptions{Level: slog.LevelWarn}))}))
	<-running
	time.Sleep(100 * time.Millisecond) // the idle worker polls the empty queue
	// The job is taken from its holder, either worker (the other's name
	// is not found), and queued for later.
	later := time.Now().Add(time.Hour)
	err := db.FailJob(ctx, 1, "first/0", later, "taken over")
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		err = db.FailJob(ctx, 1, "first/1", later, "taken over")
	}
	if err != nil {
		t.Fatal(err)
	}
	select {
	case cause := <-stopped:
		if !errors.Is(cause, jobs.ErrLeaseLost) {
			t.Errorf("the job was stopped by %v, want ErrLeaseLost", cause)
		}
	case <-time.After(time.Minute):
		t.Fatal("the job whose lease was lost still runs a minute later")
	}
	if s := logs.String(); strings.Contains(s, "job queue") || strings.Contains(s, "not renewed") {
		t.Errorf("a not-found of the queue was logged as a failure:\n%s", s)
	}
}

// syncBuffer is a bytes.Buffer for a logger that several workers share.
type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// TestPoolIdleExit: with IdleExit, Run returns once no job has run for
// that long, never while a job runs, however long the job.
func TestPoolIdleExit(t *testing.T) {
	db := queue(t, 2)
	const idle = 100 * time.Millisecond
	var c counter
	p := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		time.Sleep(3 * idle) // longer than IdleExit: a running job is not idleness
		c.add(j.AssetID)
		return nil
	}, jobs.Options{Workers: 1, Poll: time.Millisecond, IdleExit: idle})
	stopped := make(chan struct{})
	go func() { p.Run(t.Context()); close(stopped) }()
	select {
	case <-stopped:
	case <-time.After(time.Minute):
		t.Fatal("Run still runs a minute after its jobs were done")
	}
	c.check(t, 2)
}

// TestStages: a handler that answers ErrNextStage has its job queued again
// at the next stage, behind every job still at the first: one worker runs
// every first stage before any second, and each job's second stage once.
// The renditions of a StageDone are stored with the move.
func TestStages(t *testing.T) {
	const n = 6
	db := queue(t, n)
	var mu sync.Mutex
	var order []string
	second := &counter{}
	pool := jobs.New(db, func(ctx context.Context, j *damask.Job) error {
		mu.Lock()
		order = append(order, fmt.Sprintf("%d:%d", j.Stage, j.AssetID))
		mu.Unlock()
		if j.Stage == damask.JobThumbnails {
			if j.AssetID%2 == 0 {
				return damask.ErrNextStage
			}
			return &damask.StageDone{Renditions: []damask.Rendition{
				{Source: j.Blob, Size: "thumb64", Blob: sha256.Sum256(j.Blob[:]), Width: 64, Height: 48},
			}}
		}
		if _, err := db.Rendition(ctx, j.Blob, "thumb64"); (err == nil) != (j.AssetID%2 == 1) {
			t.Errorf("asset %d at its second stage: its first stage's rendition: %v", j.AssetID, err)
		}
		second.add(j.AssetID)
		return nil
	}, jobs.Options{Workers: 1, Poll: 5 * time.Millisecond})
	ctx, stop := context.WithCancel(t.Context())
	done := make(chan struct{})
	go func() { pool.Run(ctx); close(done) }()
	waitFor(t, "every job's second stage", func() bool { return second.len() == n })
	stop()
	<-done
	second.check(t, n)
	mu.Lock()
	defer mu.Unlock()
	if len(order) != 2*n {
		t.Fatalf("ran %v, want %d runs", order, 2*n)
	}
	for i, o := range order {
		if want := i / n; !strings.HasPrefix(o, fmt.Sprint(want, ":")) {
			t.Errorf("run %d was %s, want stage %d: every first stage before any second (%v)", i, o, want, order)
		}
	}
}
