package hardening

import (
	"bufio"
	"encoding/json"
	"fmt"
	"html"
	"io"
	"net"
	"net/http"
	"net/http/cookiejar"
	"net/url"
	"os"
	"path/filepath"
	"regexp"
	"strconv"
	"strings"
	"testing"
	"time"

	"damask/servertest"
)

// Helpers of the items about clients (16-27) and faults (30, 31, 33, 34,
// 36).

// doc decodes a JSON answer into a map, failing the test on a non-object.
func doc(t *testing.T, b []byte) map[string]any {
	t.Helper()
	var m map[string]any
	if err := json.Unmarshal(b, &m); err != nil {
		t.Fatalf("not a JSON object: %v: %s", err, b)
	}
	return m
}

// idOf is the id field of a JSON document, as a string for paths.
func idOf(t *testing.T, b []byte) string {
	t.Helper()
	v, ok := doc(t, b)["id"].(float64)
	if !ok {
		t.Fatalf("no id in %s", b)
	}
	return strconv.FormatInt(int64(v), 10)
}

// firstID is the id of the first document of a JSON array.
func firstID(t *testing.T, b []byte) string {
	t.Helper()
	var list []map[string]any
	if err := json.Unmarshal(b, &list); err != nil || len(list) == 0 {
		t.Fatalf("not a JSON array of documents: %v: %s", err, b)
	}
	return strconv.FormatInt(int64(num(list[0]["id"])), 10)
}

// addUser creates a user with a role through the API as c, and answers a
// client of that user.
func addUser(t *testing.T, c servertest.Client, login, role string) (servertest.Client, string) {
	t.Helper()
	pw := "password of " + login
	b := c.Form(http.StatusCreated, "POST", "/api/users.json", "", nil,
		"login", login, "email", login+"@example.test", "password", pw, "role", role)
	u := c
	u.Login, u.PW, u.Token = login, pw, ""
	return u, idOf(t, b)
}

// newToken creates an API token as c with the fields kv and answers its
// secret and id.
func newToken(t *testing.T, c servertest.Client, kv ...string) (secret, id string) {
	t.Helper()
	b := c.Form(http.StatusCreated, "POST", "/api/tokens.json", "", nil, kv...)
	s, _ := doc(t, b)["token"].(string)
	if s == "" {
		t.Fatalf("no token in %s", b)
	}
	return s, idOf(t, b)
}

// createAccount makes account name (plan deluxe, API on) in the library's
// data folder while it runs, and answers a client of its holder, reached
// by host name.DOMAIN (the server must run with --domain DOMAIN).
func (l *library) createAccount(t *testing.T, name, domain string) servertest.Client {
	t.Helper()
	bin := servertest.Build(t)
	pw := "password of " + name + " holder"
	env := []string{"DAMASK_PASSWORD=" + pw}
	if out, err := servertest.Command(t, bin, env, "account", "create", name, "--holder", name+"-holder",
		"--email", "holder@"+name+".test", "--plan", "deluxe", "--data", l.data); err != nil {
		t.Fatalf("account create %s: %v\n%s", name, err, out)
	}
	if out, err := servertest.Command(t, bin, nil, "account", "api", name, "on", "--data", l.data); err != nil {
		t.Fatalf("account api %s on: %v\n%s", name, err, out)
	}
	c := l.admin
	c.Host, c.Login, c.PW = name+"."+domain, name+"-holder", pw
	return c
}

// tmpFiles lists the files being written in the library's file store.
func (l *library) tmpFiles(t *testing.T) []string {
	t.Helper()
	entries, err := os.ReadDir(filepath.Join(l.data, "blobs", ".tmp"))
	if err != nil {
		t.Fatalf("the file store's temporary folder: %v", err)
	}
	var names []string
	for _, e := range entries {
		names = append(names, e.Name())
	}
	return names
}

// waitNoTmp waits (up to a minute, for a slow machine) until the file
// store holds no temporary file, and fails the test if one stays: a
// refused request may end its handler a little after its answer.
func (l *library) waitNoTmp(t *testing.T) {
	t.Helper()
	deadline := time.Now().Add(time.Minute)
	for {
		left := l.tmpFiles(t)
		if len(left) == 0 {
			return
		}
		if time.Now().After(deadline) {
			t.Errorf("temporary files left in the file store: %v", left)
			return
		}
		time.Sleep(50 * time.Millisecond)
	}
}

