package postgres

import (
	"cmp"
	"context"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// CreateAssets stores many assets in one transaction. The rows go in by
// COPY: the assets through a temporary table, from which one INSERT makes
// their search columns in the server, then their versions, tag links and
// jobs straight into their tables. Ids are taken from the assets' sequence
// first, so that every row can name its asset.
func (db *DB) CreateAssets(ctx context.Context, as []*damask.Asset) error {
	now := db.clock()
	// The planner's idea of the table's size, before the load.
	var known float64
	if err := db.pool.QueryRow(ctx, `SELECT reltuples FROM pg_class WHERE oid = 'assets'::regclass`).Scan(&known); err != nil {
		return fmt.Errorf("postgres: create %d assets: %w", len(as), err)
	}
	if err := db.createAssets(ctx, as, now); err != nil {
		return err
	}
	// A load of a tenth of the table or more changes what the planner
	// must know (how common each word and tag is), and autovacuum may
	// take long to notice: the statistics are made now. Smaller loads
	// are left to autovacuum, and a long series of them (dev seed) ends
	// with Analyze. The load is committed by then: should the vacuum
	// fail (the caller gone, say), the statistics are left to autovacuum
	// rather than a load that happened reported as failed.
	if len(as) > 0 && float64(len(as)) >= known/10 {
		_ = db.Analyze(ctx)
	}
	return nil
}

// createAssets is the transaction of CreateAssets.
func (db *DB) createAssets(ctx context.Context, as []*damask.Asset, now time.Time) error {
	return db.updateEvents(ctx, fmt.Sprintf("create %d assets", len(as)), func(tx pgx.Tx, ev *eventLog) error {
		return insertAssets(ctx, tx, ev, as, now)
	})
}

// insertAssets is the work of CreateAssets inside a transaction of the
// caller's, so that a change made of many assets (an Inbox's submission)
// writes them with the rest of it.
func insertAssets(ctx context.Context, tx pgx.Tx, ev *eventLog, as []*damask.Asset, now time.Time) error {
	if len(as) == 0 {
		return nil
	}
	// The tag counts are added up here, once, rather than by the
	// trigger once per link (see migrations/0001_init.sql).
	if _, err := tx.Exec(ctx, `SELECT set_config('damask.bulk', 'on', true)`); err != nil {
		return err
	}
	ids, err := column[int64](ctx, tx, `
		SELECT nextval(pg_get_serial_sequence('assets', 'id')) FROM generate_series(1, $1)`, len(as))
	if err != nil {
		return fmt.Errorf("take ids: %w", err)
	}
	slices.Sort(ids) // ids grow with the order of the assets, as created_on expects

	tagIDs := map[string]int64{} // by lower-case name, within this call
	added := map[int64]int{}     // links made, by tag id
	staged := make([][]any, len(as))
	var versions, links, jobs [][]any
	for i, a := range as {
		a.ID = ids[i]
		created, updated := a.CreatedAt, a.UpdatedAt
		if created.IsZero() {
			created = now
		}
		if updated.IsZero() {
			updated = created
		}
		a.Version, a.CreatedAt, a.UpdatedAt = 1, created.UTC(), updated.UTC()

		own := []int64{}
		names := make([]string, len(a.Tags))
		for j, t := range a.Tags {
			key := strings.ToLower(t.Name)
			id, ok := tagIDs[key]
			if !ok {
				if id, err = tagID(ctx, tx, ev, a.AccountID, t.Name, now); err != nil {
					return fmt.Errorf("tag %q: %w", t.Name, err)
				}
				tagIDs[key] = id
			}
			a.Tags[j].ID, a.Tags[j].AccountID = id, a.AccountID
			names[j] = t.Name
			own = append(own, id)
		}
		slices.Sort(own)
		own = slices.Compact(own)
		for _, id := range own {
			added[id]++
			links = append(links, []any{a.ID, id})
		}

		var width, height, lat, lon any
		if a.Width > 0 && a.Height > 0 {
			width, height = int32(a.Width), int32(a.Height)
		}
		if a.GPS != nil {
			lat, lon = a.GPS.Latitude, a.GPS.Longitude
		}
		parts, weights := document(a.Title, a.Description, a.Filename, a.Camera, a.Text, names, a.Meta.MetaTexts())
		kind, ext := kindAndExt(a.ContentType, a.Filename)
		staged[i] = []any{a.ID, a.AccountID, a.Title, a.Description, a.Filename, a.ContentType,
			a.Size, a.Blob[:], nullID(a.UserID), a.PublicToken, nullID(a.PublicLinkBy), a.Processing, a.CreatedAt, a.UpdatedAt,
			width, height, a.Camera, timeValue(a.TakenAt), lat, lon, a.Text, kind, ext,
			own, parts, weights, folded(a.Filename), folded(a.Camera), damask.EnsureThumbToken(a), a.Path}
		versions = append(versions, []any{a.ID, int32(1), a.Filename, a.ContentType, a.Size, a.Blob[:], "",
			nullID(a.UserID), a.CreatedAt})
		if a.Processing == damask.ProcessingPending {
			jobs = append(jobs, []any{a.AccountID, a.ID, int32(1), a.Blob[:], damask.JobQueued, now, now, now})
		}
	}

	if _, err := tx.Exec(ctx, `
		CREATE TEMPORARY TABLE damask_bulk (
			id bigint, account_id bigint, title text, description text, filename text, content_type text,
			size bigint, blob bytea, user_id bigint, public_token text, public_link_by bigint, processing text,
			created_at timestamptz, updated_at timestamptz,
			width integer, height integer, camera text, taken_at timestamptz,
			latitude double precision, longitude double precision, text text, kind text, ext text,
			tag_ids bigint[], parts text[], weights text[], tsv_filename text, tsv_camera text, thumb_token text, path text
		) ON COMMIT DROP`); err != nil {
		return err
	}
	cols := []string{"id", "account_id", "title", "description", "filename", "content_type",
		"size", "blob", "user_id", "public_token", "public_link_by", "processing", "created_at", "updated_at",
		"width", "height", "camera", "taken_at", "latitude", "longitude", "text", "kind", "ext",
		"tag_ids", "parts", "weights", "tsv_filename", "tsv_camera", "thumb_token", "path"}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"damask_bulk"}, cols, pgx.CopyFromRows(staged)); err != nil {
		return fmt.Errorf("copy assets: %w", err)
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO assets (id, account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext,
			tag_ids, tsv, tsv_filename, tsv_camera, thumb_token, path)
		SELECT id, account_id, title, description, filename, content_type,
			size, blob, 1, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext,
			tag_ids, damask_tsv(parts, weights), to_tsvector('damask', tsv_filename), to_tsvector('damask', tsv_camera),
			thumb_token, path
		FROM damask_bulk ORDER BY id`); err != nil {
		return fmt.Errorf("insert assets: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"versions"},
		[]string{"asset_id", "number", "filename", "content_type", "size", "blob", "comment", "user_id", "created_at"},
		pgx.CopyFromRows(versions)); err != nil {
		return fmt.Errorf("copy versions: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"asset_tags"}, []string{"asset_id", "tag_id"},
		pgx.CopyFromRows(links)); err != nil {
		return fmt.Errorf("copy tag links: %w", err)
	}
	if _, err := tx.CopyFrom(ctx, pgx.Identifier{"jobs"},
		[]string{"account_id", "asset_id", "version", "blob", "state", "run_after", "created_at", "updated_at"},
		pgx.CopyFromRows(jobs)); err != nil {
		return fmt.Errorf("copy jobs: %w", err)
	}

	// Every asset made is outside the trash, so each link counts.
	tagIDList, counts := make([]int64, 0, len(added)), make([]int64, 0, len(added))
	for id, n := range added {
		tagIDList, counts = append(tagIDList, id), append(counts, int64(n))
	}
	if _, err := tx.Exec(ctx, `
		UPDATE tags SET assets_count = assets_count + u.n
		FROM unnest($1::bigint[], $2::bigint[]) AS u(id, n) WHERE tags.id = u.id`, tagIDList, counts); err != nil {
		return fmt.Errorf("count tags: %w", err)
	}
	_, err = tx.Exec(ctx, `SELECT set_config('damask.bulk', 'off', true)`)
	if err != nil {
		return err
	}
	// One asset.created each, after the tag.created of the tags made;
	// grouped by account, as writeEvents asks.
	for _, a := range as {
		ev.add(a.AccountID, damask.EventAssetCreated, a.ID)
	}
	slices.SortStableFunc(ev.evs, func(a, b damask.Event) int { return cmp.Compare(a.AccountID, b.AccountID) })
	return nil
}

// analyzed are the tables a bulk load fills: CreateAssets and Import.
const analyzed = "assets, asset_tags, versions, tags, jobs"

// Analyze makes the planner's statistics of the tables bulk loads fill
// (ANALYZE): how many rows, how common each word of tsv is, how many
// links each tag has. Without them, straight after a load by COPY, every search
// is planned as if the tables were empty, and a list of a million assets
// takes seconds instead of milliseconds; autovacuum makes them in time,
// but on a busy server that time is minutes.
//
// It vacuums them too (VACUUM (ANALYZE)): that marks the loaded pages
// all-visible, so that the links of a tag are read from their index
// alone (an index-only scan) rather than each looked up in the table, and
// empties the GIN indexes' lists of pending entries, which every search
// reads whole until then.
func (db *DB) Analyze(ctx context.Context) error {
	if _, err := db.pool.Exec(ctx, "VACUUM (ANALYZE) "+analyzed); err != nil {
		return fmt.Errorf("postgres: vacuum and analyze %s: %w", analyzed, err)
	}
	return nil
}
