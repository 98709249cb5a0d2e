package library

import (
	"context"
	"fmt"
	"time"

	"damask"
)

// Trash lists the assets in an account's trash, newest first (the
// operator's command).
func (s *Service) Trash(ctx context.Context, account string, p damask.Page) ([]*damask.Asset, int, error) {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return nil, 0, fmt.Errorf("account %s: %w", account, err)
	}
	return s.store.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Trash: true, Page: p})
}

// Restore brings an asset of the account back from the trash.
func (s *Service) Restore(ctx context.Context, account string, id int64) error {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return fmt.Errorf("account %s: %w", account, err)
	}
	return s.restore(ctx, operator(a), id)
}

// EmptyTrash removes every asset in the account's trash for good; their
// bytes are released by the next collection.
func (s *Service) EmptyTrash(ctx context.Context, account string) (int, error) {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return 0, fmt.Errorf("account %s: %w", account, err)
	}
	return s.emptyTrash(ctx, operator(a))
}

// emptyTrash purges the trash of the caller's account.
func (s *Service) emptyTrash(ctx context.Context, c Caller) (int, error) {
	a := c.Account
	n := 0
	for {
		as, _, err := s.store.Assets(ctx, damask.AssetFilter{AccountID: a.ID, Trash: true, Page: damask.Page{Number: 1, Size: 100}})
		if err != nil {
			return n, fmt.Errorf("list trash: %w", err)
		}
		if len(as) == 0 {
			if n > 0 {
				s.record(ctx, c, damask.AuditTrashEmptied, "account "+a.Name, fmt.Sprintf("%d assets", n))
			}
			return n, nil
		}
		for _, x := range as {
			if err := s.store.PurgeAsset(acting(ctx, c), a.ID, x.ID); err != nil {
				return n, fmt.Errorf("purge asset %d: %w", x.ID, err)
			}
			n++
		}
	}
}

// finishedJobLifetime is how long a finished job is kept, to be looked at.
const finishedJobLifetime = 7 * 24 * time.Hour

