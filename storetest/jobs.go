package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
)

func testJobs(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")

	_, err := s.ClaimJob(ctx, "w1", time.Minute)
	wantCode(t, "ClaimJob on an empty queue", err, damask.ENOTFOUND, "")
	wantReady(t, s, "an empty queue", false)

	// A pending asset queues its first version; an unsupported one does not.
	a := newAsset(t, s, h, assetSpec{title: "a"})
	b := newAsset(t, s, h, assetSpec{title: "b"})
	off := &damask.Asset{AccountID: acct.ID, UserID: h.ID, Processing: damask.ProcessingUnsupported}
	must(t, "CreateAsset unsupported", s.CreateAsset(ctx, off, newVersion(h, "off.txt", 3), nil, 0))
	wantReady(t, s, "two queued jobs", true)

	j1, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob", err)
	want := damask.Job{ID: j1.ID, AccountID: acct.ID, AssetID: a.ID, Version: 1, Blob: a.Blob,
		State: damask.JobRunning, Attempts: 1, RunAfter: j1.RunAfter, LeaseUntil: j1.LeaseUntil,
		CreatedAt: j1.CreatedAt, UpdatedAt: j1.UpdatedAt}
	diff(t, "first claimed job (the oldest)", &want, j1)
	if d := time.Until(j1.LeaseUntil); d < 50*time.Second || d > 70*time.Second {
		t.Errorf("LeaseUntil is %v from now, want about a minute", d)
	}
	j2, err := s.ClaimJob(ctx, "w2", time.Minute)
	must(t, "ClaimJob second", err)
	if j2.AssetID != b.ID {
		t.Errorf("second job is of asset %d, want %d", j2.AssetID, b.ID)
	}
	_, err = s.ClaimJob(ctx, "w3", time.Minute)
	wantCode(t, "ClaimJob with every job leased", err, damask.ENOTFOUND, "")
	wantReady(t, s, "every job leased", false)

	// Only the holder may finish or fail a job.
	wantCode(t, "FinishJob by another worker", s.FinishJob(ctx, j1.ID, "w2"), damask.ENOTFOUND, "")
	must(t, "FinishJob", s.FinishJob(ctx, j1.ID, "w1"))
	wantCode(t, "FinishJob twice", s.FinishJob(ctx, j1.ID, "w1"), damask.ENOTFOUND, "")
	got, err := s.Job(ctx, j1.ID)
	must(t, "Job", err)
	if got.State != damask.JobDone {
		t.Errorf("finished job is %s, want done", got.State)
	}

	// A failed attempt runs again from its retry time, until the last.
	for i := 2; i <= damask.MaxJobAttempts; i++ {
		must(t, "FailJob", s.FailJob(ctx, j2.ID, "w2", time.Now().Add(-time.Second), "boom"))
		j, err := s.ClaimJob(ctx, "w2", time.Minute)
		must(t, "ClaimJob after the retry time", err)
		if j.ID != j2.ID || j.Attempts != i || j.LastError != "boom" {
			t.Fatalf("retry %d: got job %d attempt %d error %q", i, j.ID, j.Attempts, j.LastError)
		}
	}
	must(t, "FailJob last", s.FailJob(ctx, j2.ID, "w2", time.Now().Add(-time.Second), "boom at last"))
	got, err = s.Job(ctx, j2.ID)
	must(t, "Job", err)
	if got.State != damask.JobFailed || got.LastError != "boom at last" {
		t.Errorf("job after %d attempts: %s %q, want failed", damask.MaxJobAttempts, got.State, got.LastError)
	}
	_, err = s.ClaimJob(ctx, "w2", time.Minute)
	wantCode(t, "ClaimJob with a failed job only", err, damask.ENOTFOUND, "")
	wantReady(t, s, "a failed job only", false)

	// A new version is always queued, whatever the state before.
	a.Processing = damask.ProcessingPending
	must(t, "AddVersion", s.AddVersion(ctx, a, newVersion(h, "a-2.png", 5), 0))
	if a.Processing != damask.ProcessingPending {
		t.Errorf("Processing after AddVersion = %q, want pending", a.Processing)
	}
	j3, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob new version", err)
	if j3.AssetID != a.ID || j3.Version != 2 || j3.Blob != ref("a-2.png") {
		t.Errorf("new version's job: asset %d version %d blob %s", j3.AssetID, j3.Version, j3.Blob)
	}
	// A failed attempt waits for its retry time.
	must(t, "FailJob", s.FailJob(ctx, j3.ID, "w1", time.Now().Add(time.Hour), "boom"))
	_, err = s.ClaimJob(ctx, "w2", time.Minute)
	wantCode(t, "ClaimJob before the retry time", err, damask.ENOTFOUND, "")
	wantReady(t, s, "a job before its retry time", false)
}

