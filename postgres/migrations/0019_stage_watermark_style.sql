-- Where a Stage's watermark is drawn (center, a corner, or tiled over the
-- picture) and how strongly, in percent (10 to 100), as in the SQLite
-- store's migration of the same name.
ALTER TABLE stages ADD COLUMN watermark_position text NOT NULL DEFAULT 'center';
ALTER TABLE stages ADD COLUMN watermark_opacity integer NOT NULL DEFAULT 45;
