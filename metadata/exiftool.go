package metadata

import (
	"bufio"
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os/exec"
	"slices"
	"strconv"
	"strings"
	"sync"
	"time"
	"unicode/utf8"

	"damask/subproc"
)

// MinExifToolVersion is the oldest exiftool accepted: 12.24 fixed
// CVE-2021-22204, code execution from a DjVu annotation.
const MinExifToolVersion = 12.24

// ExifToolConfig configures an ExifTool pool. Zero values take the defaults.
type ExifToolConfig struct {
	Path      string        // the exiftool program; default "exiftool"
	Workers   int           // processes kept running; default 1
	Timeout   time.Duration // per file, on top of the caller's context; default 20s
	MaxOutput int           // bytes of JSON read per file before failing; default 4 MiB
	MaxRaw    int           // bytes of the bounded Raw map (JSON-encoded); default 1 MiB
	MaxField  int           // bytes kept of each string value; default 4 KiB
	MaxList   int           // elements kept of each list value; default 256
	// Memory bounds each exiftool process's address space, in bytes;
	// default subproc.DefaultMemory (1 GiB). A process that runs out dies
	// and is replaced; the file it was reading fails with the reason.
	Memory int64
	// Lazy checks the version and starts the processes at the first
	// file rather than in NewExifTool: a process that reads no file for
	// a while (a server's worker process, whose first jobs of a batch
	// make thumbnails) does not pay Perl's starts, about 80 ms of CPU
	// each, while those jobs run. An exiftool too old is then refused
	// at each read (ErrUnsafeTool).
	Lazy bool
}

func (c *ExifToolConfig) setDefaults() {
	if c.Path == "" {
		c.Path = "exiftool"
	}
	if c.Workers <= 0 {
		c.Workers = 1
	}
	if c.Timeout <= 0 {
		c.Timeout = 20 * time.Second
	}
	if c.MaxOutput <= 0 {
		c.MaxOutput = 4 << 20
	}
	if c.MaxRaw <= 0 {
		c.MaxRaw = 1 << 20
	}
	if c.MaxField <= 0 {
		c.MaxField = 4 << 10
	}
	if c.MaxList <= 0 {
		c.MaxList = 256
	}
}

// ExifTool is a pool of exiftool processes kept running with -stay_open, so
// that a file costs a request line and a JSON answer instead of starting
// Perl (about 80 ms). It is safe for concurrent use; at most Workers files
// are read at once and further callers wait for a free process.
type ExifTool struct {
	cfg     ExifToolConfig
	version float64
	procs   chan *exifProc // free slots; a nil slot starts a process on use
	// checked runs the version check of a Lazy pool once; checkErr is
	// its outcome.
	checked  sync.Once
	checkErr error

	mu     sync.Mutex
	closed bool
}

// NewExifTool checks the installed exiftool's version, refusing one older
// than MinExifToolVersion, and starts cfg.Workers processes.
// With cfg.Lazy it only looks for the program, and the first file does
// the rest.
func NewExifTool(ctx context.Context, cfg ExifToolConfig) (*ExifTool, error) {
	cfg.setDefaults()
	e := &ExifTool{cfg: cfg, procs: make(chan *exifProc, cfg.Workers)}
	if cfg.Lazy {
		// A missing program is still told now, as without Lazy.
		if _, err := exec.LookPath(cfg.Path); err != nil {
			return nil, fmt.Errorf("exiftool: %w", err)
		}
		for range cfg.Workers {
			e.procs <- nil
		}
		return e, nil
	}
	if err := e.check(ctx); err != nil {
		return nil, err
	}
	for range cfg.Workers {
		p, err := startExifProc(cfg.Path, cfg.Memory)
		if err != nil {
			e.Close()
			return nil, err
		}
		e.procs <- p
	}
	return e, nil
}

// Version is the version of the exiftool found, e.g. 12.57 (a Lazy pool
// looks for it now if no file did yet; 0 when it could not be told).
func (e *ExifTool) Version() float64 {
	e.check(context.Background())
	return e.version
}

