package web

import (
	"context"
	"encoding/json"
	"fmt"
	"html/template"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/download"
	"damask/httpdomain"
	"damask/library"
	"damask/media"
	"damask/search"
)

// funcs are the helpers the templates call.
var funcs = template.FuncMap{
	"bytes": humanBytes,
	"when": func(t time.Time) string {
		if t.IsZero() {
			return ""
		}
		return t.UTC().Format("2006-01-02 15:04")
	},
	"kind": search.KindOf,
	"join": func(v []string) string { return strings.Join(v, ",") },
	"ids":  joinIDs,
	"atLeast": func(u *damask.User, role string) bool {
		return u != nil && u.Role.AtLeast(damask.Role(role))
	},
	"percent": func(used, limit int64) int {
		if limit <= 0 {
			return 0
		}
		return int(min(100, used*100/limit))
	},
}

// humanBytes writes a size as people read it: 1.5 MB.
func humanBytes(n int64) string {
	const unit = 1024
	if n < unit {
		return strconv.FormatInt(n, 10) + " B"
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "KMGTPE"[exp])
}

// signedIn finds the caller of a page and the token its forms carry. When
// nobody is signed in it sends the browser to the sign-in form and answers
// false.
func (s *Server) signedIn(w http.ResponseWriter, r *http.Request) (library.Caller, string, bool) {
	u, _, secret, err := s.session(r)
	if err != nil {
		if damask.ErrorCode(err) == damask.EUNAUTHORIZED {
			http.Redirect(w, r, signinURL(r), http.StatusSeeOther)
		} else {
			s.fail(w, r, err)
		}
		return library.Caller{}, "", false
	}
	return library.Caller{Account: info(r).account, User: u, Source: s.source(r)}, csrfToken(secret, "session"), true
}

// render shows a signed-in user's page.
func (s *Server) render(w http.ResponseWriter, r *http.Request, c library.Caller, csrf, name, title string, data any) {
	s.renderForm(w, r, c, csrf, http.StatusOK, form{}, name, title, data)
}

// renderForm shows a signed-in user's page with a form that came back.
func (s *Server) renderForm(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form, name, title string, data any) {
	s.page(w, r, status, name, pageData{Title: title, User: c.User, CSRF: csrf, Nav: name, Data: data, Form: f})
}

// writeJSON answers the small JSON documents the scripts read.
func writeJSON(w http.ResponseWriter, status int, v any) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}

// idAction is the shape of the small forms on one thing (an asset, a
// user, a token): the signed-in form with its CSRF token, the id from the
// path, one change, then back to the page act names, which says what act
// did (msg, when act says nothing of its own).
func (s *Server) idAction(act func(r *http.Request, c library.Caller, id int64) (back, msg string, err error)) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		c, id, ok := s.formOn(w, r)
		if !ok {
			return
		}
		back, msg, err := act(r, c, id)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		s.redirect(w, r, back, flash{Message: msg})
	}
}

// pageOn reads a signed-in request for the page of one object: the
// caller, the CSRF token of its forms and the id in the path. It answers
// false when it has written the answer already.
func (s *Server) pageOn(w http.ResponseWriter, r *http.Request) (library.Caller, string, int64, bool) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return library.Caller{}, "", 0, false
	}
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return library.Caller{}, "", 0, false
	}
	return c, csrf, id, true
}

// formOn reads a signed-in form posted to the page of one object: the
// caller and the id in the path. It answers false when it has written
// the answer already.
func (s *Server) formOn(w http.ResponseWriter, r *http.Request) (library.Caller, int64, bool) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return library.Caller{}, 0, false
	}
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return library.Caller{}, 0, false
	}
	return c, id, true
}

// ---- the library page

// pageSize is the number of assets a library page shows.
const pageSize = 48

// listParams are the library page's query parameters.
type listParams struct {
	Query  string
	Tags   []string // tag ids, all required
	Sort   string
	View   string // "grid" or "list"
	Page   int
	Cursor string
	// All selects every result of the search ("select all N results"):
	// the selection form then carries the search, not ids. It stays out
	// of URL, so that the page after a bulk action starts afresh.
	All bool
}

