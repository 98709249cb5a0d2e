package client

import (
	"context"
	"crypto/sha256"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"strconv"
	"strings"
	"time"
)

// Upload is a file sent to the server and not yet an asset's (fluxiom's
// two-step flow: CreateAsset with its ID within 24 hours).
type Upload struct {
	ID          int64     `json:"id"`
	Filename    string    `json:"filename"`
	ContentType string    `json:"content_type"`
	Size        int64     `json:"size"`
	SHA256      string    `json:"sha256"`
	CreatedOn   time.Time `json:"created_on"`
	ExpiresOn   time.Time `json:"expires_on"`
}

// Upload sends a file in one multipart request (`POST /api/upload`),
// streamed from r. Use UploadResumable for large files.
func (c *Client) Upload(ctx context.Context, filename string, r io.Reader) (*Upload, error) {
	pr, pw := io.Pipe()
	mw := multipart.NewWriter(pw)
	go func() {
		part, err := mw.CreateFormFile("file", filename)
		if err == nil {
			_, err = io.Copy(part, r)
		}
		if err == nil {
			err = mw.Close()
		}
		pw.CloseWithError(err)
	}()
	req, err := c.newRequest(ctx, http.MethodPost, "/api/upload.json", pr)
	if err != nil {
		pr.Close()
		return nil, err
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	req.Header.Set("Accept", "application/json")
	res, err := c.do(req, http.StatusCreated)
	pr.Close()
	if err != nil {
		return nil, err
	}
	defer res.Body.Close()
	var u Upload
	if err := decodeJSON(res, &u); err != nil {
		return nil, err
	}
	return &u, nil
}

// GetUpload answers an upload by its id.
func (c *Client) GetUpload(ctx context.Context, id int64) (*Upload, error) {
	var u Upload
	if _, err := c.call(ctx, http.MethodGet, fmt.Sprintf("/api/uploads/%d.json", id), nil, &u, http.StatusOK); err != nil {
		return nil, err
	}
	return &u, nil
}

// Metadata is what a resumable upload tells of its file. With a Title,
// Tags, a Path, an AssetID or Asset set, the finished file becomes an
// asset; otherwise it stays an upload.
type Metadata struct {
	Filename string
	Title    string
	Tags     []string
	// Path is the folder the file came from ("holiday/day 1").
	Path string
	// AssetID makes the file a new version of that asset.
	AssetID int64
	// Asset makes the finished file an asset even without other fields.
	Asset bool
	// Unpack asks the server to unpack an archive into assets.
	Unpack bool
}

// encode is the Upload-Metadata header: keys with values in base64.
func (m Metadata) encode() string {
	var kv []string
	add := func(k, v string) {
		if v != "" {
			kv = append(kv, k+" "+base64.StdEncoding.EncodeToString([]byte(v)))
		}
	}
	add("filename", m.Filename)
	add("title", m.Title)
	add("tags", strings.Join(m.Tags, ","))
	add("path", m.Path)
	if m.AssetID != 0 {
		add("asset_id", strconv.FormatInt(m.AssetID, 10))
	}
	if m.Asset {
		add("asset", "true")
	}
	if m.Unpack {
		add("unpack", "true")
	}
	return strings.Join(kv, ",")
}

const tusPath = "/api/uploads/tus/"

// Finished is what the server made of a complete resumable upload.
type Finished struct {
	// UploadID is the upload (GetUpload); AssetID the asset when one was
	// made, else 0.
	UploadID int64
	AssetID  int64
}

func finished(h http.Header) *Finished {
	up, _ := strconv.ParseInt(h.Get("X-Damask-Upload-Id"), 10, 64)
	if up == 0 {
		return nil
	}
	as, _ := strconv.ParseInt(h.Get("X-Damask-Asset-Id"), 10, 64)
	return &Finished{UploadID: up, AssetID: as}
}

// tusRequest is a request of the tus protocol.
func (c *Client) tusRequest(ctx context.Context, method, path string, body io.Reader) (*http.Request, error) {
	req, err := c.newRequest(ctx, method, path, body)
	if err != nil {
		return nil, err
	}
	req.Header.Set("Tus-Resumable", "1.0.0")
	return req, nil
}

// CreateResumable begins a resumable upload of length bytes and answers
// its URL, which HEAD and PATCH use and which a program keeps to go on
// after a restart.
func (c *Client) CreateResumable(ctx context.Context, length int64, m Metadata) (string, error) {
	u, _, _, err := c.create(ctx, length, m, nil, nil)
	return u, err
}

// create is a creation, with the whole file in it when body is not nil
// (creation-with-upload), checked against sum when not nil.
func (c *Client) create(ctx context.Context, length int64, m Metadata, body io.Reader, sum []byte) (string, int64, *Finished, error) {
	req, err := c.tusRequest(ctx, http.MethodPost, tusPath, body)
	if err != nil {
		return "", 0, nil, err
	}
	req.Header.Set("Upload-Length", strconv.FormatInt(length, 10))
	if md := m.encode(); md != "" {
		req.Header.Set("Upload-Metadata", md)
	}
	if body != nil {
		req.ContentLength = length
		req.Header.Set("Content-Type", "application/offset+octet-stream")
		if sum != nil {
			req.Header.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(sum))
		}
	}
	res, err := c.do(req, http.StatusCreated)
	if err != nil {
		return "", 0, nil, err
	}
	res.Body.Close()
	loc, err := res.Location()
	if err != nil {
		return "", 0, nil, fmt.Errorf("client: create a resumable upload: %w", err)
	}
	offset, _ := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	return loc.String(), offset, finished(res.Header), nil
}

