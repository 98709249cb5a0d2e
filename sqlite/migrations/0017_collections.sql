-- Collections: ordered sets of assets chosen by hand, or saved searches
-- (query not empty, no rows in collection_assets). AUTOINCREMENT so that
-- an id is never given again after a delete: a link, a Stage or a guest's
-- limit naming an old collection must never reach a new one.
CREATE TABLE collections (
	id          INTEGER PRIMARY KEY AUTOINCREMENT,
	account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	title       TEXT    NOT NULL,
	description TEXT    NOT NULL DEFAULT '',
	query       TEXT    NOT NULL DEFAULT '',
	user_id     INTEGER REFERENCES users (id) ON DELETE SET NULL,
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
CREATE INDEX collections_account ON collections (account_id, title COLLATE NOCASE, id);
CREATE INDEX collections_user ON collections (user_id) WHERE user_id IS NOT NULL;

-- The assets of an ordered set, by position. An asset in the trash keeps
-- its rows (hidden by the queries, which join assets outside the trash);
-- purged, its rows go with it.
CREATE TABLE collection_assets (
	collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	asset_id      INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	position      INTEGER NOT NULL,
	PRIMARY KEY (collection_id, asset_id)
) WITHOUT ROWID;
CREATE INDEX collection_assets_order ON collection_assets (collection_id, position, asset_id);
CREATE INDEX collection_assets_asset ON collection_assets (asset_id);

-- A guest limited to collections (collections_only) sees only the assets
-- of the collections listed here: none once they are all deleted, never
-- the whole library again by a delete.
ALTER TABLE users ADD COLUMN collections_only INTEGER NOT NULL DEFAULT 0;
CREATE TABLE user_collections (
	user_id       INTEGER NOT NULL REFERENCES users (id) ON DELETE CASCADE,
	collection_id INTEGER NOT NULL REFERENCES collections (id) ON DELETE CASCADE,
	PRIMARY KEY (user_id, collection_id)
) WITHOUT ROWID;
CREATE INDEX user_collections_collection ON user_collections (collection_id);
