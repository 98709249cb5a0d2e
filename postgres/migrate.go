package postgres

import (
	"context"
	"embed"
	"fmt"

	"github.com/jackc/pgx/v5"
	"github.com/jackc/pgx/v5/pgxpool"

	"damask/migration"
)

// The schema's history (see package migration).
//
//go:embed migrations/*.sql
var migrations embed.FS

func readMigrations() ([]migration.Step, error) { return migration.Read(migrations, "migrations") }

// migrateLock is the key of the advisory lock held while migrating: the
// first bytes of "damask" as a number.
const migrateLock = 0x64616d61736b

// migrate applies the steps the database lacks. The table
// damask_schema holds the number of the last step applied; each step and
// its new number are committed together, so a crash leaves the database at
// one step or the next. A session-level advisory lock, held from the first
// look to the last step, makes processes starting at once wait for each
// other instead of applying a step twice.
func migrate(ctx context.Context, pool *pgxpool.Pool) error {
	ms, err := readMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	conn, err := pool.Acquire(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Release()
	if _, err := conn.Exec(ctx, `SELECT pg_advisory_lock($1)`, int64(migrateLock)); err != nil {
		return fmt.Errorf("migrate: lock: %w", err)
	}
	defer conn.Exec(context.WithoutCancel(ctx), `SELECT pg_advisory_unlock($1)`, int64(migrateLock))
	if _, err := conn.Exec(ctx, `CREATE TABLE IF NOT EXISTS damask_schema (version integer NOT NULL)`); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done, err := migrateStep(ctx, conn.Conn(), ms)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next step the database lacks, if any, and says
// whether none was left.
func migrateStep(ctx context.Context, conn *pgx.Conn, ms []migration.Step) (done bool, err error) {
	tx, err := conn.Begin(ctx)
	if err != nil {
		return false, err
	}
	defer tx.Rollback(context.WithoutCancel(ctx))
	var current int
	err = tx.QueryRow(ctx, `SELECT coalesce(max(version), 0) FROM damask_schema`).Scan(&current)
	if err != nil {
		return false, err
	}
	switch {
	case current > len(ms):
		return false, fmt.Errorf("the database is at schema version %d, newer than this program's %d", current, len(ms))
	case current == len(ms):
		return true, nil
	}
	m := ms[current]
	// The simple protocol runs a file of several statements.
	if _, err := tx.Exec(ctx, m.SQL, pgx.QueryExecModeSimpleProtocol); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `DELETE FROM damask_schema`); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if _, err := tx.Exec(ctx, `INSERT INTO damask_schema (version) VALUES ($1)`, m.Version); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if err := tx.Commit(ctx); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	return false, nil
}
