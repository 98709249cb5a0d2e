package s3

import (
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"slices"
	"strconv"
	"strings"

	"github.com/minio/minio-go/v7"

	"damask"
)

// Partial files in a bucket: the files of resumable uploads, kept across
// requests and restarts as segments, PREFIX/.partial/NAME/OFFSET-RANDOM,
// each the bytes of one request from OFFSET on (its length is the
// object's size). A segment is streamed to S3 as it arrives (one part of
// part-size in memory) and is durable once its PUT has completed, which
// Sync waits for. S3 composes objects server-side only from parts of
// 5 MiB or more but the last, so a request that follows a segment smaller
// than that writes a new segment from that segment's offset, its bytes
// first (read back from S3: less than 5 MiB); the chain of segments from
// offset 0 then has a small one only at its end. Commit composes the chain
// into the file's key on the S3 side: the bytes travel through the
// server once. OpenPartial chooses, from the segments listed, the chain
// that ends exactly at the size recorded durable, and removes the rest
// (a request whose PUT completed before the crash, never recorded; a
// small segment that a longer one from the same offset replaced).

const partialDirName = ".partial"

var _ damask.PartialStore = (*Store)(nil)

func (s *Store) partialPrefix(name string) (string, error) {
	if name == "" || len(name) > 64 || strings.ContainsFunc(name, func(r rune) bool {
		return !('0' <= r && r <= '9' || 'a' <= r && r <= 'z')
	}) {
		return "", fmt.Errorf("partial file %q: bad name", name)
	}
	return s.prefix + partialDirName + "/" + name + "/", nil
}

type segment struct {
	key       string
	off, size int64
}

func (g segment) end() int64 { return g.off + g.size }

// segments lists the segments of a partial file, by offset.
func (s *Store) segments(ctx context.Context, prefix string) ([]segment, error) {
	var segs []segment
	for obj := range s.client.ListObjects(ctx, s.bucket, minio.ListObjectsOptions{Prefix: prefix, Recursive: true}) {
		if obj.Err != nil {
			return nil, s.fail(ctx, "list partial file", obj.Err)
		}
		offText, _, _ := strings.Cut(strings.TrimPrefix(obj.Key, prefix), "-")
		off, err := strconv.ParseInt(offText, 10, 64)
		if err != nil {
			continue
		}
		segs = append(segs, segment{key: obj.Key, off: off, size: obj.Size})
	}
	slices.SortFunc(segs, func(a, b segment) int {
		if a.off != b.off {
			return int(min(max(a.off-b.off, -1), 1))
		}
		return int(min(max(b.size-a.size, -1), 1)) // the longest first
	})
	return segs, nil
}

// OpenPartial opens the partial file name at size.
func (s *Store) OpenPartial(ctx context.Context, name string, size int64) (damask.PartialFile, error) {
	if err := ctx.Err(); err != nil {
		return nil, canceled("open partial file", err)
	}
	prefix, err := s.partialPrefix(name)
	if err != nil {
		return nil, err
	}
	segs, err := s.segments(ctx, prefix)
	if err != nil {
		return nil, err
	}
	var chain, drop []segment
	at := int64(0)
	for _, g := range segs {
		// The longest segment from the chain's end that stays within
		// size extends it; every other one goes.
		if g.off == at && g.end() <= size && g.size > 0 {
			chain = append(chain, g)
			at = g.end()
			continue
		}
		drop = append(drop, g)
	}
	if at != size {
		return nil, fmt.Errorf("open partial file %s: its segments hold %d bytes, %d were recorded durable", name, at, size)
	}
	for _, g := range drop {
		if err := s.client.RemoveObject(ctx, s.bucket, g.key, minio.RemoveObjectOptions{}); err != nil {
			return nil, s.fail(ctx, "open partial file: remove a segment never recorded", err)
		}
	}
	return &partial{s: s, ctx: ctx, prefix: prefix, chain: chain, n: size}, nil
}

// DeletePartial removes every segment of the partial file.
func (s *Store) DeletePartial(ctx context.Context, name string) error {
	prefix, err := s.partialPrefix(name)
	if err != nil {
		return err
	}
	segs, err := s.segments(ctx, prefix)
	if err != nil {
		return err
	}
	for _, g := range segs {
		if err := s.client.RemoveObject(ctx, s.bucket, g.key, minio.RemoveObjectOptions{}); err != nil {
			return s.fail(ctx, "delete partial file", err)
		}
	}
	return nil
}

// partial is an open partial file in the bucket.
type partial struct {
	s      *Store
	ctx    context.Context // OpenPartial's: the segment's PUT runs under it
	prefix string
	chain  []segment // durable, from offset 0
	n      int64
	err    error
	done   bool
	// The segment being written: its PUT reads from pw.
	pw   *io.PipeWriter
	seg  segment
	sent chan error
}

