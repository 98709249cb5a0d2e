package web_test

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"encoding/json"
	"fmt"
	"mime/multipart"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// inboxSends is the submissions an address may make an hour in the
// tests' service (library.Options.InboxSends).
const inboxSends = 4

// sendFile is one file of a submission.
type sendFile struct {
	name string
	data []byte
}

// sendInbox posts the Inbox's form as a browser does: the name and the
// e-mail address first, then the files; json asks for the script's answer.
func (b *browser) sendInbox(path, name, email string, files []sendFile, json bool) response {
	b.t.Helper()
	var body bytes.Buffer
	mw := multipart.NewWriter(&body)
	mw.WriteField("name", name)
	mw.WriteField("email", email)
	for _, f := range files {
		w, err := mw.CreateFormFile("file", f.name)
		if err != nil {
			b.t.Fatal(err)
		}
		w.Write(f.data)
	}
	mw.Close()
	req, err := http.NewRequest(http.MethodPost, b.base+path, &body)
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", mw.FormDataContentType())
	if json {
		req.Header.Set("Accept", "application/json")
	}
	return b.do(req)
}

// newInbox makes an Inbox as ann (a member), answering its path.
func (e *env) newInbox(t *testing.T, in library.InboxInput) (*damask.Inbox, string) {
	t.Helper()
	if in.Title == nil {
		in.Title = ptr("Photos for the catalogue")
	}
	b, _, err := e.svc.CreateInbox(t.Context(), e.caller(t, e.ann), in, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	return b, "/inbox/" + b.Token
}

func ptr[T any](v T) *T { return &v }

// assetsCount is how many assets the library holds.
func (e *env) assetsCount(t *testing.T) int {
	t.Helper()
	l, err := e.svc.Assets(t.Context(), e.caller(t, e.ann), library.AssetQuery{Page: damask.Page{Number: 1, Size: 100}})
	if err != nil {
		t.Fatal(err)
	}
	return len(l.Assets)
}

func sum(b []byte) string { h := sha256.Sum256(b); return hex.EncodeToString(h[:]) }

func TestInboxForm(t *testing.T) {
	e := newEnv(t)
	b, path := e.newInbox(t, library.InboxInput{Message: ptr("Send us your best shots."), Tags: ptr("Inbox, clients")})
	anon := e.browser(t)

	page := anon.get(path)
	if page.status != http.StatusOK {
		t.Fatalf("GET %s: %d\n%s", path, page.status, page.body)
	}
	for _, want := range []string{"Photos for the catalogue", "Send us your best shots.", `name="name"`, `name="email"`,
		`type="file"`, `multiple`, `enctype="multipart/form-data"`, `name="viewport"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the form lacks %q", want)
		}
	}
	// Nothing on it names the team: no user, no e-mail, no menu.
	for _, leak := range []string{"ann", "Ann@Example.com", "admin", "Signed in", "/people", "/collections", "/trash"} {
		if strings.Contains(strings.ToLower(page.body), strings.ToLower(leak)) {
			t.Errorf("the Inbox page names %q", leak)
		}
	}

	// Without JavaScript: two files, a receipt page.
	one, two := []byte("first file of the test\n"), bytes.Repeat([]byte("second "), 1000)
	res := anon.sendInbox(path, "Rosa Client", "rosa@client.example", []sendFile{{"one.txt", one}, {"two.txt", two}}, false)
	if res.status != http.StatusOK {
		t.Fatalf("send: %d\n%s", res.status, res.body)
	}
	for _, want := range []string{"Received", "one.txt", "two.txt", sum(one), sum(two), fmt.Sprint(len(two)) + " bytes"} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the receipt lacks %q", want)
		}
	}
	if strings.Contains(res.body, "Ann@Example.com") || strings.Contains(res.body, "/assets/") {
		t.Error("the receipt names the team or links the library")
	}
	// The assets: tagged as the Inbox says, the sender in the
	// description, uploaded by the Inbox's creator.
	l, err := e.svc.Assets(t.Context(), e.caller(t, e.ann), library.AssetQuery{Page: damask.Page{Number: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(l.Assets) != 2 {
		t.Fatalf("%d assets, want 2", len(l.Assets))
	}
	for _, a := range l.Assets {
		var tags []string
		for _, tg := range a.Tags {
			tags = append(tags, tg.Name)
		}
		if strings.Join(tags, ",") != "clients,Inbox" && strings.Join(tags, ",") != "Inbox,clients" {
			t.Errorf("asset %s tags %v, want Inbox and clients", a.Filename, tags)
		}
		if !strings.Contains(a.Description, "Rosa Client <rosa@client.example>") || a.UserID != e.ann.ID {
			t.Errorf("asset %s: description %q, user %d; want the sender and ann (%d)", a.Filename, a.Description, a.UserID, e.ann.ID)
		}
	}
	// One mail for the submission, to the Inbox's creator, through the
	// SMTP server.
	if got := e.smtp.Messages(); len(got) != 1 || len(got[0].To) != 1 || got[0].To[0] != "Ann@Example.com" {
		t.Errorf("the SMTP server took %d mails (%+v), want one to ann", len(got), got)
	}
	mails := e.mail.sent()
	if len(mails) != 1 || mails[0].To[0] != "Ann@Example.com" || !strings.Contains(mails[0].Subject, "2 files") ||
		!strings.Contains(mails[0].Text, "Rosa Client") || !strings.Contains(mails[0].Text, sum(one)) {
		t.Errorf("mails %+v, want one to ann naming the sender and both files", mails)
	}
	// The count, the audit log and the event.
	got, err := e.svc.Inbox(t.Context(), e.caller(t, e.ann), b.ID)
	if err != nil || got.UploadsCount != 2 {
		t.Errorf("uploads_count %v (%v), want 2", got, err)
	}
	admin, err := e.db.UserByLogin(t.Context(), b.AccountID, "admin")
	if err != nil {
		t.Fatal(err)
	}
	audit, _, err := e.svc.Audit(t.Context(), e.caller(t, admin), damask.Page{Number: 1, Size: 5})
	if err != nil || len(audit) == 0 || audit[0].Action != damask.AuditInboxReceived || audit[0].UserID != e.ann.ID ||
		!strings.Contains(audit[0].Detail, "rosa@client.example") {
		t.Errorf("audit %+v (%v), want inbox_received by ann naming the sender", audit, err)
	}
	evs, err := e.svc.Events(t.Context(), e.caller(t, e.ann), 0, 0)
	if err != nil || evs[len(evs)-1].Type != damask.EventInboxReceived || evs[len(evs)-1].ObjectID != b.ID {
		t.Errorf("last event %+v (%v), want inbox.received of the Inbox", evs[len(evs)-1], err)
	}

	// With the script: JSON, 201.
	res = anon.sendInbox(path, "Rosa Client", "rosa@client.example", []sendFile{{"three.txt", []byte("three")}}, true)
	var rc struct {
		Files []struct {
			Filename string `json:"filename"`
			Size     int64  `json:"size"`
			SHA256   string `json:"sha256"`
		} `json:"files"`
	}
	if res.status != http.StatusCreated || json.Unmarshal([]byte(res.body), &rc) != nil || len(rc.Files) != 1 ||
		rc.Files[0].SHA256 != sum([]byte("three")) || rc.Files[0].Size != 5 {
		t.Errorf("send by the script: %d %s", res.status, res.body)
	}

	// Bad input: the form comes back with the error, nothing stored.
	before := e.assetsCount(t)
	for _, c := range []struct {
		name, email string
		files       []sendFile
		status      int
		msg         string
	}{
		{"", "rosa@client.example", []sendFile{{"x.txt", []byte("x")}}, 422, "Name can"},
		{"Rosa", "not an address", []sendFile{{"x.txt", []byte("x")}}, 422, "Email is invalid"},
		{"Rosa", "rosa@client.example", nil, 422, "Choose at least one file"},
		{"Rosa", "rosa@client.example", []sendFile{{"empty.txt", nil}}, 422, "File is empty"},
	} {
		res := anon.sendInbox(path, c.name, c.email, c.files, false)
		if res.status != c.status || !strings.Contains(res.body, c.msg) || !strings.Contains(res.body, `id="inbox-form"`) {
			t.Errorf("send %+v: %d, want %d with %q and the form\n%s", c, res.status, c.status, c.msg, res.body)
		}
	}
	if n := e.assetsCount(t); n != before {
		t.Errorf("%d assets after refused submissions, want %d", n, before)
	}
	// A cross-site form is refused.
	req, _ := http.NewRequest(http.MethodPost, anon.base+path, strings.NewReader("x"))
	req.Header.Set("Origin", "https://evil.example")
	req.Header.Set("Sec-Fetch-Site", "cross-site")
	if res := anon.do(req); res.status != http.StatusForbidden {
		t.Errorf("cross-site submission: %d, want 403", res.status)
	}
	// No such Inbox: 404.
	if res := anon.get("/inbox/" + strings.Repeat("a", 26)); res.status != http.StatusNotFound {
		t.Errorf("unknown Inbox: %d, want 404", res.status)
	}
}

func TestInboxLimits(t *testing.T) {
	e := newEnv(t)
	b, path := e.newInbox(t, library.InboxInput{MaxFiles: ptr("2"), MaxFileSize: ptr("100")})
	anon := e.browser(t)
	events, err := e.svc.Events(t.Context(), e.caller(t, e.ann), 0, 0)
	if err != nil {
		t.Fatal(err)
	}
	small := sendFile{"small.txt", []byte("small")}
	for _, c := range []struct {
		what   string
		files  []sendFile
		status int
		msg    string
	}{
		{"over max_files", []sendFile{small, small, small}, 422, "at most 2 files"},
		{"over max_file_size", []sendFile{small, {"big.txt", bytes.Repeat([]byte("b"), 101)}}, 413, "limit of 100 bytes"},
	} {
		res := anon.sendInbox(path, "Rosa", "rosa@client.example", c.files, false)
		if res.status != c.status || !strings.Contains(res.body, c.msg) {
			t.Errorf("%s: %d, want %d with %q\n%s", c.what, res.status, c.status, c.msg, res.body)
		}
		// A submission refused after its first file leaves nothing: no
		// asset, no count, no event.
		if n := e.assetsCount(t); n != 0 {
			t.Errorf("%s: %d assets stored, want none", c.what, n)
		}
		got, err := e.svc.Inbox(t.Context(), e.caller(t, e.ann), b.ID)
		if err != nil || got.UploadsCount != 0 {
			t.Errorf("%s: Inbox %+v, %v; want no upload counted", c.what, got, err)
		}
		if evs, err := e.svc.Events(t.Context(), e.caller(t, e.ann), 0, 0); err != nil || len(evs) != len(events) {
			t.Errorf("%s: %d events, %v; want the %d before", c.what, len(evs), err, len(events))
		}
	}
	if res := anon.sendInbox(path, "Rosa", "rosa@client.example", []sendFile{small, {"edge.txt", bytes.Repeat([]byte("e"), 100)}}, false); res.status != 200 {
		t.Errorf("at the limits: %d\n%s", res.status, res.body)
	}
	if len(e.mail.sent()) != 1 {
		t.Errorf("%d mails, want 1: none for refused submissions", len(e.mail.sent()))
	}
}

func TestInboxPassword(t *testing.T) {
	e := newEnv(t)
	_, path := e.newInbox(t, library.InboxInput{Password: ptr("open sesame")})
	anon := e.browser(t)
	page := anon.get(path)
	if page.status != 200 || !strings.Contains(page.body, `id="inbox-password"`) || strings.Contains(page.body, `id="inbox-form"`) {
		t.Fatalf("locked Inbox: %d, want the password's form only\n%s", page.status, page.body)
	}
	file := []sendFile{{"x.txt", []byte("x")}}
	if res := anon.sendInbox(path, "Rosa", "rosa@client.example", file, false); res.status != http.StatusUnauthorized {
		t.Errorf("send without the password: %d, want 401", res.status)
	}
	if res := anon.post(path+"/password", url.Values{"password": {"wrong one"}}); res.status != http.StatusUnauthorized ||
		!strings.Contains(res.body, "The password is wrong") {
		t.Errorf("wrong password: %d\n%s", res.status, res.body)
	}
	res := anon.post(path+"/password", url.Values{"password": {"open sesame"}})
	if res.status != http.StatusSeeOther || res.header.Get("Location") != path {
		t.Fatalf("right password: %d %q", res.status, res.header.Get("Location"))
	}
	if c := res.header.Get("Set-Cookie"); !strings.Contains(c, "Path="+path) || !strings.Contains(c, "HttpOnly") {
		t.Errorf("pass cookie %q: want it on the Inbox's path, HttpOnly", c)
	}
	if page := anon.get(path); !strings.Contains(page.body, `id="inbox-form"`) {
		t.Errorf("after the password, no form:\n%s", page.body)
	}
	if res := anon.sendInbox(path, "Rosa", "rosa@client.example", file, false); res.status != 200 {
		t.Errorf("send with the password: %d\n%s", res.status, res.body)
	}
	// Wrong passwords are throttled per Inbox and address.
	other := e.browser(t)
	var last response
	for range 21 {
		last = other.post(path+"/password", url.Values{"password": {"guess guess"}})
	}
	if last.status != http.StatusTooManyRequests || last.header.Get("Retry-After") == "" {
		t.Errorf("21st wrong password: %d, Retry-After %q; want 429 with it", last.status, last.header.Get("Retry-After"))
	}
}

func TestInboxClosed(t *testing.T) {
	e := newEnv(t)
	b, revoked := e.newInbox(t, library.InboxInput{})
	_, expiring := e.newInbox(t, library.InboxInput{ExpiresOn: ptr(e.clock.Now().Add(time.Hour).Format(time.RFC3339))})
	if _, err := e.svc.RevokeInbox(t.Context(), e.caller(t, e.ann), b.ID); err != nil {
		t.Fatal(err)
	}
	e.clock.Add(2 * time.Hour)
	anon := e.browser(t)
	for _, path := range []string{revoked, expiring} {
		if res := anon.get(path); res.status != http.StatusGone || !strings.Contains(res.body, "closed") ||
			strings.Contains(res.body, `id="inbox-form"`) {
			t.Errorf("GET closed %s: %d\n%s", path, res.status, res.body)
		}
		if res := anon.sendInbox(path, "Rosa", "rosa@client.example", []sendFile{{"x.txt", []byte("x")}}, false); res.status != http.StatusGone {
			t.Errorf("send to closed %s: %d", path, res.status)
		}
		if res := anon.sendInbox(path, "Rosa", "rosa@client.example", []sendFile{{"x.txt", []byte("x")}}, true); res.status != http.StatusGone {
			t.Errorf("script's send to closed %s: %d", path, res.status)
		}
		if res := anon.post(path+"/password", url.Values{"password": {"x"}}); res.status != http.StatusGone {
			t.Errorf("password of closed %s: %d", path, res.status)
		}
	}
	if n := e.assetsCount(t); n != 0 {
		t.Errorf("%d assets, want none", n)
	}
}

func TestInboxThrottle(t *testing.T) {
	e := newEnv(t)
	_, path := e.newInbox(t, library.InboxInput{})
	anon := e.browser(t)
	file := []sendFile{{"x.txt", []byte("x")}}
	for i := range inboxSends {
		if res := anon.sendInbox(path, "Rosa", "rosa@client.example", file, false); res.status != 200 {
			t.Fatalf("send %d: %d", i+1, res.status)
		}
	}
	res := anon.sendInbox(path, "Rosa", "rosa@client.example", file, false)
	if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
		t.Errorf("send past the limit: %d, Retry-After %q; want 429 with it", res.status, res.header.Get("Retry-After"))
	}
	res = anon.sendInbox(path, "Rosa", "rosa@client.example", file, true)
	if res.status != http.StatusTooManyRequests || !strings.Contains(res.body, "try again later") {
		t.Errorf("script's send past the limit: %d %s", res.status, res.body)
	}
	// The window ends: sends go through again.
	e.clock.Add(61 * time.Minute)
	if res := anon.sendInbox(path, "Rosa", "rosa@client.example", file, false); res.status != 200 {
		t.Errorf("send after the window: %d", res.status)
	}
}

// TestInboxPasswordThrottleApart: the wrong passwords of an Inbox and the
// team's wrong sign-ins are counted apart, though they come from the same
// address (every browser of the tests is 127.0.0.1): a visitor guessing
// an Inbox's password never locks the team out, nor the team's failures
// the visitor; and each throttle still holds on its own.
func TestInboxPasswordThrottleApart(t *testing.T) {
	t.Run("inbox guesses leave sign-ins alone", func(t *testing.T) {
		e := newEnv(t)
		_, path := e.newInbox(t, library.InboxInput{Password: ptr("open sesame")})
		guesser := e.browser(t)
		for i := 1; i <= 20; i++ {
			res := guesser.post(path+"/password", url.Values{"password": {fmt.Sprintf("guess %d", i)}})
			want := http.StatusUnauthorized
			if i == 20 {
				want = http.StatusTooManyRequests
			}
			if res.status != want {
				t.Fatalf("wrong Inbox password %d: %d, want %d", i, res.status, want)
			}
		}
		// The Inbox's own throttle holds, even for the right password.
		res := guesser.post(path+"/password", url.Values{"password": {"open sesame"}})
		if res.status != http.StatusTooManyRequests || res.header.Get("Retry-After") == "" {
			t.Errorf("right Inbox password while throttled: %d, Retry-After %q; want 429 with it", res.status, res.header.Get("Retry-After"))
		}
		// The team signs in from the same address.
		team := e.browser(t)
		team.signIn("ann", pw)
		if !team.signedIn("ann") {
			t.Error("ann not signed in after the Inbox's guesses")
		}
	})
	t.Run("wrong sign-ins leave the inbox alone", func(t *testing.T) {
		e := newEnv(t)
		_, path := e.newInbox(t, library.InboxInput{Password: ptr("open sesame")})
		team := e.browser(t)
		for i := 1; i <= 20; i++ {
			team.trySignIn(fmt.Sprintf("nobody%d", i), "wrong password")
		}
		// The address is held back from signing in...
		if res := team.trySignIn("ann", pw); res.status != http.StatusTooManyRequests {
			t.Fatalf("sign-in after 20 failures: %d, want 429 (the address's throttle)", res.status)
		}
		// ...but not from the Inbox: a wrong password is only wrong, the
		// right one opens it.
		visitor := e.browser(t)
		if res := visitor.post(path+"/password", url.Values{"password": {"guess"}}); res.status != http.StatusUnauthorized {
			t.Errorf("wrong Inbox password after the sign-ins: %d, want 401", res.status)
		}
		if res := visitor.post(path+"/password", url.Values{"password": {"open sesame"}}); res.status != http.StatusSeeOther {
			t.Errorf("right Inbox password after the sign-ins: %d, want 303", res.status)
		}
	})
}
