-- Job stages: a version's job makes its thumbnails (stage 0), then is
-- queued again for the rest (stage 1), behind every job still at stage 0,
-- so that a batch shows all its thumbnails before any large preview.
ALTER TABLE jobs ADD COLUMN stage integer NOT NULL DEFAULT 0;
-- What ClaimJob walks: the queued jobs in the order it takes them.
DROP INDEX jobs_runnable;
CREATE INDEX jobs_runnable ON jobs (stage, id) WHERE state = 'queued';
