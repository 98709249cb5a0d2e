//go:build !linux

package sqlite

import "errors"

// Elsewhere than Linux, the watch asks SQLite every time (shm_linux.go).

const shmHeaderSize = 96

func shmMap(string) ([]byte, error) { return nil, errors.New("not on this system") }

func shmUnmap([]byte) {}

func shmChange([]byte) (uint32, bool) { return 0, false }
