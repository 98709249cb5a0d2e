// Package postgres keeps Damask's metadata in PostgreSQL: the damask.Store
// for a library shared by several servers and workers.
//
// It holds the same tables as package sqlite, in PostgreSQL's types: times
// are timestamptz (microseconds, so the store's clock is cut to the
// microsecond and a value handed back equals the value read back), blob
// refs bytea. Search is PostgreSQL full-text search over a weighted
// tsvector column with a GIN index, and tags as a bigint[] column with a
// GIN index (see search.go). The job queue is claimed with FOR UPDATE SKIP
// LOCKED, so that any number of workers share it.
//
// Writes run in READ COMMITTED transactions that lock what they read to
// change (an asset gaining a version, a tag made by two writers at once);
// lists read in REPEATABLE READ, so that a page and its total come from one
// snapshot.
package postgres

import (
	"context"
	"errors"
	"fmt"
	"strconv"
	"time"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgconn"
	"github.com/jackc/pgx/v5/pgxpool"

	"damask"
)

var (
	_ damask.Store            = (*DB)(nil)
	_ damask.BulkCreator      = (*DB)(nil)
	_ damask.Counter          = (*DB)(nil)
	_ damask.IntegrityChecker = (*DB)(nil)
	_ damask.Analyzer         = (*DB)(nil)
)

// DB is the PostgreSQL store. Its methods are safe for concurrent use.
type DB struct {
	pool *pgxpool.Pool
	now  func() time.Time
	// events signals the long poll after commits that wrote events.
	events notifier
}

// Open connects to the database at url (postgres://user:password@host:port/dbname?sslmode=...,
// or any form pgx accepts) and brings its schema up to date. Several
// processes may open one database at once: migrations run under an
// advisory lock.
func Open(ctx context.Context, url string) (*DB, error) {
	cfg, err := pgxpool.ParseConfig(url)
	if err != nil {
		return nil, fmt.Errorf("postgres: open: %w", err)
	}
	// Every session speaks UTC, so that times read back are in UTC
	// whatever the server's setting.
	if cfg.ConnConfig.RuntimeParams == nil {
		cfg.ConnConfig.RuntimeParams = map[string]string{}
	}
	cfg.ConnConfig.RuntimeParams["timezone"] = "UTC"
	// pgx prepares each statement once per connection; a search's best
	// plan depends on how common its words are, so it is planned for its
	// values every time rather than once for all (a generic plan).
	cfg.ConnConfig.RuntimeParams["plan_cache_mode"] = "force_custom_plan"
	// The store's statements are short reads of a few index ranges, which
	// PostgreSQL's JIT compilation (on by default above a plan cost a
	// search of a million assets passes) slows by tens of milliseconds
	// and never repays; and its tables are read from memory or SSD, where
	// a random read costs little more than a sequential one, as the
	// planner must know to walk a tag's links and look each asset up
	// rather than walk the whole table (measured in bench/notes.md). Nor
	// do they gain from parallel workers: a list wants its first 1,001
	// matches, which two workers found in three to five times the time of
	// one process (their start, and each reading ahead past the limit);
	// the exact counts, which read every match, ask for them back
	// (countParallel). A setting in the URL wins.
	for k, v := range map[string]string{"jit": "off", "random_page_cost": "1.1", "max_parallel_workers_per_gather": "0"} {
		if _, set := cfg.ConnConfig.RuntimeParams[k]; !set {
			cfg.ConnConfig.RuntimeParams[k] = v
		}
	}
	pool, err := pgxpool.NewWithConfig(ctx, cfg)
	if err != nil {
		return nil, fmt.Errorf("postgres: open %s: %w", redact(cfg), err)
	}
	if err := migrate(ctx, pool); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", redact(cfg), err)
	}
	db := &DB{pool: pool, now: time.Now}
	if err := db.backfillThumbTokens(ctx); err != nil {
		pool.Close()
		return nil, fmt.Errorf("postgres: open %s: %w", redact(cfg), err)
	}
	return db, nil
}

// redact names the database without its password, for errors.
func redact(cfg *pgxpool.Config) string {
	c := cfg.ConnConfig
	return fmt.Sprintf("%s@%s:%d/%s", c.User, c.Host, c.Port, c.Database)
}

// Close closes the pool of connections.
func (db *DB) Close() error {
	db.pool.Close()
	return nil
}

// querier is what both the pool and a transaction offer.
type querier interface {
	Exec(ctx context.Context, sql string, args ...any) (pgconn.CommandTag, error)
	Query(ctx context.Context, sql string, args ...any) (pgx.Rows, error)
	QueryRow(ctx context.Context, sql string, args ...any) pgx.Row
}

// update runs fn in a write transaction and commits it. what names the
// operation in the error. A transaction PostgreSQL chose to end to break a
// deadlock (writers taking the same tag counts in another order) is run
// again, a few times: fn must set the caller's values only from what it
// reads, so that a second run sets them anew.
func (db *DB) update(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	for try := 1; ; try++ {
		err := db.try(ctx, fn)
		var pe *pgconn.PgError
		if try < 5 && errors.As(err, &pe) && (pe.Code == "40P01" || pe.Code == "40001") {
			continue // deadlock_detected, serialization_failure
		}
		if err != nil {
			return fmt.Errorf("postgres: %s: %w", what, domainError(err))
		}
		return nil
	}
}

