package main

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"io"
	"math/rand/v2"
	"net/http"
	"os"
	"path/filepath"
	"sort"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/client"
	"damask/client/clienttest"
)

// The client's commands (login, push, pull, ls, tags) against a real
// server in the test's process.

// watch counts the file bytes the server reads (PATCH and creation
// bodies), the PATCHes answered and the requests under way; after the
// PATCH numbered cancelAt it calls cancel.
type watch struct {
	next     http.Handler
	bytes    atomic.Int64
	patches  atomic.Int64
	inflight atomic.Int64
	cancelAt int64
	cancel   func()
	mu       sync.Mutex
	ranges   []string
}

type counted struct {
	io.ReadCloser
	n *atomic.Int64
}

func (c counted) Read(p []byte) (int, error) {
	n, err := c.ReadCloser.Read(p)
	c.n.Add(int64(n))
	return n, err
}

func (w *watch) ServeHTTP(rw http.ResponseWriter, r *http.Request) {
	w.inflight.Add(1)
	defer w.inflight.Add(-1)
	if strings.HasPrefix(r.URL.Path, "/api/assets/download/") {
		w.mu.Lock()
		w.ranges = append(w.ranges, r.Header.Get("Range"))
		w.mu.Unlock()
	}
	tus := strings.HasPrefix(r.URL.Path, "/api/uploads/tus/")
	if tus && (r.Method == http.MethodPatch || r.Method == http.MethodPost) {
		r.Body = counted{r.Body, &w.bytes}
	}
	w.next.ServeHTTP(rw, r)
	if tus && r.Method == http.MethodPatch {
		if n := w.patches.Add(1); n == w.cancelAt && w.cancel != nil {
			w.cancel()
		}
	}
}

// idle waits until the server has no request under way.
func (w *watch) idle() {
	for w.inflight.Load() > 0 {
		time.Sleep(10 * time.Millisecond)
	}
}

type remote struct {
	t   *testing.T
	s   *clienttest.Server
	w   *watch
	env map[string]string
}

func newRemote(t *testing.T) *remote {
	w := &watch{}
	s := clienttest.Start(t, clienttest.Options{Wrap: func(h http.Handler) http.Handler { w.next = h; return w }})
	return &remote{t: t, s: s, w: w, env: map[string]string{"DAMASK_CONFIG_DIR": filepath.Join(t.TempDir(), "config"), "USER": clienttest.Login}}
}

func (r *remote) runCtx(ctx context.Context, stdin string, args ...string) result {
	var stdout, stderr bytes.Buffer
	err := run(ctx, args, func(k string) string { return r.env[k] }, strings.NewReader(stdin), &stdout, &stderr)
	return result{stdout.String(), stderr.String(), err}
}

func (r *remote) run(args ...string) result { return r.runCtx(context.Background(), "", args...) }

func (r *remote) must(args ...string) string {
	r.t.Helper()
	res := r.run(args...)
	if res.err != nil {
		r.t.Fatalf("%v: %v\nstdout: %s\nstderr: %s", args, res.err, res.stdout, res.stderr)
	}
	return res.stdout
}

func (r *remote) login() {
	r.t.Helper()
	res := r.runCtx(context.Background(), clienttest.Password+"\n", "login", r.s.URL)
	if res.err != nil {
		r.t.Fatalf("login: %v %s", res.err, res.stderr)
	}
}

func (r *remote) admin() *client.Client {
	c, err := client.New(r.s.URL, client.WithBasicAuth(clienttest.Login, clienttest.Password))
	if err != nil {
		r.t.Fatal(err)
	}
	return c
}

