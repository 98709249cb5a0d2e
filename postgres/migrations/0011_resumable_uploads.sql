-- Resumable uploads (the tus protocol): a file announced with its length
-- and sent in pieces. received is how many bytes are durable in the blob
-- store's partial file, hash_state the SHA-256 of those bytes as
-- crypto/sha256's MarshalBinary, so that a restarted server goes on
-- hashing where it stopped. The rest is what the sender said of its file
-- (Upload-Metadata) and, once complete, the upload and the asset it
-- became; report is what unpacking it made (JSON, as library writes it;
-- null without an unpack). An upload belongs to its user: it goes with the user.
CREATE TABLE resumable_uploads (
	id          text        PRIMARY KEY,
	account_id  bigint      NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	user_id     bigint      NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	length      bigint      NOT NULL,
	received    bigint      NOT NULL DEFAULT 0,
	hash_state  bytea       NOT NULL,
	filename    text        NOT NULL DEFAULT '',
	title       text        NOT NULL DEFAULT '',
	tags        text        NOT NULL DEFAULT '',
	asset_id    bigint      NOT NULL DEFAULT 0,
	unpack      boolean     NOT NULL DEFAULT false,
	path        text        NOT NULL DEFAULT '',
	path_tags   boolean     NOT NULL DEFAULT false,
	make_asset  boolean     NOT NULL DEFAULT false,
	upload_id   bigint      NOT NULL DEFAULT 0,
	made_asset  bigint      NOT NULL DEFAULT 0,
	report      bytea,
	created_at  timestamptz NOT NULL,
	expires_at  timestamptz NOT NULL
);
CREATE INDEX resumable_uploads_expires ON resumable_uploads (expires_at);
CREATE INDEX resumable_uploads_user ON resumable_uploads (user_id);
