package library

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"math/rand/v2"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"time"

	crand "crypto/rand"

	"damask"
	"damask/outbound"
	"damask/seal"
	"damask/webhook"
)

// WebhookInput are the fields a client sets on a webhook; nil leaves a
// field as it is (a create needs URL and Events; Active defaults to on).
type WebhookInput struct {
	URL    *string
	Events *[]string
	Active *bool
}

// maxWebhookURL bounds a webhook's URL.
const maxWebhookURL = 2048

// webhookSecretContext binds a sealed secret to its webhook's account.
func webhookSecretContext(accountID int64) string {
	return fmt.Sprintf("damask webhook secret\x00account %d", accountID)
}

// Webhooks lists the account's webhooks; holder and admins may.
func (s *Service) Webhooks(ctx context.Context, c Caller) ([]*damask.Webhook, error) {
	if err := requireRole(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	return s.store.Webhooks(ctx, c.Account.ID)
}

// Webhook finds one webhook of the account; holder and admins may.
func (s *Service) Webhook(ctx context.Context, c Caller, id int64) (*damask.Webhook, error) {
	if err := requireRole(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	return s.store.Webhook(ctx, c.Account.ID, id)
}

// CreateWebhook makes a webhook and answers it with its secret in clear:
// the only time the secret is shown. The URL must be one the server may
// call (outbound's rules: no loopback or private address unless the
// operator allows it), the events known types or prefixes of them.
func (s *Service) CreateWebhook(ctx context.Context, c Caller, in WebhookInput) (*damask.Webhook, string, error) {
	if err := require(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, "", err
	}
	if in.URL == nil || in.Events == nil {
		return nil, "", damask.Errorf(damask.EINVALID, "A webhook needs a url and its events")
	}
	w := &damask.Webhook{AccountID: c.Account.ID, Active: true}
	if err := s.applyWebhook(ctx, w, in); err != nil {
		return nil, "", err
	}
	if s.key == nil {
		return nil, "", damask.Errorf(damask.EINVALID,
			"The server has no secret key to keep a webhook's secret with: its operator must set DAMASK_SECRET_KEY or --secret-key-file (see docs/operations.md)")
	}
	raw := make([]byte, 24)
	crand.Read(raw) // never fails
	secret := webhook.SecretPrefix + base64.StdEncoding.EncodeToString(raw)
	w.Secret = s.key.Seal(secret, webhookSecretContext(c.Account.ID))
	if err := s.store.CreateWebhook(ctx, w); err != nil {
		return nil, "", fmt.Errorf("create webhook: %w", err)
	}
	s.record(ctx, c, damask.AuditAccountChange, fmt.Sprintf("webhook %d", w.ID), "webhook made for "+w.URL)
	return w, secret, nil
}

// UpdateWebhook changes a webhook's URL, events or switch; switching it
// on again clears its failures.
func (s *Service) UpdateWebhook(ctx context.Context, c Caller, id int64, in WebhookInput) (*damask.Webhook, error) {
	if err := require(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.applyWebhook(ctx, w, in); err != nil {
		return nil, err
	}
	if err := s.store.UpdateWebhook(ctx, w); err != nil {
		return nil, fmt.Errorf("update webhook %d: %w", id, err)
	}
	return w, nil
}

// DeleteWebhook removes a webhook and its delivery log.
func (s *Service) DeleteWebhook(ctx context.Context, c Caller, id int64) (*damask.Webhook, error) {
	if err := require(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	w, err := s.store.Webhook(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteWebhook(ctx, c.Account.ID, id); err != nil {
		return nil, fmt.Errorf("delete webhook %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditAccountChange, fmt.Sprintf("webhook %d", id), "webhook removed")
	return w, nil
}

func (s *Service) applyWebhook(ctx context.Context, w *damask.Webhook, in WebhookInput) error {
	if in.URL != nil {
		u := strings.TrimSpace(*in.URL)
		p, err := url.Parse(u)
		if u == "" || len(u) > maxWebhookURL || err != nil || (p.Scheme != "http" && p.Scheme != "https") || p.Host == "" || p.User != nil {
			return damask.Errorf(damask.EINVALID, "Url must be an http or https URL of at most %d characters, without a user or password", maxWebhookURL)
		}
		if err := s.out.Check(ctx, u); err != nil {
			var oe *outbound.Error
			if errors.As(err, &oe) && oe.Kind == outbound.Refused {
				return damask.Errorf(damask.EINVALID, "Url leads to an address this server may not call (%s): its operator can allow the range with --allow-outgoing", oe.Addr)
			}
			return damask.Errorf(damask.EINVALID, "Url cannot be reached: %s", outbound.KindOf(err))
		}
		w.URL = u
	}
	if in.Events != nil {
		evs, err := webhookEvents(*in.Events)
		if err != nil {
			return err
		}
		w.Events = evs
	}
	if in.Active != nil {
		w.Active = *in.Active
	}
	return nil
}

// webhookEvents checks the filters: each "*", a type of the feed, or a
// prefix of some ("asset."); at least one; each once.
func webhookEvents(in []string) ([]string, error) {
	var out []string
	for _, f := range in {
		f = strings.TrimSpace(f)
		if f == "" || slices.Contains(out, f) {
			continue
		}
		ok := f == "*" || slices.Contains(damask.EventTypes, f)
		if !ok && strings.HasSuffix(f, ".") {
			ok = slices.ContainsFunc(damask.EventTypes, func(t string) bool { return strings.HasPrefix(t, f) })
		}
		if !ok {
			return nil, damask.Errorf(damask.EINVALID, "Events has %q, which is neither an event type, a prefix of some ending in a dot (asset.), nor *", truncate(f, 64))
		}
		out = append(out, f)
	}
	if len(out) == 0 {
		return nil, damask.Errorf(damask.EINVALID, "Events must name at least one type, prefix or *")
	}
	return out, nil
}

// Deliveries is a webhook's delivery log, newest first: the last
// damask.DeliveriesKept.
func (s *Service) Deliveries(ctx context.Context, c Caller, webhookID int64) ([]*damask.Delivery, error) {
	if err := requireRole(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	return s.store.Deliveries(ctx, c.Account.ID, webhookID, damask.DeliveriesKept)
}

// PingWebhook queues a test event (damask.EventPing) to the webhook,
// whatever events it wants, and answers its delivery.
func (s *Service) PingWebhook(ctx context.Context, c Caller, id int64) (*damask.Delivery, error) {
	if err := require(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	now := s.now()
	d := &damask.Delivery{WebhookID: id, AccountID: c.Account.ID, EventType: damask.EventPing, EventAt: now,
		Object: "webhook", ObjectID: id, GiveUpAt: now.Add(damask.WebhookRetryFor)}
	if c.User != nil {
		d.ActorID = c.User.ID
	}
	if err := s.store.QueueDelivery(ctx, d); err != nil {
		return nil, fmt.Errorf("ping webhook %d: %w", id, err)
	}
	s.deliveriesQueued()
	return d, nil
}

// Redeliver sends a delivered or given-up delivery again, as it was (same
// webhook-id), with a new day of retries.
func (s *Service) Redeliver(ctx context.Context, c Caller, webhookID, id int64) (*damask.Delivery, error) {
	if err := require(c, damask.RoleAdmin, "manage webhooks"); err != nil {
		return nil, err
	}
	d, err := s.store.Delivery(ctx, c.Account.ID, webhookID, id)
	if err != nil {
		return nil, err
	}
	if d.State == damask.DeliveryQueued || d.State == damask.DeliveryRunning {
		return nil, damask.Errorf(damask.ECONFLICT, "Delivery %d is still under way", id)
	}
	if err := s.store.Redeliver(ctx, d, s.now().Add(damask.WebhookRetryFor)); err != nil {
		return nil, fmt.Errorf("redeliver %d: %w", id, err)
	}
	s.deliveriesQueued()
	return d, nil
}

func (s *Service) deliveriesQueued() {
	if s.onDeliveries != nil {
		s.onDeliveries()
	}
}

// ClaimDelivery takes the next delivery due for worker
// (damask.WebhookStore.ClaimDelivery): with FinishDelivery, the queue the
// delivery workers (jobs.Deliveries) work through.
func (s *Service) ClaimDelivery(ctx context.Context, worker string, lease time.Duration) (*damask.Delivery, *damask.Webhook, error) {
	return s.store.ClaimDelivery(ctx, worker, lease)
}

// FinishDelivery records the outcome of worker's attempt at d (the store
// answers ENOTFOUND once the worker's lease was lost). When the outcome
// switched the webhook off, the account's holder and admins are told by
// e-mail, once, after the record.
func (s *Service) FinishDelivery(ctx context.Context, d *damask.Delivery, worker string, o damask.DeliveryOutcome) error {
	off, err := s.store.FinishDelivery(ctx, d.ID, worker, o)
	if err != nil {
		return err
	}
	if off {
		s.log.Warn("webhook switched off: failing too long", "account", d.AccountID, "webhook", d.WebhookID, "err", o.Error)
		s.mailWebhookOff(ctx, d, o)
	}
	return nil
}

// deliveryBody is the JSON a delivery posts: the Standard Webhooks shape,
// type, timestamp and data, where data is the event as the feed shows it.
type deliveryBody struct {
	Type      string       `json:"type"`
	Timestamp string       `json:"timestamp"`
	Data      deliveryData `json:"data"`
}

type deliveryData struct {
	ID        int64    `json:"id,omitempty"`
	Type      string   `json:"type"`
	CreatedOn string   `json:"created_on"`
	ActorID   *int64   `json:"actor_id"`
	Object    string   `json:"object"`
	ObjectID  int64    `json:"object_id"`
	Changed   []string `json:"changed"`
	Account   string   `json:"account,omitempty"`
}

// Deliver makes one attempt at a delivery (a worker's handler, see
// jobs.Deliveries): it posts the event to the webhook's URL, signed,
// within damask.WebhookTimeout, and answers the outcome. A 2xx answer is
// delivered; anything else is tried again after an exponential backoff
// with jitter, until the delivery's GiveUpAt; a webhook failing for
// damask.MaxWebhookFailing is switched off by the store when the outcome
// is recorded (FinishDelivery).
func (s *Service) Deliver(ctx context.Context, d *damask.Delivery, w *damask.Webhook) damask.DeliveryOutcome {
	start := s.now()
	o := damask.DeliveryOutcome{At: start, DisableFailingSince: start.Add(-damask.MaxWebhookFailing)}
	fail := func(msg string) damask.DeliveryOutcome {
		o.Error = msg
		if retry := s.now().Add(s.hookBackoff(d.Attempts)); retry.Before(d.GiveUpAt) {
			o.RetryAt = retry
		}
		return o
	}
	secret := w.Secret
	if seal.Sealed(secret) {
		if s.key == nil {
			return fail("the server has no secret key to open the webhook's secret with")
		}
		var err error
		if secret, err = s.key.Open(w.Secret, webhookSecretContext(w.AccountID)); err != nil {
			return fail("the webhook's secret cannot be opened with this server's secret key")
		}
	}
	body, err := deliveryJSON(d)
	if err != nil {
		return fail("encode: " + err.Error())
	}
	id := "msg_" + strconv.FormatInt(d.ID, 10)
	sig, err := webhook.Sign(secret, id, start, body)
	if err != nil {
		return fail("sign: " + err.Error())
	}
	tctx, cancel := context.WithTimeout(ctx, damask.WebhookTimeout)
	defer cancel()
	status, err := s.out.Post(tctx, w.URL, map[string]string{
		"Content-Type":          "application/json",
		"User-Agent":            "Damask-Webhooks/1",
		webhook.HeaderID:        id,
		webhook.HeaderTimestamp: strconv.FormatInt(start.Unix(), 10),
		webhook.HeaderSignature: sig,
	}, body)
	o.Duration = s.now().Sub(start)
	o.Status = status
	switch {
	case err != nil:
		return fail(string(outbound.KindOf(err)))
	case status >= 200 && status < 300:
		o.Delivered = true
		return o
	case status >= 300 && status < 400:
		return fail(fmt.Sprintf("answered a redirect (%d), which is not followed", status))
	}
	return fail(fmt.Sprintf("answered %d", status))
}

func deliveryJSON(d *damask.Delivery) ([]byte, error) {
	data := deliveryData{ID: d.EventID, Type: d.EventType, CreatedOn: d.EventAt.UTC().Format(time.RFC3339),
		Object: d.Object, ObjectID: d.ObjectID, Changed: d.Changed}
	if d.ActorID != 0 {
		data.ActorID = &d.ActorID
	}
	if data.Changed == nil {
		data.Changed = []string{}
	}
	var b bytes.Buffer
	err := json.NewEncoder(&b).Encode(deliveryBody{Type: d.EventType, Timestamp: data.CreatedOn, Data: data})
	return bytes.TrimSuffix(b.Bytes(), []byte("\n")), err
}

// webhookBackoff is the wait after a delivery's attempt n failed: 5 s
// doubling to an hour at most, each time a random part of it between the
// half and the whole ("equal jitter"), so that the retries of many
// deliveries that failed together spread out. Over the 24 hours a delivery
// is tried, that is some 30 attempts.
func webhookBackoff(attempt int) time.Duration {
	d := 5 * time.Second
	for i := 1; i < attempt && d < time.Hour; i++ {
		d *= 2
	}
	d = min(d, time.Hour)
	return d/2 + rand.N(d/2+1)
}

// tidyDeliveries is Tidy's part for the delivery logs.
func (s *Service) tidyDeliveries(ctx context.Context) error {
	if _, err := s.store.PruneDeliveries(ctx, damask.DeliveriesKept); err != nil {
		return fmt.Errorf("prune deliveries: %w", err)
	}
	return nil
}
