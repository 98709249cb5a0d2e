package httpapi

import (
	"fmt"
	"net/http"

	"damask"
	"damask/httpdomain"
)

// Versions: /api/assets/ID/versions.

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vs, err := s.svc.Versions(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(vs))
	for i, v := range vs {
		items[i] = versionDoc(v, id)
	}
	s.list(w, r, "versions", items, len(vs), damask.Page{Number: 1, Size: max(len(vs), 1)})
}

func (s *Server) showVersion(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := httpdomain.PathID(r, "n")
	if err != nil || n > 1<<31 {
		s.fail(w, r, damask.ErrNotFound)
		return
	}
	v, err := s.svc.Version(r.Context(), caller(r), id, int(n))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, versionDoc(v, id))
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.svc.BeginVersion(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, key, err := s.assetInput(r, versionResource, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, replayed, err := d.Commit(r.Context(), in, key)
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, fmt.Sprintf("/api/assets/%d/versions/%d", id, v.Number), versionDoc(v, id))
}
