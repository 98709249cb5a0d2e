package main

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"os"
	"strconv"
	"syscall"
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
		if _, err := f.Seek(off, io.SeekStart); err != nil {
			return 0, err
		}
		res, err := do(http.MethodPatch, loc, &filePiece{f: f, end: off + n}, n,
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

// filePiece is the bytes of f from its current offset to end, sent as a
// request body the way post sends a whole file: net/http hands a body
// that is a syscall.Conn to sendfile, which copies from f's offset in
// the kernel. An io.SectionReader hid the file, and the client copied
// each piece through a 32 KiB buffer of its own (33,000 writes per GiB
// against 940 sendfile calls): the tus row measured another client than
// the one-request rows beside it. The CPU moves more than it shrinks
// (bench/notes.md, 2026-12-08): the client's 0.4 to 0.5 s per GiB becomes
// 0.2 s, and the server's copy out of the socket costs 0.15 to 0.6 s more,
// its bytes no longer hot from the client's buffer, as from a network.
type filePiece struct {
	f   *os.File
	end int64
}

// Read serves what sendfile leaves: the first bytes, read into the
// buffer that holds the request's headers, and the end of the piece.
func (p *filePiece) Read(b []byte) (int, error) {
	pos, err := p.f.Seek(0, io.SeekCurrent)
	if err != nil {
		return 0, err
	}
	if pos >= p.end {
		return 0, io.EOF
	}
	return p.f.Read(b[:min(int64(len(b)), p.end-pos)])
}

// Close leaves f open for the next piece: the transport closes a body.
func (p *filePiece) Close() error { return nil }

func (p *filePiece) SyscallConn() (syscall.RawConn, error) { return p.f.SyscallConn() }
