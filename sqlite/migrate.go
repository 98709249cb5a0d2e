package sqlite

import (
	"context"
	"database/sql"
	"embed"
	"fmt"

	"damask/migration"
)

// The schema's history (see package migration).
//
//go:embed migrations/*.sql
var migrations embed.FS

func readMigrations() ([]migration.Step, error) { return migration.Read(migrations, "migrations") }

// migrate applies the steps the file lacks. The file's PRAGMA user_version
// is the number of the last step applied; each step and its new number are
// committed together, so a crash leaves the file at one step or the next.
// The version is read inside each write transaction, so two processes
// opening a new file at once apply every step once. A file already up to
// date is told by a read first, without the write lock: a command opening
// the library beside a busy server does not queue behind its writes.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := readMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current == len(ms) {
		return nil
	}
	for {
		done, err := migrateStep(ctx, db, ms)
		if err != nil {
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			return nil
		}
	}
}

// migrateStep applies the next step the file lacks, if any, and says
// whether none was left.
func migrateStep(ctx context.Context, db *sql.DB, ms []migration.Step) (done bool, err error) {
	tx, err := db.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the writer's DSN says so
	if err != nil {
		return false, err
	}
	defer tx.Rollback()
	var current int
	if err := tx.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return false, err
	}
	switch {
	case current > len(ms):
		return false, fmt.Errorf("the file is at schema version %d, newer than this program's %d", current, len(ms))
	case current == len(ms):
		return true, nil
	}
	m := ms[current]
	if _, err := tx.ExecContext(ctx, m.SQL); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	// PRAGMA takes no parameters; the number is ours.
	if _, err := tx.ExecContext(ctx, fmt.Sprintf("PRAGMA user_version = %d", m.Version)); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	if err := tx.Commit(); err != nil {
		return false, fmt.Errorf("%s: %w", m.Name, err)
	}
	return false, nil
}
