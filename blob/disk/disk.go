// Package disk keeps Damask's files on a local file system, each under the
// SHA-256 of its bytes.
//
// The layout of a store's folder:
//
//	dir/ab/abcd…(64 hex digits)   committed files, fanned out by the first byte
//	dir/.tmp/                     files being written
//	dir/.gc/abcd…                 files the collector quarantined (see Quarantine)
//	dir/.layout                   the fan-out's depth: "fan-out 1"
//
// A store made before the depth was recorded has two levels, dir/ab/cd/abcd…,
// and keeps them: Open finds its second-level folders and records "fan-out
// 2". New stores have one level, whose 256 folders Open makes once, so that
// storing a file makes one inode (the file's) and fsyncs one folder, where
// the second level made a folder for most of a young library's files.
//
// A file reaches its final name only by a rename of a temporary file that was
// fsynced first, and Commit returns only after the folder holding the new name
// is fsynced too (the crash-safe sequence of restic's local backend). So a
// name in the tree always holds complete bytes, whatever instant a crash hits;
// what a crash can leave is a temporary file, which Open removes.
package disk

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"hash"
	"io"
	"io/fs"
	"os"
	"path/filepath"
	"slices"
	"sync"
	"syscall"
	"time"

	"damask"
)

// Permissions: the files are the accounts' private data and only the Damask
// process reads them (downloads go through http.ServeContent, never through
// a web server reading the folder), so nobody else gets access.
const (
	filePerm = 0o600
	dirPerm  = 0o700
)

const tmpDirName = ".tmp"

// Store is a content-addressed file store in one folder. It is safe for
// concurrent use, by several goroutines and by several processes sharing the
// folder.
type Store struct {
	dir    string
	tmpDir string
	fs     FS
	lock   *os.File // the .tmp folder, held with a shared lock; see lockTmp
	levels int      // fan-out folders between dir and a file: 1, or 2 in stores made before .layout
	// durable holds the fan-out folders (their paths) whose own names are
	// known to be on disk: made and their parent fsynced, by this process
	// or, for the top level, at Open. A folder found but not in it may
	// have been made a moment ago by another writer whose fsync of the
	// parent is still under way, so Commit fsyncs that parent itself,
	// once per folder and process.
	durable sync.Map
}

var _ damask.BlobStore = (*Store)(nil)
var _ damask.BlobPather = (*Store)(nil)
var _ damask.FreeSpacer = (*Store)(nil)

// Open opens the store in dir, creating the folder if needed, and removes
// the temporary files of writes that a crash interrupted. When another
// process (say `damask check` next to the server) has the store open, its
// temporary files belong to writes in progress and are left alone.
func Open(dir string) (*Store, error) { return OpenFS(dir, OS{}) }

// OpenFS is Open with the files written, named and read through fsys.
func OpenFS(dir string, fsys FS) (*Store, error) {
	dir, err := filepath.Abs(dir)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	s := &Store{dir: dir, tmpDir: filepath.Join(dir, tmpDirName), fs: fsys}
	if err := os.MkdirAll(s.tmpDir, dirPerm); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	lock, alone, err := lockTmp(s.tmpDir)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: lock %s: %w", dir, s.tmpDir, err)
	}
	s.lock = lock
	if alone {
		if err := s.removeTemporaries(); err != nil {
			s.lock.Close()
			return nil, fmt.Errorf("open blob store %s: %w", dir, err)
		}
	}
	if err := s.makeTopFolders(); err != nil {
		s.lock.Close()
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	if s.levels, err = readLayout(dir); err != nil {
		s.lock.Close()
		return nil, fmt.Errorf("open blob store %s: %w", dir, err)
	}
	return s, nil
}

const layoutName = ".layout"

