package httpapi_test

import (
	"bytes"
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"image"
	pngenc "image/png"
	"net/http"
	"regexp"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/library"
)

// created checks a 201 with the Location of the new document, and answers
// the document and the path of the Location.
func created(t *testing.T, r *response, ext, prefix string) (map[string]any, string) {
	t.Helper()
	doc := r.want(t, http.StatusCreated).obj(t)
	want := "http://acme.example.com" + prefix + id(t, doc) + ext
	if got := r.header.Get("Location"); got != want {
		t.Errorf("Location %q, want %q", got, want)
	}
	return doc, strings.TrimPrefix(want, "http://acme.example.com")
}

func tagNames(t *testing.T, a map[string]any) []string {
	t.Helper()
	var names []string
	tags, ok := a["tags"].([]any)
	if !ok {
		t.Fatalf("tags %T", a["tags"])
	}
	for _, x := range tags {
		names = append(names, str(x.(map[string]any)["tag"]))
	}
	return names
}

func TestAccount(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	bodies := map[string]payload{
		".xml":  xmlBody(`<account><company_name>Acme XML</company_name><country>CH</country></account>`),
		".json": jsonBody(`{"account":{"company_name":"Acme JSON","country":"CH"}}`),
	}
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			a := tn.holder.send(t, "PUT", "/api/account"+ext, bodies[ext]).want(t, 200).obj(t)
			want := map[string]string{".xml": "Acme XML", ".json": "Acme JSON"}[ext]
			if a["company_name"] != want || a["country"] != "CH" {
				t.Errorf("account after PUT: %v", a)
			}
			if got := tn.guest.get(t, "/api/account"+ext).want(t, 200).obj(t)["company_name"]; got != want {
				t.Errorf("company_name %v after PUT, want %s", got, want)
			}
			before := e.state(t, tn.holder)
			tn.admin.send(t, "PUT", "/api/account"+ext, bodies[ext]).wantError(t, 403, "role")
			e.unchanged(t, tn.holder, before)
		})
	}
	t.Run("plan", func(t *testing.T) {
		// The plan is the operator's (damask account plan, RELIABILITY
		// 44): the holder's update may name it only as it is, as a
		// document sent back does.
		before := e.state(t, tn.holder)
		tn.holder.send(t, "PUT", "/api/account.xml", form("plan", "gold")).wantError(t, 403, "operator")
		tn.holder.send(t, "PUT", "/api/account.json", form("account[plan]", "pro")).wantError(t, 403, "operator")
		tn.holder.send(t, "PUT", "/api/account.json", jsonBody(`{"plan":{"name":"deluxe","storage_limit":0}}`)).wantError(t, 403, "operator")
		e.unchanged(t, tn.holder, before)
		sent := tn.holder.get(t, "/api/account.json").want(t, 200).body
		a := tn.holder.send(t, "PUT", "/api/account.json", jsonBody(string(sent))).want(t, 200).obj(t)
		if p := a["plan"].(map[string]any); p["name"] != "deluxe" || p["versions"] != true {
			t.Errorf("plan after PUT: %v", p)
		}
	})
	t.Run("API off", func(t *testing.T) {
		tn.holder.send(t, "PUT", "/api/account.json", jsonBody(`{"api_enabled":false}`)).want(t, 200)
		for _, ext := range formats {
			tn.holder.get(t, "/api/account"+ext).wantError(t, 403, "account holder must enable")
		}
	})
}

