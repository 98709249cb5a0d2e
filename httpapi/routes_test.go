package httpapi_test

import (
	"bytes"
	"fmt"
	"regexp"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
)

var formats = []string{".xml", ".json"}

// fixture is what populate made in an account.
type fixture struct {
	asset, tag, user, upload, collection string // ids
	v1, v2                               []byte // the bytes of the asset's versions
}

// populate fills a deluxe account: a tag, an asset with two versions
// carrying the tag, an unused upload, and a collection of the asset.
func populate(t *testing.T, tn *tenant) fixture {
	t.Helper()
	f := fixture{v1: []byte("first version of the logo\n"), v2: []byte("second version of the logo\n")}
	f.tag = id(t, tn.admin.send(t, "POST", "/api/tags.json", form("tag", "brand")).want(t, 201).obj(t))
	a := tn.member.createAsset(t, "logo.txt", f.v1, "title", "The logo", "description", "Our logo, in text", "tags", "brand")
	f.asset = id(t, a)
	tn.member.send(t, "POST", "/api/assets/"+f.asset+"/versions.json",
		multipartBody(file{"file", "logo.txt", f.v2}, "comment", "darker")).want(t, 201)
	f.upload = id(t, tn.member.upload(t, "spare.txt", []byte("an upload no asset uses yet")))
	f.user = id(t, tn.holder.get(t, "/api/user.json").want(t, 200).obj(t))
	f.collection = id(t, tn.member.send(t, "POST", "/api/collections.json",
		form("title", "Logos", "asset_ids", f.asset)).want(t, 201).obj(t))
	return f
}

// TestReadRoutes reads every GET route in .xml, in .json, without an
// extension (XML) and without one but with Accept: application/json, and
// checks that the two formats carry the same typed values.
func TestReadRoutes(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	routes := []struct {
		path       string
		list, item string // the root of a list and of its items; "" for one document
		root       string // the root of one document
	}{
		{path: "/api/account", root: "account"},
		{path: "/api/user", root: "user"},
		{path: "/api/users", list: "users", item: "user"},
		{path: "/api/users/" + f.user, root: "user"},
		{path: "/api/tags", list: "tags", item: "tag"},
		{path: "/api/tags/" + f.tag, root: "tag"},
		{path: "/api/assets", list: "assets", item: "asset"},
		{path: "/api/assets?query=logo&tags=brand", list: "assets", item: "asset"},
		{path: "/api/assets/" + f.asset, root: "asset"},
		{path: "/api/assets/" + f.asset + "/versions", list: "versions", item: "version"},
		{path: "/api/assets/" + f.asset + "/versions/1", root: "version"},
		{path: "/api/assets/" + f.asset + "/versions/2", root: "version"},
		{path: "/api/uploads/" + f.upload, root: "upload"},
		{path: "/api/collections", list: "collections", item: "collection"},
		{path: "/api/collections/" + f.collection, root: "collection"},
		{path: "/api/collections/" + f.collection + "/assets", list: "assets", item: "asset"},
	}
	for _, rt := range routes {
		t.Run(rt.path, func(t *testing.T) {
			p, q, _ := strings.Cut(rt.path, "?")
			if q != "" {
				q = "?" + q
			}
			x := tn.guest.get(t, p+".xml"+q).want(t, 200)
			j := tn.guest.get(t, p+".json"+q).want(t, 200)
			bare := tn.guest.get(t, p+q).want(t, 200)
			accept := tn.guest.get(t, p+q, "Accept", "application/json").want(t, 200)
			if !bytes.Equal(bare.body, x.body) {
				t.Errorf("without extension:\n%s\nwith .xml:\n%s", bare.body, x.body)
			}
			if !bytes.Equal(accept.body, j.body) {
				t.Errorf("with Accept: application/json:\n%s\nwith .json:\n%s", accept.body, j.body)
			}
			if rt.list != "" {
				if n := len(x.list(t, rt.list, rt.item)); n == 0 {
					t.Errorf("empty list: %s", x)
				}
				j.list(t, rt.list, rt.item)
				if x.header.Get("X-Total-Count") == "" || j.header.Get("X-Total-Count") == "" {
					t.Errorf("no X-Total-Count on a list")
				}
			} else if root := x.xml(t).XMLName.Local; root != rt.root {
				t.Errorf("root <%s>, want <%s>", root, rt.root)
			}
			if diff := cmp.Diff(x.doc(t), j.doc(t)); diff != "" {
				t.Errorf("XML and JSON differ (-xml +json):\n%s", diff)
			}
		})
	}
}

