// Package servertest runs the real damask binary for tests, as an operator
// would: it builds the command, starts `damask serve` on a data folder,
// kills it with SIGKILL or stops it with SIGINT, runs one-shot commands,
// and talks to the API as a signed-in user.
package servertest

import (
	"bufio"
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/textproto"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"syscall"
	"testing"
	"time"
)

// AdminPassword is the password of the default account's holder, `admin`,
// in every server this package starts.
const AdminPassword = "servertest-admin-password"

// builds are the binaries built so far, by build tags.
var builds struct {
	sync.Mutex
	path map[string]string
	dirs []string
}

// Build builds damask/cmd/damask once per set of build tags (besides
// sqlite_fts5, which is always on) and answers the binary's path. It is
// built with -race when the tests run with it. Call Cleanup from TestMain
// to remove the binaries.
func Build(t testing.TB, tags ...string) string {
	t.Helper()
	key := strings.Join(append([]string{"sqlite_fts5"}, tags...), ",")
	builds.Lock()
	defer builds.Unlock()
	if p, ok := builds.path[key]; ok {
		return p
	}
	dir, err := os.MkdirTemp("", "damask-bin-")
	if err != nil {
		t.Fatalf("building damask: %v", err)
	}
	builds.dirs = append(builds.dirs, dir)
	p := filepath.Join(dir, "damask")
	args := []string{"build", "-tags", key, "-o", p}
	if raceEnabled {
		args = append(args, "-race")
	}
	out, err := exec.Command("go", append(args, "damask/cmd/damask")...).CombinedOutput()
	if err != nil {
		t.Fatalf("go build: %v\n%s", err, out)
	}
	if builds.path == nil {
		builds.path = map[string]string{}
	}
	builds.path[key] = p
	return p
}

// Cleanup removes the binaries Build made.
func Cleanup() {
	builds.Lock()
	defer builds.Unlock()
	for _, d := range builds.dirs {
		os.RemoveAll(d)
	}
	builds.dirs, builds.path = nil, nil
}

// CleanEnv is the test process's environment without DAMASK_ variables, so
// that an operator's settings never leak into a server under test, and
// with extra added.
func CleanEnv(extra ...string) []string {
	var env []string
	for _, kv := range os.Environ() {
		if !strings.HasPrefix(kv, "DAMASK_") {
			env = append(env, kv)
		}
	}
	return append(env, extra...)
}

// Server is a running damask process.
type Server struct {
	t      testing.TB
	cmd    *exec.Cmd
	Addr   string // host:port it listens on, "" for a process that does not
	stderr LockedBuffer
	done   chan struct{} // closed when the process has exited
	err    error         // its exit status, once done
	// killing is set just before SIGKILL: a connection that breaks
	// earlier is a failure of the server, not of the test's crash.
	killing atomic.Bool
}

// LockedBuffer is a bytes.Buffer that many goroutines may use at once: a
// process's output, written as it runs, read by the test meanwhile.
type LockedBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (b *LockedBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.Write(p)
}

func (b *LockedBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.b.String()
}

// Serve starts `damask serve --data data` on a port of the kernel's
// choosing, with the extra arguments, and waits until it listens.
func Serve(t testing.TB, bin, data string, extra ...string) *Server {
	t.Helper()
	return Start(t, bin, nil, "Damask is listening on ", append([]string{"serve", "--data", data, "--addr", "127.0.0.1:0"}, extra...)...)
}

// Start runs the binary with args in a clean environment plus env (the
// holder's password is always set to AdminPassword) and waits until it
// prints a line starting with ready; the rest of that line is its
// address, if any. The process is killed when the test ends, and its log
// shown if the test failed.
func Start(t testing.TB, bin string, env []string, ready string, args ...string) *Server {
	t.Helper()
	cmd := exec.Command(bin, args...)
	cmd.Env = CleanEnv(append([]string{"DAMASK_ADMIN_PASSWORD=" + AdminPassword}, env...)...)
	s := &Server{t: t, cmd: cmd, done: make(chan struct{})}
	cmd.Stderr = &s.stderr
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), ready); ok {
				addrc <- strings.TrimSpace(a)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() {
		s.err = cmd.Wait()
		close(s.done)
	}()
	t.Cleanup(func() {
		select {
		case <-s.done:
		default:
			cmd.Process.Kill()
			<-s.done
		}
		if t.Failed() {
			t.Logf("damask %s log:\n%s", args[0], s.Log())
		}
	})
	select {
	case s.Addr = <-addrc:
	case <-s.done:
		t.Fatalf("damask %s exited before it was ready: %v\n%s", args[0], s.err, s.Log())
	case <-time.After(2 * time.Minute):
		t.Fatalf("damask %s was not ready within 2 minutes\n%s", args[0], s.Log())
	}
	return s
}

