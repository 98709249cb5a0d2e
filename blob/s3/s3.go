// Package s3 keeps Damask's files in a bucket of any S3-compatible object
// store (AWS S3, MinIO, SeaweedFS, Ceph, versitygw), each under the SHA-256
// of its bytes. It passes the same suite (blob/blobtest) as blob/disk.
//
// The layout of a store's bucket, under an optional prefix:
//
//	PREFIX/ab/cd/abcd…(64 hex digits)   committed files
//	PREFIX/.tmp/…                       large files being written
//	PREFIX/.gc/abcd…                    files the collector quarantined (see Quarantine)
//
// The names are those of a blob/disk store of two levels, so such a
// store's folder copied as it is into a bucket (aws s3 sync, rclone) is a
// valid S3 store.
//
// A file is written in one of two ways, decided by its size, which is known
// only at Commit:
//
//   - Up to the part size (8 MiB unless the URL says otherwise), the bytes
//     are held in memory; Commit hashes them and PUTs them straight under
//     their final name. Nothing is ever stored under another name.
//   - Beyond that, parts are uploaded while the file is being written, as a
//     multipart upload to a temporary name, and each part is hashed while it
//     goes out. Commit completes the upload, copies the object to its final
//     name inside the store (a server-side copy: no byte comes back) and
//     removes the temporary object.
//
// Either way Commit returns only once S3 has answered that the object
// exists under its final name, so a record committed afterwards never
// points at missing bytes. Storing bytes that exist already writes them
// again, which renews the object's Last-Modified time (the ModTime the
// collector looks at), and repairs an object that was damaged.
//
// Memory: a write holds at most two parts at once, one being filled and
// one going out (16 MiB by default). A file that fits in a part holds
// twice its size at most while under 1 MiB, one part above.
//
// What a crash can leave is a temporary object or an unfinished multipart
// upload under .tmp; Open removes those older than a day. A bucket
// lifecycle rule aborting incomplete multipart uploads after a day does the
// same on the server's side.
package s3

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"
	"github.com/minio/minio-go/v7/pkg/credentials"

	"damask"
)

const tmpDirName = ".tmp"

// staleAfter is the age past which a temporary object or an unfinished
// multipart upload is taken for a crash's leftover. No upload runs that
// long, and stores opened by other processes on the same bucket keep
// theirs.
const staleAfter = 24 * time.Hour

// Store is a content-addressed file store in an S3 bucket. It is safe for
// concurrent use, by several goroutines and by several processes (or
// machines) sharing the bucket.
type Store struct {
	client   *minio.Client
	core     minio.Core // the multipart calls
	bucket   string
	prefix   string
	partSize int64
	maxParts int    // S3's, lowered by tests
	url      string // the URL without its secret, for messages
	parts    sync.Pool
	// unaborted are the multipart uploads whose Abort failed (the server
	// was unreachable): the next Create tries again, so that an upload
	// abandoned while S3 was away is aborted once it is back, not a day
	// later by removeStale.
	mu        sync.Mutex
	unaborted []unaborted
}

// unaborted is a multipart upload to abort.
type unaborted struct{ key, id string }

var _ damask.BlobStore = (*Store)(nil)

// Open connects to the store a URL names, creating its bucket if missing,
// and removes what crashes left behind (see the package comment). The URL:
//
//	s3://[ACCESS_KEY:SECRET_KEY@]HOST[:PORT]/BUCKET[/PREFIX][?OPTIONS]
//
// Options: region=NAME (say us-east-1; asked of the server when missing),
// tls=false for plain HTTP (default true), lookup=path|dns|auto (how the
// bucket is named in requests; auto, the default, puts it in the host name
// on AWS only), part-size=MiB (5 to 5120, default 8: two parts per upload
// in memory; files up to 10,000 parts). Keys are escaped as in any URL (a
// "/" in a secret is %2F). Without keys in the URL, the environment's
// AWS_ACCESS_KEY_ID, AWS_SECRET_ACCESS_KEY and AWS_SESSION_TOKEN are used.
func Open(ctx context.Context, rawURL string) (*Store, error) {
	c, err := parseURL(rawURL, os.Getenv)
	if err != nil {
		return nil, err
	}
	return open(ctx, c)
}

func open(ctx context.Context, c config) (*Store, error) {
	name := redacted(c)
	transport, err := newTransport(c.secure)
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", name, err)
	}
	client, err := minio.New(c.endpoint, &minio.Options{
		Transport:    transport,
		Creds:        credentials.NewStaticV4(c.accessKey, c.secretKey, c.session),
		Secure:       c.secure,
		Region:       c.region,
		BucketLookup: c.lookup,
		MaxRetries:   c.retries,
	})
	if err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", name, err)
	}
	s := &Store{
		client:   client,
		core:     minio.Core{Client: client},
		bucket:   c.bucket,
		prefix:   c.prefix,
		partSize: c.partSize,
		maxParts: maxParts,
		url:      name,
	}
	s.parts.New = func() any { b := make([]byte, 0, s.partSize); return &b }
	if err := s.makeBucket(ctx, c.region); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", name, err)
	}
	if err := s.removeStale(ctx, time.Now().Add(-staleAfter)); err != nil {
		return nil, fmt.Errorf("open blob store %s: %w", name, err)
	}
	return s, nil
}

