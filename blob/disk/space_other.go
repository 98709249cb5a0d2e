//go:build !unix

package disk

import (
	"context"
	"errors"
)

// FreeSpace cannot tell the room left where there is no statfs; uploads
// then keep no reserve.
func (s *Store) FreeSpace(ctx context.Context) (free, size int64, err error) {
	return 0, 0, errors.ErrUnsupported
}
