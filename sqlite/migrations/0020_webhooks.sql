-- Webhooks (issue 18): an account's subscriptions to its events, and the
-- deliveries the writes of events queue for them, in the same
-- transaction. events is the webhook's filters, comma-separated. A
-- delivery copies its event, so that it outlives the feed's retention; its
-- object (kind and id) orders the deliveries of one webhook: the workers
-- take none while an earlier one of the same object is pending.
CREATE TABLE webhooks (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	url           TEXT    NOT NULL,
	events        TEXT    NOT NULL,
	secret        TEXT    NOT NULL,
	active        INTEGER NOT NULL DEFAULT 1,
	failing_since INTEGER,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
CREATE INDEX webhooks_account ON webhooks (account_id, id);
CREATE TABLE webhook_deliveries (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	webhook_id   INTEGER NOT NULL REFERENCES webhooks (id) ON DELETE CASCADE,
	account_id   INTEGER NOT NULL,
	event_id     INTEGER NOT NULL,
	event_type   TEXT    NOT NULL,
	event_at     INTEGER NOT NULL,
	actor_id     INTEGER,
	object       TEXT    NOT NULL,
	object_id    INTEGER NOT NULL,
	changed      TEXT    NOT NULL DEFAULT '',
	state        TEXT    NOT NULL,
	attempts     INTEGER NOT NULL DEFAULT 0,
	run_after    INTEGER NOT NULL,
	lease_until  INTEGER,
	worker       TEXT    NOT NULL DEFAULT '',
	give_up_at   INTEGER NOT NULL,
	status       INTEGER NOT NULL DEFAULT 0,
	duration     INTEGER NOT NULL DEFAULT 0,
	error        TEXT    NOT NULL DEFAULT '',
	attempted_at INTEGER,
	created_at   INTEGER NOT NULL
);
CREATE INDEX webhook_deliveries_log ON webhook_deliveries (webhook_id, id);
CREATE INDEX webhook_deliveries_pending ON webhook_deliveries (webhook_id, object, object_id, id)
	WHERE state IN ('queued', 'running');
CREATE INDEX webhook_deliveries_queue ON webhook_deliveries (id) WHERE state IN ('queued', 'running');