// redacted is the URL of c without its keys, for messages.
func redacted(c config) string {
	scheme := "s3"
	q := ""
	if !c.secure {
		q = "?tls=false"
	}
	return scheme + "://" + c.endpoint + "/" + c.bucket + "/" + c.prefix + q
}

// makeBucket creates the bucket unless it exists. Another process may
// create it at the same moment: that is not an error.
func (s *Store) makeBucket(ctx context.Context, region string) error {
	ok, err := s.client.BucketExists(ctx, s.bucket)
	if err != nil {
		return s.fail(ctx, "look for bucket "+s.bucket, err)
	}
	if ok {
		return nil
	}
	err = s.client.MakeBucket(ctx, s.bucket, minio.MakeBucketOptions{Region: region})
	if err != nil {
		switch minio.ToErrorResponse(err).Code {
		case "BucketAlreadyOwnedByYou", "BucketAlreadyExists":
			return nil
		}
		return s.fail(ctx, "create bucket "+s.bucket, err)
	}
	return nil
}

// removeStale removes the temporary objects and unfinished multipart
// uploads under .tmp, and the unfinished multipart uploads under
// .partial, that are older than before.
func (s *Store) removeStale(ctx context.Context, before time.Time) error {
	tmp := s.prefix + tmpDirName + "/"
	ctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when we return early
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: tmp, Recursive: true}) {
		if obj.Err != nil {
			return s.fail(ctx, "list temporary objects", obj.Err)
		}
		if obj.LastModified.Before(before) {
			if err := s.client.RemoveObject(ctx, s.bucket, obj.Key, minio.RemoveObjectOptions{}); err != nil {
				return s.fail(ctx, "remove temporary object "+obj.Key, err)
			}
		}
	}
	if err := s.abortStale(ctx, tmp, before); err != nil {
		return err
	}
	// A segment of a partial file (partial.go) that a crash cut in the
	// middle of its PUT leaves an unfinished upload too; the segments
	// themselves go with their upload (DeletePartial).
	return s.abortStale(ctx, s.prefix+partialDirName+"/", before)
}

// abortStale aborts the unfinished multipart uploads under prefix that
// began before the time.
func (s *Store) abortStale(ctx context.Context, prefix string, before time.Time) error {
	keyMarker, idMarker := "", ""
	for {
		res, err := s.core.ListMultipartUploads(ctx, s.bucket, prefix, keyMarker, idMarker, "", 1000)
		if err != nil {
			return s.fail(ctx, "list unfinished uploads", err)
		}
		for _, u := range res.Uploads {
			if u.Initiated.Before(before) {
				if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.Key, u.UploadID); err != nil && !isNotFound(err) {
					return s.fail(ctx, "abort unfinished upload "+u.Key, err)
				}
			}
		}
		if !res.IsTruncated || res.NextKeyMarker == "" && res.NextUploadIDMarker == "" {
			return nil
		}
		keyMarker, idMarker = res.NextKeyMarker, res.NextUploadIDMarker
	}
}

// Close releases the store. There is nothing to release: it is there so
// that every store closes alike.
func (s *Store) Close() error { return nil }

// String names the store by its URL without the keys.
func (s *Store) String() string { return s.url }

// key is where the file named ref lives: PREFIX/ab/cd/abcd….
func (s *Store) key(ref damask.BlobRef) string {
	name := ref.String()
	return s.prefix + name[0:2] + "/" + name[2:4] + "/" + name
}

// refOf answers the ref a key names, if it is a committed file's key
// exactly (lowercase hex, in its own fan-out folders).
func (s *Store) refOf(key string) (damask.BlobRef, bool) {
	rest, ok := strings.CutPrefix(key, s.prefix)
	if !ok || len(rest) != 6+2*len(damask.BlobRef{}) || rest[2] != '/' || rest[5] != '/' {
		return damask.BlobRef{}, false
	}
	name := rest[6:]
	ref, err := damask.ParseBlobRef(name)
	if err != nil || ref.String() != name || rest[:2] != name[:2] || rest[3:5] != name[2:4] {
		return damask.BlobRef{}, false
	}
	return ref, true
}

// Create starts a new file. ctx covers the whole write, up to Commit: the
// parts of a large file go out in the background under it.
func (s *Store) Create(ctx context.Context) (damask.BlobWriter, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("create blob", err)
	}
	s.retryAborts(ctx)
	return &writer{s: s, ctx: ctx}, nil
}

// retryAborts tries again the aborts that failed. Those that fail again
// stay for the next time; removeStale takes whatever a process exit loses.
func (s *Store) retryAborts(ctx context.Context) {
	s.mu.Lock()
	todo := s.unaborted
	s.unaborted = nil
	s.mu.Unlock()
	for i, u := range todo {
		if err := s.abortUpload(ctx, u); err != nil {
			s.mu.Lock()
			s.unaborted = append(s.unaborted, todo[i:]...)
			s.mu.Unlock()
			return
		}
	}
}

