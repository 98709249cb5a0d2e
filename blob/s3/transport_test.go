package s3

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

// lateCloser is a transport that answers at once and closes the request's
// body a little later, as net/http may.
type lateCloser struct {
	resp   *http.Response
	err    error
	closed atomic.Bool
}

func (l *lateCloser) RoundTrip(req *http.Request) (*http.Response, error) {
	go func() {
		time.Sleep(20 * time.Millisecond)
		io.Copy(io.Discard, req.Body)
		l.closed.Store(true)
		req.Body.Close()
	}()
	return l.resp, l.err
}

// The caller gets the body back only once the transport is done with it:
// after an error when RoundTrip returns, after an answer when the answer's
// body is closed.
func TestBodyWaiterHandsTheBodyBack(t *testing.T) {
	for _, tc := range []struct {
		name string
		resp *http.Response
		err  error
	}{
		{"error", nil, errors.New("connection reset")},
		{"answer", &http.Response{StatusCode: 503, Body: io.NopCloser(strings.NewReader("busy"))}, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			next := &lateCloser{resp: tc.resp, err: tc.err}
			req, err := http.NewRequest("PUT", "http://s3.invalid/b/k", io.NopCloser(strings.NewReader("part")))
			if err != nil {
				t.Fatal(err)
			}
			resp, err := bodyWaiter{next: next}.RoundTrip(req)
			if err != nil {
				if !next.closed.Load() {
					t.Fatal("RoundTrip returned its error before the body was closed")
				}
				return
			}
			resp.Body.Close()
			if !next.closed.Load() {
				t.Fatal("the answer's Close returned before the request's body was closed")
			}
		})
	}
}
