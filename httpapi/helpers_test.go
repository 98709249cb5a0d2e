package httpapi_test

// The end-to-end suite of the HTTP API: every test runs a real server
// (httptest) over a real SQLite file and a real disk blob store, and talks
// to it over HTTP as a client would. This file holds the few helpers the
// tests share: the environment, a client, request bodies, and readers of
// the XML and JSON documents.

import (
	"bytes"
	"context"
	"encoding/base64"
	"encoding/json"
	"encoding/xml"
	"fmt"
	"io"
	"mime/multipart"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"net/textproto"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/blob/disk"
	"damask/forwarded"
	"damask/httpapi"
	"damask/jobs"
	"damask/library"
	"damask/outbound"
	"damask/password"
	"damask/seal"
	"damask/sqlite"
)

const (
	domain = "example.com"
	pw     = "correct horse battery"
)

// env is one server over a fresh store.
type env struct {
	svc     *library.Service
	db      *sqlite.DB
	blobs   *disk.Store
	blobDir string
	dbPath  string
	srv     *httptest.Server

	mu   sync.Mutex
	done map[string]chan struct{} // by client address: closed once the server has closed that connection
}

// setup are the settings of an env; the zero value is a server with the
// default plans, a 2 MiB file limit and the domain example.com.
type setup struct {
	maxFile int64
	plans   damask.Plans
	cfg     httpapi.Config
	now     func() time.Time // the service's clock; the real one when nil
	// process gives the service a renderer and an extractor, so that new
	// files are queued; workers also runs a worker pool on the queue.
	process, workers bool
	// maxUploads and reserve are the service's limits of uploads at once
	// per user and of the disk's free space.
	maxUploads int
	reserve    library.Reserve
	// blobDir is the folder of the blob store; a new temporary one when "".
	blobDir string
	// publicSizes bounds the new sizes of public images an account makes
	// a minute; 0 sets no bound.
	publicSizes int
	// webhooks runs a pool delivering webhooks, retrying after
	// hookBackoff (a short fixed wait when nil).
	webhooks    bool
	hookBackoff func(attempt int) time.Duration
	// mailer receives the e-mails the service sends; nil sends none.
	mailer damask.Mailer
}

// loopback trusts a proxy on this machine, where the tests' clients are.
func loopback(t testing.TB) forwarded.Proxies {
	t.Helper()
	p, err := forwarded.ParseProxies(forwarded.Loopback)
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func newEnv(t testing.TB, s setup) *env {
	t.Helper()
	ctx := context.Background()
	dbPath := filepath.Join(t.TempDir(), "d.db")
	db, err := sqlite.Open(ctx, dbPath)
	if err != nil {
		t.Fatal(err)
	}
	blobDir := s.blobDir
	if blobDir == "" {
		blobDir = t.TempDir()
	}
	blobs, err := disk.Open(blobDir)
	if err != nil {
		t.Fatal(err)
	}
	if s.maxFile == 0 {
		s.maxFile = 2 << 20
	}
	opts := library.Options{Plans: s.plans, MaxFileSize: s.maxFile,
		Password: password.Params{Memory: 64, Time: 1, Threads: 1}, Now: s.now,
		MaxUploadsPerUser: s.maxUploads, DiskReserve: s.reserve, SecretKey: seal.NewKey(),
		PublicSizesPerMinute: s.publicSizes, Mailer: s.mailer,
		// The tests' OpenID providers listen on 127.0.0.1.
		Outbound: outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}})}
	var pool *jobs.Pool
	var deliveries *jobs.Deliveries
	stopPool := func() {}
	if s.webhooks {
		opts.DeliveriesQueued = func() { deliveries.Wake() }
		opts.WebhookBackoff = s.hookBackoff
		if opts.WebhookBackoff == nil {
			opts.WebhookBackoff = func(int) time.Duration { return 200 * time.Millisecond }
		}
	}
	if s.process {
		opts.Renderer, opts.Extractor = newTools(t)
		opts.Queued = func() { pool.Wake() }
	}
	svc, err := library.New(db, blobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if s.workers {
		pool = jobs.New(db, svc.Process, jobs.Options{Workers: 2, Poll: 50 * time.Millisecond, Timeout: 30 * time.Second})
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { pool.Run(ctx); close(stopped) }()
		stopPool = func() { cancel(); <-stopped }
	}
	if s.webhooks {
		deliveries = jobs.NewDeliveries(db, svc.Deliver, jobs.Options{Workers: 2, Poll: 50 * time.Millisecond})
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { deliveries.Run(ctx); close(stopped) }()
		before := stopPool
		stopPool = func() { before(); cancel(); <-stopped }
	}
	if s.cfg.Domain == "" {
		s.cfg.Domain = domain
	}
	e := &env{svc: svc, db: db, blobs: blobs, blobDir: blobDir, dbPath: dbPath, done: make(map[string]chan struct{})}
	e.srv = httptest.NewUnstartedServer(httpapi.New(svc, s.cfg))
	e.srv.Config.ConnState = e.connState
	e.srv.Start()
	t.Cleanup(func() {
		stopPool() // before the stores close
		e.srv.Close()
		db.Close()
		blobs.Close()
	})
	return e
}