// ResumableOffset answers how much of a resumable upload the server holds,
// its length, and, once it is complete, what was made of it. An upload
// unknown, terminated or expired is an *Error (404 or 410).
func (c *Client) ResumableOffset(ctx context.Context, uploadURL string) (offset, length int64, done *Finished, err error) {
	req, err := c.tusRequest(ctx, http.MethodHead, uploadURL, nil)
	if err != nil {
		return 0, 0, nil, err
	}
	res, err := c.do(req, http.StatusOK, http.StatusNoContent)
	if err != nil {
		return 0, 0, nil, err
	}
	res.Body.Close()
	offset, err = strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, 0, nil, fmt.Errorf("client: HEAD %s: Upload-Offset: %w", uploadURL, err)
	}
	length, _ = strconv.ParseInt(res.Header.Get("Upload-Length"), 10, 64)
	return offset, length, finished(res.Header), nil
}

// Patch sends one piece of a resumable upload at offset, with the piece's
// SHA-256 (the server keeps nothing of a piece that does not match it).
// The piece is read twice from r, once for the checksum and once to send
// it. It answers the new offset and, when the piece completed the file,
// what was made of it.
func (c *Client) Patch(ctx context.Context, uploadURL string, offset int64, r io.ReaderAt, n int64) (int64, *Finished, error) {
	h := sha256.New()
	if _, err := io.Copy(h, io.NewSectionReader(r, offset, n)); err != nil {
		return 0, nil, fmt.Errorf("client: read the piece at %d: %w", offset, err)
	}
	req, err := c.tusRequest(ctx, http.MethodPatch, uploadURL, io.NewSectionReader(r, offset, n))
	if err != nil {
		return 0, nil, err
	}
	req.ContentLength = n
	req.Header.Set("Content-Type", "application/offset+octet-stream")
	req.Header.Set("Upload-Offset", strconv.FormatInt(offset, 10))
	req.Header.Set("Upload-Checksum", "sha256 "+base64.StdEncoding.EncodeToString(h.Sum(nil)))
	res, err := c.do(req, http.StatusNoContent, http.StatusOK)
	if err != nil {
		return 0, nil, err
	}
	res.Body.Close()
	next, err := strconv.ParseInt(res.Header.Get("Upload-Offset"), 10, 64)
	if err != nil {
		return 0, nil, fmt.Errorf("client: PATCH %s: Upload-Offset: %w", uploadURL, err)
	}
	return next, finished(res.Header), nil
}

// TerminateResumable ends a resumable upload and drops its bytes.
func (c *Client) TerminateResumable(ctx context.Context, uploadURL string) error {
	req, err := c.tusRequest(ctx, http.MethodDelete, uploadURL, nil)
	if err != nil {
		return err
	}
	res, err := c.do(req, http.StatusNoContent, http.StatusOK)
	if err != nil {
		return err
	}
	res.Body.Close()
	return nil
}

// Resumable are the options of UploadResumable.
type Resumable struct {
	// URL is an upload begun earlier (by a run that was cut off): the
	// upload goes on from the server's offset. When the server no longer
	// has it (404, 410), a new one begins. "" begins a new one.
	URL string
	// Created is called with the URL of a new upload, before any byte is
	// sent, for the caller to keep.
	Created func(url string)
	// Progress is called after every piece with the bytes the server
	// holds.
	Progress func(offset int64)
	// SHA256 is the whole file's SHA-256 when the caller knows it: a
	// file that fits in one piece goes in the creation's request itself
	// (creation-with-upload), checked against it, without reading it
	// twice.
	SHA256 []byte
}