// wantReady checks JobsReady, which must say what ClaimJob would find.
func wantReady(t *testing.T, s damask.Store, what string, want bool) {
	t.Helper()
	got, err := s.JobsReady(t.Context())
	must(t, "JobsReady", err)
	if got != want {
		t.Errorf("JobsReady with %s = %v, want %v", what, got, want)
	}
}

// testJobStages: a job queued again at its next stage waits behind every
// job still at an earlier stage, however old it is, with its attempts
// counted anew; only its holder may move it on.
func testJobStages(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	b := newAsset(t, s, h, assetSpec{title: "b"})
	ja, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob", err)
	if ja.AssetID != a.ID || ja.Stage != damask.JobThumbnails {
		t.Fatalf("first job: asset %d stage %d, want %d at stage %d", ja.AssetID, ja.Stage, a.ID, damask.JobThumbnails)
	}
	// The stage's renditions are stored with the move, and only with it.
	thumbs := []damask.Rendition{
		{Source: a.Blob, Size: "thumb64", Blob: ref("thumb64 of a"), Width: 64, Height: 48},
		{Source: a.Blob, Size: "thumb256", Blob: ref("thumb256 of a"), Width: 256, Height: 192},
	}
	wantCode(t, "NextStage by another worker", s.NextStage(ctx, ja.ID, "w2", thumbs), damask.ENOTFOUND, "")
	for _, r := range thumbs {
		wantCode(t, "Rendition after NextStage by another worker", func() error { _, err := s.Rendition(ctx, r.Source, r.Size); return err }(), damask.ENOTFOUND, "")
	}
	must(t, "NextStage", s.NextStage(ctx, ja.ID, "w1", thumbs))
	for _, want := range thumbs {
		got, err := s.Rendition(ctx, want.Source, want.Size)
		must(t, "Rendition after NextStage", err)
		if got != want {
			t.Errorf("rendition stored by NextStage: %+v, want %+v", got, want)
		}
	}
	wantCode(t, "NextStage twice", s.NextStage(ctx, ja.ID, "w1", nil), damask.ENOTFOUND, "")
	got, err := s.Job(ctx, ja.ID)
	must(t, "Job", err)
	if got.State != damask.JobQueued || got.Stage != damask.JobRest || got.Attempts != 0 {
		t.Errorf("job at its next stage: %s stage %d attempts %d, want queued at stage %d, 0 attempts", got.State, got.Stage, got.Attempts, damask.JobRest)
	}
	// b's job is younger but at the first stage: it comes first.
	jb, err := s.ClaimJob(ctx, "w2", time.Minute)
	must(t, "ClaimJob second", err)
	if jb.AssetID != b.ID || jb.Stage != damask.JobThumbnails {
		t.Errorf("second claim: asset %d stage %d, want %d at stage %d", jb.AssetID, jb.Stage, b.ID, damask.JobThumbnails)
	}
	must(t, "NextStage b", s.NextStage(ctx, jb.ID, "w2", nil))
	for _, want := range []int64{a.ID, b.ID} {
		j, err := s.ClaimJob(ctx, "w3", time.Minute)
		must(t, "ClaimJob at the next stage", err)
		if j.AssetID != want || j.Stage != damask.JobRest || j.Attempts != 1 {
			t.Errorf("claim at the next stage: asset %d stage %d attempt %d, want %d at stage %d, attempt 1", j.AssetID, j.Stage, j.Attempts, want, damask.JobRest)
		}
		must(t, "FinishJob", s.FinishJob(ctx, j.ID, "w3"))
	}
	_, err = s.ClaimJob(ctx, "w3", time.Minute)
	wantCode(t, "ClaimJob with every stage done", err, damask.ENOTFOUND, "")
}

