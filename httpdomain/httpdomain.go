// Package httpdomain is where HTTP meets the domain, written once for both
// handler layers (httpapi, the API; web, the pages; and those to come):
// the domain's error codes as HTTP statuses (one table), a body read past
// its limit as ETOOLARGE, an id in a path as an id or ENOTFOUND, a panic
// in a handler as an internal error; the security headers every answer
// carries; where public links point (an operator's CDN or the request's
// host); and what a layer learns of a request before its handler runs,
// kept in the request's context.
//
// It is named for that translation, the one job the layers share: what
// differs between them (the API's XML and JSON documents, the pages'
// templates, sessions and CSRF) stays in each layer. It imports the
// domain and the standard library only: no service, no store.
package httpdomain

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"time"

	"damask"
)

// Status maps a domain error code to the HTTP status that tells a client
// what to do about it: the one place where this happens.
//
//   - EPENDING is 202 Accepted, with Retry-After (ErrorHeaders): the
//     request is good and its result is being made; the same request
//     later succeeds. (Not 409: nothing conflicts, and a client must not
//     change its request.)
//   - ECONFLICT is 409 Conflict: another request holds what this one
//     needs (an Idempotency-Key under way); retry it as it is.
//   - EGONE is 410 Gone: what was asked for is no longer kept (events
//     past their retention); asking again will not bring it back.
//   - An unknown code, EINTERNAL included, is 500.
func Status(code string) int {
	switch code {
	case damask.ENOTFOUND:
		return http.StatusNotFound
	case damask.EINVALID:
		return http.StatusUnprocessableEntity
	case damask.EMALFORMED, damask.ECANCELED:
		return http.StatusBadRequest
	case damask.EFORBIDDEN:
		return http.StatusForbidden
	case damask.EUNAUTHORIZED:
		return http.StatusUnauthorized
	case damask.ETOOLARGE:
		return http.StatusRequestEntityTooLarge
	case damask.EQUOTA:
		return http.StatusInsufficientStorage
	case damask.ETHROTTLED:
		return http.StatusTooManyRequests
	case damask.EPENDING:
		return http.StatusAccepted
	case damask.ECONFLICT:
		return http.StatusConflict
	case damask.EGONE:
		return http.StatusGone
	}
	return http.StatusInternalServerError
}

// ClientGone tells a request's failure that is its client's leaving, not
// a fault of the server: the request's context has ended (the connection
// closed, or the server is shutting down), or the error is a context's
// cancellation. Such a failure is logged below ERROR and answered as
// ECANCELED, which nobody reads.
func ClientGone(r *http.Request, err error) bool {
	return r.Context().Err() != nil || errors.Is(err, context.Canceled) || damask.ErrorCode(err) == damask.ECANCELED
}

// ErrorHeaders sets the headers an error's answer carries whatever its
// layer: when to retry a throttled request (wait, the time the throttle
// asks, from library.RetryAfter) or one whose result is being made.
func ErrorHeaders(h http.Header, code string, wait time.Duration) {
	switch code {
	case damask.ETHROTTLED:
		h.Set("Retry-After", strconv.Itoa(int(wait.Seconds())+1))
	case damask.EPENDING:
		h.Set("Retry-After", "2")
	}
}

// SecurityHeaders sets the headers every answer carries: the layer's
// Content-Security-Policy, no sniffing of types, no Referer sent on (a
// URL may hold a token or an authorization code), and HSTS when the
// request came over HTTPS.
func SecurityHeaders(h http.Header, csp string, secure bool) {
	h.Set("Content-Security-Policy", csp)
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Referrer-Policy", "no-referrer")
	if secure {
		h.Set("Strict-Transport-Security", "max-age=31536000")
	}
}

// Recover, deferred by a layer's ServeHTTP, answers a handler's panic as
// an internal error through fail. http.ErrAbortHandler, which aborts the
// answer on purpose, goes on up to net/http.
func Recover(fail func(error)) {
	if v := recover(); v != nil {
		if v == http.ErrAbortHandler { //nolint:errorlint // a recovered value, not an error chain: net/http panics with this very value and compares it so
			panic(v)
		}
		fail(fmt.Errorf("panic: %v", v))
	}
}

// PathID reads a positive id from the path's wildcard name. An id that
// cannot exist (not a number, zero, negative, too large) is ENOTFOUND,
// as a missing one is.
func PathID(r *http.Request, name string) (int64, error) {
	id, err := strconv.ParseInt(r.PathValue(name), 10, 64)
	if err != nil || id <= 0 {
		return 0, damask.ErrNotFound
	}
	return id, nil
}

// TooLarge answers ETOOLARGE, with the message made from the limit, when
// err is a body read past its http.MaxBytesReader limit; nil otherwise.
func TooLarge(err error, message func(limit int64) string) error {
	mbe, ok := maxBytes(err)
	if !ok {
		return nil
	}
	return &damask.Error{Code: damask.ETOOLARGE, Message: message(mbe.Limit), Err: err}
}

// maxBytes finds the *http.MaxBytesError of a body read past its limit
// in err's chain: the one test TooLarge and MarkLimit make.
func maxBytes(err error) (*http.MaxBytesError, bool) {
	var mbe *http.MaxBytesError
	return mbe, errors.As(err, &mbe)
}

// MarkLimit wraps a body that http.MaxBytesReader limits so that the error
// past its limit is damask.ErrBodyTooLarge as well as *http.MaxBytesError:
// the library, which knows nothing of HTTP, then tells a file cut at the limit
// (too large) from one that broke off (malformed). Other errors pass as
// they are. Wrapping r.Body hides the limit from r.ParseForm, which then
// applies its own: mark the bodies that carry files, not forms.
func MarkLimit(body io.ReadCloser) io.ReadCloser { return limitMarked{body} }

type limitMarked struct{ io.ReadCloser }

func (b limitMarked) Read(p []byte) (int, error) {
	n, err := b.ReadCloser.Read(p)
	if _, ok := maxBytes(err); ok {
		err = fmt.Errorf("%w: %w", damask.ErrBodyTooLarge, err)
	}
	return n, err
}

// infoKey is the context key of a layer's request information, one per
// type, so that two layers never read each other's.
type infoKey[T any] struct{}

// WithInfo answers r with v, what the layer learnt of the request so far
// (and will add to as it learns more), in its context.
func WithInfo[T any](r *http.Request, v *T) *http.Request {
	return r.WithContext(ContextWithInfo(r.Context(), v))
}

// ContextWithInfo is WithInfo's context, for a layer that adds more to
// the context before it makes the one copy of the request.
func ContextWithInfo[T any](ctx context.Context, v *T) context.Context {
	return context.WithValue(ctx, infoKey[T]{}, v)
}

// Info is the information WithInfo put in the request's context. It
// panics when there is none: a route runs only behind its layer's
// ServeHTTP, which puts it there first.
func Info[T any](r *http.Request) *T {
	return r.Context().Value(infoKey[T]{}).(*T)
}