// Tidy does the periodic housework: it removes expired uploads and
// resumable uploads (with their partial files),
// Idempotency-Keys older than a day, counters of failed sign-ins whose
// window ended, expired leases of uploads, full buckets of request rates, jobs finished a week ago, events
// older than the retention (Options.EventsRetention), sends the daily
// digest of Stage activity (once a day from the first run of any server
// on the store), and assets
// that have been in the trash for 30 days,
// then removes stored files that
// no record points at and that are older than grace (a file younger than
// that may belong to a request still under way). With a store that
// quarantines (damask.BlobCollector), such a file is quarantined first and
// deleted by a round at least grace later, if still unreferenced.
func (s *Service) Tidy(ctx context.Context, grace time.Duration) error {
	now := s.now()
	if n, err := s.store.DeleteExpiredUploads(ctx, now); err != nil {
		return fmt.Errorf("expire uploads: %w", err)
	} else if n > 0 {
		s.log.Info("removed expired uploads", "count", n)
	}
	if n, err := s.expireResumables(ctx); err != nil {
		return err
	} else if n > 0 {
		s.log.Info("removed expired resumable uploads", "count", n)
	}
	if _, err := s.store.DeleteIdempotencyRecords(ctx, now.Add(-damask.IdempotencyLifetime)); err != nil {
		return fmt.Errorf("forget idempotency keys: %w", err)
	}
	if _, err := s.store.DeleteFailures(ctx, now); err != nil {
		return fmt.Errorf("forget failed sign-ins: %w", err)
	}
	if _, err := s.store.DeleteExpiredUploadLeases(ctx, now); err != nil {
		return fmt.Errorf("expire upload leases: %w", err)
	}
	if rc, ok := s.store.(damask.RateCounter); ok {
		if _, err := rc.DeleteRateBuckets(ctx, now); err != nil {
			return fmt.Errorf("forget request rates: %w", err)
		}
	}
	if _, err := s.store.DeleteFinishedJobs(ctx, now.Add(-finishedJobLifetime)); err != nil {
		return fmt.Errorf("delete finished jobs: %w", err)
	}
	if err := s.deleteOldEvents(ctx, now); err != nil {
		return err
	}
	if err := s.tidyDeliveries(ctx); err != nil {
		return err
	}
	if err := s.dueStageDigest(ctx, now); err != nil {
		return err
	}
	if n, err := s.store.PurgeTrash(ctx, now.Add(-damask.TrashLifetime)); err != nil {
		return fmt.Errorf("purge trash: %w", err)
	} else if n > 0 {
		s.log.Info("emptied old trash", "assets", n)
	}
	collector, _ := s.blobs.(damask.BlobCollector)
	if collector != nil {
		if err := s.releaseQuarantined(ctx, collector, now, grace); err != nil {
			return err
		}
	}
	var old []damask.BlobInfo
	err := s.blobs.Walk(ctx, func(b damask.BlobInfo) error {
		if now.Sub(b.ModTime) > grace {
			old = append(old, b)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk blobs: %w", err)
	}
	for _, b := range old {
		// Look again just before deleting: a new upload of the same bytes
		// renews the file's time, and must keep it.
		if b, err = s.blobs.Stat(ctx, b.Ref); err != nil || now.Sub(b.ModTime) <= grace {
			continue
		}
		used, err := s.store.BlobReferenced(ctx, b.Ref)
		if err != nil {
			return fmt.Errorf("blob %s: %w", b.Ref, err)
		}
		if used {
			continue
		}
		if s.beforeCollect != nil {
			s.beforeCollect(ctx, b.Ref)
		}
		// An upload of the same bytes may renew the file and commit its
		// record right now, after the look above: a store that can
		// quarantines the file instead of deleting it (see
		// damask.BlobCollector), and a later round releases it.
		if collector != nil {
			if err := collector.Quarantine(ctx, b.Ref); err != nil {
				return fmt.Errorf("quarantine blob %s: %w", b.Ref, err)
			}
			s.log.Info("set aside unreferenced file", "blob", b.Ref.String(), "size", b.Size)
			continue
		}
		if err := s.blobs.Delete(ctx, b.Ref); err != nil {
			return fmt.Errorf("delete blob %s: %w", b.Ref, err)
		}
		s.log.Info("released unreferenced file", "blob", b.Ref.String(), "size", b.Size)
	}
	return nil
}

// releaseQuarantined ends the quarantine of files quarantined longer than
// grace (by earlier rounds of Tidy): a file a record points at by now
// (its upload renewed it just before the quarantine) goes back under its
// name, any other is deleted. A record committed later than that would
// belong to an upload older than grace, which Tidy takes for over.
func (s *Service) releaseQuarantined(ctx context.Context, c damask.BlobCollector, now time.Time, grace time.Duration) error {
	var due []damask.BlobInfo
	err := c.WalkQuarantine(ctx, func(b damask.BlobInfo) error {
		if now.Sub(b.ModTime) > grace {
			due = append(due, b)
		}
		return nil
	})
	if err != nil {
		return fmt.Errorf("walk quarantined blobs: %w", err)
	}
	for _, b := range due {
		used, err := s.store.BlobReferenced(ctx, b.Ref)
		if err != nil {
			return fmt.Errorf("blob %s: %w", b.Ref, err)
		}
		if used {
			if err := c.Restore(ctx, b.Ref); err != nil {
				return fmt.Errorf("restore blob %s: %w", b.Ref, err)
			}
			s.log.Info("kept a quarantined file an upload took meanwhile", "blob", b.Ref.String())
			continue
		}
		if err := c.Release(ctx, b.Ref); err != nil {
			return fmt.Errorf("release blob %s: %w", b.Ref, err)
		}
		s.log.Info("released unreferenced file", "blob", b.Ref.String(), "size", b.Size)
	}
	return nil
}

// Problem is one fault that Check found.
type Problem struct {
	Ref    damask.BlobRef
	Reason string
}

func (p Problem) String() string { return fmt.Sprintf("%s: %s", p.Ref, p.Reason) }

// Check reads every file that a record points at and compares it with its
// SHA-256 and size, calling report for each fault. It answers the number of
// files checked.
func (s *Service) Check(ctx context.Context, report func(Problem)) (int, error) {
	n := 0
	err := s.store.BlobRefs(ctx, func(ref damask.BlobRef, size int64) error {
		n++
		if reason := s.verify(ctx, ref, size); reason != "" {
			report(Problem{Ref: ref, Reason: reason})
		}
		return ctx.Err()
	})
	return n, err
}

func (s *Service) verify(ctx context.Context, ref damask.BlobRef, size int64) string {
	r, err := s.blobs.Open(ctx, ref)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return "missing"
	}
	if err != nil {
		return fmt.Sprintf("unreadable: %v", err)
	}
	defer r.Close()
	reason, err := checkBytes(r, ref, size)
	if err != nil {
		return fmt.Sprintf("unreadable: %v", err)
	}
	return reason
}

// dueStageDigest sends the digest of Stage activity when the last one
// (of any server on the store) was a day ago or more; the first run ever
// starts the first day, from now.
func (s *Service) dueStageDigest(ctx context.Context, now time.Time) error {
	if s.mailer == nil {
		return nil
	}
	last, err := s.store.StageDigestSent(ctx)
	if err != nil {
		return fmt.Errorf("stage digest: %w", err)
	}
	if last.IsZero() {
		if _, err := s.store.ClaimStageDigest(ctx, last, now.UTC()); err != nil {
			return fmt.Errorf("stage digest: %w", err)
		}
		return nil
	}
	if now.Sub(last) < 24*time.Hour {
		return nil
	}
	_, err = s.stageDigest(ctx, last, now.UTC())
	return err
}
