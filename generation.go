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
}

// GenerationStore answers the generation counts.
type GenerationStore interface {
	// Generation answers the counts as of now. A reader that reads the
	// counts first and rows after may keep the rows under those counts: a
	// change committed in between also changes the counts, so that the
	// next reader sees different counts and reads the rows again.
	Generation(ctx context.Context) (Generation, error)
}
