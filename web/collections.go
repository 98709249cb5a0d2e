package web

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Collections: the list of them, one opened as a library view, and the
// forms that make and change them. Reordering works without JavaScript
// (an Up and a Down button on each tile, reached by keyboard); the script
// adds dragging, which sends the whole order.

type collectionsData struct {
	Collections []*damask.Collection
	Total       int
	CanEdit     bool
}

func (s *Server) collections(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showCollections(w, r, c, csrf, http.StatusOK, form{})
}

// collectionLabels are the first words of the messages about a
// collection's fields, and the fields of its forms.
var collectionLabels = map[string]string{"Title": "title", "Description": "description", "query": "query", "Query": "query"}

// showCollections renders the list of collections, with f when the form
// that saves a search came back.
func (s *Server) showCollections(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	cs, n, err := s.svc.Collections(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderForm(w, r, c, csrf, status, f, "collections", s.tr(r, "Collections"),
		collectionsData{Collections: cs, Total: n, CanEdit: c.User.Role.AtLeast(damask.RoleMember)})
}

// createCollection makes a collection from the form: a saved search when
// it has a query, else an ordered set of the ids it names (the
// selection's "Make collection" sends them as ids fields).
func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	col, _, err := s.svc.CreateCollection(r.Context(), c, collectionForm(r.PostForm), damask.IdempotencyKey{})
	switch {
	case err == nil:
		s.redirect(w, r, collectionURL(col.ID), flash{Message: madeCollection(s.lang(r), col, countIDs(collectionForm(r.PostForm).AssetIDs))})
	case formError(err):
		s.showCollections(w, r, c, r.PostForm.Get("csrf"), formStatus(err), failedForm(err, typedCollection(r.PostForm), collectionLabels))
	default:
		s.fail(w, r, err)
	}
}

// madeCollection says what a new collection is: a saved search, or an
// ordered set of n assets.
func madeCollection(l *language, col *damask.Collection, n int) string {
	if col.IsSearch() {
		return l.T("Saved the search %q as the collection %q.", col.Query, col.Title)
	}
	return l.N(n, "Made the collection %[2]q of %[1]d asset.", "Made the collection %[2]q of %[1]d assets.", col.Title)
}

// countIDs counts the ids of a list as a form sends it.
func countIDs(list *string) int {
	n := 0
	if list != nil {
		for _, v := range strings.Split(*list, ",") {
			if strings.TrimSpace(v) != "" {
				n++
			}
		}
	}
	return n
}

// typedCollection is what was typed in a collection's form, to come back.
func typedCollection(f url.Values) url.Values {
	v := url.Values{}
	for _, k := range []string{"title", "description", "query"} {
		if f.Has(k) {
			v.Set(k, f.Get(k))
		}
	}
	return v
}

// collectionForm reads a collection's fields from a form: a field sent
// changes, one left out does not.
func collectionForm(f url.Values) library.CollectionInput {
	var in library.CollectionInput
	field := func(name string) *string {
		if !f.Has(name) {
			return nil
		}
		v := f.Get(name)
		return &v
	}
	in.Title, in.Description, in.Query = field("title"), field("description"), field("query")
	if ids, ok := f["ids"]; ok {
		list := strings.Join(ids, ",")
		in.AssetIDs = &list
	}
	in.AssetIDs = orField(in.AssetIDs, field("asset_ids"))
	in.AddAssetIDs, in.RemoveAssetIDs = field("add_asset_ids"), field("remove_asset_ids")
	return in
}

func orField(a, b *string) *string {
	if a != nil {
		return a
	}
	return b
}

func collectionURL(id int64) string { return "/collections/" + strconv.FormatInt(id, 10) }

type collectionData struct {
	C       *damask.Collection
	Assets  []tile
	Total   int
	Next    string // the keyset link to the next page
	CanEdit bool
	Ordered bool // an ordered set a member may reorder
	// Draggable: the whole set is on the page, so that the script may
	// send its whole order after a drag.
	Draggable bool
	Selected  map[int64]bool // the boxes ticked in a selection that came back
	// CanStage: the caller may publish the collection on a Stage.
	CanStage bool
}

// collection opens a collection as a library view: its assets in its
// order, or as its saved search finds them now.
func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	c, csrf, id, ok := s.pageOn(w, r)
	if !ok {
		return
	}
	s.showCollection(w, r, c, csrf, id, r.URL.Query().Get("cursor"), http.StatusOK, form{}, nil)
}