// URL is the address of path on the server.
func (s *Server) URL(path string) string { return "http://" + s.Addr + path }

// Log is what the process has written to its standard error so far.
func (s *Server) Log() string { return s.stderr.String() }

// PID is the process id, for what the test reads of the process from
// /proc (its memory, its children).
func (s *Server) PID() int { return s.cmd.Process.Pid }

// Done is closed when the process has exited.
func (s *Server) Done() <-chan struct{} { return s.done }

// Err is the process's exit status, once Done is closed.
func (s *Server) Err() error { return s.err }

// Killing reports whether Kill has been called: a connection that broke
// earlier is the server's failure, not the test's crash.
func (s *Server) Killing() bool { return s.killing.Load() }

// Kill sends SIGKILL and waits until the process is gone. It may run on
// any goroutine.
func (s *Server) Kill() {
	s.killing.Store(true)
	if err := s.cmd.Process.Signal(syscall.SIGKILL); err != nil {
		s.t.Errorf("kill: %v", err)
	}
	<-s.done
}

// Stop asks the server to shut down as Ctrl-C would and expects a clean
// exit within a minute.
func (s *Server) Stop() {
	s.t.Helper()
	if err := s.cmd.Process.Signal(os.Interrupt); err != nil {
		s.t.Fatalf("interrupt: %v", err)
	}
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.t.Fatal("damask did not stop within a minute of SIGINT")
	}
	if s.err != nil {
		s.t.Fatalf("damask exited with %v\n%s", s.err, s.Log())
	}
}

// CheckLog fails the test on what the server must never log: SQLite's
// lock errors (RELIABILITY 36), panics and, under -race, data races.
func (s *Server) CheckLog() {
	s.t.Helper()
	log := s.Log()
	for _, bad := range []string{"database is locked", "WARNING: DATA RACE", "panic:"} {
		if strings.Contains(log, bad) {
			s.t.Errorf("the server logged %q", bad)
		}
	}
}

// Command runs a one-shot command of the binary in a clean environment
// plus env and answers its combined output.
func Command(t testing.TB, bin string, env []string, args ...string) (string, error) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), 3*time.Minute)
	defer cancel()
	cmd := exec.CommandContext(ctx, bin, args...)
	cmd.Env = CleanEnv(env...)
	out, err := cmd.CombinedOutput()
	return string(out), err
}

