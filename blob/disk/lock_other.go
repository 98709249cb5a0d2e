//go:build !unix

package disk

import "os"

// lockTmp, where there is no flock, cannot tell whether another process
// has the store open and takes every temporary file for a crash's leftover.
func lockTmp(tmpDir string) (lock *os.File, alone bool, err error) {
	d, err := os.Open(tmpDir)
	if err != nil {
		return nil, false, err
	}
	return d, true, nil
}
