-- The event feed (issue 18), as in the SQLite store's migration of the
-- same name. Ids count per account from the account's row of
-- event_counters, bumped last in the writing transaction: its row lock,
-- held until commit, makes the account's next writer wait, so that ids
-- are handed out in the order the transactions commit and a reader never
-- sees id N+1 before N. The counter keeps the last id handed out even when
-- retention has removed every event.
CREATE TABLE event_counters (
	account_id bigint PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	last       bigint NOT NULL
);
CREATE TABLE events (
	account_id bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	id         bigint      NOT NULL,
	type       text        NOT NULL,
	created_at timestamptz NOT NULL,
	actor_id   bigint,
	object_id  bigint      NOT NULL,
	changed    text[]      NOT NULL DEFAULT '{}',
	PRIMARY KEY (account_id, id)
);
CREATE INDEX events_created_at ON events (created_at);
