package httpapi_test

import (
	"fmt"
	"net/http"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// assetIDs are the ids of a list of asset documents, in order.
func assetIDs(t *testing.T, l []any) []string {
	t.Helper()
	out := make([]string, len(l))
	for i, x := range l {
		out[i] = id(t, x.(map[string]any))
	}
	return out
}

// collectionOrder reads a collection's assets, all of them, in order.
func collectionOrder(t *testing.T, c *client, col string) []string {
	t.Helper()
	r := c.get(t, "/api/collections/"+col+"/assets.json?per_page=100")
	if r.status == http.StatusNotFound {
		return []string{}
	}
	return assetIDs(t, r.want(t, 200).list(t, "assets", "asset"))
}

func TestCollections(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	var as []string
	for i := range 5 {
		as = append(as, id(t, tn.member.createAsset(t, fmt.Sprintf("a%d.txt", i), []byte(fmt.Sprintf("asset %d", i)),
			"title", fmt.Sprintf("photo %d", i))))
	}

	t.Run("create in every body form", func(t *testing.T) {
		bodies := []struct {
			name string
			body payload
		}{
			{"form", form("title", "Form", "description", "By form", "asset_ids", as[2]+","+as[0])},
			{"nested form", form("collection[title]", "Form", "collection[description]", "By form", "collection[asset_ids]", as[2]+", "+as[0])},
			{"JSON", jsonBody(`{"title":"Form","description":"By form","asset_ids":"` + as[2] + `,` + as[0] + `"}`)},
			{"JSON array", jsonBody(`{"collection":{"title":"Form","description":"By form","asset_ids":[` + as[2] + `,"` + as[0] + `"]}}`)},
			{"XML", xmlBody(`<collection><title>Form</title><description>By form</description><asset_ids>` + as[2] + `,` + as[0] + `</asset_ids></collection>`)},
			{"XML array", xmlBody(`<collection><title>Form</title><description>By form</description><asset_ids type="array"><asset_id>` +
				as[2] + `</asset_id><asset_id>` + as[0] + `</asset_id></asset_ids></collection>`)},
		}
		for _, b := range bodies {
			for _, ext := range formats {
				r := tn.member.send(t, "POST", "/api/collections"+ext, b.body).want(t, 201)
				doc := r.obj(t)
				if doc["title"] != "Form" || doc["description"] != "By form" || doc["query"] != nil || str(doc["assets_count"]) != "2" {
					t.Errorf("%s%s: %v", b.name, ext, doc)
				}
				for _, k := range []string{"id", "created_on", "updated_on"} {
					if _, ok := doc[k]; !ok {
						t.Errorf("%s%s: no %s in %v", b.name, ext, k, doc)
					}
				}
				if loc := r.header.Get("Location"); loc != "http://acme.example.com/api/collections/"+id(t, doc)+ext {
					t.Errorf("Location %q", loc)
				}
				if got := collectionOrder(t, tn.guest, id(t, doc)); !cmp.Equal(got, []string{as[2], as[0]}) {
					t.Errorf("%s%s: assets %v, want %v", b.name, ext, got, []string{as[2], as[0]})
				}
			}
		}
		// The XML document: query is nil for an ordered set.
		r := tn.member.send(t, "POST", "/api/collections.xml", form("title", "x")).want(t, 201)
		n := r.xml(t)
		if v, _ := n.kid("query").attr("nil"); v != "true" {
			t.Errorf("<query> of an ordered set not nil: %s", r)
		}
		for name, typ := range map[string]string{"id": "integer", "assets_count": "integer", "created_on": "datetime", "updated_on": "datetime"} {
			if got, _ := n.kid(name).attr("type"); got != typ {
				t.Errorf("<%s type=%q>, want %q", name, got, typ)
			}
		}
	})

	col := id(t, tn.member.send(t, "POST", "/api/collections.json",
		form("title", "Spring", "asset_ids", strings.Join([]string{as[3], as[1], as[4]}, ","))).want(t, 201).obj(t))

	t.Run("update and order", func(t *testing.T) {
		steps := []struct {
			name string
			body payload
			want []string
		}{
			{"title only", form("title", "Summer", "description", "Hot"), []string{as[3], as[1], as[4]}},
			{"replace", form("asset_ids", as[0]+","+as[1]+","+as[2]), []string{as[0], as[1], as[2]}},
			{"add", form("add_asset_ids", as[4]+","+as[0]), []string{as[0], as[1], as[2], as[4]}},
			{"remove", form("remove_asset_ids", as[1]), []string{as[0], as[2], as[4]}},
			{"remove and add", jsonBody(`{"remove_asset_ids":[` + as[0] + `],"add_asset_ids":[` + as[0] + `]}`), []string{as[2], as[4], as[0]}},
			{"replace by XML", xmlBody(`<collection><asset_ids type="array"><asset_id>` + as[4] + `</asset_id><asset_id>` + as[2] + `</asset_id></asset_ids></collection>`),
				[]string{as[4], as[2]}},
			{"empty", form("asset_ids", ""), []string{}},
			{"again", form("asset_ids", as[3]+" "+as[1]), []string{as[3], as[1]}},
		}
		for _, st := range steps {
			doc := tn.member.send(t, "PUT", "/api/collections/"+col+".json", st.body).want(t, 200).obj(t)
			if got := collectionOrder(t, tn.guest, col); !cmp.Equal(got, st.want) {
				t.Errorf("%s: assets %v, want %v", st.name, got, st.want)
			}
			if str(doc["assets_count"]) != fmt.Sprint(len(st.want)) {
				t.Errorf("%s: assets_count %v, want %d", st.name, doc["assets_count"], len(st.want))
			}
		}
		doc := tn.guest.get(t, "/api/collections/"+col+".json").want(t, 200).obj(t)
		if doc["title"] != "Summer" || doc["description"] != "Hot" {
			t.Errorf("after updates: %v", doc)
		}
	})

	t.Run("assets paged like the library", func(t *testing.T) {
		tn.member.send(t, "PUT", "/api/collections/"+col+".json", form("asset_ids", strings.Join([]string{as[4], as[3], as[2], as[1], as[0]}, ","))).want(t, 200)
		want := []string{as[4], as[3], as[2], as[1], as[0]}
		for _, ext := range formats {
			r := tn.guest.get(t, "/api/collections/"+col+"/assets"+ext+"?per_page=2&page=2").want(t, 200)
			if got := assetIDs(t, r.list(t, "assets", "asset")); !cmp.Equal(got, want[2:4]) {
				t.Errorf("page 2: %v, want %v", got, want[2:4])
			}
			if r.header.Get("X-Total-Count") != "5" || !strings.Contains(r.header.Get("Link"), `page=3`) || !strings.Contains(r.header.Get("Link"), `rel="prev"`) {
				t.Errorf("paging headers: %v", r.header)
			}
			// By cursor, to the end.
			var got []string
			path := "/api/collections/" + col + "/assets" + ext + "?per_page=2"
			for range 5 {
				r := tn.guest.get(t, path).want(t, 200)
				got = append(got, assetIDs(t, r.list(t, "assets", "asset"))...)
				next := r.header.Get("X-Next-Cursor")
				if next == "" {
					break
				}
				path = "/api/collections/" + col + "/assets" + ext + "?per_page=2&cursor=" + next
			}
			if !cmp.Equal(got, want) {
				t.Errorf("by cursor %s: %v, want %v", ext, got, want)
			}
		}
		tn.guest.get(t, "/api/collections/"+col+"/assets.json?sort=title").wantError(t, 400, "sort")
		tn.guest.get(t, "/api/collections/"+col+"/assets.json?cursor=bogus").wantError(t, 400, "cursor")
		r := tn.guest.get(t, "/api/collections/"+col+"/assets.xml?page=9").want(t, 404)
		if l := r.list(t, "assets", "asset"); len(l) != 0 {
			t.Errorf("page past the end: %s", r)
		}
	})

	t.Run("saved search", func(t *testing.T) {
		r := tn.member.send(t, "POST", "/api/collections.json", form("title", "Photos 1 and 2", "query", "title:photo (1 OR 2)")).want(t, 201)
		doc := r.obj(t)
		s := id(t, doc)
		if doc["query"] != "title:photo (1 OR 2)" || str(doc["assets_count"]) != "2" {
			t.Errorf("saved search: %v", doc)
		}
		got := collectionOrder(t, tn.guest, s)
		if len(got) != 2 {
			t.Errorf("saved search lists %v, want 2 assets", got)
		}
		// Re-run when opened: a new match is found.
		id2 := id(t, tn.member.createAsset(t, "b.txt", []byte("another two"), "title", "photo 2 again"))
		got = collectionOrder(t, tn.guest, s)
		if len(got) != 3 || !cmp.Equal(collectionOrderSorted(t, tn.guest, s, "-created_on")[0], id2) {
			t.Errorf("saved search after a new asset lists %v", got)
		}
		if str(tn.guest.get(t, "/api/collections/"+s+".json").obj(t)["assets_count"]) != "3" {
			t.Errorf("assets_count not re-counted")
		}
		// The query can change; asset ids beside a query are refused.
		tn.member.send(t, "PUT", "/api/collections/"+s+".json", form("query", "title:nothing")).want(t, 200)
		tn.guest.get(t, "/api/collections/"+s+"/assets.json").want(t, 404)
		tn.member.send(t, "PUT", "/api/collections/"+s+".json", form("add_asset_ids", as[0])).wantError(t, 422, "query")
		// An empty query makes it an ordered set.
		doc = tn.member.send(t, "PUT", "/api/collections/"+s+".json", form("query", "", "asset_ids", as[0])).want(t, 200).obj(t)
		if doc["query"] != nil || str(doc["assets_count"]) != "1" {
			t.Errorf("saved search turned set: %v", doc)
		}
		tn.member.send(t, "DELETE", "/api/collections/"+s+".json", payload{}).want(t, 200)
		tn.member.send(t, "DELETE", "/api/assets/"+id2+".json", payload{}).want(t, 200)
	})

	t.Run("refusals", func(t *testing.T) {
		other := e.tenant(t, "bravo", "deluxe")
		theirs := id(t, other.member.createAsset(t, "t.txt", []byte("theirs")))
		many := make([]string, 1001)
		for i := range many {
			many[i] = as[0]
		}
		before := e.state(t, tn.holder)
		cases := []struct {
			name, method, path string
			body               payload
			status             int
			says               string
		}{
			{"no title", "POST", "/api/collections.json", form("description", "x"), 422, "Title can't be blank"},
			{"blank title", "POST", "/api/collections.json", form("title", "  "), 422, "Title can't be blank"},
			{"long title", "POST", "/api/collections.json", form("title", strings.Repeat("é", 256)), 422, "Title is too long"},
			{"bad query", "POST", "/api/collections.json", form("title", "q", "query", `"unclosed`), 422, "query"},
			{"both", "POST", "/api/collections.json", form("title", "q", "query", "logo", "asset_ids", as[0]), 422, "not both"},
			{"add on create", "POST", "/api/collections.json", form("title", "q", "add_asset_ids", as[0]), 422, "asset_ids"},
			{"another account's asset", "POST", "/api/collections.json", form("title", "q", "asset_ids", as[0]+","+theirs), 422, "Asset " + theirs + " is not in this library"},
			{"a missing asset", "POST", "/api/collections.json", form("title", "q", "asset_ids", "999999"), 422, "Asset 999999 is not in this library"},
			{"not ids", "POST", "/api/collections.json", form("title", "q", "asset_ids", "1,two"), 422, "asset_ids must be ids"},
			{"too many ids", "POST", "/api/collections.json", form("title", "q", "asset_ids", strings.Join(many, ",")), 422, "at most 1000"},
			{"unknown field", "POST", "/api/collections.json", form("title", "q", "owner", "me"), 422, "Unknown field"},
			{"replace and add", "PUT", "/api/collections/" + col + ".json", form("asset_ids", as[0], "add_asset_ids", as[1]), 422, "not both"},
			{"add another account's asset", "PUT", "/api/collections/" + col + ".json", form("title", "stolen", "add_asset_ids", theirs), 422, "not in this library"},
			{"too many to add", "PUT", "/api/collections/" + col + ".json", form("add_asset_ids", strings.Join(many, ",")), 422, "at most 1000"},
			{"blank title on update", "PUT", "/api/collections/" + col + ".json", form("title", ""), 422, "Title can't be blank"},
			{"unknown collection", "GET", "/api/collections/999999.json", payload{}, 404, "Not found"},
			{"update unknown", "PUT", "/api/collections/999999.json", form("title", "x"), 404, "Not found"},
			{"delete unknown", "DELETE", "/api/collections/999999.json", payload{}, 404, "Not found"},
			{"assets of unknown", "GET", "/api/collections/999999/assets.json", payload{}, 404, "Not found"},
			{"not an id", "GET", "/api/collections/abc.json", payload{}, 404, ""},
		}
		for _, c := range cases {
			t.Run(c.name, func(t *testing.T) {
				var r *response
				if c.body.ct == "" {
					r = tn.member.do(t, c.method, c.path, nil)
				} else {
					r = tn.member.send(t, c.method, c.path, c.body)
				}
				r.wantError(t, c.status, c.says)
			})
		}
		e.unchanged(t, tn.holder, before)
	})

	t.Run("an asset deleted leaves its collections", func(t *testing.T) {
		x := id(t, tn.member.createAsset(t, "x.txt", []byte("to be deleted")))
		c := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "T", "asset_ids", as[0]+","+x+","+as[1])).want(t, 201).obj(t))
		tn.member.send(t, "DELETE", "/api/assets/"+x+".json", payload{}).want(t, 200)
		if got := collectionOrder(t, tn.guest, c); !cmp.Equal(got, []string{as[0], as[1]}) {
			t.Errorf("after the asset's delete: %v", got)
		}
		if n := str(tn.guest.get(t, "/api/collections/"+c+".json").obj(t)["assets_count"]); n != "2" {
			t.Errorf("assets_count %s, want 2", n)
		}
		tn.member.send(t, "PUT", "/api/collections/"+c+".json", form("add_asset_ids", x)).wantError(t, 422, "not in this library")
	})

	t.Run("delete", func(t *testing.T) {
		c := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Gone", "asset_ids", as[0])).want(t, 201).obj(t))
		doc := tn.member.do(t, "DELETE", "/api/collections/"+c+".xml", nil).want(t, 200).xml(t)
		if doc.XMLName.Local != "collection" || doc.kid("title").Text != "Gone" {
			t.Errorf("delete answers %+v", doc)
		}
		tn.guest.get(t, "/api/collections/"+c+".json").want(t, 404)
		tn.guest.get(t, "/api/assets/"+as[0]+".json").want(t, 200)
		next := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Next")).want(t, 201).obj(t))
		if num(t, next) <= num(t, c) {
			t.Errorf("id %s given after deleted %s", next, c)
		}
	})

	t.Run("list", func(t *testing.T) {
		for _, ext := range formats {
			r := tn.guest.get(t, "/api/collections"+ext+"?per_page=2").want(t, 200)
			l := r.list(t, "collections", "collection")
			total := num(t, r.header.Get("X-Total-Count"))
			if len(l) != 2 || total < 3 || !strings.Contains(r.header.Get("Link"), `rel="next"`) {
				t.Errorf("list: %d items of %d, Link %q", len(l), total, r.header.Get("Link"))
			}
		}
	})

	t.Run("audit", func(t *testing.T) {
		c := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "Audited")).want(t, 201).obj(t))
		tn.member.send(t, "PUT", "/api/collections/"+c+".json", form("title", "Audited again", "asset_ids", as[1])).want(t, 200)
		tn.member.do(t, "DELETE", "/api/collections/"+c+".json", nil).want(t, 200)
		events := tn.holder.get(t, "/api/audit.json?per_page=100").want(t, 200).list(t, "events", "event")
		seen := map[string]string{}
		for _, ev := range events {
			m := ev.(map[string]any)
			if m["target"] == "collection "+c {
				seen[str(m["action"])] = str(m["detail"])
			}
		}
		want := map[string]string{"collection_created": "Audited", "collection_changed": `title "Audited again", assets replaced (1)`,
			"collection_deleted": "Audited again"}
		if diff := cmp.Diff(want, seen); diff != "" {
			t.Errorf("audit events (-want +got):\n%s", diff)
		}
	})

	t.Run("idempotency key", func(t *testing.T) {
		b := form("title", "Once", "asset_ids", as[0])
		first := tn.member.send(t, "POST", "/api/collections.json", b, "Idempotency-Key", "col-1").want(t, 201)
		again := tn.member.send(t, "POST", "/api/collections.json", b, "Idempotency-Key", "col-1").want(t, 201)
		if again.header.Get("Idempotent-Replayed") != "true" || id(t, first.obj(t)) != id(t, again.obj(t)) {
			t.Errorf("retry: %s, first %s", again, first)
		}
		tn.member.send(t, "POST", "/api/collections.json", form("title", "Other"), "Idempotency-Key", "col-1").wantError(t, 422, "Idempotency-Key")
		tn.member.send(t, "POST", "/api/collections.json", b, "Idempotency-Key", strings.Repeat("k", 256)).wantError(t, 422, "Idempotency-Key")
	})
}

