package damask

import "context"

// Counter is a Store that counts exactly what a filter chooses, reading
// every match: for tools and benchmarks, where lists only estimate above
// ExactCount.
type Counter interface {
	Count(ctx context.Context, f AssetFilter) (int, error)
}

// IntegrityChecker is a Store that checks itself for damage (damask check):
// nil when sound, else an error listing what it found.
type IntegrityChecker interface {
	IntegrityCheck(ctx context.Context) error
}
