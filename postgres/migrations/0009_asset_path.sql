-- The folder an asset sits in, as in the SQLite store's migration of the
-- same name: assets.path ("photos/2024", '' at the top), searched as
-- path: with prefix semantics, path = 'photos' or path in the range
-- ['photos/', 'photos0') compared byte by byte (COLLATE "C", whatever the
-- database's collation), which the first index answers; the second finds
-- an account's asset by its current file, so that unpacking skips the
-- files the library holds already.
ALTER TABLE assets ADD COLUMN path text NOT NULL DEFAULT '';
CREATE INDEX assets_path ON assets (account_id, (path COLLATE "C")) WHERE deleted_at IS NULL;
CREATE INDEX assets_current_blob ON assets (account_id, blob) WHERE deleted_at IS NULL;