// TestDocumentShapes pins the Rails-style documents of API.md.
func TestDocumentShapes(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)

	t.Run("asset XML", func(t *testing.T) {
		n := tn.guest.get(t, "/api/assets/"+f.asset+".xml").want(t, 200).xml(t)
		want := map[string]string{ // element: its type attribute
			"id": "integer", "title": "", "description": "", "filename": "", "content_type": "",
			"size": "integer", "version": "integer", "user_id": "integer", "created_on": "datetime",
			"updated_on": "datetime", "tags": "array", "thumb_url": "", "preview_url": "", "public_url": "",
			"download_url": "", "sha256": "", "processing": "", "metadata_type": "",
			"metadata_pixel_width": "integer", "metadata_pixel_height": "integer",
			"metadata_resolution_width": "integer", "metadata_resolution_height": "integer",
			"metadata_bits_per_sample": "integer", "metadata_color_space": "", "metadata_orientation": "",
			"metadata_alpha_channel": "boolean", "width": "integer", "height": "integer", "page_count": "integer",
		}
		for name, typ := range want {
			k := n.kid(name)
			if k == nil {
				t.Errorf("no <%s>", name)
				continue
			}
			if got, _ := k.attr("type"); got != typ {
				t.Errorf("<%s type=%q>, want type %q", name, got, typ)
			}
		}
		for _, name := range []string{"thumb_url", "preview_url"} {
			if v, _ := n.kid(name).attr("nil"); v != "true" {
				t.Errorf("<%s> is not nil=\"true\"", name)
			}
		}
		tags := n.kid("tags")
		if len(tags.Kids) != 1 || tags.Kids[0].XMLName.Local != "tag" || tags.Kids[0].kid("tag").Text != "brand" {
			t.Errorf("tags: %+v", tags)
		}
		if got := n.kid("version").Text; got != "2" {
			t.Errorf("version %s, want 2", got)
		}
		if got, want := n.kid("download_url").Text, "http://acme.example.com/api/assets/download/"+f.asset; got != want {
			t.Errorf("download_url %s, want %s", got, want)
		}
		// Guests never see the public link; members do.
		if v, _ := n.kid("public_url").attr("nil"); v != "true" || n.kid("public_url").Text != "" {
			t.Errorf("a guest's public_url %q, nil=%q; want none", n.kid("public_url").Text, v)
		}
		link := tn.member.get(t, "/api/assets/"+f.asset+".xml").want(t, 200).xml(t).kid("public_url").Text
		if !regexp.MustCompile(`^http://acme\.example\.com/p/[0-9]+-[a-z0-9]+$`).MatchString(link) {
			t.Errorf("a member's public_url %q", link)
		}
		if got := n.kid("sha256").Text; !regexp.MustCompile(`^[0-9a-f]{64}$`).MatchString(got) {
			t.Errorf("sha256 %q", got)
		}
		created, err := time.Parse(time.RFC3339, n.kid("created_on").Text)
		if err != nil || time.Since(created) > time.Hour || created.Location() != time.UTC {
			t.Errorf("created_on %q: %v", n.kid("created_on").Text, err)
		}
	})
	t.Run("asset JSON", func(t *testing.T) {
		a := tn.guest.get(t, "/api/assets/"+f.asset+".json").want(t, 200).obj(t)
		for _, name := range []string{"thumb_url", "preview_url", "metadata_pixel_width", "width"} {
			if v, ok := a[name]; !ok || v != nil {
				t.Errorf("%s = %v (present %v), want null", name, v, ok)
			}
		}
		if _, ok := a["tags"].([]any); !ok {
			t.Errorf("tags %T, want an array", a["tags"])
		}
		if _, ok := a["id"].(interface{ Int64() (int64, error) }); !ok {
			t.Errorf("id %T, want a number", a["id"])
		}
	})
	t.Run("list", func(t *testing.T) {
		r := tn.guest.get(t, "/api/assets.xml").want(t, 200)
		if !bytes.Contains(r.body, []byte(`<assets type="array"><asset>`)) {
			t.Errorf("no <assets type=\"array\"><asset>: %s", r)
		}
		if l := tn.guest.get(t, "/api/assets.json").want(t, 200).list(t, "assets", "asset"); len(l) != 1 {
			t.Errorf("%d assets, want 1", len(l))
		}
	})
	t.Run("account", func(t *testing.T) {
		n := tn.holder.get(t, "/api/account.xml").want(t, 200).xml(t)
		for _, name := range []string{"id", "subdomain", "company_name", "account_holder_id", "billing_email", "country",
			"plan", "branding", "branding_info", "trial", "stats", "created_on", "updated_on", "api_enabled",
			"users_count", "assets_count"} {
			if n.kid(name) == nil {
				t.Errorf("no <%s>", name)
			}
		}
		plan := n.kid("plan")
		if plan.Text != "deluxe" {
			t.Errorf("plan %q", plan.Text)
		}
		for _, a := range []string{"ssl", "stages", "multiple_users", "versions", "branding", "full_text_search"} {
			if v, _ := plan.attr(a); v != "true" {
				t.Errorf("<plan %s=%q>, want true on deluxe", a, v)
			}
		}
		for _, a := range []string{"used_space", "available_space", "used_bandwidth", "available_bandwidth"} {
			if _, ok := n.kid("stats").attr(a); !ok {
				t.Errorf("<stats> without %s", a)
			}
		}
		acc := tn.holder.get(t, "/api/account.json").want(t, 200).obj(t)
		stats := acc["stats"].(map[string]any)
		used := int64(len(f.v1) + len(f.v2) + len("an upload no asset uses yet"))
		if got := num(t, stats["used_space"]); got != used {
			t.Errorf("used_space %d, want %d", got, used)
		}
		if got := num(t, acc["users_count"]); got != 4 {
			t.Errorf("users_count %d, want 4", got)
		}
		if got := num(t, acc["assets_count"]); got != 1 {
			t.Errorf("assets_count %d, want 1", got)
		}
		if acc["subdomain"] != "acme" || acc["api_enabled"] != true {
			t.Errorf("account %v", acc)
		}
	})
	t.Run("no password in user documents", func(t *testing.T) {
		for _, p := range []string{"/api/users", "/api/user", "/api/users/" + f.user} {
			for _, ext := range formats {
				r := tn.holder.get(t, p+ext).want(t, 200)
				for _, bad := range []string{"password", "argon2", "hash"} {
					if bytes.Contains(bytes.ToLower(r.body), []byte(bad)) {
						t.Errorf("%q in a user document: %s", bad, r)
					}
				}
			}
		}
		u := tn.holder.get(t, "/api/user.json").obj(t)
		for _, name := range []string{"id", "login", "email", "first_name", "last_name", "role", "created_on", "updated_on"} {
			if _, ok := u[name]; !ok {
				t.Errorf("user without %s: %v", name, u)
			}
		}
		if u["role"] != "holder" || u["login"] != "holder" {
			t.Errorf("current user %v", u)
		}
	})
	t.Run("version and upload", func(t *testing.T) {
		v := tn.guest.get(t, "/api/assets/"+f.asset+"/versions/2.json").want(t, 200).obj(t)
		for name, want := range map[string]string{"number": "2", "asset_id": f.asset, "comment": "darker",
			"filename": "logo.txt", "size": fmt.Sprint(len(f.v2))} {
			if got := str(v[name]); got != want {
				t.Errorf("version %s = %q, want %q", name, got, want)
			}
		}
		u := tn.guest.get(t, "/api/uploads/"+f.upload+".xml").want(t, 200).xml(t)
		for name, typ := range map[string]string{"id": "integer", "filename": "", "content_type": "", "size": "integer",
			"sha256": "", "expires_on": "datetime"} {
			k := u.kid(name)
			if k == nil {
				t.Errorf("upload without <%s>", name)
			} else if got, _ := k.attr("type"); got != typ {
				t.Errorf("<%s type=%q>, want %q", name, got, typ)
			}
		}
		exp, _ := time.Parse(time.RFC3339, u.kid("expires_on").Text)
		if d := time.Until(exp); d < 23*time.Hour || d > 25*time.Hour {
			t.Errorf("upload expires in %s, want 24h", d)
		}
	})
	t.Run("errors", func(t *testing.T) {
		r := tn.guest.get(t, "/api/assets/999999.xml").want(t, 404)
		if want := xmlDecl + "\n<errors><error>Not found</error></errors>\n"; string(r.body) != want {
			t.Errorf("body %q, want %q", r.body, want)
		}
		r = tn.guest.get(t, "/api/assets/999999.json").want(t, 404)
		if want := `{"errors":["Not found"]}` + "\n"; string(r.body) != want {
			t.Errorf("body %q, want %q", r.body, want)
		}
	})
}

// TestEmptyLists: a list or a search with nothing in it is 404 with an
// empty array document, as the 2007 text has it.
func TestEmptyLists(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	tn.member.createAsset(t, "a.txt", []byte("aaa"), "title", "apple")
	for _, p := range []string{"/api/tags", "/api/assets?query=nothing", "/api/assets?tags=nosuchtag",
		"/api/assets?page=5"} {
		for _, ext := range formats {
			path, q, _ := strings.Cut(p, "?")
			r := tn.guest.get(t, path+ext+"?"+q).want(t, 404)
			name := strings.TrimPrefix(path, "/api/")
			if l := r.list(t, name, strings.TrimSuffix(name, "s")); len(l) != 0 {
				t.Errorf("%d items: %s", len(l), r)
			}
			if want := map[string]string{".xml": xmlDecl + "\n<" + name + ` type="array"/>` + "\n", ".json": "[]\n"}[ext]; string(r.body) != want {
				t.Errorf("body %q, want %q", r.body, want)
			}
			if r.header.Get("X-Total-Count") == "" {
				t.Errorf("no X-Total-Count: %s", r)
			}
		}
	}
}
