package httpapi_test

import (
	"encoding/json"
	"fmt"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"github.com/google/go-cmp/cmp"
)

// searchFixture is a small catalogue made through the API, by several
// users, with files whose bytes make their types.
type searchFixture struct {
	sunset, report, beach, notes, backup string            // asset ids
	tags                                 map[string]string // ids by name
}

var (
	pngBytes = append([]byte("\x89PNG\r\n\x1a\n"), make([]byte, 100)...)
	gifBytes = append([]byte("GIF89a"), make([]byte, 100)...)
	pdfBytes = []byte("%PDF-1.4\n% a report\n")
	binBytes = append([]byte{0, 1, 2, 3}, make([]byte, 5000)...)
)

func populateSearch(t *testing.T, tn *tenant) searchFixture {
	t.Helper()
	f := searchFixture{tags: map[string]string{}}
	f.sunset = id(t, tn.member.createAsset(t, "sunset.png", pngBytes, "title", "Sunset over the lake",
		"description", "evening light", "tags", "nature sky"))
	f.report = id(t, tn.admin.createAsset(t, "report.pdf", pdfBytes, "title", "Quarterly report",
		"description", "red car numbers", "tags", "work"))
	f.beach = id(t, tn.member.createAsset(t, "IMG_2041.gif", gifBytes, "title", "Beach",
		"description", "waves run", "tags", "nature beach"))
	f.notes = id(t, tn.holder.createAsset(t, "notes.txt", []byte("some notes\n"), "title", "Notes",
		"description", "a car that is red", "tags", "work"))
	f.backup = id(t, tn.member.createAsset(t, "data.bin", binBytes, "title", "Evening backup"))
	for _, x := range tn.guest.get(t, "/api/tags.json").want(t, 200).list(t, "tags", "tag") {
		tag := x.(map[string]any)
		f.tags[str(tag["tag"])] = id(t, tag)
	}
	return f
}

// listIDs reads the ids of a list of assets, in order.
func listIDs(t *testing.T, r *response) []string {
	t.Helper()
	var out []string
	if r.status == 404 {
		return nil // an empty page
	}
	for _, x := range r.list(t, "assets", "asset") {
		out = append(out, id(t, x.(map[string]any)))
	}
	return out
}

