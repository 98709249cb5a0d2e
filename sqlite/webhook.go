package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"strings"
	"time"

	"damask"
)

const webhookColumns = `w.id, w.account_id, w.url, w.events, w.secret, w.active, w.failing_since, w.created_at, w.updated_at`

func scanWebhook(s interface{ Scan(...any) error }, more ...any) (*damask.Webhook, error) {
	var w damask.Webhook
	var events string
	if err := s.Scan(append([]any{&w.ID, &w.AccountID, &w.URL, &events, &w.Secret, &w.Active,
		timeCol{&w.FailingSince}, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt}}, more...)...); err != nil {
		return nil, err
	}
	w.Events = splitList(events)
	return &w, nil
}

func splitList(s string) []string {
	if s == "" {
		return nil
	}
	return strings.Split(s, ",")
}

// CreateWebhook stores w, at most damask.MaxWebhooks per account.
func (db *DB) CreateWebhook(ctx context.Context, w *damask.Webhook) error {
	now := db.clock()
	return db.update(ctx, "create webhook", func(tx *sql.Tx) error {
		if err := accountExists(ctx, tx, w.AccountID); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM webhooks WHERE account_id = ?`, w.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= damask.MaxWebhooks {
			return damask.Errorf(damask.EINVALID, "An account may have %d webhooks", damask.MaxWebhooks)
		}
		res, err := tx.ExecContext(ctx, `
			INSERT INTO webhooks (account_id, url, events, secret, active, created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?)`,
			w.AccountID, w.URL, strings.Join(w.Events, ","), w.Secret, w.Active, now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		w.ID, w.CreatedAt, w.UpdatedAt, w.FailingSince = id, now, now, time.Time{}
		return nil
	})
}

// Webhook finds a webhook of the account.
func (db *DB) Webhook(ctx context.Context, accountID, id int64) (*damask.Webhook, error) {
	var w *damask.Webhook
	err := db.lookup(ctx, fmt.Sprintf("webhook %d", id), func(q querier) (err error) {
		w, err = scanWebhook(q.QueryRowContext(ctx,
			`SELECT `+webhookColumns+` FROM webhooks w WHERE w.account_id = ? AND w.id = ?`, accountID, id))
		return err
	})
	return w, err
}

// Webhooks lists the account's webhooks by id.
func (db *DB) Webhooks(ctx context.Context, accountID int64) ([]*damask.Webhook, error) {
	var ws []*damask.Webhook
	err := db.view(ctx, fmt.Sprintf("webhooks of account %d", accountID), func(tx *sql.Tx) error {
		var err error
		ws, err = webhooksOf(ctx, tx, accountID, false)
		return err
	})
	return ws, err
}

func webhooksOf(ctx context.Context, q querier, accountID int64, active bool) ([]*damask.Webhook, error) {
	where := ""
	if active {
		where = " AND w.active"
	}
	rows, err := q.QueryContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.account_id = ?`+where+` ORDER BY w.id`, accountID)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var ws []*damask.Webhook
	for rows.Next() {
		w, err := scanWebhook(rows)
		if err != nil {
			return nil, err
		}
		ws = append(ws, w)
	}
	return ws, rows.Err()
}

// UpdateWebhook writes URL, Events and Active; w is refreshed.
func (db *DB) UpdateWebhook(ctx context.Context, w *damask.Webhook) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update webhook %d", w.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE webhooks SET url = ?, events = ?, active = ?, updated_at = ?,
				failing_since = CASE WHEN ? AND NOT active THEN NULL ELSE failing_since END
			WHERE account_id = ? AND id = ?`,
			w.URL, strings.Join(w.Events, ","), w.Active, now.UnixNano(), w.Active, w.AccountID, w.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		fresh, err := scanWebhook(tx.QueryRowContext(ctx,
			`SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`, w.ID))
		if err != nil {
			return err
		}
		*w = *fresh
		return nil
	})
}

// DeleteWebhook removes a webhook; its deliveries go with it.
func (db *DB) DeleteWebhook(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete webhook %d", id), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM webhooks WHERE account_id = ? AND id = ?`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(res)
	})
}

// queueDeliveries queues, for each event, a delivery to every active
// webhook of its account that wants it: in the transaction that writes
// the events (writeEvents), so that a committed event is always delivered.
func queueDeliveries(ctx context.Context, tx *sql.Tx, evs []damask.Event) error {
	var (
		account int64 = -1
		hooks   []*damask.Webhook
	)
	for _, e := range evs {
		if e.AccountID != account {
			var err error
			if hooks, err = webhooksOf(ctx, tx, e.AccountID, true); err != nil {
				return fmt.Errorf("webhooks of account %d: %w", e.AccountID, err)
			}
			account = e.AccountID
		}
		for _, w := range hooks {
			if !w.Wants(e.Type) {
				continue
			}
			d := damask.Delivery{WebhookID: w.ID, AccountID: e.AccountID, EventID: e.ID, EventType: e.Type,
				EventAt: e.CreatedAt, ActorID: e.ActorID, Object: e.Object(), ObjectID: e.ObjectID, Changed: e.Changed,
				RunAfter: e.CreatedAt, GiveUpAt: e.CreatedAt.Add(damask.WebhookRetryFor), CreatedAt: e.CreatedAt}
			if err := insertDelivery(ctx, tx, &d); err != nil {
				return err
			}
		}
	}
	return nil
}