// testJobLease: a worker that dies leaves its job to be claimed again
// once the lease ends, and then records nothing.
func testJobLease(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	j, err := s.ClaimJob(ctx, "dead", time.Millisecond)
	must(t, "ClaimJob", err)
	time.Sleep(5 * time.Millisecond)
	wantReady(t, s, "a job whose lease ran out", true)
	again, err := s.ClaimJob(ctx, "alive", time.Minute)
	must(t, "ClaimJob after the lease", err)
	if again.ID != j.ID || again.Attempts != 2 || again.AssetID != a.ID {
		t.Errorf("reclaimed job %d attempt %d, want %d attempt 2", again.ID, again.Attempts, j.ID)
	}
	wantCode(t, "FinishJob by the old holder", s.FinishJob(ctx, j.ID, "dead"), damask.ENOTFOUND, "")
	wantCode(t, "FailJob by the old holder", s.FailJob(ctx, j.ID, "dead", time.Now(), "x"), damask.ENOTFOUND, "")
	must(t, "FinishJob by the new holder", s.FinishJob(ctx, j.ID, "alive"))
}

// testJobRenew: a worker renews the lease of a job it holds, and only while
// it holds it: not another worker, not once the job is finished or queued
// again, and not once the lease has run out, even if no one claimed the job
// since (its holder must stop: it cannot know).
func testJobRenew(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	newAsset(t, s, h, assetSpec{title: "a"})
	newAsset(t, s, h, assetSpec{title: "b"})

	j, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob", err)
	must(t, "RenewJob", s.RenewJob(ctx, j.ID, "w1", time.Hour))
	got, err := s.Job(ctx, j.ID)
	must(t, "Job", err)
	if d := time.Until(got.LeaseUntil); d < 55*time.Minute || d > 65*time.Minute {
		t.Errorf("LeaseUntil is %v from now after a renewal for an hour", d)
	}
	if got.State != damask.JobRunning || got.Attempts != 1 {
		t.Errorf("renewed job: %s attempt %d, want running attempt 1", got.State, got.Attempts)
	}
	wantCode(t, "RenewJob by another worker", s.RenewJob(ctx, j.ID, "w2", time.Hour), damask.ENOTFOUND, "")
	wantCode(t, "RenewJob of a missing job", s.RenewJob(ctx, j.ID+1000, "w1", time.Hour), damask.ENOTFOUND, "")

	// A renewal moves the lease either way: renewed short, it runs out,
	// the job is claimable again, and the old holder can renew nothing.
	must(t, "RenewJob short", s.RenewJob(ctx, j.ID, "w1", time.Millisecond))
	time.Sleep(5 * time.Millisecond)
	wantCode(t, "RenewJob once the lease ran out", s.RenewJob(ctx, j.ID, "w1", time.Hour), damask.ENOTFOUND, "")
	again, err := s.ClaimJob(ctx, "w2", time.Minute)
	must(t, "ClaimJob after the lease", err)
	if again.ID != j.ID || again.Attempts != 2 {
		t.Fatalf("claimed job %d attempt %d, want %d attempt 2", again.ID, again.Attempts, j.ID)
	}
	wantCode(t, "RenewJob by the old holder", s.RenewJob(ctx, j.ID, "w1", time.Hour), damask.ENOTFOUND, "")
	must(t, "RenewJob by the new holder", s.RenewJob(ctx, j.ID, "w2", time.Hour))
	// A lease renewed keeps the job from other claims.
	other, err := s.ClaimJob(ctx, "w3", time.Minute)
	must(t, "ClaimJob of the other job", err)
	if other.ID == j.ID {
		t.Fatal("a job under a renewed lease was claimed by another worker")
	}
	_, err = s.ClaimJob(ctx, "w4", time.Minute)
	wantCode(t, "ClaimJob with every job leased", err, damask.ENOTFOUND, "")

	must(t, "FinishJob", s.FinishJob(ctx, j.ID, "w2"))
	wantCode(t, "RenewJob of a finished job", s.RenewJob(ctx, j.ID, "w2", time.Hour), damask.ENOTFOUND, "")
	must(t, "FailJob", s.FailJob(ctx, other.ID, "w3", time.Now().Add(time.Hour), "boom"))
	wantCode(t, "RenewJob of a job queued again", s.RenewJob(ctx, other.ID, "w3", time.Hour), damask.ENOTFOUND, "")
	got, err = s.Job(ctx, other.ID)
	must(t, "Job", err)
	if got.State != damask.JobQueued {
		t.Errorf("a refused renewal left the job %s, want queued", got.State)
	}
}

