package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"damask/download"
	"damask/httpdomain"
)

// Downloads: GET /api/assets/download/ID and public links, /p/TOKEN.

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			s.fail(w, r, errBadParam("version", "must be a version number from 1"))
			return
		}
	}
	d, err := s.svc.Download(r.Context(), caller(r), id, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.Send(w, r, d, true)
}

func (s *Server) publicDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeErrors(w, r, http.StatusMethodNotAllowed, "Only GET is allowed here")
		return
	}
	d, err := s.svc.PublicDownload(r.Context(), info(r).account, strings.TrimPrefix(r.URL.Path, "/p/"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.Send(w, r, d, true)
}
