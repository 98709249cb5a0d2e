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

// Options.Incoming hears of a file once its first megabyte has come, once
// a file or a resumable upload's piece: a worker process gets ready for a
// photo's job while it arrives, and a small file, stored before that
// would help, starts none.
func TestIncoming(t *testing.T) {
	db, blobs := openStores(t)
	calls := 0
	svc := serviceOn(t, db, blobs, nil, library.Options{Incoming: func() { calls++ }})
	holder, _, _, _ := roles(t, svc)
	for _, c := range []struct {
		size  int
		calls int
	}{
		{100_000, 0},
		{1<<20 - 1, 0},
		{1 << 20, 1},
		{5 << 20, 1},
	} {
		data := strings.Repeat(fmt.Sprint(c.size), c.size/len(fmt.Sprint(c.size))+1)[:c.size]
		// In pieces, as from a network.
		body := func() io.Reader { return iotest.HalfReader(strings.NewReader(data)) }
		calls = 0
		if _, err := svc.ReceiveFile(t.Context(), holder, library.FileInput{Body: body(), Filename: "f.bin", Length: -1}); err != nil {
			t.Fatalf("ReceiveFile of %d bytes: %v", c.size, err)
		}
		if calls != c.calls {
			t.Errorf("a file of %d bytes: Incoming called %d times, want %d", c.size, calls, c.calls)
		}
		calls = 0
		u, err := svc.CreateResumable(t.Context(), holder, library.ResumableInput{Length: int64(c.size), Meta: damask.ResumableMeta{Filename: "r.bin"}})
		if err != nil {
			t.Fatal(err)
		}
		if _, err := svc.WriteResumable(t.Context(), holder, u.ID, library.Piece{Body: body()}); err != nil {
			t.Fatalf("WriteResumable of %d bytes: %v", c.size, err)
		}
		if calls != c.calls {
			t.Errorf("a resumable piece of %d bytes: Incoming called %d times, want %d", c.size, calls, c.calls)
		}
	}
}