func TestUsers(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	bodies := map[string]payload{
		".xml":  xmlBody(`<user><login>xml-user</login><email>x@acme.test</email><password>long enough</password><first_name>Ex</first_name></user>`),
		".json": jsonBody(`{"user":{"login":"json-user","email":"j@acme.test","password":"long enough","first_name":"Jay","role":"guest"}}`),
	}
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			for _, by := range []*client{tn.holder, tn.admin} {
				before := e.state(t, tn.holder)
				tn.member.send(t, "POST", "/api/users"+ext, bodies[ext]).wantError(t, 403, "role")
				e.unchanged(t, tn.holder, before)

				u, loc := created(t, by.send(t, "POST", "/api/users"+ext, bodies[ext]), ext, "/api/users/")
				wantRole := map[string]string{".xml": "member", ".json": "guest"}[ext]
				if u["role"] != wantRole || u["first_name"] == "" {
					t.Errorf("new user %v", u)
				}
				if diff := cmp.Diff(u, tn.guest.get(t, loc).want(t, 200).obj(t)); diff != "" {
					t.Errorf("GET Location differs:\n%s", diff)
				}
				// The new user signs in.
				tn.holder.as(str(u["login"]), "long enough").get(t, "/api/user"+ext).want(t, 200)
				// A second with the same login is invalid.
				by.send(t, "POST", "/api/users"+ext, bodies[ext]).wantError(t, 422, "taken")

				u = by.send(t, "PUT", loc, form("user[last_name]", "Smith", "role", "admin")).want(t, 200).obj(t)
				if u["last_name"] != "Smith" || u["role"] != "admin" {
					t.Errorf("user after PUT: %v", u)
				}
				d := by.do(t, "DELETE", loc, nil).want(t, 200).obj(t)
				if d["id"] != u["id"] {
					t.Errorf("DELETE answered %v", d)
				}
				tn.guest.get(t, loc).wantError(t, 404, "Not found")
				by.do(t, "DELETE", loc, nil).wantError(t, 404, "Not found")
			}
		})
	}
	t.Run("holder", func(t *testing.T) {
		holderID := id(t, tn.holder.get(t, "/api/user.json").obj(t))
		tn.admin.do(t, "DELETE", "/api/users/"+holderID+".xml", nil).wantError(t, 403, "holder")
		tn.admin.send(t, "PUT", "/api/users/"+holderID+".xml", form("first_name", "X")).wantError(t, 403, "holder")
		tn.holder.do(t, "DELETE", "/api/users/"+holderID+".xml", nil).want(t, 403)
		tn.admin.send(t, "PUT", "/api/users/"+id(t, tn.member.get(t, "/api/user.json").obj(t))+".json",
			form("role", "holder")).want(t, 403)
		before := e.state(t, tn.holder)
		tn.holder.send(t, "POST", "/api/users.json", form("login", "second", "email", "s@acme.test", "password", pw,
			"role", "holder")).wantError(t, 403, "one holder")
		tn.holder.send(t, "POST", "/api/users.json", form("login", "third", "email", "t@acme.test", "password", pw,
			"role", "owner")).wantError(t, 422, "Role")
		tn.holder.send(t, "POST", "/api/users.json", form("login", "fourth", "email", "not an email", "password", pw)).
			wantError(t, 422, "Email")
		tn.holder.send(t, "POST", "/api/users.json", form("login", "fifth", "email", "f@acme.test", "password", "short")).
			wantError(t, 422, "Password")
		tn.holder.send(t, "POST", "/api/users.json", form("login", "../x", "email", "x@acme.test", "password", pw)).
			wantError(t, 422, "Login")
		e.unchanged(t, tn.holder, before)
	})
	t.Run("plan without multiple users", func(t *testing.T) {
		b := e.tenant(t, "solo", "basic")
		for _, ext := range formats {
			before := e.state(t, b.holder)
			b.holder.send(t, "POST", "/api/users"+ext, bodies[ext]).wantError(t, 403, "basic plan")
			e.unchanged(t, b.holder, before)
		}
	})
}

