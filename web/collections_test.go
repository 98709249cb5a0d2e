package web_test

import (
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"damask"
)

var tileRE = regexp.MustCompile(`<li class="tile" data-id="(\d+)"`)

// tiles are the ids of a page's tiles, in order.
func tiles(body string) []string {
	var ids []string
	for _, m := range tileRE.FindAllStringSubmatch(body, -1) {
		ids = append(ids, m[1])
	}
	return ids
}

func TestCollectionPages(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	a, bb, c := b.upload("a.txt", "aaa", ""), b.upload("b.txt", "bbb", ""), b.upload("c.txt", "ccc", "")
	s := func(id int64) string { return strconv.FormatInt(id, 10) }
	csrf := token(t, b.get("/"))
	if !strings.Contains(b.get("/").body, `value="collect"`) {
		t.Fatal("the library's selection offers no Make collection")
	}

	// Made from a selection, opened at once.
	res := b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"collect"}, "title": {"Trip <2026>"},
		"ids": {s(c), s(a), s(bb)}}), http.StatusSeeOther)
	page := res.header.Get("Location")
	if !regexp.MustCompile(`^/collections/\d+$`).MatchString(page) {
		t.Fatalf("Make collection goes to %q", page)
	}
	order := func() []string { t.Helper(); return tiles(b.want(b.get(page), http.StatusOK).body) }
	if got := order(); strings.Join(got, ",") != strings.Join([]string{s(c), s(a), s(bb)}, ",") {
		t.Errorf("collection shows %v", got)
	}
	body := b.get(page).body
	for _, want := range []string{"Trip &lt;2026&gt;", `value="up"`, `value="down"`, `draggable="true"`, `data-order="` + page + `"`} {
		if !strings.Contains(body, want) {
			t.Errorf("collection page lacks %s", want)
		}
	}
	list := b.want(b.get("/collections"), http.StatusOK).body
	if !strings.Contains(list, `href="`+page+`"`) || !strings.Contains(list, "ordered set") {
		t.Errorf("collections page: %.500s", list)
	}

	// Reordered by keyboard (the buttons), then by a drag's whole order.
	res = b.want(b.post(page+"/move", url.Values{"csrf": {csrf}, "asset": {s(bb)}, "dir": {"up"}}), http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != page+"#asset-"+s(bb) {
		t.Errorf("move goes back to %q", loc)
	}
	if got := strings.Join(order(), ","); got != s(c)+","+s(bb)+","+s(a) {
		t.Errorf("after Up: %s", got)
	}
	b.want(b.post(page+"/move", url.Values{"csrf": {csrf}, "asset": {s(c)}, "dir": {"up"}}), http.StatusSeeOther) // already first
	b.want(b.post(page+"/move", url.Values{"csrf": {csrf}, "asset": {s(c)}, "dir": {"down"}}), http.StatusSeeOther)
	if got := strings.Join(order(), ","); got != s(bb)+","+s(c)+","+s(a) {
		t.Errorf("after Down: %s", got)
	}
	b.want(b.post(page, url.Values{"csrf": {csrf}, "asset_ids": {s(a) + "," + s(bb) + "," + s(c)}}), http.StatusSeeOther)
	if got := strings.Join(order(), ","); got != s(a)+","+s(bb)+","+s(c) {
		t.Errorf("after a drag: %s", got)
	}
	// Removed from the collection by the selection; renamed.
	b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"uncollect"}, "collection": {strings.TrimPrefix(page, "/collections/")},
		"ids": {s(bb)}, "back": {page}}), http.StatusSeeOther)
	if got := strings.Join(order(), ","); got != s(a)+","+s(c) {
		t.Errorf("after removing: %s", got)
	}
	b.want(b.post(page, url.Values{"csrf": {csrf}, "title": {"Summer trip"}, "description": {"The best of it"}}), http.StatusSeeOther)
	if body := b.get(page).body; !strings.Contains(body, "<h1>Summer trip</h1>") || !strings.Contains(body, "The best of it") {
		t.Errorf("after renaming: %.400s", body)
	}
	b.want(b.post(page+"/move", url.Values{"csrf": {csrf}, "asset": {s(bb)}, "dir": {"up"}}), http.StatusUnprocessableEntity)
	b.want(b.post(page+"/move", url.Values{"csrf": {"bad"}, "asset": {s(a)}, "dir": {"up"}}), http.StatusForbidden)
	b.want(b.post("/collections", url.Values{"csrf": {csrf}, "title": {""}}), http.StatusUnprocessableEntity)

	// A saved search.
	res = b.want(b.post("/collections", url.Values{"csrf": {csrf}, "title": {"Cs"}, "query": {"filename:c"}}), http.StatusSeeOther)
	saved := res.header.Get("Location")
	body = b.want(b.get(saved), http.StatusOK).body
	if got := tiles(body); len(got) != 1 || got[0] != s(c) || strings.Contains(body, `value="up"`) {
		t.Errorf("saved search page: %v", got)
	}

	// A guest reads, but neither reorders nor edits; limited from the
	// People page, the guest sees only the collection's assets.
	e.addUser(t, "gus", damask.RoleGuest)
	g := e.signedIn(t, "gus")
	body = g.want(g.get(page), http.StatusOK).body
	if strings.Contains(body, `value="up"`) || strings.Contains(body, "edit-collection") {
		t.Errorf("a guest is offered changes: %.400s", body)
	}
	gcsrf := token(t, g.get("/"))
	g.want(g.post(page+"/move", url.Values{"csrf": {gcsrf}, "asset": {s(a)}, "dir": {"down"}}), http.StatusForbidden)
	adm := e.signedIn(t, "admin")
	acsrf := token(t, adm.get("/"))
	people := adm.want(adm.get("/people"), http.StatusOK).body
	gus := mustUser(t, e, "gus")
	if !strings.Contains(people, `name="collection_ids"`) {
		t.Fatalf("People offers no collection_ids: %.600s", people)
	}
	colID := strings.TrimPrefix(page, "/collections/")
	adm.want(adm.post("/people/"+s(gus.ID), url.Values{"csrf": {acsrf}, "collection_ids": {colID}}), http.StatusSeeOther)
	if got := tiles(g.get("/").body); len(got) != 2 {
		t.Errorf("the limited guest's library shows %v, want the collection's 2", got)
	}
	g.want(g.get("/assets/"+s(bb)), http.StatusNotFound)
	g.want(g.get(saved), http.StatusNotFound)
	if body := g.get("/collections").body; strings.Contains(body, saved) || !strings.Contains(body, page) {
		t.Errorf("the limited guest's collections: %.500s", body)
	}
	if !strings.Contains(adm.get("/people").body, `value="`+colID+`"`) {
		t.Errorf("People does not show the guest's limit")
	}
	adm.want(adm.post("/people/"+s(gus.ID), url.Values{"csrf": {acsrf}, "collection_ids": {""}}), http.StatusSeeOther)
	if got := tiles(g.get("/").body); len(got) != 3 {
		t.Errorf("the guest's library after lifting the limit shows %v", got)
	}

	// Deleted: gone, its assets stay.
	res = b.want(b.post(page+"/delete", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	if res.header.Get("Location") != "/collections" {
		t.Errorf("delete goes to %q", res.header.Get("Location"))
	}
	b.want(b.get(page), http.StatusNotFound)
	if got := tiles(b.get("/").body); len(got) != 3 {
		t.Errorf("library after deleting the collection: %v", got)
	}
}
