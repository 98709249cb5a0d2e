package damask

import (
	"context"
	"io"
	"time"
)

// Page selects one page of a list. Number counts from 1.
type Page struct {
	Number int
	Size   int
}

// Offset is the number of items before the page.
func (p Page) Offset() int { return (p.Number - 1) * p.Size }

// Query is a parsed search: a tree of the nodes of package search, which
// each store compiles to its engine. search.Expr is the same interface, so
// that either assigns to the other; it is declared here by its method
// rather than imported, so that this package keeps to the standard library.
type Query interface{ SearchNode() }

// AssetFilter chooses assets of one account for a list.
type AssetFilter struct {
	AccountID int64
	// Query is a parsed search (nil: every asset). Its Tag and By nodes
	// carry the ids the service resolved; an id of 0 matches nothing.
	Query Query
	// TagIDs must all be carried by the asset.
	TagIDs []int64
	// Sort is one of created_on, updated_on, title, size, relevance,
	// optionally with a leading "-" for descending order. Empty means by
	// relevance when the query has words, else newest first.
	Sort string
	// Trash lists assets in the trash instead of those outside it (by
	// newest first, ignoring Query).
	Trash bool
	Page  Page
	// Within, when not nil, limits the assets to those a guest limited to
	// collections may see (Trash aside).
	Within *Within
	// IDs, when not empty, limits the assets to these.
	IDs []int64
	// After, when set, starts the page right after this asset of the
	// previous page in the same order (keyset paging: cheap however deep);
	// Page.Number is then ignored.
	After *Cursor
	// MostWords, when set, makes the list a forgiving search: Query then
	// chooses the assets that match any of these words and phrases (and
	// its other parts), and the list ranks them by how many of the words
	// each matches, most first, then in the order of Sort (newest first
	// for relevance). Its pages go by offset (After.Offset), as relevance's.
	// The service sets it only when no asset matches all the words (and the
	// rest of the query), and a store may rank on that: no asset has more
	// than len(MostWords)-1 of them.
	MostWords []Query
}

// Within is what a guest limited to collections may see: the assets of
// some ordered sets, and what some saved searches find. Empty, it is
// nothing.
type Within struct {
	CollectionIDs []int64 // ordered sets
	Queries       []Query // saved searches, resolved as AssetFilter.Query
}

// Cursor is where a keyset page ends: the last asset's id and the value it
// was sorted by. Offset stands in for the position under relevance order,
// whose scores are not stable keys.
type Cursor struct {
	ID     int64
	Title  string
	Size   int64
	Time   time.Time
	Offset int
}

// Facets count the assets of a search per tag and per kind.
type Facets struct {
	Total int
	Tags  []TagCount     // most used first, at most FacetTags
	Kinds map[string]int // image, video, audio, document, other
	// Approximate is set when the result was too large to count whole:
	// the counts then come from its newest FacetSample assets.
	Approximate bool
}

// TagCount is one tag of a facet.
type TagCount struct {
	Tag   Tag
	Count int
}

// ExactCount is the largest number of matches a list counts exactly.
const ExactCount = 1000

// Limits of a facet answer.
const (
	FacetTags   = 50
	FacetSample = 100000
)

