// Package damask holds the domain of the Damask digital asset manager:
// accounts and their plans, users and roles, assets with their versions and
// tags, uploads, and the interfaces of the stores that keep them. It depends
// on the standard library only; adapters (sqlite, blob/disk, httpapi) import
// it, never the other way round.
package damask

import (
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"time"
)

// BlobRef names a stored file by the SHA-256 of its bytes. The zero value
// names nothing.
type BlobRef [sha256.Size]byte

// ParseBlobRef reads the lowercase hex form written by String.
func ParseBlobRef(s string) (BlobRef, error) {
	var r BlobRef
	if len(s) != 2*sha256.Size {
		return r, fmt.Errorf("blob ref %q: want %d hex digits", s, 2*sha256.Size)
	}
	if _, err := hex.Decode(r[:], []byte(s)); err != nil {
		return r, fmt.Errorf("blob ref %q: %w", s, err)
	}
	return r, nil
}

// String is the lowercase hex digest.
func (r BlobRef) String() string { return hex.EncodeToString(r[:]) }

// IsZero tells whether r names nothing.
func (r BlobRef) IsZero() bool { return r == BlobRef{} }

// Role is what a user may do in an account.
type Role string

const (
	RoleHolder Role = "holder" // owns the account: plan, API switch, everything
	RoleAdmin  Role = "admin"  // manages users and tags, and all an editor does
	RoleMember Role = "member" // adds and edits assets
	RoleGuest  Role = "guest"  // reads and previews; never downloads originals
)

// ParseRole accepts the four role names.
func ParseRole(s string) (Role, bool) {
	switch r := Role(s); r {
	case RoleHolder, RoleAdmin, RoleMember, RoleGuest:
		return r, true
	}
	return "", false
}

// rank orders roles so that a higher rank may do all a lower one may.
func (r Role) rank() int {
	switch r {
	case RoleHolder:
		return 4
	case RoleAdmin:
		return 3
	case RoleMember:
		return 2
	case RoleGuest:
		return 1
	}
	return 0
}

// AtLeast tells whether r includes everything min may do.
func (r Role) AtLeast(min Role) bool { return r.rank() >= min.rank() }

// Account is one library, chosen by the request's host.
type Account struct {
	ID           int64
	Name         string // the subdomain
	CompanyName  string
	BillingEmail string
	Country      string
	Plan         string // a key of Plans
	APIEnabled   bool
	HolderID     int64
	PublicLinks  bool // whether assets get a public_url
	// PublicThumbnails makes an asset's thumb_url and preview_url
	// capability URLs that work without credentials (Asset.ThumbToken);
	// off, they are the credentialed API paths.
	PublicThumbnails bool
	// KeywordsToTags makes the IPTC/XMP keywords found in a file tags of
	// its asset.
	KeywordsToTags bool
	Branding       Branding
	CreatedAt      time.Time
	UpdatedAt      time.Time
}

// Branding is how the account's pages look.
type Branding struct {
	Title       string
	FontColor   string
	TopColor    string
	BottomColor string
	Logo        string // the BlobRef of the logo's file in hex, or ""
	UpdatedAt   time.Time
}

// LogoPath is where the pages serve the logo, or "" when there is none:
// the v parameter changes with the logo, so that it may be cached for good.
func (b Branding) LogoPath() string {
	ref, err := ParseBlobRef(b.Logo)
	if err != nil {
		return ""
	}
	return "/branding/logo?v=" + ref.String()[:16]
}

// AccountStats are figures derived from the account's contents.
type AccountStats struct {
	UsedSpace   int64 // bytes of every version of every asset, trash included, and of unused uploads
	UsersCount  int
	AssetsCount int // assets outside the trash
}

// User is a person who signs in to one account.
type User struct {
	ID           int64
	AccountID    int64
	Login        string
	Email        string
	FirstName    string
	LastName     string
	Role         Role
	PasswordHash string
	Disabled     bool
	// CollectionsOnly limits a guest to the assets of the collections of
	// CollectionIDs (ascending): the members of ordered sets and what
	// saved searches find; nothing at all once they are all deleted.
	// False: the whole library, as for every other role.
	CollectionsOnly bool
	CollectionIDs   []int64
	// TimeZone is the IANA name of the zone the pages show the user's
	// times in ("Europe/Vienna"); empty: the browser's, else UTC. Not
	// part of the API's user document.
	TimeZone string
	// Language is the language of the user's pages, "en" or "de"
	// (library.Languages); empty: the browser's (Accept-Language). Not part
	// of the API's user document.
	Language  string
	CreatedAt time.Time
	UpdatedAt time.Time
}

// Tag is a label an asset may carry. AssetsCount counts assets outside the trash.
type Tag struct {
	ID          int64
	AccountID   int64
	Name        string
	AssetsCount int
	CreatedAt   time.Time
}

// Processing states of an asset's background work.
const (
	ProcessingPending     = "pending"
	ProcessingDone        = "done"
	ProcessingFailed      = "failed"
	ProcessingUnsupported = "unsupported"
)

