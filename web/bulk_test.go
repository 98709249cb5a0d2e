package web_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// seed stores n assets titled "<word> i", oldest first, behind the
// browser's back.
func (e *env) seed(t *testing.T, word string, n int) []*damask.Asset {
	t.Helper()
	c := e.caller(t, e.ann)
	as := make([]*damask.Asset, n)
	for i := range as {
		as[i] = &damask.Asset{AccountID: c.Account.ID, Title: fmt.Sprintf("%s %d", word, i), Filename: fmt.Sprintf("%s%d.jpg", word, i),
			ContentType: "image/jpeg", Size: 10, UserID: e.ann.ID}
	}
	if err := e.db.CreateAssets(t.Context(), as); err != nil {
		t.Fatal(err)
	}
	return as
}

// TestSelectAllResults selects every result of a search across pages,
// with and without the script's help: the form carries the search, the
// library resolves it.
func TestSelectAllResults(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	beach := e.seed(t, "beach", 50)
	csrf := token(t, b.get("/"))

	page := b.want(b.get("/?q=beach"), http.StatusOK)
	if !strings.Contains(page.body, `id="select-all" class="link">Select all 50 results</button>`) ||
		!strings.Contains(page.body, `<input type="hidden" name="q" value="beach">`) {
		t.Fatalf("no offer to select all 50:\n%s", page.body)
	}
	// Without the script: the button goes back to the page, all selected.
	res := b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"select-all"}, "q": {"beach"}, "back": {"/?q=beach"}}), http.StatusSeeOther)
	if loc := res.header.Get("Location"); loc != "/?all=1&q=beach" {
		t.Fatalf("select all goes to %q", loc)
	}
	page = b.want(b.get(res.header.Get("Location")), http.StatusOK)
	if !strings.Contains(page.body, "All 50 results are selected.") || !strings.Contains(page.body, `name="scope" id="sel-scope" value="query"`) ||
		strings.Count(page.body, `checked>`) < 48 || regexp.MustCompile(`aria-label="Select beach \d+">`).MatchString(page.body) {
		t.Fatalf("the page does not say all are selected:\n%s", page.body)
	}

	all := func(action string, v url.Values) url.Values {
		v.Set("csrf", csrf)
		v.Set("action", action)
		v.Set("scope", "query")
		if !v.Has("q") {
			v.Set("q", "beach")
		}
		v.Set("back", "/?q=beach")
		return v
	}
	flashOnce(t, b, b.post("/selection", all("tag", url.Values{"tag": {"sea"}})), "Tagged 50 assets with sea.")
	c := e.caller(t, e.ann)
	if l, err := e.svc.Assets(t.Context(), c, library.AssetQuery{Query: "tag:sea", Page: damask.Page{Number: 1, Size: 1}}); err != nil || l.Total != 50 {
		t.Fatalf("tagged by the search: %v %v", l, err)
	}

	// Bulk edit by a pattern, numbered in the search's order.
	flashOnce(t, b, b.post("/selection", all("edit", url.Values{"sort": {"created_on"}, "edit_title": {"Summer {n}"},
		"edit_description": {"From the beach."}, "edit_description_mode": {"replace"}, "edit_add_tags": {"print"}})), "Edited 50 assets.")
	for i, want := range map[int]string{0: "Summer 1", 49: "Summer 50"} {
		a, err := e.svc.Asset(t.Context(), c, beach[i].ID)
		if err != nil || a.Title != want || a.Description != "From the beach." || len(a.Tags) != 2 {
			t.Errorf("asset %d: %+v %v, want %q", i, a, err, want)
		}
	}

	// Refused, the form comes back as typed, by its field, still all.
	long := strings.Repeat("x", 254) + " {n}"
	res = b.want(b.post("/selection", all("edit", url.Values{"q": {"summer"}, "edit_title": {long}, "edit_remove_tags": {"sea"}})), http.StatusUnprocessableEntity)
	signedInLayout(t, "bulk edit", res, "ann")
	if msg := fieldError(res, "edit-title-error"); !strings.HasPrefix(msg, "Title is too long") {
		t.Errorf("error by the title: %q\n%s", msg, res.body)
	}
	for _, kept := range []string{`value="` + long + `"`, `name="edit_remove_tags" value="sea"`, `id="bulk-edit" class="bulk-edit" open`, "All 50 results are selected."} {
		if !strings.Contains(res.body, kept) {
			t.Errorf("the refused edit lost %s", kept)
		}
	}
	if a, _ := e.svc.Asset(t.Context(), c, beach[0].ID); a.Title != "Summer 1" || len(a.Tags) != 2 {
		t.Errorf("a refused edit changed %+v", a)
	}
	// A bulk edit of ticked boxes, in their order; nothing to change is refused.
	s := func(id int64) string { return strconv.FormatInt(id, 10) }
	flashOnce(t, b, b.post("/selection", url.Values{"csrf": {csrf}, "action": {"edit"}, "ids": {s(beach[3].ID), s(beach[2].ID)},
		"edit_title": {"{title} ({n}, {filename})"}, "back": {"/"}}), "Edited 2 assets.")
	if a, _ := e.svc.Asset(t.Context(), c, beach[2].ID); a.Title != "Summer 3 (2, beach2.jpg)" {
		t.Errorf("pattern by ids: %q", a.Title)
	}
	res = b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"edit"}, "ids": {s(beach[3].ID)}, "back": {"/"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, "Say what to change") {
		t.Errorf("an empty edit:\n%s", res.body)
	}

	// A zip of a search.
	b.upload("x.txt", "xxx", "zipme")
	b.upload("y.txt", "yyy", "zipme")
	res = b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"download"}, "scope": {"query"}, "q": {"tag:zipme"}, "back": {"/"}}), http.StatusOK)
	zr, err := zip.NewReader(bytes.NewReader([]byte(res.body)), int64(len(res.body)))
	if err != nil || len(zr.File) != 2 {
		t.Fatalf("zip of the search: %v", err)
	}

	// Delete by the search.
	flashOnce(t, b, b.post("/selection", all("delete", url.Values{"q": {"summer"}})), "50 assets moved to the trash.")
}