// tree writes files of the given sizes under dir (some in subfolders)
// and answers their contents by relative path.
func tree(t *testing.T, dir string, sizes ...int) map[string][]byte {
	files := map[string][]byte{}
	for i, n := range sizes {
		rel := filepath.Join([]string{"", "a", filepath.Join("a", "b")}[i%3], "f"+strconv.Itoa(i)+".bin")
		b := make([]byte, n)
		rand.NewChaCha8([32]byte{byte(i), 9}).Read(b)
		if err := os.MkdirAll(filepath.Dir(filepath.Join(dir, rel)), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(filepath.Join(dir, rel), b, 0o644); err != nil {
			t.Fatal(err)
		}
		files[filepath.ToSlash(rel)] = b
	}
	return files
}

func sumHex(b []byte) string { s := sha256.Sum256(b); return hex.EncodeToString(s[:]) }

// jsonLines reads --json output.
func jsonLines(t *testing.T, out string) []map[string]any {
	var evs []map[string]any
	for l := range strings.SplitSeq(strings.TrimSpace(out), "\n") {
		var m map[string]any
		if err := json.Unmarshal([]byte(l), &m); err != nil {
			t.Fatalf("not JSON: %q", l)
		}
		evs = append(evs, m)
	}
	return evs
}

// TestClientLoginPushPull: login keeps a token (0600 in a 0700 folder);
// push sends a folder with tags, a second push skips everything; ls,
// tags and pull see the files.
func TestClientLoginPushPull(t *testing.T) {
	r := newRemote(t)
	r.login()
	cred := filepath.Join(r.env["DAMASK_CONFIG_DIR"], "credentials.json")
	fi, err := os.Stat(cred)
	if err != nil || fi.Mode().Perm() != 0o600 {
		t.Fatalf("credentials: %v %v", fi, err)
	}
	if di, _ := os.Stat(filepath.Dir(cred)); di.Mode().Perm() != 0o700 {
		t.Fatalf("config folder mode %v", di.Mode())
	}
	var cr credentials
	data, _ := os.ReadFile(cred)
	if json.Unmarshal(data, &cr) != nil || !strings.HasPrefix(cr.Token, "dmk_") || cr.URL != r.s.URL {
		t.Fatalf("credentials: %s", data)
	}

	src := filepath.Join(t.TempDir(), "shoot")
	files := tree(t, src, 1000, 70_000, 5, 200_000, 33_333)
	// A copy of a file is sent once.
	if err := os.WriteFile(filepath.Join(src, "copy.bin"), files["f0.bin"], 0o644); err != nil {
		t.Fatal(err)
	}
	out := r.must("push", src, "--tags", "shoot,day 1", "--json", "--chunk-size", "64KiB")
	evs := jsonLines(t, out)
	kinds := map[string]int{}
	for _, e := range evs {
		kinds[e["event"].(string)]++
	}
	if kinds["done"] != 5 || kinds["skipped"] != 1 || kinds["summary"] != 1 {
		t.Fatalf("push events: %v\n%s", kinds, out)
	}
	ctx := context.Background()
	c := r.admin()
	bySum := map[string]*client.Asset{}
	for a, err := range c.Assets(ctx, client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		bySum[a.SHA256] = a
	}
	for rel, b := range files {
		a := bySum[sumHex(b)]
		if a == nil || a.Filename != filepath.Base(rel) && rel != "f0.bin" || strings.Join(a.TagNames(), ",") != "day 1,shoot" && strings.Join(a.TagNames(), ",") != "shoot,day 1" {
			t.Fatalf("%s: %+v", rel, a)
		}
	}

	// Again: everything is held, nothing sent.
	before := r.w.bytes.Load()
	out = r.must("push", src)
	if r.w.bytes.Load() != before || !strings.Contains(out, "0 sent, 6 skipped, 0 failed") {
		t.Fatalf("second push sent %d bytes:\n%s", r.w.bytes.Load()-before, out)
	}

	out = r.must("ls", "f3")
	if !strings.Contains(out, "f3.bin") || strings.Count(out, "\n") != 1 {
		t.Fatalf("ls f3: %q", out)
	}
	if out = r.must("ls", "--json"); strings.Count(out, "\n") != 5 {
		t.Fatalf("ls --json: %q", out)
	}
	if out = r.must("tags"); !strings.Contains(out, "shoot\t5\n") || !strings.Contains(out, "day 1\t5\n") {
		t.Fatalf("tags: %q", out)
	}

	dst := t.TempDir()
	out = r.must("pull", "tag:shoot", dst)
	for rel, b := range files {
		got, err := os.ReadFile(filepath.Join(dst, bySum[sumHex(b)].Filename))
		if err != nil || !bytes.Equal(got, b) {
			t.Fatalf("pulled %s: %v\n%s", rel, err, out)
		}
	}
	if out = r.must("pull", "tag:shoot", dst); !strings.Contains(out, "0 saved, 5 skipped") {
		t.Fatalf("second pull: %s", out)
	}

	// A library larger than the push (here: any) is asked file by file
	// (GET /api/assets.json?sha256=...), not read whole: the held files
	// are skipped all the same, and a new one is sent.
	listFactor = 0
	t.Cleanup(func() { listFactor = 100 })
	lacked := []byte("a file the library lacks")
	if err := os.WriteFile(filepath.Join(src, "new.bin"), lacked, 0o644); err != nil {
		t.Fatal(err)
	}
	before = r.w.bytes.Load()
	out = r.must("push", src)
	if got := r.w.bytes.Load() - before; got < int64(len(lacked)) || got > 64<<10 || !strings.Contains(out, "1 sent, 6 skipped, 0 failed") {
		t.Fatalf("push asking file by file sent %d bytes:\n%s", got, out)
	}
}

// TestClientPushResumes: a push of a folder cancelled in the middle, then
// run again, sends only what the server lacks: the files not begun, and
// the rest of those begun from the server's offset.
func TestClientPushResumes(t *testing.T) {
	r := newRemote(t)
	r.login()
	src := filepath.Join(t.TempDir(), "folder")
	sizes := []int{300_000, 301_000, 302_000, 303_000, 304_000, 305_000}
	files := tree(t, src, sizes...)
	var total int64
	for _, n := range sizes {
		total += int64(n)
	}
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	r.w.cancel, r.w.cancelAt = cancel, 7
	res := r.runCtx(ctx, "", "push", src, "--jobs", "2", "--chunk-size", "64KiB")
	if res.code() != 1 || !strings.Contains(res.err.Error(), "interrupted") {
		t.Fatalf("interrupted push: %v\n%s", res.err, res.stdout)
	}
	r.w.cancel = nil
	r.w.idle()

	// What the server holds now: whole assets, and begun uploads whose
	// URLs the state file kept.
	c := r.admin()
	bg := context.Background()
	held := map[string]bool{}
	for a, err := range c.Assets(bg, client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		held[a.SHA256] = true
	}
	var want int64
	for _, b := range files {
		if !held[sumHex(b)] {
			want += int64(len(b))
		}
	}
	st, err := loadPushState(r.env["DAMASK_CONFIG_DIR"], r.s.URL)
	if err != nil {
		t.Fatal(err)
	}
	begun := 0
	for _, u := range st.Uploads[r.s.URL] {
		off, _, done, err := c.ResumableOffset(bg, u)
		if err != nil {
			t.Fatal(err)
		}
		if done == nil {
			want -= off
			if off > 0 {
				begun++
			}
		}
	}
	if want == 0 || want == total || begun == 0 {
		t.Fatalf("the cut left %d bytes of %d to send, %d uploads begun: not a cut in the middle", want, total, begun)
	}

	before := r.w.bytes.Load()
	out := r.must("push", src, "--jobs", "2", "--chunk-size", "64KiB", "--json")
	if sent := r.w.bytes.Load() - before; sent != want {
		t.Fatalf("the second push sent %d bytes, want %d\n%s", sent, want, out)
	}
	resumed := 0
	for _, e := range jsonLines(t, out) {
		if e["event"] == "done" && e["resumed_from"] != nil {
			resumed++
		}
	}
	if resumed != begun {
		t.Fatalf("%d files resumed, %d were begun\n%s", resumed, begun, out)
	}
	var names []string
	for a, err := range c.Assets(bg, client.ListOptions{}) {
		if err != nil {
			t.Fatal(err)
		}
		names = append(names, a.Filename)
		if a.SHA256 != sumHex(files[filepath.ToSlash(filepath.Join([]string{"", "a", "a/b"}[int(a.Filename[1]-'0')%3], a.Filename))]) {
			t.Fatalf("%s: wrong bytes", a.Filename)
		}
	}
	sort.Strings(names)
	if len(names) != len(sizes) {
		t.Fatalf("assets after the second push: %v", names)
	}
	if st, _ := loadPushState(r.env["DAMASK_CONFIG_DIR"], r.s.URL); len(st.Uploads) != 0 {
		t.Fatalf("state left after a complete push: %v", st.Uploads)
	}
}

// TestClientPullResumes: a part file left by a cut pull is completed with
// a Range request and checked.
func TestClientPullResumes(t *testing.T) {
	r := newRemote(t)
	r.login()
	src := t.TempDir()
	files := tree(t, src, 250_000)
	r.must("push", src)
	dst := t.TempDir()
	if err := os.WriteFile(filepath.Join(dst, "f0.bin.part"), files["f0.bin"][:100_000], 0o644); err != nil {
		t.Fatal(err)
	}
	out := r.must("pull", "f0", dst)
	if got, _ := os.ReadFile(filepath.Join(dst, "f0.bin")); !bytes.Equal(got, files["f0.bin"]) {
		t.Fatalf("pulled file differs\n%s", out)
	}
	if len(r.w.ranges) != 1 || r.w.ranges[0] != "bytes=100000-" || !strings.Contains(out, "resumed at") {
		t.Fatalf("ranges %q\n%s", r.w.ranges, out)
	}
	if _, err := os.Stat(filepath.Join(dst, "f0.bin.part")); !os.IsNotExist(err) {
		t.Fatalf("part file left: %v", err)
	}
}

// TestClientExitCodes: 2 for a mistake in the command line, 1 for a
// failure.
func TestClientExitCodes(t *testing.T) {
	r := newRemote(t)
	for _, c := range []struct {
		args []string
		code int
	}{
		{[]string{"push"}, 2},
		{[]string{"login"}, 2},
		{[]string{"login", "ftp://x"}, 2},
		{[]string{"pull", "q"}, 2},
		{[]string{"ls", "a", "b"}, 2},
		{[]string{"tags", "x"}, 2},
		{[]string{"push", ".", "--jobs", "0"}, 2},
		{[]string{"push", ".", "--chunk-size", "1x"}, 2},
		{[]string{"push", ".", "--bogus"}, 2},
		{[]string{"ls"}, 1}, // not signed in
		{[]string{"push", "."}, 1},
	} {
		if res := r.run(c.args...); res.code() != c.code {
			t.Errorf("%v: exit %d (%v), want %d", c.args, res.code(), res.err, c.code)
		}
	}
	if res := r.runCtx(context.Background(), "wrong\n", "login", r.s.URL); res.code() != 1 || !strings.Contains(res.err.Error(), "401") {
		t.Errorf("wrong password: %v", res.err)
	}
	r.login()
	if res := r.run("push", filepath.Join(t.TempDir(), "missing")); res.code() != 1 {
		t.Errorf("missing path: %v", res.err)
	}
	if res := r.run("ls", `"unclosed`); res.code() != 1 || !strings.Contains(res.err.Error(), "422") {
		t.Errorf("bad query: %v", res.err)
	}
	if out := r.must("ls"); out != "" {
		t.Errorf("ls of nothing: %q", out)
	}
}

// TestClientPushBars: on a terminal, push draws a bar per file and a
// total with speed and ETA, over the last drawing. With
// DAMASK_SCREENSHOTS=dir the frame is also written as push.html there,
// from which the README's screenshot is taken (chromium --headless
// --screenshot).
func TestClientPushBars(t *testing.T) {
	var buf bytes.Buffer
	now := time.Date(2026, 12, 7, 6, 0, 0, 0, time.UTC)
	p := &transfers{mode: "bars", w: &buf, verb: "sent", now: func() time.Time { return now }, active: map[string]*activeFile{}}
	p.begin(12, 1_610_000_000)
	p.finish(transferEvent{Event: "done", File: "shoot/day 1/DSC_0412.NEF", Size: 48_200_000, AssetID: 412})
	p.finish(transferEvent{Event: "skipped", File: "shoot/day 1/DSC_0413.NEF", Size: 47_900_000, Reason: "the library holds it already"})
	p.finish(transferEvent{Event: "done", File: "shoot/day 1/interview.mov", Size: 912_000_000, AssetID: 414, Resumed: 402_653_184})
	for _, f := range []struct {
		name     string
		size, at int64
	}{
		{"shoot/day 2/DSC_0501.NEF", 49_100_000, 31_457_280},
		{"shoot/day 2/DSC_0502.NEF", 48_700_000, 8_388_608},
		{"shoot/day 2/broll-03.mov", 402_000_000, 251_658_240},
		{"shoot/day 2/DSC_0503.NEF", 50_300_000, 0},
	} {
		p.started(f.name, f.size, 0)
		p.at(f.name, f.at)
	}
	now = now.Add(9 * time.Second)
	p.mu.Lock()
	p.draw()
	frame := p.frame(now)
	p.mu.Unlock()
	out := buf.String()
	if !strings.Contains(out, "\x1b[") || !strings.Contains(frame[len(frame)-1], "total 3/12 files") || !strings.Contains(frame[len(frame)-1], "ETA ") {
		t.Fatalf("bars:\n%s", out)
	}
	if len(frame) != 5 || !strings.Contains(frame[0], "DSC_0501.NEF") || !strings.Contains(frame[0], "[###############.........]  64%") {
		t.Fatalf("frame:\n%s", strings.Join(frame, "\n"))
	}
	dir := os.Getenv("DAMASK_SCREENSHOTS")
	if dir == "" {
		return
	}
	var lines []string
	for l := range strings.SplitSeq(out, "\n") { // the finished files' lines, without the redrawings
		if l = l[strings.LastIndex(l, "\x1b[J")+1:]; strings.HasPrefix(l, "[J") {
			l = l[2:]
		}
		if strings.HasPrefix(l, "sent ") || strings.HasPrefix(l, "skipped ") {
			lines = append(lines, l)
		}
	}
	lines = append(lines, frame...)
	html := "<!doctype html><meta charset=utf-8><body style='margin:0;background:#1d1f21;color:#c5c8c6'>" +
		"<pre style='font:13px/1.45 \"DejaVu Sans Mono\",monospace;padding:10px 14px;margin:0'>$ damask push shoot --tags shoot\n" +
		strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;").Replace(strings.Join(lines, "\n")) + "</pre>"
	if err := os.WriteFile(filepath.Join(dir, "push.html"), []byte(html), 0o644); err != nil {
		t.Fatal(err)
	}
}

// FuzzSafeName: whatever file name a server sends, pull saves it as one
// plain name inside its folder.
func FuzzSafeName(f *testing.F) {
	for _, s := range []string{"a.jpg", "../../etc/passwd", "..", ".", "", "/abs/x", `..\..\win.ini`, ".hidden", "a/\x00b", "ok name.tif"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		n := safeName(&client.Asset{ID: 7, Filename: name})
		if n == "" || strings.ContainsAny(n, "/\\\x00") || strings.HasPrefix(n, ".") {
			t.Fatalf("safeName(%q) = %q", name, n)
		}
		dir := filepath.Join("root", "dir")
		if p := filepath.Join(dir, n); filepath.Dir(p) != dir {
			t.Fatalf("safeName(%q) = %q leaves the folder: %s", name, n, p)
		}
	})
}

// TestClientEnvironmentCredentials: DAMASK_URL and DAMASK_TOKEN take the
// place of the kept credentials.
func TestClientEnvironmentCredentials(t *testing.T) {
	r := newRemote(t)
	tok, err := r.admin().CreateToken(context.Background(), client.NewToken{Name: "ci", ReadOnly: true})
	if err != nil {
		t.Fatal(err)
	}
	r.env["DAMASK_URL"], r.env["DAMASK_TOKEN"] = r.s.URL, tok.Secret
	if res := r.run("tags"); res.err != nil {
		t.Fatalf("tags with DAMASK_TOKEN: %v", res.err)
	}
	src := t.TempDir()
	tree(t, src, 10)
	// A read-only token cannot push: the failure is reported, exit 1.
	res := r.run("push", src)
	if res.code() != 1 || !strings.Contains(res.stdout, "read-only") {
		t.Fatalf("push with a read-only token: %v\n%s", res.err, res.stdout)
	}
}
