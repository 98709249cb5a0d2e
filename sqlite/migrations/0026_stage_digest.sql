-- When the last daily digest of Stage activity was claimed (the end of
-- the activity it told; NULL: none yet). One row: a server claims the
-- next digest by moving sent_at from the value it read, so that a restart
-- does not send it again and, of several servers, one sends it.
CREATE TABLE stage_digest (
	id      INTEGER PRIMARY KEY CHECK (id = 1),
	sent_at INTEGER
);
INSERT INTO stage_digest (id, sent_at) VALUES (1, NULL);
