-- The event feed (issue 18): every change of an account written as an
-- event in the change's own transaction. SQLite has one writer at a time,
-- so the next id of an account is its highest plus one, taken in the
-- insert itself; retention always keeps an account's newest event, so
-- that ids never come back. actor_id is not a foreign key: an event
-- outlives the user who made it. No index on created_at: the hourly
-- retention reads the table once rather than every write paying for an
-- index page.
CREATE TABLE events (
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	id         INTEGER NOT NULL,
	type       TEXT    NOT NULL,
	created_at INTEGER NOT NULL,
	actor_id   INTEGER,
	object_id  INTEGER NOT NULL,
	changed    TEXT    NOT NULL DEFAULT '',
	PRIMARY KEY (account_id, id)
) WITHOUT ROWID;
