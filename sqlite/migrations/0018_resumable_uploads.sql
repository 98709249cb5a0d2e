-- Resumable uploads (the tus protocol): a file announced with its length
-- and sent in pieces. received is how many bytes are durable in the blob
-- store's partial file, hash_state the SHA-256 of those bytes as
-- crypto/sha256's MarshalBinary, so that a restarted server goes on
-- hashing where it stopped. The rest is what the sender said of its file
-- (Upload-Metadata) and, once complete, the upload and the asset it
-- became; report is what unpacking it made (JSON, as library writes it;
-- empty without an unpack). An upload belongs to its user: it goes with the user.
CREATE TABLE resumable_uploads (
	id          TEXT    PRIMARY KEY,
	account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id     INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	length      INTEGER NOT NULL,
	received    INTEGER NOT NULL DEFAULT 0,
	hash_state  BLOB    NOT NULL,
	filename    TEXT    NOT NULL DEFAULT '',
	title       TEXT    NOT NULL DEFAULT '',
	tags        TEXT    NOT NULL DEFAULT '',
	asset_id    INTEGER NOT NULL DEFAULT 0,
	unpack      INTEGER NOT NULL DEFAULT 0,
	path        TEXT    NOT NULL DEFAULT '',
	path_tags   INTEGER NOT NULL DEFAULT 0,
	make_asset  INTEGER NOT NULL DEFAULT 0,
	upload_id   INTEGER NOT NULL DEFAULT 0,
	made_asset  INTEGER NOT NULL DEFAULT 0,
	report      BLOB,
	created_at  INTEGER NOT NULL,
	expires_at  INTEGER NOT NULL
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
