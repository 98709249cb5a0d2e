-- Who made an asset's public link, as in the SQLite store's migration
-- 0012: the link serves the file only while that user may download
-- originals. Links made before are counted as made by the asset's
-- uploader, or by the account's holder when the uploader is gone. The
-- index serves the SET NULL of a user's deletion.
ALTER TABLE assets ADD COLUMN public_link_by bigint REFERENCES users (id) ON DELETE SET NULL;
UPDATE assets SET public_link_by = coalesce(user_id,
	(SELECT holder_id FROM accounts WHERE accounts.id = assets.account_id))
WHERE public_token <> '';
CREATE INDEX assets_public_link_by ON assets (public_link_by) WHERE public_link_by IS NOT NULL;
