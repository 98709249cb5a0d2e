package web_test

// The pages' tests run a real server (httptest) over a real SQLite file
// and disk store, and talk to it as a browser would: a client that keeps
// cookies, reads the forms' tokens from the pages and posts them back.

import (
	"context"
	"io"
	"net/http"
	"net/http/cookiejar"
	"net/http/httptest"
	"net/netip"
	"net/url"
	"path/filepath"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/blob/disk"
	"damask/jobs"
	"damask/library"
	"damask/mail"
	"damask/mail/mailtest"
	"damask/media"
	"damask/metadata"
	"damask/outbound"
	"damask/password"
	"damask/seal"
	"damask/sqlite"
	"damask/web"
)

const pw = "correct horse battery"

// clock is the service's time, moved by the tests.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) Now() time.Time {
	c.mu.Lock()
	defer c.mu.Unlock()
	return c.t
}

func (c *clock) Add(d time.Duration) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.t = c.t.Add(d)
}

// env is a web server over fresh stores with the account "default" (plan
// deluxe) whose holder is admin, and a member ann.
type env struct {
	db    *sqlite.DB
	svc   *library.Service
	clock *clock
	srv   *httptest.Server
	ann   *damask.User
	mail  *mailbox // what the library mailed
	smtp  *mailtest.Server
}

// mailbox is a damask.Mailer that keeps what it is given, for the tests
// to read, and sends it on through a real SMTP server (mailtest), which
// must take it.
type mailbox struct {
	mu    sync.Mutex
	mails []damask.Mail
	smtp  *mail.Sender
}

func (m *mailbox) Send(ctx context.Context, mail damask.Mail) error {
	if err := m.smtp.Send(ctx, mail); err != nil {
		return err
	}
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, mail)
	return nil
}

func (m *mailbox) sent() []damask.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	return append([]damask.Mail(nil), m.mails...)
}

func newEnv(t *testing.T) *env { return newEnvWith(t, false) }

// newEnvWith makes an env; with process, the service renders and reads
// new files, with a worker pool running on its queue as damask serve
// runs one.
func newEnvWith(t *testing.T, process bool) *env {
	t.Helper()
	ctx := context.Background()
	db, err := sqlite.Open(ctx, filepath.Join(t.TempDir(), "d.db"))
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { db.Close() })
	blobs, err := disk.Open(t.TempDir())
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { blobs.Close() })
	c := &clock{t: time.Now().UTC()}
	smtp := mailtest.Start(t, mailtest.Options{})
	sender, err := mail.New(smtp.URL("Damask <damask@example.org>"))
	if err != nil {
		t.Fatal(err)
	}
	mail := &mailbox{smtp: sender}
	opts := library.Options{
		Mailer:     mail,
		InboxSends: inboxSends,
		Password:   password.Params{Memory: 64, Time: 1, Threads: 1},
		Now:        c.Now,
		SecretKey:  seal.NewKey(),
		// The tests' OpenID providers listen on 127.0.0.1.
		Outbound: outbound.New(outbound.Options{Allow: []netip.Prefix{netip.MustParsePrefix("127.0.0.0/8")}}),
	}
	var pool *jobs.Pool
	if process {
		r, err := media.New(media.Options{Workers: 2})
		if err != nil {
			t.Fatal(err)
		}
		x, err := metadata.New(ctx, metadata.Config{})
		if err != nil {
			r.Close()
			t.Fatalf("exiftool (scripts/setup.sh installs it): %v", err)
		}
		t.Cleanup(func() { r.Close(); x.Close() })
		opts.Renderer, opts.Extractor = r, x
		opts.Queued = func() { pool.Wake() }
	}
	svc, err := library.New(db, blobs, opts)
	if err != nil {
		t.Fatal(err)
	}
	if process {
		pool = jobs.New(db, svc.Process, jobs.Options{Workers: 2, Poll: 100 * time.Millisecond, Timeout: time.Minute})
		ctx, cancel := context.WithCancel(context.Background())
		stopped := make(chan struct{})
		go func() { pool.Run(ctx); close(stopped) }()
		// Cleanups run last first: the pool stops before the stores close.
		t.Cleanup(func() { cancel(); <-stopped })
	}
	if _, _, err := svc.EnsureDefault(ctx, pw); err != nil {
		t.Fatal(err)
	}
	login, email, pass := "ann", "Ann@Example.com", pw
	ann, err := svc.AddUser(ctx, library.DefaultAccount, library.UserChanges{Login: &login, Email: &email, Password: &pass})
	if err != nil {
		t.Fatal(err)
	}
	srv := httptest.NewServer(web.New(svc, web.Config{}))
	t.Cleanup(srv.Close)
	return &env{db: db, svc: svc, clock: c, srv: srv, ann: ann, mail: mail, smtp: smtp}
}