func TestTags(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	bodies := map[string][]payload{
		".xml":  {xmlBody(`<tag><tag>red</tag></tag>`), xmlBody(`<tag><name>crimson</name></tag>`)},
		".json": {jsonBody(`{"tag":{"tag":"blue"}}`), jsonBody(`{"name":"navy"}`)},
	}
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			before := e.state(t, tn.holder)
			tn.member.send(t, "POST", "/api/tags"+ext, bodies[ext][0]).wantError(t, 403, "role")
			e.unchanged(t, tn.holder, before)

			tag, loc := created(t, tn.admin.send(t, "POST", "/api/tags"+ext, bodies[ext][0]), ext, "/api/tags/")
			if num(t, tag["assets_count"]) != 0 {
				t.Errorf("new tag %v", tag)
			}
			tn.admin.send(t, "POST", "/api/tags"+ext, bodies[ext][0]).wantError(t, 422, "taken")
			tn.member.createAsset(t, "a.txt", []byte("tagged "+ext), "tags", str(tag["tag"]))
			if got := tn.guest.get(t, loc).want(t, 200).obj(t); num(t, got["assets_count"]) != 1 {
				t.Errorf("tag after use: %v", got)
			}
			renamed := tn.holder.send(t, "PUT", loc, bodies[ext][1]).want(t, 200).obj(t)
			if renamed["id"] != tag["id"] || renamed["tag"] == tag["tag"] {
				t.Errorf("renamed %v from %v", renamed, tag)
			}
			l := tn.guest.get(t, "/api/assets"+ext+"?tags="+str(renamed["tag"])).want(t, 200).list(t, "assets", "asset")
			if len(l) != 1 {
				t.Errorf("%d assets with the renamed tag", len(l))
			}
			if d := tn.admin.do(t, "DELETE", loc, nil).want(t, 200).obj(t); d["id"] != tag["id"] {
				t.Errorf("DELETE answered %v", d)
			}
			tn.guest.get(t, loc).wantError(t, 404, "Not found")
			a := tn.guest.get(t, "/api/assets"+ext).want(t, 200).list(t, "assets", "asset")
			for _, x := range a {
				if n := tagNames(t, x.(map[string]any)); len(n) != 0 {
					t.Errorf("deleted tag still on an asset: %v", n)
				}
			}
		})
	}
}