// check runs, once, the version check, which refuses an exiftool older
// than MinExifToolVersion. Its outcome is kept for every later read, so
// the first reader's going away must not decide it: the check runs
// without ctx's cancellation (exifToolVersion bounds it).
func (e *ExifTool) check(ctx context.Context) error {
	e.checked.Do(func() {
		v, err := exifToolVersion(context.WithoutCancel(ctx), e.cfg.Path)
		if err == nil && v < MinExifToolVersion {
			err = fmt.Errorf("exiftool %.2f is older than %.2f (CVE-2021-22204): %w", v, MinExifToolVersion, ErrUnsafeTool)
		}
		e.version, e.checkErr = v, err
	})
	return e.checkErr
}

func exifToolVersion(ctx context.Context, path string) (float64, error) {
	ctx, cancel := context.WithTimeout(ctx, 10*time.Second)
	defer cancel()
	cmd := subproc.Command(ctx, subproc.Limits{}, path, "-config", "", "-ver")
	out, err := cmd.Output()
	if err != nil {
		return 0, fmt.Errorf("run %s -ver: %w", path, err)
	}
	s := strings.TrimSpace(string(out))
	v, err := strconv.ParseFloat(s, 64)
	if err != nil {
		return 0, fmt.Errorf("exiftool version %q: %w", s, ErrUnsafeTool)
	}
	return v, nil
}

// Read returns exiftool's JSON object for the file at path, with -n
// (numbers, not prose), -G1 (keys as "Group:Tag", e.g. "IFD0:Make") and
// no composite tags (-e; see LensID).
// The object is bounded: strings cut to MaxField bytes, lists to MaxList
// elements, the whole to about MaxRaw bytes; "SourceFile" (a server path)
// is removed. A file exiftool cannot read gives an error with exiftool's
// reason; ErrTimeout when the process had to be killed; ErrTooLarge when
// the answer exceeds MaxOutput.
func (e *ExifTool) Read(ctx context.Context, path string) (map[string]any, error) {
	abs, err := safePath(path)
	if err != nil {
		return nil, err
	}
	return e.read(ctx, abs, []string{
		"-json", "-n", "-G1",
		// No composite tags: working them out is half of exiftool's time
		// per file. The few the mapping needs are worked out from their
		// parts (imageSize, gps, takenAt), and the lens name by LensID.
		"-e",
		"-charset", "filename=utf8",
		"-api", "LargeFileSupport=1",
		"-x", "System:all", // file system facts: paths, owners, times of our copy
		abs,
	})
}

// LensID asks exiftool for the LensID composite alone, as a name: for
// the cameras that give their lens as a maker's number (Canon LensType,
// Nikon LensIDNumber...) and no LensModel. "" when there is none.
func (e *ExifTool) LensID(ctx context.Context, path string) (string, error) {
	abs, err := safePath(path)
	if err != nil {
		return "", err
	}
	raw, err := e.read(ctx, abs, []string{"-json", "-G1", "-charset", "filename=utf8", "-api", "LargeFileSupport=1", "-Composite:LensID", abs})
	if err != nil {
		return "", err
	}
	return str(raw, "Composite:LensID"), nil
}

// read sends one request for the file abs and bounds the answer.
func (e *ExifTool) read(ctx context.Context, abs string, args []string) (map[string]any, error) {
	var err error
	var p *exifProc
	select {
	case p = <-e.procs:
	case <-ctx.Done():
		return nil, fmt.Errorf("exiftool: wait for a process: %w", ctx.Err())
	}
	e.mu.Lock()
	closed := e.closed
	e.mu.Unlock()
	if closed {
		e.procs <- p
		return nil, errors.New("exiftool: pool closed")
	}
	if p == nil || p.dead() {
		if p != nil {
			p.kill()
		}
		if err := e.check(ctx); err != nil {
			e.procs <- nil
			return nil, err
		}
		p, err = startExifProc(e.cfg.Path, e.cfg.Memory)
		if err != nil {
			e.procs <- nil
			return nil, err
		}
	}
	out, stderr, err := p.exchange(ctx, e.cfg.Timeout, e.cfg.MaxOutput, args)
	if err != nil {
		p.kill()
		e.procs <- nil
		return nil, err
	}
	e.procs <- p
	if out == nil {
		return nil, fmt.Errorf("exiftool: answer over %d bytes: %w", e.cfg.MaxOutput, ErrTooLarge)
	}
	var objs []map[string]any
	if err := json.Unmarshal(out, &objs); err != nil || len(objs) != 1 {
		if msg := firstLine(stderr); msg != "" {
			return nil, fmt.Errorf("exiftool: %s: %w", msg, ErrUnreadable)
		}
		return nil, fmt.Errorf("exiftool: unexpected answer (%d bytes): %w", len(out), ErrUnreadable)
	}
	raw := objs[0]
	delete(raw, "SourceFile")
	if msg, _ := raw["ExifTool:Error"].(string); msg != "" {
		return nil, fmt.Errorf("exiftool: %s: %w", msg, ErrUnreadable)
	}
	return boundRaw(raw, e.cfg.MaxField, e.cfg.MaxList, e.cfg.MaxRaw), nil
}

