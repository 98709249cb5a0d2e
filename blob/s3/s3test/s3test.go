// Package s3test starts a real S3 server for tests: versitygw, serving a
// temporary folder on a free loopback port, stopped when the test ends.
// scripts/setup.sh test installs versitygw; without it a test fails, saying so.
//
// versitygw keeps each object as a plain file, DIR/BUCKET/KEY, so that a
// test can look at stored bytes, or damage them, behind the server's back;
// Stop and Restart play an S3 service going away and coming back.
package s3test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"errors"
	"fmt"
	"net"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"sync"
	"syscall"
	"testing"
	"time"
)

// Version is the versitygw that scripts/setup.sh test installs.
const Version = "v1.8.0"

// Bucket is the bucket of the URL that Start answers.
const Bucket = "damask"

// Server is a running versitygw.
type Server struct {
	// Addr is the server's host:port on the loopback interface.
	Addr string
	// AccessKey and SecretKey are the root account's keys.
	AccessKey, SecretKey string
	// Dir is the folder served: bucket B's object K is the file Dir/B/K.
	Dir string

	bin    string
	t      testing.TB
	mu     sync.Mutex
	cmd    *exec.Cmd // nil while stopped
	exited chan struct{}
	out    *syncBuffer
}

// Start starts a server and answers the URL of a store in its bucket
// "damask" (blob/s3 creates the bucket when it opens the store) and the
// folder where that bucket's objects will be plain files: a file's blob
// ab/cd/abcd… is dir/ab/cd/abcd….
func Start(t testing.TB) (url, dir string) {
	t.Helper()
	s := StartServer(t)
	return s.URL(Bucket), filepath.Join(s.Dir, Bucket)
}

// URL is the store URL of a bucket of the server, for blob/s3's Open.
func (s *Server) URL(bucket string) string {
	u := url.URL{
		Scheme:   "s3",
		User:     url.UserPassword(s.AccessKey, s.SecretKey),
		Host:     s.Addr,
		Path:     "/" + bucket,
		RawQuery: "region=us-east-1&tls=false",
	}
	return u.String()
}

// StartServer starts a server on its own temporary folder and stops it
// when the test ends.
func StartServer(t testing.TB) *Server {
	t.Helper()
	bin, err := Binary()
	if err != nil {
		t.Fatal(err)
	}
	s := &Server{AccessKey: randomKey(10), SecretKey: randomKey(20), Dir: t.TempDir(), bin: bin, t: t, out: &syncBuffer{}}
	// A free port found by listening may be taken by someone else before
	// versitygw listens on it: try a few.
	var errs []error
	for range 5 {
		port, err := freePort()
		if err == nil {
			err = s.start(net.JoinHostPort("127.0.0.1", strconv.Itoa(port)))
		}
		if err == nil {
			t.Cleanup(func() {
				s.Stop()
				if t.Failed() {
					t.Logf("versitygw output:\n%s", s.out)
				}
			})
			return s
		}
		errs = append(errs, err)
	}
	t.Fatalf("start versitygw: %v", errors.Join(errs...))
	return nil
}

// Stop stops the server, as a crash of the S3 service would; its folder
// stays. Requests fail until Restart. Stopping a stopped server does
// nothing.
func (s *Server) Stop() {
	s.mu.Lock()
	defer s.mu.Unlock()
	if s.cmd == nil {
		return
	}
	s.cmd.Process.Signal(syscall.SIGTERM)
	select {
	case <-s.exited:
	case <-time.After(10 * time.Second):
		s.cmd.Process.Kill()
		<-s.exited
	}
	s.cmd = nil
}

// Restart starts a stopped server again on the same address and folder.
func (s *Server) Restart() {
	s.t.Helper()
	s.mu.Lock()
	running := s.cmd != nil
	s.mu.Unlock()
	if running {
		return
	}
	if err := s.start(s.Addr); err != nil {
		s.t.Fatalf("restart versitygw: %v", err)
	}
}

