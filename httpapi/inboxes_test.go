package httpapi_test

import (
	"net/http"
	"regexp"
	"strings"
	"testing"

	"damask/httpapi"
)

// inboxURL is the address of an Inbox: the account's host (or the
// operator's public base), /inbox/, and a secret of at least 128 bits
// (26 base32 characters).
var inboxURL = regexp.MustCompile(`^(https?://[^/]+)/inbox/([a-z2-7]{26,})$`)

func TestInboxes(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	other := e.tenant(t, "other", "deluxe")

	t.Run("roles", func(t *testing.T) {
		for _, role := range []string{"holder", "admin", "member"} {
			for _, ext := range formats {
				doc := tn.role(role).send(t, "POST", "/api/inboxes"+ext, form("title", "From "+role)).want(t, 201).obj(t)
				if doc["title"] != "From "+role {
					t.Errorf("%s%s: %v", role, ext, doc)
				}
				tn.role(role).get(t, "/api/inboxes/"+id(t, doc)+ext).want(t, 200)
				tn.role(role).send(t, "PUT", "/api/inboxes/"+id(t, doc)+ext, form("message", "hello")).want(t, 200)
				tn.role(role).get(t, "/api/inboxes"+ext).want(t, 200)
			}
		}
		some := id(t, tn.member.send(t, "POST", "/api/inboxes.json", form("title", "x")).want(t, 201).obj(t))
		for _, r := range []struct {
			method, path string
		}{{"GET", "/api/inboxes.json"}, {"POST", "/api/inboxes.json"}, {"GET", "/api/inboxes/" + some + ".json"},
			{"PUT", "/api/inboxes/" + some + ".json"}, {"DELETE", "/api/inboxes/" + some + ".json"}} {
			tn.guest.send(t, r.method, r.path, form("title", "y")).wantError(t, http.StatusForbidden, "role")
			tn.anon.send(t, r.method, r.path, form("title", "y")).want(t, http.StatusUnauthorized)
			// Another account's Inbox is not there.
			if r.method != "POST" && strings.Contains(r.path, some) {
				other.holder.send(t, r.method, r.path, form("title", "y")).want(t, http.StatusNotFound)
			}
		}
	})

	t.Run("plans without stages", func(t *testing.T) {
		for _, plan := range []string{"basic", "private"} {
			small := e.tenant(t, "small-"+plan, plan)
			for _, r := range []struct{ method, path string }{{"GET", "/api/inboxes.xml"}, {"POST", "/api/inboxes.xml"},
				{"GET", "/api/inboxes/1.xml"}, {"PUT", "/api/inboxes/1.xml"}, {"DELETE", "/api/inboxes/1.xml"}} {
				small.holder.send(t, r.method, r.path, form("title", "x")).wantError(t, http.StatusForbidden, "The "+plan+" plan does not include Inboxes")
			}
		}
	})

	t.Run("document", func(t *testing.T) {
		r := tn.member.send(t, "POST", "/api/inboxes.json", form("title", "Photos", "message", "Send us your photos",
			"password", "open sesame", "expires_on", "2099-01-31", "max_file_size", "1000", "max_files", "3")).want(t, 201)
		doc := r.obj(t)
		if loc := r.header.Get("Location"); loc != "http://acme.example.com/api/inboxes/"+id(t, doc)+".json" {
			t.Errorf("Location %q", loc)
		}
		m := inboxURL.FindStringSubmatch(str(doc["url"]))
		if m == nil || m[1] != "http://acme.example.com" {
			t.Errorf("url %q: want an absolute address on the account's host with a long secret", doc["url"])
		}
		want := map[string]string{"title": "Photos", "message": "Send us your photos", "has_password": "true",
			"expires_on": "2099-02-01T00:00:00Z", "tags": "Inbox", "max_file_size": "1000", "max_files": "3",
			"uploads_count": "0", "revoked_on": "<nil>"}
		for k, v := range want {
			if got := str(doc[k]); got != v {
				t.Errorf("%s = %q, want %q", k, got, v)
			}
		}
		if _, ok := doc["password"]; ok {
			t.Errorf("the document shows a password: %v", doc)
		}
		if strings.Contains(string(r.body), "argon2") || strings.Contains(string(r.body), "open sesame") {
			t.Errorf("the document shows the password or its hash: %s", r)
		}
		// XML: typed values.
		x := tn.member.get(t, "/api/inboxes/"+id(t, doc)+".xml").want(t, 200).xml(t)
		for name, typ := range map[string]string{"id": "integer", "has_password": "boolean", "expires_on": "datetime",
			"max_file_size": "integer", "max_files": "integer", "uploads_count": "integer", "created_on": "datetime", "revoked_on": "datetime"} {
			if v, _ := x.kid(name).attr("type"); v != typ {
				t.Errorf("<%s type=%q>, want %q", name, v, typ)
			}
		}
		// Two Inboxes never share an address.
		doc2 := tn.member.send(t, "POST", "/api/inboxes.json", form("title", "Other")).want(t, 201).obj(t)
		if doc2["url"] == doc["url"] {
			t.Error("two Inboxes share an address")
		}

		// Tags of the Inbox's choice; the password removed; the document
		// sent back whole is an update.
		up := tn.member.send(t, "PUT", "/api/inboxes/"+id(t, doc)+".json", form("tags", "clients, spring", "password", "")).want(t, 200).obj(t)
		if up["tags"] != "clients, spring" || up["has_password"] != false || up["url"] != doc["url"] {
			t.Errorf("updated: %v", up)
		}
		back := tn.member.get(t, "/api/inboxes/"+id(t, doc)+".xml").want(t, 200)
		tn.member.send(t, "PUT", "/api/inboxes/"+id(t, doc)+".xml", xmlBody(string(back.body))).want(t, 200)

		// DELETE revokes: the Inbox stays to be read, revoked_on set once.
		del := tn.member.send(t, "DELETE", "/api/inboxes/"+id(t, doc)+".json", payload{}).want(t, 200).obj(t)
		if del["revoked_on"] == nil {
			t.Errorf("revoked: %v", del)
		}
		again := tn.member.send(t, "DELETE", "/api/inboxes/"+id(t, doc)+".json", payload{}).want(t, 200).obj(t)
		if again["revoked_on"] != del["revoked_on"] {
			t.Errorf("revoked twice: %v then %v", del["revoked_on"], again["revoked_on"])
		}
		list := tn.member.get(t, "/api/inboxes.json").want(t, 200)
		if list.header.Get("X-Total-Count") == "" {
			t.Errorf("list without X-Total-Count: %s", list)
		}
	})

	t.Run("bad input", func(t *testing.T) {
		for _, c := range []struct {
			body payload
			msg  string
		}{
			{form("message", "no title"), "Title can't be blank"},
			{form("title", " "), "Title can't be blank"},
			{form("title", "x", "expires_on", "tomorrow"), "expires_on must be a date"},
			{form("title", "x", "expires_on", "2001-01-01"), "expires_on must be in the future"},
			{form("title", "x", "max_files", "-1"), "max_files must be a whole number"},
			{form("title", "x", "max_files", "100000"), "max_files must be a whole number"},
			{form("title", "x", "max_file_size", "big"), "max_file_size must be a whole number"},
			{form("title", "x", "password", "short"), "Password must be"},
			{form("title", "x", "owner", "7"), "owner"},
		} {
			tn.member.send(t, "POST", "/api/inboxes.json", c.body).wantError(t, http.StatusUnprocessableEntity, c.msg)
		}
		tn.member.send(t, "POST", "/api/inboxes.json", jsonBody(`{"title":`)).want(t, http.StatusBadRequest)
		tn.member.get(t, "/api/inboxes/abc.json").want(t, http.StatusNotFound)
		tn.member.get(t, "/api/inboxes/999999.json").want(t, http.StatusNotFound)
	})
}

// TestInboxPublicBase: an Inbox's url is on the operator's public base,
// as public links are.
func TestInboxPublicBase(t *testing.T) {
	e := newEnv(t, setup{cfg: httpapi.Config{PublicBaseURL: "https://{account}.cdn.example.net"}})
	tn := e.tenant(t, "acme", "pro")
	doc := tn.member.send(t, "POST", "/api/inboxes.json", form("title", "x")).want(t, 201).obj(t)
	if m := inboxURL.FindStringSubmatch(str(doc["url"])); m == nil || m[1] != "https://acme.cdn.example.net" {
		t.Errorf("url %q, want it on https://acme.cdn.example.net", doc["url"])
	}
}
