package sqlite

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"strconv"
	"sync"
	"testing"

	"damask"
)

// TestDataStampBeside: the data stamp moves with a commit of the server's
// own writer and with one of another handle on the file (as another
// process), whatever table it touched, and stays while nothing commits.
func TestDataStampBeside(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, h := openWithAccount(t, path)
	defer db.Close()
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	asset := &damask.Asset{AccountID: a.ID, Title: "first", UserID: h.ID}
	v := &damask.Version{Filename: "first.jpg", Size: 3, Blob: damask.BlobRef{1, 2, 3}, UserID: h.ID}
	tests := []struct {
		name   string
		change func() error
		moves  bool
	}{
		{"nothing", func() error { return nil }, false},
		{"own writer", func() error { return db.CreateAsset(ctx, asset, v, []string{"tag"}, 0) }, true},
		{"read beside", func() error { _, err := other.Asset(ctx, a.ID, asset.ID); return err }, false},
		{"asset beside", func() error {
			b := *asset
			b.Title = "changed beside"
			return other.UpdateAsset(ctx, &b, nil)
		}, true},
		{"tags beside", func() error {
			b := *asset
			return other.UpdateAsset(ctx, &b, []string{"another"})
		}, true},
	}
	last, err := db.Generation(ctx)
	if err != nil || last.Data == 0 {
		t.Fatalf("Generation: %+v, %v", last, err)
	}
	if runtime.GOOS == "linux" && !usesShm(db) {
		t.Fatal("the watch does not read the shm header: every check takes the pragma")
	}
	for _, tt := range tests {
		if err := tt.change(); err != nil {
			t.Fatalf("%s: %v", tt.name, err)
		}
		g, err := db.Generation(ctx)
		if err != nil {
			t.Fatalf("Generation after %s: %v", tt.name, err)
		}
		if moved := g.Data != last.Data; moved != tt.moves {
			t.Errorf("after %s: stamp %d -> %d, want a change: %v", tt.name, last.Data, g.Data, tt.moves)
		}
		last = g
	}
}

// usesShm tells whether the watch answers from the shm header.
func usesShm(db *DB) bool {
	db.watch.mapMu.RLock()
	defer db.watch.mapMu.RUnlock()
	return db.watch.fresh != nil
}

// TestDataStampConcurrent: calls that share another's check still see
// every commit made before they began.
func TestDataStampConcurrent(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, _ := openWithAccount(t, path)
	defer db.Close()
	other, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	stop := make(chan struct{})
	var wg sync.WaitGroup
	for range 8 {
		wg.Go(func() {
			for {
				select {
				case <-stop:
					return
				default:
				}
				if _, err := db.Generation(ctx); err != nil {
					t.Error(err)
					return
				}
			}
		})
	}
	for i := range 50 {
		before, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		a.Plan = []string{"pro", "deluxe"}[i%2]
		if err := other.UpdateAccount(ctx, a); err != nil {
			t.Fatal(err)
		}
		after, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Data == before.Data || after.Auth == before.Auth {
			t.Fatalf("round %d: %+v after the commit, %+v before", i, after, before)
		}
	}
	close(stop)
	wg.Wait()
}

// TestDataStampOtherProcess: a commit made by another process (this test
// binary run again, as the damask command runs beside a server) moves the
// stamp at the next check, and the check before it does not move it.
func TestDataStampOtherProcess(t *testing.T) {
	if path := os.Getenv("DAMASK_TEST_COMMIT_BESIDE"); path != "" {
		t.Skip("the helper of this test, run by its parent")
	}
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, a, _ := openWithAccount(t, path)
	defer db.Close()
	for i := range 3 {
		before, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if again, err := db.Generation(ctx); err != nil || again.Data != before.Data {
			t.Fatalf("round %d: stamp %d then %d (%v) with nothing committed", i, before.Data, again.Data, err)
		}
		cmd := exec.CommandContext(ctx, os.Args[0], "-test.run=^TestCommitBeside$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DAMASK_TEST_COMMIT_BESIDE="+path, fmt.Sprintf("DAMASK_TEST_ACCOUNT=%d", a.ID))
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("round %d: the other process: %v\n%s", i, err, out)
		}
		after, err := db.Generation(ctx)
		if err != nil {
			t.Fatal(err)
		}
		if after.Data == before.Data || after.Auth == before.Auth {
			t.Fatalf("round %d: %+v after the other process's commit, %+v before", i, after, before)
		}
		if runtime.GOOS == "linux" && !usesShm(db) {
			t.Fatal("the watch does not read the shm header")
		}
	}
}

// TestCommitBeside is the other process of TestDataStampOtherProcess: it
// changes the account's plan in the file it is given.
func TestCommitBeside(t *testing.T) {
	path := os.Getenv("DAMASK_TEST_COMMIT_BESIDE")
	if path == "" {
		t.Skip("run by TestDataStampOtherProcess")
	}
	id, err := strconv.ParseInt(os.Getenv("DAMASK_TEST_ACCOUNT"), 10, 64)
	if err != nil {
		t.Fatal(err)
	}
	db, err := Open(t.Context(), path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	a, err := db.Account(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	a.Plan = map[string]string{"pro": "deluxe", "deluxe": "pro"}[a.Plan]
	if err := db.UpdateAccount(t.Context(), a); err != nil {
		t.Fatal(err)
	}
}