// readLayout answers the depth of the store's fan-out, recorded in
// dir/.layout. A store without the record gets one now: two levels when a
// second-level folder exists (a store made before the record), else one.
// Like the lock, this goes to the operating system directly.
func readLayout(dir string) (int, error) {
	name := filepath.Join(dir, layoutName)
	b, err := os.ReadFile(name)
	if err == nil {
		switch string(b) {
		case "fan-out 1\n":
			return 1, nil
		case "fan-out 2\n":
			return 2, nil
		}
		return 0, fmt.Errorf("read %s: unknown layout %q", name, b)
	}
	if !errors.Is(err, fs.ErrNotExist) {
		return 0, fmt.Errorf("read layout: %w", err)
	}
	levels, err := foundLevels(dir)
	if err != nil {
		return 0, fmt.Errorf("find layout: %w", err)
	}
	if err := writeSynced(dir, layoutName, fmt.Sprintf("fan-out %d\n", levels)); err != nil {
		return 0, fmt.Errorf("record layout: %w", err)
	}
	return levels, nil
}

// foundLevels answers 2 when a first-level folder holds a folder of the
// second level, else 1.
func foundLevels(dir string) (int, error) {
	tops, err := readFanOut(dir)
	if err != nil {
		return 0, err
	}
	for _, top := range tops {
		subs, err := readFanOut(filepath.Join(dir, top))
		if err != nil {
			return 0, err
		}
		if len(subs) > 0 {
			return 2, nil
		}
	}
	return 1, nil
}

// writeSynced writes a small file into dir by the store's own sequence: a
// temporary file fsynced, renamed, the folder fsynced.
func writeSynced(dir, name, text string) error {
	f, err := os.CreateTemp(filepath.Join(dir, tmpDirName), name+"-*")
	if err != nil {
		return err
	}
	defer os.Remove(f.Name()) // fails once renamed
	_, err = f.WriteString(text)
	if err == nil {
		err = f.Sync()
	}
	if cerr := f.Close(); err == nil {
		err = cerr
	}
	if err == nil {
		err = os.Rename(f.Name(), filepath.Join(dir, name))
	}
	if err == nil {
		err = (OS{}).SyncDir(dir)
	}
	return err
}

// makeTopFolders makes the 256 first-level fan-out folders that are
// missing and fsyncs the store's folder once, so that no Commit pays a
// folder's creation at the top level (256 folders take 1 MiB on ext4; the
// 65,536 of the second level would take 256 MiB, so those are made as
// files come). Like the lock, this goes to the operating system directly.
func (s *Store) makeTopFolders() error {
	const hex = "0123456789abcdef"
	for i := range 256 {
		name := filepath.Join(s.dir, string([]byte{hex[i>>4], hex[i&15]}))
		if err := os.Mkdir(name, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return fmt.Errorf("make fan-out folders: %w", err)
		}
	}
	if err := (OS{}).SyncDir(s.dir); err != nil {
		return fmt.Errorf("make fan-out folders: fsync %s: %w", s.dir, err)
	}
	for i := range 256 {
		s.durable.Store(filepath.Join(s.dir, string([]byte{hex[i>>4], hex[i&15]})), true)
	}
	return nil
}

// Close releases the store's hold on its folder. Files being written must be
// committed or aborted first.
func (s *Store) Close() error {
	if err := s.lock.Close(); err != nil {
		return fmt.Errorf("close blob store %s: %w", s.dir, err)
	}
	return nil
}

// Dir is the store's folder.
func (s *Store) Dir() string { return s.dir }

// removeTemporaries empties the .tmp folder, keeping the folder itself (its
// open descriptor carries the lock).
func (s *Store) removeTemporaries() error {
	entries, err := os.ReadDir(s.tmpDir)
	if err != nil {
		return fmt.Errorf("remove temporary files: %w", err)
	}
	for _, e := range entries {
		if err := os.RemoveAll(filepath.Join(s.tmpDir, e.Name())); err != nil {
			return fmt.Errorf("remove temporary files: %w", err)
		}
	}
	return nil
}

// path is where the file named ref lives: dir/ab/abcd…, or dir/ab/cd/abcd…
// in a store of two levels.
func (s *Store) path(ref damask.BlobRef) string {
	name := ref.String()
	if s.levels == 2 {
		return filepath.Join(s.dir, name[0:2], name[2:4], name)
	}
	return filepath.Join(s.dir, name[0:2], name)
}

// Create starts a new file in the .tmp folder.
func (s *Store) Create(ctx context.Context) (damask.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("create blob", err)
	}
	f, err := s.fs.CreateTemp(s.tmpDir, "blob-*")
	if err != nil {
		return nil, ioError("create blob temporary file", err)
	}
	return &writer{s: s, f: f, tmp: f.Name(), h: sha256.New()}, nil
}

