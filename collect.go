package damask

import "context"

// BlobCollector is a BlobStore whose unreferenced files the collector
// removes in two steps, so that an upload of the same bytes never loses
// them. Content addressing makes a new upload of old bytes renew the old
// file and commit a record pointing at it; a collector that found the
// file unreferenced just before would otherwise delete it under the new
// record. Instead it quarantines the file: moves it out of the tree to a
// place where reads still find it (Open and Stat put it back first), and
// releases it for good only once it has been quarantined longer than the
// uploads' grace and is still unreferenced. An upload that commits after
// the quarantine writes its own copy; one that renewed the file just
// before finds it through the quarantine until its record is in.
// blob/disk and blob/s3 are BlobCollectors.
type BlobCollector interface {
	// Quarantine moves the file named ref aside; a missing file is not an
	// error.
	Quarantine(ctx context.Context, ref BlobRef) error
	// WalkQuarantine calls fn for every quarantined file; its ModTime is
	// when it was quarantined. An error from fn stops the walk and is
	// returned as it is.
	WalkQuarantine(ctx context.Context, fn func(BlobInfo) error) error
	// Restore puts a quarantined file back under its name. A file there
	// already has the same bytes; a file no longer quarantined is not an
	// error.
	Restore(ctx context.Context, ref BlobRef) error
	// Release removes a quarantined file for good; a missing one is not
	// an error.
	Release(ctx context.Context, ref BlobRef) error
}
