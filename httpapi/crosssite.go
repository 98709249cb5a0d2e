package httpapi

import (
	"net/http"
	"strings"

	"damask"
	"damask/forwarded"
)

// What the CORS answers allow a browser application of an allowed origin:
// the API's methods, the request headers it reads, and the answer's
// headers beyond the basic ones.
const (
	corsMethods = "GET, HEAD, POST, PUT, PATCH, DELETE"
	corsHeaders = "Authorization, Content-Type, Accept, Idempotency-Key, Content-Digest, Content-MD5"
	corsExposed = "Location, Link, X-Total-Count, X-Total-Count-Approximate, X-Next-Cursor, X-Search-Fallback, X-Request-Id, Retry-After, Idempotent-Replayed"
)

// crossSite answers what a browser sends from a page of another site
// before the request goes further, and tells whether it did.
//
// A browser remembers the Basic credentials it was asked for and adds them
// to every request to this host, whichever page makes it; so an unsafe
// request (POST, PUT, PATCH, DELETE) that the browser says comes from
// another site (forwarded.CrossSite, the test the pages use) is refused
// with 403 before anything is read or changed. Requests without Origin or
// Sec-Fetch-Site (curl, scripts, fluxiom's clients) pass.
//
// The exception are browser applications of the origins the operator
// allows (Config.CORSOrigins): their preflights are answered, and their
// requests pass and get CORS headers when they carry a Bearer token, which
// a page must hold and send itself; never with Basic credentials or a
// cookie, which a browser adds on its own.
func (s *Server) crossSite(w http.ResponseWriter, r *http.Request) bool {
	origin := r.Header.Get("Origin")
	allowed := origin != "" && s.cfg.CORSOrigins.Allow(origin)
	h := w.Header()
	if len(s.cfg.CORSOrigins) > 0 {
		h.Add("Vary", "Origin")
	}
	if r.Method == http.MethodOptions && origin != "" && r.Header.Get("Access-Control-Request-Method") != "" {
		if !allowed {
			s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "Origin %s may not call this API from a browser: the operator allows origins with --cors-origins", truncate(origin, 100)))
			return true
		}
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Allow-Methods", corsMethods)
		h.Set("Access-Control-Allow-Headers", corsHeaders)
		h.Set("Access-Control-Max-Age", "600")
		w.WriteHeader(http.StatusNoContent)
		return true
	}
	bearer := allowed && bearerToken(r) != ""
	if bearer {
		h.Set("Access-Control-Allow-Origin", origin)
		h.Set("Access-Control-Expose-Headers", corsExposed)
	}
	if forwarded.Unsafe(r) && !bearer && s.cfg.Proxies.CrossSite(r) {
		msg := "This request came from a page of another site, and was refused: a browser application calls the API with a Bearer token from an origin the operator allows (--cors-origins)"
		if allowed {
			msg = "A browser application calls the API with a Bearer token (Authorization: Bearer), never with a password or a cookie"
		}
		s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "%s", msg))
		return true
	}
	return false
}

// bearerToken is the token of "Authorization: Bearer TOKEN", or "".
func bearerToken(r *http.Request) string {
	scheme, token, ok := strings.Cut(r.Header.Get("Authorization"), " ")
	if !ok || !strings.EqualFold(scheme, "Bearer") {
		return ""
	}
	return strings.TrimSpace(token)
}
