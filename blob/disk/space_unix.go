//go:build unix

package disk

import (
	"context"
	"fmt"
	"syscall"
)

// FreeSpace answers the room left on the store's file system, as statfs
// tells it: the blocks available to unprivileged users (what root keeps
// back does not count) and the total (damask.FreeSpacer).
func (s *Store) FreeSpace(ctx context.Context) (free, size int64, err error) {
	if err := ctx.Err(); err != nil {
		return 0, 0, canceled("free space", err)
	}
	var st syscall.Statfs_t
	if err := syscall.Statfs(s.dir, &st); err != nil {
		return 0, 0, fmt.Errorf("free space of %s: %w", s.dir, err)
	}
	return int64(st.Bavail) * int64(st.Bsize), int64(st.Blocks) * int64(st.Bsize), nil
}