// Open answers what the FS opened: with OS, the *os.File itself, so that
// http.ServeContent can hand it to sendfile.
func (s *Store) Open(ctx context.Context, ref damask.BlobRef) (io.ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("open blob "+ref.String(), err)
	}
	f, err := s.fs.Open(s.path(ref))
	if errors.Is(err, fs.ErrNotExist) && s.unquarantine(ref) {
		f, err = s.fs.Open(s.path(ref))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return nil, fmt.Errorf("open blob %s: %w", ref, damask.ErrNotFound)
	}
	if err != nil {
		return nil, fmt.Errorf("open blob %s: %w", ref, err)
	}
	return f, nil
}

// Path names the file of ref, for tools that read files by name
// (damask.BlobPather).
func (s *Store) Path(ref damask.BlobRef) (string, error) {
	p := s.path(ref)
	_, err := s.fs.Stat(p)
	if errors.Is(err, fs.ErrNotExist) && s.unquarantine(ref) {
		_, err = s.fs.Stat(p)
	}
	if errors.Is(err, fs.ErrNotExist) {
		return "", fmt.Errorf("blob %s: %w", ref, damask.ErrNotFound)
	} else if err != nil {
		return "", fmt.Errorf("blob %s: %w", ref, err)
	}
	return p, nil
}

// Stat describes the file named ref.
func (s *Store) Stat(ctx context.Context, ref damask.BlobRef) (damask.BlobInfo, error) {
	if err := ctx.Err(); err != nil {
		return damask.BlobInfo{}, canceled("stat blob "+ref.String(), err)
	}
	fi, err := s.fs.Stat(s.path(ref))
	if errors.Is(err, fs.ErrNotExist) && s.unquarantine(ref) {
		fi, err = s.fs.Stat(s.path(ref))
	}
	if errors.Is(err, fs.ErrNotExist) {
		return damask.BlobInfo{}, fmt.Errorf("stat blob %s: %w", ref, damask.ErrNotFound)
	}
	if err != nil {
		return damask.BlobInfo{}, fmt.Errorf("stat blob %s: %w", ref, err)
	}
	return damask.BlobInfo{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// Delete removes the file named ref. The fan-out folders stay: removing one
// would race with a Commit about to rename a file into it, and there are at
// most 65,536 of them. The removal is not fsynced: should a crash undo it,
// the file is an orphan again and the collector takes it next time.
func (s *Store) Delete(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("delete blob "+ref.String(), err)
	}
	err := s.fs.Remove(s.path(ref))
	if err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete blob %s: %w", ref, err)
	}
	return nil
}

// Walk calls fn for every file in the tree whose path is exactly the one its
// name calls for (dir/ab/abcd…, or dir/ab/cd/abcd… in a store of two levels,
// in lowercase hex). It skips .tmp and anything else: stray files, symbolic
// links, misplaced or misnamed files. An error from fn stops the walk and is
// returned as it is.
func (s *Store) Walk(ctx context.Context, fn func(damask.BlobInfo) error) error {
	tops, err := readFanOut(s.dir)
	if err != nil {
		return fmt.Errorf("walk blobs: %w", err)
	}
	for _, top := range tops {
		leaves := []string{top}
		if s.levels == 2 {
			subs, err := readFanOut(filepath.Join(s.dir, top))
			if err != nil {
				return fmt.Errorf("walk blobs: %w", err)
			}
			leaves = leaves[:0]
			for _, sub := range subs {
				leaves = append(leaves, top+sub)
			}
		}
		for _, leaf := range leaves {
			if err := ctx.Err(); err != nil {
				return canceled("walk blobs", err)
			}
			if err := s.walkFolder(leaf, fn); err != nil {
				return err
			}
		}
	}
	return nil
}

