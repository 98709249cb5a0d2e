package httpapi_test

import (
	"net/http"
	"slices"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// TestGuestLimitedToCollections: a guest the holder or an admin limits to
// collections sees only their assets, on every route that reads assets;
// everything else answers as if it did not exist.
func TestGuestLimitedToCollections(t *testing.T) {
	e := newEnv(t, setup{process: true, workers: true})
	tn := e.tenant(t, "acme", "deluxe")
	beach := id(t, tn.member.createAsset(t, "beach.jpg", testFile(t, "photo.jpg"), "title", "beach sunset", "tags", "holiday"))
	contract := id(t, tn.member.createAsset(t, "contract.webp", testFile(t, "photo.webp"), "title", "signed contract", "tags", "legal"))
	logo := id(t, tn.member.createAsset(t, "logo.txt", []byte("logo notes"), "title", "logo notes", "tags", "brand"))
	for _, a := range []string{beach, contract, logo} {
		waitProcessed(t, tn.member, a)
	}
	set := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Beach", "asset_ids", beach)).want(t, 201).obj(t))
	saved := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Logos", "query", "title:logo")).want(t, 201).obj(t))
	other := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Legal", "asset_ids", contract)).want(t, 201).obj(t))
	guestID := id(t, tn.guest.get(t, "/api/user.json").want(t, 200).obj(t))
	free := tn.guest.as("free", pw)
	tn.holder.send(t, "POST", "/api/users.json", form("login", "free", "email", "free@acme.test", "password", pw, "role", "guest")).want(t, 201)

	// The holder limits the guest; the document says so.
	doc := tn.holder.send(t, "PUT", "/api/users/"+guestID+".json", form("collection_ids", saved+","+set)).want(t, 200).obj(t)
	want := []any{num(t, set), num(t, saved)}
	slices.SortFunc(want, func(a, b any) int { return int(a.(int64) - b.(int64)) })
	if doc["collections_only"] != true || !cmp.Equal(numbers(t, doc["collection_ids"]), want) {
		t.Fatalf("limited guest: %v", doc)
	}
	x := tn.holder.get(t, "/api/users/"+guestID+".xml").want(t, 200).xml(t)
	if typ, _ := x.kid("collection_ids").attr("type"); typ != "array" || len(x.kid("collection_ids").Kids) != 2 {
		t.Errorf("XML collection_ids: %+v", x.kid("collection_ids"))
	}

	g := tn.guest
	listed := func(c *client, path string) []string {
		t.Helper()
		r := c.get(t, path)
		if r.status == http.StatusNotFound {
			return []string{}
		}
		name := strings.TrimPrefix(strings.Split(strings.Split(path, ".")[0], "?")[0], "/api/")
		if strings.HasPrefix(name, "collections/") {
			name = "assets"
		}
		item := strings.TrimSuffix(name, "s")
		got := assetIDs(t, r.want(t, 200).list(t, name, item))
		slices.Sort(got)
		return got
	}
	sorted := func(ids ...string) []string { slices.Sort(ids); return ids }
	lists := []struct {
		path      string
		want, all []string
	}{
		{"/api/assets.json", sorted(beach, logo), sorted(beach, contract, logo)},
		{"/api/assets.xml?sort=title", sorted(beach, logo), sorted(beach, contract, logo)},
		{"/api/assets.json?query=contract", []string{}, []string{contract}},
		{"/api/assets.json?query=sunset", []string{beach}, []string{beach}},
		{"/api/assets.json?tags=legal", []string{}, []string{contract}},
		{"/api/assets.json?query=type:image", []string{beach}, sorted(beach, contract)},
		{"/api/collections/" + set + "/assets.json", []string{beach}, []string{beach}},
		{"/api/collections/" + saved + "/assets.json", []string{logo}, []string{logo}},
		{"/api/collections/" + other + "/assets.json", []string{}, []string{contract}},
	}
	for _, l := range lists {
		if got := listed(g, l.path); !cmp.Equal(got, l.want) {
			t.Errorf("limited guest: %s lists %v, want %v", l.path, got, l.want)
		}
		if got := listed(free, l.path); !cmp.Equal(got, l.all) {
			t.Errorf("guest without a limit: %s lists %v, want %v", l.path, got, l.all)
		}
	}

	// Facets and tags count only what the guest sees.
	fc := g.get(t, "/api/assets/facets.json").want(t, 200).obj(t)
	if str(fc["total"]) != "2" || strings.Contains(string(g.get(t, "/api/assets/facets.json").body), "legal") {
		t.Errorf("facets: %v", fc)
	}
	tags := map[string]string{}
	for _, x := range g.get(t, "/api/tags.json").want(t, 200).list(t, "tags", "tag") {
		m := x.(map[string]any)
		tags[str(m["tag"])] = str(m["assets_count"])
	}
	if diff := cmp.Diff(map[string]string{"holiday": "1", "brand": "1"}, tags); diff != "" {
		t.Errorf("tags of the limited guest (-want +got):\n%s", diff)
	}
	var legal string
	for _, x := range free.get(t, "/api/tags.json").want(t, 200).list(t, "tags", "tag") {
		if m := x.(map[string]any); m["tag"] == "legal" {
			legal = id(t, m)
		}
	}
	g.get(t, "/api/tags/"+legal+".json").wantError(t, 404, "Not found")
	free.get(t, "/api/tags/"+legal+".json").want(t, 200)

	// Every read of the asset outside answers as a missing one does.
	for _, p := range []string{"/api/assets/%s.json", "/api/assets/%s.xml", "/api/assets/%s/versions.json",
		"/api/assets/%s/versions/1.json", "/api/assets/%s/thumbnail_64.jpg", "/api/assets/%s/thumbnail?size=128",
		"/api/assets/%s/preview_1024.jpg", "/api/collections/" + other + ".json"} {
		outside := strings.ReplaceAll(p, "%s", contract)
		missing := strings.ReplaceAll(p, "%s", "999999")
		a, b := g.get(t, outside), g.get(t, missing)
		if a.status != http.StatusNotFound || a.status != b.status || string(a.body) != string(b.body) {
			t.Errorf("%s: %s; a missing one: %s", outside, a, b)
		}
		if p != "/api/collections/"+other+".json" && !strings.Contains(p, "preview") {
			free.get(t, outside).want(t, 200)
		}
	}
	g.get(t, "/api/assets/"+beach+".json").want(t, 200)
	g.get(t, "/api/assets/"+beach+"/thumbnail_64.jpg").want(t, 200)
	g.get(t, "/api/assets/"+beach+"/versions.json").want(t, 200)
	g.get(t, "/api/collections/"+set+".json").want(t, 200)
	if got := len(g.get(t, "/api/collections.json").want(t, 200).list(t, "collections", "collection")); got != 2 {
		t.Errorf("the limited guest lists %d collections, want their 2", got)
	}
	// Guests never download; limited or not, the answer stays 403.
	g.get(t, "/api/assets/download/"+contract).want(t, 403)

	t.Run("who may limit", func(t *testing.T) {
		member := id(t, tn.member.get(t, "/api/user.json").obj(t))
		freeID := id(t, free.get(t, "/api/user.json").obj(t))
		tn.member.send(t, "PUT", "/api/users/"+freeID+".json", form("collection_ids", set)).wantError(t, 403, "")
		tn.admin.send(t, "PUT", "/api/users/"+member+".json", form("collection_ids", set)).wantError(t, 422, "Only guests")
		tn.admin.send(t, "PUT", "/api/users/"+freeID+".json", form("collection_ids", "999999")).wantError(t, 422, "Collection 999999 is not in this library")
		tn.admin.send(t, "PUT", "/api/users/"+freeID+".json", form("collection_ids", "x")).wantError(t, 422, "collection_ids")
		g.send(t, "PUT", "/api/users/"+guestID+".json", form("collection_ids", "")).wantError(t, 403, "")
		tok := str(tn.holder.newToken(t, "name", "limits")["token"])
		tn.bearer(t, "PUT", "/api/users/"+freeID+".json", tok, form("collection_ids", set)).wantError(t, 403, "Tokens cannot")
		if listed(free, "/api/assets.json") == nil || len(listed(free, "/api/assets.json")) != 3 {
			t.Errorf("refused limits changed the free guest")
		}
		// An admin may, by JSON array too.
		doc := tn.admin.send(t, "PUT", "/api/users/"+freeID+".json", jsonBody(`{"user":{"collection_ids":[`+other+`]}}`)).want(t, 200).obj(t)
		if doc["collections_only"] != true {
			t.Errorf("admin's limit: %v", doc)
		}
		if got := listed(free, "/api/assets.json"); !cmp.Equal(got, []string{contract}) {
			t.Errorf("free guest limited to Legal lists %v", got)
		}
		// Made member, the limit goes.
		doc = tn.admin.send(t, "PUT", "/api/users/"+freeID+".json", form("role", "member")).want(t, 200).obj(t)
		if doc["collections_only"] != false || len(doc["collection_ids"].([]any)) != 0 {
			t.Errorf("guest made member keeps a limit: %v", doc)
		}
	})

	t.Run("deleted collections leave nothing", func(t *testing.T) {
		tn.member.do(t, "DELETE", "/api/collections/"+set+".json", nil).want(t, 200)
		if got := listed(g, "/api/assets.json"); !cmp.Equal(got, []string{logo}) {
			t.Errorf("after one delete: %v", got)
		}
		tn.member.do(t, "DELETE", "/api/collections/"+saved+".json", nil).want(t, 200)
		g.get(t, "/api/assets.json").want(t, 404)
		g.get(t, "/api/assets/"+logo+".json").want(t, 404)
		d := tn.holder.get(t, "/api/users/"+guestID+".json").want(t, 200).obj(t)
		if d["collections_only"] != true || len(d["collection_ids"].([]any)) != 0 {
			t.Errorf("guest after their collections' delete: %v", d)
		}
		// Lifted, the guest sees the library again.
		tn.holder.send(t, "PUT", "/api/users/"+guestID+".json", form("collection_ids", "")).want(t, 200)
		if got := listed(g, "/api/assets.json"); len(got) != 3 {
			t.Errorf("lifted: %v", got)
		}
	})

	t.Run("audit", func(t *testing.T) {
		r := tn.holder.get(t, "/api/audit.json?per_page=100").want(t, 200)
		if !strings.Contains(string(r.body), "limited to collections") || !strings.Contains(string(r.body), "sees the whole library") {
			t.Errorf("no audit of the limits: %s", r)
		}
	})
}

// numbers reads a JSON array of integers.
func numbers(t *testing.T, v any) []any {
	t.Helper()
	l, _ := v.([]any)
	out := make([]any, len(l))
	for i, x := range l {
		out[i] = num(t, x)
	}
	return out
}
