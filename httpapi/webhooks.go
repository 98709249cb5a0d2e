package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Webhooks: /api/webhooks, their pings and their delivery logs.

func (s *Server) listWebhooks(w http.ResponseWriter, r *http.Request) {
	ws, err := s.svc.Webhooks(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(ws))
	for i, h := range ws {
		items[i] = webhookDoc(h)
	}
	// A list of settings, not a search: none is an empty 200.
	s.reply(w, r, http.StatusOK, array("webhooks", items))
}

// createWebhook answers the new webhook with its secret: the only time
// the secret is shown.
func (s *Server) createWebhook(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, webhookResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := webhookInput(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, secret, err := s.svc.CreateWebhook(r.Context(), caller(r), in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	doc := webhookDoc(h)
	doc.kids = append(doc.kids, str("secret", secret))
	s.created(w, r, "/api/webhooks/"+strconv.FormatInt(h.ID, 10), doc)
}

// webhookInput reads url, events (a list: an array, or text separated by
// commas or spaces) and active.
func webhookInput(b body) (library.WebhookInput, error) {
	in := library.WebhookInput{URL: b.ptr("url")}
	if v, ok := b["events"]; ok {
		evs := strings.FieldsFunc(v, func(r rune) bool { return r == ',' || r == ' ' || r == '\n' || r == '\t' })
		in.Events = &evs
	}
	active, err := b.boolPtr("active")
	in.Active = active
	return in, err
}

func (s *Server) showWebhook(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Webhook, webhookDoc)
}

func (s *Server) updateWebhook(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := readBody(r, webhookResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, err := webhookInput(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h, err := s.svc.UpdateWebhook(r.Context(), caller(r), id, in)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, webhookDoc(h))
}

func (s *Server) deleteWebhook(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.DeleteWebhook, webhookDoc)
}

// pingWebhook queues a test event and answers its delivery, 202: the
// workers send it.
func (s *Server) pingWebhook(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusAccepted, s.svc.PingWebhook, deliveryDoc)
}

// listDeliveries is the webhook's delivery log, newest first: the last
// damask.DeliveriesKept.
func (s *Server) listDeliveries(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ds, err := s.svc.Deliveries(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(ds))
	for i, d := range ds {
		items[i] = deliveryDoc(d)
	}
	s.reply(w, r, http.StatusOK, array("deliveries", items))
}

// redeliver queues a delivered or given-up delivery again: 202.
func (s *Server) redeliver(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	did, err := httpdomain.PathID(r, "did")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.svc.Redeliver(r.Context(), caller(r), id, did)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusAccepted, deliveryDoc(d))
}

// webhookDoc is a webhook, never with its secret.
func webhookDoc(h *damask.Webhook) node {
	evs := make([]node, len(h.Events))
	for i, e := range h.Events {
		evs[i] = str("event", e)
	}
	return record("webhook",
		integer("id", h.ID),
		str("url", h.URL),
		array("events", evs),
		boolean("active", h.Active),
		datetime("failing_since", h.FailingSince),
		datetime("created_on", h.CreatedAt),
		datetime("updated_on", h.UpdatedAt),
	)
}

// deliveryDoc is one entry of a delivery log: the event, and the last
// attempt's answer (status 0 when none came) and time.
func deliveryDoc(d *damask.Delivery) node {
	event := optInteger("event_id", int64(d.EventID))
	status := optInteger("status", int64(d.Status))
	next := null("next_attempt_on", kDatetime)
	if d.State == damask.DeliveryQueued {
		next = datetime("next_attempt_on", d.RunAfter)
	}
	return record("delivery",
		integer("id", d.ID),
		integer("webhook_id", d.WebhookID),
		str("webhook_message_id", "msg_"+strconv.FormatInt(d.ID, 10)),
		event,
		str("type", d.EventType),
		str("object", d.Object),
		integer("object_id", d.ObjectID),
		str("state", d.State),
		integer("attempts", int64(d.Attempts)),
		status,
		integer("duration_ms", d.Duration.Milliseconds()),
		strOrNil("error", d.Error),
		datetime("attempted_on", d.AttemptedAt),
		next,
		datetime("created_on", d.CreatedAt),
	)
}
