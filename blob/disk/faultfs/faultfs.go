// Package faultfs is a file system for blob/disk that fails on purpose:
// writes past a given size, fsyncs, renames or folder fsyncs answer EIO or
// ENOSPC, as a dying or full disk would. Tests use it to prove that such an
// error fails the upload (RELIABILITY.md item 32: a 5xx, never a 2xx) and
// leaves nothing behind. The damask command links it only when built with
// the faultfs tag, which reads a Spec from DAMASK_FAULTS.
package faultfs

import (
	"errors"
	"fmt"
	"strconv"
	"strings"
	"syscall"

	"damask/blob/disk"
)

// Spec says which calls fail, and with what. A nil error leaves the call
// alone.
type Spec struct {
	// Write fails every write that would take a file being written past
	// WriteAfter bytes; the bytes up to that size are written.
	Write      error
	WriteAfter int64
	Fsync      error // fsync of a file being written
	Rename     error // a temporary file's rename to its name
	DirSync    error // fsync of a folder
}

// Parse reads a spec such as "write=eio@1MiB,fsync=enospc": a list of
// POINT=ERROR, where POINT is write, fsync, rename or dirsync and ERROR is
// eio or enospc; write may take @SIZE (bytes, or with a KiB, MiB or GiB
// suffix), the size written before writes fail (default 0).
func Parse(s string) (Spec, error) {
	var sp Spec
	if strings.TrimSpace(s) == "" {
		return sp, errors.New("faults: empty spec")
	}
	for item := range strings.SplitSeq(s, ",") {
		point, rest, ok := strings.Cut(strings.TrimSpace(item), "=")
		if !ok {
			return Spec{}, fmt.Errorf("faults: %q is not POINT=ERROR", item)
		}
		name, at, hasAt := strings.Cut(rest, "@")
		var err error
		switch strings.ToLower(name) {
		case "eio":
			err = syscall.EIO
		case "enospc":
			err = syscall.ENOSPC
		default:
			return Spec{}, fmt.Errorf("faults: %q: unknown error %q (eio, enospc)", item, name)
		}
		if hasAt && point != "write" {
			return Spec{}, fmt.Errorf("faults: %q: only write takes @SIZE", item)
		}
		switch point {
		case "write":
			sp.Write = err
			if hasAt {
				n, perr := parseSize(at)
				if perr != nil {
					return Spec{}, fmt.Errorf("faults: %q: %w", item, perr)
				}
				sp.WriteAfter = n
			}
		case "fsync":
			sp.Fsync = err
		case "rename":
			sp.Rename = err
		case "dirsync":
			sp.DirSync = err
		default:
			return Spec{}, fmt.Errorf("faults: %q: unknown point %q (write, fsync, rename, dirsync)", item, point)
		}
	}
	return sp, nil
}

func parseSize(s string) (int64, error) {
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"KiB", 1 << 10}, {"MiB", 1 << 20}, {"GiB", 1 << 30}} {
		if rest, ok := strings.CutSuffix(s, u.suffix); ok {
			s, mult = rest, u.mult
			break
		}
	}
	n, err := strconv.ParseInt(s, 10, 64)
	if err != nil || n < 0 {
		return 0, fmt.Errorf("bad size %q", s)
	}
	return n * mult, nil
}

// FS is the operating system's file system with the failures of its spec.
type FS struct {
	disk.OS
	Spec Spec
}

var _ disk.FS = (*FS)(nil)

// New answers a file system failing as sp says.
func New(sp Spec) *FS { return &FS{Spec: sp} }

func (f *FS) CreateTemp(dir, pattern string) (disk.File, error) {
	fl, err := f.OS.CreateTemp(dir, pattern)
	if err != nil {
		return nil, err
	}
	return &file{File: fl, sp: &f.Spec}, nil
}

func (f *FS) Rename(oldpath, newpath string) error {
	if f.Spec.Rename != nil {
		return &injected{op: "rename", path: oldpath, err: f.Spec.Rename}
	}
	return f.OS.Rename(oldpath, newpath)
}

func (f *FS) SyncDir(dir string) error {
	if f.Spec.DirSync != nil {
		return &injected{op: "fsync", path: dir, err: f.Spec.DirSync}
	}
	return f.OS.SyncDir(dir)
}

// injected is the error a failing call answers: as the os package's,
// it names the call and the file and unwraps to the errno.
type injected struct {
	op, path string
	err      error
}

func (e *injected) Error() string { return e.op + " " + e.path + ": " + e.err.Error() + " (injected)" }
func (e *injected) Unwrap() error { return e.err }

// file is a file being written, failing as its spec says.
type file struct {
	disk.File
	sp *Spec
	n  int64
}

func (f *file) Write(p []byte) (int, error) {
	if f.sp.Write != nil && f.n+int64(len(p)) > f.sp.WriteAfter {
		k := max(f.sp.WriteAfter-f.n, 0)
		m, err := f.File.Write(p[:k])
		f.n += int64(m)
		if err == nil {
			err = &injected{op: "write", path: f.Name(), err: f.sp.Write}
		}
		return m, err
	}
	m, err := f.File.Write(p)
	f.n += int64(m)
	return m, err
}

func (f *file) Sync() error {
	if f.sp.Fsync != nil {
		return &injected{op: "fsync", path: f.Name(), err: f.sp.Fsync}
	}
	return f.File.Sync()
}
