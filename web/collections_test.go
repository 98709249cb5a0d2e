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

// The forms of collections, folders and unpacking end as every form does:
// refused, they come back with what was typed and the error by its field;
// done, the page after says what happened, once.
func TestCollectionAndFolderFormsFlow(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	a, bb := b.upload("a.txt", "aaa", ""), b.upload("b.txt", "bbb", "")
	s := func(id int64) string { return strconv.FormatInt(id, 10) }
	csrf := token(t, b.get("/"))

	// Make collection: refused without a title, the library comes back
	// with the boxes ticked; made, the collection says what it is.
	res := b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"collect"}, "title": {" "}, "ids": {s(a)}, "back": {"/?view=list"}}),
		http.StatusUnprocessableEntity)
	signedInLayout(t, "collect", res, "ann")
	if msg := fieldError(res, "sel-collection-error"); !strings.HasPrefix(msg, "Title") {
		t.Errorf("error by the title: %q", msg)
	}
	if !strings.Contains(res.body, `value="`+s(a)+`" form="selection" aria-label="Select a" checked`) {
		t.Errorf("the ticked box is lost:\n%s", res.body)
	}
	res = b.post("/selection", url.Values{"csrf": {csrf}, "action": {"collect"}, "title": {"Trip"}, "ids": {s(a), s(bb)}, "back": {"/"}})
	flashOnce(t, b, res, "Made the collection &#34;Trip&#34; of 2 assets.")
	page := res.header.Get("Location")
	colID := strings.TrimPrefix(page, "/collections/")

	// Remove from this collection: without a box, the collection's page
	// comes back; with one, it says so.
	res = b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"uncollect"}, "collection": {colID}, "back": {page}}),
		http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, "<h1>Trip</h1>") || !strings.Contains(res.body, "Select one or more assets first") {
		t.Errorf("the collection's page did not come back:\n%s", res.body)
	}
	flashOnce(t, b, b.post("/selection", url.Values{"csrf": {csrf}, "action": {"uncollect"}, "collection": {colID}, "ids": {s(bb)}, "back": {page}}),
		"Took 1 asset out of the collection &#34;Trip&#34;; it is still in the library.")

	// Its Change form: a title too long comes back typed.
	long := strings.Repeat("t", 300)
	res = b.want(b.post(page, url.Values{"csrf": {csrf}, "title": {long}, "description": {"kept words"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, `value="`+long+`"`) || !strings.Contains(res.body, `value="kept words"`) || !strings.HasPrefix(fieldError(res, "c-title-error"), "Title") {
		t.Errorf("the collection's form did not come back:\n%s", res.body)
	}
	flashOnce(t, b, b.post(page, url.Values{"csrf": {csrf}, "title": {"Trip two"}, "description": {""}}), "Saved the collection &#34;Trip two&#34;.")
	// The script's drag reads no page: no message waits for the next.
	res = b.want(b.post(page, url.Values{"csrf": {csrf}, "asset_ids": {s(a)}}), http.StatusSeeOther)
	if strings.Contains(b.get(page).body, `id="flash"`) {
		t.Error("a drag's order left a message for the next page")
	}

	// Save a search: a query that does not parse comes back typed.
	res = b.want(b.post("/collections", url.Values{"csrf": {csrf}, "title": {"Bad"}, "description": {"d"}, "query": {`title:"open`}}), http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, `id="new-title" name="title" required maxlength="255" value="Bad"`) || !strings.Contains(res.body, `value="title:&#34;open"`) {
		t.Errorf("the saved search's form did not come back:\n%s", res.body)
	}
	if fieldError(res, "new-query-error") == "" && fieldError(res, "new-collection-error") == "" {
		t.Errorf("no error by the query:\n%s", res.body)
	}
	flashOnce(t, b, b.post("/collections", url.Values{"csrf": {csrf}, "title": {"As"}, "query": {"filename:a"}}),
		"Saved the search &#34;filename:a&#34; as the collection &#34;As&#34;.")
	res = b.want(b.post(page+"/delete", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	flashOnce(t, b, res, "The collection &#34;Trip two&#34; was deleted; its assets stay in the library.")

	// A guest's collections on People: refused ids come back by that
	// guest's field; a limit and its lifting say what the guest sees.
	res = b.post("/selection", url.Values{"csrf": {csrf}, "action": {"collect"}, "title": {"G"}, "ids": {s(a)}, "back": {"/"}})
	colID = strings.TrimPrefix(res.header.Get("Location"), "/collections/")
	gus := e.addUser(t, "gus", damask.RoleGuest)
	adm := e.signedIn(t, "admin")
	acsrf := token(t, adm.get("/people"))
	gid := s(gus.ID)
	res = adm.want(adm.post("/people/"+gid, url.Values{"csrf": {acsrf}, "collection_ids": {"x, y"}}), http.StatusUnprocessableEntity)
	signedInLayout(t, "people", res, "admin")
	if !strings.Contains(res.body, `value="x, y"`) || fieldError(res, "cols-"+gid+"-error") == "" {
		t.Errorf("the guest's limit did not come back:\n%s", res.body)
	}
	flashOnce(t, adm, adm.post("/people/"+gid, url.Values{"csrf": {acsrf}, "collection_ids": {colID}}),
		"gus now sees only the assets of 1 collection ("+colID+").")
	flashOnce(t, adm, adm.post("/people/"+gid, url.Values{"csrf": {acsrf}, "collection_ids": {""}}), "gus now sees the whole library.")

	// The asset's folder: refused, it comes back typed by its field.
	asset := "/assets/" + s(a)
	res = b.want(b.post(asset, url.Values{"csrf": {csrf}, "title": {"a"}, "description": {""}, "tags": {""}, "path": {"up/../out"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, `id="path" name="path" value="up/../out"`) || !strings.HasPrefix(fieldError(res, "path-error"), "Path") {
		t.Errorf("the folder did not come back:\n%s", res.body)
	}
	flashOnce(t, b, b.post(asset, url.Values{"csrf": {csrf}, "title": {"a"}, "description": {""}, "tags": {""}, "path": {"Trips/2026"}}), "Saved.")

	// An upload without scripts: a refused archive keeps the tags and the
	// boxes; an unpacked one says what it made.
	res = b.want(b.multipart("/upload", [][2]string{{"csrf", csrf}, {"tags", "kept tag"}, {"unpack", "1"}, {"path_tags", "1"}},
		map[string]string{"broken.zip": "not a zip"}), http.StatusUnprocessableEntity)
	for _, want := range []string{`value="kept tag"`, `id="upload-unpack" checked`, `id="upload-path-tags" checked`} {
		if !strings.Contains(res.body, want) {
			t.Errorf("the upload form lacks %s:\n%s", want, res.body)
		}
	}
	if msg := fieldError(res, "upload-files-error"); !strings.HasPrefix(msg, "The file") {
		t.Errorf("error by the files: %q", msg)
	}
	flashOnce(t, b, b.multipart("/upload", [][2]string{{"csrf", csrf}, {"unpack", "1"}},
		map[string]string{"two.zip": zipBytes(t, [2]string{"F/x.txt", "x"}, [2]string{"F/y.txt", "y"})}),
		"1 file uploaded, 1 archive unpacked: 2 assets made; being processed.")
}