// showCollection renders a collection's page at cursor, with f and the
// ticked boxes when a form on it came back.
func (s *Server) showCollection(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, id int64, cursor string, status int, f form, selected []int64) {
	q := library.AssetQuery{Page: damask.Page{Number: 1, Size: pageSize}, Cursor: cursor}
	col, l, err := s.svc.OpenCollection(r.Context(), c, id, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canEdit := c.User.Role.AtLeast(damask.RoleMember)
	d := collectionData{C: col, Total: l.Total, CanEdit: canEdit, Ordered: canEdit && !col.IsSearch(), Selected: map[int64]bool{},
		CanStage: canEdit && s.svc.Plan(c.Account).Stages}
	for _, id := range selected {
		d.Selected[id] = true
	}
	d.Assets = make([]tile, len(l.Assets))
	for i, a := range l.Assets {
		d.Assets[i] = newTile(c, a)
	}
	if l.Next != "" {
		d.Next = collectionURL(id) + "?cursor=" + url.QueryEscape(l.Next)
	}
	d.Draggable = d.Ordered && l.Next == "" && q.Cursor == ""
	s.renderForm(w, r, c, csrf, status, f, "collection", col.Title, d)
}

// editCollection changes a collection's fields, or its assets: the
// selection's ids added, one asset removed, or the whole order replaced
// (the script's drag, as ids in order, which reads no page and so is
// told nothing). Refused, the page comes back with what was typed.
func (s *Server) editCollection(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	in := collectionForm(r.PostForm)
	col, err := s.svc.UpdateCollection(r.Context(), c, id, in)
	switch {
	case err == nil:
		msg := ""
		if in.Title != nil || in.Description != nil || in.Query != nil {
			msg = s.tr(r, "Saved the collection %q.", col.Title)
		} else if in.AddAssetIDs != nil || in.RemoveAssetIDs != nil {
			msg = s.tr(r, "Changed the assets of the collection %q.", col.Title)
		}
		s.redirect(w, r, collectionURL(id), flash{Message: msg})
	case formError(err) && in.AssetIDs == nil:
		s.showCollection(w, r, c, r.PostForm.Get("csrf"), id, "", formStatus(err),
			failedForm(err, typedCollection(r.PostForm), collectionLabels), nil)
	default:
		s.fail(w, r, err)
	}
}

// moveInCollection moves one asset up or down a place: the keyboard's
// way to reorder, and the only one without JavaScript.
// It says nothing: the tile is seen moved, where the page lands.
func (s *Server) moveInCollection(r *http.Request, c library.Caller, id int64) (string, string, error) {
	asset, err := strconv.ParseInt(r.PostForm.Get("asset"), 10, 64)
	if err != nil || asset <= 0 {
		return "", "", damask.Errorf(damask.EINVALID, "Choose an asset to move")
	}
	by := map[string]int{"up": -1, "down": 1}[r.PostForm.Get("dir")]
	if by == 0 {
		return "", "", damask.Errorf(damask.EMALFORMED, "Move up or down")
	}
	_, err = s.svc.MoveCollectionAsset(r.Context(), c, id, asset, by)
	back := collectionURL(id)
	if cur := r.PostForm.Get("cursor"); cur != "" {
		back += "?cursor=" + url.QueryEscape(cur)
	}
	return back + "#asset-" + strconv.FormatInt(asset, 10), "", err
}

func (s *Server) deleteCollection(r *http.Request, c library.Caller, id int64) (string, string, error) {
	col, err := s.svc.DeleteCollection(r.Context(), c, id)
	if err != nil {
		return "", "", err
	}
	return "/collections", s.tr(r, "The collection %q was deleted; its assets stay in the library.", col.Title), nil
}

// publishCollection puts the collection on a new Stage and tells its
// address (and its recipients' personal ones in the API and e-mails).
func (s *Server) publishCollection(r *http.Request, c library.Caller, id int64) (string, string, error) {
	f := r.PostForm
	opt := func(name string) *string {
		if !f.Has(name) {
			return nil
		}
		v := f.Get(name)
		return &v
	}
	colID := strconv.FormatInt(id, 10)
	base := httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account)
	st, _, err := s.svc.CreateStage(r.Context(), c, library.StageInput{Title: opt("title"), Message: opt("message"),
		CollectionID: &colID, Password: opt("password"), ExpiresOn: opt("expires_on"), Downloads: opt("downloads"),
		Watermark: opt("watermark"), WatermarkPosition: opt("watermark_position"), WatermarkOpacity: opt("watermark_opacity"),
		Recipients: opt("recipients"), Base: base}, damask.IdempotencyKey{})
	if err != nil {
		return "", "", err
	}
	return collectionURL(id), s.tr(r, "Published on the Stage %q: %s", st.Title, base+library.StageAddress(st.Token)), nil
}
