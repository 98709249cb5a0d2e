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
	cs, n, err := s.svc.Collections(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, c, csrf, "collections", "Collections",
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
	if err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, collectionURL(col.ID), http.StatusSeeOther)
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
}

// collection opens a collection as a library view: its assets in its
// order, or as its saved search finds them now.
func (s *Server) collection(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := library.AssetQuery{Page: damask.Page{Number: 1, Size: pageSize}, Cursor: r.URL.Query().Get("cursor")}
	col, l, err := s.svc.OpenCollection(r.Context(), c, id, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	canEdit := c.User.Role.AtLeast(damask.RoleMember)
	d := collectionData{C: col, Total: l.Total, CanEdit: canEdit, Ordered: canEdit && !col.IsSearch()}
	d.Assets = make([]tile, len(l.Assets))
	for i, a := range l.Assets {
		d.Assets[i] = newTile(c, a)
	}
	if l.Next != "" {
		d.Next = collectionURL(id) + "?cursor=" + url.QueryEscape(l.Next)
	}
	d.Draggable = d.Ordered && l.Next == "" && q.Cursor == ""
	s.render(w, r, c, csrf, "collection", col.Title, d)
}

// editCollection changes a collection's fields, or its assets: the
// selection's ids added, one asset removed, or the whole order replaced
// (the script's drag, as ids in order).
func (s *Server) editCollection(r *http.Request, c library.Caller, id int64) (string, error) {
	_, err := s.svc.UpdateCollection(r.Context(), c, id, collectionForm(r.PostForm))
	return collectionURL(id), err
}

// moveInCollection moves one asset up or down a place: the keyboard's
// way to reorder, and the only one without JavaScript.
func (s *Server) moveInCollection(r *http.Request, c library.Caller, id int64) (string, error) {
	asset, err := strconv.ParseInt(r.PostForm.Get("asset"), 10, 64)
	if err != nil || asset <= 0 {
		return "", damask.Errorf(damask.EINVALID, "Choose an asset to move")
	}
	by := map[string]int{"up": -1, "down": 1}[r.PostForm.Get("dir")]
	if by == 0 {
		return "", damask.Errorf(damask.EMALFORMED, "Move up or down")
	}
	_, err = s.svc.MoveCollectionAsset(r.Context(), c, id, asset, by)
	back := collectionURL(id)
	if cur := r.PostForm.Get("cursor"); cur != "" {
		back += "?cursor=" + url.QueryEscape(cur)
	}
	return back + "#asset-" + strconv.FormatInt(asset, 10), err
}

func (s *Server) deleteCollection(r *http.Request, c library.Caller, id int64) (string, error) {
	_, err := s.svc.DeleteCollection(r.Context(), c, id)
	return "/collections", err
}
