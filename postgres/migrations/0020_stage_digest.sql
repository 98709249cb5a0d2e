-- When the last daily digest of Stage activity was claimed, as in the
-- SQLite store's migration of the same name: one row, moved from the value
-- a server read by one conditional update.
CREATE TABLE stage_digest (
	id      integer PRIMARY KEY CHECK (id = 1),
	sent_at timestamptz
);
INSERT INTO stage_digest (id, sent_at) VALUES (1, NULL);
