package postgres

import (
	"context"
	"errors"
	"fmt"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const stageColumns = `s.id, s.account_id, s.token, s.title, s.message, coalesce(s.collection_id, 0), s.password_hash,
	s.expires_at, s.downloads, s.watermark, s.watermark_position, s.watermark_opacity, coalesce(s.user_id, 0), s.views_count, s.downloads_count,
	s.created_at, s.updated_at, s.revoked_at`

func scanStage(r pgx.Row) (*damask.Stage, error) {
	var s damask.Stage
	if err := r.Scan(&s.ID, &s.AccountID, &s.Token, &s.Title, &s.Message, &s.CollectionID, &s.PasswordHash,
		timeCol{&s.ExpiresAt}, &s.Downloads, &s.Watermark, &s.WatermarkPosition, &s.WatermarkOpacity, &s.UserID, &s.ViewsCount, &s.DownloadsCount,
		timeCol{&s.CreatedAt}, timeCol{&s.UpdatedAt}, timeCol{&s.RevokedAt}); err != nil {
		return nil, err
	}
	return &s, nil
}

// stageRecipients reads the recipients of a Stage, in the order given.
func stageRecipients(ctx context.Context, q querier, st *damask.Stage) error {
	rows, err := q.Query(ctx, `SELECT email, token FROM stage_recipients WHERE stage_id = $1 ORDER BY position`, st.ID)
	if err != nil {
		return err
	}
	defer rows.Close()
	st.Recipients = []damask.StageRecipient{}
	for rows.Next() {
		var r damask.StageRecipient
		if err := rows.Scan(&r.Email, &r.Token); err != nil {
			return err
		}
		st.Recipients = append(st.Recipients, r)
	}
	return rows.Err()
}

func stageByID(ctx context.Context, q querier, accountID, id int64) (*damask.Stage, error) {
	st, err := scanStage(q.QueryRow(ctx, `SELECT `+stageColumns+` FROM stages s WHERE s.account_id = $1 AND s.id = $2`,
		accountID, id))
	if err != nil {
		return nil, err
	}
	return st, stageRecipients(ctx, q, st)
}

// stageCollection checks that the collection is of the account.
func stageCollection(ctx context.Context, tx pgx.Tx, accountID, id int64) error {
	var one int
	err := tx.QueryRow(ctx, `SELECT 1 FROM collections WHERE account_id = $1 AND id = $2`, accountID, id).Scan(&one)
	if errors.Is(err, pgx.ErrNoRows) {
		return damask.Errorf(damask.EINVALID, "Collection %d is not in this library", id)
	}
	return err
}

// finishStage writes the recipients of a Stage just made or changed and
// reads st back as stored.
func finishStage(ctx context.Context, tx pgx.Tx, st *damask.Stage) error {
	if err := writeRecipients(ctx, tx, st); err != nil {
		return stageTokenTaken(err)
	}
	fresh, err := stageByID(ctx, tx, st.AccountID, st.ID)
	if err != nil {
		return err
	}
	*st = *fresh
	return nil
}

// writeRecipients makes the Stage's recipients exactly st.Recipients, in
// order; a token taken by another Stage or recipient is EINVALID.
func writeRecipients(ctx context.Context, tx pgx.Tx, st *damask.Stage) error {
	if _, err := tx.Exec(ctx, `DELETE FROM stage_recipients WHERE stage_id = $1`, st.ID); err != nil {
		return err
	}
	for i, r := range st.Recipients {
		var taken int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stages WHERE token = $1`, r.Token).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return damask.Errorf(damask.EINVALID, "Token has already been taken")
		}
		if _, err := tx.Exec(ctx, `INSERT INTO stage_recipients (stage_id, email, token, position) VALUES ($1, $2, $3, $4)`,
			st.ID, r.Email, r.Token, i); err != nil {
			return err
		}
	}
	return nil
}

// CreateStage stores st and its recipients.
func (db *DB) CreateStage(ctx context.Context, st *damask.Stage) error {
	now := db.clock()
	return db.update(ctx, "create stage", func(tx pgx.Tx) error {
		if err := claimKey(ctx, tx, damask.KindStage, now); err != nil {
			return err
		}
		if err := accountExists(ctx, tx, st.AccountID); err != nil {
			return err
		}
		if err := stageCollection(ctx, tx, st.AccountID, st.CollectionID); err != nil {
			return err
		}
		var taken int
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stage_recipients WHERE token = $1`, st.Token).Scan(&taken); err != nil {
			return err
		}
		if taken > 0 {
			return damask.Errorf(damask.EINVALID, "Token has already been taken")
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO stages (account_id, token, title, message, collection_id, password_hash, expires_at,
				downloads, watermark, watermark_position, watermark_opacity, user_id, created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14) RETURNING id`,
			st.AccountID, st.Token, st.Title, st.Message, st.CollectionID, st.PasswordHash, timeValue(st.ExpiresAt),
			st.Downloads, st.Watermark, st.WatermarkPosition, st.WatermarkOpacity, nullID(st.UserID), now, now).Scan(&st.ID); err != nil {
			return stageTokenTaken(err)
		}
		if err := keyDone(ctx, tx, st.ID, 0); err != nil {
			return err
		}
		return finishStage(ctx, tx, st)
	})
}

// stageTokenTaken names the field of a broken uniqueness of a token.
func stageTokenTaken(err error) error {
	var de *damask.Error
	if d := domainError(err); errors.As(d, &de) && de.Code == damask.EINVALID {
		return damask.Errorf(damask.EINVALID, "Token has already been taken")
	}
	return err
}

// Stage finds a Stage of the account.
func (db *DB) Stage(ctx context.Context, accountID, id int64) (*damask.Stage, error) {
	var st *damask.Stage
	err := db.view(ctx, fmt.Sprintf("stage %d", id), func(tx pgx.Tx) (err error) {
		st, err = stageByID(ctx, tx, accountID, id)
		return err
	})
	return st, err
}

// StageByToken finds the Stage of an address, its own or a recipient's.
func (db *DB) StageByToken(ctx context.Context, token string) (*damask.Stage, string, error) {
	var (
		st        *damask.Stage
		recipient string
	)
	err := db.view(ctx, "stage by address", func(tx pgx.Tx) error {
		var err error
		st, err = scanStage(tx.QueryRow(ctx, `SELECT `+stageColumns+` FROM stages s WHERE s.token = $1`, token))
		if errors.Is(err, pgx.ErrNoRows) {
			st, err = scanStage(tx.QueryRow(ctx, `SELECT `+stageColumns+`
				FROM stage_recipients r JOIN stages s ON s.id = r.stage_id WHERE r.token = $1`, token))
			if err != nil {
				return err
			}
			if err := tx.QueryRow(ctx, `SELECT email FROM stage_recipients WHERE token = $1`, token).Scan(&recipient); err != nil {
				return err
			}
		} else if err != nil {
			return err
		}
		return stageRecipients(ctx, tx, st)
	})
	return st, recipient, err
}

// Stages lists the account's Stages, newest first.
func (db *DB) Stages(ctx context.Context, accountID int64, p damask.Page) ([]*damask.Stage, int, error) {
	var (
		sts   []*damask.Stage
		total int
	)
	err := db.view(ctx, fmt.Sprintf("stages of account %d", accountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stages WHERE account_id = $1`, accountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.Query(ctx, `SELECT `+stageColumns+` FROM stages s WHERE s.account_id = $1
			ORDER BY s.id DESC LIMIT $2 OFFSET $3`, accountID, lim, off)
		if err != nil {
			return err
		}
		for rows.Next() {
			st, err := scanStage(rows)
			if err != nil {
				rows.Close()
				return err
			}
			sts = append(sts, st)
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		for _, st := range sts {
			if err := stageRecipients(ctx, tx, st); err != nil {
				return err
			}
		}
		return nil
	})
	return sts, total, err
}

// UpdateStage writes st's fields and recipients.
func (db *DB) UpdateStage(ctx context.Context, st *damask.Stage) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update stage %d", st.ID), func(tx pgx.Tx) error {
		var current int64
		if err := tx.QueryRow(ctx, `SELECT coalesce(collection_id, 0) FROM stages WHERE account_id = $1 AND id = $2`,
			st.AccountID, st.ID).Scan(&current); err != nil {
			return err
		}
		if st.CollectionID != current {
			if err := stageCollection(ctx, tx, st.AccountID, st.CollectionID); err != nil {
				return err
			}
		}
		if _, err := tx.Exec(ctx, `
			UPDATE stages SET title = $1, message = $2, collection_id = $3, password_hash = $4, expires_at = $5,
				downloads = $6, watermark = $7, watermark_position = $8, watermark_opacity = $9, revoked_at = $10,
				updated_at = $11
			WHERE account_id = $12 AND id = $13`,
			st.Title, st.Message, nullID(st.CollectionID), st.PasswordHash, timeValue(st.ExpiresAt),
			st.Downloads, st.Watermark, st.WatermarkPosition, st.WatermarkOpacity, timeValue(st.RevokedAt), now, st.AccountID, st.ID); err != nil {
			return err
		}
		return finishStage(ctx, tx, st)
	})
}