// Asset is a file in the library with its description. The file fields
// (Filename, ContentType, Size, Blob) mirror the current version.
type Asset struct {
	ID          int64
	AccountID   int64
	Title       string
	Description string
	// Path is the folder the asset sits in, as "photos/2024": segments
	// joined by "/", none empty, "." or "..", no slash at either end; ""
	// is the top. It comes from the folders of an unpacked archive or of a
	// folder uploaded from a browser, or is written by a client, always
	// through library.CleanPath.
	Path        string
	Filename    string
	ContentType string
	Size        int64
	Blob        BlobRef
	Version     int // number of the current version, from 1
	UserID      int64
	PublicToken string // empty when the asset has no public link
	// PublicLinkBy is the user who made the public link: the link serves
	// the file only while that user may download originals. 0 when the
	// asset has no link or its maker was deleted.
	PublicLinkBy int64
	// ThumbToken is the secret of the capability URL of the asset's
	// thumbnails and previews (NewCapability): kept across versions, new
	// when the public link is turned off or the asset comes back from the
	// trash. A store gives an asset one when it is stored without.
	ThumbToken string
	Processing string
	// ProcessingError says why Processing is failed or unsupported.
	ProcessingError string
	Tags            []Tag
	CreatedAt       time.Time
	UpdatedAt       time.Time
	DeletedAt       time.Time // zero unless the asset is in the trash

	// What the file tells of itself, found by media processing; zero
	// until then. Search reads them.
	Width, Height int    // pixels
	Camera        string // make and model
	TakenAt       time.Time
	GPS           *GeoPoint // nil when the file has no location
	// PixelWidth and PixelHeight are as stored, before orientation.
	PixelWidth, PixelHeight int
	Duration                time.Duration // videos and audio
	PageCount               int           // documents
	// Text is the words extracted from the file for search: metadata
	// (keywords, caption, creator, ...) and a document's text.
	Text string
	// Meta is the rest of what the file says of itself.
	Meta FileMeta
}

// FileMeta is what a file says of itself beyond the fields above: the
// fluxiom metadata_* fields and the IPTC/XMP fields people look for.
// Values are outside input: escape them wherever they are shown.
type FileMeta struct {
	Type             string   `json:"type,omitempty"` // the format the file's bytes are in, "JPEG"
	ResolutionWidth  float64  `json:"resolution_width,omitempty"`
	ResolutionHeight float64  `json:"resolution_height,omitempty"`
	BitsPerSample    int      `json:"bits_per_sample,omitempty"`
	ColorSpace       string   `json:"color_space,omitempty"`
	Orientation      int      `json:"orientation,omitempty"` // EXIF 1-8
	AlphaChannel     bool     `json:"alpha_channel,omitempty"`
	Lens             string   `json:"lens,omitempty"`
	Keywords         []string `json:"keywords,omitempty"`
	Caption          string   `json:"caption,omitempty"`
	Creator          string   `json:"creator,omitempty"`
	Copyright        string   `json:"copyright,omitempty"`
	Title            string   `json:"title,omitempty"`
	Description      string   `json:"description,omitempty"`
	VideoCodec       string   `json:"video_codec,omitempty"`
	AudioCodec       string   `json:"audio_codec,omitempty"`
	// IPTC and XMP fields of news and stock photos.
	Headline string `json:"headline,omitempty"`
	Credit   string `json:"credit,omitempty"`
	Source   string `json:"source,omitempty"`
	Location string `json:"location,omitempty"` // the sublocation: a place within the city
	City     string `json:"city,omitempty"`
	State    string `json:"state,omitempty"` // province or state
	Country  string `json:"country,omitempty"`
}

// MetaText is a text field of FileMeta that a search can name, as in
// country:germany.
type MetaText struct{ Field, Value string }

// MetaTexts answers the text fields of m a search can name, in a fixed
// order, empty ones left out. The field names are those of package search
// (creator, copyright, ...).
func (m FileMeta) MetaTexts() []MetaText {
	all := []MetaText{
		{"creator", m.Creator}, {"copyright", m.Copyright}, {"credit", m.Credit}, {"source", m.Source},
		{"headline", m.Headline}, {"caption", m.Caption}, {"location", m.Location}, {"city", m.City},
		{"state", m.State}, {"country", m.Country}, {"lens", m.Lens},
	}
	out := all[:0]
	for _, t := range all {
		if t.Value != "" {
			out = append(out, t)
		}
	}
	return out
}

// GeoPoint is a place on Earth, in degrees.
type GeoPoint struct {
	Latitude, Longitude float64
}

// Version is one file an asset has had.
type Version struct {
	ID          int64
	AssetID     int64
	Number      int
	Filename    string
	ContentType string
	Size        int64
	Blob        BlobRef
	Comment     string
	UserID      int64
	CreatedAt   time.Time
}

// Upload is a file received by POST /api/upload and waiting to be used by an
// asset. It expires UploadLifetime after it arrived.
type Upload struct {
	ID          int64
	AccountID   int64
	UserID      int64
	Filename    string
	ContentType string
	Size        int64
	Blob        BlobRef
	CreatedAt   time.Time
	ExpiresAt   time.Time
}

// UploadLifetime is how long an upload waits for an asset to use it.
const UploadLifetime = 24 * time.Hour

// TrashLifetime is how long a deleted asset can be restored.
const TrashLifetime = 30 * 24 * time.Hour