// abortUpload aborts a multipart upload and removes its object, in case
// it was completed even though Commit saw no answer.
func (s *Store) abortUpload(ctx context.Context, u unaborted) error {
	var errs []error
	if u.id != "" { // S3 answers NoSuchUpload once it was completed
		if err := s.core.AbortMultipartUpload(ctx, s.bucket, u.key, u.id); err != nil && !isNotFound(err) {
			errs = append(errs, err)
		}
	}
	if err := s.client.RemoveObject(ctx, s.bucket, u.key, minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		errs = append(errs, err)
	}
	return errors.Join(errs...)
}

// Open reads the file named ref. Reading starts with a GET of the whole
// object, so a download from the start costs one request; a Seek elsewhere
// makes the next Read ask for the rest from there (a ranged GET), which is
// what http.ServeContent needs for Range requests. Reads run under ctx.
func (s *Store) Open(ctx context.Context, ref damask.BlobRef) (io.ReadSeekCloser, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("open blob "+ref.String(), err)
	}
	body, info, _, err := s.core.GetObject(ctx, s.bucket, s.key(ref), minio.GetObjectOptions{})
	if isNotFound(err) && s.unquarantine(ctx, ref) {
		body, info, _, err = s.core.GetObject(ctx, s.bucket, s.key(ref), minio.GetObjectOptions{})
	}
	if err != nil {
		if isNotFound(err) {
			return nil, fmt.Errorf("open blob %s: %w", ref, damask.ErrNotFound)
		}
		return nil, s.fail(ctx, "open blob "+ref.String(), err)
	}
	return &reader{s: s, ctx: ctx, ref: ref, size: info.Size, body: body}, nil
}

// Stat describes the file named ref.
func (s *Store) Stat(ctx context.Context, ref damask.BlobRef) (damask.BlobInfo, error) {
	if err := ctx.Err(); err != nil {
		return damask.BlobInfo{}, canceled("stat blob "+ref.String(), err)
	}
	info, err := s.client.StatObject(ctx, s.bucket, s.key(ref), minio.StatObjectOptions{})
	if isNotFound(err) && s.unquarantine(ctx, ref) {
		info, err = s.client.StatObject(ctx, s.bucket, s.key(ref), minio.StatObjectOptions{})
	}
	if err != nil {
		if isNotFound(err) {
			return damask.BlobInfo{}, fmt.Errorf("stat blob %s: %w", ref, damask.ErrNotFound)
		}
		return damask.BlobInfo{}, s.fail(ctx, "stat blob "+ref.String(), err)
	}
	return damask.BlobInfo{Ref: ref, Size: info.Size, ModTime: info.LastModified}, nil
}

// Delete removes the file named ref; S3 answers a missing object as
// removed.
func (s *Store) Delete(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("delete blob "+ref.String(), err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.key(ref), minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return s.fail(ctx, "delete blob "+ref.String(), err)
	}
	return nil
}

// Walk calls fn for every object whose key is exactly the one its name
// calls for (PREFIX/ab/cd/abcd… in lowercase hex), skipping .tmp and
// anything else. An error from fn stops the walk and is returned as it is.
func (s *Store) Walk(ctx context.Context, fn func(damask.BlobInfo) error) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn stops the walk
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: s.prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.fail(ctx, "walk blobs", obj.Err)
		}
		ref, ok := s.refOf(obj.Key)
		if !ok {
			continue
		}
		if err := fn(damask.BlobInfo{Ref: ref, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return canceled("walk blobs", err)
	}
	return nil
}

// isNotFound tells whether S3 answered that an object (or an upload) does
// not exist.
func isNotFound(err error) bool {
	r := minio.ToErrorResponse(err)
	switch r.Code {
	case "NoSuchKey", "NoSuchUpload", "NotFound":
		return true
	}
	return r.StatusCode == http.StatusNotFound && r.Code != "NoSuchBucket"
}

// fail wraps an error of S3 with what was being done: ECANCELED when ctx
// ended (minio-go may report that as its own error), and EQUOTA when the
// server says it is full.
func (s *Store) fail(ctx context.Context, doing string, err error) error {
	if cerr := ctx.Err(); cerr != nil {
		return canceled(doing, errors.Join(cerr, err))
	}
	switch minio.ToErrorResponse(err).Code {
	case "XMinioStorageFull", "QuotaExceeded", "XMinioAdminBucketQuotaExceeded":
		return &damask.Error{Code: damask.EQUOTA, Message: "Storage is full", Err: fmt.Errorf("%s: %w", doing, err)}
	}
	return fmt.Errorf("%s in %s: %w", doing, s.url, err)
}

// canceled reports a context that ended, with ECANCELED; errors.Is still
// finds context.Canceled or context.DeadlineExceeded in it.
func canceled(doing string, err error) error {
	return &damask.Error{Code: damask.ECANCELED, Message: "Canceled", Err: fmt.Errorf("%s: %w", doing, err)}
}
