package disk

import (
	"context"
	"errors"
	"fmt"
	"io/fs"
	"os"
	"path/filepath"

	"damask"
)

// Partial files: the files of resumable uploads (the tus protocol), which
// arrive over many requests and must outlive a restart of the server, so
// they live beside .tmp (which Open empties) in dir/.partial/NAME. Each
// request appends to the file and fsyncs it before its offset is recorded
// in the metadata store; the complete file is renamed into the tree by the
// same crash-safe sequence as a Commit, so its bytes are written once.
// A crash between the fsync and the record leaves bytes past the recorded
// offset, which OpenPartial cuts.

const partialDirName = ".partial"

var _ damask.PartialStore = (*Store)(nil)

func (s *Store) partialPath(name string) (string, error) {
	if name == "" || len(name) > 64 {
		return "", fmt.Errorf("partial file %q: bad name", name)
	}
	for i := 0; i < len(name); i++ {
		c := name[i]
		if !('0' <= c && c <= '9' || 'a' <= c && c <= 'z') {
			return "", fmt.Errorf("partial file %q: bad name", name)
		}
	}
	return filepath.Join(s.dir, partialDirName, name), nil
}

// OpenPartial opens dir/.partial/name for appending at size.
func (s *Store) OpenPartial(ctx context.Context, name string, size int64) (damask.PartialFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("open partial file", err)
	}
	p, err := s.partialPath(name)
	if err != nil {
		return nil, err
	}
	dir := filepath.Dir(p)
	if err := os.Mkdir(dir, dirPerm); err == nil {
		if err := s.syncDir(s.dir); err != nil {
			return nil, ioError("open partial file", err)
		}
	} else if !errors.Is(err, fs.ErrExist) {
		return nil, ioError("open partial file", err)
	}
	f, err := os.OpenFile(p, os.O_RDWR|os.O_CREATE, filePerm)
	if err != nil {
		return nil, ioError("open partial file", err)
	}
	fi, err := f.Stat()
	if err != nil {
		f.Close()
		return nil, ioError("open partial file", err)
	}
	switch {
	case fi.Size() < size:
		f.Close()
		return nil, fmt.Errorf("open partial file %s: it holds %d bytes, %d were recorded durable", name, fi.Size(), size)
	case fi.Size() > size:
		// Bytes of a request whose offset was never recorded.
		if err := f.Truncate(size); err != nil {
			f.Close()
			return nil, ioError("open partial file: cut unrecorded bytes", err)
		}
	}
	if size == 0 && fi.Size() == 0 {
		// A new name: make it durable in its folder.
		if err := s.syncDir(dir); err != nil {
			f.Close()
			return nil, ioError("open partial file", err)
		}
	}
	if _, err := f.Seek(size, 0); err != nil {
		f.Close()
		return nil, ioError("open partial file", err)
	}
	return &partial{s: s, f: f, path: p, n: size, flushed: size}, nil
}

// DeletePartial removes dir/.partial/name.
func (s *Store) DeletePartial(ctx context.Context, name string) error {
	p, err := s.partialPath(name)
	if err != nil {
		return err
	}
	if err := os.Remove(p); err != nil && !errors.Is(err, fs.ErrNotExist) {
		return fmt.Errorf("delete partial file: %w", err)
	}
	return nil
}

// partialWritebackChunk is writebackChunk for a partial file. Every
// request of a resumable upload ends in an fsync that waits for the bytes
// whose writeback was not started yet, and the sender waits for that
// answer before it sends the next piece: with 8 MiB, a 64 MiB piece ended
// on a whole chunk not yet written and its fsync took 5 to 7 ms (median;
// up to 110 ms on a busy disk), with 1 MiB 0.8 to 1.1 ms, for the same
// CPU (bench/notes.md, 2026-12-08).
const partialWritebackChunk = 1 << 20

// partial is an open partial file.
type partial struct {
	s    *Store
	f    *os.File
	path string
	n    int64
	err  error // the first write error sticks, as in writer
	done bool
	// flushed is how far writeback was started, as in writer, so that
	// the fsync that ends each request finds little left to do.
	flushed int64
	noHints bool
}

func (p *partial) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("write partial file: already committed or closed")
	}
	if p.err != nil {
		return 0, p.err
	}
	n, err := p.f.Write(b)
	p.n += int64(n)
	if err != nil {
		p.err = ioError("write partial file", err)
		return n, p.err
	}
	if !p.noHints && p.n-p.flushed >= partialWritebackChunk {
		ok, err := startWriteback(p.f, p.flushed, p.n-p.flushed)
		if err != nil {
			p.err = ioError("write partial file: start writeback", err)
			return n, p.err
		}
		p.noHints = !ok
		p.flushed = p.n
	}
	return n, nil
}

func (p *partial) Size() int64 { return p.n }

func (p *partial) Sync(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if err := p.f.Sync(); err != nil {
		p.err = ioError("fsync partial file", err)
		return p.err
	}
	return nil
}

// Commit renames the partial file into the tree under ref, through the
// writer's own sequence (an existing file under ref is kept).
func (p *partial) Commit(ctx context.Context, ref damask.BlobRef) (damask.BlobInfo, error) {
	if p.done {
		return damask.BlobInfo{}, errors.New("commit partial file: already committed or closed")
	}
	if p.err != nil {
		return damask.BlobInfo{}, p.err
	}
	if err := ctx.Err(); err != nil {
		return damask.BlobInfo{}, canceled("commit partial file", err)
	}
	w := &writer{s: p.s, f: p.f, tmp: p.path, n: p.n}
	info, err := w.commit(ref)
	if err != nil {
		return damask.BlobInfo{}, err
	}
	p.done = true
	return info, nil
}

func (p *partial) Close() error {
	if p.done {
		return nil
	}
	p.done = true
	return p.f.Close()
}
