package jobs

import (
	"context"
	"fmt"
	"log/slog"
	"os"
	"sync"
	"time"

	"crypto/rand"

	"damask"
)

// DeliveryQueue is where the delivery workers take deliveries from and
// record their outcomes: library.Service, over damask.WebhookStore
// (recording an outcome may switch a webhook off, which the library
// tells the account).
type DeliveryQueue interface {
	ClaimDelivery(ctx context.Context, worker string, lease time.Duration) (*damask.Delivery, *damask.Webhook, error)
	FinishDelivery(ctx context.Context, d *damask.Delivery, worker string, o damask.DeliveryOutcome) error
}

// DeliveryHandler makes one attempt at a delivery and answers its outcome
// (library.Service.Deliver).
type DeliveryHandler func(ctx context.Context, d *damask.Delivery, w *damask.Webhook) damask.DeliveryOutcome

// Deliveries runs the webhook deliveries queued in the store: a pool of
// workers, each of which claims the next delivery due (in order per object,
// see damask.WebhookStore.ClaimDelivery), makes its attempt and records
// the outcome. As with the jobs of Pool, the queue is durable and claims
// are leased: a delivery whose worker died is claimed again once its lease
// runs out, so every event is delivered at least once. An attempt lasts
// damask.WebhookTimeout at most, well inside a lease, so that a lease is
// never renewed.
type Deliveries struct {
	queue  DeliveryQueue
	handle DeliveryHandler
	opts   Options
	wake   chan struct{}
}

// NewDeliveries makes a delivery pool; Run starts it. Of the options,
// Workers (default 4: the work is waiting on receivers), Lease, Poll
// (default 1 s), Name and Logger apply.
func NewDeliveries(q DeliveryQueue, h DeliveryHandler, o Options) *Deliveries {
	if o.Workers <= 0 {
		o.Workers = 4
	}
	if o.Lease <= 0 {
		o.Lease = DefaultLease
	}
	if o.Poll <= 0 {
		o.Poll = time.Second
	}
	if o.Name == "" {
		host, _ := os.Hostname()
		o.Name = fmt.Sprintf("%s:%d:%s", host, os.Getpid(), rand.Text()[:8])
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	return &Deliveries{queue: q, handle: h, opts: o, wake: make(chan struct{}, o.Workers)}
}

// Wake tells idle workers that deliveries may have been queued. It never
// blocks; a nil pool ignores it.
func (p *Deliveries) Wake() {
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

// Run works until ctx ends, then waits for the attempts in flight (their
// context ends with ctx; a delivery cut short stays claimed until its lease
// ends and is then tried again).
func (p *Deliveries) Run(ctx context.Context) {
	var wg sync.WaitGroup
	for i := range p.opts.Workers {
		name := fmt.Sprintf("%s/webhooks/%d", p.opts.Name, i)
		wg.Go(func() { p.work(ctx, name) })
	}
	wg.Wait()
}

func (p *Deliveries) work(ctx context.Context, name string) {
	timer := time.NewTimer(0)
	defer timer.Stop()
	for {
		select {
		case <-ctx.Done():
			return
		case <-timer.C:
		case <-p.wake:
		}
		for ctx.Err() == nil {
			more, err := p.one(ctx, name)
			if err != nil {
				p.opts.Logger.Error("webhook deliveries", "worker", name, "err", err)
			}
			if !more || err != nil {
				break
			}
		}
		timer.Reset(p.opts.Poll)
	}
}

// one claims a delivery and makes its attempt, and says whether there was
// one.
func (p *Deliveries) one(ctx context.Context, name string) (bool, error) {
	d, w, err := p.queue.ClaimDelivery(ctx, name, p.opts.Lease)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return false, nil
	}
	if err != nil {
		if ctx.Err() != nil {
			return false, nil
		}
		return false, fmt.Errorf("claim: %w", err)
	}
	o := p.handle(ctx, d, w)
	if ctx.Err() != nil && !o.Delivered {
		// Stopped, not failed: leave the delivery to its lease.
		return true, nil
	}
	rctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 10*time.Second)
	defer cancel()
	if err := p.queue.FinishDelivery(rctx, d, name, o); err != nil {
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			// The lease ran out and another worker has it: it will
			// deliver it again, which at least once allows.
			p.opts.Logger.Warn("delivery lease lost", "delivery", d.ID, "worker", name)
			return true, nil
		}
		return true, fmt.Errorf("finish delivery %d: %w", d.ID, err)
	}
	if o.Delivered {
		p.opts.Logger.Debug("webhook delivered", "delivery", d.ID, "webhook", w.ID, "status", o.Status)
	} else {
		p.opts.Logger.Warn("webhook delivery failed", "delivery", d.ID, "webhook", w.ID, "attempt", d.Attempts,
			"status", o.Status, "err", o.Error, "retry", !o.RetryAt.IsZero())
	}
	return true, nil
}