func TestAssetList(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	tn.admin.send(t, "POST", "/api/tags.json", form("tag", "red")).want(t, 201)
	for i, spec := range []struct{ name, title, desc, tags string }{
		{"apple.txt", "Apple", "a red fruit", "red,fruit"},
		{"banana.txt", "Banana", "a yellow fruit", "fruit yellow"},
		{"cherry.txt", "Cherry", "small and red", "red"},
		{"tomato.txt", "Tomato", "a red vegetable, says the cook", "red,vegetable"},
		{"zucchini.txt", "Zucchini", "green", ""},
	} {
		a := tn.member.createAsset(t, spec.name, []byte(strings.Repeat("x", i+1)), "title", spec.title,
			"description", spec.desc, "tags", spec.tags)
		id(t, a) // the answer names the new asset
	}
	red := id(t, tn.guest.get(t, "/api/tags.json").list(t, "tags", "tag")[1].(map[string]any))
	fruit := ""
	for _, x := range tn.guest.get(t, "/api/tags.json").list(t, "tags", "tag") {
		if x.(map[string]any)["tag"] == "fruit" {
			fruit = id(t, x.(map[string]any))
		}
	}
	titles := func(l []any) []string {
		var out []string
		for _, x := range l {
			out = append(out, str(x.(map[string]any)["title"]))
		}
		return out
	}
	cases := []struct {
		query string
		want  []string // titles, in order
		total int
		link  []string // rels of the Link header
	}{
		{"", []string{"Zucchini", "Tomato", "Cherry", "Banana", "Apple"}, 5, nil},
		{"sort=title", []string{"Apple", "Banana", "Cherry", "Tomato", "Zucchini"}, 5, nil},
		{"sort=-size", []string{"Zucchini", "Tomato", "Cherry", "Banana", "Apple"}, 5, nil},
		{"sort=size", []string{"Apple", "Banana", "Cherry", "Tomato", "Zucchini"}, 5, nil},
		{"query=fruit", []string{"Banana", "Apple"}, 2, nil},
		{"query=RED+fruit", []string{"Apple"}, 1, nil},
		{"query=cherry.txt", []string{"Cherry"}, 1, nil},
		{"query=vegetable", []string{"Tomato"}, 1, nil},
		{"tags=red", []string{"Tomato", "Cherry", "Apple"}, 3, nil},
		{"tags=" + red, []string{"Tomato", "Cherry", "Apple"}, 3, nil},
		{"tags=red,fruit", []string{"Apple"}, 1, nil},
		{"tags=red+fruit", []string{"Apple"}, 1, nil},
		{"tags=" + red + "," + fruit, []string{"Apple"}, 1, nil},
		{"tags=fruit&query=yellow", []string{"Banana"}, 1, nil},
		{"tags=red&sort=title&per_page=2", []string{"Apple", "Cherry"}, 3, []string{"next"}},
		{"tags=red&sort=title&per_page=2&page=2", []string{"Tomato"}, 3, []string{"prev"}},
		{"sort=title&per_page=1&page=3", []string{"Cherry"}, 5, []string{"next", "prev"}},
		{"sort=title&per_page=1000&page=1", []string{"Apple", "Banana", "Cherry", "Tomato", "Zucchini"}, 5, nil},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.query+ext, func(t *testing.T) {
				r := tn.guest.get(t, "/api/assets"+ext+"?"+c.query).want(t, 200)
				if diff := cmp.Diff(c.want, titles(r.list(t, "assets", "asset"))); diff != "" {
					t.Errorf("titles (-want +got):\n%s", diff)
				}
				if got := r.header.Get("X-Total-Count"); got != fmt.Sprint(c.total) {
					t.Errorf("X-Total-Count %s, want %d", got, c.total)
				}
				var rels []string
				for _, l := range strings.Split(r.header.Get("Link"), ", ") {
					if l == "" {
						continue
					}
					if !strings.HasPrefix(l, "<http://acme.example.com/api/assets"+ext+"?") {
						t.Errorf("link %q", l)
					}
					_, rel, _ := strings.Cut(l, "; rel=")
					rels = append(rels, strings.Trim(rel, `"`))
				}
				if diff := cmp.Diff(c.link, rels); diff != "" {
					t.Errorf("Link %q (-want +got):\n%s", r.header.Get("Link"), diff)
				}
			})
		}
	}
	t.Run("links work", func(t *testing.T) {
		r := tn.guest.get(t, "/api/assets.json?sort=title&per_page=2&page=2").want(t, 200)
		for _, l := range strings.Split(r.header.Get("Link"), ", ") {
			u := strings.TrimPrefix(l[1:strings.Index(l, ">")], "http://acme.example.com")
			next := tn.guest.get(t, u).want(t, 200).list(t, "assets", "asset")
			want := map[bool]string{true: "Zucchini", false: "Apple"}[strings.Contains(l, "next")]
			if got := str(next[0].(map[string]any)["title"]); got != want {
				t.Errorf("%s leads to %s, want %s", l, got, want)
			}
		}
	})
	t.Run("per_page over 100 is cut to 100", func(t *testing.T) {
		r := tn.guest.get(t, "/api/assets.xml?per_page=1000&page=2").want(t, 404)
		if l := r.header.Get("Link"); !strings.Contains(l, "per_page=100") || strings.Contains(l, "per_page=1000") {
			t.Errorf("Link %q, want per_page=100", l)
		}
	})
}

