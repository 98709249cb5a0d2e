package s3

import (
	"context"
	"strings"

	"github.com/minio/minio-go/v7"

	"damask"
)

// gcDirName holds the quarantined files (damask.BlobCollector):
// PREFIX.gc/abcd…, each under its whole name. Walk does not see them;
// Open and Stat look there when a name is missing, and put the file back.
const gcDirName = ".gc"

var _ damask.BlobCollector = (*Store)(nil)

func (s *Store) quarantineKey(ref damask.BlobRef) string {
	return s.prefix + gcDirName + "/" + ref.String()
}

// Quarantine copies the object of ref to .gc (a server-side copy, whose
// Last-Modified is the quarantine's start) and then removes it. S3 has no
// rename: a Commit of the same bytes may land between the copy and the
// removal and lose its object to the removal, but the copy in .gc holds
// the same bytes, and reads find them there.
func (s *Store) Quarantine(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("quarantine blob "+ref.String(), err)
	}
	err := s.copyObject(ctx, s.key(ref), s.quarantineKey(ref))
	if isNotFound(err) {
		return nil
	}
	if err != nil {
		return s.fail(ctx, "quarantine blob "+ref.String(), err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.key(ref), minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return s.fail(ctx, "quarantine blob "+ref.String(), err)
	}
	return nil
}

// copyObject copies an object inside the bucket: in one request up to
// 5 GiB, by parts beyond.
func (s *Store) copyObject(ctx context.Context, from, to string) error {
	_, err := s.client.ComposeObject(ctx, minio.CopyDestOptions{Bucket: s.bucket, Object: to},
		minio.CopySrcOptions{Bucket: s.bucket, Object: from})
	return err
}

// WalkQuarantine calls fn for every object under .gc.
func (s *Store) WalkQuarantine(ctx context.Context, fn func(damask.BlobInfo) error) error {
	lctx, cancel := context.WithCancel(ctx)
	defer cancel() // stops the listing when fn stops the walk
	prefix := s.prefix + gcDirName + "/"
	for obj := range s.client.ListObjects(lctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return s.fail(ctx, "walk quarantined blobs", obj.Err)
		}
		name := strings.TrimPrefix(obj.Key, prefix)
		ref, err := damask.ParseBlobRef(name)
		if err != nil || ref.String() != name {
			continue
		}
		if err := fn(damask.BlobInfo{Ref: ref, Size: obj.Size, ModTime: obj.LastModified}); err != nil {
			return err
		}
	}
	if err := ctx.Err(); err != nil {
		return canceled("walk quarantined blobs", err)
	}
	return nil
}

// Restore copies a quarantined object back under its name, over a copy a
// Commit may have put there since (the same bytes), and removes it from
// .gc.
func (s *Store) Restore(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("restore blob "+ref.String(), err)
	}
	if _, err := s.restore(ctx, ref); err != nil {
		return err
	}
	return nil
}

// restore is Restore, answering whether there was an object to restore.
func (s *Store) restore(ctx context.Context, ref damask.BlobRef) (bool, error) {
	err := s.copyObject(ctx, s.quarantineKey(ref), s.key(ref))
	if isNotFound(err) {
		return false, nil
	}
	if err != nil {
		return false, s.fail(ctx, "restore blob "+ref.String(), err)
	}
	if err := s.client.RemoveObject(ctx, s.bucket, s.quarantineKey(ref), minio.RemoveObjectOptions{}); err != nil && !isNotFound(err) {
		return false, s.fail(ctx, "restore blob "+ref.String(), err)
	}
	return true, nil
}

// Release removes a quarantined object.
func (s *Store) Release(ctx context.Context, ref damask.BlobRef) error {
	if err := ctx.Err(); err != nil {
		return canceled("release blob "+ref.String(), err)
	}
	err := s.client.RemoveObject(ctx, s.bucket, s.quarantineKey(ref), minio.RemoveObjectOptions{})
	if err != nil && !isNotFound(err) {
		return s.fail(ctx, "release blob "+ref.String(), err)
	}
	return nil
}

// unquarantine is what a read does when the name of ref is missing: it
// puts a quarantined object back, answering whether there was one.
func (s *Store) unquarantine(ctx context.Context, ref damask.BlobRef) bool {
	ok, err := s.restore(ctx, ref)
	return ok && err == nil
}
