package postgres

import (
	"context"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const webhookColumns = `w.id, w.account_id, w.url, w.events, w.secret, w.active, w.failing_since, w.created_at, w.updated_at`

func scanWebhook(s pgx.Row) (*damask.Webhook, error) {
	var w damask.Webhook
	if err := s.Scan(&w.ID, &w.AccountID, &w.URL, &w.Events, &w.Secret, &w.Active,
		timeCol{&w.FailingSince}, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt}); err != nil {
		return nil, err
	}
	return &w, nil
}

func list(ss []string) []string {
	if ss == nil {
		return []string{} // not NULL
	}
	return ss
}

// CreateWebhook stores w, at most damask.MaxWebhooks per account. The
// account's row is locked for the count, so that two creates cannot both
// take the last place.
func (db *DB) CreateWebhook(ctx context.Context, w *damask.Webhook) error {
	now := db.clock()
	return db.update(ctx, "create webhook", func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM accounts WHERE id = $1 FOR NO KEY UPDATE`, w.AccountID).Scan(&one); err != nil {
			return err
		}
		var n int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM webhooks WHERE account_id = $1`, w.AccountID).Scan(&n); err != nil {
			return err
		}
		if n >= damask.MaxWebhooks {
			return damask.Errorf(damask.EINVALID, "An account may have %d webhooks", damask.MaxWebhooks)
		}
		var id int64
		if err := tx.QueryRow(ctx, `
			INSERT INTO webhooks (account_id, url, events, secret, active, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $6) RETURNING id`,
			w.AccountID, w.URL, list(w.Events), w.Secret, w.Active, now).Scan(&id); err != nil {
			return err
		}
		w.ID, w.CreatedAt, w.UpdatedAt, w.FailingSince = id, now, now, time.Time{}
		return nil
	})
}

// Webhook finds a webhook of the account.
func (db *DB) Webhook(ctx context.Context, accountID, id int64) (*damask.Webhook, error) {
	var w *damask.Webhook
	err := db.get(ctx, fmt.Sprintf("webhook %d", id), func(q querier) (err error) {
		w, err = scanWebhook(q.QueryRow(ctx,
			`SELECT `+webhookColumns+` FROM webhooks w WHERE w.account_id = $1 AND w.id = $2`, accountID, id))
		return err
	})
	return w, err
}

// Webhooks lists the account's webhooks by id.
func (db *DB) Webhooks(ctx context.Context, accountID int64) ([]*damask.Webhook, error) {
	var ws []*damask.Webhook
	err := db.get(ctx, fmt.Sprintf("webhooks of account %d", accountID), func(q querier) (err error) {
		ws, err = webhooksOf(ctx, q, accountID, false)
		return err
	})
	return ws, err
}

func webhooksOf(ctx context.Context, q querier, accountID int64, active bool) ([]*damask.Webhook, error) {
	where := ""
	if active {
		where = " AND w.active"
	}
	rows, err := q.Query(ctx, `SELECT `+webhookColumns+` FROM webhooks w WHERE w.account_id = $1`+where+` ORDER BY w.id`, accountID)
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
	return db.update(ctx, fmt.Sprintf("update webhook %d", w.ID), func(tx pgx.Tx) error {
		fresh, err := scanWebhook(tx.QueryRow(ctx, `
			UPDATE webhooks w SET url = $1, events = $2, active = $3, updated_at = $4,
				failing_since = CASE WHEN $3 AND NOT w.active THEN NULL ELSE w.failing_since END
			WHERE w.account_id = $5 AND w.id = $6
			RETURNING `+webhookColumns,
			w.URL, list(w.Events), w.Active, now, w.AccountID, w.ID))
		if err != nil {
			return err
		}
		*w = *fresh
		return nil
	})
}

// DeleteWebhook removes a webhook; its deliveries go with it.
func (db *DB) DeleteWebhook(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete webhook %d", id), func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `DELETE FROM webhooks WHERE account_id = $1 AND id = $2`, accountID, id)
		if err != nil {
			return err
		}
		return notFound(tag)
	})
}

