//go:build !faultfs

package main

import "damask/blob/disk"

// blobFS answers the file system of a disk file store: the operating
// system's. A test build (tag faultfs) can inject I/O errors instead; see
// faults_on.go.
func blobFS(func(string) string) (disk.FS, error) { return disk.OS{}, nil }
