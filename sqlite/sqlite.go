// Package sqlite keeps Damask's metadata in one SQLite file: the
// damask.Store for a single server, beside which `damask worker` and the
// operator's commands may open the same file.
//
// The file runs in WAL mode with synchronous=FULL, so that a write is on disk
// before it is acknowledged, and with foreign keys enforced. A process's
// writes go through a pool of exactly one connection that begins its
// transactions with BEGIN IMMEDIATE: its writers queue in Go rather than
// fight over SQLite's lock. Other processes on the file wait for that lock
// in SQLite's busy handler, up to 10 s. Reads use a separate pool of
// read-only connections, which WAL lets run beside the writer. Full-text
// search (search.go) needs SQLite built with FTS5 (build tag sqlite_fts5).
//
// Times are stored as UTC unix nanoseconds (NULL for the zero time), so they
// round-trip exactly between the years 1678 and 2262. Blob refs are stored as
// their 32 bytes.
package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"net/url"
	"runtime"
	"strings"
	"time"

	"github.com/mattn/go-sqlite3"

	"damask"
)

var _ damask.Store = (*DB)(nil)

// DB is the SQLite store. Its methods are safe for concurrent use.
type DB struct {
	write *sql.DB // one connection; BEGIN IMMEDIATE
	read  *sql.DB // query_only connections
	now   func() time.Time
	// events signals the long poll after commits that wrote events.
	events notifier
	// watch answers Generation (freshness.go).
	watch *watch
	// groups queues the writes committed in groups (group.go).
	groups groups
}