// blobCount counts the stored files of the library's file store.
func (l *library) blobCount(t *testing.T) int {
	t.Helper()
	n := 0
	root := filepath.Join(l.data, "blobs")
	err := filepath.WalkDir(root, func(p string, d os.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() && d.Name() == ".tmp" {
			return filepath.SkipDir
		}
		if !d.IsDir() && d.Name() != ".layout" { // the store's record of its fan-out
			n++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("count stored files: %v", err)
	}
	return n
}

// counts are the numbers of things of the default account the tests
// compare before and after a refused request.
type counts struct {
	Assets, Uploads, Blobs int
	Used                   string
}

func (l *library) counts(t *testing.T) counts {
	t.Helper()
	acc := doc(t, l.admin.Must(http.StatusOK, "GET", "/api/account.json", "", nil))
	stats, _ := acc["stats"].(map[string]any)
	return counts{
		Assets: int(num(acc["assets_count"])),
		Blobs:  l.blobCount(t),
		Used:   fmt.Sprint(stats["used_space"]),
	}
}

func num(v any) float64 {
	f, _ := v.(float64)
	return f
}

// rawRequest writes a request's head on a new connection and answers the
// connection and a reader of its answers.
func rawRequest(t *testing.T, addr, head string) (net.Conn, *bufio.Reader) {
	t.Helper()
	conn, err := net.Dial("tcp", addr)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { conn.Close() })
	if _, err := io.WriteString(conn, head); err != nil {
		t.Fatal(err)
	}
	return conn, bufio.NewReader(conn)
}

// readAnswer reads one answer from br, waiting at most two minutes.
func readAnswer(t *testing.T, conn net.Conn, br *bufio.Reader, req *http.Request) (*http.Response, []byte) {
	t.Helper()
	conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
	res, err := http.ReadResponse(br, req)
	if err != nil {
		t.Fatalf("reading the answer: %v", err)
	}
	b, _ := io.ReadAll(res.Body)
	res.Body.Close()
	return res, b
}

// basic is the Authorization header value of login and password.
func basic(login, pw string) string {
	r, _ := http.NewRequest("GET", "/", nil)
	r.SetBasicAuth(login, pw)
	return r.Header.Get("Authorization")
}

// contains fails the test unless b holds every one of want.
func contains(t *testing.T, what string, b []byte, want ...string) {
	t.Helper()
	for _, w := range want {
		if !strings.Contains(string(b), w) {
			t.Errorf("%s: %q lacks %q", what, b, w)
		}
	}
}

// browser is a web client with its own cookies, on the server's pages of
// an account chosen by host.
type browser struct {
	t    *testing.T
	l    *library
	host string
	c    *http.Client
}

func (l *library) browser(t *testing.T, host string) *browser {
	jar, _ := cookiejar.New(nil)
	return &browser{t: t, l: l, host: host, c: &http.Client{Jar: jar, Timeout: 5 * time.Minute,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}}
}

// page is an answer to a browser.
type page struct {
	status int
	header http.Header
	body   string
}

// do sends a request with headers as name, value pairs.
func (b *browser) do(method, path string, form url.Values, headers ...string) page {
	b.t.Helper()
	var body io.Reader
	if form != nil {
		body = strings.NewReader(form.Encode())
	}
	req, err := http.NewRequest(method, b.l.URL(path), body)
	if err != nil {
		b.t.Fatal(err)
	}
	if b.host != "" {
		req.Host = b.host
	}
	if form != nil {
		req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.send(req)
}

// send sends a request made by hand (a body no form encodes, say) with
// the browser's cookies.
func (b *browser) send(req *http.Request) page {
	b.t.Helper()
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	data, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	return page{res.StatusCode, res.Header, string(data)}
}

func (b *browser) get(path string) page { return b.do("GET", path, nil) }

func (b *browser) post(path string, form url.Values, headers ...string) page {
	return b.do("POST", path, form, headers...)
}

var csrfField = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// csrf is the CSRF token of a page's forms.
func (b *browser) csrf(p page) string {
	b.t.Helper()
	m := csrfField.FindStringSubmatch(p.body)
	if m == nil {
		b.t.Fatalf("no CSRF token on the page (%d): %.300s", p.status, p.body)
	}
	return html.UnescapeString(m[1])
}

// signIn signs in through the form and fails unless it works.
func (b *browser) signIn(login, pw string) page {
	b.t.Helper()
	res := b.post("/signin", url.Values{"csrf": {b.csrf(b.get("/signin"))}, "login": {login}, "password": {pw}})
	if res.status != http.StatusSeeOther {
		b.t.Fatalf("sign in as %s: %d: %.300s", login, res.status, res.body)
	}
	return res
}

// session is the browser's session cookie, nil without one.
func (b *browser) session() *http.Cookie {
	// The jar keeps cookies by the URL's host, the server's address,
	// whatever the Host header said.
	for _, c := range b.c.Jar.Cookies(&url.URL{Scheme: "http", Host: b.l.Addr}) {
		if c.Name == "damask_session" {
			return c
		}
	}
	return nil
}

// signedIn tells whether the library page shows, rather than a way to
// the sign-in form.
func (b *browser) signedIn() bool {
	p := b.get("/")
	return p.status == http.StatusOK && !strings.Contains(p.body, `action="/signin"`)
}
