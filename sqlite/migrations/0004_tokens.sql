-- Personal API tokens. Only the SHA-256 of a secret is kept; prefix is
-- its first characters, for display. A token goes with its user.
CREATE TABLE tokens (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	read_only    INTEGER NOT NULL DEFAULT 0,
	prefix       TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER, -- NULL: never
	last_used_at INTEGER,
	revoked_at   INTEGER
);
CREATE INDEX tokens_user ON tokens (account_id, user_id, id);
