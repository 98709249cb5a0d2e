package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

// keyCase is one create route that takes an Idempotency-Key.
type keyCase struct {
	name string
	// as is the login that sends it; other is another user of the same
	// account who may send it too.
	as, other string
	path      string
	// body makes the request's body afresh (a new multipart boundary each
	// time); n picks one of several different requests.
	body func(n int) payload
	// count is how many of the route's resources the account holds.
	count func(t *testing.T) int64
	// secret is the document's field left out of a replay.
	secret string
}

// keyCases are the create routes, each with its own fixtures in the
// tenant's account.
func keyCases(t *testing.T, tn *tenant) []keyCase {
	asset := tn.member.createAsset(t, "v.txt", []byte("first version"))
	total := func(path string) func(t *testing.T) int64 {
		return func(t *testing.T) int64 {
			r := tn.holder.get(t, path)
			if strings.HasPrefix(path, "/api/tokens") { // tokens are their user's own
				r = tn.member.get(t, path)
			}
			if r.status == http.StatusNotFound {
				return 0
			}
			return num(t, r.want(t, http.StatusOK).header.Get("X-Total-Count"))
		}
	}
	used := func(t *testing.T) int64 {
		return num(t, tn.holder.get(t, "/api/account.json").obj(t)["stats"].(map[string]any)["used_space"])
	}
	var uploads []string
	for i := range 3 {
		uploads = append(uploads, id(t, tn.member.upload(t, fmt.Sprintf("u%d.txt", i), []byte(fmt.Sprintf("upload %d", i)))))
	}
	col := id(t, tn.member.send(t, http.MethodPost, "/api/collections.json", form("title", "for a Stage")).want(t, http.StatusCreated).obj(t))
	return []keyCase{
		{name: "stage", as: "member", other: "admin", path: "/api/stages.json",
			body: func(n int) payload {
				return form("title", fmt.Sprintf("keyed %d", n), "collection_id", col, "recipients", "cy@client.example")
			}, count: total("/api/stages.json")},
		{name: "inbox", as: "member", other: "admin", path: "/api/inboxes.xml",
			body:  func(n int) payload { return form("title", fmt.Sprintf("keyed %d", n), "password", "open sesame") },
			count: total("/api/inboxes.json")},
		{name: "raw upload", as: "member", other: "admin", path: "/api/upload.json?filename=raw.bin",
			body: func(n int) payload {
				return payload{"application/octet-stream", []byte(fmt.Sprintf("raw upload %d", n))}
			}, count: used},
		{name: "multipart upload", as: "member", other: "admin", path: "/api/upload.xml",
			body: func(n int) payload {
				return multipartBody(file{"file", "mp.bin", []byte(fmt.Sprintf("multipart upload %d", n))})
			}, count: used},
		{name: "asset with its file", as: "member", other: "admin", path: "/api/assets.json",
			body: func(n int) payload {
				return multipartBody(file{"file", "one-step.txt", []byte("one step")}, "title", fmt.Sprintf("one step %d", n), "tags", "x, y")
			}, count: total("/api/assets.json")},
		{name: "asset from an upload", as: "member", other: "admin", path: "/api/assets.xml",
			body: func(n int) payload {
				return form("upload_id", uploads[n%len(uploads)], "title", "from upload")
			}, count: total("/api/assets.json")},
		{name: "version", as: "member", other: "admin", path: "/api/assets/" + id(t, asset) + "/versions.json",
			body: func(n int) payload {
				return multipartBody(file{"file", "v2.txt", []byte(fmt.Sprintf("version %d", n))}, "comment", "new")
			}, count: func(t *testing.T) int64 {
				return int64(len(tn.holder.get(t, "/api/assets/"+id(t, asset)+"/versions.json").want(t, 200).list(t, "versions", "version")))
			}},
		{name: "tag", as: "admin", other: "holder", path: "/api/tags.json",
			body:  func(n int) payload { return jsonBody(fmt.Sprintf(`{"tag": "keyed %d"}`, n)) },
			count: total("/api/tags.json")},
		{name: "user", as: "admin", other: "holder", path: "/api/users.xml",
			body: func(n int) payload {
				return xmlBody(fmt.Sprintf("<user><login>keyed%d</login><email>k%d@acme.test</email><password>%s</password></user>", n, n, pw))
			}, count: total("/api/users.json")},
		{name: "token", as: "member", other: "admin", path: "/api/tokens.json",
			body:   func(n int) payload { return form("name", fmt.Sprintf("keyed %d", n)) },
			secret: "token", count: total("/api/tokens.json")},
	}
}

