package library

import (
	"context"
	"crypto/sha256"
	"errors"
	"fmt"
	"io"
	"io/fs"
	"strconv"
	"sync"
	"sync/atomic"
	"syscall"
	"time"

	"damask"
)

// Every file served is first checked against its SHA-256, so that bytes
// damaged where they are stored fail loudly (a 5xx, logged and counted)
// instead of reaching a client as a 200. Hashing a file at each download
// would halve the download rate, so a check is remembered for the state of
// the bytes it read, as the store describes it: on disk the file's inode,
// size, and modification and change times (any write changes the change
// time). A rewrite of the bytes through the filesystem is therefore caught
// at the next download; damage below the filesystem (a flipped bit on the
// medium) within a day, when a check expires, or by `damask check`. An S3
// object has no such fingerprint (its ETag is not recomputed when its
// bytes rot, and its modification time counts seconds), so a file from S3
// is hashed at every download: its bytes are read twice.

const (
	verifiedFor = 24 * time.Hour
	verifiedMax = 100_000 // files remembered; past that the memory starts over
)

// verified remembers the files checked lately, by blob and fingerprint.
type verified struct {
	mu   sync.Mutex
	seen map[string]time.Time // when the check was made
	// failures counts downloads refused because their bytes did not match.
	failures atomic.Int64
}

func (v *verified) has(key string, now time.Time) bool {
	v.mu.Lock()
	defer v.mu.Unlock()
	at, ok := v.seen[key]
	return ok && now.Sub(at) < verifiedFor
}

func (v *verified) add(key string, now time.Time) {
	v.mu.Lock()
	defer v.mu.Unlock()
	if v.seen == nil || len(v.seen) >= verifiedMax {
		v.seen = make(map[string]time.Time)
	}
	v.seen[key] = now
}

// fingerprint names the state of the bytes body reads, or "" when the
// store cannot tell (then every read is checked).
func fingerprint(body io.ReadSeeker) string {
	if b, ok := body.(interface{ Stat() (fs.FileInfo, error) }); ok { // *os.File
		fi, err := b.Stat()
		if err != nil {
			return ""
		}
		st, ok := fi.Sys().(*syscall.Stat_t)
		if !ok {
			return ""
		}
		return fmt.Sprintf("%d:%d:%d:%d.%d:%d.%d", st.Dev, st.Ino, st.Size, st.Mtim.Sec, st.Mtim.Nsec, st.Ctim.Sec, st.Ctim.Nsec)
	}
	return ""
}

// openVerified opens a stored file whose bytes are known to match ref, of
// the given size (-1: any). what names the file in errors and the log.
func (s *Service) openVerified(ctx context.Context, ref damask.BlobRef, size int64, what string) (io.ReadSeekCloser, error) {
	body, err := s.blobs.Open(ctx, ref)
	if err != nil {
		// A record without its bytes breaks a promise: say so loudly.
		s.log.Error("stored file missing", "file", what, "blob", ref.String(), "err", err)
		return nil, &damask.Error{Code: damask.EINTERNAL, Message: "Stored file missing",
			Err: fmt.Errorf("open blob %s of %s: %w", ref, what, err)}
	}
	fp := fingerprint(body)
	key := ref.String() + "/" + fp
	now := s.now()
	if fp != "" && s.verified.has(key, now) {
		return body, nil
	}
	reason, err := checkBytes(body, ref, size)
	if err == nil && reason == "" {
		_, err = body.Seek(0, io.SeekStart)
	}
	if err != nil {
		body.Close()
		if ctx.Err() != nil {
			return nil, ctx.Err()
		}
		s.log.Error("stored file unreadable", "file", what, "blob", ref.String(), "err", err)
		return nil, &damask.Error{Code: damask.EINTERNAL, Message: "Stored file unreadable",
			Err: fmt.Errorf("read blob %s of %s: %w", ref, what, err)}
	}
	if reason != "" {
		body.Close()
		s.verified.failures.Add(1)
		s.log.Error("stored file damaged: refused", "file", what, "blob", ref.String(), "reason", reason)
		return nil, &damask.Error{Code: damask.EINTERNAL, Message: "Stored file damaged; the operator has been told",
			Err: fmt.Errorf("blob %s of %s: %s", ref, what, reason)}
	}
	if fp != "" {
		s.verified.add(key, now)
	}
	return body, nil
}

// checkBytes reads r to the end and answers why its bytes are not those
// of ref and size (-1: any), or "" when they are.
func checkBytes(r io.Reader, ref damask.BlobRef, size int64) (string, error) {
	h := sha256.New()
	got, err := io.Copy(h, r)
	switch {
	case err != nil && !errors.Is(err, io.EOF):
		return "", err
	case size >= 0 && got != size:
		return "size " + strconv.FormatInt(got, 10) + ", recorded " + strconv.FormatInt(size, 10), nil
	case damask.BlobRef(h.Sum(nil)) != ref:
		return "content does not match its SHA-256", nil
	}
	return "", nil
}

// IntegrityFailures is the number of reads refused since the start because
// the stored bytes did not match their hash.
func (s *Service) IntegrityFailures() int64 { return s.verified.failures.Load() }
