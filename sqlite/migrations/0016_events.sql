-- The event feed (issue 18): every change of an account written as an
-- event in the change's own transaction. Ids count per account from the
-- account's row of event_counters, bumped last in the transaction; the
-- counter keeps the last id handed out even when retention has removed
-- every event, so that a reader far behind is told so. actor_id is not a
-- foreign key: an event outlives the user who made it.
CREATE TABLE event_counters (
	account_id INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	last       INTEGER NOT NULL
);
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
CREATE INDEX events_created_at ON events (created_at);
