package web

import (
	"net/http"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/library"
	"damask/tus"
)

// Resumable uploads from the pages (tus-js-client): the tus protocol at
// /uploads/tus/, as the API's /api/uploads/tus/, for a signed-in browser.
// The session says who asks; every request but a look (HEAD, OPTIONS)
// carries the session's CSRF token in X-CSRF-Token, which another site's
// page cannot read or send (a custom header forces a CORS preflight that
// this server never grants). GET /uploads/tus/ID.json answers the report
// of the unpack an upload sent with unpack made, as /upload answers an
// unpacked archive (the completing PATCH names it in
// X-Damask-Unpack-Location).

const tusPrefix = "/uploads/tus/"

func (s *Server) tusHandler() *tus.Handler {
	return &tus.Handler{Svc: s.svc, Log: s.log, Prefix: tusPrefix, ReportSuffix: ".json"}
}

func (s *Server) tusCollection(w http.ResponseWriter, r *http.Request) { s.serveTus(w, r, "") }

func (s *Server) tusUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if r.Method == http.MethodGet && strings.HasSuffix(id, ".json") {
		s.unpackReport(w, r, strings.TrimSuffix(id, ".json"))
		return
	}
	s.serveTus(w, r, id)
}

// unpackReport answers the report of a resumable upload's unpack to the
// scripts.
func (s *Server) unpackReport(w http.ResponseWriter, r *http.Request, id string) {
	c, _, err := s.fileCaller(r)
	var rep *library.UnpackReport
	if err == nil {
		rep, _, err = s.svc.ResumableReport(r.Context(), c, id)
	}
	if err != nil {
		writeJSON(w, httpdomain.Status(damask.ErrorCode(err)), map[string]string{"error": s.lang(r).Msg(damask.ErrorMessage(err))})
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	writeJSON(w, http.StatusOK, unpackedOf(c, rep))
}

func (s *Server) serveTus(w http.ResponseWriter, r *http.Request, id string) {
	h := s.tusHandler()
	c, secret, err := s.fileCaller(r)
	if err == nil && r.Method != http.MethodHead && r.Method != http.MethodOptions &&
		!validToken(secret, "session", r.Header.Get("X-CSRF-Token")) {
		err = errToken
	}
	if err != nil && r.Method != http.MethodOptions {
		h.Fail(w, r, err)
		return
	}
	h.Serve(w, r, c, id)
}
