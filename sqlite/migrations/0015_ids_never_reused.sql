-- Ids are never reused (API.md, "XML and JSON"): a client keeps ids, and
-- a stale one must miss, not name another object. A plain INTEGER PRIMARY
-- KEY gives the next row the largest id plus one, so the newest row's id
-- came back after it was deleted; AUTOINCREMENT keeps the highest id ever
-- given in sqlite_sequence and never goes below it. Every table whose ids
-- the API or the web shows is rebuilt with it, by SQLite's procedure for
-- changes ALTER TABLE cannot make (https://sqlite.org/lang_altertable.html,
-- "Making Other Kinds Of Table Schema Changes"): the runner (migrate.go)
-- turns foreign keys off around the step and checks them before it
-- commits; here each table is made anew, filled with every row and id,
-- the old one dropped and the new one renamed; then its indexes and
-- triggers are made again. Ids stay as they were, so the links to them
-- stay: foreign keys name the tables, and each account's search index
-- (fts_<account id>, contentless) holds an asset by its id as rowid.
-- Sessions, jobs and upload leases keep their plain keys: no client sees
-- them.

-- The triggers that are on the rebuilt tables or read them: dropped first,
-- since renaming a table checks every trigger of the file against tables
-- not all made again yet, and made again at the end.
DROP TRIGGER asset_tags_count_insert;
DROP TRIGGER asset_tags_count_delete;
DROP TRIGGER assets_count_trash;
DROP TRIGGER assets_count_restore;
DROP TRIGGER accounts_generation_insert;
DROP TRIGGER accounts_generation_update;
DROP TRIGGER accounts_generation_delete;
DROP TRIGGER users_generation_insert;
DROP TRIGGER users_generation_update;
DROP TRIGGER users_generation_delete;
DROP TRIGGER tokens_generation_insert;
DROP TRIGGER tokens_generation_update;
DROP TRIGGER tokens_generation_delete;

CREATE TABLE new_accounts (
	id                    INTEGER PRIMARY KEY AUTOINCREMENT,
	name                  TEXT    NOT NULL COLLATE NOCASE UNIQUE,
	company_name          TEXT    NOT NULL DEFAULT '',
	billing_email         TEXT    NOT NULL DEFAULT '',
	country               TEXT    NOT NULL DEFAULT '',
	plan                  TEXT    NOT NULL DEFAULT '',
	api_enabled           INTEGER NOT NULL DEFAULT 0,
	-- Set right after the holder is inserted; NULL only if the holder is deleted.
	holder_id             INTEGER REFERENCES users (id) ON DELETE SET NULL,
	public_links          INTEGER NOT NULL DEFAULT 0,
	branding_title        TEXT    NOT NULL DEFAULT '',
	branding_font_color   TEXT    NOT NULL DEFAULT '',
	branding_top_color    TEXT    NOT NULL DEFAULT '',
	branding_bottom_color TEXT    NOT NULL DEFAULT '',
	branding_logo         TEXT    NOT NULL DEFAULT '',
	branding_updated_at   INTEGER,
	created_at            INTEGER NOT NULL,
	updated_at            INTEGER NOT NULL,
	keywords_to_tags      INTEGER NOT NULL DEFAULT 1,
	public_thumbnails     INTEGER NOT NULL DEFAULT 1
);
INSERT INTO new_accounts (id, name, company_name, billing_email, country, plan, api_enabled, holder_id,
	public_links, branding_title, branding_font_color, branding_top_color, branding_bottom_color,
	branding_logo, branding_updated_at, created_at, updated_at, keywords_to_tags, public_thumbnails)
SELECT id, name, company_name, billing_email, country, plan, api_enabled, holder_id,
	public_links, branding_title, branding_font_color, branding_top_color, branding_bottom_color,
	branding_logo, branding_updated_at, created_at, updated_at, keywords_to_tags, public_thumbnails
FROM accounts;
DROP TABLE accounts;
ALTER TABLE new_accounts RENAME TO accounts;

