package library_test

import (
	"errors"
	"fmt"
	"io"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"damask"
	"damask/library"
)

// brokenBody answers some bytes, then err.
func brokenBody(err error) io.Reader {
	return io.MultiReader(strings.NewReader("the first bytes"), iotest.ErrReader(err))
}

// A body its sender cut at a size limit is a file too large, told by
// damask.ErrBodyTooLarge and not by any HTTP type; a body that broke off
// otherwise is malformed.
func TestReceiveFileCutBody(t *testing.T) {
	now := time.Now()
	svc, _ := newService(t, &now)
	holder, _, _, _ := roles(t, svc)
	for _, c := range []struct {
		name string
		err  error
		code string
		msg  string
	}{
		{"cut at the limit", fmt.Errorf("%w: %w", damask.ErrBodyTooLarge, errors.New("http: request body too large")), damask.ETOOLARGE, "larger than the limit"},
		{"broken off", io.ErrUnexpectedEOF, damask.EMALFORMED, "could not be read to its end"},
	} {
		t.Run(c.name, func(t *testing.T) {
			_, err := svc.ReceiveFile(t.Context(), holder, library.FileInput{Body: brokenBody(c.err), Filename: "cut.bin", Length: -1})
			if damask.ErrorCode(err) != c.code || !strings.Contains(damask.ErrorMessage(err), c.msg) {
				t.Errorf("ReceiveFile: %v, want %s saying %q", err, c.code, c.msg)
			}
		})
	}
}