func TestSearch(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populateSearch(t, tn)
	// Another account with the same words never answers.
	other := e.tenant(t, "globex", "deluxe")
	populateSearch(t, other)

	cases := []struct {
		params string // besides sort=-created_on, unless they sort
		want   []string
	}{
		{"query=sunset", []string{f.sunset}},
		{"query=SUNSET+lake", []string{f.sunset}},
		{"query=sun*", []string{f.sunset}},
		{"query=2041", []string{f.beach}},
		{"query=running", []string{f.beach}}, // stemmed: run
		{"query=red+car", []string{f.notes, f.report}},
		{"query=" + url.QueryEscape(`"red car"`), []string{f.report}},
		{"query=lake+OR+beach", []string{f.beach, f.sunset}},
		{"query=nature+-beach", []string{f.sunset}},
		{"query=" + url.QueryEscape("(sunset OR notes) -lake"), []string{f.notes}},
		{"query=-sunset", []string{f.backup, f.notes, f.beach, f.report}},
		{"query=tag:nature", []string{f.beach, f.sunset}},
		{"query=tag:NATURE", []string{f.beach, f.sunset}},
		{"query=tag:nope", nil},
		{"query=type:image", []string{f.beach, f.sunset}},
		{"query=type:document", []string{f.notes, f.report}},
		{"query=type:other", []string{f.backup}},
		{"query=ext:pdf", []string{f.report}},
		{"query=ext:.GIF", []string{f.beach}},
		{"query=by:member", []string{f.backup, f.beach, f.sunset}},
		{"query=by:admin", []string{f.report}},
		{"query=by:nobody", nil},
		{"query=size>4KB", []string{f.backup}},
		{"query=size<=100", []string{f.notes, f.report}},
		{"query=size>4KB+OR+tag:sky", []string{f.backup, f.sunset}},
		{"query=-size>4KB+-type:document", []string{f.beach, f.sunset}},
		{"query=after:2000-01-01+before:2999", []string{f.backup, f.notes, f.beach, f.report, f.sunset}},
		{"query=before:2000", nil},
		{"query=tag:nature+type:image+sky", []string{f.sunset}},
		{"query=car&tags=work", []string{f.notes, f.report}},
		{"query=car&tags=nature", nil},
		{"query=car&tags=" + f.tags["work"], []string{f.notes, f.report}},
		{"query=" + url.QueryEscape("   "), []string{f.backup, f.notes, f.beach, f.report, f.sunset}},
		{"query=evening", []string{f.backup, f.sunset}}, // by relevance: a title hit first
		{"query=evening&sort=relevance", []string{f.backup, f.sunset}},
		{"query=evening&sort=-relevance", []string{f.sunset, f.backup}},
		{"query=nature+OR+work&sort=title", []string{f.beach, f.notes, f.report, f.sunset}},
		{"query=nature+OR+work&sort=-size", []string{f.sunset, f.beach, f.report, f.notes}},
		{"query=type:image&sort=relevance", []string{f.beach, f.sunset}}, // nothing to rank: newest first
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.params+ext, func(t *testing.T) {
				p := "/api/assets" + ext + "?per_page=100&" + c.params
				if !strings.Contains(c.params, "sort=") && !strings.Contains(c.params, "evening") {
					p += "&sort=-created_on"
				}
				r := tn.guest.get(t, p)
				if len(c.want) == 0 {
					r.want(t, 404) // an empty list
				} else {
					r.want(t, 200)
				}
				if diff := cmp.Diff(c.want, listIDs(t, r)); diff != "" {
					t.Errorf("ids (-want +got):\n%s", diff)
				}
				if got, want := r.header.Get("X-Total-Count"), len(c.want); got != strconv.Itoa(want) {
					t.Errorf("X-Total-Count %s, want %d", got, want)
				}
			})
		}
	}

	t.Run("malformed queries", func(t *testing.T) {
		for _, q := range []string{`"unclosed`, "foo:bar", "(sunset", "sunset)", "size>lots", "type:movie",
			"a OR", "*", "before:2024-13", strings.Repeat("x ", 600)} {
			for _, ext := range formats {
				for _, path := range []string{"/api/assets", "/api/assets/facets"} {
					tn.guest.get(t, path+ext+"?query="+url.QueryEscape(q)).wantError(t, 422, "at character")
				}
			}
		}
	})
	t.Run("unknown sort", func(t *testing.T) {
		for _, ext := range formats {
			tn.guest.get(t, "/api/assets"+ext+"?query=sunset&sort=name").wantError(t, 400, "sort must be one of")
		}
	})
}