// TestIdempotencyKey: a create sent again with its Idempotency-Key answers
// the same resource and document and creates nothing; the key with another
// request is 422; keys of other users and accounts are theirs.
func TestIdempotencyKey(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "globex", "deluxe")
	for _, c := range keyCases(t, tn) {
		t.Run(c.name, func(t *testing.T) {
			cl := tn.role(c.as)
			key := "key " + c.name
			before := c.count(t)
			first := cl.send(t, http.MethodPost, c.path, c.body(0), "Idempotency-Key", key).want(t, http.StatusCreated)
			if first.header.Get("Idempotent-Replayed") != "" {
				t.Errorf("first request answered as a replay: %v", first.header)
			}
			created := c.count(t)
			if created == before {
				t.Fatalf("the first request created nothing: %s", first)
			}
			doc := first.obj(t)
			if c.secret != "" {
				if _, ok := doc[c.secret]; !ok {
					t.Errorf("no %s in the first answer: %s", c.secret, first)
				}
				delete(doc, c.secret)
			}

			for i := range 2 {
				again := cl.send(t, http.MethodPost, c.path, c.body(0), "Idempotency-Key", key).want(t, http.StatusCreated)
				if got := again.header.Get("Idempotent-Replayed"); got != "true" {
					t.Errorf("replay %d: Idempotent-Replayed %q, want true", i, got)
				}
				if got, want := again.header.Get("Location"), first.header.Get("Location"); got != want {
					t.Errorf("replay %d: Location %q, want %q", i, got, want)
				}
				if d := cmp.Diff(doc, again.obj(t)); d != "" {
					t.Errorf("replay %d: document differs (-first +replay):\n%s", i, d)
				}
			}
			if n := c.count(t); n != created {
				t.Errorf("%d after the replays, want %d", n, created)
			}

			cl.send(t, http.MethodPost, c.path, c.body(1), "Idempotency-Key", key).
				wantError(t, http.StatusUnprocessableEntity, "Idempotency-Key was sent before with another request")
			if n := c.count(t); n != created {
				t.Errorf("%d after the key was sent with another request, want %d", n, created)
			}

			// The same key is another user's own, in this account and in another.
			r := tn.role(c.other).send(t, http.MethodPost, c.path, c.body(2), "Idempotency-Key", key).want(t, http.StatusCreated)
			if r.header.Get("Idempotent-Replayed") != "" || id(t, r.obj(t)) == id(t, doc) {
				t.Errorf("another user's request with the key was answered as a replay: %s", r)
			}
			if c.name != "asset from an upload" && c.name != "version" && c.name != "stage" { // their fixtures are acme's
				r = other.role(c.as).send(t, http.MethodPost, c.path, c.body(0), "Idempotency-Key", key).want(t, http.StatusCreated)
				if r.header.Get("Idempotent-Replayed") != "" {
					t.Errorf("another account's request with the key was answered as a replay: %s", r)
				}
			}
		})
	}
}

