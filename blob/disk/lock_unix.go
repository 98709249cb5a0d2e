//go:build unix

package disk

import (
	"errors"
	"os"
	"syscall"
)

// lockTmp opens the .tmp folder and holds a shared flock on it for as long
// as the store is open. alone tells whether no other store had it open: only
// then are the files in it leftovers of a crash rather than writes in
// progress of another process. The kernel drops the lock when a process
// dies, so a crash never leaves the folder looking busy.
func lockTmp(tmpDir string) (lock *os.File, alone bool, err error) {
	d, err := os.Open(tmpDir)
	if err != nil {
		return nil, false, err
	}
	fd := int(d.Fd())
	err = syscall.Flock(fd, syscall.LOCK_EX|syscall.LOCK_NB)
	switch {
	case err == nil:
		alone = true
	case errors.Is(err, syscall.EWOULDBLOCK):
	default:
		d.Close()
		return nil, false, err
	}
	// Shared from now on, so that the next store to open sees this one.
	// Going from exclusive to shared is not atomic, which costs nothing:
	// another store slipping in between finds no writes of ours yet.
	if err := syscall.Flock(fd, syscall.LOCK_SH); err != nil {
		d.Close()
		return nil, false, err
	}
	return d, alone, nil
}
