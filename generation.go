package damask

import "context"

// Generation counts the changes of what a sign-in reads, so that a server
// may keep those rows in memory and know with one small read that they are
// still current. Each count only grows, by at least one with every
// committed change, whichever process made it.
type Generation struct {
	// Auth counts changes of accounts, users and API tokens (not of a
	// token's last use).
	Auth int64
	// Failures counts changes of the counters of failed sign-ins
	// (ThrottleStore).
	Failures int64
	// Data stamps the contents of the whole store: it differs from every
	// earlier stamp of this process whenever anything at all was committed
	// since, by any process. A reader that takes the stamp first and reads
	// after may keep what it read under the stamp for as long as the store
	// answers the same one. 0 when the store cannot tell cheaply: nothing
	// may be kept under it.
	Data int64
}

// GenerationStore answers the generation counts.
type GenerationStore interface {
	// Generation answers the counts as of now. A reader that reads the
	// counts first and rows after may keep the rows under those counts: a
	// change committed in between also changes the counts, so that the
	// next reader sees different counts and reads the rows again.
	Generation(ctx context.Context) (Generation, error)
}