func TestSearchFacets(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	f := populateSearch(t, tn)
	// Another account with tags of the same names, more assets under them
	// and tags of its own: none of it counts in acme.
	other := e.tenant(t, "globex", "deluxe")
	g := populateSearch(t, other)
	other.member.createAsset(t, "secret.png", pngBytes, "title", "Secret sunset", "tags", "nature secret")
	for _, x := range other.guest.get(t, "/api/tags.json").want(t, 200).list(t, "tags", "tag") {
		if tag := x.(map[string]any); tag["tag"] == "secret" {
			g.tags["secret"] = id(t, tag)
		}
	}

	type count = map[string]any
	num := func(n int) any { return json.Number(strconv.Itoa(n)) }
	tag := func(fx searchFixture, name string, n int) any {
		return count{"id": json.Number(fx.tags[name]), "tag": name, "count": num(n)}
	}
	typ := func(name string, n int) any { return count{"name": name, "count": num(n)} }
	facets := func(total int, tags, types []any) map[string]any {
		if tags == nil {
			tags = []any{}
		}
		if types == nil {
			types = []any{}
		}
		return map[string]any{"total": num(total), "approximate": false, "tags": tags, "types": types}
	}
	cases := []struct {
		who    *tenant
		params string
		want   map[string]any
	}{
		{tn, "", facets(5,
			// By count, then by name.
			[]any{tag(f, "nature", 2), tag(f, "work", 2), tag(f, "beach", 1), tag(f, "sky", 1)},
			[]any{typ("image", 2), typ("document", 2), typ("other", 1)})},
		{tn, "query=car", facets(2, []any{tag(f, "work", 2)}, []any{typ("document", 2)})},
		{tn, "query=sunset+OR+size>4KB", facets(2, []any{tag(f, "nature", 1), tag(f, "sky", 1)},
			[]any{typ("image", 1), typ("other", 1)})},
		{tn, "tags=nature", facets(2, []any{tag(f, "nature", 2), tag(f, "beach", 1), tag(f, "sky", 1)},
			[]any{typ("image", 2)})},
		{tn, "tags=nature&query=-beach", facets(1, []any{tag(f, "nature", 1), tag(f, "sky", 1)}, []any{typ("image", 1)})},
		{tn, "query=sunset&sort=title&page=3&per_page=1", facets(1, []any{tag(f, "nature", 1), tag(f, "sky", 1)},
			[]any{typ("image", 1)})},
		{tn, "query=zebra", facets(0, nil, nil)},
		{tn, "tags=nope", facets(0, nil, nil)},
		{tn, "query=tag:secret", facets(0, nil, nil)},
		{other, "", facets(6,
			[]any{tag(g, "nature", 3), tag(g, "work", 2), tag(g, "beach", 1), tag(g, "secret", 1), tag(g, "sky", 1)},
			[]any{typ("image", 3), typ("document", 2), typ("other", 1)})},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.who.name+"?"+c.params+ext, func(t *testing.T) {
				r := c.who.guest.get(t, "/api/assets/facets"+ext+"?"+c.params).want(t, 200)
				if diff := cmp.Diff(c.want, r.obj(t)); diff != "" {
					t.Errorf("facets (-want +got):\n%s", diff)
				}
			})
		}
	}

	// The XML document, element by element.
	t.Run("XML shape", func(t *testing.T) {
		n := tn.guest.get(t, "/api/assets/facets.xml?query=nature").want(t, 200).xml(t)
		if n.XMLName.Local != "facets" {
			t.Fatalf("root <%s>, want <facets>", n.XMLName.Local)
		}
		var got []string
		var walk func(prefix string, n xnode)
		walk = func(prefix string, n xnode) {
			typ, _ := n.attr("type")
			got = append(got, prefix+n.XMLName.Local+" "+typ)
			for _, k := range n.Kids {
				walk(prefix+n.XMLName.Local+"/", k)
			}
		}
		walk("", n)
		want := []string{
			"facets ",
			"facets/total integer",
			"facets/approximate boolean",
			"facets/tags array",
			"facets/tags/tag ",
			"facets/tags/tag/id integer",
			"facets/tags/tag/tag ",
			"facets/tags/tag/count integer",
			"facets/tags/tag ",
			"facets/tags/tag/id integer",
			"facets/tags/tag/tag ",
			"facets/tags/tag/count integer",
			"facets/tags/tag ",
			"facets/tags/tag/id integer",
			"facets/tags/tag/tag ",
			"facets/tags/tag/count integer",
			"facets/types array",
			"facets/types/type ",
			"facets/types/type/name ",
			"facets/types/type/count integer",
		}
		if diff := cmp.Diff(want, got); diff != "" {
			t.Errorf("elements (-want +got):\n%s", diff)
		}
	})
}

