package metadata

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"regexp"
	"strings"
	"time"

	"damask/subproc"
)

// Errors a caller can tell apart with errors.Is. The error's text carries
// the reason (exiftool's or ffprobe's message), fit for a processing record.
var (
	ErrUnreadable = errors.New("unreadable file")           // empty, truncated, corrupt, or not media
	ErrTimeout    = errors.New("tool timed out")            // the child was killed
	ErrTooLarge   = errors.New("metadata over the limit")   // a tool's answer passed its cap
	ErrBadPath    = errors.New("path refused")              // newline, NUL, not a regular file
	ErrUnsafeTool = errors.New("unsafe or unknown version") // exiftool older than MinExifToolVersion
)

// safePath returns path made absolute, so that no tool reads it as an
// option (a name like "-evil.jpg" becomes "/dir/-evil.jpg"). It refuses
// names with a newline, carriage return or NUL, which would split
// exiftool's argument lines, and anything but a regular file (a FIFO or a
// device would block a tool forever).
func safePath(path string) (string, error) {
	if path == "" || strings.ContainsAny(path, "\n\r\x00") {
		return "", fmt.Errorf("path %q: control character: %w", path, ErrBadPath)
	}
	abs, err := filepath.Abs(path)
	if err != nil {
		return "", fmt.Errorf("path %q: %w", path, ErrBadPath)
	}
	fi, err := os.Stat(abs)
	if err != nil {
		return "", fmt.Errorf("stat: %w", err)
	}
	if !fi.Mode().IsRegular() {
		return "", fmt.Errorf("%s is not a regular file: %w", filepath.Base(abs), ErrBadPath)
	}
	return abs, nil
}

// runBounded runs a tool under the memory limit mem (see package subproc:
// no shell, a minimal environment, memory, CPU time and file size bounded),
// reading at most limit bytes of its standard output; past that the tool is
// killed and truncated is true. The tool's process group is killed when ctx
// ends or after timeout. stderr keeps its first 4 KiB for the error
// message. A tool stopped by a limit gives an error wrapping both
// ErrUnreadable and subproc.ErrLimit.
func runBounded(ctx context.Context, timeout time.Duration, mem int64, limit int, name string, args ...string) (out []byte, truncated bool, err error) {
	ctx, cancel := context.WithTimeout(ctx, timeout)
	defer cancel()
	lim := subproc.Limits{Memory: mem, CPU: timeout + time.Second}
	cmd := subproc.Command(ctx, lim, name, args...)
	var stderr capBuffer
	stderr.max = 4 << 10
	cmd.Stderr = &stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, false, err
	}
	if err := cmd.Start(); err != nil {
		return nil, false, fmt.Errorf("start %s: %w", name, err)
	}
	out, rerr := io.ReadAll(io.LimitReader(stdout, int64(limit)+1))
	if len(out) > limit {
		out, truncated = out[:limit], true
		subproc.Kill(cmd)
	}
	werr := cmd.Wait()
	switch {
	case ctx.Err() == context.DeadlineExceeded:
		return nil, false, fmt.Errorf("%s: no answer in %v, killed: %w", name, timeout, ErrTimeout)
	case ctx.Err() != nil:
		return nil, false, fmt.Errorf("%s: %w", name, ctx.Err())
	case truncated:
		return out, true, nil
	case werr != nil:
		if why := subproc.Explain(name, cmd.ProcessState, stderr.String(), lim); why != nil {
			return nil, false, fmt.Errorf("%w: %w", why, ErrUnreadable)
		}
		if msg := ffmpegPrefix.ReplaceAllString(firstLine(stderr.String()), ""); msg != "" {
			return nil, false, fmt.Errorf("%s: %s: %w", name, msg, ErrUnreadable)
		}
		return nil, false, fmt.Errorf("%s: %w: %w", name, werr, ErrUnreadable)
	case rerr != nil:
		return nil, false, fmt.Errorf("%s: read: %w", name, rerr)
	}
	return out, false, nil
}

// ffmpegPrefix is the "[mov,mp4,... @ 0x55d0c3a0] " before ffmpeg's
// messages: an address that would make every reason distinct.
var ffmpegPrefix = regexp.MustCompile(`^\[[^\]]* @ 0x[0-9a-f]+\] `)

// capBuffer keeps the first max bytes written and discards the rest
// without failing, so a chatty tool never blocks on its stderr.
type capBuffer struct {
	bytes.Buffer
	max int
}

func (b *capBuffer) Write(p []byte) (int, error) {
	if room := b.max - b.Len(); room > 0 {
		b.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
