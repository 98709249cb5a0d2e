package httpapi

import (
	"net/http"

	"damask"
)

// routes lists every call of API.md. The middleware in ServeHTTP has
// already chosen the account, checked the API switch and the credentials,
// and taken the .xml or .json off the path.
func (s *Server) routes() {
	m := routeTable{s}
	m.HandleFunc("GET /api/openapi", s.description) // openapi.go
	m.HandleFunc("GET /api/docs", s.docs)

	m.HandleFunc("GET /api/account", s.showAccount)
	m.HandleFunc("PUT /api/account", s.updateAccount)
	m.HandleFunc("GET /api/account/oidc", s.showOIDC)
	m.HandleFunc("PUT /api/account/oidc", s.updateOIDC)
	m.HandleFunc("DELETE /api/account/oidc", s.deleteOIDC)

	m.HandleFunc("GET /api/audit", s.listAudit)
	m.HandleFunc("GET /api/events", s.listEvents)

	m.HandleFunc("GET /api/webhooks", s.listWebhooks)
	m.HandleFunc("POST /api/webhooks", s.createWebhook)
	m.HandleFunc("GET /api/webhooks/{id}", s.showWebhook)
	m.HandleFunc("PUT /api/webhooks/{id}", s.updateWebhook)
	m.HandleFunc("DELETE /api/webhooks/{id}", s.deleteWebhook)
	m.HandleFunc("POST /api/webhooks/{id}/ping", s.pingWebhook)
	m.HandleFunc("GET /api/webhooks/{id}/deliveries", s.listDeliveries)
	m.HandleFunc("POST /api/webhooks/{id}/deliveries/{did}/retry", s.redeliver)

	m.HandleFunc("GET /api/user", s.currentUser)
	m.HandleFunc("GET /api/users", s.listUsers)
	m.HandleFunc("POST /api/users", s.idempotent(s.createUser))
	m.HandleFunc("GET /api/users/{id}", s.showUser)
	m.HandleFunc("PUT /api/users/{id}", s.updateUser)
	m.HandleFunc("DELETE /api/users/{id}", s.deleteUser)

	m.HandleFunc("GET /api/tokens", s.listTokens)
	m.HandleFunc("POST /api/tokens", s.idempotent(s.createToken))
	m.HandleFunc("GET /api/tokens/{id}", s.showToken)
	m.HandleFunc("DELETE /api/tokens/{id}", s.revokeToken)

	m.HandleFunc("GET /api/tags", s.listTags)
	m.HandleFunc("POST /api/tags", s.idempotent(s.createTag))
	m.HandleFunc("GET /api/tags/{id}", s.showTag)
	m.HandleFunc("PUT /api/tags/{id}", s.updateTag)
	m.HandleFunc("DELETE /api/tags/{id}", s.deleteTag)

	m.HandleFunc("GET /api/collections", s.listCollections)
	m.HandleFunc("POST /api/collections", s.idempotent(s.createCollection))
	m.HandleFunc("GET /api/collections/{id}", s.showCollection)
	m.HandleFunc("PUT /api/collections/{id}", s.updateCollection)
	m.HandleFunc("DELETE /api/collections/{id}", s.deleteCollection)
	m.HandleFunc("GET /api/collections/{id}/assets", s.listCollectionAssets)

	m.HandleFunc("GET /api/inboxes", s.listInboxes)
	m.HandleFunc("POST /api/inboxes", s.idempotent(s.createInbox))
	m.HandleFunc("GET /api/inboxes/{id}", s.showInbox)
	m.HandleFunc("PUT /api/inboxes/{id}", s.updateInbox)
	m.HandleFunc("DELETE /api/inboxes/{id}", s.revokeInbox)
	m.HandleFunc("GET /api/stages", s.listStages)
	m.HandleFunc("POST /api/stages", s.idempotent(s.createStage))
	m.HandleFunc("GET /api/stages/{id}", s.showStage)
	m.HandleFunc("PUT /api/stages/{id}", s.updateStage)
	m.HandleFunc("DELETE /api/stages/{id}", s.revokeStage)
	m.HandleFunc("GET /api/stages/{id}/log", s.stageLog)

	m.HandleFunc("GET /api/assets", s.kept(s.listAssets))
	m.HandleFunc("POST /api/assets", s.idempotent(s.createAsset))
	m.HandleFunc("GET /api/assets/{id}", s.kept(s.showAsset))
	m.HandleFunc("GET /api/assets/facets", s.assetFacets)
	m.HandleFunc("PUT /api/assets/{id}", s.updateAsset)
	m.HandleFunc("DELETE /api/assets/{id}", s.deleteAsset)
	// GET /api/assets/download/ID and GET /api/assets/ID/versions share a
	// shape the mux cannot tell apart ("/api/assets/download/versions").
	m.HandleFunc("GET /api/assets/{a}/{b}", s.downloadVersionsOrRendition)
	m.HandleFunc("POST /api/assets/{id}/versions", s.idempotent(s.createVersion))
	m.HandleFunc("GET /api/assets/{id}/versions/{n}", s.showVersion)
	m.HandleFunc("GET /api/assets/{id}/thumbnail/{file}", s.keyedRendition("thumbnail"))
	m.HandleFunc("GET /api/assets/{id}/preview/{file}", s.keyedRendition("preview"))

	m.HandleFunc("POST /api/upload", s.idempotent(s.upload))
	m.HandleFunc("GET /api/uploads/{id}", s.showUpload)

	// Resumable uploads (tus 1.0): every method reaches the protocol,
	// which answers 405 itself with the methods it serves.
	m.HandleFunc("POST /api/uploads/tus", s.tusCollection)
	m.HandleFunc("OPTIONS /api/uploads/tus", s.tusCollection)
	m.HandleFunc("/api/uploads/tus/{$}", s.tusCollection)
	m.HandleFunc("/api/uploads/tus/{id}", s.tusUpload)

	// Last, the path no route above has: 405 when other methods have it,
	// else 404. Not a route of the API's, so not in the table.
	s.mux.HandleFunc(noRoutePattern, s.noRoute)
}

// noRoutePattern matches every request no other pattern does.
const noRoutePattern = "/"

// downloadVersionsOrRendition tells GET /api/assets/download/ID from GET /api/assets/ID/versions
// and from the renditions, GET /api/assets/ID/thumbnail (or preview, or
// thumbnail_64.jpg ...).
func (s *Server) downloadVersionsOrRendition(w http.ResponseWriter, r *http.Request) {
	a, b := r.PathValue("a"), r.PathValue("b")
	switch {
	case a == "download":
		r.SetPathValue("id", b)
		s.download(w, r)
	case b == "versions":
		r.SetPathValue("id", a)
		s.listVersions(w, r)
	case b == "thumbnail" || b == "preview" || renditionFile.MatchString(b):
		r.SetPathValue("id", a)
		s.rendition(w, r, b)
	default:
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "No route matches %s %s", r.Method, r.URL.Path))
	}
}

// routeTable registers a route in the mux and keeps its pattern, so that a
// test can hold the table against the description (openapi.json) without
// reading this file.
type routeTable struct{ s *Server }

func (t routeTable) HandleFunc(pattern string, h http.HandlerFunc) {
	t.s.mux.HandleFunc(pattern, h)
	t.s.patterns = append(t.s.patterns, pattern)
}