// connState tells waiters that the server is done with a connection: it
// closes a connection only after its handler has returned.
func (e *env) connState(c net.Conn, st http.ConnState) {
	if st != http.StateClosed && st != http.StateHijacked {
		return
	}
	e.mu.Lock()
	defer e.mu.Unlock()
	if ch, ok := e.done[c.RemoteAddr().String()]; ok {
		close(ch)
		delete(e.done, c.RemoteAddr().String())
	}
}

// dial opens a raw connection to the server and answers it with a channel
// closed once the server has closed its end (its handler has returned).
func (e *env) dial(t testing.TB) (net.Conn, <-chan struct{}) {
	t.Helper()
	conn, err := net.Dial("tcp", e.srv.Listener.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	ch := make(chan struct{})
	e.mu.Lock()
	e.done[conn.LocalAddr().String()] = ch
	e.mu.Unlock()
	return conn, ch
}

// tenant is one account with a user of every role.
type tenant struct {
	name                         string
	holder, admin, member, guest *client
	anon                         *client // no credentials
}

// tenant creates an account on the plan, with its API on and a user of
// every role, all with the password pw.
func (e *env) tenant(t testing.TB, name, plan string) *tenant {
	t.Helper()
	ctx := context.Background()
	if _, _, err := e.svc.CreateAccount(ctx, library.NewAccount{Name: name, Plan: plan,
		HolderLogin: "holder", HolderEmail: "holder@" + name + ".test", Password: pw}); err != nil {
		t.Fatal(err)
	}
	if err := e.svc.SetAPI(ctx, name, true); err != nil {
		t.Fatal(err)
	}
	for _, role := range []string{"admin", "member", "guest"} {
		if _, err := e.svc.AddUser(ctx, name, library.UserChanges{Login: ptr(role),
			Email: ptr(role + "@" + name + ".test"), Password: ptr(pw), Role: ptr(role)}); err != nil {
			t.Fatal(err)
		}
	}
	host := name + "." + domain
	c := func(login string) *client { return &client{e: e, host: host, login: login, password: pw} }
	return &tenant{name: name, holder: c("holder"), admin: c("admin"), member: c("member"), guest: c("guest"), anon: c("")}
}

func (tn *tenant) role(r string) *client {
	return map[string]*client{"holder": tn.holder, "admin": tn.admin, "member": tn.member, "guest": tn.guest, "anon": tn.anon}[r]
}

func ptr[T any](v T) *T { return &v }

// client sends requests to one account's host as one user.
type client struct {
	e               *env
	host            string
	login, password string // no Basic auth when login is empty
	allow507        bool   // the test expects the storage to be full
	allow500        bool   // the test expects stored bytes to be found damaged
}

// as is the same client with other credentials.
func (c *client) as(login, password string) *client {
	d := *c
	d.login, d.password = login, password
	return &d
}

type response struct {
	method, path string
	status       int
	header       http.Header
	body         []byte
}

func (r *response) String() string {
	return fmt.Sprintf("%s %s: %d %s", r.method, r.path, r.status, truncate(string(r.body), 600))
}

// do sends a request; headers come in pairs of name and value. It fails
// the test on any answer of 5xx (but 507 where the client expects it) and
// on anything that looks like a stack trace.
func (c *client) do(t testing.TB, method, path string, body io.Reader, headers ...string) *response {
	t.Helper()
	req, err := http.NewRequest(method, c.e.srv.URL+path, body)
	if err != nil {
		t.Fatal(err)
	}
	req.Host = c.host
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	if c.login != "" {
		req.SetBasicAuth(c.login, c.password)
	}
	res, err := c.e.srv.Client().Do(req)
	if err != nil {
		t.Fatalf("%s %s: %v", method, path, err)
	}
	defer res.Body.Close()
	b, err := io.ReadAll(res.Body)
	if err != nil {
		t.Fatalf("%s %s: read answer: %v", method, path, err)
	}
	r := &response{method: method, path: path, status: res.StatusCode, header: res.Header, body: b}
	checkAnswer(t, req, r)
	if r.status >= 500 && !(r.status == http.StatusInsufficientStorage && c.allow507) &&
		!(r.status == http.StatusInternalServerError && c.allow500) {
		t.Errorf("server error: %s", r)
	}
	if bytes.Contains(b, []byte("goroutine ")) || bytes.Contains(b, []byte(".go:")) {
		t.Errorf("stack trace in answer: %s", r)
	}
	return r
}

func (c *client) get(t testing.TB, path string, headers ...string) *response {
	t.Helper()
	return c.do(t, http.MethodGet, path, nil, headers...)
}

// send sends a body with its Content-Type.
func (c *client) send(t testing.TB, method, path string, b payload, headers ...string) *response {
	t.Helper()
	if b.ct != "" {
		headers = append([]string{"Content-Type", b.ct}, headers...)
	}
	return c.do(t, method, path, bytes.NewReader(b.data), headers...)
}

// payload is a request body and its Content-Type.
type payload struct {
	ct   string
	data []byte
}

// form is an urlencoded form of name, value pairs, in order.
func form(kv ...string) payload {
	var b strings.Builder
	for i := 0; i+1 < len(kv); i += 2 {
		if i > 0 {
			b.WriteByte('&')
		}
		b.WriteString(urlEscape(kv[i]) + "=" + urlEscape(kv[i+1]))
	}
	return payload{"application/x-www-form-urlencoded", []byte(b.String())}
}

func urlEscape(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("-_.~[]", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}

func jsonBody(s string) payload { return payload{"application/json", []byte(s)} }

func xmlBody(s string) payload { return payload{"application/xml", []byte(s)} }

// file is a file part of a multipart body.
type file struct {
	field, name string
	data        []byte
}

// multipartBody holds the fields (name, value pairs) and then the file,
// when f.field is not empty.
func multipartBody(f file, kv ...string) payload {
	var buf bytes.Buffer
	mw := multipart.NewWriter(&buf)
	for i := 0; i+1 < len(kv); i += 2 {
		mw.WriteField(kv[i], kv[i+1])
	}
	if f.field != "" {
		h := textproto.MIMEHeader{}
		h.Set("Content-Disposition", fmt.Sprintf(`form-data; name="%s"; filename="%s"`, f.field,
			strings.NewReplacer(`\`, `\\`, `"`, `\"`).Replace(f.name)))
		h.Set("Content-Type", "application/octet-stream")
		w, _ := mw.CreatePart(h)
		w.Write(f.data)
	}
	mw.Close()
	return payload{mw.FormDataContentType(), buf.Bytes()}
}

// ---- reading answers

// xnode is any XML element.
type xnode struct {
	XMLName xml.Name
	Attrs   []xml.Attr `xml:",any,attr"`
	Text    string     `xml:",chardata"`
	Kids    []xnode    `xml:",any"`
}

func (n xnode) attr(name string) (string, bool) {
	for _, a := range n.Attrs {
		if a.Name.Local == name {
			return a.Value, true
		}
	}
	return "", false
}

func (n xnode) kid(name string) *xnode {
	for i := range n.Kids {
		if n.Kids[i].XMLName.Local == name {
			return &n.Kids[i]
		}
	}
	return nil
}

const xmlDecl = `<?xml version="1.0" encoding="UTF-8"?>`

// xml parses an XML answer, which must start with the XML declaration and
// say so in its Content-Type.
func (r *response) xml(t testing.TB) xnode {
	t.Helper()
	if ct := r.header.Get("Content-Type"); ct != "application/xml; charset=utf-8" {
		t.Fatalf("Content-Type %q, want XML: %s", ct, r)
	}
	if !bytes.HasPrefix(r.body, []byte(xmlDecl)) {
		t.Fatalf("no XML declaration: %s", r)
	}
	var n xnode
	if err := xml.Unmarshal(r.body, &n); err != nil {
		t.Fatalf("bad XML: %v: %s", err, r)
	}
	return n
}

// doc reads an answer of either format into plain values: objects are
// map[string]any, lists []any, numbers json.Number. An XML document is
// read as Rails read it back, by its type attributes, so that the two
// formats of one document read the same.
func (r *response) doc(t testing.TB) any {
	t.Helper()
	switch ct := r.header.Get("Content-Type"); ct {
	case "application/json; charset=utf-8":
		d := json.NewDecoder(bytes.NewReader(r.body))
		d.UseNumber()
		var v any
		if err := d.Decode(&v); err != nil {
			t.Fatalf("bad JSON: %v: %s", err, r)
		}
		if d.More() {
			t.Fatalf("more than one JSON value: %s", r)
		}
		return v
	case "application/xml; charset=utf-8":
		n := r.xml(t)
		v, err := xmlValue(n)
		if err != nil {
			t.Fatalf("%v: %s", err, r)
		}
		return v
	default:
		t.Fatalf("Content-Type %q is neither XML nor JSON: %s", ct, r)
	}
	return nil
}

// xmlValue reads an element by its type and nil attributes.
func xmlValue(n xnode) (any, error) {
	typ, _ := n.attr("type")
	if v, _ := n.attr("nil"); v == "true" {
		if len(n.Kids) > 0 || strings.TrimSpace(n.Text) != "" {
			return nil, fmt.Errorf("<%s nil=\"true\"> has content", n.XMLName.Local)
		}
		return nil, nil
	}
	text := n.Text
	switch typ {
	case "array":
		items := []any{}
		for _, k := range n.Kids {
			v, err := xmlValue(k)
			if err != nil {
				return nil, err
			}
			items = append(items, v)
		}
		return items, nil
	case "integer":
		if _, err := strconv.ParseInt(text, 10, 64); err != nil {
			return nil, fmt.Errorf("<%s type=\"integer\">%s", n.XMLName.Local, text)
		}
		return json.Number(text), nil
	case "float":
		if _, err := strconv.ParseFloat(text, 64); err != nil {
			return nil, fmt.Errorf("<%s type=\"float\">%s", n.XMLName.Local, text)
		}
		return json.Number(text), nil
	case "boolean":
		b, err := strconv.ParseBool(text)
		if err != nil || (text != "true" && text != "false") {
			return nil, fmt.Errorf("<%s type=\"boolean\">%s", n.XMLName.Local, text)
		}
		return b, nil
	case "datetime":
		if _, err := time.Parse(time.RFC3339, text); err != nil {
			return nil, fmt.Errorf("<%s type=\"datetime\">%s: %w", n.XMLName.Local, text, err)
		}
		return text, nil
	case "":
	default:
		return nil, fmt.Errorf("<%s type=%q>: unknown type", n.XMLName.Local, typ)
	}
	var attrs []xml.Attr
	for _, a := range n.Attrs {
		if a.Name.Local != "type" && a.Name.Local != "nil" {
			attrs = append(attrs, a)
		}
	}
	if len(n.Kids) == 0 && len(attrs) == 0 {
		return text, nil
	}
	m := map[string]any{}
	if len(attrs) > 0 && len(n.Kids) == 0 && text != "" { // <plan ssl="true">deluxe</plan>
		m["name"] = text
	}
	for _, a := range attrs {
		m[a.Name.Local] = guess(a.Value)
	}
	for _, k := range n.Kids {
		if _, dup := m[k.XMLName.Local]; dup {
			return nil, fmt.Errorf("<%s> twice in <%s>", k.XMLName.Local, n.XMLName.Local)
		}
		v, err := xmlValue(k)
		if err != nil {
			return nil, err
		}
		m[k.XMLName.Local] = v
	}
	return m, nil
}

// guess types an XML attribute, which carries no type of its own.
func guess(s string) any {
	switch s {
	case "true":
		return true
	case "false":
		return false
	}
	if _, err := strconv.ParseInt(s, 10, 64); err == nil {
		return json.Number(s)
	}
	return s
}

// obj reads an answer that must be one object.
func (r *response) obj(t testing.TB) map[string]any {
	t.Helper()
	m, ok := r.doc(t).(map[string]any)
	if !ok {
		t.Fatalf("not an object: %s", r)
	}
	return m
}

// list reads an answer that must be an array; in XML its root must be
// <name type="array"> of <item> elements.
func (r *response) list(t testing.TB, name, item string) []any {
	t.Helper()
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		n := r.xml(t)
		if typ, _ := n.attr("type"); n.XMLName.Local != name || typ != "array" {
			t.Fatalf("root <%s type=%q>, want <%s type=\"array\">: %s", n.XMLName.Local, typ, name, r)
		}
		for _, k := range n.Kids {
			if k.XMLName.Local != item {
				t.Fatalf("<%s> in <%s>, want <%s>: %s", k.XMLName.Local, name, item, r)
			}
		}
	}
	l, ok := r.doc(t).([]any)
	if !ok {
		t.Fatalf("not an array: %s", r)
	}
	return l
}

// errors reads an error document: <errors><error>..</error></errors> or
// {"errors":[..]}, with at least one message.
func (r *response) errors(t testing.TB) []string {
	t.Helper()
	var msgs []string
	if strings.HasPrefix(r.header.Get("Content-Type"), "application/xml") {
		n := r.xml(t)
		if n.XMLName.Local != "errors" {
			t.Fatalf("root <%s>, want <errors>: %s", n.XMLName.Local, r)
		}
		for _, k := range n.Kids {
			if k.XMLName.Local != "error" {
				t.Fatalf("<%s> in <errors>: %s", k.XMLName.Local, r)
			}
			msgs = append(msgs, k.Text)
		}
	} else {
		var doc struct {
			Errors []string `json:"errors"`
		}
		d := json.NewDecoder(bytes.NewReader(r.body))
		d.DisallowUnknownFields()
		if err := d.Decode(&doc); err != nil || r.header.Get("Content-Type") != "application/json; charset=utf-8" {
			t.Fatalf("not a JSON error document (%v): %s", err, r)
		}
		msgs = doc.Errors
	}
	if len(msgs) == 0 || msgs[0] == "" {
		t.Fatalf("error document without a message: %s", r)
	}
	return msgs
}

// want fails the test unless the answer has the status.
func (r *response) want(t testing.TB, status int) *response {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r)
	}
	return r
}

// wantError checks the status and that the body is an error document
// whose messages contain the given text.
func (r *response) wantError(t testing.TB, status int, contains string) {
	t.Helper()
	r.want(t, status)
	msgs := r.errors(t)
	if !strings.Contains(strings.Join(msgs, "\n"), contains) {
		t.Errorf("errors %q do not say %q: %s", msgs, contains, r)
	}
}

func str(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case json.Number:
		return v.String()
	case nil:
		return "<nil>"
	}
	return fmt.Sprint(v)
}

func num(t testing.TB, v any) int64 {
	t.Helper()
	n, err := strconv.ParseInt(str(v), 10, 64)
	if err != nil {
		t.Fatalf("%v is not an integer", v)
	}
	return n
}

func truncate(s string, n int) string {
	if len(s) > n {
		return s[:n] + "…"
	}
	return s
}

// ---- making things

// upload posts a file as a raw body and answers the upload document.
func (c *client) upload(t testing.TB, name string, data []byte) map[string]any {
	t.Helper()
	r := c.do(t, http.MethodPost, "/api/upload.json?filename="+urlEscape(name), bytes.NewReader(data),
		"Content-Type", "application/octet-stream").want(t, http.StatusCreated)
	return r.obj(t)
}

// createAsset adds an asset in one step (multipart with the file) and
// answers its document; kv are more fields.
func (c *client) createAsset(t testing.TB, name string, data []byte, kv ...string) map[string]any {
	t.Helper()
	r := c.send(t, http.MethodPost, "/api/assets.json", multipartBody(file{"file", name, data}, kv...))
	return r.want(t, http.StatusCreated).obj(t)
}

func id(t testing.TB, doc map[string]any) string {
	t.Helper()
	return strconv.FormatInt(num(t, doc["id"]), 10)
}

// ---- what is stored

// state is what a client of the account can see of it, and what the
// stores hold: it must not change after a refused request.
func (e *env) state(t testing.TB, c *client) map[string]any {
	t.Helper()
	h := c.as("holder", pw)
	s := map[string]any{}
	for _, p := range []string{"/api/account.json", "/api/assets.json?per_page=100", "/api/tags.json?per_page=100",
		"/api/users.json?per_page=100", "/api/collections.json?per_page=100"} {
		r := h.get(t, p)
		s[p] = fmt.Sprintf("%d %s", r.status, r.body)
	}
	n, err := e.svc.Check(context.Background(), func(p library.Problem) { t.Errorf("check: %s", p) })
	if err != nil {
		t.Fatal(err)
	}
	s["checked files"] = n
	blobs := 0
	if err := e.blobs.Walk(context.Background(), func(damask.BlobInfo) error { blobs++; return nil }); err != nil {
		t.Fatal(err)
	}
	s["blob files"] = blobs
	tmp, err := os.ReadDir(filepath.Join(e.blobDir, ".tmp"))
	if err != nil {
		t.Fatal(err)
	}
	s["temporary files"] = len(tmp)
	return s
}

// unchanged fails the test if the state differs from before.
func (e *env) unchanged(t testing.TB, c *client, before map[string]any) {
	t.Helper()
	if diff := cmp.Diff(before, e.state(t, c)); diff != "" {
		t.Errorf("stored state changed (-before +after):\n%s", diff)
	}
}

// basic is the credentials of a Basic Authorization header.
func basic(login, password string) string {
	return base64.StdEncoding.EncodeToString([]byte(login + ":" + password))
}
