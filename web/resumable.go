package web

import (
	"net/http"

	"damask/tus"
)

// Resumable uploads from the pages (tus-js-client): the tus protocol at
// /uploads/tus/, as the API's /api/uploads/tus/, for a signed-in browser.
// The session says who asks; every request but a look (HEAD, OPTIONS)
// carries the session's CSRF token in X-CSRF-Token, which another site's
// page cannot read or send (a custom header forces a CORS preflight that
// this server never grants).

const tusPrefix = "/uploads/tus/"

func (s *Server) tusHandler() *tus.Handler {
	return &tus.Handler{Svc: s.svc, Log: s.log, Prefix: tusPrefix}
}

func (s *Server) tusCollection(w http.ResponseWriter, r *http.Request) { s.serveTus(w, r, "") }

func (s *Server) tusUpload(w http.ResponseWriter, r *http.Request) {
	s.serveTus(w, r, r.PathValue("id"))
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
