package hardening

import (
	"bytes"
	"crypto/rand"
	"fmt"
	"io"
	"net"
	"net/http"
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

// Hostile and careless clients: RELIABILITY.md items 16 to 27.

const fileLimit = 1 << 20 // --max-file-size of the tests of sizes

func randomData(n int) []byte {
	b := make([]byte, n)
	rand.Read(b)
	return b
}

// endless sends a request head and then body bytes from src on a new
// connection, in a goroutine, until src ends or the server stops taking
// them; it answers the answer read meanwhile and how many body bytes had
// been written when it came. src that never ends (a body stalled after
// the limit) shows that the server answers without waiting for the rest.
func endless(t *testing.T, l *library, head string, src io.Reader) (*http.Response, []byte) {
	t.Helper()
	conn, br := rawRequest(t, l.Addr, head)
	go func() {
		io.Copy(conn, src)
	}()
	req, _ := http.NewRequest("POST", "/", nil)
	return readAnswer(t, conn, br, req)
}

// stalled reads data and then blocks until the test ends: a client that
// sent its bytes and went quiet without ending the body.
type stalled struct {
	r    io.Reader
	done <-chan struct{}
}

func (s stalled) Read(p []byte) (int, error) {
	n, err := s.r.Read(p)
	if err == io.EOF {
		<-s.done
	}
	return n, err
}

func stall(t *testing.T, r io.Reader) io.Reader {
	done := make(chan struct{})
	t.Cleanup(func() { close(done) })
	return stalled{r, done}
}

// chunked encodes data as HTTP/1.1 chunks without the last, empty one.
func chunked(data []byte) []byte {
	var b bytes.Buffer
	for len(data) > 0 {
		n := min(len(data), 32<<10)
		fmt.Fprintf(&b, "%x\r\n", n)
		b.Write(data[:n])
		b.WriteString("\r\n")
		data = data[n:]
	}
	return b.Bytes()
}

// TestR16_UploadOverLimit: a file of the limit + 1 bytes, announced by
// Content-Length or not, raw or in a form, chunked, is refused with 413
// as soon as the limit is passed (the answer comes while the body is not
// over), and leaves neither a temporary file nor a record.
func TestR16_UploadOverLimit(t *testing.T) {
	l := start(t, "--max-file-size", strconv.Itoa(fileLimit), "--body-timeout", "30m")
	auth := basic("admin", servertest.AdminPassword)
	over := randomData(fileLimit + 1)
	form, formType := multipartFile("over.bin", "", over)
	formHead := form[:bytes.Index(form, over)]
	for _, tc := range []struct {
		name string
		head string
		body func(t *testing.T) io.Reader
	}{
		// Announced: refused from the header, before a byte of the body.
		{"raw with Content-Length", "Content-Type: application/octet-stream\r\nContent-Length: " + strconv.Itoa(len(over)) + "\r\n",
			func(t *testing.T) io.Reader { return stall(t, bytes.NewReader(nil)) }},
		{"raw chunked", "Content-Type: application/octet-stream\r\nTransfer-Encoding: chunked\r\n",
			func(t *testing.T) io.Reader { return stall(t, bytes.NewReader(chunked(over))) }},
		{"form with Content-Length", "Content-Type: " + formType + "\r\nContent-Length: " + strconv.Itoa(len(form)) + "\r\n",
			func(t *testing.T) io.Reader {
				return stall(t, io.MultiReader(bytes.NewReader(formHead), bytes.NewReader(over)))
			}},
		{"form chunked", "Content-Type: " + formType + "\r\nTransfer-Encoding: chunked\r\n",
			func(t *testing.T) io.Reader {
				return stall(t, bytes.NewReader(chunked(append(append([]byte{}, formHead...), over...))))
			}},
	} {
		for _, path := range []string{"/api/upload.json?filename=over.bin", "/api/assets.json"} {
			if strings.HasPrefix(tc.name, "raw") && path == "/api/assets.json" {
				continue // a raw body is an upload's
			}
			t.Run(tc.name+" "+path, func(t *testing.T) {
				before := l.counts(t)
				head := "POST " + path + " HTTP/1.1\r\nHost: " + l.Addr + "\r\nAuthorization: " + auth + "\r\n" + tc.head + "\r\n"
				// Every body stops short of its end, or past the
				// limit: the answer must come without waiting for
				// the rest.
				res, b := endless(t, l, head, tc.body(t))
				if res.StatusCode != http.StatusRequestEntityTooLarge {
					t.Fatalf("status %d, want 413: %s", res.StatusCode, b)
				}
				contains(t, "error", b, "larger than the limit")
				l.waitNoTmp(t)
				if after := l.counts(t); after != before {
					t.Errorf("something was kept: before %+v, after %+v", before, after)
				}
			})
		}
	}
	// A file of exactly the limit is taken.
	l.upload(t, "limit.bin", "", over[:fileLimit])
	l.CheckLog()
}

// TestR17_Slowloris: a client that trickles its headers, or its body, is
// cut off by the server's timeouts, and a body cut off leaves no
// temporary file.
func TestR17_Slowloris(t *testing.T) {
	l := start(t, "--header-timeout", "2s", "--body-timeout", "2s", "--body-min-bytes", "16384")
	auth := basic("admin", servertest.AdminPassword)

	// trickle writes a byte every 100ms until the connection breaks or
	// the test ends.
	trickle := func(t *testing.T, conn net.Conn, line func(i int) string) {
		stop := make(chan struct{})
		t.Cleanup(func() { close(stop) })
		go func() {
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := io.WriteString(conn, line(i)); err != nil {
					return
				}
			}
		}()
	}

	t.Run("headers", func(t *testing.T) {
		conn, _ := rawRequest(t, l.Addr, "GET /api/account.json HTTP/1.1\r\nHost: "+l.Addr+"\r\n")
		trickle(t, conn, func(i int) string { return "X-Slow-" + strconv.Itoa(i) + ": a\r\n" })
		// Cut off: the connection ends (with or without an answer)
		// long before the two minutes a slow machine may need.
		conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
		_, err := io.Copy(io.Discard, conn)
		if ne, ok := err.(net.Error); ok && ne.Timeout() {
			t.Fatal("a client trickling its headers was still connected after two minutes")
		}
	})

	for _, tc := range []struct{ name, path, ct string }{
		{"raw body", "/api/upload.json?filename=slow.bin", "application/octet-stream"},
		{"form body", "/api/assets.json", "multipart/form-data; boundary=b0undary"},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := l.counts(t)
			first := strings.Repeat("x", 4096)
			if strings.HasPrefix(tc.ct, "multipart") {
				first = "--b0undary\r\nContent-Disposition: form-data; name=\"file\"; filename=\"slow.bin\"\r\n\r\n" + first
			}
			conn, br := rawRequest(t, l.Addr, "POST "+tc.path+" HTTP/1.1\r\nHost: "+l.Addr+"\r\nAuthorization: "+auth+
				"\r\nContent-Type: "+tc.ct+"\r\nContent-Length: 900000\r\n\r\n"+first)
			// The file has been started: its temporary file is there.
			deadline := time.Now().Add(time.Minute)
			for len(l.tmpFiles(t)) == 0 && time.Now().Before(deadline) {
				time.Sleep(20 * time.Millisecond)
			}
			trickle(t, conn, func(int) string { return "y" })
			req, _ := http.NewRequest("POST", tc.path, nil)
			conn.SetReadDeadline(time.Now().Add(2 * time.Minute))
			res, err := http.ReadResponse(br, req)
			if ne, ok := err.(net.Error); ok && ne.Timeout() {
				t.Fatal("a client trickling its body was still connected after two minutes")
			}
			if err == nil {
				b, _ := io.ReadAll(res.Body)
				if res.StatusCode != http.StatusRequestTimeout {
					t.Errorf("status %d, want 408: %s", res.StatusCode, b)
				}
			}
			l.waitNoTmp(t)
			if after := l.counts(t); after != before {
				t.Errorf("something was kept: before %+v, after %+v", before, after)
			}
		})
	}
	l.CheckLog()
}

