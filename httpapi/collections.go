package httpapi

import (
	"net/http"
	"strconv"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Collections: /api/collections and the assets of one.

func (s *Server) listCollections(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "collections", s.svc.Collections, collectionDoc)
}

func (s *Server) showCollection(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Collection, collectionDoc)
}

// collectionInput reads a collection's fields from the body.
func collectionInput(r *http.Request) (library.CollectionInput, body, error) {
	b, err := readBody(r, collectionResource, nil)
	if err != nil {
		return library.CollectionInput{}, nil, err
	}
	return library.CollectionInput{
		Title:          b.ptr("title"),
		Description:    b.ptr("description"),
		Query:          b.ptr("query"),
		AssetIDs:       b.ptr("asset_ids"),
		AddAssetIDs:    b.ptr("add_asset_ids"),
		RemoveAssetIDs: b.ptr("remove_asset_ids"),
	}, b, nil
}

func (s *Server) createCollection(w http.ResponseWriter, r *http.Request) {
	create(s, w, r, collectionInput, s.svc.CreateCollection, func(c *damask.Collection) string { return "/api/collections/" + strconv.FormatInt(c.ID, 10) }, collectionDoc)
}

func (s *Server) updateCollection(w http.ResponseWriter, r *http.Request) {
	updateByID(s, w, r, collectionInput, s.svc.UpdateCollection, collectionDoc)
}

func (s *Server) deleteCollection(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.DeleteCollection, collectionDoc)
}

// listCollectionAssets answers a page of a collection's assets as
// listAssets answers the library's: the same documents, paging and cursor.
func (s *Server) listCollectionAssets(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	q := library.AssetQuery{Sort: r.URL.Query().Get("sort"), Page: p, Cursor: r.URL.Query().Get("cursor")}
	l, err := s.svc.CollectionAssets(r.Context(), caller(r), id, q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.assetList(w, r, q, l)
}
