-- What an account stores and holds, kept as files and assets come and go,
-- so that the quota check of every upload reads a few rows instead of
-- summing every version of the library. Every version counts, in the trash
-- too, since its bytes are kept until it is purged; so do uploads that no
-- asset has used yet. assets_count counts the assets out of the trash.
--
-- Each account has 16 rows (slots), summed when read: a transaction adds
-- to the slot of its connection's backend, so that uploads committing at
-- once in one account do not queue for the lock of one row.
CREATE TABLE account_usage (
	account_id   bigint   NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
	slot         smallint NOT NULL,
	used_space   bigint   NOT NULL DEFAULT 0,
	assets_count bigint   NOT NULL DEFAULT 0,
	PRIMARY KEY (account_id, slot)
);

INSERT INTO account_usage (account_id, slot, used_space, assets_count)
SELECT acc.id, s.slot,
	CASE WHEN s.slot = 0 THEN
		(SELECT coalesce(sum(v.size), 0) FROM versions v JOIN assets a ON a.id = v.asset_id WHERE a.account_id = acc.id)
		+ (SELECT coalesce(sum(size), 0) FROM uploads WHERE account_id = acc.id)
	ELSE 0 END,
	CASE WHEN s.slot = 0 THEN
		(SELECT count(*) FROM assets WHERE account_id = acc.id AND deleted_at IS NULL)
	ELSE 0 END
FROM accounts acc CROSS JOIN generate_series(0, 15) AS s (slot);

CREATE FUNCTION account_usage_slots() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	INSERT INTO account_usage (account_id, slot) SELECT NEW.id, s FROM generate_series(0, 15) AS s;
	RETURN NULL;
END $$;
CREATE TRIGGER account_usage_slots AFTER INSERT ON accounts FOR EACH ROW EXECUTE FUNCTION account_usage_slots();

-- The statement triggers of inserts and deletes read the rows a statement
-- changed (transition tables), so that a bulk load by COPY counts in one
-- UPDATE per account.
-- account_usage_deltas holds what a statement changed, by account; each
-- trigger fills it from the tables its event has, and account_usage_apply
-- adds it to this backend's slot.
CREATE FUNCTION account_usage_apply(space_by_account jsonb, assets_by_account jsonb) RETURNS void LANGUAGE sql AS $$
	UPDATE account_usage u SET
		used_space = u.used_space + coalesce((space_by_account ->> u.account_id::text)::bigint, 0),
		assets_count = u.assets_count + coalesce((assets_by_account ->> u.account_id::text)::bigint, 0)
	WHERE u.slot = pg_backend_pid() % 16
		AND u.account_id IN (SELECT k::bigint FROM jsonb_object_keys(space_by_account || assets_by_account) AS k)
$$;

CREATE FUNCTION account_usage_versions() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
BEGIN
	-- A version deleted with its asset finds no asset here: its bytes are
	-- counted off by account_usage_asset_delete, before the asset goes.
	IF TG_OP = 'INSERT' THEN
		SELECT jsonb_object_agg(account_id, space) INTO d FROM (
			SELECT a.account_id, sum(n.size) AS space FROM new_rows n JOIN assets a ON a.id = n.asset_id GROUP BY 1) x;
	ELSE
		SELECT jsonb_object_agg(account_id, space) INTO d FROM (
			SELECT a.account_id, -sum(o.size) AS space FROM old_rows o JOIN assets a ON a.id = o.asset_id GROUP BY 1) x;
	END IF;
	IF d IS NOT NULL THEN
		PERFORM account_usage_apply(d, '{}');
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER account_usage_versions_insert AFTER INSERT ON versions
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_versions();
CREATE TRIGGER account_usage_versions_delete AFTER DELETE ON versions
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_versions();

