package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"time"

	"damask/jobs"
)

// worker does the background work of a library (metadata, renditions,
// document text) and serves nothing: the process that scales out beside
// servers started with --no-workers. Jobs live in the database, so any
// number of workers share them; a worker killed mid-job leaves its job to
// another once the lease runs out.
func worker(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("worker", flag.ContinueOnError)
	var st storage
	st.register(fs)
	n := fs.Int("workers", 0, "jobs at once (default: one per core)")
	timeout := fs.Duration("job-timeout", 5*time.Minute, "longest a job may run; a job of a worker that died is taken up again after twice this")
	if err := parse(fs, args, env.getenv); err != nil {
		return err
	}
	if *timeout <= 0 {
		return usageError("--job-timeout must be positive")
	}
	if fs.NArg() > 0 {
		return usageError(fmt.Sprintf("worker takes no arguments (got %q)", fs.Arg(0)))
	}
	log := st.logger(env.stderr)
	proc := startProcessing(ctx, log)
	defer proc.Close()
	if !proc.enabled() {
		return errors.New("worker: neither libvips nor exiftool started; nothing to do (see the log above)")
	}
	st.getenv = env.getenv
	lib, err := st.openWith(ctx, log, proc.opts)
	if err != nil {
		return err
	}
	defer lib.Close()
	pool := jobs.New(lib.db, lib.svc.Process, jobs.Options{Logger: log, Workers: *n,
		Timeout: *timeout, Lease: 2 * *timeout})
	fmt.Fprintln(env.stdout, "Damask worker is running")
	log.Info("worker started")
	pool.Run(ctx) // until ctx ends; it waits for the jobs in flight
	log.Info("worker stopped")
	return nil
}
