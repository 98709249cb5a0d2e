package httpapi

import (
	"net/http"
)

// The audit log: GET /api/audit.

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	listPage(s, w, r, "events", s.svc.Audit, auditDoc)
}