func TestSearchCursor(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	populateSearch(t, tn)
	// Titles and sizes that tie, so that the order needs its tie-breaker.
	for i := range 7 {
		a := tn.member.createAsset(t, fmt.Sprintf("stone%d.txt", i), []byte(strings.Repeat("s", 10+i%2)),
			"title", []string{"Stone", "Pebble"}[i%2], "description", strings.Repeat("stone ", 1+i%3), "tags", "rock")
		if i%3 == 0 { // touched, so that updated_on is not created_on
			tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+".json", form("title", "Stone")).want(t, 200)
		}
	}
	for _, q := range []string{"", "query=stone", "query=stone+OR+nature", "query=-sunset", "tags=rock", "query=size>10+OR+car"} {
		for _, sort := range []string{"", "relevance", "-relevance", "created_on", "-created_on", "updated_on", "-updated_on",
			"title", "-title", "size", "-size"} {
			for _, ext := range formats {
				base := "/api/assets" + ext + "?per_page=3&" + q + "&sort=" + sort
				t.Run(strings.TrimPrefix(base, "/api/assets"), func(t *testing.T) {
					var byNumber []string
					total := ""
					for n := 1; ; n++ {
						r := tn.guest.get(t, base+"&page="+strconv.Itoa(n))
						if n == 1 {
							total = r.header.Get("X-Total-Count")
						}
						if r.status == 404 {
							break
						}
						byNumber = append(byNumber, listIDs(t, r.want(t, 200))...)
						if n > 10 {
							t.Fatal("no end of the pages")
						}
					}
					if len(byNumber) < 4 {
						t.Fatalf("%d assets: too few to page", len(byNumber))
					}

					first := tn.guest.get(t, base+"&page=1").want(t, 200)
					byCursor := listIDs(t, first)
					cur := first.header.Get("X-Next-Cursor")
					if cur == "" {
						t.Fatalf("no X-Next-Cursor on a first page of %d: %s", len(byNumber), first)
					}
					next := base + "&cursor=" + url.QueryEscape(cur)
					for range 10 {
						r := tn.guest.get(t, next).want(t, 200)
						byCursor = append(byCursor, listIDs(t, r)...)
						if got := r.header.Get("X-Total-Count"); got != total {
							t.Errorf("X-Total-Count %s, want %s", got, total)
						}
						link, cur := r.header.Get("Link"), r.header.Get("X-Next-Cursor")
						if cur == "" {
							if link != "" {
								t.Errorf("Link %q on the last page", link)
							}
							break
						}
						const prefix = "<http://acme.example.com/api/assets" // the tenant's host
						if !strings.HasPrefix(link, prefix) || !strings.HasSuffix(link, `>; rel="next"`) {
							t.Fatalf("Link %q, want one next link to %s", link, prefix)
						}
						u, err := url.Parse(strings.TrimSuffix(strings.TrimPrefix(link, "<"), `>; rel="next"`))
						if err != nil {
							t.Fatalf("Link %q: %v", link, err)
						}
						if got := u.Query(); got.Get("cursor") != cur || got.Has("page") || got.Get("per_page") != "3" ||
							got.Get("sort") != sort || !strings.HasSuffix(u.Path, ext) {
							t.Errorf("Link %q: want the cursor %s, the same parameters and no page", link, cur)
						}
						next = u.RequestURI()
					}
					if diff := cmp.Diff(byNumber, byCursor); diff != "" {
						t.Errorf("by cursor (-by page number +by cursor):\n%s", diff)
					}
				})
			}
		}
	}

	t.Run("a cursor of another sort", func(t *testing.T) {
		cur := tn.guest.get(t, "/api/assets.json?per_page=2&sort=title").want(t, 200).header.Get("X-Next-Cursor")
		if cur == "" {
			t.Fatal("no X-Next-Cursor")
		}
		tn.guest.get(t, "/api/assets.json?per_page=2&sort=title&cursor="+url.QueryEscape(cur)).want(t, 200)
		for _, sort := range []string{"size", "-title", "relevance", ""} {
			for _, ext := range formats {
				tn.guest.get(t, "/api/assets"+ext+"?per_page=2&sort="+sort+"&cursor="+url.QueryEscape(cur)).
					wantError(t, 400, "cursor belongs to another sort order")
			}
		}
	})
	t.Run("the last page has no cursor", func(t *testing.T) {
		r := tn.guest.get(t, "/api/assets.json?per_page=100").want(t, 200)
		if cur := r.header.Get("X-Next-Cursor"); cur != "" {
			t.Errorf("X-Next-Cursor %q on the only page", cur)
		}
	})
}
