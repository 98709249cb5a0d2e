package httpapi

import (
	"net/http"

	"damask/tus"
)

// Resumable uploads, the tus protocol (package tus): OPTIONS and POST
// /api/uploads/tus/, HEAD, PATCH and DELETE /api/uploads/tus/ID. The
// protocol's answers are its own (plain text, its statuses); who may ask
// is settled here as for every /api/ route.

const tusPrefix = "/api/uploads/tus/"

func (s *Server) tusHandler() *tus.Handler {
	return &tus.Handler{Svc: s.svc, Log: s.log, Prefix: tusPrefix, UploadPrefix: "/api/uploads/"}
}

func (s *Server) tusCollection(w http.ResponseWriter, r *http.Request) {
	s.tus.Serve(w, r, caller(r), "")
}

func (s *Server) tusUpload(w http.ResponseWriter, r *http.Request) {
	s.tus.Serve(w, r, caller(r), r.PathValue("id"))
}

// tusDiscovery answers OPTIONS on the tus paths before any credentials
// are asked, as tus clients expect: it tells the protocol's version,
// extensions and the size limit, nothing of any account. A browser's CORS
// preflight (with Access-Control-Request-Method) is crosssite.go's.
func (s *Server) tusDiscovery(w http.ResponseWriter, r *http.Request) bool {
	if r.Method != http.MethodOptions || r.Header.Get("Access-Control-Request-Method") != "" {
		return false
	}
	if r.URL.Path+"/" != tusPrefix && (len(r.URL.Path) < len(tusPrefix) || r.URL.Path[:len(tusPrefix)] != tusPrefix) {
		return false
	}
	s.tus.Serve(w, r, caller(r), "")
	return true
}
