package library

import (
	"context"
	"errors"
	"fmt"
	"sync"
	"time"

	"damask"
)

// Reserve is the free space the blob store's file system keeps: the larger
// of Bytes and Percent of the file system's size. The zero value keeps
// none.
type Reserve struct {
	Bytes   int64
	Percent float64
}

// floor is the reserve on a file system of size bytes.
func (r Reserve) floor(size int64) int64 {
	return max(r.Bytes, int64(r.Percent/100*float64(size)))
}

func (r Reserve) String() string {
	switch {
	case r.Percent > 0 && r.Bytes > 0:
		return fmt.Sprintf("the larger of %d bytes and %g%%", r.Bytes, r.Percent)
	case r.Percent > 0:
		return fmt.Sprintf("%g%%", r.Percent)
	}
	return fmt.Sprintf("%d bytes", r.Bytes)
}

// diskCheckEvery is how many bytes of a file arrive between two looks at
// the free space, for files whose size nobody announced.
const diskCheckEvery = 64 << 20

// incomingAfter is how many bytes of a file arrive before Options.Incoming
// is told: a photo's first megabyte comes in milliseconds, while a worker
// process takes about 0.3 s of CPU to start its tools, which 1,000 small
// uploads kept for later assets paid for nothing.
const incomingAfter = 1 << 20

// checkDisk answers EQUOTA when adding more bytes would leave the blob
// store's file system below the reserve. Stores that cannot tell their
// free space (S3) are never refused here; a full disk still answers ENOSPC
// on write, which storageError turns into EQUOTA.
func (s *Service) checkDisk(ctx context.Context, more int64) error {
	fs, ok := s.blobs.(damask.FreeSpacer)
	if !ok || s.reserve == (Reserve{}) {
		return nil
	}
	free, size, err := fs.FreeSpace(ctx)
	if errors.Is(err, errors.ErrUnsupported) {
		return nil
	}
	if err != nil {
		return fmt.Errorf("check free space: %w", err)
	}
	if free-more < s.reserve.floor(size) {
		s.log.Warn("upload refused: the disk is at its reserve", "free", free, "more", more, "reserve", s.reserve.String())
		return damask.Errorf(damask.EQUOTA, "Storage is full: the server keeps a reserve of free disk space")
	}
	return nil
}

// Leases of uploads under way: a lease lasts uploadLeaseTTL and is
// renewed every uploadLeaseRenew while its file arrives, so that the
// uploads of a server that died stop counting within uploadLeaseTTL.
const (
	uploadLeaseTTL   = 2 * time.Minute
	uploadLeaseRenew = 30 * time.Second
)

// uploadsBusy is the answer past Options.MaxUploadsPerUser.
const uploadsBusy = "Too many uploads at once: at most %d per user; try again when one has finished"

// takeUploadSlot takes a place among the files the caller's user may send
// at once (Options.MaxUploadsPerUser), or answers ETHROTTLED when the user
// already sends that many: through any server of the library when the
// places are leases in the store (Options.UploadLeases), else through this
// process. release gives the place back; it must be called once the file
// has arrived or failed.
func (s *Service) takeUploadSlot(ctx context.Context, c Caller) (release func(), err error) {
	limit := s.uploads.max
	if limit <= 0 || c.User == nil {
		return func() {}, nil
	}
	if !s.leases {
		return s.uploads.take(c, 1)
	}
	now := s.now()
	id, err := s.store.TakeUploadLease(ctx, c.Account.ID, c.User.ID, limit, now, now.Add(uploadLeaseTTL))
	if err != nil {
		return nil, fmt.Errorf("count uploads at once: %w", err)
	}
	if id == 0 {
		return nil, &damask.Error{Code: damask.ETHROTTLED, Message: fmt.Sprintf(uploadsBusy, limit), Err: &retryAfter{0}}
	}
	// The lease must outlive a client that goes away (the release still
	// has to run) but not the server.
	bg := context.WithoutCancel(ctx)
	done := make(chan struct{})
	stopped := make(chan struct{})
	go func() {
		defer close(stopped)
		tick := time.NewTicker(uploadLeaseRenew)
		defer tick.Stop()
		for {
			select {
			case <-done:
				return
			case <-tick.C:
				if err := s.store.RenewUploadLease(bg, id, s.now().Add(uploadLeaseTTL)); err != nil {
					s.log.Warn("upload lease not renewed", "lease", id, "err", err)
				}
			}
		}
	}()
	var once sync.Once
	return func() {
		once.Do(func() {
			close(done)
			<-stopped
			if err := s.store.ReleaseUploadLease(bg, id); err != nil {
				s.log.Warn("upload lease not released; it expires by itself", "lease", id, "err", err)
			}
		})
	}, nil
}

// userSlots counts what each user does at once (files being sent,
// searches being run) against a cap.
type userSlots struct {
	max  int    // 0: no cap
	busy string // the ETHROTTLED message past the cap, formatted with max
	mu   sync.Mutex
	n    map[int64]int // by user id
}

func newUserSlots(max int, busy string) *userSlots {
	return &userSlots{max: max, busy: busy, n: make(map[int64]int)}
}

// take reserves n slots (at most max) for the caller's user, or answers
// ETHROTTLED when the user holds too many already; release gives them
// back. A map entry lives only while its user holds slots, so the map
// holds at most the work under way.
func (u *userSlots) take(c Caller, n int) (release func(), err error) {
	if u.max <= 0 || c.User == nil {
		return func() {}, nil
	}
	n = min(n, u.max)
	id := c.User.ID
	u.mu.Lock()
	defer u.mu.Unlock()
	if u.n[id]+n > u.max {
		return nil, &damask.Error{Code: damask.ETHROTTLED, Message: fmt.Sprintf(u.busy, u.max), Err: &retryAfter{0}}
	}
	u.n[id] += n
	var once sync.Once
	return func() {
		once.Do(func() {
			u.mu.Lock()
			defer u.mu.Unlock()
			if u.n[id] -= n; u.n[id] <= 0 {
				delete(u.n, id)
			}
		})
	}, nil
}