func readListParams(r *http.Request) listParams { return readListValues(r.URL.Query()) }

func readListValues(q url.Values) listParams {
	p := listParams{Query: q.Get("q"), Sort: q.Get("sort"), View: q.Get("view"), Cursor: q.Get("cursor")}
	for _, t := range strings.Split(q.Get("tags"), ",") {
		if _, err := strconv.ParseInt(t, 10, 64); err == nil {
			p.Tags = append(p.Tags, t)
		}
	}
	if p.View != "list" {
		p.View = "grid"
	}
	p.Page, _ = strconv.Atoi(q.Get("page"))
	p.All = q.Get("all") == "1"
	p.Page = min(max(p.Page, 1), 1_000_000) // deeper, the keyset link goes on
	return p
}

// URL is the library page with these parameters, defaults left out.
func (p listParams) URL() string {
	v := url.Values{}
	if p.Query != "" {
		v.Set("q", p.Query)
	}
	if len(p.Tags) > 0 {
		v.Set("tags", strings.Join(p.Tags, ","))
	}
	if p.Sort != "" {
		v.Set("sort", p.Sort)
	}
	if p.View != "grid" {
		v.Set("view", p.View)
	}
	if p.Cursor != "" {
		// The keyset link carries its page's number, so that the page
		// still says where it is.
		v.Set("cursor", p.Cursor)
	}
	if p.Page > 1 {
		v.Set("page", strconv.Itoa(p.Page))
	}
	if len(v) == 0 {
		return "/"
	}
	return "/?" + v.Encode()
}

// first is the same list from its first page.
func (p listParams) first() listParams { p.Page, p.Cursor = 1, ""; return p }

// tile is an asset as the grid and the list show it.
type tile struct {
	*damask.Asset
	Kind   string
	Ready  bool   // its thumbnails exist
	Thumb  string // the 128 px thumbnail
	SrcSet string
}

func newTile(c library.Caller, a *damask.Asset) tile { return newTileIn("/assets", c, a) }

// newTileIn is a tile whose thumbnails come from under base: /assets for
// the library, /trash for assets in the trash. It offers the sizes the
// caller may see (a guest, none as large as the file), and shows none when
// there is none.
func newTileIn(base string, c library.Caller, a *damask.Asset) tile {
	t := tile{Asset: a, Kind: search.KindOf(a.ContentType)}
	if a.Processing != damask.ProcessingDone {
		return t
	}
	var set []string
	for _, size := range []media.Size{media.Thumb64, media.Thumb128, media.Thumb256} {
		if !library.MaySee(c, a, size) {
			break
		}
		u := thumbURLIn(base, a, size.Px)
		set = append(set, fmt.Sprintf("%s %dw", u, size.Px))
		if size.Px <= media.Thumb128.Px {
			t.Thumb = u
		}
	}
	t.Ready, t.SrcSet = t.Thumb != "", strings.Join(set, ", ")
	return t
}

// thumbURL names a rendition of the asset's current file: the v parameter
// changes with the file, so that the answer may be cached for good.
func thumbURL(a *damask.Asset, px int) string { return thumbURLIn("/assets", a, px) }

func thumbURLIn(base string, a *damask.Asset, px int) string {
	return fmt.Sprintf("%s/%d/thumb/%d?v=%s", base, a.ID, px, download.ContentKey(a))
}

type link struct {
	Label, URL string
	Current    bool
}

type facetLink struct {
	Name, URL string
	Count     int
	Active    bool
}

// chip is an active filter above the results; URL is the list without it.
type chip struct{ Label, URL string }

type libraryData struct {
	P           listParams
	Chips       []chip // every active filter: the tags, the types, the search
	ClearURL    string // the list with none of them
	From, To    int    // the assets shown, counted from 1
	OutOfRange  bool   // a page past the last
	LastPage    int
	LastURL     string
	Selected    map[int64]bool // the boxes ticked in a selection that came back
	Form        form
	Assets      []tile
	Total       int
	Approximate bool
	QueryError  string
	Fallback    bool        // no asset has all the words: the list shows those with most
	Tags        []facetLink // the facets' tags; Active ones narrow the list
	Kinds       []facetLink
	Pages       []link
	Prev        string // the page before, "" on the first
	NextCursor  string // the keyset link to the next page, which carries its number
	GridURL     string
	ListURL     string
	Sorts       []link // value in URL
	CanEdit     bool
	ListAction  string
	// MaxSelection is the most results "select all" takes; SelectAll
	// tells whether the offer is a button (the search finds more than a
	// page, and at most MaxSelection).
	MaxSelection int
	SelectAll    bool
	TitleFields  string
}