// TestR18_QuotaExceeded: a file that would overflow the plan's storage is
// refused with 507, whichever way it comes, and leaves nothing: no
// temporary file, no stored file, no record, the space used unchanged.
func TestR18_QuotaExceeded(t *testing.T) {
	plans := filepath.Join(t.TempDir(), "plans.json")
	if err := os.WriteFile(plans, []byte(`{"tiny": {"multiple_users": true, "versions": true, "storage_limit": 1048576}}`), 0o600); err != nil {
		t.Fatal(err)
	}
	l := start(t, "--plans", plans)
	if out, err := servertest.Command(t, servertest.Build(t), nil, "account", "plan", "default", "tiny", "--plans", plans, "--data", l.data); err != nil {
		t.Fatalf("account plan: %v\n%s", err, out)
	}
	kept := l.upload(t, "kept.bin", "", randomData(600<<10))
	over := randomData(600 << 10)
	form, formType := multipartFile("over.bin", "", over)
	for _, tc := range []struct {
		name, path, ct string
		body           io.Reader
	}{
		{"raw with Content-Length", "/api/upload.json?filename=over.bin", "application/octet-stream", bytes.NewReader(over)},
		{"raw chunked", "/api/upload.json?filename=over.bin", "application/octet-stream", io.MultiReader(bytes.NewReader(over))},
		{"one-step create", "/api/assets.json", formType, bytes.NewReader(form)},
		{"one-step create chunked", "/api/assets.json", formType, io.MultiReader(bytes.NewReader(form))},
		{"new version", "/api/assets/" + strconv.FormatInt(kept.ID, 10) + "/versions.json", formType, bytes.NewReader(form)},
	} {
		t.Run(tc.name, func(t *testing.T) {
			before := l.counts(t)
			status, _, b := l.admin.Request("POST", tc.path, tc.ct, tc.body)
			if status != http.StatusInsufficientStorage {
				t.Fatalf("status %d, want 507: %s", status, b)
			}
			l.waitNoTmp(t)
			if after := l.counts(t); after != before {
				t.Errorf("something was kept: before %+v, after %+v", before, after)
			}
		})
	}
	// What fits still does.
	l.upload(t, "small.bin", "", randomData(100<<10))
	l.CheckLog()
}