// Store keeps the metadata of every account. Implementations (sqlite,
// postgres) pass the suite in storetest.
//
// Every lookup by id takes the account's id too and answers ErrNotFound (an
// *Error with code ENOTFOUND) for an id of another account exactly as for a
// missing one. A uniqueness rule broken by a create or update answers an
// *Error with code EINVALID naming the field ("Login has already been
// taken"). Lists answer the page asked for and the total count.
type Store interface {
	AuditLog
	TokenStore
	SessionStore
	JobQueue
	IdempotencyStore
	ThrottleStore
	GenerationStore
	UploadLeaseStore
	ResumableUploadStore
	EventStore
	WebhookStore
	InboxStore
	StageStore

	// CreateAccount stores a new account and its holder in one transaction,
	// setting their IDs and timestamps and a.HolderID. A taken name is EINVALID.
	CreateAccount(ctx context.Context, a *Account, holder *User) error
	Account(ctx context.Context, id int64) (*Account, error)
	AccountByName(ctx context.Context, name string) (*Account, error)
	Accounts(ctx context.Context) ([]*Account, error)
	// UpdateAccount writes every field but ID, Name and CreatedAt, and sets UpdatedAt.
	UpdateAccount(ctx context.Context, a *Account) error
	AccountStats(ctx context.Context, accountID int64) (AccountStats, error)

	// CreateUser stores u, setting ID and timestamps. Login and e-mail are
	// unique within the account, compared without regard to case.
	// CollectionIDs must be of the account's collections: another id is
	// EINVALID naming it ("Collection 7 is not in this library"), here and
	// in UpdateUser.
	CreateUser(ctx context.Context, u *User) error
	User(ctx context.Context, accountID, id int64) (*User, error)
	// UserByLogin finds a user of the account by login or e-mail, without
	// regard to case.
	UserByLogin(ctx context.Context, accountID int64, loginOrEmail string) (*User, error)
	// Users lists the account's users by id.
	Users(ctx context.Context, accountID int64, p Page) ([]*User, int, error)
	// UpdateUser writes every field but ID, AccountID and CreatedAt.
	UpdateUser(ctx context.Context, u *User) error
	DeleteUser(ctx context.Context, accountID, id int64) error

	// CreateTag stores t, setting ID and CreatedAt. Names are unique within
	// the account without regard to case.
	CreateTag(ctx context.Context, t *Tag) error
	Tag(ctx context.Context, accountID, id int64) (*Tag, error)
	TagByName(ctx context.Context, accountID int64, name string) (*Tag, error)
	// Tags lists the account's tags by name, with their AssetsCount.
	Tags(ctx context.Context, accountID int64, p Page) ([]*Tag, int, error)
	// UpdateTag renames a tag.
	UpdateTag(ctx context.Context, t *Tag) error
	// DeleteTag removes a tag and takes it off every asset.
	DeleteTag(ctx context.Context, accountID, id int64) error

	// CreateAsset stores a, its first version v and its tags in one
	// transaction, setting IDs, timestamps, a.Version = v.Number = 1 and
	// a.Tags. When a.Processing is ProcessingPending a Job for v is queued
	// in the same transaction. Tags are named; a name the account lacks becomes a new tag.
	// An asset without a ThumbToken is given one (EnsureThumbToken).
	// When uploadID is not 0 that upload is consumed in the same
	// transaction, and if it no longer exists nothing is stored and the
	// answer is ErrNotFound.
	CreateAsset(ctx context.Context, a *Asset, v *Version, tags []string, uploadID int64) error
	// Asset finds an asset outside the trash, with its tags.
	Asset(ctx context.Context, accountID, id int64) (*Asset, error)
	// TrashedAsset finds an asset in the trash, with its tags: for the
	// trash's thumbnails.
	TrashedAsset(ctx context.Context, accountID, id int64) (*Asset, error)
	// Assets lists the assets the filter chooses, with their tags, and
	// their number: exact up to ExactCount, an estimate above, so that a
	// page of a huge result costs no more than a page of a small one. An
	// asset is found by its new fields the moment its create or update
	// returns, and not at all once it is in the trash.
	Assets(ctx context.Context, f AssetFilter) ([]*Asset, int, error)
	// AssetFacets counts what the filter chooses per tag and per kind
	// (Sort, Page and After do not apply).
	AssetFacets(ctx context.Context, f AssetFilter) (Facets, error)
	// AssetByBlob finds the account's asset outside the trash whose
	// current file is ref (the oldest when several are); ErrNotFound when
	// none is: how an unpacked archive skips the files the library holds.
	AssetByBlob(ctx context.Context, accountID int64, ref BlobRef) (*Asset, error)
	// UpdateAsset writes Title, Description, Path, PublicToken, PublicLinkBy and
	// ThumbToken of an asset outside the trash and sets UpdatedAt; when tags is not nil
	// the asset's tags become exactly those names. a.Tags is refreshed.
	UpdateAsset(ctx context.Context, a *Asset, tags []string) error
	// AddVersion adds v as the next version of the asset a (outside the
	// trash), numbering it, and makes it current: the asset's file fields,
	// Version and UpdatedAt follow v, and a is refreshed. uploadID is
	// consumed as in CreateAsset. The asset's Processing becomes
	// a.Processing; when that is ProcessingPending a Job for v is queued in
	// the same transaction. What processing found in the former version
	// (dimensions, duration, pages, camera, date taken, location, text,
	// Meta, the raw metadata) is cleared, so that nothing of another file
	// is shown as this one's: SetExtracted fills it for v.
	AddVersion(ctx context.Context, a *Asset, v *Version, uploadID int64) error
	// Versions lists the versions of an asset outside the trash, oldest first.
	Versions(ctx context.Context, accountID, assetID int64) ([]*Version, error)
	Version(ctx context.Context, accountID, assetID int64, number int) (*Version, error)
	// TrashAsset moves an asset to the trash as of at.
	TrashAsset(ctx context.Context, accountID, id int64, at time.Time) error
	// RestoreAsset brings an asset back from the trash.
	RestoreAsset(ctx context.Context, accountID, id int64) error
	// PurgeAsset removes an asset in the trash for good, with its versions.
	PurgeAsset(ctx context.Context, accountID, id int64) error
	// PurgeTrash removes for good, in every account, the assets put in the
	// trash before the given time, and says how many.
	PurgeTrash(ctx context.Context, before time.Time) (int, error)

	// CreateCollection stores c (AccountID, Title, Description, Query,
	// UserID) with, for an ordered set, the assets ids in that order,
	// setting ID, timestamps and AssetsCount. Ids are never reused, not
	// even after a delete. An id that is not of an asset of the account
	// outside the trash is EINVALID naming it ("Asset 7 is not in this
	// library"), and nothing is stored; an id given twice counts once, at
	// its first place.
	CreateCollection(ctx context.Context, c *Collection, assetIDs []int64) error
	Collection(ctx context.Context, accountID, id int64) (*Collection, error)
	// Collections lists the account's collections by title (without
	// regard to the case of ASCII letters), then id.
	Collections(ctx context.Context, accountID int64, p Page) ([]*Collection, int, error)
	// UpdateCollection writes Title, Description and Query, applies ch to
	// the assets (Set, then Remove, then Add; ids of Set and Add are
	// checked as in CreateCollection, in the same transaction), sets
	// UpdatedAt and refreshes c. An ordered set whose Query becomes not
	// empty loses its assets.
	UpdateCollection(ctx context.Context, c *Collection, ch CollectionChange) error
	// DeleteCollection removes a collection; the assets stay in the library.
	DeleteCollection(ctx context.Context, accountID, id int64) error
	// CollectionAssets lists the assets of an ordered set outside the
	// trash, in its order from offset on, at most limit of them (limit <=
	// 0: all), with their tags; and their number. A saved search has none
	// here: its assets are what Assets finds for its query.
	CollectionAssets(ctx context.Context, accountID, id int64, offset, limit int) ([]*Asset, int, error)

	// CreateUpload stores u, setting ID and CreatedAt; ExpiresAt is the caller's.
	CreateUpload(ctx context.Context, u *Upload) error
	Upload(ctx context.Context, accountID, id int64) (*Upload, error)
	// DeleteUpload removes an upload whose file was used otherwise (the
	// assets of an unpacked archive); ErrNotFound when there is none.
	DeleteUpload(ctx context.Context, accountID, id int64) error
	// DeleteExpiredUploads removes uploads that expired before the given
	// time and says how many.
	DeleteExpiredUploads(ctx context.Context, before time.Time) (int, error)

	// BlobReferenced tells whether any version or upload, in any account and
	// in the trash too, points at ref, ref is a rendition of a file a
	// version points at, or ref is an account's logo (Branding.Logo).
	BlobReferenced(ctx context.Context, ref BlobRef) (bool, error)
	// BlobRefs calls fn once for every distinct ref that a version, an
	// upload, a rendition or an account's logo points at, with the size
	// recorded for it (-1 for a rendition or a logo alone: its size is not
	// recorded).
	BlobRefs(ctx context.Context, fn func(ref BlobRef, size int64) error) error

	Close() error
}

