package sqlite

import (
	"encoding/binary"
	"errors"
	"fmt"
	"os"
	"strconv"
	"sync/atomic"
	"syscall"
	"unsafe"
)

// The WAL index (the file's "-shm", https://sqlite.org/walformat.html)
// begins with two copies of a 48-byte header that every connection of
// every process reads to begin a read transaction. A commit writes the
// second copy, then the first, before it returns, and each write of the
// header increments its change counter (iChange, the 32-bit word at
// offset 8), the value PRAGMA data_version reports a change of. Mapping
// that page read-only lets a request tell "nothing committed since" from
// two loads of shared memory, where the pragma takes a cgo call, a read
// transaction and fcntl locks on the shm file.
//
// The page is mapped through the descriptor SQLite itself holds open for
// the shm file (found in /proc/self/fd): opening the file anew and closing
// that descriptor later would drop the process's POSIX locks on it, which
// SQLite's own connections rely on. The mapping stays valid while the
// watch's connection is open: a connection in WAL mode holds a shared lock
// on the database, so no process can delete or reset the shm file.

// shmHeaderSize is the two copies of the header.
const shmHeaderSize = 96

// walIndexVersion is the iVersion of the header SQLite writes (3007000).
const walIndexVersion = 3007000

// shmMap maps the first page of the shm file beside dbPath, read-only.
func shmMap(dbPath string) ([]byte, error) {
	want, err := os.Stat(dbPath + "-shm")
	if err != nil {
		return nil, err
	}
	st, ok := want.Sys().(*syscall.Stat_t)
	if !ok {
		return nil, errors.New("no inode")
	}
	fds, err := os.ReadDir("/proc/self/fd")
	if err != nil {
		return nil, err
	}
	for _, e := range fds {
		fd, err := strconv.Atoi(e.Name())
		if err != nil || !sameFile(fd, st) {
			continue
		}
		m, err := syscall.Mmap(fd, 0, os.Getpagesize(), syscall.PROT_READ, syscall.MAP_SHARED)
		if err != nil {
			continue
		}
		// The descriptor may have been closed and its number reused
		// between the check and the mapping: check again, and check
		// that the page holds a WAL index.
		if !sameFile(fd, st) || len(m) < shmHeaderSize || atomic.LoadUint32(shmWord(m, 0)) != walIndexVersion {
			syscall.Munmap(m)
			continue
		}
		return m, nil
	}
	return nil, fmt.Errorf("no descriptor of %s-shm open", dbPath)
}

func sameFile(fd int, want *syscall.Stat_t) bool {
	var st syscall.Stat_t
	return syscall.Fstat(fd, &st) == nil && st.Dev == want.Dev && st.Ino == want.Ino
}

func shmUnmap(m []byte) { syscall.Munmap(m) }

// shmWord is the 32-bit word at offset off of the mapping, for atomic
// loads (the memory is written by other processes).
func shmWord(m []byte, off int) *uint32 { return (*uint32)(unsafe.Pointer(&m[off])) }

// shmChange reads the header's change counter, and tells whether the two
// copies agreed: a writer writes the second copy first, so that when the
// first copy's words (read first) equal the second's, no write of the
// header was under way between them. A disagreement is answered as not
// ok, and the caller asks SQLite instead.
func shmChange(m []byte) (uint32, bool) {
	var first [12]uint32
	for i := range first {
		first[i] = atomic.LoadUint32(shmWord(m, 4*i))
	}
	for i := range first {
		if atomic.LoadUint32(shmWord(m, 48+4*i)) != first[i] {
			return 0, false
		}
	}
	// isInit is the byte at offset 12, the first of word 3.
	var w3 [4]byte
	binary.NativeEndian.PutUint32(w3[:], first[3])
	if first[0] != walIndexVersion || w3[0] == 0 {
		return 0, false
	}
	return first[2], true
}