// TestR19_OtherAccountsIDs: the holder of account B, through the API and
// the pages, tries every route on the ids of account A's things: each
// answers exactly as an id that never existed does, A is unchanged, and
// nothing of A shows in B's lists.
func TestR19_OtherAccountsIDs(t *testing.T) {
	const domain = "damask.test"
	l := start(t, "--domain", domain)
	a := l.createAccount(t, "acme", domain)
	b := l.createAccount(t, "bravo", domain)

	// A's things: an asset with a rendition, two versions, a tag and a
	// public link, an upload, a user, a token.
	photo, err := os.ReadFile("../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	body, ct := multipartFile("acme-secret.jpg", "", photo)
	as := idOf(t, a.Must(http.StatusCreated, "POST", "/api/assets.json?title=acme-secret&tags=acme-tag&public_link=true", ct, body))
	a.Form(http.StatusCreated, "POST", "/api/assets/"+as+"/versions.json", "v2.jpg", photo)
	waitProcessed(t, a, as)
	ad := doc(t, a.Must(http.StatusOK, "GET", "/api/assets/"+as+".json", "", nil))
	tg := firstID(t, a.Must(http.StatusOK, "GET", "/api/tags.json", "", nil))
	up := idOf(t, a.Form(http.StatusCreated, "POST", "/api/upload.json", "acme-upload.txt", []byte("acme upload")))
	_, usr := addUser(t, a, "acme-user", "member")
	_, tok := newToken(t, a, "name", "acme token")
	public, _ := ad["public_url"].(string)
	pub := public[strings.Index(public, "/p/")+3:]
	if pub == "" {
		t.Fatalf("no public link: %v", ad)
	}
	snapshot := func() string {
		var s strings.Builder
		for _, p := range []string{"/api/account.json", "/api/assets.json", "/api/assets/" + as + "/versions.json",
			"/api/tags.json", "/api/users.json", "/api/tokens.json", "/api/uploads/" + up + ".json"} {
			_, bd := a.Do("GET", p, "", nil)
			s.Write(bd)
		}
		return s.String()
	}
	beforeA := snapshot()

	// B has things of its own.
	bs := idOf(t, b.Form(http.StatusCreated, "POST", "/api/assets.json", "bravo.txt", []byte("bravo's own file")))
	const never = "987654"
	type call struct{ method, path, ct, body string }
	form := "application/x-www-form-urlencoded"
	fileForm, fileType := multipartFile("x.txt", "", []byte("intruder"))
	routes := []struct {
		name string
		make func(asset, tag, user, upload, token string) call
	}{
		{"show", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + ".json", "", ""} }},
		{"show xml", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + ".xml", "", ""} }},
		{"update", func(a, _, _, _, _ string) call {
			return call{"PUT", "/api/assets/" + a + ".json", form, "title=stolen"}
		}},
		{"update with a file", func(a, _, _, _, _ string) call {
			return call{"PUT", "/api/assets/" + a + ".json", fileType, string(fileForm)}
		}},
		{"public link on", func(a, _, _, _, _ string) call {
			return call{"PUT", "/api/assets/" + a + ".json", form, "public_link=true"}
		}},
		{"delete", func(a, _, _, _, _ string) call { return call{"DELETE", "/api/assets/" + a + ".json", "", ""} }},
		{"download", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/download/" + a, "", ""} }},
		{"download version", func(a, _, _, _, _ string) call {
			return call{"GET", "/api/assets/download/" + a + "?version=1", "", ""}
		}},
		{"thumbnail", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + "/thumbnail", "", ""} }},
		{"thumbnail file", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + "/thumbnail_64.jpg", "", ""} }},
		{"preview", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + "/preview", "", ""} }},
		{"versions", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + "/versions.json", "", ""} }},
		{"version 1", func(a, _, _, _, _ string) call { return call{"GET", "/api/assets/" + a + "/versions/1.json", "", ""} }},
		{"add version", func(a, _, _, _, _ string) call {
			return call{"POST", "/api/assets/" + a + "/versions.json", fileType, string(fileForm)}
		}},
		{"search by tag id", func(_, tg, _, _, _ string) call { return call{"GET", "/api/assets.json?tags=" + tg, "", ""} }},
		{"facets by tag id", func(_, tg, _, _, _ string) call { return call{"GET", "/api/assets/facets.json?tags=" + tg, "", ""} }},
		{"show tag", func(_, tg, _, _, _ string) call { return call{"GET", "/api/tags/" + tg + ".json", "", ""} }},
		{"rename tag", func(_, tg, _, _, _ string) call { return call{"PUT", "/api/tags/" + tg + ".json", form, "tag=stolen"} }},
		{"delete tag", func(_, tg, _, _, _ string) call { return call{"DELETE", "/api/tags/" + tg + ".json", "", ""} }},
		{"show user", func(_, _, u, _, _ string) call { return call{"GET", "/api/users/" + u + ".json", "", ""} }},
		{"update user", func(_, _, u, _, _ string) call {
			return call{"PUT", "/api/users/" + u + ".json", form, "role=admin"}
		}},
		{"delete user", func(_, _, u, _, _ string) call { return call{"DELETE", "/api/users/" + u + ".json", "", ""} }},
		{"show upload", func(_, _, _, up, _ string) call { return call{"GET", "/api/uploads/" + up + ".json", "", ""} }},
		{"create from upload", func(_, _, _, up, _ string) call {
			return call{"POST", "/api/assets.json", form, "upload_id=" + up}
		}},
		{"version from upload", func(_, _, _, up, _ string) call {
			return call{"POST", "/api/assets/" + bs + "/versions.json", form, "upload_id=" + up}
		}},
		{"show token", func(_, _, _, _, tk string) call { return call{"GET", "/api/tokens/" + tk + ".json", "", ""} }},
		{"revoke token", func(_, _, _, _, tk string) call { return call{"DELETE", "/api/tokens/" + tk + ".json", "", ""} }},
	}
	// answer is what must not tell the ids apart: the status, the
	// headers that matter and the body with the id blanked.
	answer := func(status int, h http.Header, body []byte, id string) string {
		bd := strings.ReplaceAll(string(body), " "+id+" ", " ID ")
		return fmt.Sprintf("%d %s %s %s", status, h.Get("Content-Type"), h.Get("WWW-Authenticate"), bd)
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			send := func(c call) (int, http.Header, []byte) {
				var r io.Reader
				if c.body != "" {
					r = strings.NewReader(c.body)
				}
				return b.Request(c.method, c.path, c.ct, r)
			}
			c := rt.make(as, tg, usr, up, tok)
			st, h, bd := send(c)
			other := answer(st, h, bd, "")
			for _, id := range []string{as, tg, usr, up, tok} {
				other = strings.ReplaceAll(other, " "+id+" ", " ID ")
			}
			mst, mh, mbd := send(rt.make(never, never, never, never, never))
			missing := answer(mst, mh, mbd, never)
			if st < 400 && !strings.Contains(rt.name, "facets") { // facets of nothing: an empty 200
				t.Errorf("B reached A's thing: %s %s: %d %s", c.method, c.path, st, bd)
			}
			if other != missing {
				t.Errorf("an id of another account answers unlike a missing id:\nmissing: %s\nother:   %s", missing, other)
			}
		})
	}

	t.Run("public link on another host", func(t *testing.T) {
		st, _, bd := b.Request("GET", "/p/"+pub, "", nil)
		mst, _, mbd := b.Request("GET", "/p/"+as+"-"+strings.Repeat("x", len(pub)-len(as)-1), "", nil)
		if st != http.StatusNotFound || string(bd) != string(mbd) || mst != st {
			t.Errorf("A's public link on B's host: %d %s; a bogus link: %d %s", st, bd, mst, mbd)
		}
		if st, _, _ := a.Request("GET", "/p/"+pub, "", nil); st != http.StatusOK {
			t.Errorf("A's public link on A's host: %d", st)
		}
	})

	t.Run("pages", func(t *testing.T) {
		br := l.browser(t, "bravo."+domain)
		br.signIn(b.Login, b.PW)
		tok := br.csrf(br.get("/"))
		for _, p := range []struct {
			name, method, path string
			form               url.Values
		}{
			{"asset page", "GET", "/assets/%s", nil},
			{"thumbnail", "GET", "/assets/%s/thumb/64", nil},
			{"download", "GET", "/assets/%s/download", nil},
			{"player", "GET", "/assets/%s/media", nil},
			{"edit", "POST", "/assets/%s", url.Values{"csrf": {tok}, "title": {"stolen"}}},
			{"public link", "POST", "/assets/%s/public", url.Values{"csrf": {tok}, "public": {"on"}}},
			{"delete", "POST", "/assets/%s/delete", url.Values{"csrf": {tok}}},
			{"bulk tag", "POST", "/selection", url.Values{"csrf": {tok}, "ids": {"%s"}, "action": {"tag"}, "tag": {"stolen"}}},
			{"bulk delete", "POST", "/selection", url.Values{"csrf": {tok}, "ids": {"%s"}, "action": {"delete"}}},
			{"bulk download", "POST", "/selection", url.Values{"csrf": {tok}, "ids": {"%s"}, "action": {"download"}}},
		} {
			t.Run(p.name, func(t *testing.T) {
				try := func(id string) page {
					f := url.Values{}
					for k, vs := range p.form {
						for _, v := range vs {
							f.Add(k, strings.ReplaceAll(v, "%s", id))
						}
					}
					if p.form == nil {
						f = nil
					}
					pg := br.do(p.method, strings.ReplaceAll(p.path, "%s", id), f)
					pg.body = strings.ReplaceAll(pg.body, "/assets/"+id, "/assets/ID")
					pg.body = csrfField.ReplaceAllString(pg.body, "")
					return pg
				}
				other, missing := try(as), try(never)
				if other.status < 400 {
					t.Errorf("B reached A's asset: %d", other.status)
				}
				if other.status != missing.status || other.body != missing.body {
					t.Errorf("A's id: %d %.200s; a missing id: %d %.200s", other.status, other.body, missing.status, missing.body)
				}
			})
		}
	})

	t.Run("lists", func(t *testing.T) {
		for _, p := range []string{"/api/assets.json", "/api/assets.json?query=acme", "/api/tags.json", "/api/users.json",
			"/api/tokens.json", "/api/audit.json", "/api/assets/facets.json", "/api/account.json"} {
			_, bd := b.Do("GET", p, "", nil)
			if strings.Contains(string(bd), "acme") {
				t.Errorf("%s on B shows A: %s", p, bd)
			}
		}
		br := l.browser(t, "bravo."+domain)
		br.signIn(b.Login, b.PW)
		for _, p := range []string{"/", "/?q=acme", "/people", "/tokens", "/trash"} {
			// The query typed shows in the search box; A's names must not.
			if pg := br.get(p); strings.Contains(pg.body, "acme-") || strings.Contains(pg.body, "acme.") {
				t.Errorf("page %s on B shows A", p)
			}
		}
	})
	if after := snapshot(); after != beforeA {
		t.Errorf("A changed:\nbefore %s\nafter  %s", beforeA, after)
	}
	l.CheckLog()
}

