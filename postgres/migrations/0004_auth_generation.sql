-- Generation counters of what a request's sign-in reads, as in the SQLite
-- store's migration 0011: servers keep accounts, users and tokens in
-- memory and check with one tiny read that nothing changed since, on any
-- server. The triggers update the one row in the writer's transaction, so
-- that the new count becomes visible with the new rows and not before (a
-- sequence would be seen before the commit, and a reader could then keep
-- the old rows under the new count). They run once a statement.
CREATE TABLE generation (
	id       integer PRIMARY KEY CHECK (id = 1),
	auth     bigint  NOT NULL,
	failures bigint  NOT NULL
);
INSERT INTO generation (id, auth, failures) VALUES (1, 1, 1);

CREATE FUNCTION bump_auth_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE generation SET auth = auth + 1 WHERE id = 1;
	RETURN NULL;
END $$;

CREATE FUNCTION bump_failures_generation() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE generation SET failures = failures + 1 WHERE id = 1;
	RETURN NULL;
END $$;

CREATE TRIGGER accounts_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON accounts
FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER users_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON users
FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
-- A token's last use is written as it is used and changes nothing of who
-- may sign in: every other column counts.
CREATE TRIGGER tokens_generation
AFTER INSERT OR DELETE OR TRUNCATE
	OR UPDATE OF id, account_id, user_id, name, read_only, prefix, hash, created_at, expires_at, revoked_at
ON tokens FOR EACH STATEMENT EXECUTE FUNCTION bump_auth_generation();
CREATE TRIGGER sign_in_failures_generation AFTER INSERT OR UPDATE OR DELETE OR TRUNCATE ON sign_in_failures
FOR EACH STATEMENT EXECUTE FUNCTION bump_failures_generation();
