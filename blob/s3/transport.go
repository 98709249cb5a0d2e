package s3

import (
	"io"
	"net/http"
	"sync"

	"github.com/minio/minio-go/v7"
)

// bodyWaiter is the transport under minio-go. It hands a request's body
// back to its caller only once net/http has closed it: net/http may go on
// reading a body after RoundTrip returns (the contract of
// http.RoundTripper says so), while minio-go seeks the same reader back
// to the start for its next attempt and the writer fills the part's
// buffer again. Either would race with that late read. After an error,
// RoundTrip waits for the close; after an answer, closing the answer's
// body does, since net/http closes the request's body at the latest when
// it gives up the connection the answer came on.
type bodyWaiter struct{ next http.RoundTripper }

func newTransport(secure bool) (http.RoundTripper, error) {
	t, err := minio.DefaultTransport(secure)
	if err != nil {
		return nil, err
	}
	return bodyWaiter{next: t}, nil
}

func (t bodyWaiter) RoundTrip(req *http.Request) (*http.Response, error) {
	if req.Body == nil || req.Body == http.NoBody {
		return t.next.RoundTrip(req)
	}
	body := &signalingBody{ReadCloser: req.Body, closed: make(chan struct{})}
	r := *req // a RoundTripper must not change the request it is given
	r.Body = body
	resp, err := t.next.RoundTrip(&r)
	if err != nil {
		<-body.closed
		return nil, err
	}
	resp.Body = &waitingBody{ReadCloser: resp.Body, sent: body.closed}
	return resp, nil
}

// signalingBody closes closed when net/http closes it.
type signalingBody struct {
	io.ReadCloser
	once   sync.Once
	closed chan struct{}
}

func (b *signalingBody) Close() error {
	err := b.ReadCloser.Close()
	b.once.Do(func() { close(b.closed) })
	return err
}

// waitingBody is an answer's body whose Close returns once the request's
// body is closed too.
type waitingBody struct {
	io.ReadCloser
	sent <-chan struct{}
}

func (b *waitingBody) Close() error {
	err := b.ReadCloser.Close()
	<-b.sent
	return err
}
