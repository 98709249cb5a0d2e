package jobs

import (
	"context"
	"errors"
	"fmt"
	"time"

	"damask"
)

// ErrLeaseLost is the cause (context.Cause) of the end of a job's context
// when its claim was lost, or could not be renewed before it ran out:
// another worker may have the job now.
var ErrLeaseLost = errors.New("job lease lost")

// renew keeps worker's claim on job j, taken at claimed, while ctx (the
// job's) lasts: it renews the lease every Lease/3 and, when the store
// answers that the claim is lost, or no renewal has succeeded a tenth of a
// Lease before the claim would run out, stops the job with stop and
// answers an error wrapping ErrLeaseLost. It answers nil once ctx ends
// otherwise.
//
// The tenth is the room left, on the clock of this process, for the job
// to stop (its tools are killed with its context) before another worker
// may claim it; a renewal that fails for another reason (the database
// busy or unreachable) is tried again every second or so until then.
func (p *Pool) renew(ctx context.Context, stop context.CancelCauseFunc, j *damask.Job, worker string, claimed time.Time) error {
	lease := p.opts.Lease
	until := claimed.Add(lease - lease/10) // the job must have stopped by then
	next := claimed.Add(lease / 3)
	retry := max(lease/30, time.Millisecond)
	timer := time.NewTimer(time.Until(next))
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
		case <-timer.C:
		}
		start := time.Now()
		if !start.Before(until) {
			// Even if the job has just ended (this process may have been
			// frozen): what it found is not to be recorded.
			stop(ErrLeaseLost)
			return fmt.Errorf("%w: not renewed within %v", ErrLeaseLost, lease-lease/10)
		}
		if ctx.Err() != nil {
			return nil
		}
		rctx, cancel := context.WithDeadline(ctx, until)
		err := p.queue.RenewJob(rctx, j.ID, worker, lease)
		cancel()
		switch {
		case err == nil:
			until, next = start.Add(lease-lease/10), start.Add(lease/3)
		case damask.ErrorCode(err) == damask.ENOTFOUND:
			stop(ErrLeaseLost)
			return fmt.Errorf("%w: claimed by another worker or run out", ErrLeaseLost)
		case ctx.Err() != nil:
			return nil // the job is over
		default:
			p.opts.Logger.Warn("job lease not renewed", "job", j.ID, "worker", worker, "err", err)
			next = time.Now().Add(retry)
		}
		if next.After(until) {
			next = until
		}
		timer.Reset(time.Until(next))
	}
}