// testJobClaimConcurrent: workers claiming at once never share a job.
func testJobClaimConcurrent(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	const n = 20
	for i := range n {
		newAsset(t, s, h, assetSpec{title: fmt.Sprint("a", i)})
	}
	var mu sync.Mutex
	seen := map[int64]int{}
	var wg sync.WaitGroup
	for w := range 4 {
		wg.Go(func() {
			worker := fmt.Sprint("w", w)
			for {
				j, err := s.ClaimJob(ctx, worker, time.Minute)
				if err != nil {
					if damask.ErrorCode(err) != damask.ENOTFOUND {
						t.Error(err)
					}
					return
				}
				mu.Lock()
				seen[j.ID]++
				mu.Unlock()
				if err := s.FinishJob(ctx, j.ID, worker); err != nil {
					t.Error(err)
				}
			}
		})
	}
	wg.Wait()
	if len(seen) != n {
		t.Errorf("%d jobs claimed, want %d", len(seen), n)
	}
	for id, c := range seen {
		if c != 1 {
			t.Errorf("job %d claimed %d times", id, c)
		}
	}
}

func testSetExtracted(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "sunset"})
	taken := time.Date(2024, 5, 1, 18, 30, 0, 0, time.UTC)
	x := damask.Extracted{
		Processing: damask.ProcessingDone,
		Width:      4000, Height: 3000, PixelWidth: 3000, PixelHeight: 4000,
		Duration: 1500 * time.Millisecond, PageCount: 1,
		Camera: "Canon EOS R5", TakenAt: taken,
		GPS:  &damask.GeoPoint{Latitude: 46.5, Longitude: 6.6},
		Text: "lighthouse by the sea",
	}
	must(t, "SetExtracted", s.SetExtracted(ctx, acct.ID, a.ID, 1, x))
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	want := *a
	want.Processing, want.Width, want.Height, want.PixelWidth, want.PixelHeight = damask.ProcessingDone, 4000, 3000, 3000, 4000
	want.Duration, want.PageCount, want.Camera, want.TakenAt, want.GPS, want.Text = x.Duration, 1, x.Camera, taken, x.GPS, x.Text
	diff(t, "asset after SetExtracted", &want, got)

	// The index follows in the same step.
	as, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: w("lighthouse"), Page: damask.Page{Number: 1, Size: 10}})
	must(t, "Assets", err)
	diff(t, "assets found by extracted text", []int64{a.ID}, ids(as))

	// A stale version writes nothing.
	must(t, "AddVersion", s.AddVersion(ctx, a, newVersion(h, "sunset-2.png", 9), 0))
	wantCode(t, "SetExtracted of a former version", s.SetExtracted(ctx, acct.ID, a.ID, 1,
		damask.Extracted{Processing: damask.ProcessingFailed, Reason: "late"}), damask.ENOTFOUND, "")
	got, err = s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	if got.Processing != damask.ProcessingPending || got.ProcessingError != "" {
		t.Errorf("after a stale SetExtracted: %q %q, want pending", got.Processing, got.ProcessingError)
	}
	must(t, "SetExtracted failed", s.SetExtracted(ctx, acct.ID, a.ID, 2,
		damask.Extracted{Processing: damask.ProcessingFailed, Reason: "corrupt file"}))
	got, err = s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	if got.Processing != damask.ProcessingFailed || got.ProcessingError != "corrupt file" || got.Width != 0 || got.Text != "" {
		t.Errorf("after SetExtracted failed: %q %q width %d text %q", got.Processing, got.ProcessingError, got.Width, got.Text)
	}

	other, _ := newAccount(t, s, "other")
	wantCode(t, "SetExtracted of another account", s.SetExtracted(ctx, other.ID, a.ID, 2, x), damask.ENOTFOUND, "")
}

func testRenditions(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a"})

	_, err := s.Rendition(ctx, a.Blob, "thumb64")
	wantCode(t, "Rendition before any", err, damask.ENOTFOUND, "")
	r := damask.Rendition{Source: a.Blob, Size: "thumb64", Blob: ref("thumb of a"), Width: 64, Height: 48}
	must(t, "PutRendition", s.PutRendition(ctx, r))
	got, err := s.Rendition(ctx, a.Blob, "thumb64")
	must(t, "Rendition", err)
	diff(t, "Rendition", r, got)
	r.Blob, r.Height = ref("thumb of a, again"), 47
	must(t, "PutRendition again", s.PutRendition(ctx, r))
	got, err = s.Rendition(ctx, a.Blob, "thumb64")
	must(t, "Rendition", err)
	diff(t, "Rendition replaced", r, got)
	_, err = s.Rendition(ctx, a.Blob, "preview")
	wantCode(t, "Rendition of another size", err, damask.ENOTFOUND, "")

	// A rendition keeps its file while a version points at the source.
	used, err := s.BlobReferenced(ctx, r.Blob)
	must(t, "BlobReferenced", err)
	if !used {
		t.Error("a rendition of a version's file is not referenced")
	}
	orphan := damask.Rendition{Source: ref("gone"), Size: "thumb64", Blob: ref("thumb of gone"), Width: 1, Height: 1}
	must(t, "PutRendition orphan", s.PutRendition(ctx, orphan))
	used, err = s.BlobReferenced(ctx, orphan.Blob)
	must(t, "BlobReferenced", err)
	if used {
		t.Error("a rendition of a file no version has is referenced")
	}

	// damask check reads renditions too; their size is not recorded.
	sizes := map[damask.BlobRef]int64{}
	must(t, "BlobRefs", s.BlobRefs(ctx, func(ref damask.BlobRef, size int64) error {
		sizes[ref] = size
		return nil
	}))
	if size, ok := sizes[r.Blob]; !ok || size != -1 {
		t.Errorf("BlobRefs gives the rendition as %d, %v; want -1, true", size, ok)
	}
	if _, ok := sizes[a.Blob]; !ok {
		t.Error("BlobRefs lacks the version's file")
	}
}

