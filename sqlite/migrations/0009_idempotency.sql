-- The Idempotency-Keys of creates: one row per key of a user, written in
-- the transaction that creates the resource (resource_id is set at its
-- end), deleted by the housework a day later. kind and resource_id name
-- what was created; for a version, resource_id is its asset and number
-- its number. request is the SHA-256 fingerprint of the request.
CREATE TABLE idempotency_keys (
	account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	key         TEXT    NOT NULL,
	request     BLOB    NOT NULL,
	kind        TEXT    NOT NULL,
	resource_id INTEGER NOT NULL DEFAULT 0,
	number      INTEGER NOT NULL DEFAULT 0,
	created_at  INTEGER NOT NULL,
	PRIMARY KEY (account_id, user_id, key)
) WITHOUT ROWID;
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);