func insertDelivery(ctx context.Context, tx *sql.Tx, d *damask.Delivery) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO webhook_deliveries (webhook_id, account_id, event_id, event_type, event_at, actor_id,
			object, object_id, changed, state, run_after, give_up_at, created_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, 'queued', ?, ?, ?)`,
		d.WebhookID, d.AccountID, d.EventID, d.EventType, d.EventAt.UnixNano(), nullID(d.ActorID),
		d.Object, d.ObjectID, strings.Join(d.Changed, ","), d.RunAfter.UnixNano(), d.GiveUpAt.UnixNano(), d.CreatedAt.UnixNano())
	if err != nil {
		return fmt.Errorf("queue delivery of event %d to webhook %d: %w", d.EventID, d.WebhookID, err)
	}
	d.ID, err = res.LastInsertId()
	d.State = damask.DeliveryQueued
	return err
}

// QueueDelivery stores a ping's delivery.
func (db *DB) QueueDelivery(ctx context.Context, d *damask.Delivery) error {
	now := db.clock()
	return db.update(ctx, "queue delivery", func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE account_id = ? AND id = ?`, d.AccountID, d.WebhookID).Scan(&one); err != nil {
			return err
		}
		d.CreatedAt = now
		if d.RunAfter.IsZero() {
			d.RunAfter = now
		}
		return insertDelivery(ctx, tx, d)
	})
}

const deliveryColumns = `d.id, d.webhook_id, d.account_id, d.event_id, d.event_type, d.event_at, coalesce(d.actor_id, 0),
	d.object, d.object_id, d.changed, d.state, d.attempts, d.run_after, d.lease_until, d.give_up_at,
	d.status, d.duration, d.error, d.attempted_at, d.created_at`

func scanDelivery(s interface{ Scan(...any) error }, more ...any) (*damask.Delivery, error) {
	var d damask.Delivery
	var changed string
	var dur int64
	if err := s.Scan(append([]any{&d.ID, &d.WebhookID, &d.AccountID, &d.EventID, &d.EventType, timeCol{&d.EventAt}, &d.ActorID,
		&d.Object, &d.ObjectID, &changed, &d.State, &d.Attempts, timeCol{&d.RunAfter}, timeCol{&d.LeaseUntil}, timeCol{&d.GiveUpAt},
		&d.Status, &dur, &d.Error, timeCol{&d.AttemptedAt}, timeCol{&d.CreatedAt}}, more...)...); err != nil {
		return nil, err
	}
	d.Changed, d.Duration = splitList(changed), time.Duration(dur)
	return &d, nil
}

// Deliveries lists a webhook's deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*damask.Delivery, error) {
	var ds []*damask.Delivery
	err := db.view(ctx, fmt.Sprintf("deliveries of webhook %d", webhookID), func(tx *sql.Tx) error {
		var one int
		if err := tx.QueryRowContext(ctx, `SELECT 1 FROM webhooks WHERE account_id = ? AND id = ?`, accountID, webhookID).Scan(&one); err != nil {
			return err
		}
		rows, err := tx.QueryContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.webhook_id = ? ORDER BY d.id DESC LIMIT ?`, webhookID, limit)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			d, err := scanDelivery(rows)
			if err != nil {
				return err
			}
			ds = append(ds, d)
		}
		return rows.Err()
	})
	return ds, err
}

// Delivery finds one delivery of a webhook of the account.
func (db *DB) Delivery(ctx context.Context, accountID, webhookID, id int64) (*damask.Delivery, error) {
	var d *damask.Delivery
	err := db.lookup(ctx, fmt.Sprintf("delivery %d", id), func(q querier) (err error) {
		d, err = scanDelivery(q.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.account_id = ? AND d.webhook_id = ? AND d.id = ?`, accountID, webhookID, id))
		return err
	})
	return d, err
}

// Redeliver queues a finished delivery again.
func (db *DB) Redeliver(ctx context.Context, d *damask.Delivery, giveUpAt time.Time) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("redeliver %d", d.ID), func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			UPDATE webhook_deliveries SET state = 'queued', attempts = 0, run_after = ?, give_up_at = ?, lease_until = NULL, worker = ''
			WHERE account_id = ? AND webhook_id = ? AND id = ? AND state IN ('delivered', 'failed')`,
			now.UnixNano(), giveUpAt.UnixNano(), d.AccountID, d.WebhookID, d.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		fresh, err := scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = ?`, d.ID))
		if err != nil {
			return err
		}
		*d = *fresh
		return nil
	})
}