// walkFolder calls fn for the files of the fan-out folder whose names
// begin with prefix (dir/ab for "ab", dir/ab/cd for "abcd").
func (s *Store) walkFolder(prefix string, fn func(damask.BlobInfo) error) error {
	dir := s.dir
	for i := 0; i < len(prefix); i += 2 {
		dir = filepath.Join(dir, prefix[i:i+2])
	}
	entries, err := os.ReadDir(dir)
	if err != nil {
		return fmt.Errorf("walk blobs: %w", err)
	}
	for _, e := range entries {
		ref, err := damask.ParseBlobRef(e.Name())
		if err != nil || ref.String() != e.Name() || e.Name()[:len(prefix)] != prefix || !e.Type().IsRegular() {
			continue
		}
		fi, err := e.Info()
		if errors.Is(err, fs.ErrNotExist) {
			continue // deleted since the folder was read
		}
		if err != nil {
			return fmt.Errorf("walk blobs: %w", err)
		}
		if err := fn(damask.BlobInfo{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}); err != nil {
			return err
		}
	}
	return nil
}

// readFanOut lists the fan-out folders in dir: those named by two lowercase
// hex digits.
func readFanOut(dir string) ([]string, error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return nil, err
	}
	var names []string
	for _, e := range entries {
		if n := e.Name(); e.IsDir() && len(n) == 2 && isLowerHex(n[0]) && isLowerHex(n[1]) {
			names = append(names, n)
		}
	}
	return names, nil
}

func isLowerHex(c byte) bool { return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' }

// pipelineMin is the smallest write whose hashing runs beside the disk
// write. Below it, handing the bytes to another goroutine and waiting for it
// costs more than it saves: measured here, 32 KiB writes ran about 10%
// faster hashed inline, 64 KiB ones about 6% faster pipelined.
const pipelineMin = 64 << 10

// writer writes a new file to .tmp, hashing it on the way. It is not safe
// for concurrent use.
type writer struct {
	s   *Store
	f   File
	tmp string // f's name, kept apart so that tests may swap f
	h   hash.Hash
	n   int64
	err error // the first write error; every later Write and Commit answer it
	// flushed is how far writeback was started (see startWriteback);
	// noHints is set when the file system refuses them.
	flushed int64
	noHints bool
	// done is set by Commit and Abort: the temporary file is gone or has
	// become the committed file, and Abort has nothing left to do.
	done bool
}

// Write writes p to the temporary file while another goroutine hashes it;
// both finish before Write returns, so p is not retained. The first error
// sticks: Commit will fail, never store a file with a hole.
func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("write blob: already committed or aborted")
	}
	if w.err != nil {
		return 0, w.err
	}
	var n int
	var err error
	if len(p) < pipelineMin {
		n, err = w.f.Write(p)
		w.h.Write(p)
	} else {
		var wg sync.WaitGroup
		wg.Go(func() { w.h.Write(p) })
		n, err = w.f.Write(p)
		wg.Wait()
	}
	w.n += int64(n)
	if err != nil {
		w.err = ioError("write blob", err)
		return n, w.err
	}
	if !w.noHints && w.n-w.flushed >= writebackChunk {
		ok, err := startWriteback(w.f, w.flushed, w.n-w.flushed)
		if err != nil {
			w.err = ioError("write blob: start writeback", err)
			return n, w.err
		}
		w.noHints = !ok
		w.flushed = w.n
	}
	return n, nil
}

// ReadFrom lets io.Copy hand Write chunks of bufSize rather than its own
// 32 KiB, so that hashing runs beside the disk write (see pipelineMin).
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	bp := bufPool.Get().(*[]byte)
	defer bufPool.Put(bp)
	buf := *bp
	var total int64
	for {
		n, rerr := io.ReadFull(r, buf)
		if n > 0 {
			m, err := w.Write(buf[:n])
			total += int64(m)
			if err != nil {
				return total, err
			}
		}
		switch {
		case rerr == io.EOF || rerr == io.ErrUnexpectedEOF:
			return total, nil
		case rerr != nil:
			return total, rerr
		}
	}
}

// bufSize is ReadFrom's buffer: large enough to amortize the hand-off to
// the hashing goroutine, small enough to stay in the core's cache between
// the read that fills it and the write that copies it into the page cache
// (1 MiB made that copy 1.3 to 6 times slower per byte under load; see
// bench/notes.md), and that many uploads at once stay within the memory
// target (PERFORMANCE.md: RSS below 64 MiB during an upload).
const bufSize = 128 << 10

var bufPool = sync.Pool{New: func() any { b := make([]byte, bufSize); return &b }}

