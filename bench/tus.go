package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"time"
)

// tusPiece is the size of each PATCH of a resumable upload, as the web
// page sends them.
const tusPiece = 64 << 20

// tusPost sends the file by the tus protocol to base + /api/uploads/tus/,
// in PATCHes of tusPiece, and answers the time from the creation to the
// last answer.
func tusPost(ctx context.Context, base, path string, auth func(*http.Request)) (time.Duration, error) {
	f, err := os.Open(path)
	if err != nil {
		return 0, err
	}
	defer f.Close()
	st, err := f.Stat()
	if err != nil {
		return 0, err
	}
	size := st.Size()
	do := func(method, u string, body io.Reader, n int64, h ...string) (*http.Response, error) {
		req, err := http.NewRequestWithContext(ctx, method, u, body)
		if err != nil {
			return nil, err
		}
		req.ContentLength = n
		req.Header.Set("Tus-Resumable", "1.0.0")
		for i := 0; i+1 < len(h); i += 2 {
			req.Header.Set(h[i], h[i+1])
		}
		auth(req)
		res, err := http.DefaultClient.Do(req)
		if err != nil {
			return nil, fmt.Errorf("%s %s: %w", method, u, err)
		}
		io.Copy(io.Discard, res.Body)
		res.Body.Close()
		return res, nil
	}
	t0 := time.Now()
	res, err := do(http.MethodPost, base+"/api/uploads/tus/", nil, 0, "Upload-Length", strconv.FormatInt(size, 10),
		"Upload-Metadata", "filename YmlnLmJpbg==")
	if err != nil {
		return 0, err
	}
	if res.StatusCode != http.StatusCreated {
		return 0, fmt.Errorf("tus creation: %s", res.Status)
	}
	loc := base + res.Header.Get("Location")
	for off := int64(0); off < size; off += tusPiece {
		n := min(tusPiece, size-off)
		res, err := do(http.MethodPatch, loc, io.NewSectionReader(f, off, n), n,
			"Upload-Offset", strconv.FormatInt(off, 10), "Content-Type", "application/offset+octet-stream")
		if err != nil {
			return 0, err
		}
		if res.StatusCode != http.StatusNoContent {
			return 0, fmt.Errorf("tus PATCH at %d: %s", off, res.Status)
		}
	}
	return time.Since(t0), nil
}
