package httpapi

import (
	"net/http"
	"strings"

	"damask/tus"
)

// Resumable uploads, the tus protocol (package tus): OPTIONS and POST
// /api/uploads/tus/, HEAD, PATCH and DELETE /api/uploads/tus/ID. The
// protocol's answers are its own (plain text, its statuses); who may ask
// is settled here as for every /api/ route. GET /api/uploads/tus/ID.xml
// (or .json), not a tus request, answers the report of the unpack an
// upload sent with unpack=true made, as POST /api/upload with unpack=true
// answers it; the completing PATCH names it in X-Damask-Unpack-Location.

const tusPrefix = "/api/uploads/tus/"

func (s *Server) tusHandler() *tus.Handler {
	return &tus.Handler{Svc: s.svc, Log: s.log, Prefix: tusPrefix, UploadPrefix: "/api/uploads/", ReportSuffix: ".xml"}
}

func (s *Server) tusCollection(w http.ResponseWriter, r *http.Request) {
	s.tus.Serve(w, r, caller(r), "")
}

func (s *Server) tusUpload(w http.ResponseWriter, r *http.Request) {
	id := r.PathValue("id")
	if r.Method == http.MethodGet && hasFormat(r) {
		s.unpackReport(w, r, id)
		return
	}
	s.tus.Serve(w, r, caller(r), id)
}

// hasFormat tells whether the path asked for ends in .xml or .json (the
// server strips it before routing).
func hasFormat(r *http.Request) bool {
	p, _, _ := strings.Cut(r.RequestURI, "?")
	return stripFormat(p) != p
}

// unpackReport answers the report of a resumable upload's unpack.
func (s *Server) unpackReport(w http.ResponseWriter, r *http.Request, id string) {
	rep, uploadID, err := s.svc.ResumableReport(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, unpackDoc(r, rep, uploadID))
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
