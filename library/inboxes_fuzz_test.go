package library

import (
	"bytes"
	"errors"
	"io"
	"strings"
	"testing"
	"time"

	"damask"
)

// FuzzInboxFields: expires_on, max_file_size and max_files from a client
// are either read (a time after now, cut to the second; a number from 0
// to the most) or refused with EINVALID, never anything else.
func FuzzInboxFields(f *testing.F) {
	for _, s := range []string{"", "2099-12-31", "2099-12-31T10:00:00Z", "2099-12-31T10:00:00+02:00", "2001-01-01",
		"tomorrow", "0", "1000", "-1", "99999999999999999999", " 12 ", "1e3", "2099-02-30"} {
		f.Add(s)
	}
	now := time.Date(2026, 12, 7, 12, 0, 0, 0, time.UTC)
	f.Fuzz(func(t *testing.T, v string) {
		at, err := futureExpiry(v, now)
		switch {
		case err != nil && damask.ErrorCode(err) != damask.EINVALID:
			t.Errorf("futureExpiry(%q): %v, want EINVALID", v, err)
		case err == nil && strings.TrimSpace(v) == "" && !at.IsZero():
			t.Errorf("futureExpiry(%q) = %v, want never", v, at)
		case err == nil && strings.TrimSpace(v) != "" && (!at.After(now) || at.Location() != time.UTC || at.Nanosecond() != 0):
			t.Errorf("futureExpiry(%q) = %v, want a UTC second after %v", v, at, now)
		}
		for _, most := range []int64{MaxInboxFiles, MaxFileSizeCeiling} {
			n, err := count("x", v, most)
			if err != nil && damask.ErrorCode(err) != damask.EINVALID || err == nil && (n < 0 || n > most) {
				t.Errorf("count(%q, %d) = %d, %v", v, most, n, err)
			}
		}
	})
}

// FuzzInboxLimit: a body read through an Inbox's limit gives back its
// bytes unchanged when it fits, and ETOOLARGE, never more than the limit,
// when it does not.
func FuzzInboxLimit(f *testing.F) {
	f.Add([]byte("hello"), int64(5), 3)
	f.Add([]byte("hello"), int64(4), 1)
	f.Add([]byte{}, int64(1), 2)
	f.Fuzz(func(t *testing.T, data []byte, limit int64, chunk int) {
		if limit <= 0 || limit > 1<<20 || chunk <= 0 || chunk > 1<<16 {
			return
		}
		r := &inboxLimit{r: bytes.NewReader(data), left: limit, max: limit}
		var got []byte
		buf := make([]byte, chunk)
		var err error
		for {
			var n int
			n, err = r.Read(buf)
			got = append(got, buf[:n]...)
			if err != nil {
				break
			}
		}
		fits := int64(len(data)) <= limit
		switch {
		case fits && (!errors.Is(err, io.EOF) || !bytes.Equal(got, data)):
			t.Errorf("%d bytes under a limit of %d: %v, %d bytes back", len(data), limit, err, len(got))
		case !fits && damask.ErrorCode(err) != damask.ETOOLARGE:
			t.Errorf("%d bytes over a limit of %d: %v, want ETOOLARGE", len(data), limit, err)
		case int64(len(got)) > limit:
			t.Errorf("%d bytes passed a limit of %d", len(got), limit)
		}
	})
}
