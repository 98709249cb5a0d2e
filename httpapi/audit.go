package httpapi

import (
	"net/http"
)

// The audit log: GET /api/audit.

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	es, total, err := s.svc.Audit(r.Context(), caller(r), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(es))
	for i, e := range es {
		items[i] = auditDoc(e)
	}
	s.list(w, r, "events", items, total, p)
}