CREATE TABLE new_users (
	id            INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id    INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	login         TEXT    NOT NULL COLLATE NOCASE,
	email         TEXT    NOT NULL COLLATE NOCASE,
	first_name    TEXT    NOT NULL DEFAULT '',
	last_name     TEXT    NOT NULL DEFAULT '',
	role          TEXT    NOT NULL,
	password_hash TEXT    NOT NULL DEFAULT '',
	disabled      INTEGER NOT NULL DEFAULT 0,
	created_at    INTEGER NOT NULL,
	updated_at    INTEGER NOT NULL
);
INSERT INTO new_users (id, account_id, login, email, first_name, last_name, role, password_hash,
	disabled, created_at, updated_at)
SELECT id, account_id, login, email, first_name, last_name, role, password_hash,
	disabled, created_at, updated_at
FROM users;
DROP TABLE users;
ALTER TABLE new_users RENAME TO users;
CREATE UNIQUE INDEX users_login ON users (account_id, login);
-- A user without an e-mail address does not collide with another one.
CREATE UNIQUE INDEX users_email ON users (account_id, email) WHERE email <> '';

CREATE TABLE new_tags (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL COLLATE NOCASE,
	created_at   INTEGER NOT NULL,
	assets_count INTEGER NOT NULL DEFAULT 0
);
INSERT INTO new_tags (id, account_id, name, created_at, assets_count)
SELECT id, account_id, name, created_at, assets_count FROM tags;
DROP TABLE tags;
ALTER TABLE new_tags RENAME TO tags;
CREATE UNIQUE INDEX tags_name ON tags (account_id, name);

-- The file columns (filename .. version) mirror the current version, so
-- that lists sort and show assets without a join.
CREATE TABLE new_assets (
	id               INTEGER PRIMARY KEY AUTOINCREMENT, -- in creation order: newest first is id DESC
	account_id       INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	title            TEXT    NOT NULL DEFAULT '',
	description      TEXT    NOT NULL DEFAULT '',
	filename         TEXT    NOT NULL DEFAULT '',
	content_type     TEXT    NOT NULL DEFAULT '',
	size             INTEGER NOT NULL DEFAULT 0,
	blob             BLOB    NOT NULL,
	version          INTEGER NOT NULL,
	user_id          INTEGER REFERENCES users (id) ON DELETE SET NULL,
	public_token     TEXT    NOT NULL DEFAULT '',
	processing       TEXT    NOT NULL DEFAULT '',
	created_at       INTEGER NOT NULL,
	updated_at       INTEGER NOT NULL,
	deleted_at       INTEGER, -- NULL outside the trash
	width            INTEGER, -- pixels; NULL when unknown
	height           INTEGER,
	camera           TEXT    NOT NULL DEFAULT '',
	taken_at         INTEGER,
	latitude         REAL,    -- both NULL without a location
	longitude        REAL,
	text             TEXT    NOT NULL DEFAULT '', -- metadata and document words
	kind             TEXT    NOT NULL DEFAULT '',
	ext              TEXT    NOT NULL DEFAULT '',
	processing_error TEXT    NOT NULL DEFAULT '',
	pixel_width      INTEGER NOT NULL DEFAULT 0,
	pixel_height     INTEGER NOT NULL DEFAULT 0,
	duration         INTEGER NOT NULL DEFAULT 0, -- nanoseconds
	page_count       INTEGER NOT NULL DEFAULT 0,
	meta             TEXT    NOT NULL DEFAULT '{}',
	meta_raw         TEXT    NOT NULL DEFAULT '{}',
	public_link_by   INTEGER REFERENCES users (id) ON DELETE SET NULL,
	thumb_token      TEXT    NOT NULL DEFAULT ''
);
INSERT INTO new_assets (id, account_id, title, description, filename, content_type, size, blob, version,
	user_id, public_token, processing, created_at, updated_at, deleted_at, width, height, camera, taken_at,
	latitude, longitude, text, kind, ext, processing_error, pixel_width, pixel_height, duration, page_count,
	meta, meta_raw, public_link_by, thumb_token)
