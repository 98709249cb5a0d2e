package httpapi_test

import (
	"context"
	"encoding/json"
	"fmt"
	"regexp"
	"strconv"
	"strings"
	"sync"
	"testing"
	"time"

	"damask/httpapi"
)

// TestDeleteUserWithThings: a user who made assets, versions and uploads
// can be deleted, and their things stay.
func TestDeleteUserWithThings(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	u := tn.admin.send(t, "POST", "/api/users.json", form("login", "maker", "email", "maker@acme.test", "password", pw)).want(t, 201).obj(t)
	maker := tn.holder.as("maker", pw)
	a := maker.createAsset(t, "made.txt", []byte("made by maker"), "tags", "made")
	maker.send(t, "POST", "/api/assets/"+id(t, a)+"/versions.json", multipartBody(file{"file", "v2.txt", []byte("v2 by maker")})).want(t, 201)
	up := maker.upload(t, "up.txt", []byte("an upload of maker"))
	tn.admin.do(t, "DELETE", "/api/users/"+id(t, u)+".json", nil).want(t, 200)
	maker.get(t, "/api/user.json").want(t, 401)
	if got := tn.guest.get(t, "/api/assets/"+id(t, a)+".json").want(t, 200).obj(t); got["title"] != "made" {
		t.Errorf("asset after its maker left: %v", got)
	}
	tn.member.get(t, "/api/assets/download/"+id(t, a)).want(t, 200)
	tn.guest.get(t, "/api/uploads/"+id(t, up)+".json").want(t, 200)
}

func TestTagConflicts(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	red := tn.admin.send(t, "POST", "/api/tags.json", form("tag", "red")).want(t, 201).obj(t)
	blue := tn.admin.send(t, "POST", "/api/tags.json", form("tag", "blue")).want(t, 201).obj(t)
	before := e.state(t, tn.holder)
	tn.admin.send(t, "PUT", "/api/tags/"+id(t, blue)+".xml", form("tag", "RED")).wantError(t, 422, "taken")
	tn.admin.send(t, "POST", "/api/tags.json", form("tag", "Red")).wantError(t, 422, "taken")
	for _, bad := range []string{"", "   ", "a,b", strings.Repeat("t", 65), "a\tb"} {
		tn.admin.send(t, "POST", "/api/tags.xml", form("tag", bad)).want(t, 422).errors(t)
		tn.admin.send(t, "PUT", "/api/tags/"+id(t, red)+".json", form("tag", bad)).want(t, 422).errors(t)
	}
	e.unchanged(t, tn.holder, before)
	// An asset's tags by id and by name, in any case, name the same tags.
	a := tn.member.createAsset(t, "a.txt", []byte("a"), "tags", id(t, red)+", BLUE, green")
	if got := strings.Join(tagNames(t, a), ","); got != "blue,green,red" {
		t.Errorf("tags %s", got)
	}
}

// TestThrottlePerLogin: the failures against one login count together
// from any address and in any spelling of the login.
func TestThrottlePerLogin(t *testing.T) {
	e := newEnv(t, setup{cfg: httpapi.Config{Proxies: loopback(t)}})
	tn := e.tenant(t, "acme", "basic")
	spellings := []string{"holder", "HOLDER", "Holder", "hOlder", "holdeR"}
	for i := 0; i < 20; i++ {
		c := tn.holder.as(spellings[i%len(spellings)], "wrong password")
		r := c.get(t, "/api/user.json", "X-Forwarded-For", fmt.Sprintf("10.0.0.%d", i+1))
		if i < 19 {
			r.wantError(t, 401, "")
		}
	}
	tn.holder.get(t, "/api/user.json", "X-Forwarded-For", "10.0.1.1").wantError(t, 429, "try again later")
	// Another user from another address is not held up.
	tn.member.get(t, "/api/user.json", "X-Forwarded-For", "10.0.1.2").want(t, 200)
}

// TestRefusedAfterTheFile: a one-step create whose file arrived before
// the field that makes it invalid keeps no record and no used space; its
// bytes, which no record points at, go with the next housework.
func TestRefusedAfterTheFile(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	before := e.state(t, tn.holder)
	long := strings.Repeat("x", 300)
	for _, ext := range formats {
		r := tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "f.txt", []byte("refused " + ext)}, "title", long))
		r.wantError(t, 422, "Title is too long")
		r = tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, multipartBody(file{"file", "f.txt", []byte("refused too " + ext)}, "tags", "a,"+long))
		r.wantError(t, 422, "Tag")
	}
	if err := e.svc.Tidy(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	e.unchanged(t, tn.holder, before)
}

