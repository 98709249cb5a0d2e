-- The capability URLs of thumbnails and previews (thumb_url, preview_url):
-- each asset's secret, and the account's switch, on by default as on
-- fluxiom. Existing assets get their secret when the store is opened
-- (backfillThumbTokens), from Go's crypto/rand; the partial index keeps
-- the check of each later opening to a look at an empty index.
ALTER TABLE accounts ADD COLUMN public_thumbnails INTEGER NOT NULL DEFAULT 1;
ALTER TABLE assets ADD COLUMN thumb_token TEXT NOT NULL DEFAULT '';
CREATE INDEX assets_thumb_token_missing ON assets (id) WHERE thumb_token = '';