var sortChoices = []link{
	{msg("Newest first"), "", false}, {msg("Oldest first"), "created_on", false},
	{msg("Recently changed"), "-updated_on", false}, {msg("Title A-Z"), "title", false},
	{msg("Title Z-A"), "-title", false}, {msg("Largest first"), "-size", false},
	{msg("Smallest first"), "size", false}, {msg("Best match"), "relevance", false},
}

// The text of a search's error (search.Error), which the library wraps
// as "query %s": the catalogs translate it where the page shows it.
var _ = msg("at character %d: %s")

// library is the home page: the grid or list of the account's assets,
// the search box, the sort menu, the facets and the pages.
func (s *Server) library(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showLibrary(w, r, c, csrf, readListParams(r), http.StatusOK, form{}, nil)
}

// showLibrary renders the library page of p, with f and the ticked boxes
// when a form on it came back.
func (s *Server) showLibrary(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, p listParams, status int, f form, selected []int64) {
	q := library.AssetQuery{Query: p.Query, Tags: strings.Join(p.Tags, ","), Sort: p.Sort,
		Page: damask.Page{Number: p.Page, Size: pageSize}, Cursor: p.Cursor}
	d := libraryData{P: p, CanEdit: c.User.Role.AtLeast(damask.RoleMember), Form: f, Selected: map[int64]bool{}}
	for _, id := range selected {
		d.Selected[id] = true
	}
	l, fc, err := s.svc.Browse(r.Context(), c, q)
	switch code := damask.ErrorCode(err); {
	case err == nil:
	case code == damask.EINVALID || code == damask.EMALFORMED:
		// A query the parser refused, or one that ran too long: say
		// why, keep the page.
		d.QueryError = damask.ErrorMessage(err)
		l, fc = &library.AssetList{}, damask.Facets{}
	default:
		s.fail(w, r, err)
		return
	}
	d.Total, d.Approximate, d.Fallback = l.Total, l.Approximate, l.Fallback != ""
	d.Assets = make([]tile, len(l.Assets))
	for i, a := range l.Assets {
		d.Assets[i] = newTile(c, a)
	}
	d.facets(fc, p)
	d.chips(r.Context(), s.svc, c, fc, s.lang(r))
	d.pages(l)
	d.MaxSelection, d.TitleFields = library.MaxSelection, library.TitleFields
	d.SelectAll = d.QueryError == "" && d.Total > len(d.Assets) && !d.Approximate && d.Total <= library.MaxSelection
	g, li := p, p
	g.View, li.View = "grid", "list"
	d.GridURL, d.ListURL = g.URL(), li.URL()
	for _, o := range sortChoices {
		d.Sorts = append(d.Sorts, link{s.tr(r, o.Label), o.URL, o.URL == p.Sort})
	}
	s.renderForm(w, r, c, csrf, status, f, "library", s.tr(r, "Library"), d)
}

// maxChipLookups bounds the tags a page looks up by id for its chips.
const maxChipLookups = 10