// TestR20_ReadOnlyToken: a read-only token, of the holder and of an admin,
// may read but not write, create tokens (read-only or not), revoke them,
// change its user's role or password, or change the account: 403 each
// time, and nothing changes.
func TestR20_ReadOnlyToken(t *testing.T) {
	l := start(t)
	as := strconv.FormatInt(l.upload(t, "kept.txt", "", []byte("kept")).ID, 10)
	_, adminID := addUser(t, l.admin, "second-admin", "admin")
	other, _ := newToken(t, l.admin, "name", "read-write")
	_ = other
	_, otherID := newToken(t, l.admin, "name", "another")
	tg := idOf(t, l.admin.Form(http.StatusCreated, "POST", "/api/tags.json", "", nil, "tag", "kept"))
	holderID := idOf(t, l.admin.Must(http.StatusOK, "GET", "/api/user.json", "", nil))
	l.admin.Form(http.StatusOK, "PUT", "/api/account/oidc.json", "", nil,
		"issuer", "https://id.example.test", "client_id", "damask", "domains", "example.test")
	lastUsed := regexp.MustCompile(`"last_used_on":[^,]*`)
	snapshot := func() string {
		var s strings.Builder
		for _, p := range []string{"/api/account.json", "/api/assets.json", "/api/tags.json", "/api/users.json", "/api/tokens.json", "/api/account/oidc.json"} {
			_, b := l.admin.Do("GET", p, "", nil)
			s.Write(lastUsed.ReplaceAll(b, nil))
		}
		return s.String()
	}
	second := l.admin
	second.Login, second.PW = "second-admin", "password of second-admin"
	for _, who := range []struct {
		name string
		c    servertest.Client
		self string
	}{{"holder", l.admin, holderID}, {"admin", second, adminID}} {
		secret, _ := newToken(t, who.c, "name", "reader", "read_only", "true")
		ro := who.c
		ro.Token = secret
		before := snapshot()
		fileForm, fileType := multipartFile("x.txt", "", []byte("new"))
		form := "application/x-www-form-urlencoded"
		for _, c := range []struct{ method, path, ct, body string }{
			{"POST", "/api/tokens.json", form, "name=child"},
			{"POST", "/api/tokens.json", form, "name=child&read_only=false"},
			{"POST", "/api/tokens.json", form, "name=child&read_only=true"},
			{"DELETE", "/api/tokens/" + otherID + ".json", "", ""},
			{"PUT", "/api/users/" + who.self + ".json", form, "role=holder"},
			{"PUT", "/api/users/" + who.self + ".json", form, "password=a+new+password+here"},
			{"POST", "/api/users.json", form, "login=eve&email=eve@example.test&password=eve+password+long&role=admin"},
			{"DELETE", "/api/users/" + adminID + ".json", "", ""},
			{"PUT", "/api/account.json", form, "company_name=Hijacked"},
			{"PUT", "/api/account.json", form, "api_enabled=false"},
			{"PUT", "/api/account/oidc.json", form, "issuer=https://evil.test&client_id=x&domains=evil.test"},
			{"DELETE", "/api/account/oidc.json", "", ""},
			{"POST", "/api/tags.json", form, "tag=new"},
			{"PUT", "/api/tags/" + tg + ".json", form, "tag=renamed"},
			{"DELETE", "/api/tags/" + tg + ".json", "", ""},
			{"POST", "/api/assets.json", fileType, string(fileForm)},
			{"PUT", "/api/assets/" + as + ".json", form, "title=Hijacked"},
			{"PUT", "/api/assets/" + as + ".json", form, "public_link=true"},
			{"DELETE", "/api/assets/" + as + ".json", "", ""},
			{"POST", "/api/assets/" + as + "/versions.json", fileType, string(fileForm)},
			{"POST", "/api/upload.json?filename=x.txt", "application/octet-stream", "new upload"},
		} {
			t.Run(who.name+" "+c.method+" "+c.path+" "+c.body, func(t *testing.T) {
				var body io.Reader
				if c.body != "" {
					body = strings.NewReader(c.body)
				}
				st, _, b := ro.Request(c.method, c.path, c.ct, body)
				if st != http.StatusForbidden {
					t.Errorf("status %d, want 403: %s", st, b)
				}
				// The token as the Basic password, as old clients send it.
				basic := ro
				basic.Token, basic.PW = "", secret
				if body != nil {
					body = strings.NewReader(c.body)
				}
				if st, _, b := basic.Request(c.method, c.path, c.ct, body); st != http.StatusForbidden {
					t.Errorf("as the Basic password: status %d, want 403: %s", st, b)
				}
			})
		}
		if after := snapshot(); after != before {
			t.Errorf("a read-only token changed something:\nbefore %s\nafter  %s", before, after)
		}
		// It still reads.
		ro.Must(http.StatusOK, "GET", "/api/assets/"+as+".json", "", nil)
	}
	// A read-only token of a member reaches no admin route either.
	member, _ := addUser(t, l.admin, "member", "member")
	secret, _ := newToken(t, member, "name", "reader", "read_only", "true")
	member.Token = secret
	for _, p := range []string{"/api/audit.json"} {
		if st, b := member.Do("GET", p, "", nil); st != http.StatusForbidden {
			t.Errorf("member's read-only token: GET %s: %d, want 403: %s", p, st, b)
		}
	}
	l.CheckLog()
}