// WaitReady polls the API as admin until an authenticated call succeeds.
// The first such call also puts the holder's credentials in the server's
// cache, so that requests that follow do not each pay for argon2id.
func (s *Server) WaitReady(c *http.Client) {
	s.t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		req, _ := http.NewRequest("GET", s.URL("/api/account.xml"), nil)
		req.SetBasicAuth("admin", AdminPassword)
		resp, err := c.Do(req)
		if err == nil {
			io.Copy(io.Discard, resp.Body)
			resp.Body.Close()
			if resp.StatusCode == http.StatusOK {
				return
			}
			err = fmt.Errorf("status %s", resp.Status)
		}
		select {
		case <-s.done:
			s.t.Fatalf("server exited: %v", s.err)
		default:
		}
		if time.Now().After(deadline) {
			s.t.Fatalf("server not ready within 2 minutes: %v", err)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// Client sends requests to a server as a user of an account, chosen by
// host ("" for the default account), with Basic auth or a Bearer token.
type Client struct {
	T     testing.TB
	HTTP  *http.Client
	S     *Server
	Host  string
	Login string
	PW    string
	Token string // when set, sent as Bearer instead of Basic auth
}

// Admin is a client of the default account's holder.
func Admin(t testing.TB, s *Server) Client {
	return Client{T: t, HTTP: &http.Client{Timeout: 5 * time.Minute}, S: s, Login: "admin", PW: AdminPassword}
}

// Request sends a request with the client's credentials and headers given
// as name, value pairs, and answers the status, the headers and the body.
func (c Client) Request(method, path, contentType string, body io.Reader, header ...string) (int, http.Header, []byte) {
	c.T.Helper()
	res := c.send(method, path, contentType, body, header...)
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	return res.StatusCode, res.Header, b
}

// send sends a request with the client's credentials and answers the
// response, whose body the caller closes.
func (c Client) send(method, path, contentType string, body io.Reader, header ...string) *http.Response {
	c.T.Helper()
	req, err := http.NewRequest(method, c.S.URL(path), body)
	if err != nil {
		c.T.Fatal(err)
	}
	if c.Host != "" {
		req.Host = c.Host
	}
	if contentType != "" {
		req.Header.Set("Content-Type", contentType)
	}
	for i := 0; i+1 < len(header); i += 2 {
		req.Header.Set(header[i], header[i+1])
	}
	switch {
	case c.Token != "":
		req.Header.Set("Authorization", "Bearer "+c.Token)
	case c.Login != "":
		req.SetBasicAuth(c.Login, c.PW)
	}
	res, err := c.HTTP.Do(req)
	if err != nil {
		c.T.Fatalf("%s %s: %v", method, path, err)
	}
	return res
}

// Sum GETs path and answers the SHA-256 (hex) and the size of the body,
// streamed rather than held, for files of any size. A status other than
// 200 or a body cut short is an error of the test (Errorf), and a status
// other than 200 answers "", 0.
func (c Client) Sum(path string) (string, int64) {
	c.T.Helper()
	res := c.send("GET", path, "", nil)
	defer res.Body.Close()
	if res.StatusCode != http.StatusOK {
		b, _ := io.ReadAll(res.Body)
		c.T.Errorf("GET %s: %s: %s", path, res.Status, b)
		return "", 0
	}
	h := sha256.New()
	n, err := io.Copy(h, res.Body)
	if err != nil {
		c.T.Errorf("GET %s: %v", path, err)
	}
	return hex.EncodeToString(h.Sum(nil)), n
}

// Do sends a request and answers the status and the body.
func (c Client) Do(method, path, contentType string, body []byte) (int, []byte) {
	c.T.Helper()
	status, _, b := c.Request(method, path, contentType, bytes.NewReader(body))
	return status, b
}

// Must sends a request and fails unless the status is want.
func (c Client) Must(want int, method, path, contentType string, body []byte) []byte {
	c.T.Helper()
	status, b := c.Do(method, path, contentType, body)
	if status != want {
		c.T.Fatalf("%s %s: %d, want %d: %s", method, path, status, want, b)
	}
	return b
}

// Form posts fields given as name, value pairs and, when name is not "",
// a file of that name, and fails unless the status is want.
func (c Client) Form(want int, method, path, name string, data []byte, kv ...string) []byte {
	c.T.Helper()
	body, contentType := Multipart(name, data, kv...)
	return c.Must(want, method, path, contentType, body)
}

// Multipart is a multipart/form-data body of fields given as name, value
// pairs and, when name is not "", a file part "file" of that name.
func Multipart(name string, data []byte, kv ...string) (body []byte, contentType string) {
	return MultipartAs(name, "", data, kv...)
}

// MultipartAs is Multipart with the file part's Content-Type claimed, or
// application/octet-stream when "". The file's name is quoted as a Go
// string, so that a hostile name's bytes (NUL, CR, LF) reach the header
// escaped rather than raw.
func MultipartAs(name, claimed string, data []byte, kv ...string) (body []byte, contentType string) {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		mw.WriteField(kv[i], kv[i+1])
	}
	if name != "" {
		if claimed == "" {
			claimed = "application/octet-stream"
		}
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="file"; filename=%q`, name))
		h.Set("Content-Type", claimed)
		w, _ := mw.CreatePart(h)
		w.Write(data)
	}
	mw.Close()
	return buf.Bytes(), mw.FormDataContentType()
}
