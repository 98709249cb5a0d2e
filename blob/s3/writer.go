package s3

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/binary"
	"encoding/hex"
	"errors"
	"fmt"
	"hash"
	"hash/crc32"
	"io"
	"net/http"
	"sync"
	"time"

	"github.com/minio/minio-go/v7"

	"damask"
)

// abortTimeout bounds the requests of Abort, which has no context of its
// own: an unfinished upload that outlives it is removed by a later Open.
const abortTimeout = time.Minute

// writer receives a new file. The first part's worth of bytes stays in buf;
// when more come, the file becomes a multipart upload: each full part is
// handed to the uploader goroutine, which hashes it while sending it, and
// buf starts over with a new part. It is not safe for concurrent use.
type writer struct {
	s   *Store
	ctx context.Context // Create's: the uploader runs under it
	buf []byte          // bytes not yet handed over, at most partSize
	n   int64
	err error // the first error; every later Write and Commit answer it
	// done is set by Commit and Abort: nothing is left to clean up.
	done bool
	up   *upload // nil while the file fits in buf
	// handed counts the parts handed to the uploader; closed is set once
	// up.parts is closed.
	handed int
	closed bool
}

// upload is a multipart upload in progress to a temporary key. Its fields
// below the channels belong to the uploader goroutine until finished is
// closed.
type upload struct {
	key    string
	cancel context.CancelFunc
	parts  chan []byte   // full parts, in order; closed by the writer
	spare  chan []byte   // parts sent, for the writer to fill again
	failed chan struct{} // closed when the uploader fails
	// finished is closed when the uploader has returned.
	finished chan struct{}

	h    hash.Hash // of the parts sent so far
	id   string    // the upload's id, once S3 gave it
	done []minio.CompletePart
	err  error
}

func (w *writer) Write(p []byte) (int, error) {
	if w.done {
		return 0, errors.New("write blob: already committed or aborted")
	}
	if w.err != nil {
		return 0, w.err
	}
	written := 0
	for len(p) > 0 {
		if int64(len(w.buf)) == w.s.partSize {
			if err := w.handOver(); err != nil {
				w.err = err
				return written, err
			}
		}
		k := min(len(p), int(w.s.partSize)-len(w.buf))
		w.grow(k)
		w.buf = append(w.buf, p[:k]...)
		p = p[k:]
		written += k
		w.n += int64(k)
	}
	return written, nil
}

// ReadFrom reads straight into the part being filled, saving io.Copy's
// buffer and a copy of every byte.
func (w *writer) ReadFrom(r io.Reader) (int64, error) {
	if w.done {
		return 0, errors.New("write blob: already committed or aborted")
	}
	if w.err != nil {
		return 0, w.err
	}
	var total int64
	for {
		if int64(len(w.buf)) == w.s.partSize {
			if err := w.handOver(); err != nil {
				w.err = err
				return total, err
			}
		}
		if len(w.buf) == cap(w.buf) {
			w.grow(readChunk)
		}
		n, err := r.Read(w.buf[len(w.buf):cap(w.buf)])
		w.buf = w.buf[:len(w.buf)+n]
		w.n += int64(n)
		total += int64(n)
		switch {
		case err == io.EOF:
			return total, nil
		case err != nil:
			return total, err
		}
	}
}

// readChunk is the least room ReadFrom makes for a Read while the file
// still fits in memory.
const readChunk = 32 << 10

// grow makes room in buf for k more bytes, at most up to a part: doubling
// while the file is small, so that a thumbnail does not take a whole part
// of memory.
func (w *writer) grow(k int) {
	need := len(w.buf) + k
	if need <= cap(w.buf) {
		return
	}
	var nb []byte
	if c := max(2*cap(w.buf), need, 64<<10); c <= growLimit {
		nb = make([]byte, 0, c)
	} else {
		nb = w.s.getPart()
	}
	w.buf = append(nb, w.buf...)
}

// growLimit is the most buf grows to by doubling; beyond, it becomes a
// whole part from the pool, so that a large file leaves little garbage.
const growLimit = 1 << 20

// handOver sends the full part in buf to the uploader, starting the upload
// with the first part, and takes a fresh part to fill. It waits while the
// uploader is busy with the part before: so a write holds two parts at
// most.
func (w *writer) handOver() error {
	if w.up == nil {
		if err := w.start(); err != nil {
			return err
		}
	}
	// This part and the last one must fit in S3's count.
	if w.handed+2 > w.s.maxParts {
		return &damask.Error{Code: damask.ETOOLARGE, Message: "File too large for the S3 store's part size",
			Err: fmt.Errorf("write blob: more than %d parts of %d bytes", w.s.maxParts, w.s.partSize)}
	}
	select {
	case w.up.parts <- w.buf:
	case <-w.up.failed:
		return w.up.err
	}
	w.handed++
	// The uploader gives back the part before this one as it takes this
	// one: two buffers serve the whole file.
	select {
	case b := <-w.up.spare:
		w.buf = b
	default:
		w.buf = w.s.getPart()
	}
	return nil
}