// claimable picks the oldest due delivery whose object has nothing
// earlier pending.
const claimable = `
	SELECT d.id FROM webhook_deliveries d JOIN webhooks w ON w.id = d.webhook_id
	WHERE d.state IN ('queued', 'running') AND w.active
		AND ((d.state = 'queued' AND d.run_after <= ?1) OR (d.state = 'running' AND d.lease_until < ?1))
		AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
			WHERE e.webhook_id = d.webhook_id AND e.object = d.object AND e.object_id = d.object_id
				AND e.id < d.id AND e.state IN ('queued', 'running'))
	ORDER BY d.id LIMIT 1`

// ClaimDelivery takes the oldest due delivery whose object has nothing
// earlier pending. One writer at a time makes the pick and the claim one
// step. An idle worker's look is a read first: the writes of the file
// (its one write connection, and the lock other processes share) are
// taken only when there is something to claim, so that idle delivery
// workers do not hold up the jobs' claims and the uploads.
func (db *DB) ClaimDelivery(ctx context.Context, worker string, lease time.Duration) (*damask.Delivery, *damask.Webhook, error) {
	now := db.clock()
	var (
		d *damask.Delivery
		w *damask.Webhook
	)
	var due int64
	if err := db.lookup(ctx, "look for a delivery", func(q querier) error {
		return q.QueryRowContext(ctx, claimable, now.UnixNano()).Scan(&due)
	}); err != nil {
		return nil, nil, err
	}
	err := db.update(ctx, "claim delivery", func(tx *sql.Tx) error {
		var id int64
		err := tx.QueryRowContext(ctx, claimable, now.UnixNano()).Scan(&id)
		if err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `
			UPDATE webhook_deliveries SET state = 'running', worker = ?, lease_until = ?, attempts = attempts + 1
			WHERE id = ?`, worker, now.Add(lease).UnixNano(), id); err != nil {
			return err
		}
		d, err = scanDelivery(tx.QueryRowContext(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d WHERE d.id = ?`, id))
		if err != nil {
			return err
		}
		w, err = scanWebhook(tx.QueryRowContext(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.id = ?`, d.WebhookID))
		return err
	})
	return d, w, err
}

// FinishDelivery records an attempt and the webhook's failing state, and
// says whether it switched the webhook off.
func (db *DB) FinishDelivery(ctx context.Context, id int64, worker string, o damask.DeliveryOutcome) (bool, error) {
	var off bool
	err := db.update(ctx, fmt.Sprintf("finish delivery %d", id), func(tx *sql.Tx) error {
		state := damask.DeliveryDelivered
		var runAfter any
		switch {
		case o.Delivered:
		case o.RetryAt.IsZero():
			state = damask.DeliveryFailed
		default:
			state, runAfter = damask.DeliveryQueued, o.RetryAt.UnixNano()
		}
		var webhook int64
		err := tx.QueryRowContext(ctx, `
			UPDATE webhook_deliveries SET state = ?, run_after = coalesce(?, run_after), lease_until = NULL, worker = '',
				status = ?, duration = ?, error = ?, attempted_at = ?
			WHERE id = ? AND worker = ? AND state = 'running'
			RETURNING webhook_id`,
			state, runAfter, o.Status, int64(o.Duration), o.Error, o.At.UnixNano(), id, worker).Scan(&webhook)
		if err != nil {
			return err
		}
		if o.Delivered {
			_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failing_since = NULL WHERE id = ? AND failing_since IS NOT NULL`, webhook)
			return err
		}
		// Switched off by the one outcome that finds it on and failing
		// since before the cut (a first failure starts the failing):
		// the others, beside or after it, find it off already.
		res, err := tx.ExecContext(ctx, `
			UPDATE webhooks SET active = 0
			WHERE id = ?1 AND active AND ?2 IS NOT NULL AND failing_since < ?2`, webhook, timeValue(o.DisableFailingSince))
		if err != nil {
			return err
		}
		n, err := res.RowsAffected()
		if err != nil {
			return err
		}
		off = n == 1
		_, err = tx.ExecContext(ctx, `UPDATE webhooks SET failing_since = ? WHERE id = ? AND failing_since IS NULL`,
			o.At.UnixNano(), webhook)
		return err
	})
	return off, err
}

// PruneDeliveries keeps the newest finished deliveries of each webhook.
func (db *DB) PruneDeliveries(ctx context.Context, keep int) (int, error) {
	var n int64
	err := db.update(ctx, "prune deliveries", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `
			DELETE FROM webhook_deliveries WHERE id IN (
				SELECT id FROM (
					SELECT id, state, row_number() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS n
					FROM webhook_deliveries)
				WHERE n > ? AND state IN ('delivered', 'failed'))`, keep)
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}
