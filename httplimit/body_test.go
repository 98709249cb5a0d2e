package httplimit

import (
	"errors"
	"io"
	"net/http"
	"strings"
	"testing"
	"testing/iotest"

	"damask"
)

// A body past its MaxBytesReader limit answers an error that is both
// damask.ErrBodyTooLarge and the *http.MaxBytesError; any other error of
// the body passes as it is.
func TestMarkLimit(t *testing.T) {
	body := MarkLimit(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("0123456789")), 4))
	_, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	if !errors.Is(err, damask.ErrBodyTooLarge) || !errors.As(err, &mbe) || mbe.Limit != 4 {
		t.Errorf("past the limit: %v, want ErrBodyTooLarge and a MaxBytesError of 4", err)
	}
	within := MarkLimit(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("0123")), 4))
	if b, err := io.ReadAll(within); err != nil || string(b) != "0123" {
		t.Errorf("within the limit: %q, %v", b, err)
	}
	broken := MarkLimit(io.NopCloser(io.MultiReader(strings.NewReader("01"), iotest.ErrReader(io.ErrUnexpectedEOF))))
	if _, err := io.ReadAll(broken); err != io.ErrUnexpectedEOF { //nolint:errorlint // the very error, unwrapped, is the promise
		t.Errorf("a broken body: %v, want io.ErrUnexpectedEOF as it is", err)
	}
}