// TestSelectAllCap refuses a search that finds more than MaxSelection,
// and says so before.
func TestSelectAllCap(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	e.seed(t, "many", library.MaxSelection+1)
	csrf := token(t, b.get("/"))
	page := b.want(b.get("/?q=many&sort=created_on"), http.StatusOK)
	if strings.Contains(page.body, `id="select-all"`) || !strings.Contains(page.body, "Select all works up to 1000 results; this search finds about 1001") {
		t.Errorf("the offer does not say the cap:\n%s", page.body)
	}
	res := b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"tag"}, "tag": {"t"}, "scope": {"query"}, "q": {"many"}, "back": {"/?q=many"}}),
		http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, "The search finds 1001 assets, more than the 1000 one bulk action takes: narrow the search") {
		t.Errorf("no refusal past the cap:\n%s", res.body)
	}
	res = b.want(b.post("/selection", url.Values{"csrf": {csrf}, "action": {"download"}, "scope": {"query"}, "q": {"many"}, "back": {"/?q=many"}}),
		http.StatusUnprocessableEntity)
	if !strings.Contains(res.body, "more than the 1000") {
		t.Errorf("a zip past the cap:\n%s", res.body)
	}
}

// TestSelectAllGuest shows a guest limited to collections only theirs,
// and refuses a guest's change of a search.
func TestSelectAllGuest(t *testing.T) {
	e := newEnv(t)
	ann := e.signedIn(t, "ann")
	beach := e.seed(t, "beach", 60)
	csrf := token(t, ann.get("/"))
	s := func(id int64) string { return strconv.FormatInt(id, 10) }
	res := ann.want(ann.post("/selection", url.Values{"csrf": {csrf}, "action": {"collect"}, "title": {"G"}, "ids": {s(beach[0].ID), s(beach[1].ID)}, "back": {"/"}}), http.StatusSeeOther)
	colID := strings.TrimPrefix(res.header.Get("Location"), "/collections/")
	gus := e.addUser(t, "gus", damask.RoleGuest)
	adm := e.signedIn(t, "admin")
	adm.want(adm.post("/people/"+s(gus.ID), url.Values{"csrf": {token(t, adm.get("/people"))}, "collection_ids": {colID}}), http.StatusSeeOther)

	g := e.signedIn(t, "gus")
	page := g.want(g.get("/?q=beach"), http.StatusOK)
	if len(tiles(page.body)) != 2 || strings.Contains(page.body, "Select all") {
		t.Errorf("a limited guest sees %d tiles or an offer:\n%s", len(tiles(page.body)), page.body)
	}
	gcsrf := token(t, page)
	for _, action := range []string{"tag", "delete", "edit", "download"} {
		res := g.post("/selection", url.Values{"csrf": {gcsrf}, "action": {action}, "tag": {"x"}, "edit_title": {"x"}, "scope": {"query"}, "q": {"beach"}, "back": {"/"}})
		if res.status != http.StatusForbidden {
			t.Errorf("a guest's %s of a search: %d", action, res.status)
		}
	}
	if l, _ := e.svc.Assets(t.Context(), e.caller(t, e.ann), library.AssetQuery{Query: "beach", Page: damask.Page{Number: 1, Size: 1}}); l.Total != 60 {
		t.Errorf("a guest's refused selection changed the library: %d", l.Total)
	}
}