// writebackChunk is how many written bytes make Write start their
// writeback; a few MiB keep the disk busy without a syscall per Write.
const writebackChunk = 8 << 20

func (w *writer) Written() int64 { return w.n }

// Commit gives the file its name. When the name is taken already, the
// existing file has the same bytes: it is kept, its ModTime renewed, and the
// temporary file is dropped without being fsynced. Otherwise the temporary
// file is fsynced, closed and renamed into place, and the folders that
// changed are fsynced, before Commit returns. On failure nothing is left.
func (w *writer) Commit(ctx context.Context) (damask.BlobInfo, error) {
	if w.done {
		return damask.BlobInfo{}, errors.New("commit blob: already committed or aborted")
	}
	if w.err != nil {
		w.Abort()
		return damask.BlobInfo{}, w.err
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return damask.BlobInfo{}, canceled("commit blob", err)
	}
	var ref damask.BlobRef
	w.h.Sum(ref[:0])
	info, err := w.commit(ref)
	if err != nil {
		w.Abort()
		return damask.BlobInfo{}, err
	}
	w.done = true
	return info, nil
}

func (w *writer) commit(ref damask.BlobRef) (damask.BlobInfo, error) {
	dst := w.s.path(ref)
	if info, ok, err := w.s.renew(ref, dst, w.n); err != nil {
		return damask.BlobInfo{}, err
	} else if ok {
		w.f.Close() // dropped unread; a close error changes nothing
		if err := w.s.fs.Remove(w.tmp); err != nil {
			return damask.BlobInfo{}, fmt.Errorf("commit blob %s: drop the copy: %w", ref, err)
		}
		return info, nil
	}

	if err := w.f.Sync(); err != nil {
		return damask.BlobInfo{}, ioError("commit blob "+ref.String()+": fsync", err)
	}
	fi, err := w.f.Stat()
	if err != nil {
		return damask.BlobInfo{}, fmt.Errorf("commit blob %s: %w", ref, err)
	}
	if fi.Size() != w.n {
		return damask.BlobInfo{}, fmt.Errorf("commit blob %s: temporary file holds %d bytes, %d were written", ref, fi.Size(), w.n)
	}
	if err := w.f.Close(); err != nil {
		return damask.BlobInfo{}, ioError("commit blob "+ref.String()+": close", err)
	}
	made, err := w.s.mkdirs(ref)
	if err != nil {
		return damask.BlobInfo{}, ioError("commit blob "+ref.String(), err)
	}
	err = w.s.fs.Rename(w.tmp, dst)
	if errors.Is(err, fs.ErrNotExist) {
		// A folder known durable is gone (removed by hand): make it again.
		w.s.durable.Delete(filepath.Dir(dst))
		w.s.durable.Delete(filepath.Dir(filepath.Dir(dst)))
		if made, err = w.s.mkdirs(ref); err == nil {
			err = w.s.fs.Rename(w.tmp, dst)
		}
	}
	if err != nil {
		return damask.BlobInfo{}, ioError("commit blob "+ref.String(), err)
	}
	// From here the file is in place; only the folders' fsyncs can fail,
	// and then the file stays as an orphan (complete bytes, no record),
	// which the collector takes later. The new name's folder and the
	// parents of folders not yet known durable are fsynced at once, side
	// by side: each must be on disk before Commit returns, in no order
	// among them, since the file's bytes are already.
	if err := w.s.syncFolders(filepath.Dir(dst), made); err != nil {
		return damask.BlobInfo{}, ioError("commit blob "+ref.String(), err)
	}
	return damask.BlobInfo{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}, nil
}

