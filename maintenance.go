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

// Analyzer is a Store whose query planner keeps statistics of the tables,
// which a bulk load (BulkCreator) leaves stale: Analyze makes them anew.
// A long series of loads (a synthetic catalogue in batches) ends with it.
// The SQLite store does not implement it: its statements are written for
// SQLite's planner without statistics.
type Analyzer interface {
	Analyze(ctx context.Context) error
}

// BulkLoader is a BulkCreator that loads faster when it knows that a run
// of CreateAssets calls is one import (a synthetic catalogue in batches):
// the SQLite store keeps a large page cache on its writer for the run, a
// setting a server in use should not keep. The run's writes and their
// promises are those of CreateAssets.
type BulkLoader interface {
	BulkLoad(ctx context.Context, load func(ctx context.Context) error) error
}
