package sqlite

import (
	"context"
	"database/sql/driver"
	"errors"
	"fmt"
	"io"
	"runtime"
	"sync"
	"sync/atomic"

	"github.com/mattn/go-sqlite3"

	"damask"
)

// watch tells whether anything was committed to the file since it last
// looked, by any connection of any process: from the change counter of
// the WAL index's header in shared memory (shm_linux.go), two loads and no
// lock while nothing changed; else, or when that memory cannot be mapped,
// with SQLite's PRAGMA data_version on a connection of its own, whose
// value changes when another connection commits. The generation row is
// read again only after a change, and every change seen moves the stamp
// that Generation answers as Data.
type watch struct {
	dsn  string
	path string // the database file, whose shm is mapped
	// fresh is the generation current while the shm header's counter
	// stays at fresh.change; nil when unknown. Read under mapMu's read
	// lock, which Close takes to unmap the memory.
	mapMu sync.RWMutex
	fresh *freshGen
	// begun numbers the checks; a call that waited for another's check
	// uses its answer when that check began after the call arrived.
	begun atomic.Uint64
	mu    sync.Mutex
	last  uint64              // the number of the check gen answers
	conn  *sqlite3.SQLiteConn // nil until first used, and after an error
	stmt  driver.Stmt
	shm   []byte // the shm file's first page, mapped while conn is open
	tried bool   // mapping the shm was tried since conn was opened
	seen  int64  // the data_version the generation below was read after
	gen   damask.Generation
	ok    bool // gen is current as of seen
	// stamp counts the changes seen; 0 is never answered.
	stamp int64
	shut  bool // the DB is closed: no connection is opened again
}

// freshGen is a generation and the shm header's change counter read
// before it.
type freshGen struct {
	shm    []byte
	change uint32
	gen    damask.Generation
}

// quick answers the generation when the shm header says nothing was
// committed since it was read.
func (w *watch) quick() (damask.Generation, bool) {
	w.mapMu.RLock()
	defer w.mapMu.RUnlock()
	f := w.fresh
	if f == nil {
		return damask.Generation{}, false
	}
	c, ok := shmChange(f.shm)
	return f.gen, ok && c == f.change
}

// publish sets what quick answers; f may be nil.
func (w *watch) publish(f *freshGen) {
	w.mapMu.Lock()
	w.fresh = f
	w.mapMu.Unlock()
}

// version reads PRAGMA data_version on the watch's connection, opening it
// first when needed.
func (w *watch) version() (int64, error) {
	if w.shut {
		return 0, errors.New("closed")
	}
	if w.conn == nil {
		c, err := (&sqlite3.SQLiteDriver{}).Open(w.dsn)
		if err != nil {
			return 0, err
		}
		w.conn = c.(*sqlite3.SQLiteConn)
		if w.stmt, err = w.conn.Prepare("PRAGMA data_version"); err != nil {
			w.close()
			return 0, err
		}
	}
	// A context without Done keeps the driver from watching it.
	rows, err := w.stmt.(driver.StmtQueryContext).QueryContext(context.Background(), nil)
	if err != nil {
		w.close()
		return 0, err
	}
	dest := []driver.Value{nil}
	err = rows.Next(dest)
	rows.Close()
	v, isInt := dest[0].(int64)
	if err == nil && !isInt {
		err = fmt.Errorf("data_version is %T", dest[0])
	}
	if err != nil {
		if errors.Is(err, io.EOF) {
			err = fmt.Errorf("data_version: no row")
		}
		w.close()
		return 0, err
	}
	return v, nil
}

func (w *watch) close() {
	if w.shm != nil {
		w.mapMu.Lock()
		w.fresh = nil
		shmUnmap(w.shm)
		w.mapMu.Unlock()
	}
	w.shm, w.tried = nil, false
	if w.stmt != nil {
		w.stmt.Close()
	}
	if w.conn != nil {
		w.conn.Close()
	}
	w.conn, w.stmt, w.ok = nil, nil, false
}

// Generation reads the counts the triggers of migration 0011 keep, once
// per change of the file: while nothing was committed anywhere, the counts
// read after the last change are still the counts. Data is the stamp of
// the file's contents (damask.Generation); when the watch's connection
// fails, the row is read every time and Data is 0.
func (db *DB) Generation(ctx context.Context) (damask.Generation, error) {
	w := db.watch
	if w == nil {
		return db.readGeneration(ctx)
	}
	if g, ok := w.quick(); ok {
		return g, nil
	}
	arrived := w.begun.Load()
	w.mu.Lock()
	defer w.mu.Unlock()
	if w.ok && w.last > arrived {
		// A check that began after this call arrived answered while it
		// waited: a commit before the call is in that answer.
		return w.gen, nil
	}
	n := w.begun.Add(1)
	if g, ok, err := db.fromShm(ctx); ok || err != nil {
		if err == nil {
			w.last = n
		}
		return g, err
	}
	v, err := w.version()
	if err != nil {
		return db.readGeneration(ctx)
	}
	if !w.ok || v != w.seen {
		// Read after the version: a commit in between moves the version
		// again, so that the next check reads once more.
		g, err := db.readGeneration(ctx)
		if err != nil {
			w.ok = false
			return g, err
		}
		w.stamp++
		g.Data = w.stamp
		w.gen, w.seen, w.ok = g, v, true
	}
	w.last = n
	return w.gen, nil
}

// fromShm answers the generation through the shm header's counter, read
// before the row: a commit after the counter was read moves it again, so
// that the next check reads the row once more. It answers ok false when
// the header cannot be used (not mapped, or a writer was writing it), and
// then the caller asks SQLite. The caller holds w.mu.
func (db *DB) fromShm(ctx context.Context) (damask.Generation, bool, error) {
	w := db.watch
	if w.conn == nil {
		// The watch's connection keeps the shm file open and in place.
		if _, err := w.version(); err != nil {
			return damask.Generation{}, false, nil
		}
	}
	if w.shm == nil && !w.tried {
		w.tried = true
		if m, err := shmMap(w.path); err == nil {
			w.shm = m
		}
	}
	if w.shm == nil {
		return damask.Generation{}, false, nil
	}
	c, ok := shmChange(w.shm)
	for try := 0; !ok && try < 3; try++ {
		runtime.Gosched()
		c, ok = shmChange(w.shm)
	}
	if !ok {
		w.publish(nil)
		return damask.Generation{}, false, nil
	}
	if f := w.fresh; f != nil && f.change == c {
		return f.gen, true, nil
	}
	g, err := db.readGeneration(ctx)
	if err != nil {
		w.publish(nil)
		return g, false, err
	}
	w.stamp++
	g.Data = w.stamp
	// The pragma's path reads the row again before it answers.
	w.gen, w.ok = g, false
	w.publish(&freshGen{shm: w.shm, change: c, gen: g})
	return g, true, nil
}

// readGeneration reads the row of the counts.
func (db *DB) readGeneration(ctx context.Context) (damask.Generation, error) {
	var g damask.Generation
	err := db.lookup(ctx, "read generation", func(q querier) error {
		return q.QueryRowContext(ctx, `SELECT auth, failures FROM generation WHERE id = 1`).Scan(&g.Auth, &g.Failures)
	})
	return g, err
}
