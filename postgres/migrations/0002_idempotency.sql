-- The Idempotency-Keys of creates, as in the SQLite store's migration
-- 0009: one row per key of a user, inserted as the first step of the
-- transaction that creates the resource (a concurrent create with the same
-- key waits on the primary key until that transaction ends) and completed
-- at its end; deleted by the housework a day later.
CREATE TABLE idempotency_keys (
	account_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key         text        NOT NULL,
	request     bytea       NOT NULL,
	kind        text        NOT NULL,
	resource_id bigint      NOT NULL DEFAULT 0,
	number      integer     NOT NULL DEFAULT 0,
	created_at  timestamptz NOT NULL,
	PRIMARY KEY (account_id, user_id, key)
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