CREATE FUNCTION account_usage_uploads() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
BEGIN
	IF TG_OP = 'INSERT' THEN
		SELECT jsonb_object_agg(account_id, space) INTO d FROM (
			SELECT account_id, sum(size) AS space FROM new_rows GROUP BY 1) x;
	ELSE
		SELECT jsonb_object_agg(account_id, space) INTO d FROM (
			SELECT account_id, -sum(size) AS space FROM old_rows GROUP BY 1) x;
	END IF;
	IF d IS NOT NULL THEN
		PERFORM account_usage_apply(d, '{}');
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER account_usage_uploads_insert AFTER INSERT ON uploads
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_uploads();
CREATE TRIGGER account_usage_uploads_delete AFTER DELETE ON uploads
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_uploads();

CREATE FUNCTION account_usage_assets() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
	d jsonb;
BEGIN
	-- Assets out of the trash: deleted_at IS NULL.
	IF TG_OP = 'INSERT' THEN
		SELECT jsonb_object_agg(account_id, n) INTO d FROM (
			SELECT account_id, count(*) AS n FROM new_rows WHERE deleted_at IS NULL GROUP BY 1) x;
	ELSE
		SELECT jsonb_object_agg(account_id, n) INTO d FROM (
			SELECT account_id, -count(*) AS n FROM old_rows WHERE deleted_at IS NULL GROUP BY 1) x;
	END IF;
	IF d IS NOT NULL THEN
		PERFORM account_usage_apply('{}', d);
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER account_usage_assets_insert AFTER INSERT ON assets
	REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_assets();
CREATE TRIGGER account_usage_assets_delete AFTER DELETE ON assets
	REFERENCING OLD TABLE AS old_rows FOR EACH STATEMENT EXECUTE FUNCTION account_usage_assets();

-- Updates, row by row, and only of the columns counted: the statement
-- triggers' transition tables would copy every row of every update (a
-- title edited, processing done).
CREATE FUNCTION account_usage_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	IF TG_TABLE_NAME = 'assets' THEN
		UPDATE account_usage SET assets_count = assets_count + CASE WHEN NEW.deleted_at IS NULL THEN 1 ELSE -1 END
		WHERE account_id = NEW.account_id AND slot = pg_backend_pid() % 16;
	ELSIF TG_TABLE_NAME = 'uploads' THEN
		UPDATE account_usage SET used_space = used_space - OLD.size + NEW.size
		WHERE account_id = NEW.account_id AND slot = pg_backend_pid() % 16;
	ELSE
		UPDATE account_usage SET used_space = used_space - OLD.size + NEW.size
		WHERE account_id = (SELECT account_id FROM assets WHERE id = NEW.asset_id) AND slot = pg_backend_pid() % 16;
	END IF;
	RETURN NULL;
END $$;
CREATE TRIGGER account_usage_assets_update AFTER UPDATE OF deleted_at ON assets FOR EACH ROW
	WHEN ((OLD.deleted_at IS NULL) <> (NEW.deleted_at IS NULL)) EXECUTE FUNCTION account_usage_update();
CREATE TRIGGER account_usage_uploads_update AFTER UPDATE OF size ON uploads FOR EACH ROW
	WHEN (OLD.size <> NEW.size) EXECUTE FUNCTION account_usage_update();
CREATE TRIGGER account_usage_versions_update AFTER UPDATE OF size ON versions FOR EACH ROW
	WHEN (OLD.size <> NEW.size) EXECUTE FUNCTION account_usage_update();

-- The bytes of an asset's versions, counted off before the asset and (by
-- the cascade) its versions go.
CREATE FUNCTION account_usage_asset_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
	UPDATE account_usage SET used_space = used_space - (SELECT coalesce(sum(size), 0) FROM versions WHERE asset_id = OLD.id)
	WHERE account_id = OLD.account_id AND slot = pg_backend_pid() % 16;
	RETURN OLD;
END $$;
CREATE TRIGGER account_usage_asset_delete BEFORE DELETE ON assets FOR EACH ROW EXECUTE FUNCTION account_usage_asset_delete();