// LogStageAccess appends to the log, counts, and writes the event.
func (db *DB) LogStageAccess(ctx context.Context, a *damask.StageAccess) error {
	if a.At.IsZero() {
		a.At = db.clock()
	}
	count, typ := "views_count", damask.EventStageViewed
	if a.Action == damask.StageDownloaded {
		count, typ = "downloads_count", damask.EventStageDownloaded
	}
	return db.updateEvents(ctx, fmt.Sprintf("log access to stage %d", a.StageID), func(tx pgx.Tx, ev *eventLog) error {
		res, err := tx.Exec(ctx, `UPDATE stages SET `+count+` = `+count+` + 1 WHERE account_id = $1 AND id = $2`,
			a.AccountID, a.StageID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `
			INSERT INTO stage_log (account_id, stage_id, at, recipient, address, action, asset_id, what)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8) RETURNING id`,
			a.AccountID, a.StageID, a.At, a.Recipient, a.Address, a.Action, a.AssetID, a.What).Scan(&a.ID); err != nil {
			return err
		}
		ev.add(a.AccountID, typ, a.StageID)
		return nil
	})
}

func scanAccess(r pgx.Row) (*damask.StageAccess, error) {
	var a damask.StageAccess
	if err := r.Scan(&a.ID, &a.AccountID, &a.StageID, timeCol{&a.At}, &a.Recipient, &a.Address, &a.Action,
		&a.AssetID, &a.What); err != nil {
		return nil, err
	}
	return &a, nil
}

