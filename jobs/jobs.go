// Package jobs runs the background work queued in a damask.JobQueue: a
// pool of workers, one per core by default, each of which claims a job,
// runs it under a time limit and records the outcome.
//
// The queue is durable and claims are leased, so the pool holds no state of
// its own: a pool stopped (or killed) in the middle of a batch leaves its
// unfinished jobs to the next pool, which claims them once their lease ends.
//
// A lease is short (DefaultLease, 30 s) and renewed while its job runs, so
// that the job of a worker that died is taken up within a lease and a poll
// of its death whatever the time limit of a job; a job whose lease is lost
// (its worker was frozen or cut off from the database for longer than a
// lease, and another may have claimed it) is stopped before another worker
// may claim it, and its outcome is not recorded: a job never runs in two
// places at once.
package jobs

import (
	"context"
	"crypto/rand"
	"errors"
	"fmt"
	"log/slog"
	"os"
	"runtime"
	"sync"
	"sync/atomic"
	"time"

	"damask"
)

// Handler does one job. nil means the job is done; an error means the
// attempt failed and the job is queued again (after Backoff) until it has
// had damask.MaxJobAttempts. A handler that knows retrying cannot help
// records the failure itself and answers nil.
type Handler func(ctx context.Context, j *damask.Job) error

// Options configure a Pool. Zero values mean the defaults.
type Options struct {
	// Workers is how many jobs run at once; default runtime.GOMAXPROCS(0).
	Workers int
	// Timeout bounds one job, its whole run; default 5 minutes.
	Timeout time.Duration
	// Lease is how long a claim lasts unless renewed; default
	// DefaultLease. A worker renews it every Lease/3 while the job runs,
	// and stops the job a tenth of a Lease before the claim would run out
	// unrenewed.
	Lease time.Duration
	// Poll is how often an idle worker looks for work; default 2 s. Wake
	// makes it look at once.
	Poll time.Duration
	// Backoff is the wait before attempt n+1 after attempt n failed;
	// default Backoff.
	Backoff func(attempt int) time.Duration
	// IdleExit, when set, ends Run once no job has run for that long
	// (the worker process a server starts, which it starts again when a
	// job is queued).
	IdleExit time.Duration
	// Name prefixes the workers' names in the queue; default host:pid and
	// a random part, so that two pools never share a name.
	Name   string
	Logger *slog.Logger
	// Idle, when set, is called by a worker that finds the queue empty
	// after it ran jobs: the end of a batch (serve and worker hand back
	// the memory the renders freed, media.ReleaseMemory).
	Idle func()
}

// DefaultLease is the lease of a claim: the longest a job waits, after its
// worker died, before another worker may take it up. Each renewal is a
// write; one every 10 s per running job costs nothing on either store.
const DefaultLease = 30 * time.Second

// Backoff waits 30 s after the first failure, doubling up to an hour.
func Backoff(attempt int) time.Duration {
	d := 30 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	return min(d, time.Hour)
}

// Pool runs jobs from a queue.
type Pool struct {
	queue  damask.JobQueue
	handle Handler
	opts   Options
	wake   chan struct{}
	// busy counts the jobs running; idleSince is when the last one ended
	// (Unix nanoseconds), for Options.IdleExit.
	busy      atomic.Int64
	idleSince atomic.Int64
}

// New makes a pool; Run starts it.
func New(q damask.JobQueue, h Handler, o Options) *Pool {
	if o.Workers <= 0 {
		o.Workers = runtime.GOMAXPROCS(0)
	}
	if o.Timeout <= 0 {
		o.Timeout = 5 * time.Minute
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = 2 * time.Second
	}
	if o.Backoff == nil {
		o.Backoff = Backoff
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8])
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Pool{queue: q, handle: h, opts: o, wake: make(chan struct{}, o.Workers)}
}

// Wake tells idle workers that a job was queued, so that they look now
// rather than at their next poll. It never blocks; a nil pool ignores it.
func (p *Pool) Wake() {
	if p == nil {
		return
	}
	for range p.opts.Workers {
		select {
		case p.wake <- struct{}{}:
		default:
			return
		}
	}
}

// Run works until ctx ends, then waits for the jobs in flight to stop
// (their context ends with ctx) and returns. A job cut short so is not
// recorded as failed: it stays claimed until its lease ends (it is no
// longer renewed) and is then claimed again, as if the process had died.
//
// With Options.IdleExit, Run also returns once no job has run for that
// long.
func (p *Pool) Run(ctx context.Context) {
	ctx, stop := context.WithCancel(ctx)
	defer stop()
	if p.opts.IdleExit > 0 {
		p.idleSince.Store(time.Now().UnixNano())
		go p.stopWhenIdle(ctx, stop)
	}
	var wg sync.WaitGroup
	for i := range p.opts.Workers {
		name := fmt.Sprintf("%s/%d", p.opts.Name, i)
		wg.Go(func() { p.work(ctx, name) })
	}
	wg.Wait()
}

