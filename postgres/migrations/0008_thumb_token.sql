-- The capability URLs of thumbnails and previews, as in the SQLite
-- store's migration 0014: each asset's secret, and the account's switch,
-- on by default as on fluxiom. Existing assets get their secret when the
-- store is opened (backfillThumbTokens), from Go's crypto/rand; the
-- partial index keeps the check of each later opening to a look at an
-- empty index.
ALTER TABLE accounts ADD COLUMN public_thumbnails boolean NOT NULL DEFAULT true;
ALTER TABLE assets ADD COLUMN thumb_token text NOT NULL DEFAULT '';
CREATE INDEX assets_thumb_token_missing ON assets (id) WHERE thumb_token = '';
