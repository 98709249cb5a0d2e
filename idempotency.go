package damask

import (
	"context"
	"crypto/sha256"
	"time"
)

// IdempotencyKey is a client's Idempotency-Key on a request that creates
// something: the first request with a key does the work, and a retry of
// the same request with the same key (after a lost answer) answers what
// the first one created instead of creating it again. A key belongs to one
// user of one account, and is remembered for IdempotencyLifetime.
//
// It is a value, never changed once made: the HTTP layer reads it with the
// request's fingerprint and passes it to the service's create as an
// argument; the service answers whether it replayed. Only the service's
// call of a Store's create method carries it in the context
// (WithIdempotencyKey), since it concerns that call down to the store's
// transaction: the create methods of a Store record the key in the
// transaction that creates the resource, so that a crash leaves both or
// neither.
type IdempotencyKey struct {
	AccountID int64
	UserID    int64 // the user who sends the request
	Key       string
	// Request is a fingerprint of the request (its method, path, fields
	// and the SHA-256 of its file): a key sent again with another request
	// is an error, never a replay of something else.
	Request [sha256.Size]byte
}

// IdempotencyRecord is what a create left for its key: enough to answer
// again with the resource it made (always a 201 create), read afresh.
type IdempotencyRecord struct {
	AccountID int64
	UserID    int64
	Key       string
	Request   [sha256.Size]byte
	Kind      string // one of the Kind constants
	// ID is the created resource's id; for a version, its asset's id.
	ID int64
	// Number is a version's number; 0 for other kinds.
	Number    int
	CreatedAt time.Time
}

// The kinds of resource a create with an Idempotency-Key makes.
const (
	KindAsset      = "asset"
	KindVersion    = "version"
	KindUpload     = "upload"
	KindTag        = "tag"
	KindUser       = "user"
	KindToken      = "token"
	KindCollection = "collection"
	KindStage      = "stage"
	KindInbox      = "inbox"
)

// IdempotencyLifetime is how long a key is remembered: housework deletes
// older ones, after which the key may be used anew.
const IdempotencyLifetime = 24 * time.Hour

// MaxIdempotencyKey is the length limit of a key, in bytes.
const MaxIdempotencyKey = 255

// ValidIdempotencyKey tells whether k is 1 to 255 printable ASCII
// characters (space included).
func ValidIdempotencyKey(k string) bool {
	if len(k) == 0 || len(k) > MaxIdempotencyKey {
		return false
	}
	for i := 0; i < len(k); i++ {
		if k[i] < 0x20 || k[i] > 0x7e {
			return false
		}
	}
	return true
}

// ErrKeyInUse is answered by a create whose Idempotency-Key another
// request recorded first (it committed while this one ran). The service
// then answers that request's result instead.
var ErrKeyInUse = &Error{Code: ECONFLICT, Message: "Another request with this Idempotency-Key is under way; retry it with the same key"}

// IdempotencyStore keeps the records of Idempotency-Keys. Records are
// written by the Store's create methods (CreateAsset, AddVersion,
// CreateUpload, CreateTag, CreateUser, CreateToken) when their context
// carries a key: the key is claimed as the transaction's first step and
// its record completed in the same transaction, so that a record exists
// exactly when its resource was created. When the key is recorded already
// such a create stores nothing and answers ErrKeyInUse; a concurrent
// create with the same key waits for the first to end.
type IdempotencyStore interface {
	// IdempotencyRecord finds the record of a user's key; ErrNotFound when
	// there is none.
	IdempotencyRecord(ctx context.Context, accountID, userID int64, key string) (*IdempotencyRecord, error)
	// DeleteIdempotencyRecords removes the records made before the given
	// time, in every account, and says how many.
	DeleteIdempotencyRecords(ctx context.Context, before time.Time) (int, error)
}

type idempotencyCtxKey struct{}

// WithIdempotencyKey answers a context that carries k, for a Store's
// create method; nobody changes k after.
func WithIdempotencyKey(ctx context.Context, k *IdempotencyKey) context.Context {
	return context.WithValue(ctx, idempotencyCtxKey{}, k)
}

// IdempotencyKeyFrom is the key the context carries, nil for none.
func IdempotencyKeyFrom(ctx context.Context) *IdempotencyKey {
	k, _ := ctx.Value(idempotencyCtxKey{}).(*IdempotencyKey)
	return k
}
