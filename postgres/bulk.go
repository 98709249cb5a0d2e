package postgres

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"github.com/jackc/pgx/v5"

	"damask"
)

// bulkBatch is how many assets CreateAssets sends in one round trip.
const bulkBatch = 500

// CreateAssets stores many assets in one transaction, sending their rows in
// batches (one round trip for hundreds of assets) and writing each one's
// search columns as it goes in.
func (db *DB) CreateAssets(ctx context.Context, as []*damask.Asset) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("create %d assets", len(as)), func(tx pgx.Tx) error {
		// The tag counts are added up here, once, rather than by the
		// trigger once per link (see migrations/0001_init.sql).
		if _, err := tx.Exec(ctx, `SELECT set_config('damask.bulk', 'on', true)`); err != nil {
			return err
		}
		tagIDs := map[string]int64{} // by lower-case name, within this call
		added := map[int64]int{}     // links made, by tag id
		for start := 0; start < len(as); start += bulkBatch {
			chunk := as[start:min(start+bulkBatch, len(as))]
			// The tags first, so that each asset goes in with its tag_ids.
			links := make([][]int64, len(chunk))
			for i, a := range chunk {
				for j, t := range a.Tags {
					key := strings.ToLower(t.Name)
					id, ok := tagIDs[key]
					if !ok {
						var err error
						if id, err = tagID(ctx, tx, a.AccountID, t.Name, now); err != nil {
							return fmt.Errorf("tag %q: %w", t.Name, err)
						}
						tagIDs[key] = id
					}
					a.Tags[j].ID, a.Tags[j].AccountID = id, a.AccountID
					links[i] = append(links[i], id)
				}
				slices.Sort(links[i])
				links[i] = slices.Compact(links[i])
				if links[i] == nil {
					links[i] = []int64{}
				}
				for _, id := range links[i] {
					added[id]++
				}
			}

			var b pgx.Batch
			for i, a := range chunk {
				created, updated := a.CreatedAt, a.UpdatedAt
				if created.IsZero() {
					created = now
				}
				if updated.IsZero() {
					updated = created
				}
				a.Version, a.CreatedAt, a.UpdatedAt = 1, created.UTC(), updated.UTC()
				var width, height, lat, lon any
				if a.Width > 0 && a.Height > 0 {
					width, height = a.Width, a.Height
				}
				if a.GPS != nil {
					lat, lon = a.GPS.Latitude, a.GPS.Longitude
				}
				names := make([]string, len(a.Tags))
				for j, t := range a.Tags {
					names[j] = t.Name
				}
				parts, weights := document(a.Title, a.Description, a.Filename, a.Camera, a.Text, names)
				kind, ext := kindAndExt(a.ContentType, a.Filename)
				b.Queue(`
					WITH a AS (
						INSERT INTO assets (account_id, title, description, filename, content_type,
							size, blob, version, user_id, public_token, processing, created_at, updated_at,
							width, height, camera, taken_at, latitude, longitude, text, kind, ext,
							tag_ids, tsv, tsv_filename, tsv_camera)
						VALUES ($1, $2, $3, $4, $5, $6, $7, 1, $8, $9, $10, $11, $12, $13, $14, $15, $16, $17, $18, $19, $20, $21,
							$22, damask_tsv($23, $24), to_tsvector('damask', $25), to_tsvector('damask', $26))
						RETURNING id, account_id, blob, processing, created_at
					), v AS (
						INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
						SELECT id, 1, $4, $5, $6, $7, '', $8, created_at FROM a
					), l AS (
						INSERT INTO asset_tags (asset_id, tag_id) SELECT a.id, t FROM a, unnest($22::bigint[]) AS t
					), j AS (
						INSERT INTO jobs (account_id, asset_id, version, blob, state, run_after, created_at, updated_at)
						SELECT account_id, id, 1, blob, 'queued', $27, $27, $27 FROM a WHERE processing = 'pending'
					)
					SELECT id FROM a`,
					a.AccountID, a.Title, a.Description, a.Filename, a.ContentType,
					a.Size, a.Blob[:], nullID(a.UserID), a.PublicToken, a.Processing, a.CreatedAt, a.UpdatedAt,
					width, height, a.Camera, timeValue(a.TakenAt), lat, lon, a.Text, kind, ext,
					links[i], parts, weights, folded(a.Filename), folded(a.Camera), now)
			}
			res := tx.SendBatch(ctx, &b)
			for _, a := range chunk {
				if err := res.QueryRow().Scan(&a.ID); err != nil {
					res.Close()
					return fmt.Errorf("insert asset %q: %w", a.Title, err)
				}
			}
			if err := res.Close(); err != nil {
				return err
			}
		}
		// Every asset made is outside the trash, so each link counts.
		ids, counts := make([]int64, 0, len(added)), make([]int64, 0, len(added))
		for id, n := range added {
			ids, counts = append(ids, id), append(counts, int64(n))
		}
		if _, err := tx.Exec(ctx, `
			UPDATE tags SET assets_count = assets_count + u.n
			FROM unnest($1::bigint[], $2::bigint[]) AS u(id, n) WHERE tags.id = u.id`, ids, counts); err != nil {
			return fmt.Errorf("count tags: %w", err)
		}
		_, err := tx.Exec(ctx, `SELECT set_config('damask.bulk', 'off', true)`)
		return err
	})
}
