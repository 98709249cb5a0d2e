package library_test

import (
	"bytes"
	"context"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/jobs"
	"damask/library"
	"damask/media"
	"damask/metadata"
	"damask/sqlite"
)

// finishCounter is the queue, counting the jobs recorded done.
type finishCounter struct {
	*sqlite.DB
	mu       sync.Mutex
	finished map[int64]int
}

func (q *finishCounter) FinishJob(ctx context.Context, id int64, worker string) error {
	err := q.DB.FinishJob(ctx, id, worker)
	if err == nil {
		q.mu.Lock()
		q.finished[id]++
		q.mu.Unlock()
	}
	return err
}

// TestProcessSurvivesRestart stops the workers in the middle of a batch of
// real files and starts new ones: nothing is lost, nothing done twice, and
// every file ends with all its renditions.
func TestProcessSurvivesRestart(t *testing.T) {
	ctx := t.Context()
	db, blobs := openStores(t)
	r, err := media.New(media.Options{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	x, err := metadata.New(ctx, metadata.Config{})
	if err != nil {
		t.Skipf("exiftool: %v", err)
	}
	t.Cleanup(func() { x.Close() })
	svc := serviceOn(t, db, blobs, nil, library.Options{Renderer: r, Extractor: x})
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}

	files := []string{"photo.jpg", "rotated6.jpg", "alpha.png", "anim.gif", "photo.webp", "photo.tif", "shape.svg", "doc.pdf",
		"layers.psd", "raw.dng"}
	var assets []*damask.Asset
	for _, name := range files {
		b, err := os.ReadFile(filepath.Join("../media/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(b), Filename: name, Length: int64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f})
		if err != nil {
			t.Fatal(err)
		}
		if a.Processing != damask.ProcessingPending {
			t.Fatalf("%s: processing %q, want pending", name, a.Processing)
		}
		assets = append(assets, a)
	}

	q := &finishCounter{DB: db, finished: map[int64]int{}}
	// The first pool stops after its third job, others in flight.
	ctx1, stop := context.WithCancel(ctx)
	var mu sync.Mutex
	done := 0
	first := jobs.New(q, func(ctx context.Context, j *damask.Job) error {
		err := svc.Process(ctx, j)
		mu.Lock()
		defer mu.Unlock()
		if done++; done == 3 {
			stop()
		}
		return err
	}, jobs.Options{Workers: 2, Poll: 5 * time.Millisecond, Lease: 5 * time.Second, Name: "first"}) // longer than any one job here, even on a loaded machine
	first.Run(ctx1)
	stop()
	if done >= len(files) {
		t.Fatalf("the first pool ran all %d jobs before it stopped", done)
	}

	second := jobs.New(q, svc.Process, jobs.Options{Workers: 2, Poll: 5 * time.Millisecond, Name: "second"})
	ctx2, stop2 := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { second.Run(ctx2); close(stopped) }()
	deadline := time.Now().Add(60 * time.Second)
	for _, a := range assets {
		for {
			got, err := svc.Asset(ctx, c, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Processing != damask.ProcessingPending {
				if got.Processing != damask.ProcessingDone || got.Width == 0 {
					t.Errorf("%s: processing %q (%s), width %d", got.Filename, got.Processing, got.ProcessingError, got.Width)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still pending", a.Filename)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
	stop2()
	<-stopped

	q.mu.Lock()
	defer q.mu.Unlock()
	if len(q.finished) != len(files) {
		t.Errorf("%d jobs finished, want %d", len(q.finished), len(files))
	}
	for id, n := range q.finished {
		if n != 1 {
			t.Errorf("job %d finished %d times", id, n)
		}
	}
	for _, a := range assets {
		for _, size := range append(media.Sizes(), media.WebPSizes()...) {
			if _, err := db.Rendition(ctx, a.Blob, size.Name); err != nil {
				t.Errorf("%s: rendition %s: %v", a.Filename, size.Name, err)
			}
		}
	}
}

// TestProcessToolOverLimit: a video whose frame needs more memory than the
// tools may have fails its job with a reason, and the service goes on.
func TestProcessToolOverLimit(t *testing.T) {
	ctx := t.Context()
	dir := t.TempDir()
	big := filepath.Join(dir, "big.mkv")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=4000x4000:d=1:r=1",
		"-frames:v", "1", "-c:v", "mjpeg", big).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	db, blobs := openStores(t)
	// 350 MiB: enough for ffmpeg to start and probe, not to decode 16 MP.
	r, err := media.New(media.Options{Workers: 1, ToolMemory: 350 << 20})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	svc := serviceOn(t, db, blobs, nil, library.Options{Renderer: r})
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}
	var assets []*damask.Asset
	for _, p := range []string{big, "../media/testdata/photo.jpg"} {
		b, err := os.ReadFile(p)
		if err != nil {
			t.Fatal(err)
		}
		f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(b), Filename: filepath.Base(p), Length: int64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f})
		if err != nil {
			t.Fatal(err)
		}
		assets = append(assets, a)
	}
	pool := jobs.New(db, svc.Process, jobs.Options{Workers: 1, Poll: 5 * time.Millisecond})
	ctx2, stop := context.WithCancel(ctx)
	stopped := make(chan struct{})
	go func() { pool.Run(ctx2); close(stopped) }()
	defer func() { stop(); <-stopped }()
	want := []string{damask.ProcessingFailed, damask.ProcessingDone}
	deadline := time.Now().Add(60 * time.Second)
	for i, a := range assets {
		for {
			got, err := svc.Asset(ctx, c, a.ID)
			if err != nil {
				t.Fatal(err)
			}
			if got.Processing != damask.ProcessingPending {
				t.Logf("%s: %s (%s)", got.Filename, got.Processing, got.ProcessingError)
				if got.Processing != want[i] {
					t.Errorf("%s: processing %q (%s), want %q", got.Filename, got.Processing, got.ProcessingError, want[i])
				}
				if i == 0 && !strings.Contains(got.ProcessingError, "memory") {
					t.Errorf("%s: reason %q, want it to say memory", got.Filename, got.ProcessingError)
				}
				break
			}
			if time.Now().After(deadline) {
				t.Fatalf("%s still pending", a.Filename)
			}
			time.Sleep(10 * time.Millisecond)
		}
	}
}

// TestToolsLater gives the service its tools through Options.Tools, as a
// server does that listens before they have started: what needs no tool
// (an account, a sign-in) is done before they arrive, and a new asset's
// processing state follows the tools that did arrive.
func TestToolsLater(t *testing.T) {
	r, err := media.New(media.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	for _, tc := range []struct {
		name  string
		tools library.Tools
		want  string
	}{
		{"renderer", library.Tools{Renderer: r}, damask.ProcessingPending},
		{"none started", library.Tools{}, damask.ProcessingUnsupported},
	} {
		t.Run(tc.name, func(t *testing.T) {
			ctx := t.Context()
			db, blobs := openStores(t)
			tools := make(chan library.Tools, 1)
			svc := serviceOn(t, db, blobs, nil, library.Options{Tools: tools})
			// Nothing is sent yet: these would hang if they waited.
			acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
				HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
			if err != nil {
				t.Fatal(err)
			}
			if _, err := svc.Authenticate(ctx, acct, "ann", "a password", "192.0.2.1"); err != nil {
				t.Fatalf("sign-in before the tools: %v", err)
			}
			if _, err := svc.Authenticate(ctx, acct, "nobody", "a password", "192.0.2.1"); damask.ErrorCode(err) != damask.EUNAUTHORIZED {
				t.Fatalf("unknown login before the tools: %v, want unauthorized", err)
			}
			c := library.Caller{Account: acct, User: holder}
			b, err := os.ReadFile(filepath.Join("../media/testdata", "photo.jpg"))
			if err != nil {
				t.Fatal(err)
			}
			f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(b), Filename: "photo.jpg", Length: int64(len(b))})
			if err != nil {
				t.Fatal(err)
			}
			tools <- tc.tools
			a, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f})
			if err != nil {
				t.Fatal(err)
			}
			if a.Processing != tc.want {
				t.Errorf("processing %q, want %q", a.Processing, tc.want)
			}
		})
	}
}

// TestThumbnailStage: a JPEG's job at its first stage makes the JPEG
// thumbnails only and asks for its next stage; the second makes the rest
// and records the outcome. A PNG does all in its first stage.
func TestThumbnailStage(t *testing.T) {
	ctx := t.Context()
	db, blobs := openStores(t)
	r, err := media.New(media.Options{Workers: 1})
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	svc := serviceOn(t, db, blobs, nil, library.Options{Renderer: r})
	acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}
	add := func(name string) *damask.Asset {
		b, err := os.ReadFile(filepath.Join("../media/testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(b), Filename: name, Length: int64(len(b))})
		if err != nil {
			t.Fatal(err)
		}
		a, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f})
		if err != nil {
			t.Fatal(err)
		}
		return a
	}
	has := func(a *damask.Asset, size string) bool {
		_, err := db.Rendition(ctx, a.Blob, size)
		return err == nil
	}
	jpeg, png := add("photo.jpg"), add("alpha.png")

	j, err := db.ClaimJob(ctx, "w", time.Minute)
	if err != nil || j.AssetID != jpeg.ID {
		t.Fatalf("claim: %+v, %v", j, err)
	}
	err = svc.Process(ctx, j)
	var next *damask.StageDone
	if !errors.As(err, &next) {
		t.Fatalf("JPEG's first stage: %v, want a StageDone", err)
	}
	// The thumbnails' records wait for the worker's NextStage; their
	// files are durable already.
	for _, s := range media.Sizes() {
		if has(jpeg, s.Name) {
			t.Errorf("%s recorded before the stage was", s.Name)
		}
	}
	for _, r := range next.Renditions {
		if _, err := blobs.Stat(ctx, r.Blob); err != nil {
			t.Errorf("the file of %s: %v", r.Size, err)
		}
	}
	if err := db.NextStage(ctx, j.ID, "w", next.Renditions); err != nil {
		t.Fatal(err)
	}
	for _, s := range media.Sizes() {
		if want := s.Px <= media.Thumb256.Px; has(jpeg, s.Name) != want {
			t.Errorf("after the first stage, %s made: %v, want %v", s.Name, !want, want)
		}
	}
	if has(jpeg, media.WebPSizes()[0].Name) {
		t.Errorf("a WebP made at the first stage")
	}
	j.Stage = damask.JobRest
	if err := svc.Process(ctx, j); err != nil {
		t.Fatalf("JPEG's second stage: %v", err)
	}
	for _, s := range append(media.Sizes(), media.WebPSizes()...) {
		if !has(jpeg, s.Name) {
			t.Errorf("after the second stage, %s missing", s.Name)
		}
	}
	got, err := db.Asset(ctx, acct.ID, jpeg.ID)
	if err != nil || got.Processing != damask.ProcessingDone {
		t.Errorf("JPEG after its stages: %+v, %v, want done", got, err)
	}

	j, err = db.ClaimJob(ctx, "w", time.Minute)
	if err != nil || j.AssetID != png.ID {
		t.Fatalf("claim: %+v, %v", j, err)
	}
	if err := svc.Process(ctx, j); err != nil {
		t.Fatalf("PNG's one stage: %v", err)
	}
	if !has(png, media.Lightbox.Name) {
		t.Errorf("PNG's one stage made no large preview")
	}
}