// Close stops the processes, waiting for the ones in use to be returned.
func (e *ExifTool) Close() error {
	e.mu.Lock()
	if e.closed {
		e.mu.Unlock()
		return nil
	}
	e.closed = true
	e.mu.Unlock()
	for range cap(e.procs) {
		if p := <-e.procs; p != nil {
			p.stop()
		}
		// Leave a nil slot so a late Read finds the pool closed, not a
		// blocked channel.
		defer func() { e.procs <- nil }()
	}
	return nil
}

// exifProc is one exiftool -stay_open process.
type exifProc struct {
	cmd    *exec.Cmd
	limits subproc.Limits
	stdin  io.WriteCloser
	stdout *bufio.Reader
	stderr *bufio.Reader
	exited chan struct{} // closed when the process has ended
	seq    int
}

func startExifProc(path string, mem int64) (*exifProc, error) {
	// -config "" ignores any ~/.ExifTool_config, which could load Perl.
	// No CPU limit: the process lives for many files, and each has its
	// time limit in exchange.
	lim := subproc.Limits{Memory: mem}
	cmd := subproc.Command(context.Background(), lim, path, "-config", "", "-stay_open", "True", "-@", "-")
	stdin, err := cmd.StdinPipe()
	if err != nil {
		return nil, err
	}
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	stderr, err := cmd.StderrPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start exiftool: %w", err)
	}
	p := &exifProc{
		cmd:    cmd,
		limits: lim,
		stdin:  stdin,
		stdout: bufio.NewReaderSize(stdout, 64<<10),
		stderr: bufio.NewReaderSize(stderr, 4<<10),
		exited: make(chan struct{}),
	}
	go func() {
		// Wait is called here only; it closes the pipes once the process
		// is gone, which ends any reader still blocked on them.
		cmd.Wait()
		close(p.exited)
	}()
	return p, nil
}

func (p *exifProc) dead() bool {
	select {
	case <-p.exited:
		return true
	default:
		return false
	}
}

func (p *exifProc) kill() {
	subproc.Kill(p.cmd)
	<-p.exited
}

// stop asks exiftool to finish, and kills it if it does not within a second.
func (p *exifProc) stop() {
	io.WriteString(p.stdin, "-stay_open\nFalse\n")
	p.stdin.Close()
	select {
	case <-p.exited:
	case <-time.After(time.Second):
		p.kill()
	}
}