SELECT id, account_id, title, description, filename, content_type, size, blob, version,
	user_id, public_token, processing, created_at, updated_at, deleted_at, width, height, camera, taken_at,
	latitude, longitude, text, kind, ext, processing_error, pixel_width, pixel_height, duration, page_count,
	meta, meta_raw, public_link_by, thumb_token
FROM assets;
DROP TABLE assets;
ALTER TABLE new_assets RENAME TO assets;
CREATE INDEX assets_account ON assets (account_id, deleted_at);
CREATE INDEX assets_trash ON assets (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE UNIQUE INDEX assets_public_token ON assets (public_token) WHERE public_token <> '';
CREATE INDEX assets_unindexed ON assets (id) WHERE kind = '';
CREATE INDEX assets_public_link_by ON assets (public_link_by) WHERE public_link_by IS NOT NULL;
CREATE INDEX assets_thumb_token_missing ON assets (id) WHERE thumb_token = '';

CREATE TABLE new_versions (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	asset_id     INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	number       INTEGER NOT NULL,
	filename     TEXT    NOT NULL DEFAULT '',
	content_type TEXT    NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	blob         BLOB    NOT NULL,
	comment      TEXT    NOT NULL DEFAULT '',
	user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at   INTEGER NOT NULL
);
INSERT INTO new_versions (id, asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
SELECT id, asset_id, number, filename, content_type, size, blob, comment, user_id, created_at FROM versions;
DROP TABLE versions;
ALTER TABLE new_versions RENAME TO versions;
CREATE UNIQUE INDEX versions_number ON versions (asset_id, number);
CREATE INDEX versions_blob ON versions (blob);

CREATE TABLE new_uploads (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
	filename     TEXT    NOT NULL DEFAULT '',
	content_type TEXT    NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	blob         BLOB    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
INSERT INTO new_uploads (id, account_id, user_id, filename, content_type, size, blob, created_at, expires_at)
SELECT id, account_id, user_id, filename, content_type, size, blob, created_at, expires_at FROM uploads;
DROP TABLE uploads;
ALTER TABLE new_uploads RENAME TO uploads;
CREATE INDEX uploads_account ON uploads (account_id);
CREATE INDEX uploads_blob ON uploads (blob);
CREATE INDEX uploads_expires ON uploads (expires_at);

-- The audit log: security events of each account, newest first.
CREATE TABLE new_audit_events (
	id         INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id    INTEGER, -- not a foreign key: the event outlives the user
	action     TEXT    NOT NULL,
	target     TEXT    NOT NULL DEFAULT '',
	detail     TEXT    NOT NULL DEFAULT '',
	source     TEXT    NOT NULL DEFAULT '',
	at         INTEGER NOT NULL
);
INSERT INTO new_audit_events (id, account_id, user_id, action, target, detail, source, at)
SELECT id, account_id, user_id, action, target, detail, source, at FROM audit_events;
DROP TABLE audit_events;
ALTER TABLE new_audit_events RENAME TO audit_events;
CREATE INDEX audit_events_account ON audit_events (account_id, id);

-- Personal API tokens. Only the SHA-256 of a secret is kept; prefix is
-- its first characters, for display. A token goes with its user.
CREATE TABLE new_tokens (
	id           INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id      INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	name         TEXT    NOT NULL,
	read_only    INTEGER NOT NULL DEFAULT 0,
	prefix       TEXT    NOT NULL,
	hash         BLOB    NOT NULL UNIQUE,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER, -- NULL: never
	last_used_at INTEGER,
	revoked_at   INTEGER
);
INSERT INTO new_tokens (id, account_id, user_id, name, read_only, prefix, hash, created_at, expires_at,
	last_used_at, revoked_at)
SELECT id, account_id, user_id, name, read_only, prefix, hash, created_at, expires_at,
	last_used_at, revoked_at
FROM tokens;
DROP TABLE tokens;
ALTER TABLE new_tokens RENAME TO tokens;
CREATE INDEX tokens_user ON tokens (account_id, user_id, id);

-- The triggers, as 0002 and 0011 made them.
CREATE TRIGGER asset_tags_count_insert AFTER INSERT ON asset_tags
WHEN EXISTS (SELECT 1 FROM assets WHERE id = NEW.asset_id AND deleted_at IS NULL)
BEGIN
	UPDATE tags SET assets_count = assets_count + 1 WHERE id = NEW.tag_id;
END;

-- A purged asset is gone (and was in the trash) by the time its links go.
CREATE TRIGGER asset_tags_count_delete AFTER DELETE ON asset_tags
WHEN EXISTS (SELECT 1 FROM assets WHERE id = OLD.asset_id AND deleted_at IS NULL)
BEGIN
	UPDATE tags SET assets_count = assets_count - 1 WHERE id = OLD.tag_id;
END;

CREATE TRIGGER assets_count_trash AFTER UPDATE OF deleted_at ON assets
WHEN OLD.deleted_at IS NULL AND NEW.deleted_at IS NOT NULL
BEGIN
	UPDATE tags SET assets_count = assets_count - 1
	WHERE id IN (SELECT tag_id FROM asset_tags WHERE asset_id = NEW.id);
END;

CREATE TRIGGER assets_count_restore AFTER UPDATE OF deleted_at ON assets
WHEN OLD.deleted_at IS NOT NULL AND NEW.deleted_at IS NULL
BEGIN
	UPDATE tags SET assets_count = assets_count + 1
	WHERE id IN (SELECT tag_id FROM asset_tags WHERE asset_id = NEW.id);
END;

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

-- Copying the rows started each table's sequence at its highest id. Ids
-- deleted before this step left traces elsewhere that raise it further:
-- the audit log names deleted assets, tags, users and tokens, keeps the
-- ids of users since gone, and the Idempotency-Keys of a day name what
-- was created. (A deleted id with no trace cannot be known.)
INSERT INTO sqlite_sequence (name, seq)
SELECT t.name, 0 FROM (SELECT 'accounts' AS name UNION ALL SELECT 'users' UNION ALL SELECT 'tags'
	UNION ALL SELECT 'assets' UNION ALL SELECT 'versions' UNION ALL SELECT 'uploads'
	UNION ALL SELECT 'audit_events' UNION ALL SELECT 'tokens') t
WHERE t.name NOT IN (SELECT name FROM sqlite_sequence);

UPDATE sqlite_sequence SET seq = max(seq,
	coalesce((SELECT max(CAST(substr(target, 7) AS INTEGER)) FROM audit_events WHERE target LIKE 'asset %'), 0),
	coalesce((SELECT max(resource_id) FROM idempotency_keys WHERE kind IN ('asset', 'version')), 0))
WHERE name = 'assets';
UPDATE sqlite_sequence SET seq = max(seq,
	coalesce((SELECT max(CAST(substr(target, 5) AS INTEGER)) FROM audit_events WHERE target LIKE 'tag %'), 0),
	coalesce((SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'tag'), 0))
WHERE name = 'tags';
UPDATE sqlite_sequence SET seq = max(seq,
	coalesce((SELECT max(CAST(substr(target, 6) AS INTEGER)) FROM audit_events WHERE target LIKE 'user %'), 0),
	coalesce((SELECT max(user_id) FROM audit_events), 0),
	coalesce((SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'user'), 0))
WHERE name = 'users';
UPDATE sqlite_sequence SET seq = max(seq,
	coalesce((SELECT max(CAST(substr(target, 7) AS INTEGER)) FROM audit_events WHERE target LIKE 'token %'), 0),
	coalesce((SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'token'), 0))
WHERE name = 'tokens';
UPDATE sqlite_sequence SET seq = max(seq,
	coalesce((SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'upload'), 0))
WHERE name = 'uploads';
