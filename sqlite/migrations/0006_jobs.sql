-- Background processing: the job queue, what processing finds, and the
-- renditions it makes.

-- One job per version to process. A worker claims a job for a lease
-- (state running, lease_until); a running job whose lease has passed is
-- claimable again, so a worker killed mid-job leaves it to be retried.
-- worker names the lease's holder, so that a worker whose lease was taken
-- over records nothing.
CREATE TABLE jobs (
	id          INTEGER PRIMARY KEY, -- in creation order: oldest first is id
	account_id  INTEGER NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	asset_id    INTEGER NOT NULL REFERENCES assets (id) ON DELETE CASCADE,
	version     INTEGER NOT NULL,
	blob        BLOB    NOT NULL,
	state       TEXT    NOT NULL, -- queued, running, done, failed
	attempts    INTEGER NOT NULL DEFAULT 0,
	run_after   INTEGER NOT NULL,
	lease_until INTEGER,
	worker      TEXT    NOT NULL DEFAULT '',
	last_error  TEXT    NOT NULL DEFAULT '',
	created_at  INTEGER NOT NULL,
	updated_at  INTEGER NOT NULL
);
-- What ClaimJob looks through: the unfinished jobs only.
CREATE INDEX jobs_runnable ON jobs (run_after, id) WHERE state = 'queued';
CREATE INDEX jobs_leased ON jobs (lease_until) WHERE state = 'running';
CREATE INDEX jobs_asset ON jobs (asset_id);

-- Renditions are keyed by the source file and a size name from the fixed
-- table of media.Sizes, so identical files share them.
CREATE TABLE renditions (
	source    BLOB    NOT NULL,
	size      TEXT    NOT NULL,
	rendition BLOB    NOT NULL,
	width     INTEGER NOT NULL,
	height    INTEGER NOT NULL,
	PRIMARY KEY (source, size)
) WITHOUT ROWID;
CREATE INDEX renditions_rendition ON renditions (rendition);

-- What processing found, besides the columns of 0002.
ALTER TABLE assets ADD COLUMN processing_error TEXT NOT NULL DEFAULT '';
ALTER TABLE assets ADD COLUMN pixel_width  INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN pixel_height INTEGER NOT NULL DEFAULT 0;
ALTER TABLE assets ADD COLUMN duration     INTEGER NOT NULL DEFAULT 0; -- nanoseconds
ALTER TABLE assets ADD COLUMN page_count   INTEGER NOT NULL DEFAULT 0;