// TestRoundTrip: a client that reads a document, changes a field and
// sends the whole document back (as ActiveResource's save does) gets the
// change, in both formats: the document's read-only fields are ignored.
func TestRoundTrip(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	docs := []struct{ path, root, field string }{
		{"/api/assets/" + f.asset, "asset", "title"},
		{"/api/tags/" + f.tag, "tag", "tag"},
		{"/api/users/" + f.user, "user", "first_name"},
		{"/api/account", "account", "company_name"},
	}
	for _, d := range docs {
		for _, ext := range formats {
			t.Run(d.path+ext, func(t *testing.T) {
				r := tn.holder.get(t, d.path+ext).want(t, 200)
				var b payload
				if ext == ".xml" {
					re := regexp.MustCompile("<" + d.field + "(/>|>[^<]*</" + d.field + ">)")
					doc := re.ReplaceAllString(string(r.body), "<"+d.field+">Changed"+ext+"</"+d.field+">")
					if doc == string(r.body) {
						t.Fatalf("no <%s> in %s", d.field, r)
					}
					b = xmlBody(doc)
				} else {
					m := r.obj(t)
					m[d.field] = "Changed" + ext
					data, _ := json.Marshal(map[string]any{d.root: m})
					b = jsonBody(string(data))
				}
				got := tn.holder.send(t, "PUT", d.path+ext, b).want(t, 200).obj(t)
				if got[d.field] != "Changed"+ext {
					t.Errorf("%s after PUT: %v", d.field, got[d.field])
				}
			})
		}
	}
}

// clock is a time that tests move by hand.
type clock struct {
	mu sync.Mutex
	t  time.Time
}

func (c *clock) now() time.Time { c.mu.Lock(); defer c.mu.Unlock(); return c.t }

func (c *clock) add(d time.Duration) { c.mu.Lock(); defer c.mu.Unlock(); c.t = c.t.Add(d) }

// TestUploadExpiry: an upload unused for 24 hours is gone.
func TestUploadExpiry(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, setup{now: clk.now})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	old := id(t, tn.member.upload(t, "old.txt", []byte("old upload")))
	clk.add(23 * time.Hour)
	young := id(t, tn.member.upload(t, "young.txt", []byte("young upload")))
	tn.guest.get(t, "/api/uploads/"+old+".xml").want(t, 200)
	clk.add(2 * time.Hour)
	for _, ext := range formats {
		tn.guest.get(t, "/api/uploads/"+old+ext).wantError(t, 404, "Not found")
		tn.member.send(t, "POST", "/api/assets"+ext, form("upload_id", old)).wantError(t, 422, "expired")
		tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, form("upload_id", old)).wantError(t, 422, "expired")
		tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, form("upload_id", old)).wantError(t, 422, "expired")
	}
	tn.member.send(t, "POST", "/api/assets.xml", form("upload_id", young)).want(t, 201)
	if err := e.svc.Tidy(context.Background(), 0); err != nil {
		t.Fatal(err)
	}
	used := num(t, tn.holder.get(t, "/api/account.json").obj(t)["stats"].(map[string]any)["used_space"])
	if want := int64(len("a") + len("young upload")); used != want {
		t.Errorf("used_space %d after the expired upload went, want %d", used, want)
	}
}

// TestThrottleWindow: the wait ends with the window.
func TestThrottleWindow(t *testing.T) {
	clk := &clock{t: time.Now()}
	e := newEnv(t, setup{now: clk.now})
	tn := e.tenant(t, "acme", "deluxe")
	for i := 0; i < 21; i++ {
		tn.holder.as("holder", "wrong").get(t, "/api/user.xml")
	}
	r := tn.holder.get(t, "/api/user.xml")
	r.wantError(t, 429, "")
	wait, _ := strconv.Atoi(r.header.Get("Retry-After"))
	clk.add(time.Duration(wait) * time.Second)
	tn.holder.get(t, "/api/user.xml").want(t, 200)
}

// TestFileAndUpload: a create or a version takes one file: upload_id or
// file, and both at once is invalid rather than a lost upload.
func TestFileAndUpload(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "a.txt", []byte("a"))
	up := id(t, tn.member.upload(t, "up.txt", []byte("the upload")))
	for _, ext := range formats {
		tn.member.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "f.txt", []byte("the file")}, "upload_id", up)).
			wantError(t, 422, "upload_id")
		tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext, multipartBody(file{"file", "f.txt", []byte("the file")}, "upload_id", up)).
			wantError(t, 422, "upload_id")
		tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+ext, multipartBody(file{"file", "f.txt", []byte("the file")}, "upload_id", up)).
			wantError(t, 422, "upload_id")
	}
	tn.guest.get(t, "/api/uploads/"+up+".json").want(t, 200)
}
