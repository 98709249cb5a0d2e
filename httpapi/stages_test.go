package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"

	"damask"
	"damask/library"
)

// mailbox is a damask.Mailer that keeps what it is given.
type mailbox struct {
	mu    sync.Mutex
	mails []damask.Mail
}

func (m *mailbox) Send(_ context.Context, mail damask.Mail) error {
	m.mu.Lock()
	defer m.mu.Unlock()
	m.mails = append(m.mails, mail)
	return nil
}

// take answers the mails sent since the last take.
func (m *mailbox) take() []damask.Mail {
	m.mu.Lock()
	defer m.mu.Unlock()
	out := m.mails
	m.mails = nil
	return out
}

func TestStages(t *testing.T) {
	box := &mailbox{}
	e := newEnv(t, setup{mailer: box})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "other", "deluxe")
	basic := e.tenant(t, "cheap", "basic")
	a1 := id(t, tn.member.createAsset(t, "a.txt", []byte("a"), "title", "one"))
	col := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "For the client", "asset_ids", a1)).want(t, 201).obj(t))
	theirs := id(t, other.member.send(t, "POST", "/api/collections.json", form("title", "Theirs")).want(t, 201).obj(t))

	t.Run("plans without stages and roles", func(t *testing.T) {
		bcol := id(t, basic.member.send(t, "POST", "/api/collections.json", form("title", "c")).want(t, 201).obj(t))
		for _, c := range []*client{basic.holder, basic.member} {
			c.get(t, "/api/stages.json").wantError(t, 403, "The basic plan has no Stages")
			c.send(t, "POST", "/api/stages.json", form("title", "x", "collection_id", bcol)).wantError(t, 403, "basic plan")
		}
		tn.guest.get(t, "/api/stages.json").want(t, 403)
		tn.guest.send(t, "POST", "/api/stages.json", form("title", "x", "collection_id", col)).want(t, 403)
		tn.anon.get(t, "/api/stages.json").want(t, 401)
		for _, c := range []*client{tn.holder, tn.admin, tn.member} {
			c.get(t, "/api/stages.json").want(t, 404) // none yet: an empty list
		}
	})

	var stage map[string]any
	t.Run("create", func(t *testing.T) {
		for _, ext := range formats {
			r := tn.member.send(t, "POST", "/api/stages"+ext, form("title", "Spring", "message", "Hello", "collection_id", col,
				"password", "open sesame", "expires_on", "2099-12-31", "downloads", "originals", "watermark", "DRAFT",
				"watermark_position", "Bottom-Right", "watermark_opacity", "60",
				"recipients", "Ann@Example.com, bob@example.com ann@example.com")).want(t, 201)
			stage = r.obj(t)
			if r.header.Get("Location") != "http://acme.example.com/api/stages/"+id(t, stage)+ext {
				t.Errorf("Location %q", r.header.Get("Location"))
			}
		}
		want := map[string]string{"title": "Spring", "message": "Hello", "collection_id": col, "has_password": "true",
			"expires_on": "2100-01-01T00:00:00Z", "downloads": "originals", "watermark": "DRAFT",
			"watermark_position": "bottom-right", "watermark_opacity": "60", "views_count": "0", "downloads_count": "0"}
		for k, v := range want {
			if str(stage[k]) != v {
				t.Errorf("%s = %v, want %s", k, stage[k], v)
			}
		}
		if _, ok := stage["password"]; ok {
			t.Errorf("the document shows the password: %v", stage)
		}
		if stage["revoked_on"] != nil {
			t.Errorf("revoked_on %v", stage["revoked_on"])
		}
		url := str(stage["url"])
		tok, ok := strings.CutPrefix(url, "http://acme.example.com/s/")
		if !ok || len(tok) < 22 { // 128 bits in base64 are 22 characters
			t.Errorf("url %q: want an address with at least 128 random bits", url)
		}
		rs := stage["recipients"].([]any)
		if len(rs) != 2 {
			t.Fatalf("recipients %v: want ann and bob once each", rs)
		}
		ann := rs[0].(map[string]any)
		if ann["email"] != "ann@example.com" || ann["url"] == url || !strings.HasPrefix(str(ann["url"]), "http://acme.example.com/s/") {
			t.Errorf("recipient %v: want a personal address", ann)
		}
		// The invitations: one to each recipient, with their address.
		mails := box.take()
		if len(mails) != 2*len(formats) {
			t.Fatalf("%d invitations, want %d", len(mails), 2*len(formats))
		}
		last := mails[len(mails)-2:]
		if last[0].To[0] != "ann@example.com" || !strings.Contains(last[0].Text, str(ann["url"])) ||
			strings.Contains(last[0].Text, "open sesame") || last[0].Subject != "Spring" {
			t.Errorf("invitation %+v", last[0])
		}
	})
	sid := id(t, stage)

	t.Run("read, list, update", func(t *testing.T) {
		doc := tn.admin.get(t, "/api/stages/"+sid+".xml").want(t, 200).obj(t)
		if doc["title"] != "Spring" || str(doc["has_password"]) != "true" {
			t.Errorf("XML document %v", doc)
		}
		l := tn.holder.get(t, "/api/stages.json").want(t, 200).list(t, "stages", "stage")
		if len(l) != len(formats) || id(t, l[0].(map[string]any)) != sid {
			t.Errorf("list %v: want newest first", l)
		}
		other.member.get(t, "/api/stages/"+sid+".json").want(t, 404)
		doc = tn.member.send(t, "PUT", "/api/stages/"+sid+".json", form("title", "Summer", "password", "",
			"expires_on", "", "downloads", "previews", "watermark_opacity", "100%", "recipients", "bob@example.com, cy@example.com")).want(t, 200).obj(t)
		if doc["title"] != "Summer" || str(doc["has_password"]) != "false" || doc["expires_on"] != nil || doc["downloads"] != "previews" ||
			str(doc["watermark_opacity"]) != "100" || doc["watermark_position"] != "bottom-right" {
			t.Errorf("updated %v", doc)
		}
		if doc["url"] != stage["url"] {
			t.Errorf("the address changed: %v, was %v", doc["url"], stage["url"])
		}
		bob := stage["recipients"].([]any)[1].(map[string]any)
		if got := doc["recipients"].([]any)[0].(map[string]any); got["url"] != bob["url"] {
			t.Errorf("a kept recipient's address changed: %v, was %v", got, bob)
		}
		mails := box.take()
		if len(mails) != 1 || mails[0].To[0] != "cy@example.com" {
			t.Errorf("invitations after adding cy: %+v, want one to cy", mails)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			body payload
			msg  string
		}{
			{form("title", "x"), "collection_id is required"},
			{form("title", "", "collection_id", col), "Title"},
			{form("title", "x", "collection_id", "seven"), "collection_id must be"},
			{form("title", "x", "collection_id", theirs), "is not in this library"},
			{form("title", "x", "collection_id", col, "downloads", "all"), "downloads must be none, previews or originals"},
			{form("title", "x", "collection_id", col, "expires_on", "tomorrow"), "expires_on must be"},
			{form("title", "x", "collection_id", col, "recipients", "not-an-address"), "Recipient \"not-an-address\" is not an e-mail address"},
			{form("title", "x", "collection_id", col, "watermark", strings.Repeat("w", 101)), "Watermark is too long"},
			{form("title", "x", "collection_id", col, "watermark_position", "middle"), "watermark_position must be one of center, top-left"},
			{form("title", "x", "collection_id", col, "watermark_opacity", "5"), "watermark_opacity must be a percentage from 10 to 100"},
			{form("title", "x", "collection_id", col, "watermark_opacity", "101"), "watermark_opacity must be a percentage"},
			{form("title", "x", "collection_id", col, "watermark_opacity", "0.5"), "watermark_opacity must be a percentage"},
		} {
			tn.member.send(t, "POST", "/api/stages.json", c.body).wantError(t, 422, c.msg)
		}
		tn.member.send(t, "PUT", "/api/stages/999999.json", form("title", "x")).want(t, 404)
		tn.member.get(t, "/api/stages/x.json").want(t, 404)
	})

	t.Run("access log", func(t *testing.T) {
		acct, err := e.svc.AccountByName(context.Background(), "acme")
		if err != nil {
			t.Fatal(err)
		}
		tok := strings.TrimPrefix(str(stage["url"]), "http://acme.example.com/s/")
		cy := tn.member.get(t, "/api/stages/"+sid+".json").want(t, 200).obj(t)["recipients"].([]any)[1].(map[string]any)
		cyTok := strings.TrimPrefix(str(cy["url"]), "http://acme.example.com/s/")
		ctx := context.Background()
		if _, _, err := e.svc.StagePage(ctx, acct, library.StageVisitor{Token: tok, Source: "192.0.2.7"}, library.AssetQuery{Page: damask.Page{Number: 1, Size: 10}}); err != nil {
			t.Fatal(err)
		}
		var aid int64
		fmt.Sscan(a1, &aid)
		if _, _, err := e.svc.StageAsset(ctx, acct, library.StageVisitor{Token: cyTok, Source: "192.0.2.8"}, aid); err != nil {
			t.Fatal(err)
		}
		l := tn.member.get(t, "/api/stages/"+sid+"/log.json").want(t, 200).list(t, "accesses", "access")
		if len(l) != 2 {
			t.Fatalf("log %v: want 2 lines", l)
		}
		newest, oldest := l[0].(map[string]any), l[1].(map[string]any)
		if newest["recipient"] != "cy@example.com" || newest["address"] != "192.0.2.8" || newest["action"] != "viewed" ||
			str(newest["asset_id"]) != a1 || newest["what"] != "asset" {
			t.Errorf("newest line %v", newest)
		}
		if oldest["recipient"] != nil || oldest["what"] != "page" || oldest["asset_id"] != nil {
			t.Errorf("oldest line %v: want the page, anonymous", oldest)
		}
		x := tn.member.get(t, "/api/stages/"+sid+"/log.xml").want(t, 200)
		if !strings.Contains(x.String(), "<recipient nil=\"true\"") {
			t.Errorf("XML log: %s", x)
		}
		if doc := tn.member.get(t, "/api/stages/"+sid+".json").want(t, 200).obj(t); str(doc["views_count"]) != "2" {
			t.Errorf("views_count %v, want 2", doc["views_count"])
		}
		tn.guest.get(t, "/api/stages/"+sid+"/log.json").want(t, 403)
		other.member.get(t, "/api/stages/"+sid+"/log.json").want(t, 404)
		// The digest: none is due yet; sent, it goes to the creator.
		if n, err := e.svc.StageDigest(ctx); err != nil || n != 1 {
			t.Errorf("StageDigest = %d, %v; want 1 mail", n, err)
		}
		mails := box.take()
		if len(mails) != 1 || mails[0].To[0] != "member@acme.test" || !strings.Contains(mails[0].Text, "Summer: 2 views, 0 downloads") {
			t.Errorf("digest %+v", mails)
		}
	})

	t.Run("revoke", func(t *testing.T) {
		tn.guest.do(t, "DELETE", "/api/stages/"+sid+".json", nil).want(t, 403)
		doc := tn.member.do(t, "DELETE", "/api/stages/"+sid+".json", nil).want(t, 200).obj(t)
		if doc["revoked_on"] == nil {
			t.Errorf("revoked stage %v", doc)
		}
		again := tn.member.do(t, "DELETE", "/api/stages/"+sid+".json", nil).want(t, 200).obj(t)
		if again["revoked_on"] != doc["revoked_on"] {
			t.Errorf("revoked again: %v, was %v", again["revoked_on"], doc["revoked_on"])
		}
		tn.member.get(t, "/api/stages/"+sid+".json").want(t, 200)
	})
	_ = http.StatusOK
}
