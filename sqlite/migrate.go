package sqlite

import (
	"context"
	"database/sql"
	"database/sql/driver"
	"embed"
	"errors"
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
//
// The steps run with foreign keys off, as SQLite's procedure for rebuilding
// a table asks (https://sqlite.org/lang_altertable.html): dropping a table
// others point at must not delete their rows, nor check them against a
// table that is about to come back. Each step's foreign keys are checked
// before it commits instead, and a step that leaves one broken is undone.
// The setting belongs to a connection, and cannot change inside a
// transaction: the steps run on one connection held for them, which gets
// foreign keys back before it returns to the pool.
func migrate(ctx context.Context, db *sql.DB) error {
	ms, err := readMigrations()
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	return migrateTo(ctx, db, ms)
}

// migrateTo applies the steps of ms the file lacks (tests stop short of
// the last steps, to make a file as an older program left it).
func migrateTo(ctx context.Context, db *sql.DB, ms []migration.Step) error {
	var current int
	if err := db.QueryRowContext(ctx, "PRAGMA user_version").Scan(&current); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	if current == len(ms) {
		return nil
	}
	conn, err := db.Conn(ctx)
	if err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	defer conn.Close()
	if err := setForeignKeys(ctx, conn, false); err != nil {
		return fmt.Errorf("migrate: %w", err)
	}
	for {
		done, err := migrateStep(ctx, conn, ms)
		if err != nil {
			// The connection must not go back to the pool without its
			// foreign keys; a failure to restore them is the worse news.
			if ferr := setForeignKeys(context.WithoutCancel(ctx), conn, true); ferr != nil {
				return errors.Join(fmt.Errorf("migrate: %w", err), ferr, discard(conn))
			}
			return fmt.Errorf("migrate: %w", err)
		}
		if done {
			break
		}
	}
	if err := setForeignKeys(ctx, conn, true); err != nil {
		return errors.Join(fmt.Errorf("migrate: %w", err), discard(conn))
	}
	return nil
}

// setForeignKeys turns the connection's foreign keys on or off and makes
// sure the setting took (SQLite ignores it inside a transaction).
func setForeignKeys(ctx context.Context, conn *sql.Conn, on bool) error {
	want := map[bool]int{false: 0, true: 1}[on]
	if _, err := conn.ExecContext(ctx, fmt.Sprintf("PRAGMA foreign_keys = %d", want)); err != nil {
		return fmt.Errorf("foreign keys %d: %w", want, err)
	}
	var got int
	if err := conn.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&got); err != nil {
		return fmt.Errorf("foreign keys %d: %w", want, err)
	}
	if got != want {
		return fmt.Errorf("foreign keys are %d, want %d", got, want)
	}
	return nil
}

// discard closes the connection for good rather than let the pool use it
// again with foreign keys off.
func discard(conn *sql.Conn) error {
	return conn.Raw(func(any) error { return driver.ErrBadConn })
}

// checkForeignKeys answers an error naming the first row, if any, whose
// foreign key points at nothing.
func checkForeignKeys(ctx context.Context, tx *sql.Tx) error {
	var table, parent string
	var rowid sql.NullInt64
	var fk int
	err := tx.QueryRowContext(ctx, "PRAGMA foreign_key_check").Scan(&table, &rowid, &parent, &fk)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return nil
	case err != nil:
		return fmt.Errorf("foreign key check: %w", err)
	}
	return fmt.Errorf("foreign key check: a row of %s (rowid %v) points at a missing row of %s", table, rowid.Int64, parent)
}

// migrateStep applies the next step the file lacks, if any, and says
// whether none was left.
func migrateStep(ctx context.Context, conn *sql.Conn, ms []migration.Step) (done bool, err error) {
	tx, err := conn.BeginTx(ctx, nil) // BEGIN IMMEDIATE: the writer's DSN says so
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
	if err := checkForeignKeys(ctx, tx); err != nil {
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
