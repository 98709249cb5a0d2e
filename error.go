package damask

import (
	"errors"
	"fmt"
)

// Error codes. The HTTP API maps each to one status in one place.
const (
	ENOTFOUND     = "not_found"    // no such thing in this account
	EINVALID      = "invalid"      // a field breaks a rule
	EMALFORMED    = "malformed"    // the request cannot be read
	EFORBIDDEN    = "forbidden"    // the role or the plan does not allow it
	EUNAUTHORIZED = "unauthorized" // no valid credentials
	ETOOLARGE     = "too_large"    // a file over the size limit
	EQUOTA        = "quota"        // storage or the plan's quota is full
	ETHROTTLED    = "throttled"    // too many failures; try later
	EINTERNAL     = "internal"     // our fault; details are logged, not shown
	ECANCELED     = "canceled"     // the client went away
	EPENDING      = "pending"      // not ready yet (background work under way); try later
	ECONFLICT     = "conflict"     // another request holds what this one needs; retry
	EGONE         = "gone"         // what was asked for is no longer kept (old events)
)

// Error is the domain's error: a code the API maps to a status and a message
// safe to show to the client. Err, when set, is the cause, for logs only.
type Error struct {
	Code    string
	Message string
	Err     error
}

func (e *Error) Error() string {
	if e.Err != nil {
		return fmt.Sprintf("%s: %s: %v", e.Code, e.Message, e.Err)
	}
	return fmt.Sprintf("%s: %s", e.Code, e.Message)
}

func (e *Error) Unwrap() error { return e.Err }

// Errorf returns an *Error with a formatted message.
func Errorf(code, format string, args ...any) *Error {
	return &Error{Code: code, Message: fmt.Sprintf(format, args...)}
}

// ErrorCode is the code of the first *Error in err's chain, EINTERNAL for
// any other error and "" for nil.
func ErrorCode(err error) string {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Code
	}
	return EINTERNAL
}

// ErrorMessage is the client-safe message of err: the message of its *Error,
// or a generic one that reveals nothing of an internal error.
func ErrorMessage(err error) string {
	var e *Error
	if errors.As(err, &e) && e.Code != EINTERNAL {
		return e.Message
	}
	return "Internal error"
}

// ErrNotFound is returned by stores when a lookup finds nothing. Callers
// test for it by its code, ErrorCode(err) == ENOTFOUND, which is what the
// stores promise: a store may answer an *Error of its own.
var ErrNotFound = &Error{Code: ENOTFOUND, Message: "Not found"}

// ErrBodyTooLarge is in the chain of the error a body answers when its
// sender cut it at a size limit (the HTTP layers do, past a request's
// limit): a file read from it is too large, however many of its bytes
// came first. It is a plain error, not an *Error: it decides no code for
// those who read the body for something else.
var ErrBodyTooLarge = errors.New("body cut at its size limit")