// caller is the signed-in user as the library sees it, for changes made
// behind the browser's back.
func (e *env) caller(t *testing.T, u *damask.User) library.Caller {
	t.Helper()
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil {
		t.Fatal(err)
	}
	return library.Caller{Account: a, User: u, Source: "test"}
}

// browser is a client that keeps cookies and does not follow redirects,
// so that tests see each answer.
type browser struct {
	t    *testing.T
	e    *env
	c    *http.Client
	base string
	lang string // the Accept-Language it sends, if any
}

func (e *env) browser(t *testing.T) *browser {
	t.Helper()
	jar, err := cookiejar.New(nil)
	if err != nil {
		t.Fatal(err)
	}
	c := &http.Client{Jar: jar, Timeout: 30 * time.Second,
		CheckRedirect: func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }}
	return &browser{t: t, e: e, c: c, base: e.srv.URL}
}

// response is an answer read whole.
type response struct {
	status int
	header http.Header
	body   string
}

func (b *browser) do(req *http.Request) response {
	b.t.Helper()
	if b.lang != "" {
		req.Header.Set("Accept-Language", b.lang)
	}
	res, err := b.c.Do(req)
	if err != nil {
		b.t.Fatalf("%s %s: %v", req.Method, req.URL, err)
	}
	defer res.Body.Close()
	body, err := io.ReadAll(res.Body)
	if err != nil {
		b.t.Fatal(err)
	}
	return response{status: res.StatusCode, header: res.Header, body: string(body)}
}

func (b *browser) get(path string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodGet, b.base+path, nil)
	if err != nil {
		b.t.Fatal(err)
	}
	return b.do(req)
}

// post sends a form with the given extra headers ("Origin", ...).
func (b *browser) post(path string, form url.Values, headers ...string) response {
	b.t.Helper()
	req, err := http.NewRequest(http.MethodPost, b.base+path, strings.NewReader(form.Encode()))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/x-www-form-urlencoded")
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	return b.do(req)
}

var csrfRE = regexp.MustCompile(`name="csrf" value="([^"]+)"`)

// token reads the CSRF token of the page's first form.
func token(t *testing.T, page response) string {
	t.Helper()
	m := csrfRE.FindStringSubmatch(page.body)
	if m == nil {
		t.Fatalf("no csrf token in page (status %d):\n%s", page.status, page.body)
	}
	return m[1]
}

// signIn signs in through the form and checks that it worked.
func (b *browser) signIn(login, password string) {
	b.t.Helper()
	res := b.trySignIn(login, password)
	if res.status != http.StatusSeeOther || res.header.Get("Location") != "/" {
		b.t.Fatalf("sign in as %s: status %d, Location %q, want 303 to /\n%s", login, res.status, res.header.Get("Location"), res.body)
	}
}

func (b *browser) trySignIn(login, password string) response {
	b.t.Helper()
	form := b.get("/signin")
	return b.post("/signin", url.Values{"csrf": {token(b.t, form)}, "login": {login}, "password": {password}})
}

// signedIn tells whether the home page shows the user signed in as login.
func (b *browser) signedIn(login string) bool {
	b.t.Helper()
	res := b.get("/")
	switch {
	case res.status == http.StatusOK && strings.Contains(res.body, "<strong>"+login+"</strong></a>"):
		return true
	case res.status == http.StatusSeeOther && res.header.Get("Location") == "/signin":
		return false
	}
	b.t.Fatalf("GET /: status %d, Location %q:\n%s", res.status, res.header.Get("Location"), res.body)
	return false
}

// sessionCookie is the browser's session secret.
func (b *browser) sessionCookie() *http.Cookie {
	u, _ := url.Parse(b.base)
	for _, c := range b.c.Jar.Cookies(u) {
		if c.Name == web.SessionCookie {
			return c
		}
	}
	return nil
}
