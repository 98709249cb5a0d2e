package httpapi_test

import (
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestTenantIsolation: account B using account A's ids gets exactly the
// answer of an id that never existed, and sees nothing of A anywhere.
func TestTenantIsolation(t *testing.T) {
	e := newEnv(t, setup{})
	a := e.tenant(t, "acme", "deluxe")
	b := e.tenant(t, "bravo", "deluxe")
	fa := populate(t, a)
	fb := populate(t, b) // B has things of its own, with the same names
	const never = "999999"
	beforeA := e.state(t, a.holder)

	type call struct {
		method, path string
		body         payload
	}
	// Each route, given an id of an asset, a tag, a user and an upload.
	routes := []struct {
		name string
		make func(asset, tag, user, upload string) call
	}{
		{"show asset", func(as, _, _, _ string) call { return call{"GET", "/api/assets/" + as + ".xml", payload{}} }},
		{"show asset json", func(as, _, _, _ string) call { return call{"GET", "/api/assets/" + as + ".json", payload{}} }},
		{"update asset", func(as, _, _, _ string) call {
			return call{"PUT", "/api/assets/" + as + ".xml", form("title", "stolen")}
		}},
		{"update asset with a file", func(as, _, _, _ string) call {
			return call{"PUT", "/api/assets/" + as + ".json", multipartBody(file{"file", "x.txt", []byte("intruder")})}
		}},
		{"delete asset", func(as, _, _, _ string) call { return call{"DELETE", "/api/assets/" + as + ".json", payload{}} }},
		{"download", func(as, _, _, _ string) call { return call{"GET", "/api/assets/download/" + as, payload{}} }},
		{"download version", func(as, _, _, _ string) call {
			return call{"GET", "/api/assets/download/" + as + "?version=1", payload{}}
		}},
		{"versions", func(as, _, _, _ string) call { return call{"GET", "/api/assets/" + as + "/versions.xml", payload{}} }},
		{"version 1", func(as, _, _, _ string) call { return call{"GET", "/api/assets/" + as + "/versions/1.json", payload{}} }},
		{"add version", func(as, _, _, _ string) call {
			return call{"POST", "/api/assets/" + as + "/versions.xml", multipartBody(file{"file", "x.txt", []byte("intruder")})}
		}},
		{"show tag", func(_, tg, _, _ string) call { return call{"GET", "/api/tags/" + tg + ".xml", payload{}} }},
		{"rename tag", func(_, tg, _, _ string) call { return call{"PUT", "/api/tags/" + tg + ".json", form("tag", "stolen")} }},
		{"delete tag", func(_, tg, _, _ string) call { return call{"DELETE", "/api/tags/" + tg + ".xml", payload{}} }},
		{"assets with tag id", func(_, tg, _, _ string) call { return call{"GET", "/api/assets.xml?tags=" + tg, payload{}} }},
		{"show user", func(_, _, u, _ string) call { return call{"GET", "/api/users/" + u + ".json", payload{}} }},
		{"update user", func(_, _, u, _ string) call {
			return call{"PUT", "/api/users/" + u + ".xml", form("password", "taken over!")}
		}},
		{"delete user", func(_, _, u, _ string) call { return call{"DELETE", "/api/users/" + u + ".json", payload{}} }},
		{"show upload", func(_, _, _, up string) call { return call{"GET", "/api/uploads/" + up + ".xml", payload{}} }},
		{"create from upload", func(_, _, _, up string) call {
			return call{"POST", "/api/assets.json", form("upload_id", up, "title", "stolen")}
		}},
		{"create from upload, XML", func(_, _, _, up string) call {
			return call{"POST", "/api/assets.xml", xmlBody("<asset><upload_id>" + up + "</upload_id></asset>")}
		}},
		{"update from upload", func(_, _, _, up string) call {
			return call{"PUT", "/api/assets/" + fb.asset + ".json", form("upload_id", up)}
		}},
		{"version from upload", func(_, _, _, up string) call {
			return call{"POST", "/api/assets/" + fb.asset + "/versions.xml", form("upload_id", up)}
		}},
	}
	send := func(t *testing.T, c call) *response {
		if c.body.ct == "" {
			return b.holder.do(t, c.method, c.path, nil)
		}
		return b.holder.send(t, c.method, c.path, c.body)
	}
	// The answer, with the id asked for (as a word of a message, "Upload 7
	// does not exist") and the request's own id blanked.
	answer := func(r *response, ids ...string) map[string]any {
		body := string(r.body)
		for _, id := range ids {
			body = strings.ReplaceAll(body, " "+id+" ", " ID ")
		}
		h := http.Header{}
		for k, v := range r.header {
			switch k {
			case "X-Request-Id", "Date", "Content-Length":
			default:
				h[k] = v
			}
		}
		return map[string]any{"status": r.status, "body": body, "header": h}
	}
	for _, rt := range routes {
		t.Run(rt.name, func(t *testing.T) {
			beforeB := e.state(t, b.holder)
			other := send(t, rt.make(fa.asset, fa.tag, fa.user, fa.upload))
			missing := send(t, rt.make(never, never, never, never))
			if other.status < 400 {
				t.Errorf("B reached A's thing: %s", other)
			}
			if diff := cmp.Diff(answer(missing, never), answer(other, fa.asset, fa.tag, fa.user, fa.upload)); diff != "" {
				t.Errorf("an id of another account answers unlike a missing id (-missing +other):\n%s", diff)
			}
			e.unchanged(t, b.holder, beforeB)
		})
	}
	e.unchanged(t, a.holder, beforeA)

	t.Run("lists", func(t *testing.T) {
		for _, ext := range formats {
			for _, l := range []struct{ path, name, item string }{
				{"/api/assets", "assets", "asset"}, {"/api/tags", "tags", "tag"}, {"/api/users", "users", "user"},
				{"/api/assets/" + fb.asset + "/versions", "versions", "version"},
			} {
				r := b.holder.get(t, l.path+ext+"?per_page=100").want(t, 200)
				for _, x := range r.list(t, l.name, l.item) {
					m := x.(map[string]any)
					if id := id(t, m); id == fa.asset || id == fa.tag || id == fa.user || strings.Contains(str(m["email"]), "acme") {
						t.Errorf("B's %s lists A's %v", l.name, m)
					}
				}
			}
			if l := b.holder.get(t, "/api/assets"+ext+"?query=logo").want(t, 200).list(t, "assets", "asset"); len(l) != 1 {
				t.Errorf("B's search finds %d assets, want its own 1", len(l))
			}
			if acc := b.holder.get(t, "/api/account"+ext).obj(t); str(acc["users_count"]) != "4" || str(acc["assets_count"]) != "1" {
				t.Errorf("B's account counts: %v", acc)
			}
		}
	})
}
