-- What an account stores and holds, kept as files and assets come and go,
-- so that the quota check of every upload reads one row instead of
-- summing every version of the library (0.1 s at 100,000 assets, growing
-- with the library). Every version counts, in the trash too, since its
-- bytes are kept until it is purged; so do uploads that no asset has used
-- yet. assets_count counts the assets out of the trash. The triggers below
-- keep the row right on every path that writes those tables.
CREATE TABLE account_usage (
	account_id   INTEGER PRIMARY KEY REFERENCES accounts (id) ON DELETE CASCADE,
	used_space   INTEGER NOT NULL DEFAULT 0,
	assets_count INTEGER NOT NULL DEFAULT 0
);

INSERT INTO account_usage (account_id, used_space, assets_count)
SELECT acc.id,
	(SELECT coalesce(sum(v.size), 0) FROM versions v JOIN assets a ON a.id = v.asset_id WHERE a.account_id = acc.id)
	+ (SELECT coalesce(sum(size), 0) FROM uploads WHERE account_id = acc.id),
	(SELECT count(*) FROM assets WHERE account_id = acc.id AND deleted_at IS NULL)
FROM accounts acc;

CREATE TRIGGER account_usage_account AFTER INSERT ON accounts
BEGIN INSERT INTO account_usage (account_id) VALUES (NEW.id); END;

CREATE TRIGGER account_usage_version_insert AFTER INSERT ON versions
BEGIN
	UPDATE account_usage SET used_space = used_space + NEW.size
	WHERE account_id = (SELECT account_id FROM assets WHERE id = NEW.asset_id);
END;
-- A version deleted on its own; those of an asset being deleted are
-- counted off by account_usage_asset_delete (its row is gone by then, so
-- this finds no account).
CREATE TRIGGER account_usage_version_delete AFTER DELETE ON versions
BEGIN
	UPDATE account_usage SET used_space = used_space - OLD.size
	WHERE account_id = (SELECT account_id FROM assets WHERE id = OLD.asset_id);
END;
CREATE TRIGGER account_usage_version_size AFTER UPDATE OF size ON versions
BEGIN
	UPDATE account_usage SET used_space = used_space - OLD.size + NEW.size
	WHERE account_id = (SELECT account_id FROM assets WHERE id = NEW.asset_id);
END;

CREATE TRIGGER account_usage_asset_insert AFTER INSERT ON assets WHEN NEW.deleted_at IS NULL
BEGIN UPDATE account_usage SET assets_count = assets_count + 1 WHERE account_id = NEW.account_id; END;
CREATE TRIGGER account_usage_asset_trash AFTER UPDATE OF deleted_at ON assets
WHEN (OLD.deleted_at IS NULL) != (NEW.deleted_at IS NULL)
BEGIN
	UPDATE account_usage SET assets_count = assets_count + CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END
	WHERE account_id = NEW.account_id;
END;
CREATE TRIGGER account_usage_asset_delete BEFORE DELETE ON assets
BEGIN
	UPDATE account_usage SET
		used_space = used_space - (SELECT coalesce(sum(size), 0) FROM versions WHERE asset_id = OLD.id),
		assets_count = assets_count - (OLD.deleted_at IS NULL)
	WHERE account_id = OLD.account_id;
END;

CREATE TRIGGER account_usage_upload_insert AFTER INSERT ON uploads
BEGIN UPDATE account_usage SET used_space = used_space + NEW.size WHERE account_id = NEW.account_id; END;
CREATE TRIGGER account_usage_upload_delete AFTER DELETE ON uploads
BEGIN UPDATE account_usage SET used_space = used_space - OLD.size WHERE account_id = OLD.account_id; END;
CREATE TRIGGER account_usage_upload_size AFTER UPDATE OF size ON uploads
BEGIN UPDATE account_usage SET used_space = used_space - OLD.size + NEW.size WHERE account_id = NEW.account_id; END;
