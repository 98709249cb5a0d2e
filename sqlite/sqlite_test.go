package sqlite

import (
	"database/sql"
	"path/filepath"
	"sync"
	"testing"

	"damask"
	"damask/search"
	"damask/storetest"
)

func openTemp(t *testing.T) *DB {
	t.Helper()
	db, err := Open(t.Context(), filepath.Join(t.TempDir(), "damask.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() {
		if err := db.Close(); err != nil {
			t.Errorf("close: %v", err)
		}
	})
	return db
}

func TestStore(t *testing.T) {
	storetest.Run(t, func(t *testing.T) damask.Store { return openTemp(t) })
}

// openWithAccount opens a new file at path with an account and its holder.
func openWithAccount(t *testing.T, path string) (*DB, *damask.Account, *damask.User) {
	t.Helper()
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	a := &damask.Account{Name: "acme", Plan: "pro"}
	h := &damask.User{Login: "holder", Email: "holder@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(t.Context(), a, h); err != nil {
		t.Fatal(err)
	}
	return db, a, h
}

// TestReopen checks that data survives closing and opening the file again,
// that a second Open leaves the schema alone, and that the file is sound.
func TestReopen(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, h := openWithAccount(t, path)
	asset := &damask.Asset{AccountID: a.ID, Title: "kept", UserID: h.ID}
	v := &damask.Version{Filename: "kept.jpg", Size: 3, Blob: damask.BlobRef{1, 2, 3}, UserID: h.ID}
	if err := db.CreateAsset(ctx, asset, v, []string{"tag"}, 0); err != nil {
		t.Fatal(err)
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	got, err := db.Asset(ctx, a.ID, asset.ID)
	if err != nil {
		t.Fatalf("asset after reopening: %v", err)
	}
	if got.Title != "kept" || got.Blob != v.Blob || len(got.Tags) != 1 || !got.CreatedAt.Equal(asset.CreatedAt) {
		t.Errorf("asset after reopening = %+v, want %+v", got, asset)
	}
	var version int
	if err := db.read.QueryRowContext(ctx, "PRAGMA user_version").Scan(&version); err != nil {
		t.Fatal(err)
	}
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	if version != len(ms) {
		t.Errorf("user_version %d, want %d", version, len(ms))
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

// TestPragmas checks the settings on several connections of both pools,
// not just the first: they are per connection, and durability rests on them.
func TestPragmas(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	// Hold several reader connections at once, so that the pool must open
	// new ones.
	var readers []*sql.Conn
	for range 4 {
		c, err := db.read.Conn(ctx)
		if err != nil {
			t.Fatal(err)
		}
		defer c.Close()
		readers = append(readers, c)
	}
	for i, c := range readers {
		if err := checkConnPragmas(ctx, c, "10000"); err != nil {
			t.Errorf("reader %d: %v", i, err)
		}
		var on int
		if err := c.QueryRowContext(ctx, "PRAGMA query_only").Scan(&on); err != nil || on != 1 {
			t.Errorf("reader %d: query_only = %d, %v; want 1", i, on, err)
		}
	}
	w, err := db.write.Conn(ctx)
	if err != nil {
		t.Fatal(err)
	}
	defer w.Close()
	if err := checkConnPragmas(ctx, w, "0"); err != nil {
		t.Errorf("writer: %v", err)
	}
	if got := db.write.Stats().MaxOpenConnections; got != 1 {
		t.Errorf("writer pool allows %d connections, want 1", got)
	}
}

// TestOpenConcurrently opens a new file from several goroutines at once, as
// two processes might: each migration step must be applied once.
func TestOpenConcurrently(t *testing.T) {
	path := filepath.Join(t.TempDir(), "damask.db")
	var wg sync.WaitGroup
	for range 4 {
		wg.Go(func() {
			db, err := Open(t.Context(), path)
			if err != nil {
				t.Errorf("Open: %v", err)
				return
			}
			db.Close()
		})
	}
	wg.Wait()
}

// TestRefusals checks the refusals this store adds to the contract.
func TestRefusals(t *testing.T) {
	ctx := t.Context()
	db := openTemp(t)
	a := &damask.Account{Name: "acme"}
	if err := db.CreateAccount(ctx, a, &damask.User{Login: "a", Email: "a@example.com", Role: damask.RoleHolder}); err != nil {
		t.Fatal(err)
	}
	b := &damask.Account{Name: "globex"}
	hb := &damask.User{Login: "b", Email: "b@example.com", Role: damask.RoleHolder}
	if err := db.CreateAccount(ctx, b, hb); err != nil {
		t.Fatal(err)
	}

	// An account's holder must be one of its users.
	a.HolderID = hb.ID
	if err := db.UpdateAccount(ctx, a); damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("UpdateAccount with another account's holder: %v, want EINVALID", err)
	}
	// An unknown sort is the caller's mistake.
	_, _, err := db.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Sort: "name"})
	if damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("Assets sorted by name: %v, want EINVALID", err)
	}
	// Rows of a missing account are not found, not an internal error.
	err = db.CreateTag(ctx, &damask.Tag{AccountID: 1000, Name: "x"})
	if damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("CreateTag in a missing account: %v, want ENOTFOUND", err)
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
}

// TestReopenBackfills reopens a file as an older version left it (an
// account without its search index, an asset without kind and ext): the
// check at open, a read, must see that work is needed and do it.
func TestReopenBackfills(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, h := openWithAccount(t, path)
	asset := &damask.Asset{AccountID: a.ID, Title: "lighthouse", UserID: h.ID}
	v := &damask.Version{Filename: "old.JPG", ContentType: "image/jpeg", Size: 3, Blob: damask.BlobRef{1}, UserID: h.ID}
	if err := db.CreateAsset(ctx, asset, v, nil, 0); err != nil {
		t.Fatal(err)
	}
	for _, q := range []string{"DROP TABLE " + indexTable(a.ID), "UPDATE assets SET kind = '', ext = ''"} {
		if _, err := db.write.ExecContext(ctx, q); err != nil {
			t.Fatalf("%s: %v", q, err)
		}
	}
	if err := db.Close(); err != nil {
		t.Fatal(err)
	}

	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("reopen: %v", err)
	}
	defer db.Close()
	var kind, ext string
	if err := db.read.QueryRowContext(ctx, "SELECT kind, ext FROM assets WHERE id = ?", asset.ID).Scan(&kind, &ext); err != nil {
		t.Fatal(err)
	}
	if kind != "image" || ext != "jpg" {
		t.Errorf("kind, ext = %q, %q after reopening; want image, jpg", kind, ext)
	}
	q, err := search.Parse("lighthouse")
	if err != nil {
		t.Fatal(err)
	}
	got, n, err := db.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Query: q, Page: damask.Page{Number: 1, Size: 10}})
	if err != nil {
		t.Fatalf("search after reopening: %v", err)
	}
	if n != 1 || len(got) != 1 || got[0].ID != asset.ID {
		t.Errorf("search for the title found %d (%d on the page), want the asset", n, len(got))
	}
}
