package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"sync"
	"sync/atomic"
	"time"

	"damask/jobs"
	"damask/library"
	"damask/media"
)

// childNice is the nice value of the worker process the server starts:
// below the server's, whose requests it yields the CPU to.
const childNice = 10

// worker does the background work of a library (metadata, renditions,
// document text) and serves nothing: the process that scales out beside
// servers started with --no-workers. Jobs live in the database, so any
// number of workers share them; a worker killed mid-job leaves its job to
// another once its lease runs out (jobs.DefaultLease, renewed while a job
// runs). It delivers the webhooks too (jobs.Deliveries), whose deliveries
// also live in the database.
func worker(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var st storage
	st.register(fs)
	st.registerOutgoing(fs)
	st.registerMail(fs)
	n := fs.Int("workers", 0, "jobs at once (default: one per core; two per core with --for-server)")
	hooks := fs.Int("webhook-workers", 4, "webhook deliveries at once (0: deliver none here)")
	timeout := jobTimeoutFlag(fs)
	child := fs.Bool("for-server", false, "run as the worker process of the damask serve that started it: woken by lines on standard input, stopped when it closes")
	if err := parse(fs, args, env.getenv); err != nil {
		return err
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("worker takes no arguments (got %q)", fs.Arg(0)))
	}
	if err := st.openMail(); err != nil {
		return err
	}
	log := st.logger(env.stderr)
	if *hooks < 0 {
		return usageError("--webhook-workers must be 0 or more")
	}
	var pool atomic.Pointer[jobs.Pool] // Wake is nil-safe
	proc := &processing{}
	defer proc.Close()
	if *child {
		// The server starts this process when a file comes or a job is
		// queued: the tools start at once, beside the opening of the
		// library and the first look for a job, rather than after that
		// look (the first thumbnail of a batch waited for them). A worker
		// started for a job another took, or for an upload that failed,
		// so holds them until it ends, childIdle later.
		// The tools are tools's alone until started is closed: the
		// library's options are copied meanwhile, and read them only
		// through StartTools, after.
		ctx = forServer(ctx, env.stdin, func() { pool.Load().Wake() })
		// Processing is background work: a request waiting for the CPU
		// (an upload, a page) goes first, and the jobs take the rest.
		if err := yieldCPU(childNice); err != nil {
			log.Warn("worker: lower the priority", "err", err)
		}
		tools := &processing{lazyMetadata: true}
		started := make(chan struct{})
		go func() {
			defer close(started)
			tools.start(ctx, log)
		}()
		defer func() { <-started; tools.Close() }()
		proc.opts.StartTools = func() library.Tools {
			<-started
			return library.Tools{Renderer: tools.opts.Renderer, Extractor: tools.opts.Extractor}
		}
	} else {
		proc.start(ctx, log)
		if !proc.enabled() && *hooks == 0 {
			return errors.New("worker: neither libvips nor exiftool started, and no webhook workers; nothing to do (see the log above)")
		}
	}
	st.getenv = env.getenv
	var deliveries atomic.Pointer[jobs.Deliveries]
	proc.opts.DeliveriesQueued = func() { deliveries.Load().Wake() }
	lib, err := st.openWith(ctx, log, proc.opts)
	if err != nil {
		return err
	}
	defer lib.Close()
	var wg sync.WaitGroup
	if *hooks > 0 {
		d := jobs.NewDeliveries(lib.svc, lib.svc.Deliver, jobs.Options{Logger: log, Workers: *hooks})
		deliveries.Store(d)
		wg.Go(func() { d.Run(ctx) })
	}
	if *child || proc.enabled() {
		o := jobs.Options{Logger: log, Workers: *n, Timeout: time.Duration(*timeout), Idle: media.ReleaseMemory}
		if *child {
			o.IdleExit = childIdle
			if *n == 0 {
				o.Workers = childWorkers()
			}
		}
		p := jobs.New(lib.db, lib.svc.Process, o)
		pool.Store(p)
		wg.Go(func() { p.Run(ctx) }) // until ctx ends; it waits for the jobs in flight
	}
	fmt.Fprintln(env.stdout, "Damask worker is running")
	log.Info("worker started")
	wg.Wait()
	log.Info("worker stopped")
	return nil
}

// jobTimeout reads --job-timeout, the longest one job may run (a positive
// duration), in serve and worker alike. It bounds a job's whole run; the
// job of a worker that died waits only for its lease, not for this.
type jobTimeout time.Duration

func jobTimeoutFlag(fs *flag.FlagSet) *jobTimeout {
	d := jobTimeout(5 * time.Minute)
	fs.Var(&d, "job-timeout", "longest a job may run (the job of a worker that died is taken up again within about 30 s whatever this is)")
	return &d
}

func (d *jobTimeout) String() string { return time.Duration(*d).String() }

func (d *jobTimeout) Set(v string) error {
	t, err := time.ParseDuration(v)
	if err != nil {
		return err
	}
	if t <= 0 {
		return fmt.Errorf("%q is not a positive duration", v)
	}
	*d = jobTimeout(t)
	return nil
}