// testJobHousekeeping: an asset restored from the trash while still
// pending is queued again (its job may have passed it by while it was in
// the trash); finished jobs can be cleared away.
func testJobHousekeeping(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	j, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob", err)
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()))
	// The worker found the asset in the trash and let the job go.
	must(t, "FinishJob", s.FinishJob(ctx, j.ID, "w1"))
	_, err = s.ClaimJob(ctx, "w1", time.Minute)
	wantCode(t, "ClaimJob with nothing queued", err, damask.ENOTFOUND, "")

	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, a.ID))
	again, err := s.ClaimJob(ctx, "w1", time.Minute)
	must(t, "ClaimJob after the restore", err)
	if again.AssetID != a.ID || again.Version != 1 {
		t.Errorf("job after restore: asset %d version %d, want %d version 1", again.AssetID, again.Version, a.ID)
	}
	// A restore while a job is still due queues nothing more.
	must(t, "TrashAsset again", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()))
	must(t, "RestoreAsset again", s.RestoreAsset(ctx, acct.ID, a.ID))
	_, err = s.ClaimJob(ctx, "w2", time.Minute)
	wantCode(t, "ClaimJob while the job runs", err, damask.ENOTFOUND, "")
	must(t, "FinishJob", s.FinishJob(ctx, again.ID, "w1"))

	n, err := s.DeleteFinishedJobs(ctx, time.Now().Add(-time.Hour))
	must(t, "DeleteFinishedJobs of an hour ago", err)
	if n != 0 {
		t.Errorf("DeleteFinishedJobs an hour back removed %d, want 0", n)
	}
	n, err = s.DeleteFinishedJobs(ctx, time.Now().Add(time.Second))
	must(t, "DeleteFinishedJobs", err)
	if n != 2 {
		t.Errorf("DeleteFinishedJobs removed %d, want 2", n)
	}
	_, err = s.Job(ctx, again.ID)
	wantCode(t, "Job after deletion", err, damask.ENOTFOUND, "")
}

// testKeywordTags: keywords found in a file become tags of its asset when
// the account says so, added to those it has; otherwise they do not.
func testKeywordTags(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	acct.KeywordsToTags = true
	must(t, "UpdateAccount", s.UpdateAccount(ctx, acct))
	got, err := s.Account(ctx, acct.ID)
	must(t, "Account", err)
	if !got.KeywordsToTags {
		t.Fatal("KeywordsToTags did not keep true")
	}
	tagNames := func(a *damask.Asset) []string {
		fresh, err := s.Asset(ctx, acct.ID, a.ID)
		must(t, "Asset", err)
		var names []string
		for _, tg := range fresh.Tags {
			names = append(names, tg.Name)
		}
		return names
	}
	a := newAsset(t, s, h, assetSpec{title: "lake", tags: []string{"summer"}})
	x := damask.Extracted{Processing: damask.ProcessingDone, Keywords: []string{"lake", "Summer", "geneva"}}
	must(t, "SetExtracted", s.SetExtracted(ctx, acct.ID, a.ID, 1, x))
	diff(t, "tags with keywords on", []string{"geneva", "lake", "summer"}, tagNames(a))

	acct.KeywordsToTags = false
	must(t, "UpdateAccount off", s.UpdateAccount(ctx, acct))
	b := newAsset(t, s, h, assetSpec{title: "other"})
	must(t, "SetExtracted off", s.SetExtracted(ctx, acct.ID, b.ID, 1, x))
	diff(t, "tags with keywords off", []string(nil), tagNames(b))
}
