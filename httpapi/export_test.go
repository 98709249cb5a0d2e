package httpapi

import (
	"net/http/httptest"
	"slices"
)

// What the tests outside the package may see of it.

// OpenAPI is the served description.
var OpenAPI = openAPI

// Patterns are the route table's patterns, as routes registered them.
func (s *Server) Patterns() []string { return slices.Clone(s.patterns) }

// Route is the pattern of the mux that serves method and path ("" for
// none), a path without its .json or .xml as the middleware leaves it.
func (s *Server) Route(method, path string) string {
	_, p := s.mux.Handler(httptest.NewRequest(method, path, nil))
	return p
}
