package disk

import (
	"errors"
	"syscall"
)

// syncFileRangeWrite is SYNC_FILE_RANGE_WRITE: start writeback of the dirty
// pages in the range, without waiting for it.
const syncFileRangeWrite = 0x2

// startWriteback asks the kernel to start writing [off, off+n) of f to disk
// now rather than when Commit fsyncs, so that the disk works while the rest
// of the file is still being received and hashed; the fsync then finds
// little left to do. It is only a hint: durability comes from the fsync,
// which also still reports any writeback error (the hint does not consume
// it). ok is false when the file system does not take hints (stop asking);
// an I/O error is returned.
func startWriteback(f File, off, n int64) (ok bool, err error) {
	err = syscall.SyncFileRange(int(f.Fd()), off, n, syncFileRangeWrite)
	switch {
	case err == nil:
		return true, nil
	case errors.Is(err, syscall.EIO), errors.Is(err, syscall.ENOSPC):
		return false, err
	}
	return false, nil
}
