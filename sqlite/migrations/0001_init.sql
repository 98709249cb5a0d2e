-- The first schema. Times are UTC unix nanoseconds (NULL for "never");
-- blob refs are the 32 bytes of the SHA-256. Names compared without regard
-- to case use COLLATE NOCASE, so that UNIQUE and lookups agree (ASCII only).

CREATE TABLE accounts (
	id                    INTEGER PRIMARY KEY,
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
	updated_at            INTEGER NOT NULL
);

CREATE TABLE users (
	id            INTEGER PRIMARY KEY,
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
CREATE UNIQUE INDEX users_login ON users (account_id, login);
-- A user without an e-mail address does not collide with another one.
CREATE UNIQUE INDEX users_email ON users (account_id, email) WHERE email <> '';

CREATE TABLE tags (
	id         INTEGER PRIMARY KEY,
	account_id INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	name       TEXT    NOT NULL COLLATE NOCASE,
	created_at INTEGER NOT NULL
);
CREATE UNIQUE INDEX tags_name ON tags (account_id, name);

-- The file columns (filename .. version) mirror the current version, so
-- that lists sort and show assets without a join.
CREATE TABLE assets (
	id           INTEGER PRIMARY KEY, -- in creation order: newest first is id DESC
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	title        TEXT    NOT NULL DEFAULT '',
	description  TEXT    NOT NULL DEFAULT '',
	filename     TEXT    NOT NULL DEFAULT '',
	content_type TEXT    NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	blob         BLOB    NOT NULL,
	version      INTEGER NOT NULL,
	user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
	public_token TEXT    NOT NULL DEFAULT '',
	processing   TEXT    NOT NULL DEFAULT '',
	created_at   INTEGER NOT NULL,
	updated_at   INTEGER NOT NULL,
	deleted_at   INTEGER -- NULL outside the trash
);
CREATE INDEX assets_account ON assets (account_id, deleted_at);
CREATE INDEX assets_trash ON assets (deleted_at) WHERE deleted_at IS NOT NULL;
CREATE UNIQUE INDEX assets_public_token ON assets (public_token) WHERE public_token <> '';

CREATE TABLE asset_tags (
	asset_id INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	tag_id   INTEGER NOT NULL REFERENCES tags (id) ON DELETE CASCADE,
	PRIMARY KEY (asset_id, tag_id)
) WITHOUT ROWID;
CREATE INDEX asset_tags_tag ON asset_tags (tag_id, asset_id);

CREATE TABLE versions (
	id           INTEGER PRIMARY KEY,
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
CREATE UNIQUE INDEX versions_number ON versions (asset_id, number);
CREATE INDEX versions_blob ON versions (blob);

CREATE TABLE uploads (
	id           INTEGER PRIMARY KEY,
	account_id   INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id      INTEGER REFERENCES users (id) ON DELETE SET NULL,
	filename     TEXT    NOT NULL DEFAULT '',
	content_type TEXT    NOT NULL DEFAULT '',
	size         INTEGER NOT NULL DEFAULT 0,
	blob         BLOB    NOT NULL,
	created_at   INTEGER NOT NULL,
	expires_at   INTEGER NOT NULL
);
CREATE INDEX uploads_account ON uploads (account_id);
CREATE INDEX uploads_blob ON uploads (blob);
CREATE INDEX uploads_expires ON uploads (expires_at);
