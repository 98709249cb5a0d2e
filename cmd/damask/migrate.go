package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"path/filepath"
	"sort"
	"strings"
	"sync"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/postgres"
	"damask/sqlite"
)

// migrateLibrary moves an embedded library (DATA/damask.db and the files
// in DATA/blobs) to PostgreSQL and an S3 bucket, or another folder:
//
//  1. The source is read from one read-only snapshot of its database,
//     which it never changes.
//  2. The destination database is compared with the source: empty, it is
//     filled; holding exactly this library (a finished earlier run), there
//     is nothing to do; holding anything else, the command refuses.
//  3. Every file a record points at is copied, unless the destination has
//     it already with the same size (a run interrupted earlier; its hash
//     was checked when it was written). The destination hashes the bytes
//     as it stores them; a hash other than the file's name stops the run.
//  4. The rows go in one transaction, ids kept: until it commits the
//     destination holds no library, so no record points at missing bytes,
//     and a run interrupted anywhere is simply run again.
func migrateLibrary(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("migrate-library", flag.ContinueOnError)
	from := fs.String("from", "", "data folder of the library to move: its damask.db and blobs/")
	toDB := fs.String("to-db", "", "PostgreSQL database to fill: postgres://USER@HOST/DB")
	toBlobs := fs.String("to-blobs", "", "file store to fill: s3://[KEY:SECRET@]HOST[:PORT]/BUCKET[/PREFIX] or file:PATH")
	copiers := fs.Int("copies", 4, "files copied at once")
	every := fs.Duration("progress-every", 5*time.Second, "time between progress lines when standard error is not a terminal")
	// For tests: stop copying after this many files and wait to be killed,
	// so that a test can interrupt a run at a known point.
	pauseAfter := fs.Int("test-pause-after", 0, "")
	if err := parse(fs, args, env.getenv); err != nil {
		return err
	}
	switch {
	case fs.NArg() > 0:
		return usageError(fmt.Sprintf("migrate-library takes no arguments (got %q)", fs.Arg(0)))
	case *from == "" || *toDB == "" || *toBlobs == "":
		return usageError("migrate-library needs --from DATA_DIR, --to-db URL and --to-blobs URL")
	case !strings.HasPrefix(*toDB, "postgres://") && !strings.HasPrefix(*toDB, "postgresql://"):
		return usageError(fmt.Sprintf("--to-db %q: want a postgres:// URL", redacted(*toDB)))
	case *copiers < 1:
		return usageError("--copies must be at least 1")
	}

	snap, err := sqlite.OpenSnapshot(ctx, filepath.Join(*from, "damask.db"))
	if err != nil {
		return fmt.Errorf("open source: %w", err)
	}
	defer snap.Close()
	dst := storage{db: *toDB, blobs: *toBlobs}
	db, err := postgres.Open(ctx, *toDB)
	if err != nil {
		return fmt.Errorf("open database %s: %w", redacted(*toDB), err)
	}
	defer db.Close()

	state, err := db.ImportStatus(ctx, snap)
	if err != nil {
		return err
	}
	switch state {
	case postgres.ImportDone:
		fmt.Fprintf(env.stdout, "%s already holds this library (a finished migration): nothing to do\n", redacted(*toDB))
		return nil
	case postgres.ImportOther:
		return fmt.Errorf("%s already holds another library, or this one changed since it was moved: "+
			"migrate-library fills an empty database only", redacted(*toDB))
	}

	// The source's files are read through its store, which only reads.
	srcBlobs, err := disk.Open(filepath.Join(*from, "blobs"))
	if err != nil {
		return fmt.Errorf("open source files: %w", err)
	}
	defer srcBlobs.Close()
	dstBlobs, err := dst.openBlobs(ctx)
	if err != nil {
		return err
	}
	defer dstBlobs.Close()

	files, err := sourceFiles(ctx, snap, srcBlobs)
	if err != nil {
		return err
	}
	p := newProgress(env.stderr, files, *every)
	err = copyFiles(ctx, srcBlobs, dstBlobs, files, *copiers, *pauseAfter, p)
	p.finish()
	if err != nil {
		return err
	}
	if *pauseAfter > 0 {
		fmt.Fprintf(env.stderr, "paused after %d files\n", *pauseAfter)
		<-ctx.Done()
		return ctx.Err()
	}

	fmt.Fprintln(env.stderr, "copying the records (one transaction)…")
	start := time.Now()
	counts, err := db.Import(ctx, snap)
	if err != nil {
		return err
	}
	if err := db.IntegrityCheck(ctx); err != nil {
		return fmt.Errorf("check the moved records: %w", err)
	}
	tables := make([]string, 0, len(counts))
	for t, n := range counts {
		tables = append(tables, fmt.Sprintf("%s %d", t, n))
	}
	sort.Strings(tables)
	fmt.Fprintf(env.stdout, "moved: %d files (%s), records in %s: %s\n",
		len(files), formatBytes(p.totalBytes), time.Since(start).Round(time.Millisecond), strings.Join(tables, ", "))
	return nil
}