// Binary finds versitygw: in PATH, in $GOBIN, or in GOPATH's bin folders
// (where `go install` puts it, whether or not that folder is in PATH).
func Binary() (string, error) {
	if p, err := exec.LookPath("versitygw"); err == nil {
		return p, nil
	}
	var dirs []string
	if gobin := os.Getenv("GOBIN"); gobin != "" {
		dirs = append(dirs, gobin)
	}
	gopath := os.Getenv("GOPATH")
	if gopath == "" {
		if out, err := exec.Command("go", "env", "GOPATH").Output(); err == nil {
			gopath = string(bytes.TrimSpace(out))
		}
	}
	if gopath == "" {
		if home, err := os.UserHomeDir(); err == nil {
			gopath = filepath.Join(home, "go")
		}
	}
	for _, p := range filepath.SplitList(gopath) {
		dirs = append(dirs, filepath.Join(p, "bin"))
	}
	for _, d := range dirs {
		p := filepath.Join(d, "versitygw")
		if fi, err := os.Stat(p); err == nil && fi.Mode().IsRegular() && fi.Mode().Perm()&0o111 != 0 {
			return p, nil
		}
	}
	return "", fmt.Errorf("versitygw %s is not installed (looked in PATH and %v): run scripts/setup.sh test", Version, dirs)
}

// start runs versitygw on addr and waits until it answers.
func (s *Server) start(addr string) error {
	cmd := exec.Command(s.bin, "--quiet", "--port", addr, "posix", s.Dir)
	cmd.Env = append(os.Environ(),
		"ROOT_ACCESS_KEY="+s.AccessKey,
		"ROOT_SECRET_KEY="+s.SecretKey,
	)
	cmd.Stdout, cmd.Stderr = s.out, s.out
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("run %s: %w", s.bin, err)
	}
	exited := make(chan struct{})
	go func() { cmd.Wait(); close(exited) }()

	// Generous: the machine may be busy. Not a timing assertion: a server
	// that answers sooner goes on sooner.
	deadline := time.Now().Add(30 * time.Second)
	for !answers(addr) {
		select {
		case <-exited:
			return fmt.Errorf("versitygw on %s exited: %s\n%s", addr, cmd.ProcessState, s.out)
		default:
		}
		if time.Now().After(deadline) {
			cmd.Process.Kill()
			<-exited
			return fmt.Errorf("versitygw on %s did not answer within 30 s:\n%s", addr, s.out)
		}
		time.Sleep(20 * time.Millisecond)
	}
	select {
	case <-exited: // someone else answered on that port
		return fmt.Errorf("versitygw on %s exited: %s\n%s", addr, cmd.ProcessState, s.out)
	case <-time.After(50 * time.Millisecond):
	}
	s.mu.Lock()
	s.Addr, s.cmd, s.exited = addr, cmd, exited
	s.mu.Unlock()
	return nil
}

// answers tells whether an HTTP server answers at addr (any status: an
// S3 server answers an unsigned request with 403).
func answers(addr string) bool {
	ctx, cancel := context.WithTimeout(context.Background(), time.Second)
	defer cancel()
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, "http://"+addr+"/", nil)
	if err != nil {
		return false
	}
	resp, err := http.DefaultClient.Do(req)
	if err != nil {
		return false
	}
	resp.Body.Close()
	return true
}

func freePort() (int, error) {
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		return 0, fmt.Errorf("find a free port: %w", err)
	}
	defer l.Close()
	return l.Addr().(*net.TCPAddr).Port, nil
}

// randomKey makes n random bytes in hex: keys safe in a URL as they are.
func randomKey(n int) string {
	b := make([]byte, n)
	rand.Read(b)
	return hex.EncodeToString(b)
}

// syncBuffer collects the server's output, written by exec's goroutines.
type syncBuffer struct {
	mu  sync.Mutex
	buf bytes.Buffer
}

func (b *syncBuffer) Write(p []byte) (int, error) {
	b.mu.Lock()
	defer b.mu.Unlock()
	if b.buf.Len() > 1<<20 { // keep the start, where a failure to start shows
		return len(p), nil
	}
	return b.buf.Write(p)
}

func (b *syncBuffer) String() string {
	b.mu.Lock()
	defer b.mu.Unlock()
	return b.buf.String()
}
