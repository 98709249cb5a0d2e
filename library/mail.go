package library

import (
	"context"
	"fmt"
	"net/url"
	"strings"
	"time"

	"damask"
)

// managers are the e-mail addresses of the account's holder and admins
// who may sign in (not disabled, with an address): those whom the
// server's mails about an account's settings go to.
func (s *Service) managers(ctx context.Context, accountID int64) ([]string, error) {
	us, _, err := s.store.Users(ctx, accountID, damask.Page{})
	if err != nil {
		return nil, fmt.Errorf("users of account %d: %w", accountID, err)
	}
	var to []string
	for _, u := range us {
		if u.Role.AtLeast(damask.RoleAdmin) && !u.Disabled && u.Email != "" {
			to = append(to, u.Email)
		}
	}
	return to, nil
}

// mailWebhookOff tells the account's managers that the webhook of d was
// switched off by the outcome o. A mail that cannot be sent is logged:
// it never fails the delivery's record, which is written already. It
// runs after that record's transaction, beyond the worker's context (a
// worker stopping still sends it), within the Mailer's own time limit.
func (s *Service) mailWebhookOff(ctx context.Context, d *damask.Delivery, o damask.DeliveryOutcome) {
	if s.mailer == nil {
		return
	}
	ctx = context.WithoutCancel(ctx)
	err := func() error {
		w, err := s.store.Webhook(ctx, d.AccountID, d.WebhookID)
		if err != nil {
			return err
		}
		a, err := s.store.Account(ctx, d.AccountID)
		if err != nil {
			return err
		}
		to, err := s.managers(ctx, d.AccountID)
		if err != nil {
			return err
		}
		if len(to) == 0 {
			s.log.Info("webhook switched off: no holder or admin with an e-mail address to tell", "account", d.AccountID, "webhook", d.WebhookID)
			return nil
		}
		return s.mailer.Send(ctx, webhookOffMail(a, w, o, to))
	}()
	if err != nil {
		s.log.Error("mail of a webhook switched off", "account", d.AccountID, "webhook", d.WebhookID, "err", err)
	}
}

// webhookOffMail says which webhook was switched off, since when it
// failed, its last error, and how to switch it on.
func webhookOffMail(a *damask.Account, w *damask.Webhook, o damask.DeliveryOutcome, to []string) damask.Mail {
	host := w.URL
	if u, err := url.Parse(w.URL); err == nil && u.Host != "" {
		host = u.Host
	}
	since := w.FailingSince.UTC().Format("2006-01-02 15:04 MST")
	var b strings.Builder
	fmt.Fprintf(&b, "Webhook %d of the account %s, which posts its events to\n\n    %s\n\n", w.ID, a.Name, w.URL)
	fmt.Fprintf(&b, "has failed since %s without a success, for more than %s,\nand has been switched off.\n",
		since, days(damask.MaxWebhookFailing))
	fmt.Fprintf(&b, "Its last attempt, at %s: %s.\n\n", o.At.UTC().Format("2006-01-02 15:04 MST"), o.Error)
	b.WriteString("While it is off, no event is queued for it. Once its receiver answers again,\n")
	b.WriteString("the holder or an admin of the account switches it on with\n\n")
	fmt.Fprintf(&b, "    PUT /api/webhooks/%d.json   {\"active\": true}\n\n", w.ID)
	fmt.Fprintf(&b, "(its failures are then forgotten). POST /api/webhooks/%d/ping.json sends it a\n", w.ID)
	fmt.Fprintf(&b, "test event; GET /api/webhooks/%d/deliveries.json is its delivery log.\n", w.ID)
	return damask.Mail{
		To:      to,
		Subject: truncate(fmt.Sprintf("Damask: the webhook to %s was switched off (%s)", host, a.Name), 200),
		Text:    b.String(),
	}
}

// days writes d in days when it is whole days.
func days(d time.Duration) string {
	if d%(24*time.Hour) == 0 {
		return fmt.Sprintf("%d days", d/(24*time.Hour))
	}
	return d.String()
}