// TestR21_MemberRaisesOwnRole: a member (and an admin, and a guest) may
// not make themselves admin or holder, through the API or the pages: 403,
// and the role stays.
func TestR21_MemberRaisesOwnRole(t *testing.T) {
	l := start(t)
	for _, from := range []string{"guest", "member", "admin"} {
		u, id := addUser(t, l.admin, from+"-user", from)
		for _, to := range []string{"admin", "holder"} {
			if from == to {
				continue
			}
			t.Run(from+" to "+to, func(t *testing.T) {
				for _, body := range []struct{ ct, data string }{
					{"application/x-www-form-urlencoded", "role=" + to},
					{"application/x-www-form-urlencoded", "user[role]=" + to},
					{"application/json", `{"role":"` + to + `"}`},
					{"application/xml", "<user><role>" + to + "</role></user>"},
				} {
					st, b := u.Do("PUT", "/api/users/"+id+".json", body.ct, []byte(body.data))
					if st != http.StatusForbidden {
						t.Errorf("PUT %s: %d, want 403: %s", body.data, st, b)
					}
				}
				// The pages' form for people.
				br := l.browser(t, "")
				br.signIn(u.Login, u.PW)
				tok := br.csrf(br.get("/"))
				res := br.post("/people/"+id, url.Values{"csrf": {tok}, "role": {to}})
				if res.status != http.StatusForbidden {
					t.Errorf("page form: %d, want 403", res.status)
				}
				role := doc(t, l.admin.Must(http.StatusOK, "GET", "/api/users/"+id+".json", "", nil))["role"]
				if role != from {
					t.Errorf("role is %v, want %s", role, from)
				}
				holder := doc(t, l.admin.Must(http.StatusOK, "GET", "/api/account.json", "", nil))["account_holder_id"]
				if strconv.Itoa(int(num(holder))) == id {
					t.Errorf("%s became the account holder", from)
				}
			})
		}
	}
	l.CheckLog()
}