// sourceFile is a file to copy.
type sourceFile struct {
	ref  damask.BlobRef
	size int64
}

// sourceFiles lists every file the snapshot's records point at, with its
// size in the source store. A file that a record names and the store
// lacks, or holds at another size, stops the migration: moved, the
// library would point at missing or damaged bytes.
func sourceFiles(ctx context.Context, snap *sqlite.Snapshot, src damask.BlobStore) ([]sourceFile, error) {
	var files []sourceFile
	err := snap.BlobRefs(ctx, func(ref damask.BlobRef, size int64) error {
		files = append(files, sourceFile{ref, size})
		return nil
	})
	if err != nil {
		return nil, fmt.Errorf("list source files: %w", err)
	}
	for i, f := range files {
		info, err := src.Stat(ctx, f.ref)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			return nil, fmt.Errorf("the source lacks file %s, which its records point at (see damask check --data)", f.ref)
		}
		if err != nil {
			return nil, fmt.Errorf("source file %s: %w", f.ref, err)
		}
		if f.size >= 0 && info.Size != f.size {
			return nil, fmt.Errorf("source file %s holds %d bytes, its records say %d (see damask check --data)", f.ref, info.Size, f.size)
		}
		files[i].size = info.Size
	}
	return files, nil
}

// copyFiles copies the files with n at once; the first error stops the
// rest. pauseAfter, when not 0, copies that many only.
func copyFiles(ctx context.Context, src, dst damask.BlobStore, files []sourceFile, n, pauseAfter int, p *progress) error {
	ctx, cancel := context.WithCancelCause(ctx)
	defer cancel(nil)
	if pauseAfter > 0 && pauseAfter < len(files) {
		files = files[:pauseAfter]
	}
	next := make(chan sourceFile)
	var wg sync.WaitGroup
	for range n {
		wg.Go(func() {
			for f := range next {
				if err := copyFile(ctx, src, dst, f, p); err != nil {
					cancel(err)
					return
				}
				p.fileDone()
			}
		})
	}
	for _, f := range files {
		select {
		case next <- f:
			continue
		case <-ctx.Done():
		}
		break
	}
	close(next)
	wg.Wait()
	if err := context.Cause(ctx); err != nil && !errors.Is(err, context.Canceled) {
		return err
	}
	return ctx.Err()
}

// copyFile copies one file unless the destination has it at its size. The destination names what it stores by the
// SHA-256 it computes on the way: a name other than the source's means the
// source's bytes are not what their name says.
func copyFile(ctx context.Context, src, dst damask.BlobStore, f sourceFile, p *progress) error {
	info, err := dst.Stat(ctx, f.ref)
	if err == nil {
		if info.Size != f.size {
			return fmt.Errorf("file %s: the destination holds %d bytes of it, the source %d: "+
				"delete the destination's copy and run again", f.ref, info.Size, f.size)
		}
		p.skip(f.size)
		return nil
	}
	if damask.ErrorCode(err) != damask.ENOTFOUND {
		return fmt.Errorf("look for file %s at the destination: %w", f.ref, err)
	}
	r, err := src.Open(ctx, f.ref)
	if err != nil {
		return fmt.Errorf("read source file %s: %w", f.ref, err)
	}
	defer r.Close()
	w, err := dst.Create(ctx)
	if err != nil {
		return fmt.Errorf("copy file %s: %w", f.ref, err)
	}
	defer w.Abort()
	if _, err := io.Copy(w, &countingReader{r: r, p: p}); err != nil {
		return fmt.Errorf("copy file %s: %w", f.ref, err)
	}
	got, err := w.Commit(ctx)
	if err != nil {
		return fmt.Errorf("copy file %s: %w", f.ref, err)
	}
	if got.Ref != f.ref || got.Size != f.size {
		return fmt.Errorf("copy file %s: its %d bytes have the SHA-256 %s: the source file is damaged "+
			"(see damask check --data); nothing was moved", f.ref, got.Size, got.Ref)
	}
	return nil
}

// countingReader adds what it reads to the progress.
type countingReader struct {
	r io.Reader
	p *progress
}

func (c *countingReader) Read(b []byte) (int, error) {
	n, err := c.r.Read(b)
	c.p.read(int64(n))
	return n, err
}
