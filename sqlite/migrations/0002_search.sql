-- Search: what media processing extracts, and the full-text index.

ALTER TABLE assets ADD COLUMN width     INTEGER; -- pixels; NULL when unknown
ALTER TABLE assets ADD COLUMN height    INTEGER;
ALTER TABLE assets ADD COLUMN camera    TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN taken_at  INTEGER;
ALTER TABLE assets ADD COLUMN latitude  REAL;    -- both NULL without a location
ALTER TABLE assets ADD COLUMN longitude REAL;
ALTER TABLE assets ADD COLUMN text      TEXT NOT NULL DEFAULT ''; -- metadata and document words

-- The full-text index is one FTS5 table per account, fts_<account id>,
-- made by the program (see sqlite/search.go) when an account is created
-- and, for accounts made before this step, at Open.

-- Derived from content_type and filename when they are written (kind
-- by search.KindOf); '' marks rows written before this step, which Open
-- fills in and indexes.
ALTER TABLE assets ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN ext  TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_unindexed ON assets (id) WHERE kind = '';

-- Tag counts are kept by triggers in the transaction that changes them,
-- so that a list of tags, or a tag looked up by name, reads a number
-- instead of counting a popular tag's assets each time. Every way a count
-- can change goes through one of these: a link made or removed (an asset's
-- tags set, a tag deleted, an asset purged) or an asset entering or
-- leaving the trash. Assets in the trash do not count.
ALTER TABLE tags ADD COLUMN assets_count INTEGER NOT NULL DEFAULT 0;
UPDATE tags SET assets_count = (SELECT count(*) FROM asset_tags x JOIN assets a ON a.id = x.asset_id
	WHERE x.tag_id = tags.id AND a.deleted_at IS NULL);

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