// exchange sends one request and reads stdout and stderr up to the ready
// marker. out is nil when stdout exceeded max (the rest was drained, so
// the process stays usable). Any error means the process must be killed.
func (p *exifProc) exchange(ctx context.Context, timeout time.Duration, max int, args []string) (out []byte, stderr string, err error) {
	p.seq++
	marker := "{ready" + strconv.Itoa(p.seq) + "}"
	var req strings.Builder
	for _, a := range args {
		req.WriteString(a)
		req.WriteByte('\n')
	}
	// -echo4 writes the marker to stderr after the file, so the error
	// stream is read in step with the answer.
	fmt.Fprintf(&req, "-echo4\n%s\n-execute%d\n", marker, p.seq)

	type result struct {
		out    []byte
		stderr []byte
		err    error
	}
	done := make(chan result, 1)
	go func() {
		if _, err := io.WriteString(p.stdin, req.String()); err != nil {
			done <- result{err: fmt.Errorf("exiftool: write request: %w", err)}
			return
		}
		errc := make(chan result, 1)
		go func() {
			b, err := readToMarker(p.stderr, marker, 64<<10)
			errc <- result{stderr: b, err: err}
		}()
		b, err := readToMarker(p.stdout, marker, max)
		r := <-errc
		if err == nil {
			err = r.err
		}
		done <- result{out: b, stderr: r.stderr, err: err}
	}()

	timer := time.NewTimer(timeout)
	defer timer.Stop()
	select {
	case r := <-done:
		if r.err != nil {
			// A closed pipe means the process is ending: give Wait a
			// moment to say how, so that the reason can.
			select {
			case <-p.exited:
			case <-time.After(time.Second):
			}
			code := "running"
			if p.dead() {
				code = p.cmd.ProcessState.String()
				if why := subproc.Explain("exiftool", p.cmd.ProcessState, string(r.stderr), p.limits); why != nil {
					return nil, "", fmt.Errorf("%w: %w", why, ErrUnreadable)
				}
			}
			return nil, "", fmt.Errorf("exiftool died (%s): %w: %w", code, r.err, ErrUnreadable)
		}
		return r.out, string(r.stderr), nil
	case <-timer.C:
		p.kill()
		<-done
		return nil, "", fmt.Errorf("exiftool: no answer in %v, killed: %w", timeout, ErrTimeout)
	case <-ctx.Done():
		p.kill()
		<-done
		return nil, "", fmt.Errorf("exiftool: %w", ctx.Err())
	}
}

// readToMarker reads lines up to one that is exactly marker. It keeps at
// most max bytes; past that it drains and returns nil.
func readToMarker(r *bufio.Reader, marker string, max int) ([]byte, error) {
	var out []byte
	over := false
	atStart := true
	for {
		chunk, err := r.ReadSlice('\n')
		if err != nil && !errors.Is(err, bufio.ErrBufferFull) {
			return append(out, chunk...), err // what came before a crash, for its reason
		}
		complete := err == nil
		if atStart && complete && string(bytes.TrimRight(chunk, "\r\n")) == marker {
			if over {
				return nil, nil
			}
			if out == nil {
				out = []byte{}
			}
			return out, nil
		}
		if len(out)+len(chunk) > max {
			over, out = true, nil
		} else if !over {
			out = append(out, chunk...)
		}
		atStart = complete
	}
}

// boundRaw cuts strings and lists, then drops keys (largest last in key
// order) once the encoded size passes maxRaw.
func boundRaw(raw map[string]any, maxField, maxList, maxRaw int) map[string]any {
	out := make(map[string]any, len(raw))
	size := 2
	for _, k := range sortedKeys(raw) {
		v := boundValue(raw[k], maxField, maxList, 0)
		b, err := json.Marshal(v)
		if err != nil {
			continue
		}
		n := len(k) + len(b) + 4
		if size+n > maxRaw {
			continue
		}
		size += n
		out[k] = v
	}
	return out
}

func boundValue(v any, maxField, maxList, depth int) any {
	switch v := v.(type) {
	case string:
		return truncate(v, maxField)
	case []any:
		if len(v) > maxList {
			v = v[:maxList]
		}
		if depth > 4 {
			return nil
		}
		out := make([]any, len(v))
		for i, x := range v {
			out[i] = boundValue(x, maxField, maxList, depth+1)
		}
		return out
	case map[string]any:
		if depth > 4 {
			return nil
		}
		out := make(map[string]any, min(len(v), maxList))
		for _, k := range sortedKeys(v) {
			if len(out) == maxList {
				break
			}
			out[truncate(k, maxField)] = boundValue(v[k], maxField, maxList, depth+1)
		}
		return out
	default:
		return v
	}
}

// truncate cuts s to at most n bytes on a rune boundary and makes it valid
// UTF-8.
func truncate(s string, n int) string {
	if !utf8.ValidString(s) {
		s = strings.ToValidUTF8(s, "\uFFFD")
	}
	if len(s) <= n {
		return s
	}
	for n > 0 && !utf8.RuneStart(s[n]) {
		n--
	}
	return s[:n]
}

func firstLine(s string) string {
	s = strings.TrimSpace(s)
	if i := strings.IndexByte(s, '\n'); i >= 0 {
		s = s[:i]
	}
	return truncate(s, 300)
}

func sortedKeys(m map[string]any) []string {
	keys := make([]string, 0, len(m))
	for k := range m {
		keys = append(keys, k)
	}
	slices.Sort(keys)
	return keys
}
