-- Ids are never reused (API.md, "XML and JSON"). This store's identity
-- sequences never hand an id out twice, but a library moved here from
-- SQLite before SQLite kept its highest ids (its migration 0015) started
-- each sequence at the highest id left, below those removed just before
-- the move. As SQLite's 0015 does, each sequence is raised past the ids
-- that the audit log and the Idempotency-Keys name: removed assets, tags,
-- users and tokens, users since gone, what was created in the last day.
-- A sequence already past them is left alone; none is ever lowered.
SELECT setval(t.seq, t.trace)
FROM (
	SELECT pg_get_serial_sequence(x.name, 'id')::regclass AS seq, x.trace
	FROM (VALUES
		('assets', greatest(
			(SELECT max(substring(target FROM '^asset ([0-9]{1,18})')::bigint) FROM audit_events WHERE target LIKE 'asset %'),
			(SELECT max(resource_id) FROM idempotency_keys WHERE kind IN ('asset', 'version')))),
		('tags', greatest(
			(SELECT max(substring(target FROM '^tag ([0-9]{1,18})')::bigint) FROM audit_events WHERE target LIKE 'tag %'),
			(SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'tag'))),
		('users', greatest(
			(SELECT max(substring(target FROM '^user ([0-9]{1,18})')::bigint) FROM audit_events WHERE target LIKE 'user %'),
			(SELECT max(user_id) FROM audit_events),
			(SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'user'))),
		('tokens', greatest(
			(SELECT max(substring(target FROM '^token ([0-9]{1,18})')::bigint) FROM audit_events WHERE target LIKE 'token %'),
			(SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'token'))),
		('uploads', (SELECT max(resource_id) FROM idempotency_keys WHERE kind = 'upload'))
	) AS x (name, trace)
) AS t
WHERE t.trace > coalesce(pg_sequence_last_value(t.seq), 0);
