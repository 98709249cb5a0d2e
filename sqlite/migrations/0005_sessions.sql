-- Web sessions, and sign-in with an OpenID Connect provider.

-- A signed-in browser. The cookie holds a random secret; only its SHA-256
-- is kept here. password_fp fingerprints the user's password hash when the
-- session began, so that a new password ends older sessions.
CREATE TABLE sessions (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	token_hash   BLOB    NOT NULL UNIQUE,
	password_fp  TEXT    NOT NULL DEFAULT '',
	method       TEXT    NOT NULL DEFAULT '',
	user_agent   TEXT    NOT NULL DEFAULT '',
	source       TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	last_seen_at INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL,
	idle_ns      INTEGER NOT NULL
);
CREATE INDEX sessions_user ON sessions (account_id, user_id);
CREATE INDEX sessions_expires ON sessions (expires_at);

-- An account's OpenID Connect provider. domains is a comma-separated list
-- of lowercase e-mail domains; auto_create a role, or '' for nobody.
CREATE TABLE oidc_configs (
	account_id    INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	issuer        TEXT    NOT NULL,
	client_id     TEXT    NOT NULL,
	client_secret TEXT    NOT NULL,
	domains       TEXT    NOT NULL DEFAULT '',
	auto_create   TEXT    NOT NULL DEFAULT '',
	updated_at    INTEGER NOT NULL
);

-- Sign-ins under way at a provider, each used once; key_hash is the
-- SHA-256 of the browser's cookie.
CREATE TABLE oidc_logins (
	key_hash     BLOB    PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	state        TEXT    NOT NULL,
	nonce        TEXT    NOT NULL,
	verifier     TEXT    NOT NULL,
	redirect_url TEXT    NOT NULL,
	expires_at   INTEGER NOT NULL
) WITHOUT ROWID;
CREATE INDEX oidc_logins_expires ON oidc_logins (expires_at);
