-- Counters of failed sign-ins, one row per key (an account's login, an
-- account's source address), so that every process on the file counts the
-- same failures. count grows in one UPSERT; a row whose window ended
-- (ends_at, unix nanoseconds) starts again at 1, and the housework removes
-- the ended ones.
CREATE TABLE sign_in_failures (
	key     TEXT    NOT NULL PRIMARY KEY,
	count   INTEGER NOT NULL,
	ends_at INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX sign_in_failures_ends ON sign_in_failures (ends_at);

-- One row per file a user is sending, for the cap on uploads at once: the
-- server renews expires_at while the file arrives, so that the uploads of
-- a server that died are freed when their rows expire.
CREATE TABLE upload_leases (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id    INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	expires_at INTEGER NOT NULL
);
CREATE INDEX upload_leases_user ON upload_leases (user_id, expires_at);
CREATE INDEX upload_leases_expires ON upload_leases (expires_at);