// chips names every active filter, each with the link that takes it
// off: the tags (by name, looked up when the facets do not hold them,
// as when they leave nothing), the types, and the rest of the search.
func (d *libraryData) chips(ctx context.Context, svc *library.Service, c library.Caller, fc damask.Facets, l *language) {
	p := d.P
	names := map[string]string{}
	for _, tc := range fc.Tags {
		names[strconv.FormatInt(tc.Tag.ID, 10)] = tc.Tag.Name
	}
	lookups := 0
	for _, id := range p.Tags {
		name, ok := names[id]
		// A hostile link may name many tags: a few are looked up.
		if !ok && lookups < maxChipLookups {
			lookups++
			n, _ := strconv.ParseInt(id, 10, 64)
			if t, err := svc.Tag(ctx, c, n); err == nil {
				name = t.Name
			}
		}
		if name == "" {
			name = "#" + id
		}
		n := p.first()
		n.Tags = nil
		for _, t := range p.Tags {
			if t != id {
				n.Tags = append(n.Tags, t)
			}
		}
		d.Chips = append(d.Chips, chip{l.T("Tag: %s", name), n.URL()})
	}
	var types, rest []string
	for _, w := range strings.Fields(p.Query) {
		if k, ok := strings.CutPrefix(w, "type:"); ok && k != "" && !strings.ContainsAny(k, `"()`) {
			types = append(types, w)
		} else {
			rest = append(rest, w)
		}
	}
	for _, t := range types {
		n := p.first()
		var q []string
		for _, w := range strings.Fields(p.Query) {
			if w != t {
				q = append(q, w)
			}
		}
		n.Query = strings.Join(q, " ")
		d.Chips = append(d.Chips, chip{l.T("Type: %s", l.Msg(strings.TrimPrefix(t, "type:"))), n.URL()})
	}
	if len(rest) > 0 {
		n := p.first()
		n.Query = strings.Join(types, " ")
		d.Chips = append(d.Chips, chip{l.T("Search: %s", strings.Join(rest, " ")), n.URL()})
	}
	if len(d.Chips) > 0 {
		n := p.first()
		n.Query, n.Tags = "", nil
		d.ClearURL = n.URL()
	}
}

// facets makes the sidebar's links: a tag not in the filter narrows by it,
// one in the filter is taken off.
func (d *libraryData) facets(fc damask.Facets, p listParams) {
	active := map[string]bool{}
	for _, t := range p.Tags {
		active[t] = true
	}
	for _, tc := range fc.Tags {
		id := strconv.FormatInt(tc.Tag.ID, 10)
		n := p.first()
		if active[id] {
			n.Tags = nil
			for _, t := range p.Tags {
				if t != id {
					n.Tags = append(n.Tags, t)
				}
			}
		} else {
			n.Tags = append(append([]string(nil), p.Tags...), id)
		}
		d.Tags = append(d.Tags, facetLink{Name: tc.Tag.Name, URL: n.URL(), Count: tc.Count, Active: active[id]})
	}
	for _, k := range []string{search.KindImage, search.KindVideo, search.KindAudio, search.KindDocument, search.KindOther} {
		if fc.Kinds[k] == 0 {
			continue
		}
		n := p.first()
		term := "type:" + k
		active := strings.Contains(" "+p.Query+" ", " "+term+" ")
		if active {
			n.Query = strings.TrimSpace(strings.Join(strings.Fields(strings.ReplaceAll(" "+p.Query+" ", " "+term+" ", " ")), " "))
		} else {
			n.Query = strings.TrimSpace(p.Query + " " + term)
		}
		d.Kinds = append(d.Kinds, facetLink{Name: k, URL: n.URL(), Count: fc.Kinds[k], Active: active})
	}
}

// pages makes the page links: numbers around the current page, and the
// keyset link on, which stays fast however deep the list goes.
//
// Every page says where it is: its assets' places (From-To of Total), the
// page before, the numbers around it and the last; the keyset link carries
// the number of the page it leads to. A page past the last says so and
// links to the last.
func (d *libraryData) pages(l *library.AssetList) {
	p := d.P
	if l.Next != "" {
		n := p
		n.Cursor, n.Page = l.Next, p.Page+1
		d.NextCursor = n.URL()
	}
	if len(l.Assets) > 0 {
		d.From = (p.Page-1)*pageSize + 1
		d.To = d.From + len(l.Assets) - 1
	}
	last := max(1, (l.Total+pageSize-1)/pageSize)
	if l.Approximate {
		last = min(last, p.Page+1)
	}
	d.LastPage = last
	at := func(n int) string { q := p; q.Page, q.Cursor = n, ""; return q.URL() }
	if len(l.Assets) == 0 && l.Total > 0 && p.Page > 1 {
		d.OutOfRange, d.LastURL = true, at(last)
	}
	if last <= 1 && p.Page <= 1 {
		return
	}
	if d.OutOfRange {
		d.Prev = at(last)
		return
	}
	if p.Page > 1 {
		d.Prev = at(p.Page - 1)
	}
	lo, hi := max(1, p.Page-3), min(last, p.Page+3)
	if lo > 1 {
		d.Pages = append(d.Pages, link{"1", at(1), false})
	}
	for n := lo; n <= hi; n++ {
		d.Pages = append(d.Pages, link{strconv.Itoa(n), at(n), n == p.Page})
	}
	if hi < last && !l.Approximate {
		d.Pages = append(d.Pages, link{strconv.Itoa(last), at(last), false})
	}
}

