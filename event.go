package damask

import (
	"context"
	"strings"
	"time"
)

// Event is one change in an account, written by the store in the same
// transaction as the change: none is lost and none is invented. Events feed
// GET /api/events and the webhooks.
//
// IDs increase per account in the order the changes committed: a reader
// that has seen event N will never later find an event below N. SQLite,
// one writer at a time, numbers from the account's highest id; PostgreSQL
// from a counter row of the account bumped last in the transaction, whose
// lock, held until commit, makes the next writer of the account wait, so
// that ids are handed out in commit order (see postgres/event.go).
type Event struct {
	ID        int64
	AccountID int64
	Type      string // one of the Event* types
	CreatedAt time.Time
	// ActorID is the user who made the change; 0 for the system (the
	// workers, the maintenance job, the operator's commands).
	ActorID int64
	// ObjectID is the asset's, the tag's or the user's id (Object says
	// which); a version's and a processing's object is its asset.
	ObjectID int64
	// Changed names the fields an update changed, as the API names them;
	// empty for other events.
	Changed []string
}

// Event types.
const (
	EventAssetCreated     = "asset.created"
	EventAssetUpdated     = "asset.updated"
	EventAssetTrashed     = "asset.trashed"
	EventAssetRestored    = "asset.restored"
	EventAssetDeleted     = "asset.deleted"
	EventVersionCreated   = "version.created"
	EventProcessingDone   = "processing.done"
	EventProcessingFailed = "processing.failed"
	EventTagCreated       = "tag.created"
	EventTagUpdated       = "tag.updated"
	EventTagDeleted       = "tag.deleted"
	EventUserCreated      = "user.created"
	EventUserUpdated      = "user.updated"
	EventUserDeleted      = "user.deleted"
	// A Stage's visitor saw or downloaded something on it (the object is
	// the Stage).
	EventStageViewed     = "stage.viewed"
	EventStageDownloaded = "stage.downloaded"
	// EventPing is the test event a webhook's ping sends; it is never
	// written to the feed.
	EventPing = "webhook.ping"
)

// EventTypes are the types the feed carries, in the order documented.
var EventTypes = []string{
	EventAssetCreated, EventAssetUpdated, EventAssetTrashed, EventAssetRestored, EventAssetDeleted,
	EventVersionCreated, EventProcessingDone, EventProcessingFailed,
	EventTagCreated, EventTagUpdated, EventTagDeleted,
	EventUserCreated, EventUserUpdated, EventUserDeleted,
	EventInboxReceived,
	EventStageViewed, EventStageDownloaded,
}

// Object is the kind of thing the event is about: "asset", "tag",
// "user" or "inbox". Versions and processing are about their asset, so that the
// events of one asset share one order.
func (e Event) Object() string {
	kind, _, _ := strings.Cut(e.Type, ".")
	switch kind {
	case "version", "processing":
		return "asset"
	}
	return kind
}

// EventsPage is the most events one read of the feed answers.
const EventsPage = 100

// EventStore keeps the feed of events, part of every Store. The stores'
// writes add the events themselves; this is the reading side.
type EventStore interface {
	// Events lists the account's events with ids above after, oldest
	// first, at most limit. oldest is the id of the oldest event still
	// kept (1 when the account has none yet), so that a reader whose
	// after is below oldest-1 knows it missed some.
	Events(ctx context.Context, accountID, after int64, limit int) (evs []Event, oldest int64, err error)
	// DeleteEvents removes, in every account, the events made before the
	// time but the account's newest, and says how many. The newest stays
	// so that ids go on from it (none comes back) and a reader can tell
	// how far the feed went.
	DeleteEvents(ctx context.Context, before time.Time) (int, error)
	// OnEvents has fn called, after each commit of this store that wrote
	// events, with the account's id: the long poll's in-process wake-up.
	// fn must not block. A later call replaces fn.
	OnEvents(fn func(accountID int64))
}

type actorCtxKey struct{}

// WithActor carries the user making a change down to the store, which
// records it in the change's events. It is request-scoped data: the
// library sets it from its Caller, once per call.
func WithActor(ctx context.Context, userID int64) context.Context {
	return context.WithValue(ctx, actorCtxKey{}, userID)
}

// Actor is the user WithActor set, or 0 (the system).
func Actor(ctx context.Context) int64 {
	id, _ := ctx.Value(actorCtxKey{}).(int64)
	return id
}

// ProcessingEvent is the event of processing that ended as outcome (one
// of the Processing* values): failed, or done (unsupported included: the
// asset is as ready as it will be).
func ProcessingEvent(outcome string) string {
	if outcome == ProcessingFailed {
		return EventProcessingFailed
	}
	return EventProcessingDone
}

// AssetChanges names the fields of an asset, as the API names them, that
// differ from old to new: what an asset.updated event carries. Of the
// tags only the ids count, in any order.
func AssetChanges(old, new *Asset) []string {
	var changed []string
	if old.Title != new.Title {
		changed = append(changed, "title")
	}
	if old.Description != new.Description {
		changed = append(changed, "description")
	}
	if old.PublicToken != new.PublicToken {
		changed = append(changed, "public_url")
	}
	if !sameTags(old.Tags, new.Tags) {
		changed = append(changed, "tags")
	}
	return changed
}

// sameTags compares the tags by id, in any order.
func sameTags(a, b []Tag) bool {
	if len(a) != len(b) {
		return false
	}
	ids := make(map[int64]bool, len(a))
	for _, t := range a {
		ids[t.ID] = true
	}
	for _, t := range b {
		if !ids[t.ID] {
			return false
		}
	}
	return true
}

// UserChanges names the fields of a user, as the API names them, that
// differ from old to new; a new password is "password", never its hash.
func UserChanges(old, new *User) []string {
	var changed []string
	for _, f := range []struct {
		name string
		same bool
	}{
		{"login", old.Login == new.Login},
		{"email", old.Email == new.Email},
		{"first_name", old.FirstName == new.FirstName},
		{"last_name", old.LastName == new.LastName},
		{"role", old.Role == new.Role},
		{"password", old.PasswordHash == new.PasswordHash},
		{"disabled", old.Disabled == new.Disabled},
	} {
		if !f.same {
			changed = append(changed, f.name)
		}
	}
	return changed
}