func TestCreateAsset(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "basic")
	cases := []struct {
		name string
		body func(upload string, data []byte) payload // upload is "" for one step
	}{
		{"two steps, flat form", func(u string, _ []byte) payload {
			return form("upload_id", u, "title", "T", "description", "D", "tags", "red, green")
		}},
		{"two steps, nested form", func(u string, _ []byte) payload {
			return form("asset[upload_id]", u, "asset[title]", "T", "asset[description]", "D", "asset[tags]", "red green")
		}},
		{"two steps, XML", func(u string, _ []byte) payload {
			return xmlBody(`<?xml version="1.0" encoding="UTF-8"?><asset><upload_id type="integer">` + u +
				`</upload_id><title>T</title><description>D</description><tags>red,green</tags></asset>`)
		}},
		{"two steps, XML with tags as ActiveResource sends them", func(u string, _ []byte) payload {
			return xmlBody(`<asset><upload_id>` + u + `</upload_id><title>T</title><description>D</description>` +
				`<tags type="array"><tag><tag>red</tag></tag><tag><tag>green</tag></tag></tags><thumb_url nil="true"/></asset>`)
		}},
		{"two steps, flat JSON", func(u string, _ []byte) payload {
			return jsonBody(`{"upload_id":` + u + `,"title":"T","description":"D","tags":"red,green"}`)
		}},
		{"two steps, nested JSON", func(u string, _ []byte) payload {
			return jsonBody(`{"asset":{"upload_id":"` + u + `","title":"T","description":"D","tags":["red","green"],"thumb_url":null}}`)
		}},
		{"one step, multipart flat", func(_ string, d []byte) payload {
			return multipartBody(file{"file", "photo.txt", d}, "title", "T", "description", "D", "tags", "red,green")
		}},
		{"one step, multipart nested", func(_ string, d []byte) payload {
			return multipartBody(file{"asset[file]", "photo.txt", d}, "asset[title]", "T", "asset[description]", "D", "asset[tags]", "red,green")
		}},
	}
	for i, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				data := []byte(fmt.Sprintf("file %d %s\n", i, ext))
				upload := ""
				if strings.HasPrefix(c.name, "two") {
					upload = id(t, tn.member.upload(t, "photo.txt", data))
				}
				a, loc := created(t, tn.member.send(t, "POST", "/api/assets"+ext, c.body(upload, data)), ext, "/api/assets/")
				sum := sha256.Sum256(data)
				for name, want := range map[string]string{"title": "T", "description": "D", "filename": "photo.txt",
					"size": fmt.Sprint(len(data)), "version": "1", "content_type": "text/plain; charset=utf-8",
					"sha256": hex.EncodeToString(sum[:])} {
					if got := str(a[name]); got != want {
						t.Errorf("%s = %q, want %q", name, got, want)
					}
				}
				if diff := cmp.Diff([]string{"green", "red"}, tagNames(t, a)); diff != "" {
					t.Errorf("tags (-want +got):\n%s", diff)
				}
				if diff := cmp.Diff(a, tn.member.get(t, loc).want(t, 200).obj(t)); diff != "" {
					t.Errorf("GET Location differs:\n%s", diff)
				}
				// A guest reads the same document but for the public
				// link, which would give them the original.
				asGuest := tn.guest.get(t, loc).want(t, 200).obj(t)
				if a["public_url"] == nil || asGuest["public_url"] != nil {
					t.Errorf("public_url %v for its maker, %v for a guest; want a link, then none", a["public_url"], asGuest["public_url"])
				}
				asGuest["public_url"] = a["public_url"]
				if diff := cmp.Diff(a, asGuest); diff != "" {
					t.Errorf("GET Location as a guest differs:\n%s", diff)
				}
				if got := tn.member.get(t, "/api/assets/download/"+id(t, a)).want(t, 200).body; string(got) != string(data) {
					t.Errorf("downloaded %q, want %q", got, data)
				}
				if upload != "" {
					// An upload makes one asset only.
					tn.member.get(t, "/api/uploads/"+upload+ext).wantError(t, 404, "Not found")
					before := e.state(t, tn.holder)
					tn.member.send(t, "POST", "/api/assets"+ext, c.body(upload, data)).wantError(t, 422, "Upload "+upload)
					e.unchanged(t, tn.holder, before)
				}
			})
		}
	}
	t.Run("title defaults to the filename", func(t *testing.T) {
		a := tn.member.createAsset(t, "Holiday photo.final.txt", []byte("x"))
		if a["title"] != "Holiday photo.final" {
			t.Errorf("title %v", a["title"])
		}
	})
	t.Run("no file", func(t *testing.T) {
		for _, ext := range formats {
			before := e.state(t, tn.holder)
			tn.member.send(t, "POST", "/api/assets"+ext, form("title", "nothing")).wantError(t, 422, "File can't be blank")
			tn.member.send(t, "POST", "/api/assets"+ext, form("upload_id", "999999")).wantError(t, 422, "Upload 999999")
			e.unchanged(t, tn.holder, before)
		}
	})
}