// collectionOrderSorted reads a saved search's assets in a sort order.
func collectionOrderSorted(t *testing.T, c *client, col, sort string) []string {
	t.Helper()
	return assetIDs(t, c.get(t, "/api/collections/"+col+"/assets.json?per_page=100&sort="+sort).want(t, 200).list(t, "assets", "asset"))
}

// TestCollectionsTenantIsolation: account B using account A's collection
// gets the answer of a collection that never existed, and lists none of
// A's.
func TestCollectionsTenantIsolation(t *testing.T) {
	e := newEnv(t, setup{})
	a := e.tenant(t, "acme", "deluxe")
	b := e.tenant(t, "bravo", "deluxe")
	fa := populate(t, a)
	fb := populate(t, b)
	const never = "999999"
	beforeA := e.state(t, a.holder)
	calls := []struct{ method, path string }{
		{"GET", "/api/collections/%s.json"}, {"GET", "/api/collections/%s.xml"},
		{"GET", "/api/collections/%s/assets.json"}, {"PUT", "/api/collections/%s.json"},
		{"DELETE", "/api/collections/%s.xml"},
	}
	for _, c := range calls {
		for _, who := range []*client{b.holder, b.guest} {
			send := func(col string) *response {
				if c.method == "PUT" {
					return who.send(t, c.method, fmt.Sprintf(c.path, col), form("title", "stolen", "asset_ids", fb.asset))
				}
				return who.do(t, c.method, fmt.Sprintf(c.path, col), nil)
			}
			other, missing := send(fa.collection), send(never)
			if other.status < 400 || other.status != missing.status || string(other.body) != string(missing.body) {
				t.Errorf("%s %s as %s: another account's collection answers %s; a missing one %s", c.method, c.path, who.login, other, missing)
			}
		}
	}
	// A's asset cannot go into B's collection.
	b.member.send(t, "PUT", "/api/collections/"+fb.collection+".json", form("add_asset_ids", fa.asset)).wantError(t, 422, "not in this library")
	for _, ext := range formats {
		for _, x := range b.guest.get(t, "/api/collections"+ext).want(t, 200).list(t, "collections", "collection") {
			if id(t, x.(map[string]any)) == fa.collection {
				t.Errorf("B lists A's collection")
			}
		}
		if got := collectionOrder(t, b.guest, fb.collection); !cmp.Equal(got, []string{fb.asset}) {
			t.Errorf("B's collection lists %v", got)
		}
	}
	e.unchanged(t, a.holder, beforeA)
}
