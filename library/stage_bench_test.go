package library_test

import (
	"bytes"
	"context"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"sync"
	"syscall"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/jobs"
	"damask/library"
	"damask/media"
	"damask/media/mediatest"
	"damask/sqlite"
)

// stageCounter is the queue, ending the run once every job it waits for
// has passed its first stage.
type stageCounter struct {
	*sqlite.DB
	mu   sync.Mutex
	left int
	done chan struct{}
}

func (q *stageCounter) NextStage(ctx context.Context, id int64, worker string, rs []damask.Rendition) error {
	err := q.DB.NextStage(ctx, id, worker, rs)
	if err == nil {
		q.mu.Lock()
		if q.left--; q.left == 0 {
			close(q.done)
		}
		q.mu.Unlock()
	}
	return err
}

// processCPU is the CPU time (user and system) of this process so far.
func processCPU() time.Duration {
	var ru syscall.Rusage
	syscall.Getrusage(syscall.RUSAGE_SELF, &ru)
	return time.Duration(ru.Utime.Nano() + ru.Stime.Nano())
}

// BenchmarkThumbnailStage runs the first stage (the 64, 128 and 256 px
// JPEG thumbnails) of 40 jobs of 12 MP JPEGs as a server's worker process
// runs them: a pool of four over SQLite and a disk store, each job
// claimed, processed and queued at its next stage. It reports the CPU
// time of the process per job (cpu_ms/job: what the batch row of the
// bench is made of, and which another tenant's load hardly moves) and,
// for comparison, that of the render alone of the same files, four at
// once too (render_cpu_ms/job). The later stages are claimed and left.
//
//	go test -run '^$' -bench ThumbnailStage -benchtime=3x ./library/
func BenchmarkThumbnailStage(b *testing.B) {
	const n = 40
	files := make12MP(b, b.TempDir(), 4, n)
	r, err := media.New(media.Options{Workers: 4})
	if err != nil {
		b.Skipf("libvips: %v", err)
	}
	b.Cleanup(func() { r.Close() })

	var stage, render time.Duration
	for b.Loop() {
		b.StopTimer()
		ctx := context.Background()
		db, err := sqlite.Open(ctx, filepath.Join(b.TempDir(), "d.db"))
		if err != nil {
			b.Fatal(err)
		}
		blobs := openDiskB(b)
		svc, err := library.New(db, blobs, library.Options{Renderer: r})
		if err != nil {
			b.Fatal(err)
		}
		acct, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
			HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "a password"})
		if err != nil {
			b.Fatal(err)
		}
		c := library.Caller{Account: acct, User: holder}
		for _, name := range files {
			body, err := os.ReadFile(name)
			if err != nil {
				b.Fatal(err)
			}
			f, err := svc.ReceiveFile(ctx, c, library.FileInput{Body: bytes.NewReader(body), Filename: filepath.Base(name), Length: int64(len(body))})
			if err != nil {
				b.Fatal(err)
			}
			if _, err := svc.CreateAsset(ctx, c, library.AssetInput{File: f}); err != nil {
				b.Fatal(err)
			}
		}
		q := &stageCounter{DB: db, left: n, done: make(chan struct{})}
		runCtx, stop := context.WithCancel(ctx)
		pool := jobs.New(q, func(ctx context.Context, j *damask.Job) error {
			if j.Stage != damask.JobThumbnails {
				<-ctx.Done() // left for the next pool
				return ctx.Err()
			}
			return svc.Process(ctx, j)
		}, jobs.Options{Workers: 4, Poll: 10 * time.Millisecond})
		ran := make(chan struct{})
		b.StartTimer()
		cpu0 := processCPU()
		go func() { pool.Run(runCtx); close(ran) }()
		<-q.done
		stage += processCPU() - cpu0
		b.StopTimer()
		stop()
		<-ran
		db.Close()

		// The render alone of the same files, four at once as above.
		discard := func(media.Size, io.Reader) error { return nil }
		sizes := []media.Size{media.Thumb64, media.Thumb128, media.Thumb256}
		cpu0 = processCPU()
		var wg sync.WaitGroup
		for w := range 4 {
			wg.Go(func() {
				for i := w; i < len(files); i += 4 {
					if _, err := r.Render(ctx, files[i], sizes, discard); err != nil {
						b.Error(err)
						return
					}
				}
			})
		}
		wg.Wait()
		render += processCPU() - cpu0
		b.StartTimer()
	}
	b.ReportMetric(float64(stage.Microseconds())/1000/float64(n*b.N), "cpu_ms/job")
	b.ReportMetric(float64(render.Microseconds())/1000/float64(n*b.N), "render_cpu_ms/job")
}

func openDiskB(b *testing.B) damask.BlobStore {
	b.Helper()
	blobs, err := disk.Open(b.TempDir())
	if err != nil {
		b.Fatal(err)
	}
	b.Cleanup(func() { blobs.Close() })
	return blobs
}

// make12MP writes count 12 MP JPEGs of n different pictures into dir
// (mediatest.Photos).
func make12MP(b *testing.B, dir string, n, count int) []string {
	b.Helper()
	if _, err := exec.LookPath("vips"); err != nil {
		b.Skip("the vips command is missing")
	}
	files, err := mediatest.Photos(b.Context(), dir, 4000, 3000, n, count)
	if err != nil {
		b.Fatal(err)
	}
	return files
}
