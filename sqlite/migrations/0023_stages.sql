-- Stages (issue 16): a collection published at an unguessable address.
-- token is the address's secret; each recipient has one of their own.
-- A Stage whose collection is deleted keeps its row (and log) with no
-- collection: it answers as gone. AUTOINCREMENT: ids never given again.
CREATE TABLE stages (
	id              INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id      INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	token           TEXT    NOT NULL UNIQUE,
	title           TEXT    NOT NULL,
	message         TEXT    NOT NULL DEFAULT '',
	collection_id   INTEGER REFERENCES collections (id) ON DELETE SET NULL,
	password_hash   TEXT    NOT NULL DEFAULT '',
	expires_at      INTEGER,
	downloads       TEXT    NOT NULL,
	watermark       TEXT    NOT NULL DEFAULT '',
	user_id         INTEGER REFERENCES users (id) ON DELETE SET NULL,
	views_count     INTEGER NOT NULL DEFAULT 0,
	downloads_count INTEGER NOT NULL DEFAULT 0,
	created_at      INTEGER NOT NULL,
	updated_at      INTEGER NOT NULL,
	revoked_at      INTEGER
);
CREATE INDEX stages_account ON stages (account_id, id);
CREATE INDEX stages_collection ON stages (collection_id) WHERE collection_id IS NOT NULL;
CREATE INDEX stages_user ON stages (user_id) WHERE user_id IS NOT NULL;

CREATE TABLE stage_recipients (
	stage_id INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
	email    TEXT    NOT NULL,
	token    TEXT    NOT NULL UNIQUE,
	position INTEGER NOT NULL,
	PRIMARY KEY (stage_id, email)
) WITHOUT ROWID;

-- The access log: what was seen or downloaded, by whom, from where.
CREATE TABLE stage_log (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL,
	stage_id   INTEGER NOT NULL REFERENCES stages (id) ON DELETE CASCADE,
	at         INTEGER NOT NULL,
	recipient  TEXT    NOT NULL DEFAULT '',
	address    TEXT    NOT NULL DEFAULT '',
	action     TEXT    NOT NULL,
	asset_id   INTEGER NOT NULL DEFAULT 0,
	what       TEXT    NOT NULL DEFAULT ''
);
CREATE INDEX stage_log_stage ON stage_log (stage_id, id);
CREATE INDEX stage_log_at ON stage_log (at);
