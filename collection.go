package damask

import "time"

// Collection is a set of an account's assets gathered for a purpose: an
// ordered set chosen by hand (an asset may be in any number of them), or
// a saved search, whose assets are what its query finds whenever it is
// opened. It is what a Stage publishes and what a guest may be limited to.
type Collection struct {
	ID          int64
	AccountID   int64
	Title       string
	Description string
	// Query is a saved search in the language of package search; "" for
	// an ordered set.
	Query string
	// UserID is who made it; 0 once that user is deleted.
	UserID int64
	// AssetsCount counts the assets of an ordered set outside the trash.
	// A store leaves it 0 for a saved search, whose matches the service
	// counts by running it.
	AssetsCount int
	CreatedAt   time.Time
	UpdatedAt   time.Time
}

// IsSearch tells whether the collection is a saved search.
func (c *Collection) IsSearch() bool { return c.Query != "" }

// CollectionChange is how an update changes the assets of an ordered set.
// An asset in the trash stays in its collections, hidden (it neither
// counts nor lists), and comes back at its place when restored; purged, it
// leaves them. Set drops such hidden members too: it names every asset
// the set keeps.
type CollectionChange struct {
	// Set, when not nil, makes the assets exactly these, in this order.
	Set []int64
	// Remove takes assets out (an asset not in the set is ignored); Add
	// then appends, in order, those not in it yet (one in it already stays
	// at its place).
	Remove []int64
	Add    []int64
}
