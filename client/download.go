package client

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
)

// Open answers the current file of an asset from byte offset on (0 for
// all of it) and its total size; the caller closes it.
func (c *Client) Open(ctx context.Context, id int64, offset int64) (io.ReadCloser, int64, error) {
	req, err := c.newRequest(ctx, http.MethodGet, "/api/assets/download/"+strconv.FormatInt(id, 10), nil)
	if err != nil {
		return nil, 0, err
	}
	if offset > 0 {
		req.Header.Set("Range", "bytes="+strconv.FormatInt(offset, 10)+"-")
	}
	res, err := c.do(req, http.StatusOK, http.StatusPartialContent)
	if err != nil {
		return nil, 0, err
	}
	size := res.ContentLength
	if offset > 0 {
		if res.StatusCode != http.StatusPartialContent {
			res.Body.Close()
			return nil, 0, fmt.Errorf("client: download %d: the server ignored the range", id)
		}
		size += offset
	}
	return res.Body, size, nil
}

// ErrChecksum is a downloaded file whose SHA-256 is not the asset's.
var ErrChecksum = errors.New("the file's SHA-256 is not the asset's")

// DownloadFile saves the asset's current file as path. The bytes go to
// path+".part" first: a download cut off goes on from that file's size
// with a Range request when called again. The whole file's SHA-256 is
// checked against the asset's before the part file is renamed to path;
// a mismatch removes the part file and answers ErrChecksum. progress, when
// not nil, is called with the bytes on disk as they grow.
func (c *Client) DownloadFile(ctx context.Context, a *Asset, path string, progress func(n int64)) error {
	part := path + ".part"
	f, err := os.OpenFile(part, os.O_RDWR|os.O_CREATE, 0o644)
	if err != nil {
		return fmt.Errorf("client: download %d: %w", a.ID, err)
	}
	defer f.Close()
	h := sha256.New()
	have, err := io.Copy(h, f) // the part kept by an earlier run
	if err != nil {
		return fmt.Errorf("client: download %d: read %s: %w", a.ID, part, err)
	}
	if have > a.Size {
		if err := f.Truncate(0); err != nil {
			return fmt.Errorf("client: download %d: %w", a.ID, err)
		}
		if _, err := f.Seek(0, io.SeekStart); err != nil {
			return fmt.Errorf("client: download %d: %w", a.ID, err)
		}
		h.Reset()
		have = 0
	}
	if progress != nil {
		progress(have)
	}
	resumed := have > 0
	if have < a.Size {
		body, _, err := c.Open(ctx, a.ID, have)
		if err != nil {
			return err
		}
		defer body.Close()
		w := io.MultiWriter(f, h)
		if progress != nil {
			w = io.MultiWriter(f, h, progressWriter{&have, progress})
		}
		if _, err := io.Copy(w, body); err != nil {
			return fmt.Errorf("client: download %d: %w", a.ID, err)
		}
	}
	if err := f.Sync(); err != nil {
		return fmt.Errorf("client: download %d: %w", a.ID, err)
	}
	if got := hex.EncodeToString(h.Sum(nil)); a.SHA256 != "" && got != a.SHA256 {
		f.Close()
		os.Remove(part)
		if resumed { // the part was of another file (a version since): once more, whole
			return c.DownloadFile(ctx, a, path, progress)
		}
		return fmt.Errorf("client: download %d (%s): %w: %s, want %s", a.ID, a.Filename, ErrChecksum, got, a.SHA256)
	}
	if err := f.Close(); err != nil {
		return fmt.Errorf("client: download %d: %w", a.ID, err)
	}
	if err := os.Rename(part, path); err != nil {
		return fmt.Errorf("client: download %d: %w", a.ID, err)
	}
	return nil
}

type progressWriter struct {
	n *int64
	f func(int64)
}

func (p progressWriter) Write(b []byte) (int, error) {
	*p.n += int64(len(b))
	p.f(*p.n)
	return len(b), nil
}