// processingStatus answers the scripts' question "are these assets processed yet?"
// with, for each id, its processing state and, once done, its thumbnails.
func (s *Server) processingStatus(w http.ResponseWriter, r *http.Request) {
	u, _, _, err := s.session(r)
	if err != nil {
		writeJSON(w, httpdomain.Status(damask.ErrorCode(err)), map[string]string{"error": s.lang(r).Msg(damask.ErrorMessage(err))})
		return
	}
	c := library.Caller{Account: info(r).account, User: u, Source: s.source(r)}
	type state struct {
		Processing string `json:"processing"`
		Thumb      string `json:"thumb,omitempty"`
		SrcSet     string `json:"srcset,omitempty"`
	}
	out := map[string]state{}
	ids := strings.Split(r.URL.Query().Get("ids"), ",")
	for _, v := range ids[:min(len(ids), 100)] {
		id, err := strconv.ParseInt(v, 10, 64)
		if err != nil {
			continue
		}
		a, err := s.svc.Asset(r.Context(), c, id)
		if err != nil {
			continue
		}
		t := newTile(c, a)
		out[v] = state{Processing: a.Processing, Thumb: t.Thumb, SrcSet: t.SrcSet}
	}
	writeJSON(w, http.StatusOK, out)
}

// duplicateOf answers the upload tray, as JSON, which asset of the
// library holds the same file as the one just sent (id, title, url), or
// 204 when none does.
func (s *Server) duplicateOf(w http.ResponseWriter, r *http.Request) {
	u, _, _, err := s.session(r)
	if err == nil {
		var id int64
		if id, err = httpdomain.PathID(r, "id"); err == nil {
			c := library.Caller{Account: info(r).account, User: u, Source: s.source(r)}
			var a *damask.Asset
			if a, err = s.svc.DuplicateOf(r.Context(), c, id); err == nil && a == nil {
				w.WriteHeader(http.StatusNoContent)
				return
			} else if err == nil {
				writeJSON(w, http.StatusOK, map[string]any{"id": a.ID, "title": a.Title, "url": fmt.Sprintf("/assets/%d", a.ID)})
				return
			}
		}
	}
	writeJSON(w, httpdomain.Status(damask.ErrorCode(err)), map[string]string{"error": s.lang(r).Msg(damask.ErrorMessage(err))})
}

// thumb sends a rendition of an asset: 64, 128 or 256 px thumbnails, 1024
// or 2048 px previews. Every role may see them.
func (s *Server) thumb(w http.ResponseWriter, r *http.Request) { s.sendThumb(w, r, s.svc.Rendition) }

// trashThumb is the thumbnail of an asset in the trash.
func (s *Server) trashThumb(w http.ResponseWriter, r *http.Request) {
	s.sendThumb(w, r, s.svc.TrashedRendition)
}

func (s *Server) sendThumb(w http.ResponseWriter, r *http.Request,
	open func(context.Context, library.Caller, int64, media.Size) (*library.RenditionFile, error)) {
	c, _, id, ok := s.pageOn(w, r)
	if !ok {
		return
	}
	px, _ := strconv.Atoi(r.PathValue("px"))
	size, ok := media.SizeByPx(px)
	if !ok {
		s.fail(w, r, damask.ErrNotFound)
		return
	}
	f, err := open(r.Context(), c, id, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.SendRendition(w, r, f, r.URL.Query().Get("v"), download.Private)
}

// joinIDs writes ids as a person types them: separated by commas.
func joinIDs(v []int64) string {
	s := make([]string, len(v))
	for i, id := range v {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ", ")
}
