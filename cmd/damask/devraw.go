package main

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strings"
	"time"

	"damask"
	"damask/search"
	"damask/sqlite"
	"damask/synth"
)

// rawSeed loads the catalogue seedCatalogue makes (same seed, same
// uploaders, same batches of one transaction each) into the SQLite file at
// path with the raw engine: a plain connection of the driver with none of
// the store's settings, prepared INSERTs of the same columns into the same
// tables, and the same rows of the same full-text index
// (sqlite.IndexInsert). It writes no events and queues no jobs, which are
// the store's own. It is the import's reference in the bench: what the
// engine takes to load those rows, as anyone would write the loop.
func rawSeed(ctx context.Context, env environment, lib *openLibrary, path string, n int, seed uint64) error {
	accountID, users, err := seedAccount(ctx, lib)
	if err != nil {
		return err
	}
	raw, err := sql.Open("sqlite3", "file:"+path+"?_busy_timeout=10000&_txlock=immediate")
	if err != nil {
		return fmt.Errorf("open %s for the raw load: %w", path, err)
	}
	defer raw.Close()
	raw.SetMaxOpenConns(1)

	start := time.Now()
	cat := synth.New(seed, users, n, start)
	tags := map[string]int64{}
	for i := 0; i < n; i += seedBatch {
		if err := rawBatch(ctx, raw, tags, seedAssets(cat, accountID, i, n), start); err != nil {
			return fmt.Errorf("raw load of assets %d to %d: %w", i, min(i+seedBatch, n), err)
		}
		fmt.Fprintf(env.stderr, "\rloaded %d of %d", min(i+seedBatch, n), n)
	}
	fmt.Fprintf(env.stderr, "\n")
	fmt.Fprintf(env.stdout, "Loaded %d assets with the raw engine in %.1f s (%.0f a second).\n",
		n, time.Since(start).Seconds(), float64(n)/time.Since(start).Seconds())
	return nil
}

// rawBatch writes one batch in a transaction. tags holds the ids of the
// tags made so far, by name.
func rawBatch(ctx context.Context, db *sql.DB, tags map[string]int64, as []*damask.Asset, now time.Time) (err error) {
	tx, err := db.BeginTx(ctx, nil)
	if err != nil {
		return err
	}
	defer func() {
		if err != nil {
			tx.Rollback()
		}
	}()
	// The driver would watch a cancellable context with a goroutine for
	// every statement; a loop written for speed checks it once an asset
	// (as the store's does).
	stop := ctx
	ctx = context.WithoutCancel(ctx)
	var stmts []*sql.Stmt
	defer func() {
		for _, s := range stmts {
			s.Close()
		}
	}()
	prepare := func(query string) *sql.Stmt {
		s, perr := tx.PrepareContext(ctx, query)
		err = errors.Join(err, perr)
		stmts = append(stmts, s)
		return s
	}
	insAsset := prepare(`INSERT INTO assets (account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext, thumb_token, path)
		VALUES (?, ?, ?, ?, ?, ?, ?, 1, ?, '', ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, '')`)
	insVersion := prepare(`INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
		VALUES (?, 1, ?, ?, ?, ?, '', ?, ?)`)
	insTag := prepare(`INSERT INTO tags (account_id, name, created_at) VALUES (?, ?, ?)`)
	insLink := prepare(`INSERT INTO asset_tags (asset_id, tag_id) VALUES (?, ?)`)
	if err != nil {
		return err
	}
	var insIndex *sql.Stmt
	for _, a := range as {
		if err := stop.Err(); err != nil {
			return err
		}
		var width, height, lat, lon, taken any
		if a.Width > 0 && a.Height > 0 {
			width, height = a.Width, a.Height
		}
		if a.GPS != nil {
			lat, lon = a.GPS.Latitude, a.GPS.Longitude
		}
		if !a.TakenAt.IsZero() {
			taken = a.TakenAt.UnixNano()
		}
		ext := strings.ToLower(strings.TrimPrefix(path.Ext(a.Filename), "."))
		res, err := insAsset.ExecContext(ctx, a.AccountID, a.Title, a.Description, a.Filename, a.ContentType,
			a.Size, a.Blob[:], a.UserID, a.Processing, a.CreatedAt.UnixNano(), a.UpdatedAt.UnixNano(),
			width, height, a.Camera, taken, lat, lon, a.Text, search.KindOf(a.ContentType), ext, damask.EnsureThumbToken(a))
		if err != nil {
			return err
		}
		if a.ID, err = res.LastInsertId(); err != nil {
			return err
		}
		if _, err := insVersion.ExecContext(ctx, a.ID, a.Filename, a.ContentType, a.Size, a.Blob[:], a.UserID, a.CreatedAt.UnixNano()); err != nil {
			return err
		}
		for i, t := range a.Tags {
			id, ok := tags[strings.ToLower(t.Name)]
			if !ok {
				res, err := insTag.ExecContext(ctx, a.AccountID, t.Name, now.UnixNano())
				if err != nil {
					return err
				}
				if id, err = res.LastInsertId(); err != nil {
					return err
				}
				tags[strings.ToLower(t.Name)] = id
			}
			if _, err := insLink.ExecContext(ctx, a.ID, id); err != nil {
				return err
			}
			a.Tags[i].ID = id
		}
		query, args := sqlite.IndexInsert(a)
		if insIndex == nil {
			if insIndex = prepare(query); err != nil {
				return err
			}
		}
		if _, err := insIndex.ExecContext(ctx, args...); err != nil {
			return err
		}
	}
	return tx.Commit()
}
