package sqlite

import (
	"context"
	"database/sql"
	"fmt"
	"time"

	"damask"
)

const uploadColumns = `id, account_id, coalesce(user_id, 0), filename, content_type,
	size, blob, created_at, expires_at`

func scanUpload(s interface{ Scan(...any) error }) (*damask.Upload, error) {
	var u damask.Upload
	err := s.Scan(&u.ID, &u.AccountID, &u.UserID, &u.Filename, &u.ContentType,
		&u.Size, blobCol{&u.Blob}, timeCol{&u.CreatedAt}, timeCol{&u.ExpiresAt})
	if err != nil {
		return nil, err
	}
	return &u, nil
}

// CreateUpload stores u.
func (db *DB) CreateUpload(ctx context.Context, u *damask.Upload) error {
	now := db.clock()
	expires := u.ExpiresAt
	if expires.IsZero() {
		// Every upload must expire, or its bytes would be kept forever.
		expires = now.Add(damask.UploadLifetime)
	}
	// Uploads come many at once: their records are committed in groups.
	return db.grouped(ctx, "create upload", func(tx *sql.Tx) error {
		return insertUpload(ctx, tx, u, now, expires)
	})
}

// insertUpload is the work of CreateUpload in tx, safe to run again.
func insertUpload(ctx context.Context, tx *sql.Tx, u *damask.Upload, now, expires time.Time) error {
	if err := claimKey(ctx, tx, damask.KindUpload, now); err != nil {
		return err
	}
	if err := accountExists(ctx, tx, u.AccountID); err != nil {
		return err
	}
	res, err := tx.ExecContext(ctx, `
		INSERT INTO uploads (account_id, user_id, filename, content_type, size, blob, created_at, expires_at)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`,
		u.AccountID, nullID(u.UserID), u.Filename, u.ContentType, u.Size, u.Blob[:], now.UnixNano(), expires.UnixNano())
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	if err := keyDone(ctx, tx, id, 0); err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.ExpiresAt = id, now, expires.UTC()
	return nil
}

// Upload finds an upload of the account, expired or not, until it is deleted.
func (db *DB) Upload(ctx context.Context, accountID, id int64) (*damask.Upload, error) {
	var u *damask.Upload
	err := db.view(ctx, fmt.Sprintf("upload %d", id), func(tx *sql.Tx) (err error) {
		u, err = scanUpload(tx.QueryRowContext(ctx,
			`SELECT `+uploadColumns+` FROM uploads WHERE account_id = ? AND id = ?`, accountID, id))
		return err
	})
	return u, err
}

// DeleteExpiredUploads removes the uploads that expired before the time.
func (db *DB) DeleteExpiredUploads(ctx context.Context, before time.Time) (int, error) {
	var n int64
	err := db.update(ctx, "delete expired uploads", func(tx *sql.Tx) error {
		res, err := tx.ExecContext(ctx, `DELETE FROM uploads WHERE expires_at < ?`, before.UnixNano())
		if err != nil {
			return err
		}
		n, err = res.RowsAffected()
		return err
	})
	return int(n), err
}

// BlobReferenced tells whether a version or an upload points at ref, ref
// is a rendition of a version's file, or ref is an account's logo (kept
// as hex in branding_logo). Every asset's current file is one of its
// versions, so assets need no look. A rendition of a file no version
// points at any more is released with it.
func (db *DB) BlobReferenced(ctx context.Context, ref damask.BlobRef) (bool, error) {
	var found bool
	err := db.view(ctx, fmt.Sprintf("blob %s referenced", ref), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, `
			SELECT EXISTS (SELECT 1 FROM versions WHERE blob = ?1)
				OR EXISTS (SELECT 1 FROM uploads WHERE blob = ?1)
				OR EXISTS (SELECT 1 FROM renditions r WHERE r.rendition = ?1
					AND EXISTS (SELECT 1 FROM versions v WHERE v.blob = r.source))
				OR EXISTS (SELECT 1 FROM accounts WHERE branding_logo = ?2)`, ref[:], ref.String()).Scan(&found)
	})
	return found, err
}

// blobRefsBatch is how many refs BlobRefs reads at a time.
const blobRefsBatch = 1000

// BlobRefs calls fn for every distinct ref of a version, an upload, a
// rendition or an account's logo, in order of the ref's bytes. It reads in batches and calls fn outside any
// transaction, so that a slow fn neither holds a snapshot open (which
// would keep the WAL from being checkpointed) nor blocks the store; a ref
// added meanwhile may be missed, which a collector must allow for anyway.
func (db *DB) BlobRefs(ctx context.Context, fn func(ref damask.BlobRef, size int64) error) error {
	type refSize struct {
		ref  damask.BlobRef
		size int64
	}
	after := []byte{} // sorts before every ref
	for {
		var batch []refSize
		err := db.view(ctx, "blob refs", func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `
				SELECT blob, max(size) FROM (
					SELECT blob, size FROM versions WHERE blob > ?1
					UNION ALL
					SELECT blob, size FROM uploads WHERE blob > ?1
					UNION ALL
					SELECT rendition, -1 FROM renditions WHERE rendition > ?1
					UNION ALL
					SELECT unhex(branding_logo), -1 FROM accounts
					WHERE length(branding_logo) = 64 AND unhex(branding_logo) > ?1
				)
				GROUP BY blob ORDER BY blob LIMIT ?2`, after, blobRefsBatch)
			if err != nil {
				return err
			}
			defer rows.Close()
			for rows.Next() {
				var rs refSize
				if err := rows.Scan(blobCol{&rs.ref}, &rs.size); err != nil {
					return err
				}
				batch = append(batch, rs)
			}
			return rows.Err()
		})
		if err != nil {
			return err
		}
		for _, rs := range batch {
			if err := fn(rs.ref, rs.size); err != nil {
				return err
			}
		}
		if len(batch) < blobRefsBatch {
			return nil
		}
		last := batch[len(batch)-1].ref
		after = last[:]
	}
}

// DeleteUpload removes an upload whose file was used otherwise (an
// unpacked archive); ErrNotFound when there is none.
func (db *DB) DeleteUpload(ctx context.Context, accountID, id int64) error {
	return db.update(ctx, fmt.Sprintf("delete upload %d", id), func(tx *sql.Tx) error {
		return consumeUpload(ctx, tx, accountID, id)
	})
}
