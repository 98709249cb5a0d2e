-- Search: what media processing extracts, and the full-text index.

ALTER TABLE assets ADD COLUMN width     INTEGER; -- pixels; NULL when unknown
ALTER TABLE assets ADD COLUMN height    INTEGER;
ALTER TABLE assets ADD COLUMN camera    TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN taken_at  INTEGER;
ALTER TABLE assets ADD COLUMN latitude  REAL;    -- both NULL without a location
ALTER TABLE assets ADD COLUMN longitude REAL;
ALTER TABLE assets ADD COLUMN text      TEXT NOT NULL DEFAULT ''; -- metadata and document words

-- One row per asset outside the trash, rowid = assets.id, written in the
-- same transaction as the asset (see reindex in search.go). Besides the
-- text columns it holds filter tokens, so that a whole query, account and
-- tags included, is one MATCH that FTS5 answers in rowid order (newest
-- first) without sorting:
--   acct    "a<account id>"
--   kind    image, video, audio, document or other
--   ext     the filename's extension
--   owner   "u<uploader id>"
--   tagids  "t<tag id>" for each tag
-- Contentless: the text lives in assets already; contentless_delete lets
-- a row be replaced.
CREATE VIRTUAL TABLE assets_fts USING fts5(
	title, description, filename, tags, camera, body,
	acct, kind, ext, owner, tagids,
	content = '',
	contentless_delete = 1,
	tokenize = 'porter unicode61 remove_diacritics 2',
	prefix = '2 3'
);

-- Derived from content_type and filename when they are written (kind
-- by search.KindOf); '' marks rows written before this step, which Open
-- fills in and indexes.
ALTER TABLE assets ADD COLUMN kind TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN ext  TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_unindexed ON assets (id) WHERE kind = '';
