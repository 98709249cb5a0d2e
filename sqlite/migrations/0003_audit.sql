-- The audit log: security events of each account, newest first.
CREATE TABLE audit_events (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id    INTEGER, -- not a foreign key: the event outlives the user
	action     TEXT    NOT NULL,
	target     TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT '',
	source     TEXT    NOT NULL DEFAULT '',
	at         INTEGER NOT NULL
);
CREATE INDEX audit_events_account ON audit_events (account_id, id);
