package damask

import (
	"context"
	"strings"
	"time"
)

// Webhook is an account's subscription to its events: each event whose
// type the webhook wants is delivered to URL by the workers, signed with
// Secret as the Standard Webhooks specification says (package webhook).
type Webhook struct {
	ID        int64
	AccountID int64
	URL       string
	// Events are the types wanted: a full type ("asset.created") or a
	// prefix ending in a dot ("asset."); "*" wants every type.
	Events []string
	// Secret signs the deliveries: "whsec_" and the base64 of the key's
	// bytes. The store keeps it as the library hands it (sealed).
	Secret string
	Active bool
	// FailingSince is when the deliveries began to fail without a success
	// since; zero while they succeed. Past MaxWebhookFailing the webhook
	// is switched off.
	FailingSince time.Time
	CreatedAt    time.Time
	UpdatedAt    time.Time
}

// Wants tells whether the webhook wants events of type typ.
func (w *Webhook) Wants(typ string) bool {
	return WebhookWants(w.Events, typ)
}

// WebhookWants tells whether the filters (Webhook.Events) take events of
// type typ.
func WebhookWants(filters []string, typ string) bool {
	for _, f := range filters {
		if f == "*" || f == typ || (strings.HasSuffix(f, ".") && strings.HasPrefix(typ, f)) {
			return true
		}
	}
	return false
}

// Rules of webhooks and their deliveries.
const (
	// MaxWebhooks is how many webhooks an account may have.
	MaxWebhooks = 20
	// WebhookRetryFor is how long a delivery is tried again before it is
	// given up.
	WebhookRetryFor = 24 * time.Hour
	// MaxWebhookFailing is how long a webhook may fail without a success
	// before it is switched off.
	MaxWebhookFailing = 3 * 24 * time.Hour
	// WebhookTimeout bounds one attempt, the answer included.
	WebhookTimeout = 10 * time.Second
	// DeliveriesKept is how many finished deliveries of a webhook are
	// kept, newest first, for its delivery log.
	DeliveriesKept = 1000
)

// Delivery is one event on its way to one webhook: queued by the store in
// the transaction that writes the event (so that none is lost), sent by
// the workers at least once, in order per object (an object's next
// delivery waits until the one before it is delivered or given up), and
// kept as the webhook's delivery log.
type Delivery struct {
	ID        int64
	WebhookID int64
	AccountID int64
	// The event, copied: a delivery outlives the feed's retention. A
	// ping has EventType EventPing, EventID 0, and its webhook as object.
	EventID   int64
	EventType string
	EventAt   time.Time
	ActorID   int64
	Object    string
	ObjectID  int64
	Changed   []string

	State      string // one of the Delivery* states
	Attempts   int
	RunAfter   time.Time
	LeaseUntil time.Time
	// GiveUpAt is when failures stop being tried again.
	GiveUpAt time.Time
	// The last attempt: the answer's status (0 when none came), how long
	// it took, what went wrong (for the log; never the answer's body),
	// and when it was made.
	Status      int
	Duration    time.Duration
	Error       string
	AttemptedAt time.Time
	CreatedAt   time.Time
}

// Delivery states.
const (
	DeliveryQueued    = "queued"
	DeliveryRunning   = "running"
	DeliveryDelivered = "delivered"
	DeliveryFailed    = "failed" // given up
)

// DeliveryOutcome is what an attempt came to, for FinishDelivery.
type DeliveryOutcome struct {
	Status   int
	Duration time.Duration
	Error    string
	At       time.Time
	// Delivered is a 2xx answer. Otherwise the delivery is queued again
	// at RetryAt, or given up when RetryAt is zero.
	Delivered bool
	RetryAt   time.Time
	// DisableFailingSince switches the webhook off when this attempt
	// failed and its deliveries have been failing since before this time.
	DisableFailingSince time.Time
}

// WebhookStore keeps webhooks and their deliveries, part of every Store.
// Deliveries are queued by the stores' writes of events (see Event) for
// every active webhook of the account that wants the event's type.
type WebhookStore interface {
	// CreateWebhook stores w, setting ID and timestamps; at most
	// MaxWebhooks per account (EINVALID past it).
	CreateWebhook(ctx context.Context, w *Webhook) error
	Webhook(ctx context.Context, accountID, id int64) (*Webhook, error)
	// Webhooks lists the account's webhooks by id.
	Webhooks(ctx context.Context, accountID int64) ([]*Webhook, error)
	// UpdateWebhook writes URL, Events and Active (switching a webhook on
	// clears FailingSince) and sets UpdatedAt; w is refreshed.
	UpdateWebhook(ctx context.Context, w *Webhook) error
	// DeleteWebhook removes a webhook with its deliveries.
	DeleteWebhook(ctx context.Context, accountID, id int64) error

	// QueueDelivery stores d (a ping) as queued, setting ID and CreatedAt.
	QueueDelivery(ctx context.Context, d *Delivery) error
	// Deliveries lists a webhook's deliveries, newest first, at most limit.
	Deliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*Delivery, error)
	Delivery(ctx context.Context, accountID, webhookID, id int64) (*Delivery, error)
	// Redeliver queues a delivery again (delivered or given up), to run now
	// with its attempts counted anew until giveUpAt; d is refreshed.
	// ENOTFOUND for a delivery under way (queued or running).
	Redeliver(ctx context.Context, d *Delivery, giveUpAt time.Time) error

	// ClaimDelivery takes the oldest delivery of an active webhook that is
	// queued and due, or running with its lease run out, and that no
	// earlier delivery of the same webhook and object is waiting for or
	// running (order per object); it marks it running for worker until
	// now+lease, counts an attempt, and answers it with its webhook.
	// ErrNotFound when there is none.
	ClaimDelivery(ctx context.Context, worker string, lease time.Duration) (*Delivery, *Webhook, error)
	// FinishDelivery records an attempt's outcome, and the webhook's
	// failing state, in one transaction. ErrNotFound unless worker holds
	// the delivery (its lease ran out and another claimed it). It
	// answers whether this outcome switched the webhook off (see
	// DeliveryOutcome.DisableFailingSince): true once, for the one
	// outcome that did, whatever other deliveries of the webhook fail
	// beside it or after it, until the webhook is switched on again.
	FinishDelivery(ctx context.Context, id int64, worker string, o DeliveryOutcome) (switchedOff bool, err error)
	// PruneDeliveries removes the finished deliveries of every webhook
	// beyond its newest keep, and says how many.
	PruneDeliveries(ctx context.Context, keep int) (int, error)
}