// BlobInfo describes a stored file.
type BlobInfo struct {
	Ref     BlobRef
	Size    int64
	ModTime time.Time
}

// BlobStore keeps files by the SHA-256 of their bytes. Implementations
// (blob/disk, blob/s3) pass the suite in blob/blobtest.
type BlobStore interface {
	// Create starts a new file. The caller writes its bytes and then calls
	// Commit or Abort.
	Create(ctx context.Context) (BlobWriter, error)
	// Open reads a file; ErrNotFound when there is none. The caller closes
	// it. The disk store answers an *os.File, so that downloads can use
	// sendfile.
	Open(ctx context.Context, ref BlobRef) (io.ReadSeekCloser, error)
	// Stat describes a file; ErrNotFound when there is none.
	Stat(ctx context.Context, ref BlobRef) (BlobInfo, error)
	// Delete removes a file; a missing file is not an error.
	Delete(ctx context.Context, ref BlobRef) error
	// Walk calls fn for every stored file, in no particular order.
	Walk(ctx context.Context, fn func(BlobInfo) error) error
}

// BlobWriter receives the bytes of a new file, hashing them on the way.
type BlobWriter interface {
	io.Writer
	// Written is the number of bytes written so far.
	Written() int64
	// Commit makes the file durable under the SHA-256 of its bytes and
	// answers its info. When a file with those bytes already exists, it is
	// kept (its ModTime renewed, so that a collector waiting for old
	// unreferenced files leaves it alone) and the new copy is dropped.
	Commit(ctx context.Context) (BlobInfo, error)
	// Abort drops what was written. It is safe after Commit, where it does
	// nothing.
	Abort() error
}

// BulkCreator is a Store that can load many assets in one transaction: for
// imports and the synthetic catalogues of benchmarks.
type BulkCreator interface {
	// CreateAssets stores each asset with a first version made of its file
	// fields, and its tags by name (Tags[i].Name; names the account lacks
	// become tags), as CreateAsset does, ThumbToken included, with an
	// EventAssetCreated each (after the EventTagCreated of the tags it
	// makes), in one transaction. IDs are set; CreatedAt and
	// UpdatedAt are kept when set, so a catalogue can span years, and must
	// then grow with the order of the assets.
	CreateAssets(ctx context.Context, as []*Asset) error
}
