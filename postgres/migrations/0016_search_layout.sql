-- The layout of assets for search at a million assets (issue 20; the
-- measurements are in bench/notes.md).
--
-- A list walks the account's assets newest first and checks each one's
-- tsv until it has the newest matches. PostgreSQL moves a value out of
-- the row (TOAST, compressed) once the row passes 2 kB, which a tenth of
-- the assets with a longer text do: their tsv was then read from the
-- TOAST table and decompressed at every check, two thirds of the pages a
-- walk touched. Rows up to a page (8 kB) now keep it inline. Rows already
-- stored keep their layout until they are written again (VACUUM FULL
-- rewrites them all).
ALTER TABLE assets SET (toast_tuple_target = 8160);

-- A tag is now searched through its links (asset_tags_tag, newest first);
-- the GIN index of tag_ids answered no search better, and cost every
-- write of an asset an update of it.
DROP INDEX assets_tag_ids;

-- filename: and camera: are answered by their own columns, with their own
-- indexes: through tsv (its words of weight D, then the column checked)
-- the planner multiplied two estimates of the same condition, took a
-- common camera word for a rare one, and fetched and sorted every asset
-- with the word anywhere in its lowest-weighted text (5,611 buffers at
-- 100k assets, ten times that at 1M) instead of walking the newest ones
-- (2,232).
CREATE INDEX assets_tsv_filename ON assets USING gin (tsv_filename);
CREATE INDEX assets_tsv_camera ON assets USING gin (tsv_camera);