func (p *Pool) work(ctx context.Context, name string) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
		// Drain the queue before waiting again.
		ran := false
		for ctx.Err() == nil {
			more, err := p.one(ctx, name)
			if err != nil {
				p.opts.Logger.Error("job queue", "worker", name, "err", err)
			}
			if !more || err != nil {
				break
			}
			ran = true
		}
		if ran && p.opts.Idle != nil && ctx.Err() == nil {
			p.opts.Idle()
		}
		timer.Reset(p.opts.Poll)
	}
}

// stopWhenIdle calls stop once no job has run for Options.IdleExit.
func (p *Pool) stopWhenIdle(ctx context.Context, stop func()) {
	t := time.NewTicker(p.opts.IdleExit / 4)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case now := <-t.C:
			if p.busy.Load() == 0 && now.Sub(time.Unix(0, p.idleSince.Load())) >= p.opts.IdleExit {
				p.opts.Logger.Info("no job for a while: the workers stop", "idle", p.opts.IdleExit)
				stop()
				return
			}
		}
	}
}

// one claims and runs a job, and says whether there was one.
func (p *Pool) one(ctx context.Context, name string) (bool, error) {
	// The lease runs from before the claim: the store's now+Lease is later.
	claimed := time.Now()
	j, err := p.queue.ClaimJob(ctx, name, p.opts.Lease)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, fmt.Errorf("claim: %w", err)
	}
	p.busy.Add(1)
	defer func() {
		p.idleSince.Store(time.Now().UnixNano())
		p.busy.Add(-1)
	}()
	tctx, cancel := context.WithTimeout(ctx, p.opts.Timeout)
	jctx, lose := context.WithCancelCause(tctx)
	renewed := make(chan error, 1)
	go func() { renewed <- p.renew(jctx, lose, j, name, claimed) }()
	herr := p.run(jctx, j)
	cancel()
	if err := <-renewed; err != nil {
		// Another worker may have the job now: whatever this run did or
		// found is not recorded.
		p.opts.Logger.Warn("job stopped", "job", j.ID, "asset", j.AssetID, "version", j.Version, "worker", name, "err", err)
		return true, nil
	}
	if herr != nil && !errors.Is(herr, damask.ErrNextStage) && ctx.Err() != nil {
		// Stopped, not failed: leave the job to its lease. A stage done
		// is recorded below, with the renditions it made.
		return true, nil
	}
	// Record the outcome even if the pool is stopping now: the work is done.
	rctx, rcancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer rcancel()
	if errors.Is(herr, damask.ErrNextStage) {
		// The renditions of the stage, if any, in the same transaction:
		// one commit (one fsync) for them all.
		var rs []damask.Rendition
		if sd := (*damask.StageDone)(nil); errors.As(herr, &sd) {
			rs = sd.Renditions
		}
		if err := p.queue.NextStage(rctx, j.ID, name, rs); err != nil {
			return true, fmt.Errorf("queue job %d at its next stage: %w", j.ID, err)
		}
		p.opts.Logger.Info("job stage done", "job", j.ID, "asset", j.AssetID, "version", j.Version, "stage", j.Stage, "worker", name)
		p.Wake() // the next stage is queued: an idle worker may take it
		return true, nil
	}
	if herr == nil {
		if err := p.queue.FinishJob(rctx, j.ID, name); err != nil {
			return true, fmt.Errorf("finish job %d: %w", j.ID, err)
		}
		p.opts.Logger.Info("job done", "job", j.ID, "asset", j.AssetID, "version", j.Version, "worker", name)
		return true, nil
	}
	p.opts.Logger.Warn("job failed", "job", j.ID, "asset", j.AssetID, "version", j.Version, "attempt", j.Attempts, "err", herr)
	retry := time.Now().Add(p.opts.Backoff(j.Attempts))
	if err := p.queue.FailJob(rctx, j.ID, name, retry, herr.Error()); err != nil {
		return true, fmt.Errorf("fail job %d: %w", j.ID, err)
	}
	return true, nil
}

// run calls the handler, turning a panic into an error so that one hostile
// file cannot take the process down.
func (p *Pool) run(ctx context.Context, j *damask.Job) (err error) {
	defer func() {
		if r := recover(); r != nil {
			err = fmt.Errorf("panic: %v", r)
		}
	}()
	return p.handle(ctx, j)
}
