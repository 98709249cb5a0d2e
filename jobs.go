package damask

import (
	"context"
	"errors"
	"time"
)

// Job is the background processing of one version of an asset: metadata,
// renditions and document text. Jobs live in the store, so that they
// survive a restart and can be shared by several workers.
type Job struct {
	ID        int64
	AccountID int64
	AssetID   int64
	Version   int     // the version's number
	Blob      BlobRef // the version's file
	State     string  // one of the Job* states
	// Stage is the part of the work the job is at: JobThumbnails, then
	// JobRest (see JobQueue.NextStage).
	Stage int
	// Attempts counts the claims so far, this one included.
	Attempts   int
	RunAfter   time.Time
	LeaseUntil time.Time
	LastError  string
	CreatedAt  time.Time
	UpdatedAt  time.Time
}

// Job states.
const (
	JobQueued  = "queued"
	JobRunning = "running"
	JobDone    = "done"
	JobFailed  = "failed"
)

// Job stages. A version's job makes its thumbnails first, then is queued
// again for the rest (metadata, large previews), behind every job still at
// its thumbnails: a batch of uploads shows all its thumbnails before any
// large preview is made.
const (
	JobThumbnails = 0
	JobRest       = 1
)

// ErrNextStage is what a job handler answers when it has done the job's
// stage and the job is to be queued again at the next (NextStage).
var ErrNextStage = errors.New("job queued again at its next stage")

// StageDone is the ErrNextStage a handler answers when its stage made
// renditions: the worker records them in the transaction that queues the
// job at its next stage (JobQueue.NextStage), one commit for all. Their
// files must be durable before (the blob store's Commit has returned).
type StageDone struct {
	Renditions []Rendition
}

func (e *StageDone) Error() string { return ErrNextStage.Error() }

// Unwrap makes errors.Is(err, ErrNextStage) true.
func (e *StageDone) Unwrap() error { return ErrNextStage }

// MaxJobAttempts is how many times a job is claimed before FailJob gives up
// on it for good.
const MaxJobAttempts = 5

// Rendition is a JPEG made from a stored file at one named size
// (media.Size.Name). Renditions are keyed by the source's ref and the size,
// so that identical files share them and a new version gets its own.
type Rendition struct {
	Source        BlobRef
	Size          string
	Blob          BlobRef // the JPEG, in the blob store
	Width, Height int
}

// Extracted is what processing found in the current version of an asset.
type Extracted struct {
	// Processing is the outcome: ProcessingDone, ProcessingFailed or
	// ProcessingUnsupported; Reason says why for the last two.
	Processing string
	Reason     string

	Width, Height           int // as displayed
	PixelWidth, PixelHeight int // as stored, before orientation
	Duration                time.Duration
	PageCount               int
	Camera                  string
	TakenAt                 time.Time
	GPS                     *GeoPoint
	Text                    string
	// Keywords become tags of the asset when its account says so
	// (Account.KeywordsToTags); the caller has made them valid tag names.
	Keywords []string
	Meta     FileMeta
	// Raw is the metadata tool's whole answer, bounded, stored as it is.
	Raw map[string]any
}

// JobQueue is the durable queue of processing work, part of every Store.
//
// A job is queued by CreateAsset and AddVersion, in their transaction, when
// the asset they store is ProcessingPending. A worker claims a job for a
// short lease and renews it while the job runs; a job whose lease ran out
// (its worker died or hung) is claimable again, so that nothing is lost,
// and the calls of the old holder then answer ErrNotFound, so that it
// stops and nothing is recorded twice. The worker names the holder: a
// worker runs one job at a time and no two workers share a name.
type JobQueue interface {
	// ClaimJob takes the queued job of the lowest Stage, oldest first,
	// whose RunAfter has come, or a running one whose lease has expired,
	// marks it running for worker until now+lease and counts an attempt.
	// ErrNotFound when there is none. Two callers never get the same job
	// while its lease runs.
	ClaimJob(ctx context.Context, worker string, lease time.Duration) (*Job, error)
	// NextStage queues a job worker holds again, due now, at its next
	// Stage, with its attempts counted anew, and stores renditions (as
	// PutRendition does), in one transaction. ErrNotFound unless worker
	// holds it, and then no rendition is stored.
	NextStage(ctx context.Context, id int64, worker string, renditions []Rendition) error
	// RenewJob moves the lease of a job worker holds to now+lease, in one
	// step that checks the hold. ErrNotFound when worker no longer holds
	// it: the job was finished, failed or claimed by another, or its lease
	// has run out (even if no one claimed it since); the worker must then
	// stop the job and record nothing.
	RenewJob(ctx context.Context, id int64, worker string, lease time.Duration) error
	// FinishJob marks the job done. ErrNotFound unless worker holds it.
	FinishJob(ctx context.Context, id int64, worker string) error
	// FailJob records reason and queues the job again to run at retryAt,
	// or marks it JobFailed for good once it has had MaxJobAttempts
	// attempts. ErrNotFound unless worker holds it.
	FailJob(ctx context.Context, id int64, worker string, retryAt time.Time, reason string) error
	// JobsReady tells whether ClaimJob would find a job now: one queued
	// whose RunAfter has come, or a running one whose lease has expired.
	// It only reads.
	JobsReady(ctx context.Context) (bool, error)
	// Job finds a job by id (for tests and tools).
	Job(ctx context.Context, id int64) (*Job, error)
	// DeleteFinishedJobs removes jobs done or failed for good before the
	// given time, and says how many.
	DeleteFinishedJobs(ctx context.Context, before time.Time) (int, error)

	// SetExtracted writes what processing found in version of the asset
	// (Width .. Text, Processing and its reason) and updates the search
	// index, in one transaction, only while version is still the asset's
	// current one: otherwise, or when the asset is gone, it writes nothing
	// and answers ErrNotFound. An asset in the trash is written too.
	SetExtracted(ctx context.Context, accountID, assetID int64, version int, x Extracted) error

	// PutRendition stores r, replacing any rendition of the same source
	// and size.
	PutRendition(ctx context.Context, r Rendition) error
	// Rendition finds the rendition of source at size; ErrNotFound when
	// there is none.
	Rendition(ctx context.Context, source BlobRef, size string) (Rendition, error)
}

// BlobPather is a BlobStore that keeps files on a local disk and can name
// them by path, for tools (libvips, exiftool) that read files by name. The
// caller must not change the file.
type BlobPather interface {
	// Path names the file of ref; ErrNotFound when there is none.
	Path(ref BlobRef) (string, error)
}

// FreeSpacer is a BlobStore on a file system that can tell how much room
// is left, so that uploads can keep a reserve free (an S3 bucket cannot
// tell, and is never checked).
type FreeSpacer interface {
	// FreeSpace answers the bytes an unprivileged writer may still use on
	// the file system holding the store, and that file system's size.
	// errors.ErrUnsupported means the platform cannot tell.
	FreeSpace(ctx context.Context) (free, size int64, err error)
}