// UploadResumable sends size bytes of r by the tus protocol, in pieces of
// the chunk size (WithChunkSize), each with its SHA-256. A piece cut off
// by the network is sent again from the server's offset, up to 5 times in
// a row; a later run goes on with Resumable.URL. A new file that fits in
// one piece goes in the creation's request (creation-with-upload), sent
// again whole if cut off; Created is not called for it. It answers the
// URL and what the server made of the finished file.
func (c *Client) UploadResumable(ctx context.Context, r io.ReaderAt, size int64, m Metadata, o Resumable) (string, *Finished, error) {
	u := o.URL
	var offset int64
	if u != "" {
		off, length, done, err := c.ResumableOffset(ctx, u)
		switch {
		case err == nil && length == size && done != nil:
			if o.Progress != nil {
				o.Progress(size)
			}
			return u, done, nil
		case err == nil && length == size:
			offset = off
		case err == nil || goneUpload(err):
			u = "" // another file's, or the server dropped it: begin again
		default:
			return u, nil, err
		}
	}
	failures := 0
	if u == "" && size > 0 && size <= c.chunk {
		// One piece: in the creation's request, sent again whole if cut.
		for {
			if o.Progress != nil {
				o.Progress(0)
			}
			sum := o.SHA256
			if sum == nil {
				h := sha256.New()
				if _, err := io.Copy(h, io.NewSectionReader(r, 0, size)); err != nil {
					return "", nil, fmt.Errorf("client: read the file: %w", err)
				}
				sum = h.Sum(nil)
			}
			u, off, done, err := c.create(ctx, size, m, io.NewSectionReader(r, 0, size), sum)
			if err == nil && done != nil {
				if o.Progress != nil {
					o.Progress(off)
				}
				return u, done, nil
			}
			if err == nil {
				return u, nil, fmt.Errorf("client: %s: complete but the server named no upload", u)
			}
			if ctx.Err() != nil || !retryable(err) || failures >= 5 {
				return "", nil, err
			}
			failures++
			if !sleep(ctx, backoff(err, failures)) {
				return "", nil, ctx.Err()
			}
		}
	}
	if u == "" {
		var err error
		if u, err = c.CreateResumable(ctx, size, m); err != nil {
			return "", nil, err
		}
		if o.Created != nil {
			o.Created(u)
		}
	}
	if o.Progress != nil {
		o.Progress(offset)
	}
	for {
		n := min(c.chunk, size-offset)
		next, done, err := c.Patch(ctx, u, offset, r, n)
		if err != nil {
			if ctx.Err() != nil || !retryable(err) || failures >= 5 {
				return u, nil, err
			}
			failures++
			if !sleep(ctx, backoff(err, failures)) {
				return u, nil, ctx.Err()
			}
			if next, _, done, err = c.ResumableOffset(ctx, u); err != nil {
				return u, nil, err
			}
			if done != nil {
				return u, done, nil
			}
			offset = next
			continue
		}
		failures = 0
		offset = next
		if o.Progress != nil {
			o.Progress(offset)
		}
		if done != nil {
			return u, done, nil
		}
		if offset >= size {
			return u, nil, fmt.Errorf("client: %s: complete but the server named no upload", u)
		}
	}
}

// goneUpload tells whether the server no longer has the upload.
func goneUpload(err error) bool {
	var e *Error
	return errors.As(err, &e) && (e.Status == http.StatusNotFound || e.Status == http.StatusGone)
}

// retryable tells whether a PATCH may be sent again: a broken connection,
// a conflict of offsets, a failed checksum, or the server busy.
func retryable(err error) bool {
	var e *Error
	if errors.As(err, &e) {
		switch e.Status {
		case http.StatusConflict, 460, http.StatusTooManyRequests, http.StatusBadGateway,
			http.StatusServiceUnavailable, http.StatusGatewayTimeout, http.StatusRequestTimeout:
			return true
		}
		return false
	}
	return true // the network's
}

// backoff is the wait before the failures-th retry: the server's
// Retry-After, or half a second more each time.
func backoff(err error, failures int) time.Duration {
	var e *Error
	if errors.As(err, &e) && e.RetryAfter > 0 {
		return e.RetryAfter
	}
	return time.Duration(failures) * 500 * time.Millisecond
}

func sleep(ctx context.Context, d time.Duration) bool {
	t := time.NewTimer(d)
	defer t.Stop()
	select {
	case <-ctx.Done():
		return false
	case <-t.C:
		return true
	}
}

func decodeJSON(res *http.Response, out any) error {
	if err := json.NewDecoder(res.Body).Decode(out); err != nil {
		return fmt.Errorf("client: %s %s: read the answer: %w", res.Request.Method, res.Request.URL.Path, err)
	}
	return nil
}
