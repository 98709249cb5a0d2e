package damask

import (
	"context"
	"time"
)

// Inbox is a public upload form of an account (plans with Stages): people
// outside the team send files to its unguessable address, and they become
// assets tagged as the Inbox says, counted against the plan's quota. Its
// creator is the uploader of what it receives.
type Inbox struct {
	ID        int64
	AccountID int64
	// Token is the secret of the Inbox's address (/inbox/TOKEN): 128
	// random bits or more, unique in the whole library.
	Token   string
	Title   string
	Message string
	// PasswordHash is the password's argon2id hash; "" for none.
	PasswordHash string
	// ExpiresAt is when the Inbox stops taking files; zero for never.
	ExpiresAt time.Time
	// Tags are the names the assets it makes carry, separated by commas.
	Tags string
	// MaxFileSize caps each file below the server's own limit; 0 adds no
	// cap. MaxFiles caps the files of one submission; 0 none.
	MaxFileSize int64
	MaxFiles    int
	// UploadsCount counts the files it has received.
	UploadsCount int
	// UserID is who made it; 0 once that user is deleted.
	UserID    int64
	CreatedAt time.Time
	UpdatedAt time.Time
	// RevokedAt is when it was revoked (DELETE); zero while it is open.
	RevokedAt time.Time
}

// Closed tells whether the Inbox takes no more files at now: revoked or
// expired.
func (b *Inbox) Closed(now time.Time) bool {
	return !b.RevokedAt.IsZero() || (!b.ExpiresAt.IsZero() && !now.Before(b.ExpiresAt))
}

// EventInboxReceived is the event of files received through an Inbox:
// its object is the Inbox, one event per submission.
const EventInboxReceived = "inbox.received"

// InboxStore keeps the Inboxes, part of every Store. Lookups by id take
// the account's id and answer ErrNotFound for another account's Inbox.
type InboxStore interface {
	// CreateInbox stores b, setting ID and timestamps (UploadsCount 0,
	// RevokedAt zero). Ids are never reused. A Token already taken is
	// EINVALID.
	CreateInbox(ctx context.Context, b *Inbox) error
	Inbox(ctx context.Context, accountID, id int64) (*Inbox, error)
	// InboxByToken finds the account's Inbox by the secret of its
	// address, revoked or expired ones too.
	InboxByToken(ctx context.Context, accountID int64, token string) (*Inbox, error)
	// Inboxes lists the account's Inboxes, newest first.
	Inboxes(ctx context.Context, accountID int64, p Page) ([]*Inbox, int, error)
	// UpdateInbox writes Title, Message, PasswordHash, ExpiresAt, Tags,
	// MaxFileSize and MaxFiles, sets UpdatedAt and refreshes b.
	UpdateInbox(ctx context.Context, b *Inbox) error
	// RevokeInbox closes an Inbox as of at; an Inbox revoked already
	// keeps its first time. It answers the Inbox as it is afterwards.
	RevokeInbox(ctx context.Context, accountID, id int64, at time.Time) (*Inbox, error)
	// InboxReceived stores a submission to the Inbox in one transaction,
	// all or nothing: each asset as BulkCreator.CreateAssets does (a
	// first version of its file fields, its tags by name, a job when
	// Processing is pending, IDs set) with its EventAssetCreated, the
	// Inbox's UploadsCount grown by their number, and one
	// EventInboxReceived (the actor from WithActor) after them. The
	// files' bytes must be durable before. ErrNotFound for a missing
	// Inbox; an asset of another account is EINVALID; any failure leaves
	// nothing of the submission stored.
	InboxReceived(ctx context.Context, accountID, id int64, as []*Asset) error
}
