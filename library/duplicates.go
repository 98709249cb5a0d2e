package library

import (
	"context"
	"fmt"

	"damask"
)

// DuplicateOf answers the asset the library held before id with the same
// current file (the same SHA-256), as the caller may see it, or nil: how
// the upload tray tells that a file just sent was a copy, to keep both or
// skip the new one.
func (s *Service) DuplicateOf(ctx context.Context, c Caller, id int64) (*damask.Asset, error) {
	a, err := s.Asset(ctx, c, id)
	if err != nil {
		return nil, err
	}
	// The store keeps the oldest asset of a file: another is the original.
	ids, err := s.Duplicates(ctx, c, a.Blob.String())
	if err != nil {
		return nil, fmt.Errorf("duplicate of asset %d: %w", id, err)
	}
	if len(ids) == 0 || ids[0] == id {
		return nil, nil
	}
	return s.Asset(ctx, c, ids[0])
}