// start begins the multipart upload: the uploader goroutine asks S3 for
// an upload id and then sends the parts it is handed.
func (w *writer) start() error {
	var rnd [16]byte
	rand.Read(rnd[:])
	ctx, cancel := context.WithCancel(w.ctx)
	u := &upload{
		key:      w.s.prefix + tmpDirName + "/" + hex.EncodeToString(rnd[:]),
		cancel:   cancel,
		parts:    make(chan []byte),
		spare:    make(chan []byte, 1),
		failed:   make(chan struct{}),
		finished: make(chan struct{}),
		h:        sha256.New(),
	}
	w.up = u
	go w.s.send(ctx, u, u.parts)
	return nil
}

// send is the uploader: it starts the multipart upload, then sends each
// part while hashing it, in order. On the first failure it closes
// u.failed and drops whatever parts still come.
func (s *Store) send(ctx context.Context, u *upload, parts <-chan []byte) {
	defer close(u.finished)
	fail := func(err error) {
		u.err = err
		close(u.failed)
		for b := range parts {
			s.putPart(b)
		}
	}
	id, err := s.core.NewMultipartUpload(ctx, s.bucket, u.key, minio.PutObjectOptions{
		UserMetadata: map[string]string{"X-Amz-Checksum-Algorithm": "CRC32C"},
	})
	if err != nil {
		fail(s.fail(ctx, "write blob: start multipart upload", err))
		return
	}
	u.id = id
	for b := range parts {
		num := len(u.done) + 1
		var wg sync.WaitGroup
		wg.Go(func() { u.h.Write(b) })
		part, err := s.core.PutObjectPart(ctx, s.bucket, u.key, id, num, bytes.NewReader(b), int64(len(b)), minio.PutObjectPartOptions{
			DisableContentSha256: true,
			CustomHeader:         http.Header{crcHeader: {crc32c(b)}},
		})
		wg.Wait()
		select {
		case u.spare <- b[:0]:
		default:
			s.putPart(b)
		}
		if err != nil {
			fail(s.fail(ctx, fmt.Sprintf("write blob: upload part %d", num), err))
			return
		}
		u.done = append(u.done, minio.CompletePart{
			PartNumber:        num,
			ETag:              part.ETag,
			ChecksumCRC32:     part.ChecksumCRC32,
			ChecksumCRC32C:    part.ChecksumCRC32C,
			ChecksumSHA1:      part.ChecksumSHA1,
			ChecksumSHA256:    part.ChecksumSHA256,
			ChecksumCRC64NVME: part.ChecksumCRC64NVME,
		})
	}
}

// Bytes go up unsigned (UNSIGNED-PAYLOAD, as minio-go does over TLS
// anyway) with a CRC-32C that the server checks: signing the payload
// over plain HTTP costs a SHA-256 of every byte on each side, and halved
// the upload rate on a local versitygw; CRC-32C costs next to nothing.
const crcHeader = "X-Amz-Checksum-Crc32c"

var castagnoli = crc32.MakeTable(crc32.Castagnoli)

// crc32c is the header value of b's CRC-32C.
func crc32c(b []byte) string {
	var sum [4]byte
	binary.BigEndian.PutUint32(sum[:], crc32.Checksum(b, castagnoli))
	return base64.StdEncoding.EncodeToString(sum[:])
}

// getPart takes an empty part's buffer from the pool.
func (s *Store) getPart() []byte { return (*s.parts.Get().(*[]byte))[:0] }

// putPart returns a part's buffer to the pool.
func (s *Store) putPart(b []byte) {
	if int64(cap(b)) == s.partSize {
		b = b[:0]
		s.parts.Put(&b)
	}
}

func (w *writer) Written() int64 { return w.n }

// Commit stores the file under the SHA-256 of its bytes: a file that fits
// in a part with one PUT, a larger one by completing its upload and
// copying it into place. When it returns, S3 has answered that the object
// exists. On failure nothing is left.
func (w *writer) Commit(ctx context.Context) (damask.BlobInfo, error) {
	if w.done {
		return damask.BlobInfo{}, errors.New("commit blob: already committed or aborted")
	}
	if w.err != nil {
		w.Abort()
		return damask.BlobInfo{}, w.err
	}
	if err := ctx.Err(); err != nil {
		w.Abort()
		return damask.BlobInfo{}, canceled("commit blob", err)
	}
	var info damask.BlobInfo
	var err error
	if w.up == nil {
		info, err = w.commitSmall(ctx)
	} else {
		info, err = w.commitLarge(ctx)
	}
	if err != nil {
		w.Abort()
		return damask.BlobInfo{}, err
	}
	w.done = true
	if w.up != nil {
		w.up.cancel() // the uploader has returned; release its context
	}
	return info, nil
}