// TestIdempotencyKeyFormat: a malformed key is refused before anything is
// stored; without the header nothing changes.
func TestIdempotencyKeyFormat(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	for _, key := range []string{"", strings.Repeat("k", 256), "clé", "tab\there"} {
		t.Run(strconv.Quote(key), func(t *testing.T) {
			before := e.state(t, tn.holder)
			tn.member.send(t, http.MethodPost, "/api/assets.xml", multipartBody(file{"file", "a.txt", []byte("bad key")}),
				"Idempotency-Key", key).wantError(t, http.StatusUnprocessableEntity, "Idempotency-Key must be")
			e.unchanged(t, tn.holder, before)
		})
	}
	for _, key := range []string{"k", strings.Repeat("k", 255), "a b ~!\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}"} {
		tn.member.send(t, http.MethodPost, "/api/tags.json", jsonBody(`{"tag": `+strconv.Quote(key)+`}`),
			"Idempotency-Key", key).want(t, http.StatusForbidden) // members may not make tags: the key was accepted
		tn.admin.send(t, http.MethodPost, "/api/tags.json", jsonBody(`{"tag": "t`+strconv.Itoa(len(key))+`"}`),
			"Idempotency-Key", key).want(t, http.StatusCreated)
	}
	// Two values are refused too.
	req, _ := http.NewRequest(http.MethodPost, e.srv.URL+"/api/tags.json", strings.NewReader(`{"tag": "two keys"}`))
	req.Host = tn.admin.host
	req.SetBasicAuth("admin", pw)
	req.Header.Set("Content-Type", "application/json")
	req.Header.Add("Idempotency-Key", "one")
	req.Header.Add("Idempotency-Key", "two")
	res, err := e.srv.Client().Do(req)
	if err != nil {
		t.Fatal(err)
	}
	res.Body.Close()
	if res.StatusCode != http.StatusUnprocessableEntity {
		t.Errorf("two keys: status %d, want 422", res.StatusCode)
	}
}

