-- Inboxes: public upload forms. token is the secret of the address,
-- unique in the whole library; AUTOINCREMENT so that an id is never given
-- again after a delete.
CREATE TABLE inboxes (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	token         TEXT    NOT NULL UNIQUE,
	title         TEXT    NOT NULL,
	message       TEXT    NOT NULL DEFAULT '',
	password_hash TEXT    NOT NULL DEFAULT '',
	expires_at    INTEGER,
	tags          TEXT    NOT NULL DEFAULT '',
	max_file_size INTEGER NOT NULL DEFAULT 0,
	max_files     INTEGER NOT NULL DEFAULT 0,
	uploads_count INTEGER NOT NULL DEFAULT 0,
	user_id       INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL,
	revoked_at    INTEGER
);
CREATE INDEX inboxes_account ON inboxes (account_id, id);
CREATE INDEX inboxes_user ON inboxes (user_id) WHERE user_id IS NOT NULL;