// Open opens the database file at path, creating it when missing, and
// brings its schema and its search indexes up to date. It refuses a path
// the driver would misread (empty, ":memory:", or holding '?' or '#'), a
// build without FTS5, and connections whose settings did not take.
func Open(ctx context.Context, path string) (*DB, error) {
	// mattn/go-sqlite3 cuts a plain file name at the first '?', where its
	// parameters begin.
	if path == "" || strings.ContainsAny(path, "?#") || path == ":memory:" {
		return nil, fmt.Errorf("sqlite: open %q: want a file path without '?' or '#'", path)
	}
	// The driver applies these to every new connection of a pool, which
	// matters: synchronous, foreign_keys and busy_timeout are settings of a
	// connection, not of the file. (The driver lowers synchronous to NORMAL
	// when it reads _journal_mode=WAL, then applies _synchronous, so FULL
	// holds; checkPragmas makes sure.)
	params := url.Values{
		"_journal_mode": {"WAL"},
		"_synchronous":  {"FULL"},
		"_foreign_keys": {"on"},
		"_busy_timeout": {"10000"},
		// Keep each connection's prepared statements: preparing costs more
		// than running the small queries of a request.
		"_stmt_cache_size": {"64"},
	}
	wparams := cloneValues(params)
	wparams.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite3", path+"?"+wparams.Encode())
	if err != nil {
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// One writer: SQLite allows one anyway, and queueing in database/sql
	// is fair and never times out, unlike the busy handler.
	write.SetMaxOpenConns(1)
	write.SetMaxIdleConns(1)
	write.SetConnMaxIdleTime(0)
	write.SetConnMaxLifetime(0)

	db := &DB{write: write, now: time.Now}
	if err := checkPragmas(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	// Full-text search needs FTS5, which mattn/go-sqlite3 compiles in only
	// under a build tag; say so rather than fail on "no such module".
	var fts5 bool
	if err := write.QueryRowContext(ctx, `SELECT sqlite_compileoption_used('ENABLE_FTS5')`).Scan(&fts5); err != nil || !fts5 {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: this build lacks FTS5: build with -tags sqlite_fts5 (the Makefile does)", path)
	}
	if err := migrate(ctx, write); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	if err := db.backfill(ctx); err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}

	rparams := cloneValues(params)
	// Readers never write; query_only turns a mistake into an error
	// instead of a second writer fighting for the lock.
	rparams.Set("_query_only", "on")
	read, err := sql.Open("sqlite3", path+"?"+rparams.Encode())
	if err != nil {
		write.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	n := max(4, runtime.GOMAXPROCS(0))
	read.SetMaxOpenConns(n)
	read.SetMaxIdleConns(n)
	if err := checkPragmas(ctx, read); err != nil {
		write.Close()
		read.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	db.read = read
	db.watch = &watch{dsn: path + "?" + rparams.Encode(), path: path}
	// From here the writer waits for the write lock itself (begin).
	if _, err := write.ExecContext(ctx, `PRAGMA busy_timeout = 0`); err != nil {
		db.Close()
		return nil, fmt.Errorf("sqlite: open %s: %w", path, err)
	}
	return db, nil
}

func cloneValues(v url.Values) url.Values {
	c := make(url.Values, len(v))
	for k, vs := range v {
		c[k] = append([]string(nil), vs...)
	}
	return c
}

// checkPragmas makes sure the DSN's settings took effect: the driver ignores
// a misspelt parameter silently, and durability depends on these.
func checkPragmas(ctx context.Context, pool *sql.DB) error {
	conn, err := connect(ctx, pool)
	if err != nil {
		return err
	}
	defer conn.Close()
	return checkConnPragmas(ctx, conn, "10000")
}

// connect takes a connection from the pool. Two processes opening a new
// file at once can meet while one of them switches it to WAL, which SQLite
// answers with "database is locked" at once, without its busy wait; a
// second try a moment later succeeds.
func connect(ctx context.Context, pool *sql.DB) (*sql.Conn, error) {
	for try := 0; ; try++ {
		conn, err := pool.Conn(ctx)
		var se sqlite3.Error
		if err == nil || try == 100 || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy {
			return conn, err
		}
		select {
		case <-ctx.Done():
			return nil, ctx.Err()
		case <-time.After(10 * time.Millisecond):
		}
	}
}

// checkConnPragmas checks a connection's settings; busy is the busy
// timeout it should have ("10000" as opened, "0" for the writer once Open
// is done: see begin).
func checkConnPragmas(ctx context.Context, conn *sql.Conn, busy string) error {
	want := []struct {
		pragma string
		value  string
	}{
		{"journal_mode", "wal"},
		{"synchronous", "2"}, // FULL
		{"foreign_keys", "1"},
		{"busy_timeout", busy},
	}
	for _, w := range want {
		var got string
		if err := conn.QueryRowContext(ctx, "PRAGMA "+w.pragma).Scan(&got); err != nil {
			return fmt.Errorf("pragma %s: %w", w.pragma, err)
		}
		if strings.ToLower(got) != w.value {
			return fmt.Errorf("pragma %s is %q, want %q", w.pragma, got, w.value)
		}
	}
	return nil
}

// Close closes both pools.
func (db *DB) Close() error {
	if w := db.watch; w != nil {
		w.mu.Lock()
		w.close()
		w.shut = true
		w.mu.Unlock()
	}
	return errors.Join(db.read.Close(), db.write.Close())
}

// IntegrityCheck runs SQLite's integrity and foreign key checks and answers
// an error listing what they found, or nil when the file is sound.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	var problems []string
	rows, err := db.read.QueryContext(ctx, "PRAGMA integrity_check")
	if err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	for rows.Next() {
		var s string
		if err := rows.Scan(&s); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: integrity check: %w", err)
		}
		if s != "ok" {
			problems = append(problems, s)
		}
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: integrity check: %w", err)
	}

	rows, err = db.read.QueryContext(ctx, "PRAGMA foreign_key_check")
	if err != nil {
		return fmt.Errorf("sqlite: foreign key check: %w", err)
	}
	for rows.Next() {
		var table, parent string
		var rowid sql.NullInt64
		var fkid int64
		if err := rows.Scan(&table, &rowid, &parent, &fkid); err != nil {
			rows.Close()
			return fmt.Errorf("sqlite: foreign key check: %w", err)
		}
		problems = append(problems, fmt.Sprintf("%s row %d points at a missing %s", table, rowid.Int64, parent))
	}
	if err := rows.Close(); err != nil {
		return fmt.Errorf("sqlite: foreign key check: %w", err)
	}
	if err := rows.Err(); err != nil {
		return fmt.Errorf("sqlite: foreign key check: %w", err)
	}
	if len(problems) > 0 {
		return fmt.Errorf("sqlite: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}

// querier is what both *sql.DB and *sql.Tx offer, so that the loaders below
// serve reads and the refresh at the end of a write transaction alike.
type querier interface {
	ExecContext(ctx context.Context, query string, args ...any) (sql.Result, error)
	QueryContext(ctx context.Context, query string, args ...any) (*sql.Rows, error)
	QueryRowContext(ctx context.Context, query string, args ...any) *sql.Row
}

// lockWait is how long begin waits for the write lock that another
// process holds: the busy timeout the connections are opened with.
var lockWait = 10 * time.Second

// begin starts a write transaction (BEGIN IMMEDIATE), waiting for the write
// lock while another process (the worker process beside the server, a
// command) holds it. SQLite's own wait sleeps 1, 2, 5, 10, 15, 20 and 25
// ms between tries, so a server whose worker committed every few
// milliseconds slept about 2 ms a try, its other writes queued behind it
// (1.2 tries a file during 200 photos' uploads); begin tries again after
// 50 microseconds, doubling up to 1 ms. Open sets the writer's busy
// timeout to 0 for it; a connection made again later has SQLite's wait
// back, which is slower but as correct.
func (db *DB) begin(ctx context.Context) (*sql.Tx, error) {
	pause, deadline := 50*time.Microsecond, time.Now().Add(lockWait)
	for {
		tx, err := db.write.BeginTx(ctx, nil)
		var se sqlite3.Error
		if err == nil || !errors.As(err, &se) || se.Code != sqlite3.ErrBusy || time.Now().After(deadline) {
			return tx, err
		}
		t := time.NewTimer(pause)
		select {
		case <-ctx.Done():
			t.Stop()
			return nil, ctx.Err()
		case <-t.C:
		}
		pause = min(2*pause, time.Millisecond)
	}
}

// update runs fn in a write transaction and commits it. what names the
// operation in the error.
func (db *DB) update(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.begin(ctx)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, domainError(err))
	}
	if err := tx.Commit(); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	return nil
}

// view runs fn in a read transaction, so that a list and its total come
// from the same snapshot.
func (db *DB) view(ctx context.Context, what string, fn func(tx *sql.Tx) error) error {
	tx, err := db.read.BeginTx(ctx, nil)
	if err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, err)
	}
	defer tx.Rollback()
	if err := fn(tx); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, domainError(err))
	}
	return nil
}

