package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"path/filepath"
	"sync"
	"testing"
	"time"

	"github.com/mattn/go-sqlite3"

	"damask"
)

// TestGroupCommit: uploads recorded at once each get their record, or
// their own error, whatever group they share: a write that fails (an
// account that does not exist, a client gone before its turn) takes no
// other write with it.
func TestGroupCommit(t *testing.T) {
	db, a, h := openWithAccount(t, filepath.Join(t.TempDir(), "damask.db"))
	defer db.Close()
	gone, cancel := context.WithCancel(t.Context())
	cancel()
	const n = 48
	ups := make([]*damask.Upload, n)
	errs := make([]error, n)
	var wg sync.WaitGroup
	for i := range n {
		ups[i] = &damask.Upload{AccountID: a.ID, UserID: h.ID, Filename: "f.bin", Size: int64(i + 1), Blob: damask.BlobRef{byte(i)}}
		ctx := t.Context()
		switch i % 8 {
		case 3:
			ups[i].AccountID = a.ID + 1000 // no such account
		case 5:
			ctx = gone
		}
		wg.Go(func() { errs[i] = db.CreateUpload(ctx, ups[i]) })
	}
	wg.Wait()
	ids := map[int64]bool{}
	for i, u := range ups {
		switch i % 8 {
		case 3:
			if damask.ErrorCode(errs[i]) != damask.ENOTFOUND {
				t.Errorf("upload %d to a missing account: %v, want ENOTFOUND", i, errs[i])
			}
		case 5:
			if !errors.Is(errs[i], context.Canceled) {
				t.Errorf("upload %d of a client gone: %v, want canceled", i, errs[i])
			}
		default:
			if errs[i] != nil {
				t.Fatalf("upload %d: %v", i, errs[i])
			}
			if ids[u.ID] {
				t.Errorf("upload %d: id %d given twice", i, u.ID)
			}
			ids[u.ID] = true
			got, err := db.Upload(t.Context(), a.ID, u.ID)
			if err != nil || got.Size != u.Size {
				t.Errorf("upload %d read back: %+v, %v", i, got, err)
			}
		}
	}
}

// TestRunGroup: one group's writes in one transaction, deterministically:
// the one that fails is rolled back to its savepoint, the others commit;
// a transaction lost as a whole (here, its commit refused) has each write
// run again alone.
func TestRunGroup(t *testing.T) {
	db, a, _ := openWithAccount(t, filepath.Join(t.TempDir(), "damask.db"))
	defer db.Close()
	ctx := t.Context()
	count := func() (n int) {
		if err := db.read.QueryRowContext(ctx, `SELECT count(*) FROM uploads`).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	insert := func(size int) func(tx *sql.Tx) error {
		return func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `INSERT INTO uploads (account_id, filename, content_type, size, blob, created_at, expires_at)
				VALUES (?, 'f', 'x', ?, x'00', 1, 2)`, a.ID, size)
			return err
		}
	}
	fail := func(tx *sql.Tx) error {
		if err := insert(99)(tx); err != nil {
			return err
		}
		return sql.ErrNoRows // after a write of its own, rolled back
	}
	write := func(fn func(tx *sql.Tx) error) *groupWrite {
		return &groupWrite{ctx: ctx, what: "test", fn: fn, done: make(chan struct{})}
	}
	batch := []*groupWrite{write(insert(1)), write(fail), write(insert(2))}
	db.runGroup(batch)
	for i, w := range batch {
		<-w.done
		if want := i == 1; (w.err != nil) != want {
			t.Errorf("write %d: %v", i, w.err)
		}
	}
	if damask.ErrorCode(batch[1].err) != damask.ENOTFOUND {
		t.Errorf("failed write: %v, want ENOTFOUND", batch[1].err)
	}
	if n := count(); n != 2 {
		t.Errorf("%d uploads after the group, want 2", n)
	}

	// A group whose transaction SQLite rolls back in the middle (a
	// statement ending the transaction): the writes run again alone.
	rollback := func(tx *sql.Tx) error {
		_, err := tx.ExecContext(ctx, "ROLLBACK")
		if err == nil {
			err = errors.New("rolled back")
		}
		return err
	}
	batch = []*groupWrite{write(insert(3)), write(rollback), write(insert(4))}
	db.runGroup(batch)
	for i, w := range batch {
		<-w.done
		if (w.err != nil) != (i == 1) {
			t.Errorf("after a lost group, write %d: %v", i, w.err)
		}
	}
	if n := count(); n != 4 {
		t.Errorf("%d uploads after the lost group, want 4", n)
	}
}

// TestWaitForWriteLock: a write waits while another process holds the
// write lock (here another connection to the file, as SQLite locks across
// processes and connections alike), goes on as soon as it is free, gives
// up after lockWait with SQLite's "database is locked", and stops waiting
// when its context ends.
func TestWaitForWriteLock(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, _ := openWithAccount(t, path)
	defer db.Close()
	other, err := sql.Open("sqlite3", path+"?_txlock=immediate")
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	hold := func() *sql.Tx {
		t.Helper()
		tx, err := other.BeginTx(t.Context(), nil)
		if err != nil {
			t.Fatal(err)
		}
		return tx
	}
	write := func(ctx context.Context) error {
		return db.update(ctx, "rename", func(tx *sql.Tx) error {
			_, err := tx.ExecContext(ctx, `UPDATE accounts SET name = name || 'x' WHERE id = ?`, a.ID)
			return err
		})
	}

	tx := hold()
	done := make(chan error, 1)
	go func() { done <- write(t.Context()) }()
	select {
	case err := <-done:
		t.Fatalf("write while another holds the lock: %v, want it to wait", err)
	case <-time.After(300 * time.Millisecond):
	}
	tx.Rollback()
	if err := <-done; err != nil {
		t.Fatalf("write once the lock is free: %v", err)
	}

	tx = hold()
	defer tx.Rollback()
	ctx, cancel := context.WithTimeout(t.Context(), 50*time.Millisecond)
	defer cancel()
	if err := write(ctx); !errors.Is(err, context.DeadlineExceeded) {
		t.Errorf("write whose context ended while waiting: %v, want %v", err, context.DeadlineExceeded)
	}
	defer func(w time.Duration) { lockWait = w }(lockWait)
	lockWait = 100 * time.Millisecond
	var se sqlite3.Error
	if err := write(t.Context()); !errors.As(err, &se) || se.Code != sqlite3.ErrBusy {
		t.Errorf("write after lockWait: %v, want SQLite's busy error", err)
	}
}
