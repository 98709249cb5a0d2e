package s3

import (
	"context"
	"errors"
	"fmt"
	"io"

	"github.com/minio/minio-go/v7"

	"damask"
)

// reader reads an object from pos on, over one GET response at a time: the
// body answers Reads as long as they follow on from each other, and a Seek
// elsewhere drops it, so the next Read asks for the rest from there. It is
// not safe for concurrent use.
type reader struct {
	s    *Store
	ctx  context.Context
	ref  damask.BlobRef
	size int64
	pos  int64
	// body holds the object's bytes from bodyPos on; nil when none is open.
	body    io.ReadCloser
	bodyPos int64
	closed  bool
}

func (r *reader) Read(p []byte) (int, error) {
	if r.closed {
		return 0, errors.New("read blob: closed")
	}
	if r.pos >= r.size {
		return 0, io.EOF
	}
	if len(p) == 0 {
		return 0, nil
	}
	if r.body != nil && r.bodyPos != r.pos {
		r.dropBody()
	}
	if r.body == nil {
		opts := minio.GetObjectOptions{}
		if r.pos > 0 { // SetRange(0, 0) would ask for the first byte only
			if err := opts.SetRange(r.pos, 0); err != nil {
				return 0, fmt.Errorf("read blob %s at %d: %w", r.ref, r.pos, err)
			}
		}
		body, _, _, err := r.s.core.GetObject(r.ctx, r.s.bucket, r.s.key(r.ref), opts)
		if err != nil {
			if isNotFound(err) {
				err = damask.ErrNotFound // deleted since Open
			}
			return 0, r.s.fail(r.ctx, fmt.Sprintf("read blob %s at %d", r.ref, r.pos), err)
		}
		r.body, r.bodyPos = body, r.pos
	}
	p = p[:min(int64(len(p)), r.size-r.pos)]
	n, err := r.body.Read(p)
	r.pos += int64(n)
	r.bodyPos += int64(n)
	switch {
	case errors.Is(err, io.EOF) && r.pos < r.size:
		// The response ended before the object did.
		err = fmt.Errorf("read blob %s at %d: %w", r.ref, r.pos, io.ErrUnexpectedEOF)
	case errors.Is(err, io.EOF):
		err = nil // the next Read answers io.EOF
	case err != nil:
		err = r.s.fail(r.ctx, fmt.Sprintf("read blob %s at %d", r.ref, r.pos), err)
	}
	if err != nil {
		r.body.Close() // broken: never reused
		r.body = nil
	}
	return n, err
}

// drainMax is the most dropBody reads to the end of a response: beyond,
// closing the connection costs less than reading on.
const drainMax = 256 << 10

// dropBody closes the response in progress. An HTTP connection is reused
// only once its response was read to the end, so a short rest is read
// first: a conditional GET answered 304 without reading a thumbnail
// leaves the connection to the next request.
func (r *reader) dropBody() {
	if r.size-r.bodyPos <= drainMax {
		io.Copy(io.Discard, io.LimitReader(r.body, drainMax))
	}
	r.body.Close()
	r.body = nil
}

// Seek moves the position only; no request goes out until the next Read.
func (r *reader) Seek(offset int64, whence int) (int64, error) {
	if r.closed {
		return 0, errors.New("seek blob: closed")
	}
	var pos int64
	switch whence {
	case io.SeekStart:
		pos = offset
	case io.SeekCurrent:
		pos = r.pos + offset
	case io.SeekEnd:
		pos = r.size + offset
	default:
		return 0, fmt.Errorf("seek blob %s: whence %d", r.ref, whence)
	}
	if pos < 0 {
		return 0, fmt.Errorf("seek blob %s: negative position %d", r.ref, pos)
	}
	r.pos = pos
	return pos, nil
}

// Close drops the response in progress, if any.
func (r *reader) Close() error {
	if r.closed {
		return nil
	}
	r.closed = true
	if r.body != nil {
		r.dropBody()
	}
	return nil
}
