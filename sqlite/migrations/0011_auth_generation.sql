-- Generation counters of what a request's sign-in reads, so that a server
-- may keep accounts, users and tokens in memory and check with one tiny
-- read that none has changed since, whichever process changed it (another
-- server, `damask user disable` beside the server). auth counts changes of
-- accounts, users and tokens; failures counts changes of the throttle's
-- counters, apart, so that a guesser's failures do not empty the cache of
-- every other sign-in. The triggers bump them in the writer's transaction:
-- a reader that sees the new row sees the new count.
CREATE TABLE generation (
	id       INTEGER PRIMARY KEY CHECK (id = 1),
	auth     INTEGER NOT NULL,
	failures INTEGER NOT NULL
);
INSERT INTO generation (id, auth, failures) VALUES (1, 1, 1);

CREATE TRIGGER accounts_generation_insert AFTER INSERT ON accounts
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER accounts_generation_update AFTER UPDATE ON accounts
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER accounts_generation_delete AFTER DELETE ON accounts
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;

CREATE TRIGGER users_generation_insert AFTER INSERT ON users
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER users_generation_update AFTER UPDATE ON users
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER users_generation_delete AFTER DELETE ON users
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;

-- A token's last use is written as it is used and changes nothing of who
-- may sign in: every other column counts.
CREATE TRIGGER tokens_generation_insert AFTER INSERT ON tokens
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER tokens_generation_update
AFTER UPDATE OF id, account_id, user_id, name, read_only, prefix, hash, created_at, expires_at, revoked_at ON tokens
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;
CREATE TRIGGER tokens_generation_delete AFTER DELETE ON tokens
BEGIN UPDATE generation SET auth = auth + 1 WHERE id = 1; END;

CREATE TRIGGER sign_in_failures_generation_insert AFTER INSERT ON sign_in_failures
BEGIN UPDATE generation SET failures = failures + 1 WHERE id = 1; END;
CREATE TRIGGER sign_in_failures_generation_update AFTER UPDATE ON sign_in_failures
BEGIN UPDATE generation SET failures = failures + 1 WHERE id = 1; END;
CREATE TRIGGER sign_in_failures_generation_delete AFTER DELETE ON sign_in_failures
BEGIN UPDATE generation SET failures = failures + 1 WHERE id = 1; END;
