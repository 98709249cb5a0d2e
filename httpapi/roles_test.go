package httpapi_test

import (
	"fmt"
	"testing"
)

// TestRoles runs every route as every role: guests read but neither
// download originals nor write; members add, edit and delete assets;
// admins also manage users and tags; only the holder changes the account.
// A refused call is 403 with an error document and changes nothing.
func TestRoles(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populate(t, tn)
	n := 0
	unique := func() string { n++; return fmt.Sprint(n) }
	// Each route makes what it needs afresh, so that a call that works
	// does not spoil the next role's.
	newAsset := func(t *testing.T) string {
		return id(t, tn.holder.createAsset(t, "r"+unique()+".txt", []byte("role test "+unique())))
	}
	newUser := func(t *testing.T) string {
		login := "user" + unique()
		return id(t, tn.holder.send(t, "POST", "/api/users.json",
			form("login", login, "email", login+"@acme.test", "password", pw)).want(t, 201).obj(t))
	}
	newTag := func(t *testing.T) string {
		return id(t, tn.holder.send(t, "POST", "/api/tags.json", form("tag", "tag"+unique())).want(t, 201).obj(t))
	}
	newCollection := func(t *testing.T) string {
		return id(t, tn.holder.send(t, "POST", "/api/collections.json", form("title", "col"+unique())).want(t, 201).obj(t))
	}
	type call struct {
		method, path string
		body         payload
	}
	routes := []struct {
		name string
		min  string // the least role that may
		make func(t *testing.T, ext string) call
	}{
		{"show account", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/account" + ext, payload{}} }},
		{"update account", "holder", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/account" + ext, form("company_name", "Acme "+unique())}
		}},
		{"current user", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/user" + ext, payload{}} }},
		{"list users", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/users" + ext, payload{}} }},
		{"show user", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/users/" + f.user + ext, payload{}} }},
		{"create user", "admin", func(t *testing.T, ext string) call {
			login := "new" + unique()
			return call{"POST", "/api/users" + ext, form("login", login, "email", login+"@acme.test", "password", pw)}
		}},
		{"update other user", "admin", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/users/" + newUser(t) + ext, form("first_name", "Renamed")}
		}},
		{"change a role", "admin", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/users/" + newUser(t) + ext, form("role", "guest")}
		}},
		{"delete user", "admin", func(t *testing.T, ext string) call {
			return call{"DELETE", "/api/users/" + newUser(t) + ext, payload{}}
		}},
		{"list tags", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/tags" + ext, payload{}} }},
		{"show tag", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/tags/" + f.tag + ext, payload{}} }},
		{"create tag", "admin", func(t *testing.T, ext string) call {
			return call{"POST", "/api/tags" + ext, form("tag", "fresh"+unique())}
		}},
		{"rename tag", "admin", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/tags/" + newTag(t) + ext, form("tag", "renamed"+unique())}
		}},
		{"delete tag", "admin", func(t *testing.T, ext string) call {
			return call{"DELETE", "/api/tags/" + newTag(t) + ext, payload{}}
		}},
		{"list assets", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/assets" + ext, payload{}} }},
		{"search assets", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets" + ext + "?query=logo&tags=brand", payload{}}
		}},
		{"show asset", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/assets/" + f.asset + ext, payload{}} }},
		{"create asset", "member", func(t *testing.T, ext string) call {
			return call{"POST", "/api/assets" + ext, multipartBody(file{"file", "c.txt", []byte("create " + unique())})}
		}},
		{"create asset from upload", "member", func(t *testing.T, ext string) call {
			up := id(t, tn.holder.upload(t, "u.txt", []byte("upload "+unique())))
			return call{"POST", "/api/assets" + ext, form("upload_id", up)}
		}},
		{"update asset", "member", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/assets/" + newAsset(t) + ext, form("title", "Edited", "tags", "brand")}
		}},
		{"update asset with a file", "member", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/assets/" + newAsset(t) + ext, multipartBody(file{"file", "n.txt", []byte("new " + unique())})}
		}},
		{"delete asset", "member", func(t *testing.T, ext string) call {
			return call{"DELETE", "/api/assets/" + newAsset(t) + ext, payload{}}
		}},
		{"download", "member", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets/download/" + f.asset, payload{}}
		}},
		{"download a version", "member", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets/download/" + f.asset + "?version=1", payload{}}
		}},
		{"list versions", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets/" + f.asset + "/versions" + ext, payload{}}
		}},
		{"show version", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets/" + f.asset + "/versions/1" + ext, payload{}}
		}},
		{"add version", "member", func(t *testing.T, ext string) call {
			return call{"POST", "/api/assets/" + newAsset(t) + "/versions" + ext,
				multipartBody(file{"file", "v.txt", []byte("version " + unique())}, "comment", "c")}
		}},
		{"upload", "member", func(t *testing.T, ext string) call {
			return call{"POST", "/api/upload" + ext, multipartBody(file{"file", "u.txt", []byte("up " + unique())})}
		}},
		{"show upload", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/uploads/" + f.upload + ext, payload{}} }},
		{"facets", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/assets/facets" + ext + "?query=logo", payload{}}
		}},
		{"list collections", "guest", func(t *testing.T, ext string) call { return call{"GET", "/api/collections" + ext, payload{}} }},
		{"show collection", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/collections/" + f.collection + ext, payload{}}
		}},
		{"list a collection's assets", "guest", func(t *testing.T, ext string) call {
			return call{"GET", "/api/collections/" + f.collection + "/assets" + ext, payload{}}
		}},
		{"create collection", "member", func(t *testing.T, ext string) call {
			return call{"POST", "/api/collections" + ext, form("title", "c"+unique(), "asset_ids", f.asset)}
		}},
		{"create saved search", "member", func(t *testing.T, ext string) call {
			return call{"POST", "/api/collections" + ext, form("title", "s"+unique(), "query", "logo")}
		}},
		{"update collection", "member", func(t *testing.T, ext string) call {
			return call{"PUT", "/api/collections/" + newCollection(t) + ext, form("title", "Renamed", "asset_ids", f.asset)}
		}},
		{"delete collection", "member", func(t *testing.T, ext string) call {
			return call{"DELETE", "/api/collections/" + newCollection(t) + ext, payload{}}
		}},
		{"read the audit log", "admin", func(t *testing.T, ext string) call { return call{"GET", "/api/audit" + ext, payload{}} }},
		{"read the events", "member", func(t *testing.T, ext string) call { return call{"GET", "/api/events" + ext, payload{}} }},
		{"list webhooks", "admin", func(t *testing.T, ext string) call { return call{"GET", "/api/webhooks" + ext, payload{}} }},
		{"create webhook", "admin", func(t *testing.T, ext string) call {
			return call{"POST", "/api/webhooks" + ext, form("url", "http://127.0.0.1:9/hook", "events", "asset.")}
		}},
	}
	rank := map[string]int{"guest": 1, "member": 2, "admin": 3, "holder": 4}
	for _, rt := range routes {
		for _, role := range []string{"guest", "member", "admin", "holder"} {
			for _, ext := range formats {
				t.Run(fmt.Sprintf("%s/%s%s", rt.name, role, ext), func(t *testing.T) {
					c := rt.make(t, ext)
					before := e.state(t, tn.holder)
					var r *response
					if c.body.ct == "" {
						r = tn.role(role).do(t, c.method, c.path, nil)
					} else {
						r = tn.role(role).send(t, c.method, c.path, c.body)
					}
					if rank[role] >= rank[rt.min] {
						if r.status != 200 && r.status != 201 {
							t.Errorf("%s may %s: %s", role, rt.name, r)
						}
						return
					}
					r.wantError(t, 403, "")
					e.unchanged(t, tn.holder, before)
				})
			}
		}
	}

	t.Run("a member making themselves admin", func(t *testing.T) {
		me := id(t, tn.member.get(t, "/api/user.json").obj(t))
		for _, ext := range formats {
			before := e.state(t, tn.holder)
			tn.member.send(t, "PUT", "/api/users/"+me+ext, form("role", "admin")).wantError(t, 403, "role")
			tn.member.send(t, "PUT", "/api/users/"+me+ext, jsonBody(`{"user":{"role":"holder"}}`)).want(t, 403)
			tn.guest.send(t, "PUT", "/api/users/"+me+ext, form("first_name", "Hacked")).wantError(t, 403, "role")
			e.unchanged(t, tn.holder, before)
		}
		// But everyone may change their own name.
		got := tn.member.send(t, "PUT", "/api/users/"+me+".json", form("first_name", "Mem", "role", "member")).want(t, 200).obj(t)
		if got["first_name"] != "Mem" || got["role"] != "member" {
			t.Errorf("after changing own name: %v", got)
		}
	})
	t.Run("an admin cannot delete themselves", func(t *testing.T) {
		me := id(t, tn.admin.get(t, "/api/user.json").obj(t))
		tn.admin.do(t, "DELETE", "/api/users/"+me+".xml", nil).wantError(t, 403, "yourself")
	})
}