// commitSmall PUTs the bytes in buf under their name. When the name is
// taken, the PUT writes the same bytes again and so renews the object's
// time, as the contract of Commit asks.
func (w *writer) commitSmall(ctx context.Context) (damask.BlobInfo, error) {
	ref := damask.BlobRef(sha256.Sum256(w.buf))
	key := w.s.key(ref)
	_, err := w.s.core.PutObject(ctx, w.s.bucket, key, bytes.NewReader(w.buf), int64(len(w.buf)), "", "", minio.PutObjectOptions{
		DisableContentSha256: true,
		UserMetadata:         map[string]string{crcHeader: crc32c(w.buf)},
	})
	if err != nil {
		return damask.BlobInfo{}, w.s.fail(ctx, "commit blob "+ref.String(), err)
	}
	w.release()
	return w.s.statCommitted(ctx, ref, w.n)
}

// commitLarge sends the last part, completes the upload under its
// temporary key, copies the object to its name (which renews it when the
// name is taken) and removes the temporary object.
func (w *writer) commitLarge(ctx context.Context) (damask.BlobInfo, error) {
	u := w.up
	if len(w.buf) > 0 {
		select {
		case u.parts <- w.buf:
			w.buf = nil
		case <-u.failed:
			return damask.BlobInfo{}, u.err
		case <-ctx.Done():
			return damask.BlobInfo{}, canceled("commit blob", ctx.Err())
		}
	}
	close(u.parts)
	w.closed = true
	select {
	case <-u.finished:
	case <-ctx.Done():
		return damask.BlobInfo{}, canceled("commit blob", ctx.Err())
	}
	w.drainSpare()
	if u.err != nil {
		return damask.BlobInfo{}, u.err
	}
	var ref damask.BlobRef
	u.h.Sum(ref[:0])
	if _, err := w.s.core.CompleteMultipartUpload(ctx, w.s.bucket, u.key, u.id, u.done, minio.PutObjectOptions{}); err != nil {
		return damask.BlobInfo{}, w.s.fail(ctx, "commit blob "+ref.String()+": complete upload", err)
	}

	dst := minio.CopyDestOptions{Bucket: w.s.bucket, Object: w.s.key(ref)}
	src := minio.CopySrcOptions{Bucket: w.s.bucket, Object: u.key}
	var err error
	if w.n <= maxPartSize {
		_, err = w.s.client.CopyObject(ctx, dst, src)
	} else {
		// A single copy takes at most 5 GiB; beyond, it goes by parts.
		_, err = w.s.client.ComposeObject(ctx, dst, src)
	}
	if err != nil {
		return damask.BlobInfo{}, w.s.fail(ctx, "commit blob "+ref.String()+": copy into place", err)
	}
	// The file is in place. Failing to remove the temporary object leaves
	// an orphan that a later Open removes; the commit stands.
	w.s.client.RemoveObject(ctx, w.s.bucket, u.key, minio.RemoveObjectOptions{})
	return w.s.statCommitted(ctx, ref, w.n)
}

// statCommitted describes the object just written, with the time S3 gave
// it, and checks that it holds size bytes.
func (s *Store) statCommitted(ctx context.Context, ref damask.BlobRef, size int64) (damask.BlobInfo, error) {
	oi, err := s.client.StatObject(ctx, s.bucket, s.key(ref), minio.StatObjectOptions{})
	if err != nil {
		return damask.BlobInfo{}, s.fail(ctx, "commit blob "+ref.String()+": stat", err)
	}
	if oi.Size != size {
		return damask.BlobInfo{}, fmt.Errorf("commit blob %s: the object holds %d bytes, %d were written", ref, oi.Size, size)
	}
	return damask.BlobInfo{Ref: ref, Size: oi.Size, ModTime: oi.LastModified}, nil
}

// drainSpare gives a part the uploader handed back to the pool, once the
// uploader has finished.
func (w *writer) drainSpare() {
	select {
	case b := <-w.up.spare:
		w.s.putPart(b)
	default:
	}
}

// release gives buf back to the pool.
func (w *writer) release() {
	if w.buf != nil {
		w.s.putPart(w.buf)
		w.buf = nil
	}
}

// Abort drops what was written: the parts in memory, and any multipart
// upload or temporary object in S3. After Commit, successful or not, it
// does nothing.
func (w *writer) Abort() error {
	if w.done {
		return nil
	}
	w.done = true
	w.release()
	u := w.up
	if u == nil {
		return nil
	}
	u.cancel() // stops a part going out
	if !w.closed {
		close(u.parts)
	}
	<-u.finished
	w.drainSpare()
	ctx, cancel := context.WithTimeout(context.WithoutCancel(w.ctx), abortTimeout)
	defer cancel()
	if err := w.s.abortUpload(ctx, unaborted{key: u.key, id: u.id}); err != nil {
		w.s.mu.Lock()
		w.s.unaborted = append(w.s.unaborted, unaborted{key: u.key, id: u.id})
		w.s.mu.Unlock()
		return fmt.Errorf("abort blob in %s (tried again at the next write): %w", w.s.url, err)
	}
	return nil
}
