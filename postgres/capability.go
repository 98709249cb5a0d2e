package postgres

import (
	"context"
	"fmt"

	"github.com/jackc/pgx/v5"

	"damask"
)

// backfillThumbTokens gives every asset stored before thumb_token was
// (migration 0007) its secret, made in Go from crypto/rand, a thousand a
// transaction. The partial index assets_thumb_token_missing makes the
// check of a database already done free. Several processes opening one
// database at once each fill what is still empty.
func (db *DB) backfillThumbTokens(ctx context.Context) error {
	for {
		n := 0
		err := db.update(ctx, "give assets their thumbnail secret", func(tx pgx.Tx) error {
			rows, err := tx.Query(ctx, `SELECT id FROM assets WHERE thumb_token = '' LIMIT 1000 FOR UPDATE SKIP LOCKED`)
			if err != nil {
				return err
			}
			ids, err := pgx.CollectRows(rows, pgx.RowTo[int64])
			if err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := tx.Exec(ctx, `UPDATE assets SET thumb_token = $1 WHERE id = $2 AND thumb_token = ''`,
					damask.NewCapability(), id); err != nil {
					return err
				}
			}
			n = len(ids)
			return nil
		})
		if err != nil {
			return fmt.Errorf("backfill thumbnail secrets: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}
