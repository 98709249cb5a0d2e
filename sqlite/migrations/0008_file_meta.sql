-- The rest of what a file says of itself: the mapped fields the asset
-- document shows (meta, JSON of damask.FileMeta) and exiftool's whole
-- answer, bounded (meta_raw, JSON), kept for what later needs.
ALTER TABLE assets ADD COLUMN meta     TEXT NOT NULL DEFAULT '{}';
ALTER TABLE assets ADD COLUMN meta_raw TEXT NOT NULL DEFAULT '{}';
