package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"
	"time"

	"damask"
)

// gcDirName is the folder of quarantined files (damask.BlobCollector):
// dir/.gc/abcd…, each under its whole name. Walk does not see it; Open,
// Stat and Path look there when a name is missing, and put the file back.
const gcDirName = ".gc"

var _ damask.BlobCollector = (*Store)(nil)

func (s *Store) quarantinePath(ref damask.BlobRef) string {
	return filepath.Join(s.dir, gcDirName, ref.String())
}

// Quarantine renames the file of ref into .gc and sets its time to now,
// when the quarantine starts. The rename is the moment that decides: a
// Commit of the same bytes before it renewed the file that is now in .gc
// (and reads find it there), one after it finds no file and renames its
// own into place. Nothing is fsynced: a crash that undoes the rename
// leaves the file where it was, and one that undoes the new time leaves
// the old time, which only a file that no Commit renewed has.
func (s *Store) Quarantine(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("quarantine blob "+ref.String(), err)
	}
	q := s.quarantinePath(ref)
	if err := s.fs.Mkdir(filepath.Dir(q), dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
		return fmt.Errorf("quarantine blob %s: %w", ref, err)
	}
	err := s.fs.Rename(s.path(ref), q)
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("quarantine blob %s: %w", ref, err)
	}
	now := time.Now()
	if err := s.fs.Chtimes(q, now, now); err != nil {
		return fmt.Errorf("quarantine blob %s: %w", ref, err)
	}
	return nil
}

// WalkQuarantine calls fn for every file in .gc.
func (s *Store) WalkQuarantine(ctx context.Context, fn func(damask.BlobInfo) error) error {
	entries, err := os.ReadDir(filepath.Join(s.dir, gcDirName))
	if errors.Is(err, fs.ErrNotExist) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("walk quarantined blobs: %w", err)
	}
	for _, e := range entries {
		if err := ctx.Err(); err != nil {
			return canceled("walk quarantined blobs", err)
		}
		ref, err := damask.ParseBlobRef(e.Name())
		if err != nil || ref.String() != e.Name() || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // restored or released since the folder was read
		}
		if err != nil {
			return fmt.Errorf("walk quarantined blobs: %w", err)
		}
		if err := fn(damask.BlobInfo{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// Restore renames a quarantined file back under its name, over a copy a
// Commit may have put there since (the same bytes).
func (s *Store) Restore(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("restore blob "+ref.String(), err)
	}
	if _, err := s.restore(ref); err != nil {
		return err
	}
	return nil
}

// restore is Restore, answering whether there was a file to restore.
func (s *Store) restore(ref damask.BlobRef) (bool, error) {
	// Most names missing were never quarantined: look before making
	// folders for them.
	if _, err := s.fs.Stat(s.quarantinePath(ref)); errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err := s.mkdirSynced(ref); err != nil {
		return false, fmt.Errorf("restore blob %s: %w", ref, err)
	}
	err := s.fs.Rename(s.quarantinePath(ref), s.path(ref))
	if errors.Is(err, fs.ErrNotExist) {
		return false, nil
	}
	if err != nil {
		return false, fmt.Errorf("restore blob %s: %w", ref, err)
	}
	return true, nil
}

// Release removes a quarantined file.
func (s *Store) Release(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("release blob "+ref.String(), err)
	}
	err := s.fs.Remove(s.quarantinePath(ref))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("release blob %s: %w", ref, err)
	}
	return nil
}

// unquarantine is what a read does when the name of ref is missing: it
// puts a quarantined file back, answering whether there was one.
func (s *Store) unquarantine(ref damask.BlobRef) bool {
	ok, err := s.restore(ref)
	return ok && err == nil
}
