package sqlite

import (
	"context"
	"database/sql"
	"fmt"

	"damask"
)

// backfillThumbTokens gives every asset stored before thumb_token was
// (migration 0014) its secret, made in Go from crypto/rand rather than by
// SQLite's randomblob, a thousand a transaction. The partial index
// assets_thumb_token_missing makes the check of a library already done
// free.
func (db *DB) backfillThumbTokens(ctx context.Context) error {
	for {
		n := 0
		err := db.update(ctx, "give assets their thumbnail secret", func(tx *sql.Tx) error {
			ids, err := column[int64](ctx, tx, `SELECT id FROM assets WHERE thumb_token = '' LIMIT 1000`)
			if err != nil {
				return err
			}
			for _, id := range ids {
				if _, err := tx.ExecContext(ctx, `UPDATE assets SET thumb_token = ? WHERE id = ? AND thumb_token = ''`,
					damask.NewCapability(), id); err != nil {
					return err
				}
			}
			n = len(ids)
			return nil
		})
		if err != nil {
			return fmt.Errorf("sqlite: backfill: %w", err)
		}
		if n == 0 {
			return nil
		}
	}
}