func TestUpdateAsset(t *testing.T) {
	e := newEnv(t, setup{})
	deluxe := e.tenant(t, "acme", "deluxe")
	basic := e.tenant(t, "basic", "basic")
	for _, tn := range []*tenant{deluxe, basic} {
		for _, ext := range formats {
			t.Run(tn.name+ext, func(t *testing.T) {
				a := tn.member.createAsset(t, "a.txt", []byte("version one "+ext), "tags", "old")
				p := "/api/assets/" + id(t, a) + ext
				for _, b := range []payload{
					form("title", "New title", "description", "New description", "tags", "new,newer"),
					form("asset[title]", "New title", "asset[description]", "New description", "asset[tags]", "new newer"),
					xmlBody(`<asset><title>New title</title><description>New description</description><tags>new, newer</tags></asset>`),
					jsonBody(`{"asset":{"title":"New title","description":"New description","tags":["new","newer"]}}`),
					jsonBody(`{"title":"New title","description":"New description","tags":"new,newer"}`),
				} {
					tn.member.send(t, "PUT", p, form("title", "Old", "tags", "old")).want(t, 200)
					got := tn.member.send(t, "PUT", p, b).want(t, 200).obj(t)
					if got["title"] != "New title" || got["description"] != "New description" || str(got["version"]) != "1" {
						t.Errorf("after PUT %s: %v", b.data, got)
					}
					if diff := cmp.Diff([]string{"new", "newer"}, tagNames(t, got)); diff != "" {
						t.Errorf("tags after PUT %s (-want +got):\n%s", b.data, diff)
					}
				}
				// Only the title: the rest stays.
				got := tn.member.send(t, "PUT", p, form("title", "Only")).want(t, 200).obj(t)
				if got["description"] != "New description" || len(tagNames(t, got)) != 2 {
					t.Errorf("PUT title changed other fields: %v", got)
				}
				// Tags emptied.
				if got := tn.member.send(t, "PUT", p, form("tags", "")).want(t, 200).obj(t); len(tagNames(t, got)) != 0 {
					t.Errorf("tags after PUT tags=: %v", got["tags"])
				}

				v2 := []byte("version two " + ext)
				up := id(t, tn.member.upload(t, "b.txt", v2))
				if tn == basic {
					before := e.state(t, tn.holder)
					tn.member.send(t, "PUT", p, form("upload_id", up)).wantError(t, 403, "basic plan")
					tn.member.send(t, "PUT", p, multipartBody(file{"file", "b.txt", []byte("never stored")}, "title", "x")).
						wantError(t, 403, "basic plan")
					tn.member.send(t, "POST", "/api/assets/"+id(t, a)+"/versions"+ext,
						multipartBody(file{"file", "b.txt", []byte("never stored")})).wantError(t, 403, "basic plan")
					e.unchanged(t, tn.holder, before)
					return
				}
				got = tn.member.send(t, "PUT", p, form("upload_id", up, "title", "Two")).want(t, 200).obj(t)
				if str(got["version"]) != "2" || got["filename"] != "b.txt" || got["title"] != "Two" || str(got["size"]) != fmt.Sprint(len(v2)) {
					t.Errorf("after PUT with upload_id: %v", got)
				}
				if body := tn.member.get(t, "/api/assets/download/"+id(t, a)).want(t, 200).body; string(body) != string(v2) {
					t.Errorf("download %q, want %q", body, v2)
				}
				v3 := []byte("version three " + ext)
				got = tn.member.send(t, "PUT", p, multipartBody(file{"file", "c.txt", v3})).want(t, 200).obj(t)
				if str(got["version"]) != "3" || got["filename"] != "c.txt" {
					t.Errorf("after PUT with a file: %v", got)
				}
				if l := tn.guest.get(t, "/api/assets/"+id(t, a)+"/versions"+ext).want(t, 200).list(t, "versions", "version"); len(l) != 3 {
					t.Errorf("%d versions, want 3", len(l))
				}
			})
		}
	}
}