func (p *partial) Size() int64 { return p.n }

// start begins a segment at the chain's end, or at its last segment when
// that is too small to be composed, whose bytes it sends first.
func (p *partial) start() error {
	off, key := p.n, ""
	var head io.ReadCloser
	if k := len(p.chain); k > 0 && p.chain[k-1].size < minPartSize {
		last := p.chain[k-1]
		r, err := p.s.client.GetObject(p.ctx, p.s.bucket, last.key, minio.GetObjectOptions{})
		if err != nil {
			return p.s.fail(p.ctx, "write partial file: read the last segment", err)
		}
		head, off = r, last.off
		p.chain = p.chain[:k-1]
	}
	var rnd [8]byte
	rand.Read(rnd[:])
	key = p.prefix + fmt.Sprintf("%020d-%s", off, hex.EncodeToString(rnd[:]))
	pr, pw := io.Pipe()
	p.pw, p.seg, p.sent = pw, segment{key: key, off: off}, make(chan error, 1)
	go func() {
		info, err := p.s.client.PutObject(p.ctx, p.s.bucket, key, pr, -1, minio.PutObjectOptions{
			PartSize: uint64(max(p.s.partSize, minPartSize)), DisableContentSha256: true})
		if err == nil {
			p.seg.size = info.Size
		}
		pr.CloseWithError(err) // a writer still waiting learns of the failure
		p.sent <- err
	}()
	if head != nil {
		_, err := io.Copy(pw, head)
		head.Close()
		if err != nil {
			return fmt.Errorf("write partial file: carry the last segment over: %w", err)
		}
	}
	return nil
}

func (p *partial) Write(b []byte) (int, error) {
	if p.done {
		return 0, errors.New("write partial file: already committed or closed")
	}
	if p.err != nil {
		return 0, p.err
	}
	if p.pw == nil {
		if err := p.start(); err != nil {
			p.err = err
			return 0, err
		}
	}
	n, err := p.pw.Write(b)
	p.n += int64(n)
	if err != nil {
		p.err = p.s.fail(p.ctx, "write partial file", err)
		return n, p.err
	}
	return n, nil
}

// Sync completes the segment being written: once its PUT has returned,
// its bytes are durable.
func (p *partial) Sync(ctx context.Context) error {
	if p.err != nil {
		return p.err
	}
	if p.pw == nil {
		return nil
	}
	p.pw.Close()
	err := <-p.sent
	p.pw = nil
	if err != nil {
		p.err = p.s.fail(ctx, "write partial file", err)
		return p.err
	}
	if p.seg.end() != p.n {
		p.err = fmt.Errorf("write partial file: the segment ends at %d, %d bytes were written", p.seg.end(), p.n)
		return p.err
	}
	p.chain = append(p.chain, p.seg)
	return nil
}

// Commit composes the chain into the file's key on the S3 side, then
// removes the segments.
func (p *partial) Commit(ctx context.Context, ref damask.BlobRef) (damask.BlobInfo, error) {
	if p.done {
		return damask.BlobInfo{}, errors.New("commit partial file: already committed or closed")
	}
	if err := p.Sync(ctx); err != nil {
		return damask.BlobInfo{}, err
	}
	dst := minio.CopyDestOptions{Bucket: p.s.bucket, Object: p.s.key(ref)}
	var err error
	switch {
	case len(p.chain) == 0:
		return damask.BlobInfo{}, errors.New("commit partial file: it is empty")
	case len(p.chain) == 1 && p.n <= maxPartSize:
		_, err = p.s.client.CopyObject(ctx, dst, minio.CopySrcOptions{Bucket: p.s.bucket, Object: p.chain[0].key})
	default:
		srcs := make([]minio.CopySrcOptions, len(p.chain))
		for i, g := range p.chain {
			srcs[i] = minio.CopySrcOptions{Bucket: p.s.bucket, Object: g.key}
		}
		_, err = p.s.client.ComposeObject(ctx, dst, srcs...)
	}
	if err != nil {
		return damask.BlobInfo{}, p.s.fail(ctx, "commit partial file "+ref.String(), err)
	}
	p.done = true
	for _, g := range p.chain {
		// A segment left behind is removed with the upload's row by the
		// housework (DeletePartial), or by a later OpenPartial.
		p.s.client.RemoveObject(ctx, p.s.bucket, g.key, minio.RemoveObjectOptions{})
	}
	return p.s.statCommitted(ctx, ref, p.n)
}

// Close abandons a segment being written (never recorded) and keeps the
// rest.
func (p *partial) Close() error {
	if p.done {
		return nil
	}
	p.done = true
	if p.pw != nil {
		p.pw.CloseWithError(errors.New("partial file closed before its sync"))
		<-p.sent
		// A PUT that completed anyway is a segment never recorded:
		// the next OpenPartial removes it.
	}
	return nil
}