// try runs fn in one write transaction.
func (db *DB) try(ctx context.Context, fn func(tx pgx.Tx) error) error {
	tx, err := db.pool.BeginTx(ctx, pgx.TxOptions{})
	if err != nil {
		return err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		return err
	}
	return tx.Commit(ctx)
}

// view runs fn in a read-only transaction on one snapshot. The deadline
// of ctx, if any, bounds its statements; one stopped by it is an error
// that wraps context.DeadlineExceeded.
func (db *DB) view(ctx context.Context, what string, fn func(tx pgx.Tx) error) error {
	opts := pgx.TxOptions{IsoLevel: pgx.RepeatableRead, AccessMode: pgx.ReadOnly}
	deadline, bounded := ctx.Deadline()
	if bounded {
		// PostgreSQL stops each statement itself once the time left has
		// passed (statement_timeout, for this transaction only), in the
		// same round trip as BEGIN: when the context ends, pgx only drops
		// the connection, and the server would go on with the query until
		// it next wrote to it.
		ms := max(1, time.Until(deadline).Milliseconds())
		opts.BeginQuery = "BEGIN ISOLATION LEVEL REPEATABLE READ READ ONLY; SET LOCAL statement_timeout = " + strconv.FormatInt(ms, 10)
	}
	tx, err := db.pool.BeginTx(ctx, opts)
	if err != nil {
		return fmt.Errorf("postgres: %s: %w", what, err)
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	if err := fn(tx); err != nil {
		var pe *pgconn.PgError
		if bounded && errors.As(err, &pe) && pe.Code == "57014" { // query_canceled
			err = fmt.Errorf("%w: %w", context.DeadlineExceeded, err)
		}
		return fmt.Errorf("postgres: %s: %w", what, domainError(err))
	}
	return nil
}

// get runs fn on the pool, outside a transaction: for lookups of one
// statement (or whose statements need no common snapshot), which a
// transaction would cost two more round trips.
func (db *DB) get(ctx context.Context, what string, fn func(q querier) error) error {
	if err := fn(db.pool); err != nil {
		return fmt.Errorf("postgres: %s: %w", what, domainError(err))
	}
	return nil
}

// domainError turns the errors with a meaning for the caller into
// *damask.Error: no rows is ErrNotFound, a broken uniqueness rule is
// EINVALID naming the field (by the name of the index that caught it).
func domainError(err error) error {
	if errors.Is(err, pgx.ErrNoRows) {
		return damask.ErrNotFound
	}
	var pe *pgconn.PgError
	if errors.As(err, &pe) && pe.Code == "23505" { // unique_violation
		field := "Name"
		switch pe.ConstraintName {
		case "tags_name":
			field = "Tag"
		case "users_login":
			field = "Login"
		case "users_email":
			field = "Email"
		case "assets_public_token":
			field = "Public token"
		case "inboxes_token_key":
			field = "Token"
		}
		return &damask.Error{Code: damask.EINVALID, Message: field + " has already been taken", Err: err}
	}
	return err
}

// notFound is ErrNotFound unless a row was affected.
func notFound(tag pgconn.CommandTag) error {
	if tag.RowsAffected() == 0 {
		return damask.ErrNotFound
	}
	return nil
}

// timeValue is t as stored: NULL for the zero time.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t
}

// timeCol scans a timestamptz column; the time comes back in UTC, the zero
// time for NULL.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case time.Time:
		*c.t = v.UTC()
	default:
		return fmt.Errorf("time column holds %T", v)
	}
	return nil
}

// blobCol scans a blob ref column.
type blobCol struct{ r *damask.BlobRef }

func (c blobCol) Scan(v any) error {
	b, ok := v.([]byte)
	if !ok || len(b) != len(c.r) {
		return fmt.Errorf("blob ref column holds %T of %d bytes", v, len(b))
	}
	copy(c.r[:], b)
	return nil
}

// hashCol scans a SHA-256 column.
type hashCol struct{ h *[32]byte }

func (c hashCol) Scan(v any) error {
	b, ok := v.([]byte)
	if !ok || len(b) != len(c.h) {
		return fmt.Errorf("hash column holds %T of %d bytes", v, len(b))
	}
	copy(c.h[:], b)
	return nil
}

// clock is the store's clock: UTC, cut to the microsecond PostgreSQL
// keeps, with no monotonic reading, so that the value handed back equals
// the value read back.
func (db *DB) clock() time.Time { return db.now().UTC().Truncate(time.Microsecond) }

// limit turns a page into LIMIT and OFFSET. A page of no size is
// everything (LIMIT NULL).
func limit(p damask.Page) (lim any, off int) {
	if p.Size <= 0 {
		return nil, 0
	}
	n := max(p.Number, 1)
	return p.Size, (n - 1) * p.Size
}

// nullID is 0 as NULL, for foreign keys that 0 means none of.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}
