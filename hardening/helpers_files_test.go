package hardening

// Helpers of the hostile-file and hostile-name items (2 to 15): a loopback
// canary, waiting for an asset's processing, the server's memory and the
// files under the data folder. The web client (browser) is with the
// helpers of the client items, in helpers_clients_test.go.

import (
	"bufio"
	"encoding/xml"
	"fmt"
	"io"
	"io/fs"
	"net"
	"net/http"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"damask/servertest"
)

// loopCanary is a TCP listener on loopback that records every connection
// and the first bytes sent on it: hostile files point at it, and it must
// never hear from them.
type loopCanary struct {
	ln    net.Listener
	mu    sync.Mutex
	got   []string      // what each connection sent first
	probe chan struct{} // a connection from the canary's own probe arrived
}

func newLoopCanary(t *testing.T) *loopCanary {
	t.Helper()
	c, err := newCanaryOn(t, "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	return c
}

// newCanaryOn is a canary listening on addr (another loopback address,
// [::1]), or an error when the machine has no such address.
func newCanaryOn(t *testing.T, addr string) (*loopCanary, error) {
	t.Helper()
	ln, err := net.Listen("tcp", addr)
	if err != nil {
		return nil, err
	}
	c := &loopCanary{ln: ln, probe: make(chan struct{}, 1)}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			go c.serve(conn)
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c, nil
}

const canaryProbe = "CANARY-PROBE\n"

func (c *loopCanary) serve(conn net.Conn) {
	defer conn.Close()
	conn.SetReadDeadline(time.Now().Add(10 * time.Second))
	line, _ := bufio.NewReader(conn).ReadString('\n')
	if line == canaryProbe {
		c.probe <- struct{}{}
		return
	}
	c.mu.Lock()
	c.got = append(c.got, line)
	c.mu.Unlock()
	// Answer like a web server, so that a client that got this far would
	// go on and show that it did.
	io.WriteString(conn, "HTTP/1.0 200 OK\r\nContent-Type: image/png\r\n\r\n")
}

// addr is the canary's host:port.
func (c *loopCanary) addr() string { return c.ln.Addr().String() }

// url is an http URL on the canary.
func (c *loopCanary) url(path string) string { return "http://" + c.addr() + path }

// assertSilent fails the test if anything but the canary's own probe
// connected. The probe is sent and waited for first: the listener accepts
// in order, so a connection made before it has been recorded by then,
// without any sleep.
func (c *loopCanary) assertSilent(t *testing.T) {
	t.Helper()
	conn, err := net.Dial("tcp", c.addr())
	if err != nil {
		t.Fatalf("canary probe: %v", err)
	}
	io.WriteString(conn, canaryProbe)
	select {
	case <-c.probe:
	case <-time.After(time.Minute):
		t.Fatal("the canary's probe never arrived")
	}
	conn.Close()
	c.mu.Lock()
	defer c.mu.Unlock()
	if len(c.got) > 0 {
		t.Errorf("the canary was reached %d times: %q", len(c.got), c.got)
	}
}

// procState is what an asset document says of its processing.
type procState struct {
	ID         int64  `xml:"id"`
	Filename   string `xml:"filename"`
	Processing string `xml:"processing"`
	Error      string `xml:"processing_error"`
	ThumbURL   string `xml:"thumb_url"`
	PreviewURL string `xml:"preview_url"`
}

// assetState reads, as c, what asset id's document says of its processing
// now.
func assetState(t *testing.T, c servertest.Client, id string) procState {
	t.Helper()
	b := c.Must(http.StatusOK, "GET", "/api/assets/"+id+".xml", "", nil)
	var s procState
	if err := xml.Unmarshal(b, &s); err != nil {
		t.Fatalf("asset %s: %v: %s", id, err, b)
	}
	return s
}

// waitProcessed polls the asset as c until its background processing has
// ended (its renditions exist and its document stays still), for up to
// five minutes (the machine may be slow and busy), and answers its state.
func waitProcessed(t *testing.T, c servertest.Client, id string) procState {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		s := assetState(t, c, id)
		if s.Processing != "pending" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %s still pending after 5 minutes", id)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// memory answers the server's resident memory now and its peak (VmRSS and
// VmHWM of /proc/PID/status), in bytes.
func serverMemory(t *testing.T, s *servertest.Server) (rss, peak int64) {
	t.Helper()
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", s.PID()))
	if err != nil {
		t.Fatalf("read the server's memory: %v", err)
	}
	for _, line := range strings.Split(string(b), "\n") {
		name, v, ok := strings.Cut(line, ":")
		if !ok || (name != "VmRSS" && name != "VmHWM") {
			continue
		}
		kb, err := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
		if err != nil {
			t.Fatalf("%s: %v", line, err)
		}
		if name == "VmRSS" {
			rss = kb << 10
		} else {
			peak = kb << 10
		}
	}
	if rss == 0 || peak == 0 {
		t.Fatalf("no VmRSS or VmHWM in /proc/%d/status", s.PID())
	}
	return rss, peak
}

var blobName = regexp.MustCompile(`^[0-9a-f]{64}$`)

// blobFiles lists the regular files under the data folder's blob tree
// (the folder of files being written left out) by path relative to it,
// with their sizes, and fails the test on anything there that is not a
// content-addressed blob at its place.
func blobFiles(t *testing.T, data string) map[string]int64 {
	t.Helper()
	root := filepath.Join(data, "blobs")
	files := map[string]int64{}
	err := filepath.WalkDir(root, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(root, p)
		if d.IsDir() {
			if rel == ".tmp" {
				return filepath.SkipDir
			}
			return nil
		}
		if rel == ".layout" { // the store's record of its fan-out
			return nil
		}
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			t.Errorf("blob tree holds %s, not a regular file (%v)", rel, info.Mode())
		}
		name := filepath.Base(rel)
		if !blobName.MatchString(name) || rel != filepath.Join(name[0:2], name) {
			t.Errorf("blob tree holds %s, not a key the server made", rel)
		}
		files[rel] = info.Size()
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", root, err)
	}
	return files
}

// dataFiles lists every path under the data folder, relative to it.
func dataFiles(t *testing.T, data string) []string {
	t.Helper()
	var all []string
	err := filepath.WalkDir(data, func(p string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		rel, _ := filepath.Rel(data, p)
		all = append(all, rel)
		return nil
	})
	if err != nil {
		t.Fatalf("walk %s: %v", data, err)
	}
	return all
}

// assertAbsent fails the test for each path that exists: the files a
// hostile sample would have made had it run.
func assertAbsent(t *testing.T, paths ...string) {
	t.Helper()
	for _, p := range paths {
		if _, err := os.Lstat(p); err == nil {
			t.Errorf("%s exists: the hostile file ran", p)
		} else if !os.IsNotExist(err) {
			t.Errorf("%s: %v", p, err)
		}
	}
}
