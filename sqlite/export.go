package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"os"
	"path/filepath"
	"strings"

	"damask"
)

// Snapshot reads a library file as it was at one moment, without changing
// it: for moving the library to another store (damask migrate-library).
// It opens the file read-only and holds one read transaction from Open to
// Close, so that every table is read from the same state even while a
// server writes beside it (WAL lets it; what the server writes after the
// snapshot began is not seen).
type Snapshot struct {
	db *sql.DB
	tx *sql.Tx
}

// OpenSnapshot opens the file at path read-only. The file must exist and
// be at this program's schema version: an older file is brought up to
// date by opening it once with the store (any damask command does), which
// a snapshot never does, as it writes nothing.
func OpenSnapshot(ctx context.Context, path string) (*Snapshot, error) {
	abs, err := filepath.Abs(path)
	if err != nil {
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	// os.Stat first: SQLite would make an empty file of a missing one.
	if _, err := os.Stat(abs); err != nil {
		return nil, fmt.Errorf("sqlite: snapshot: %w", err)
	}
	u := url.URL{Scheme: "file", Path: abs, RawQuery: url.Values{
		"mode":          {"ro"},
		"_query_only":   {"on"},
		"_busy_timeout": {"10000"},
	}.Encode()}
	db, err := sql.Open("sqlite3", u.String())
	if err != nil {
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	db.SetMaxOpenConns(1)
	tx, err := db.BeginTx(ctx, &sql.TxOptions{ReadOnly: true})
	if err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	s := &Snapshot{db: db, tx: tx}
	ms, err := readMigrations()
	if err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	// Reading the version starts the read transaction's snapshot.
	var version int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	if version != len(ms) {
		s.Close()
		return nil, fmt.Errorf("sqlite: snapshot %s: the file is at schema version %d, this program's is %d: "+
			"open it once with this version (e.g. damask check --data DIR) to bring it up to date", path, version, len(ms))
	}
	if _, err := tx.ExecContext(ctx, "SELECT count(*) FROM accounts"); err != nil {
		s.Close()
		return nil, fmt.Errorf("sqlite: snapshot %s: %w", path, err)
	}
	return s, nil
}

// Close ends the read transaction and closes the file.
func (s *Snapshot) Close() error {
	return errors.Join(s.tx.Rollback(), s.db.Close())
}

// Rows calls fn with each row of the table, the values of the named
// columns in order, in order of the first column (the key of every
// table): int64, float64, string, []byte or nil, as stored (times are
// Unix nanoseconds, booleans 0 or 1). It is postgres.ImportSource.
func (s *Snapshot) Rows(ctx context.Context, table string, columns []string, fn func(values []any) error) error {
	if len(columns) == 0 {
		return fmt.Errorf("sqlite: rows of %s: no columns", table)
	}
	quoted := make([]string, len(columns))
	for i, c := range columns {
		quoted[i] = quote(c)
	}
	rows, err := s.tx.QueryContext(ctx, `SELECT `+strings.Join(quoted, ", ")+` FROM `+quote(table)+` ORDER BY `+quote(columns[0]))
	if err != nil {
		return fmt.Errorf("sqlite: rows of %s: %w", table, err)
	}
	defer rows.Close()
	for rows.Next() {
		vs := make([]any, len(columns))
		ptrs := make([]any, len(columns))
		for i := range vs {
			ptrs[i] = &vs[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			return fmt.Errorf("sqlite: rows of %s: %w", table, err)
		}
		if err := fn(vs); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: rows of %s: %w", table, err)
	}
	return nil
}

// Sequence answers the highest id the table ever gave (its AUTOINCREMENT
// counter; 0 when it gave none or keeps none), which a copy of the
// library must not give again although the row is gone.
func (s *Snapshot) Sequence(ctx context.Context, table string) (int64, error) {
	var seq int64
	err := s.tx.QueryRowContext(ctx, `SELECT coalesce(max(seq), 0) FROM sqlite_sequence WHERE name = ?`, table).Scan(&seq)
	if err != nil {
		return 0, fmt.Errorf("sqlite: sequence of %s: %w", table, err)
	}
	return seq, nil
}

// BlobRefs calls fn once for every distinct ref that a version, an upload
// or a rendition of the snapshot points at, in order of the ref's bytes,
// with the size recorded for it (-1 for a rendition alone).
func (s *Snapshot) BlobRefs(ctx context.Context, fn func(ref damask.BlobRef, size int64) error) error {
	rows, err := s.tx.QueryContext(ctx, `
		SELECT blob, max(size) FROM (
			SELECT blob, size FROM versions
			UNION ALL
			SELECT blob, size FROM uploads
			UNION ALL
			SELECT rendition, -1 FROM renditions
		)
		GROUP BY blob ORDER BY blob`)
	if err != nil {
		return fmt.Errorf("sqlite: blob refs: %w", err)
	}
	defer rows.Close()
	for rows.Next() {
		var ref damask.BlobRef
		var size int64
		if err := rows.Scan(blobCol{&ref}, &size); err != nil {
			return fmt.Errorf("sqlite: blob refs: %w", err)
		}
		if err := fn(ref, size); err != nil {
			return err
		}
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: blob refs: %w", err)
	}
	return nil
}
