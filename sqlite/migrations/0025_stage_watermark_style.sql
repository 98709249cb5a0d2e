-- Where a Stage's watermark is drawn (center, a corner, or tiled over the
-- picture) and how strongly, in percent (10 to 100).
ALTER TABLE stages ADD COLUMN watermark_position TEXT NOT NULL DEFAULT 'center';
ALTER TABLE stages ADD COLUMN watermark_opacity INTEGER NOT NULL DEFAULT 45;
