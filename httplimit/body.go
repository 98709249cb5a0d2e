package httplimit

import (
	"errors"
	"io"
	"net/http"
	"os"
	"time"
)

// ErrSlowBody is in the chain of the error a body answers once it has
// stalled: fewer than the minimum bytes arrived within the window.
var ErrSlowBody = errors.New("the request body came too slowly")

// Progress makes r's body keep moving: from its first read, every
// window must bring at least min bytes, or reading fails with an error
// that is ErrSlowBody (the connection's read deadline has passed, and the
// server closes it after the answer). An honest client on a slow line
// sending a large file is never cut off, however long it takes, as long
// as it keeps up min bytes a window. A window of 0 or less leaves the body
// alone, as does a connection that takes no deadlines (HTTP/2).
//
// Once the body has been read to its end the deadline is lifted, so that
// a handler's slow work afterwards (an fsync of a large file) is not
// mistaken for a stalled client.
func Progress(w http.ResponseWriter, r *http.Request, min int64, window time.Duration) {
	if window <= 0 || r.Body == nil || r.Body == http.NoBody {
		return
	}
	r.Body = &progressBody{body: r.Body, rc: http.NewResponseController(w), min: max(min, 1), window: window}
}

type progressBody struct {
	body   io.ReadCloser
	rc     *http.ResponseController
	min    int64
	window time.Duration
	off    bool  // the connection takes no deadlines, or the body has ended
	n      int64 // bytes since the deadline was last moved
	armed  bool
}

func (b *progressBody) Read(p []byte) (int, error) {
	if !b.armed && !b.off {
		b.armed = true
		b.extend()
	}
	n, err := b.body.Read(p)
	if b.off {
		return n, err
	}
	b.n += int64(n)
	if b.n >= b.min {
		b.extend()
	}
	switch {
	case err == io.EOF:
		b.off = true
		b.rc.SetReadDeadline(time.Time{})
	case errors.Is(err, os.ErrDeadlineExceeded):
		return n, &slowError{err}
	}
	return n, err
}

// extend moves the deadline one window ahead of now.
func (b *progressBody) extend() {
	b.n = 0
	if err := b.rc.SetReadDeadline(time.Now().Add(b.window)); err != nil {
		b.off = true
	}
}

func (b *progressBody) Close() error { return b.body.Close() }

type slowError struct{ err error }

func (e *slowError) Error() string   { return ErrSlowBody.Error() + ": " + e.err.Error() }
func (e *slowError) Unwrap() []error { return []error{ErrSlowBody, e.err} }
