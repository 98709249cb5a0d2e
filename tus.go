package damask

import (
	"context"
	"io"
	"time"
)

// ResumableUpload is a file being sent in pieces (the tus protocol): its
// announced Length, how many bytes are durable (Offset), and the SHA-256
// of those bytes as the state of the running hash, so that a server that
// restarts goes on hashing where it stopped without reading the bytes
// again. It belongs to one user of one account: anyone else is told it
// does not exist. Once the last byte arrives it becomes an Upload
// (UploadID) and, when the sender asked, an asset or a new version of one.
type ResumableUpload struct {
	// ID is random and unguessable, 32 hex digits: it names the upload in
	// URLs and its partial file in the blob store.
	ID        string
	AccountID int64
	UserID    int64
	Length    int64
	Offset    int64
	// HashState is crypto/sha256's MarshalBinary of the hash of the
	// first Offset bytes.
	HashState []byte
	Meta      ResumableMeta
	// UploadID is the Upload it became, 0 while bytes are missing.
	UploadID int64
	// AssetID is the asset it made or versioned, when Meta asked for one.
	AssetID int64
	// Report is what unpacking the file made (Meta.Unpack), as the
	// library encodes it; nil without an unpack.
	Report    []byte
	CreatedAt time.Time
	ExpiresAt time.Time
}

// ResumableMeta is what the sender said of its file (tus Upload-Metadata).
type ResumableMeta struct {
	Filename string
	Title    string
	Tags     string
	// AssetID, when not 0, makes the file a new version of that asset.
	AssetID int64
	// Unpack asks for an archive (or a folder) to become one asset per
	// entry.
	Unpack bool
	// Path is the folder the file came from, relative to what the sender
	// chose (a folder dropped on the web page).
	Path string
	// PathTags, with Unpack, makes the name of each folder of an
	// unpacked file's path a tag of it.
	PathTags bool
	// Asset asks for an asset to be made of the file once complete (the
	// sender gave a title or tags, or Unpack).
	Asset bool
}

// ResumableUploadStore keeps the resumable uploads. A lookup by another
// account's or another user's id answers ErrNotFound as for a missing one.
type ResumableUploadStore interface {
	// CreateResumableUpload stores u (ID, AccountID, UserID, Length,
	// HashState, Meta, ExpiresAt set by the caller; Offset, UploadID,
	// AssetID and Report too when it was finished in its creation's
	// request), setting CreatedAt.
	CreateResumableUpload(ctx context.Context, u *ResumableUpload) error
	// CreateResumableAsset stores, in one transaction, an upload finished
	// in its creation's request that made a new asset: the Upload up (as
	// CreateUpload, setting its ID), the asset a with its first version v
	// and tags made of it (as CreateAsset with up's ID, which consumes it),
	// and u (as CreateResumableUpload, its UploadID and AssetID set from
	// them). Nothing is stored when any of it fails.
	CreateResumableAsset(ctx context.Context, u *ResumableUpload, up *Upload, a *Asset, v *Version, tags []string) error
	// ResumableUpload finds an upload of the user, expired or not, until
	// it is deleted.
	ResumableUpload(ctx context.Context, accountID, userID int64, id string) (*ResumableUpload, error)
	// AdvanceResumableUpload records that the bytes up to offset are
	// durable and their hash state, only if the upload's offset is still
	// from: otherwise (another request wrote meanwhile) it answers an
	// *Error with code ECONFLICT and changes nothing.
	AdvanceResumableUpload(ctx context.Context, id string, from, offset int64, hashState []byte) error
	// FinishResumableUpload records the Upload (and the asset, or 0) the
	// complete file became, and the report of its unpack (nil for none).
	FinishResumableUpload(ctx context.Context, id string, uploadID, assetID int64, report []byte) error
	// DeleteResumableUpload removes one; a missing one is not an error.
	DeleteResumableUpload(ctx context.Context, id string) error
	// ExpiredResumableUploads lists the ids of uploads that expired before
	// the given time, at most limit of them, so that their partial files can go
	// before their rows.
	ExpiredResumableUploads(ctx context.Context, before time.Time, limit int) ([]string, error)
}

// PartialStore is a BlobStore that keeps a file being written over many
// requests and across restarts of the server, so that a resumable upload
// writes its bytes once, where the committed file will live.
type PartialStore interface {
	// OpenPartial opens the partial file name (letters and digits),
	// creating it empty when missing. Bytes past size (written but never
	// recorded durable, before a crash) are cut; a file shorter than size
	// answers an error: bytes recorded durable were lost.
	OpenPartial(ctx context.Context, name string, size int64) (PartialFile, error)
	// DeletePartial removes a partial file; a missing one is not an error.
	DeletePartial(ctx context.Context, name string) error
}

// PartialFile is a partial file open for appending. It is not safe for
// concurrent use.
type PartialFile interface {
	io.Writer
	// Size is the number of bytes in the file.
	Size() int64
	// Sync makes every byte written so far durable.
	Sync(ctx context.Context) error
	// Commit makes the complete file durable under ref, the SHA-256 of
	// its bytes, which the caller computed on the way; the partial file is
	// gone afterwards. As BlobWriter.Commit, a file already stored under
	// ref is kept and the partial one dropped.
	Commit(ctx context.Context, ref BlobRef) (BlobInfo, error)
	// Close releases the file, keeping it for a later OpenPartial.
	Close() error
}
