package library

import (
	"context"

	"damask"
)

// SetBeforeCollect makes Tidy call f once it has found the file ref
// unreferenced and old, just before it moves the file out of the way:
// tests run an upload of the same bytes there, to force the interleaving
// the collector must survive. Call it before the service is used.
func (s *Service) SetBeforeCollect(f func(ctx context.Context, ref damask.BlobRef)) {
	s.beforeCollect = f
}

// SetOnVerify makes every password verification call f first. Call it
// before the service is used.
func (s *Service) SetOnVerify(f func()) { s.onVerify = f }

// Selected resolves a selection as every bulk action does.
func (s *Service) Selected(ctx context.Context, c Caller, sel damask.Selection) ([]int64, error) {
	return s.selected(ctx, c, sel)
}
