package library

import (
	"context"
	"errors"
	"fmt"

	"damask"
)

// once runs create, the work of one create request, at most once per
// Idempotency-Key: when the context carries a key (damask.WithIdempotencyKey)
// that the caller sent before with the same request, it creates nothing
// and answers what that request created, read afresh by load, marking the
// key Replayed. The key becomes the caller's (account and user) here.
//
// The store records the key in the transaction that creates the resource,
// so a crash leaves both or neither; a request racing another with the
// same key waits in the store for the first to commit and then answers
// its result. Errors: EINVALID for a key sent before with another request,
// ENOTFOUND when what the key created is gone since (deleted, or an
// upload used by an asset).
func once[T any](ctx context.Context, s *Service, c Caller, kind string,
	load func(r *damask.IdempotencyRecord) (T, error), create func() (T, error)) (T, error) {
	k := damask.IdempotencyKeyFrom(ctx)
	if k == nil {
		return create()
	}
	k.AccountID, k.UserID = c.Account.ID, c.User.ID
	if v, done, err := replay(ctx, s, k, kind, load); done {
		return v, err
	}
	v, err := create()
	if errors.Is(err, damask.ErrKeyInUse) {
		// Another request with the key committed while this one worked.
		if v, done, rerr := replay(ctx, s, k, kind, load); done {
			return v, rerr
		}
	}
	return v, err
}

// replay answers the result recorded for the key, if any: done tells
// whether there was a record (or an error looking for it).
func replay[T any](ctx context.Context, s *Service, k *damask.IdempotencyKey, kind string,
	load func(r *damask.IdempotencyRecord) (T, error)) (v T, done bool, err error) {
	r, err := s.store.IdempotencyRecord(ctx, k.AccountID, k.UserID, k.Key)
	switch {
	case damask.ErrorCode(err) == damask.ENOTFOUND:
		return v, false, nil
	case err != nil:
		return v, true, fmt.Errorf("idempotency key: %w", err)
	case r.Request != k.Request || r.Kind != kind:
		return v, true, damask.Errorf(damask.EINVALID,
			"Idempotency-Key was sent before with another request: send a new key with a new request")
	}
	k.Replayed = true
	if v, err = load(r); damask.ErrorCode(err) == damask.ENOTFOUND {
		err = damask.Errorf(damask.ENOTFOUND, "The %s %d that this Idempotency-Key created no longer exists", kind, r.ID)
	}
	return v, true, err
}
