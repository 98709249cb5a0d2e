package disk

import (
	"io"
	"io/fs"
	"os"
	"time"
)

// FS is the file system under a Store: the few calls it makes to write,
// name, read and drop files. OS, the real one, is the default; another
// layer (blob/disk/faultfs) fails chosen calls, so that tests can prove
// what an I/O error on write, fsync or rename does to an upload.
//
// Listing the tree (Walk), locking .tmp and emptying it at Open go to the
// operating system directly: they are not where a write can fail halfway.
type FS interface {
	// CreateTemp creates a new file for writing in dir, as os.CreateTemp.
	CreateTemp(dir, pattern string) (File, error)
	// Open opens a file for reading. What it answers is handed to the
	// store's callers as it is, so the real one answers an *os.File (which
	// http.ServeContent hands to sendfile).
	Open(name string) (File, error)
	Stat(name string) (fs.FileInfo, error)
	Mkdir(name string, perm fs.FileMode) error
	Rename(oldpath, newpath string) error
	Remove(name string) error
	Chtimes(name string, atime, mtime time.Time) error
	// SyncDir fsyncs a folder, making the names in it durable.
	SyncDir(dir string) error
}

// File is what the store does with an open file: *os.File's methods.
type File interface {
	io.Reader
	io.Writer
	io.Seeker
	io.Closer
	Sync() error
	Stat() (fs.FileInfo, error)
	Name() string
	// Fd is the descriptor, for writeback hints (see startWriteback).
	Fd() uintptr
}

// OS is the operating system's file system, the Store's default.
type OS struct{}

var _ FS = OS{}

func (OS) CreateTemp(dir, pattern string) (File, error) { return os.CreateTemp(dir, pattern) }
func (OS) Open(name string) (File, error) {
	f, err := os.Open(name)
	if err != nil {
		return nil, err // not a non-nil File holding a nil *os.File
	}
	return f, nil
}
func (OS) Stat(name string) (fs.FileInfo, error)             { return os.Stat(name) }
func (OS) Mkdir(name string, perm fs.FileMode) error         { return os.Mkdir(name, perm) }
func (OS) Rename(oldpath, newpath string) error              { return os.Rename(oldpath, newpath) }
func (OS) Remove(name string) error                          { return os.Remove(name) }
func (OS) Chtimes(name string, atime, mtime time.Time) error { return os.Chtimes(name, atime, mtime) }

func (OS) SyncDir(dir string) error {
	d, err := os.Open(dir)
	if err != nil {
		return err
	}
	err = d.Sync()
	if cerr := d.Close(); err == nil {
		err = cerr
	}
	return err
}