// renew handles a Commit whose name is taken: it renews the existing file's
// ModTime, so that a collector waiting for old unreferenced files leaves it
// alone, and fsyncs its folder, because the writer that renamed it there may
// not have done so yet. ok is false when the temporary file has to be
// renamed instead: there is no such file (or it was deleted meanwhile), or
// it is not size bytes long, so damaged (`damask check` would say so), and
// the new copy replaces it.
func (s *Store) renew(ref damask.BlobRef, dst string, size int64) (info damask.BlobInfo, ok bool, err error) {
	now := time.Now()
	if err := s.fs.Chtimes(dst, now, now); errors.Is(err, fs.ErrNotExist) {
		return damask.BlobInfo{}, false, nil
	} else if err != nil {
		return damask.BlobInfo{}, false, ioError("commit blob "+ref.String()+": renew existing file", err)
	}
	fi, err := s.fs.Stat(dst)
	if errors.Is(err, fs.ErrNotExist) || err == nil && fi.Size() != size {
		return damask.BlobInfo{}, false, nil
	} else if err != nil {
		return damask.BlobInfo{}, false, ioError("commit blob "+ref.String()+": renew existing file", err)
	}
	if err := s.syncDir(filepath.Dir(dst)); err != nil {
		return damask.BlobInfo{}, false, ioError("commit blob "+ref.String(), err)
	}
	return damask.BlobInfo{Ref: ref, Size: fi.Size(), ModTime: fi.ModTime()}, true, nil
}

// Abort closes and removes the temporary file. After Commit, successful or
// not, it does nothing.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.f.Close() // the file is dropped; a close error changes nothing
	if err := w.s.fs.Remove(w.tmp); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("abort blob: %w", err)
	}
	return nil
}

// mkdirSynced creates the fan-out folders of ref when missing, and makes
// their names durable (see mkdirs), so that a file renamed into them is not
// lost with its folder in a crash.
func (s *Store) mkdirSynced(ref damask.BlobRef) error {
	made, err := s.mkdirs(ref)
	if err != nil {
		return err
	}
	return s.syncFolders("", made)
}

// mkdirs creates the fan-out folders of ref (dir/ab, and dir/ab/cd in a
// store of two levels) when missing, and answers those not known durable
// (see Store.durable), made now or found: syncFolders fsyncs their
// parents. A folder known durable costs no system call.
func (s *Store) mkdirs(ref damask.BlobRef) ([]string, error) {
	name := ref.String()
	var made []string
	parent := s.dir
	for level := range s.levels {
		dir := filepath.Join(parent, name[2*level:2*level+2])
		parent = dir
		if _, ok := s.durable.Load(dir); ok {
			continue
		}
		if err := s.fs.Mkdir(dir, dirPerm); err != nil && !errors.Is(err, fs.ErrExist) {
			return nil, err
		}
		made = append(made, dir)
	}
	return made, nil
}

// syncFolders fsyncs leaf (unless "") and the parents of the folders made,
// side by side, each once, and then records the folders made as durable.
func (s *Store) syncFolders(leaf string, made []string) error {
	dirs := make([]string, 0, 3)
	if leaf != "" {
		dirs = append(dirs, leaf)
	}
	for _, d := range made {
		if p := filepath.Dir(d); !slices.Contains(dirs, p) {
			dirs = append(dirs, p)
		}
	}
	var err error
	if len(dirs) == 1 {
		err = s.syncDir(dirs[0])
	} else {
		errs := make([]error, len(dirs))
		var wg sync.WaitGroup
		for i, d := range dirs {
			wg.Go(func() { errs[i] = s.syncDir(d) })
		}
		wg.Wait()
		err = errors.Join(errs...)
	}
	if err != nil {
		return err
	}
	for _, d := range made {
		s.durable.Store(d, true)
	}
	return nil
}

// syncDir fsyncs a folder, making the names in it durable.
func (s *Store) syncDir(dir string) error {
	if err := s.fs.SyncDir(dir); err != nil {
		return fmt.Errorf("fsync %s: %w", dir, err)
	}
	return nil
}

// ioError wraps an I/O error with what was being done. A full disk becomes
// EQUOTA, which the API answers with 507; anything else stays internal.
func ioError(doing string, err error) error {
	if errors.Is(err, syscall.ENOSPC) {
		return &damask.Error{Code: damask.EQUOTA, Message: "Storage is full", Err: fmt.Errorf("%s: %w", doing, err)}
	}
	return fmt.Errorf("%s: %w", doing, err)
}

// canceled reports a context that ended, with ECANCELED; errors.Is still
// finds context.Canceled or context.DeadlineExceeded in it.
func canceled(doing string, err error) error {
	return &damask.Error{Code: damask.ECANCELED, Message: "Canceled", Err: fmt.Errorf("%s: %w", doing, err)}
}