func TestDeleteAsset(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	for _, ext := range formats {
		t.Run(ext, func(t *testing.T) {
			a := tn.member.createAsset(t, "doomed.txt", []byte("doomed "+ext), "title", "Doomed"+ext)
			p := "/api/assets/" + id(t, a) + ext
			d := tn.member.do(t, "DELETE", p, nil).want(t, 200).obj(t)
			if d["id"] != a["id"] || d["title"] != a["title"] {
				t.Errorf("DELETE answered %v", d)
			}
			tn.member.get(t, p).wantError(t, 404, "Not found")
			tn.member.get(t, "/api/assets/download/"+id(t, a)).wantError(t, 404, "Not found")
			tn.member.get(t, "/api/assets/"+id(t, a)+"/versions"+ext).wantError(t, 404, "Not found")
			tn.member.send(t, "PUT", p, form("title", "x")).wantError(t, 404, "Not found")
			tn.member.do(t, "DELETE", p, nil).wantError(t, 404, "Not found")
			tn.guest.get(t, "/api/assets"+ext+"?query=doomed").want(t, 404)
			trash, _, err := e.svc.Trash(context.Background(), "acme", damask.Page{Number: 1, Size: 100})
			if err != nil {
				t.Fatal(err)
			}
			found := false
			for _, x := range trash {
				found = found || fmt.Sprint(x.ID) == id(t, a)
			}
			if !found {
				t.Errorf("asset %s not in the trash", id(t, a))
			}
		})
	}
}

// TestAccountLogo: branding_info's logo is the address the pages serve
// the logo at, absolute like every URL of the documents, or nil.
func TestAccountLogo(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	if logo := tn.holder.get(t, "/api/account.json").want(t, 200).obj(t)["branding_info"].(map[string]any)["logo"]; logo != nil {
		t.Errorf("logo %v before one was set, want null", logo)
	}
	ctx := context.Background()
	a, err := e.svc.AccountByName(ctx, "acme")
	if err != nil {
		t.Fatal(err)
	}
	c, err := e.svc.AuthenticateBasic(ctx, a, "holder", pw, "192.0.2.1")
	if err != nil {
		t.Fatal(err)
	}
	var png bytes.Buffer
	if err := pngenc.Encode(&png, image.NewGray(image.Rect(0, 0, 8, 4))); err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.SetBranding(ctx, c, library.BrandingChanges{Logo: &png}); err != nil {
		t.Fatal(err)
	}
	logo, _ := tn.holder.get(t, "/api/account.json").want(t, 200).obj(t)["branding_info"].(map[string]any)["logo"].(string)
	if !regexp.MustCompile(`^http://acme\.` + regexp.QuoteMeta(domain) + `/branding/logo\?v=[0-9a-f]{16}$`).MatchString(logo) {
		t.Errorf("logo %q, want the absolute address of /branding/logo", logo)
	}
}
