package damask

import (
	"context"
	"time"
)

// Stage publishes a collection (an ordered set or a saved search) to
// people outside the team at an unguessable address: a client portal.
// Whoever holds the address (or a recipient's personal one) and, when
// there is one, the password, sees the collection's assets as the Stage
// allows, until it expires or is revoked.
type Stage struct {
	ID        int64
	AccountID int64
	// Token is the secret of the Stage's address: at least 128 random
	// bits, unique among every account's Stages and recipients.
	Token        string
	Title        string
	Message      string
	CollectionID int64 // 0 once the collection is deleted: the Stage is then gone
	// PasswordHash is the password's hash (package password), "" for none.
	PasswordHash string
	// ExpiresAt is when the Stage stops answering; zero: never.
	ExpiresAt time.Time
	Downloads string // one of the StageDownloads* values
	Watermark string // text drawn on previews; "" for none
	// WatermarkPosition is where the watermark is drawn: one of the
	// Watermark* positions ("" reads as WatermarkCenter).
	WatermarkPosition string
	// WatermarkOpacity is how strongly its letters cover the picture, in
	// percent, MinWatermarkOpacity to 100 (0 reads as
	// DefaultWatermarkOpacity).
	WatermarkOpacity int
	// Recipients each have a personal address, so that the log names them.
	Recipients []StageRecipient
	// UserID is who made it; 0 once that user is deleted.
	UserID         int64
	ViewsCount     int
	DownloadsCount int
	CreatedAt      time.Time
	UpdatedAt      time.Time
	// RevokedAt is when the Stage was revoked; zero while it is not.
	RevokedAt time.Time
}

// What a Stage lets its visitors download.
const (
	StageDownloadsNone      = "none"
	StageDownloadsPreviews  = "previews"
	StageDownloadsOriginals = "originals"
)

// Where a Stage's watermark is drawn: across the middle, in a corner, or
// repeated over the whole picture.
const (
	WatermarkCenter      = "center"
	WatermarkTopLeft     = "top-left"
	WatermarkTopRight    = "top-right"
	WatermarkBottomLeft  = "bottom-left"
	WatermarkBottomRight = "bottom-right"
	WatermarkTiled       = "tiled"
)

// WatermarkPositions are the positions a watermark may take.
var WatermarkPositions = []string{WatermarkCenter, WatermarkTopLeft, WatermarkTopRight,
	WatermarkBottomLeft, WatermarkBottomRight, WatermarkTiled}

// A watermark's opacity, in percent.
const (
	MinWatermarkOpacity     = 10
	DefaultWatermarkOpacity = 45
)

// Gone tells whether the Stage answers no more at now: revoked, expired,
// or its collection deleted.
func (s *Stage) Gone(now time.Time) bool {
	return !s.RevokedAt.IsZero() || (!s.ExpiresAt.IsZero() && !now.Before(s.ExpiresAt)) || s.CollectionID == 0
}

// StageRecipient is one person a Stage was given to, with the secret of
// their personal address.
type StageRecipient struct {
	Email string
	Token string
}

// StageAccess is one line of a Stage's access log: something seen or
// downloaded on it.
type StageAccess struct {
	ID        int64
	AccountID int64
	StageID   int64
	At        time.Time
	// Recipient is the e-mail of the recipient whose address was used; ""
	// for the Stage's own address (anonymous).
	Recipient string
	Address   string // the visitor's network address
	Action    string // StageViewed or StageDownloaded
	// AssetID is the asset seen or downloaded; 0 for the Stage's page or
	// its zip.
	AssetID int64
	// What says what it was: "page", "asset", "original", "preview", "zip".
	What string
}

// Actions of the access log.
const (
	StageViewed     = "viewed"
	StageDownloaded = "downloaded"
)

// StageStore keeps Stages and their access logs, part of every Store.
type StageStore interface {
	// CreateStage stores st with its recipients, setting ID, timestamps
	// and the counts (0). CollectionID must be of a collection of the
	// account (EINVALID "Collection 7 is not in this library" otherwise).
	// A taken token is EINVALID.
	CreateStage(ctx context.Context, st *Stage) error
	// Stage finds a Stage of the account, revoked and expired ones too.
	Stage(ctx context.Context, accountID, id int64) (*Stage, error)
	// StageByToken finds the Stage whose address, or one of whose
	// recipients' addresses, is token, in any account, with the
	// recipient's e-mail ("" for the Stage's own address). ErrNotFound
	// when none is.
	StageByToken(ctx context.Context, token string) (*Stage, string, error)
	// Stages lists the account's Stages, newest first.
	Stages(ctx context.Context, accountID int64, p Page) ([]*Stage, int, error)
	// UpdateStage writes Title, Message, CollectionID (checked as in
	// CreateStage), PasswordHash, ExpiresAt, Downloads, Watermark,
	// WatermarkPosition, WatermarkOpacity,
	// RevokedAt and the recipients (a recipient kept keeps its token),
	// sets UpdatedAt and refreshes st.
	UpdateStage(ctx context.Context, st *Stage) error
	// LogStageAccess appends a to the Stage's log (setting ID), adds one
	// to its views or downloads count and writes the event stage.viewed or
	// stage.downloaded, in one transaction. ErrNotFound when the Stage is
	// not of a.AccountID.
	LogStageAccess(ctx context.Context, a *StageAccess) error
	// StageLog lists a Stage's access log, newest first.
	StageLog(ctx context.Context, accountID, stageID int64, p Page) ([]*StageAccess, int, error)
	// StageActivity calls fn, in every account, for each access logged
	// at or after since and before until, by Stage and then time.
	StageActivity(ctx context.Context, since, until time.Time, fn func(*StageAccess) error) error
	// StageDigestSent answers when the last digest of Stage activity was
	// claimed (the end of the activity it told); zero when none was.
	StageDigestSent(ctx context.Context) (time.Time, error)
	// ClaimStageDigest sets that time to now if it is still last, in one
	// conditional update, and answers whether it did: of several servers
	// (or a server and itself after a restart) that read the same last,
	// one only claims the digest from last to now and sends it.
	ClaimStageDigest(ctx context.Context, last, now time.Time) (bool, error)
}
