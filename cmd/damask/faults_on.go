//go:build faultfs

package main

import (
	"fmt"

	"damask/blob/disk"
	"damask/blob/disk/faultfs"
)

// blobFS answers the file system of a disk file store. Built with the
// faultfs tag (for tests only), DAMASK_FAULTS names I/O errors to inject
// under it (see faultfs.Parse): "fsync=eio", "write=eio@1MiB"...
func blobFS(getenv func(string) string) (disk.FS, error) {
	v := getenv("DAMASK_FAULTS")
	if v == "" {
		return disk.OS{}, nil
	}
	sp, err := faultfs.Parse(v)
	if err != nil {
		return nil, usageError(fmt.Sprintf("DAMASK_FAULTS=%q: %v", v, err))
	}
	return faultfs.New(sp), nil
}