// queueDeliveries queues, for each event, a delivery to every active
// webhook of its account that wants it, in the transaction that writes
// the events (writeEvents): a committed event is always delivered.
func queueDeliveries(ctx context.Context, tx pgx.Tx, evs []damask.Event) error {
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

func insertDelivery(ctx context.Context, tx pgx.Tx, d *damask.Delivery) error {
	err := tx.QueryRow(ctx, `
		INSERT INTO webhook_deliveries (webhook_id, account_id, event_id, event_type, event_at, actor_id,
			object, object_id, changed, state, run_after, give_up_at, created_at)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, 'queued', $10, $11, $12) RETURNING id`,
		d.WebhookID, d.AccountID, d.EventID, d.EventType, d.EventAt, nullID(d.ActorID),
		d.Object, d.ObjectID, list(d.Changed), d.RunAfter, d.GiveUpAt, d.CreatedAt).Scan(&d.ID)
	if err != nil {
		return fmt.Errorf("queue delivery of event %d to webhook %d: %w", d.EventID, d.WebhookID, err)
	}
	d.State = damask.DeliveryQueued
	return nil
}

// QueueDelivery stores a ping's delivery.
func (db *DB) QueueDelivery(ctx context.Context, d *damask.Delivery) error {
	now := db.clock()
	return db.update(ctx, "queue delivery", func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE account_id = $1 AND id = $2`, d.AccountID, d.WebhookID).Scan(&one); err != nil {
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

func scanDelivery(s pgx.Row) (*damask.Delivery, error) {
	var d damask.Delivery
	var dur int64
	if err := s.Scan(&d.ID, &d.WebhookID, &d.AccountID, &d.EventID, &d.EventType, timeCol{&d.EventAt}, &d.ActorID,
		&d.Object, &d.ObjectID, &d.Changed, &d.State, &d.Attempts, timeCol{&d.RunAfter}, timeCol{&d.LeaseUntil}, timeCol{&d.GiveUpAt},
		&d.Status, &dur, &d.Error, timeCol{&d.AttemptedAt}, timeCol{&d.CreatedAt}); err != nil {
		return nil, err
	}
	if len(d.Changed) == 0 {
		d.Changed = nil
	}
	d.Duration = time.Duration(dur)
	return &d, nil
}

// Deliveries lists a webhook's deliveries, newest first.
func (db *DB) Deliveries(ctx context.Context, accountID, webhookID int64, limit int) ([]*damask.Delivery, error) {
	var ds []*damask.Delivery
	err := db.view(ctx, fmt.Sprintf("deliveries of webhook %d", webhookID), func(tx pgx.Tx) error {
		ds = nil
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM webhooks WHERE account_id = $1 AND id = $2`, accountID, webhookID).Scan(&one); err != nil {
			return err
		}
		rows, err := tx.Query(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.webhook_id = $1 ORDER BY d.id DESC LIMIT $2`, webhookID, limit)
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
	err := db.get(ctx, fmt.Sprintf("delivery %d", id), func(q querier) (err error) {
		d, err = scanDelivery(q.QueryRow(ctx, `SELECT `+deliveryColumns+` FROM webhook_deliveries d
			WHERE d.account_id = $1 AND d.webhook_id = $2 AND d.id = $3`, accountID, webhookID, id))
		return err
	})
	return d, err
}

// Redeliver queues a finished delivery again.
func (db *DB) Redeliver(ctx context.Context, d *damask.Delivery, giveUpAt time.Time) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("redeliver %d", d.ID), func(tx pgx.Tx) error {
		fresh, err := scanDelivery(tx.QueryRow(ctx, `
			UPDATE webhook_deliveries d SET state = 'queued', attempts = 0, run_after = $1, give_up_at = $2, lease_until = NULL, worker = ''
			WHERE d.account_id = $3 AND d.webhook_id = $4 AND d.id = $5 AND d.state IN ('delivered', 'failed')
			RETURNING `+deliveryColumns, now, giveUpAt, d.AccountID, d.WebhookID, d.ID))
		if err != nil {
			return err
		}
		*d = *fresh
		return nil
	})
}

// ClaimDelivery takes the oldest due delivery whose object has nothing
// earlier pending. SKIP LOCKED lets workers claim beside each other; a
// delivery being claimed by another is still queued to this one's
// snapshot, so the later deliveries of its object stay blocked. One
// statement, committed without waiting for the disk (unsynced).
func (db *DB) ClaimDelivery(ctx context.Context, worker string, lease time.Duration) (*damask.Delivery, *damask.Webhook, error) {
	now := db.clock()
	var (
		d damask.Delivery
		w damask.Webhook
	)
	err := db.unsynced(ctx, "claim delivery", func(q querier) error {
		var dur int64
		err := q.QueryRow(ctx, `
			WITH d AS (
				UPDATE webhook_deliveries d SET state = 'running', worker = $2, lease_until = $3, attempts = d.attempts + 1
				WHERE d.id = (
					SELECT c.id FROM webhook_deliveries c JOIN webhooks w ON w.id = c.webhook_id
					WHERE c.state IN ('queued', 'running') AND w.active
						AND ((c.state = 'queued' AND c.run_after <= $1) OR (c.state = 'running' AND c.lease_until < $1))
						AND NOT EXISTS (SELECT 1 FROM webhook_deliveries e
							WHERE e.webhook_id = c.webhook_id AND e.object = c.object AND e.object_id = c.object_id
								AND e.id < c.id AND e.state IN ('queued', 'running'))
					ORDER BY c.id LIMIT 1
					FOR UPDATE OF c SKIP LOCKED)
				RETURNING d.*)
			SELECT `+deliveryColumns+`, `+webhookColumns+`
			FROM d JOIN webhooks w ON w.id = d.webhook_id`, now, worker, now.Add(lease)).Scan(
			&d.ID, &d.WebhookID, &d.AccountID, &d.EventID, &d.EventType, timeCol{&d.EventAt}, &d.ActorID,
			&d.Object, &d.ObjectID, &d.Changed, &d.State, &d.Attempts, timeCol{&d.RunAfter}, timeCol{&d.LeaseUntil}, timeCol{&d.GiveUpAt},
			&d.Status, &dur, &d.Error, timeCol{&d.AttemptedAt}, timeCol{&d.CreatedAt},
			&w.ID, &w.AccountID, &w.URL, &w.Events, &w.Secret, &w.Active,
			timeCol{&w.FailingSince}, timeCol{&w.CreatedAt}, timeCol{&w.UpdatedAt})
		if len(d.Changed) == 0 {
			d.Changed = nil
		}
		d.Duration = time.Duration(dur)
		return err
	})
	if err != nil {
		return nil, nil, err
	}
	return &d, &w, nil
}

// FinishDelivery records an attempt and the webhook's failing state, in
// one statement, and says whether it switched the webhook off: the
// webhook's row is written only when its state changes (a first failure,
// a success after failures, switched off), so that the deliveries of one
// webhook do not queue for its row. Of outcomes finishing at once, the
// one that switches it off holds the row; the others, reading it again
// once it is free, find it off already.
func (db *DB) FinishDelivery(ctx context.Context, id int64, worker string, o damask.DeliveryOutcome) (bool, error) {
	state := damask.DeliveryDelivered
	var runAfter any
	switch {
	case o.Delivered:
	case o.RetryAt.IsZero():
		state = damask.DeliveryFailed
	default:
		state, runAfter = damask.DeliveryQueued, o.RetryAt
	}
	var n, off int
	err := db.unsynced(ctx, fmt.Sprintf("finish delivery %d", id), func(q querier) error {
		// failing and off never write the same row (of two writes to
		// one row in a statement, PostgreSQL keeps one): failing
		// writes a success after failures or a first failure, off a
		// failure of a webhook failing since before the cut.
		err := q.QueryRow(ctx, `
			WITH d AS (
				UPDATE webhook_deliveries SET state = $1, run_after = coalesce($2, run_after), lease_until = NULL, worker = '',
					status = $3, duration = $4, error = $5, attempted_at = $6
				WHERE id = $7 AND worker = $8 AND state = 'running'
				RETURNING webhook_id),
			failing AS (
				UPDATE webhooks w SET failing_since = CASE WHEN $9 THEN NULL ELSE $6 END
				FROM d WHERE w.id = d.webhook_id
					AND (($9 AND w.failing_since IS NOT NULL) OR (NOT $9 AND w.failing_since IS NULL))
				RETURNING 1),
			off AS (
				UPDATE webhooks w SET active = false
				FROM d WHERE w.id = d.webhook_id
					AND NOT $9 AND w.active AND $10::timestamptz IS NOT NULL AND w.failing_since < $10
				RETURNING 1)
			SELECT (SELECT count(*) FROM d), (SELECT count(*) FROM off)`,
			state, runAfter, o.Status, int64(o.Duration), o.Error, o.At, id, worker,
			o.Delivered, timeValue(o.DisableFailingSince)).Scan(&n, &off)
		if err != nil {
			return err
		}
		if n == 0 {
			return damask.ErrNotFound
		}
		return nil
	})
	return off == 1, err
}

// unsynced runs fn in a transaction whose commit does not wait for its
// WAL to reach the disk (synchronous_commit off): for the deliveries'
// bookkeeping, where losing the last commits in a crash of the database
// loses nothing that at least once promises. A claim lost is claimed
// again, an outcome lost is tried again (a delivery sent twice, which
// receivers deduplicate by webhook-id); the event and its delivery were
// queued by a durable commit. It spares two fsyncs per delivery.
func (db *DB) unsynced(ctx context.Context, what string, fn func(q querier) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{BeginQuery: "BEGIN; SET LOCAL synchronous_commit = off"})
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, domainError(err))
	}
	if err := tx.Commit(ctx); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	return nil
}

// PruneDeliveries keeps the newest finished deliveries of each webhook,
// and refreshes the table's statistics.
func (db *DB) PruneDeliveries(ctx context.Context, keep int) (int, error) {
	var n int64
	err := db.update(ctx, "prune deliveries", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `
			DELETE FROM webhook_deliveries WHERE id IN (
				SELECT id FROM (
					SELECT id, state, row_number() OVER (PARTITION BY webhook_id ORDER BY id DESC) AS n
					FROM webhook_deliveries) r
				WHERE n > $1 AND state IN ('delivered', 'failed'))`, keep)
		if err != nil {
			return err
		}
		n = tag.RowsAffected()
		// Fresh statistics keep ClaimDelivery's plan a walk of the
		// queue in id order that stops at the first delivery it may
		// take (microseconds); without them, after a burst of new rows,
		// the planner may sort every pending delivery for each claim
		// (86 ms for 2,000). Autovacuum does the same, later.
		_, err = tx.Exec(ctx, `ANALYZE webhook_deliveries`)
		return err
	})
	return int(n), err
}