// lookup runs fn, which reads with a single statement, outside a
// transaction: one statement sees one snapshot anyway, and BEGIN and
// ROLLBACK would double the cost of the small reads every request makes
// (its account, its user).
func (db *DB) lookup(ctx context.Context, what string, fn func(q querier) error) error {
	if err := fn(db.read); err != nil {
		return fmt.Errorf("sqlite: %s: %w", what, domainError(err))
	}
	return nil
}

// domainError turns the errors with a meaning for the caller into
// *damask.Error: no rows is ErrNotFound, a broken uniqueness rule is
// EINVALID naming the field.
func domainError(err error) error {
	if errors.Is(err, sql.ErrNoRows) {
		return damask.ErrNotFound
	}
	var se sqlite3.Error
	if errors.As(err, &se) && se.ExtendedCode == sqlite3.ErrConstraintUnique {
		// The message is "UNIQUE constraint failed: users.account_id,
		// users.login": the last column names the rule.
		msg := se.Error()
		col := msg[strings.LastIndexAny(msg, " .")+1:]
		table := msg[strings.LastIndex(msg, ": ")+2:]
		table, _, _ = strings.Cut(table, ".")
		field := "Name"
		switch {
		case table == "tags":
			field = "Tag"
		case col == "login":
			field = "Login"
		case col == "email":
			field = "Email"
		case col == "public_token":
			field = "Public token"
		case table == "inboxes" && col == "token":
			field = "Token"
		}
		return &damask.Error{Code: damask.EINVALID, Message: field + " has already been taken", Err: err}
	}
	return err
}

// notFound is ErrNotFound unless n rows were affected.
func notFound(res sql.Result) error {
	n, err := res.RowsAffected()
	if err != nil {
		return err
	}
	if n == 0 {
		return damask.ErrNotFound
	}
	return nil
}

// nullID is 0 as NULL, for foreign keys that 0 means none of.
func nullID(id int64) any {
	if id == 0 {
		return nil
	}
	return id
}

// timeValue is t as stored: UTC unix nanoseconds, or NULL for the zero time.
func timeValue(t time.Time) any {
	if t.IsZero() {
		return nil
	}
	return t.UnixNano()
}

// timeCol scans a column written by timeValue; the time comes back in UTC.
type timeCol struct{ t *time.Time }

func (c timeCol) Scan(v any) error {
	switch v := v.(type) {
	case nil:
		*c.t = time.Time{}
	case int64:
		*c.t = time.Unix(0, v).UTC()
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

// now is the store's clock, in UTC with no monotonic reading so that the
// value handed back equals the value read back.
func (db *DB) clock() time.Time { return db.now().UTC().Round(0) }

// limit turns a page into LIMIT and OFFSET. A page of no size is everything.
func limit(p damask.Page) (lim, off int) {
	if p.Size <= 0 {
		return -1, 0
	}
	n := max(p.Number, 1)
	return p.Size, (n - 1) * p.Size
}
