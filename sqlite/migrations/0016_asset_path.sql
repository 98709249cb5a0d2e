-- The folder an asset sits in (assets.path: "photos/2024", '' at the top),
-- from an unpacked archive or a folder uploaded from a browser, searched
-- as path: with prefix semantics: path:photos is path = 'photos' or path
-- in the range ['photos/', 'photos0'), '0' being the byte after '/', which
-- the index below answers (SQLite compares text by its bytes). The second
-- index finds an account's asset by its current file, so that unpacking
-- skips the files the library holds already.
ALTER TABLE assets ADD COLUMN path TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_path ON assets (account_id, path) WHERE deleted_at IS NULL;
CREATE INDEX assets_current_blob ON assets (account_id, blob) WHERE deleted_at IS NULL;