// TestIdempotencyKeyExpiry: a key is remembered for a day; the housework
// forgets it after that, and the key makes something new.
func TestIdempotencyKeyExpiry(t *testing.T) {
	var clock atomic.Int64
	clock.Store(time.Now().UnixNano())
	e := newEnv(t, setup{now: func() time.Time { return time.Unix(0, clock.Load()) }})
	tn := e.tenant(t, "acme", "deluxe")
	tidy := func() {
		if err := e.svc.Tidy(context.Background(), 1000*time.Hour); err != nil {
			t.Fatal(err)
		}
	}
	first := tn.admin.send(t, http.MethodPost, "/api/tags.json", form("tag", "day one"), "Idempotency-Key", "daily").
		want(t, http.StatusCreated).obj(t)

	clock.Add(int64(23 * time.Hour))
	tidy()
	r := tn.admin.send(t, http.MethodPost, "/api/tags.json", form("tag", "day one"), "Idempotency-Key", "daily").want(t, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "true" || id(t, r.obj(t)) != id(t, first) {
		t.Errorf("23 hours later the key was forgotten: %s", r)
	}

	clock.Add(int64(2 * time.Hour))
	tidy()
	r = tn.admin.send(t, http.MethodPost, "/api/tags.json", form("tag", "day two"), "Idempotency-Key", "daily").want(t, http.StatusCreated)
	if r.header.Get("Idempotent-Replayed") != "" || id(t, r.obj(t)) == id(t, first) {
		t.Errorf("25 hours later the key was still remembered: %s", r)
	}
}

// TestIdempotencyKeyReplayGone: a replay of a create whose resource is
// gone since answers 404, and never makes it again.
func TestIdempotencyKeyReplayGone(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	body := func() payload { return multipartBody(file{"file", "gone.txt", []byte("gone")}) }
	a := tn.member.send(t, http.MethodPost, "/api/assets.json", body(), "Idempotency-Key", "gone").want(t, http.StatusCreated).obj(t)
	tn.member.do(t, http.MethodDelete, "/api/assets/"+id(t, a)+".json", nil).want(t, http.StatusOK)
	r := tn.member.send(t, http.MethodPost, "/api/assets.json", body(), "Idempotency-Key", "gone")
	r.wantError(t, http.StatusNotFound, "no longer exists")
	if r.header.Get("Idempotent-Replayed") != "true" {
		t.Errorf("the answer does not say it is a replay: %v", r.header)
	}
	tn.holder.get(t, "/api/assets.json").want(t, http.StatusNotFound)
}

// TestIdempotencyKeyConcurrent: requests with one key at once make one
// asset; every one of them answers it.
func TestIdempotencyKeyConcurrent(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	const n = 8
	var wg sync.WaitGroup
	ids := make([]string, n)
	for i := range n {
		wg.Go(func() {
			r := tn.member.send(t, http.MethodPost, "/api/assets.json",
				multipartBody(file{"file", "race.bin", bytes.Repeat([]byte("race"), 64<<10)}), "Idempotency-Key", "race")
			if r.status != http.StatusCreated {
				t.Errorf("request %d: %s", i, r)
				return
			}
			ids[i] = str(r.obj(t)["id"])
		})
	}
	wg.Wait()
	for i := range ids {
		if ids[i] != ids[0] {
			t.Errorf("request %d answered asset %s, request 0 asset %s", i, ids[i], ids[0])
		}
	}
	if l := tn.holder.get(t, "/api/assets.json").want(t, http.StatusOK).list(t, "assets", "asset"); len(l) != 1 {
		t.Errorf("%d assets, want 1", len(l))
	}
}

// TestIdempotencyKeyLostAnswer: a client sends a whole create and closes
// its connection without reading the answer, then sends it again with the
// same key: there is exactly one asset, whether the first request got to
// commit or not.
func TestIdempotencyKeyLostAnswer(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	data := bytes.Repeat([]byte("lost answer "), 50<<10)
	for _, wait := range []bool{false, true} {
		name := map[bool]string{false: "closed at once", true: "closed once committed"}[wait]
		t.Run(name, func(t *testing.T) {
			key := "lost " + name
			title := "lost " + name
			mp := multipartBody(file{"file", "lost.bin", data}, "title", title)
			assets := func() int {
				r := tn.holder.get(t, "/api/assets.json")
				if r.status == http.StatusNotFound {
					return 0
				}
				return len(r.want(t, http.StatusOK).list(t, "assets", "asset"))
			}
			before := assets()
			count := func() int { return assets() - before }
			conn, done := e.dial(t)
			head := "POST /api/assets.xml HTTP/1.1\r\nHost: acme.example.com\r\n" +
				"Authorization: Basic " + basic("member", pw) + "\r\nContent-Type: " + mp.ct + "\r\n" +
				"Idempotency-Key: " + key + "\r\n" +
				fmt.Sprintf("Content-Length: %d\r\n\r\n", len(mp.data))
			if _, err := io.WriteString(conn, head); err != nil {
				t.Fatal(err)
			}
			if _, err := conn.Write(mp.data); err != nil {
				t.Fatal(err)
			}
			if wait { // the answer is written but never read
				for count() == 0 {
					time.Sleep(10 * time.Millisecond)
				}
			}
			conn.Close()
			<-done // the server closed its end: the handler has returned
			committed := count()
			r := tn.member.send(t, http.MethodPost, "/api/assets.xml", multipartBody(file{"file", "lost.bin", data}, "title", title),
				"Idempotency-Key", key).want(t, http.StatusCreated)
			t.Logf("the first request committed: %v; the retry was a replay: %q", committed == 1, r.header.Get("Idempotent-Replayed"))
			if (committed == 1) != (r.header.Get("Idempotent-Replayed") == "true") {
				t.Errorf("%d assets before the retry, and the retry says Idempotent-Replayed %q", committed, r.header.Get("Idempotent-Replayed"))
			}
			if n := count(); n != 1 {
				t.Errorf("%d assets after the retry, want 1", n)
			}
		})
	}
}
