package hardening

// Helpers of the hostile-file and hostile-name items (2 to 15): a loopback
// canary, waiting for an asset's processing, the server's memory, the
// files under the data folder, and a signed-in web session.

import (
	"bufio"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"hash/crc32"
	"io"
	"io/fs"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
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
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
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
	return c
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

// state is what an asset document says of its processing.
type procState struct {
	ID         int64  `xml:"id"`
	Filename   string `xml:"filename"`
	Processing string `xml:"processing"`
	Error      string `xml:"processing_error"`
	ThumbURL   string `xml:"thumb_url"`
	PreviewURL string `xml:"preview_url"`
}

// waitProcessed polls the asset until its processing is no longer
// pending, for up to five minutes (the machine may be slow and busy), and
// answers its state.
func (l *library) waitProcessed(t *testing.T, id int64) procState {
	t.Helper()
	deadline := time.Now().Add(5 * time.Minute)
	for {
		b := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/%d.xml", id), "", nil)
		var s procState
		if err := xml.Unmarshal(b, &s); err != nil {
			t.Fatalf("asset %d: %v: %s", id, err, b)
		}
		if s.Processing != "pending" {
			return s
		}
		if time.Now().After(deadline) {
			t.Fatalf("asset %d still pending after 5 minutes", id)
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
		info, err := d.Info()
		if err != nil {
			return err
		}
		if !info.Mode().IsRegular() {
			t.Errorf("blob tree holds %s, not a regular file (%v)", rel, info.Mode())
		}
		name := filepath.Base(rel)
		if !blobName.MatchString(name) || rel != filepath.Join(name[0:2], name[2:4], name) {
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

// bombPNG is a valid PNG signature and IHDR declaring w x h RGB pixels,
// and a tiny IDAT, as a decompression bomb would be.
func bombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		b.WriteString(typ)
		crc.Write([]byte(typ))
		b.Write(data)
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// readSample reads a sample file of the media package's testdata.
func readSample(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("..", "media", "testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// session is a browser's cookie jar signed in to the web pages.
type pageSession struct {
	t    *testing.T
	l    *library
	http *http.Client
}

var csrfInput = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// signIn signs in to the pages through the sign-in form, as a browser
// would, as the default account's holder.
func (l *library) signIn(t *testing.T) *pageSession {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	s := &pageSession{t: t, l: l, http: &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
	_, _, form := s.get("/signin")
	res, _, body := s.post("/signin", url.Values{"csrf": {s.csrf(form)}, "login": {"admin"}, "password": {servertest.AdminPassword}})
	if res != http.StatusSeeOther {
		t.Fatalf("sign in: %d: %s", res, body)
	}
	return s
}

// csrf is the CSRF token of the page's first form.
func (s *pageSession) csrf(page string) string {
	s.t.Helper()
	m := csrfInput.FindStringSubmatch(page)
	if m == nil {
		s.t.Fatalf("no CSRF token in the page:\n%s", page)
	}
	return m[1]
}

func (s *pageSession) do(req *http.Request) (int, http.Header, string) {
	s.t.Helper()
	res, err := s.http.Do(req)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		s.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return res.StatusCode, res.Header, string(b)
}

// get fetches a page and answers its status, headers and body.
func (s *pageSession) get(path string) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest("GET", s.l.URL(path), nil)
	if err != nil {
		s.t.Fatal(err)
	}
	return s.do(req)
}

// post sends a form as a same-origin browser would.
func (s *pageSession) post(path string, form url.Values) (int, http.Header, string) {
	s.t.Helper()
	req, err := http.NewRequest("POST", s.l.URL(path), strings.NewReader(form.Encode()))
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	req.Header.Set("Origin", "http://"+s.l.Addr)
	req.Header.Set("Sec-Fetch-Site", "same-origin")
	return s.do(req)
}