const accessColumns = `id, account_id, stage_id, at, recipient, address, action, asset_id, what`

// StageLog lists a Stage's access log, newest first.
func (db *DB) StageLog(ctx context.Context, accountID, stageID int64, p damask.Page) ([]*damask.StageAccess, int, error) {
	var (
		log   []*damask.StageAccess
		total int
	)
	err := db.view(ctx, fmt.Sprintf("log of stage %d", stageID), func(tx pgx.Tx) error {
		var one int
		if err := tx.QueryRow(ctx, `SELECT 1 FROM stages WHERE account_id = $1 AND id = $2`, accountID, stageID).Scan(&one); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM stage_log WHERE stage_id = $1`, stageID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(p)
		rows, err := tx.Query(ctx, `SELECT `+accessColumns+` FROM stage_log WHERE stage_id = $1
			ORDER BY id DESC LIMIT $2 OFFSET $3`, stageID, lim, off)
		if err != nil {
			return err
		}
		defer rows.Close()
		log = []*damask.StageAccess{}
		for rows.Next() {
			a, err := scanAccess(rows)
			if err != nil {
				return err
			}
			log = append(log, a)
		}
		return rows.Err()
	})
	return log, total, err
}

// StageActivity calls fn for each access logged in [since, until).
func (db *DB) StageActivity(ctx context.Context, since, until time.Time, fn func(*damask.StageAccess) error) error {
	return db.view(ctx, "stage activity", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+accessColumns+` FROM stage_log WHERE at >= $1 AND at < $2
			ORDER BY stage_id, id`, since, until)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccess(rows)
			if err != nil {
				return err
			}
			if err := fn(a); err != nil {
				return err
			}
		}
		return rows.Err()
	})
}

// StageDigestSent reads the one row of stage_digest.
func (db *DB) StageDigestSent(ctx context.Context) (time.Time, error) {
	var t time.Time
	err := db.view(ctx, "stage digest sent", func(tx pgx.Tx) error {
		return tx.QueryRow(ctx, `SELECT sent_at FROM stage_digest WHERE id = 1`).Scan(timeCol{&t})
	})
	return t, err
}

// ClaimStageDigest moves sent_at from last to now, if it is still last.
func (db *DB) ClaimStageDigest(ctx context.Context, last, now time.Time) (bool, error) {
	var claimed bool
	err := db.update(ctx, "claim stage digest", func(tx pgx.Tx) error {
		tag, err := tx.Exec(ctx, `UPDATE stage_digest SET sent_at = $1 WHERE id = 1 AND sent_at IS NOT DISTINCT FROM $2`,
			timeValue(now), timeValue(last))
		claimed = tag.RowsAffected() == 1
		return err
	})
	return claimed, err
}
