package library

import (
	"context"
	"errors"
	"fmt"

	"damask"
)

// once runs create, the work of one create request, at most once per
// Idempotency-Key: when the request came with a key (key.Key not empty)
// that the caller sent before with the same request, it creates nothing
// and answers what that request created, read afresh by load, with
// replayed true. The key becomes the caller's (account and user) here, and
// create gets it in its context, where the Store's create methods find it
// (damask.WithIdempotencyKey): nothing else puts it there or changes it.
//
// The store records the key in the transaction that creates the resource,
// so a crash leaves both or neither; a request racing another with the
// same key waits in the store for the first to commit and then answers
// its result. Errors: EINVALID for a key sent before with another request,
// ENOTFOUND (replayed) when what the key created is gone since (deleted,
// or an upload used by an asset).
func once[T any](ctx context.Context, s *Service, c Caller, key damask.IdempotencyKey, kind string,
	load func(r *damask.IdempotencyRecord) (T, error), create func(ctx context.Context) (T, error)) (v T, replayed bool, err error) {
	if key.Key == "" {
		v, err = create(ctx)
		return v, false, err
	}
	key.AccountID, key.UserID = c.Account.ID, c.User.ID
	if v, found, err := replay(ctx, s, key, kind, load); found || err != nil {
		return v, found, err
	}
	v, err = create(damask.WithIdempotencyKey(ctx, &key))
	if errors.Is(err, damask.ErrKeyInUse) {
		// Another request with the key committed while this one worked.
		if v, found, rerr := replay(ctx, s, key, kind, load); found || rerr != nil {
			return v, found, rerr
		}
	}
	return v, false, err
}

// replay answers the result recorded for the key, if any: found tells
// whether there was a record of the same request, answered (or its error)
// in its place; an error with found false is a lookup that failed or a
// record of another request.
func replay[T any](ctx context.Context, s *Service, k damask.IdempotencyKey, kind string,
	load func(r *damask.IdempotencyRecord) (T, error)) (v T, found bool, err error) {
	r, err := s.store.IdempotencyRecord(ctx, k.AccountID, k.UserID, k.Key)
	switch {
	case damask.ErrorCode(err) == damask.ENOTFOUND:
		return v, false, nil
	case err != nil:
		return v, false, fmt.Errorf("idempotency key: %w", err)
	case r.Request != k.Request || r.Kind != kind:
		return v, false, damask.Errorf(damask.EINVALID,
			"Idempotency-Key was sent before with another request: send a new key with a new request")
	}
	if v, err = load(r); damask.ErrorCode(err) == damask.ENOTFOUND {
		err = damask.Errorf(damask.ENOTFOUND, "The %s %d that this Idempotency-Key created no longer exists", kind, r.ID)
	}
	return v, true, err
}
