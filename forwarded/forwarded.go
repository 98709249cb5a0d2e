// Package forwarded reads what a request says of its client: whether it
// came over HTTPS and from which address, believing the X-Forwarded-Proto
// and X-Forwarded-For headers of a proxy in front only when the operator
// says the proxy is trusted; and whether a browser sent it from a page of
// another site (site.go). The API and the pages ask the same way.
package forwarded

import (
	"net"
	"net/http"
	"strings"
)

// Secure tells whether the request came over HTTPS.
func Secure(r *http.Request, trustProxy bool) bool {
	if r.TLS != nil {
		return true
	}
	return trustProxy && strings.EqualFold(r.Header.Get("X-Forwarded-Proto"), "https")
}

// Scheme is "https" or "http", as Secure says.
func Scheme(r *http.Request, trustProxy bool) string {
	if Secure(r, trustProxy) {
		return "https"
	}
	return "http"
}

// Source is the client's address, for throttling and the audit log.
func Source(r *http.Request, trustProxy bool) string {
	if trustProxy {
		if f := r.Header.Get("X-Forwarded-For"); f != "" {
			first, _, _ := strings.Cut(f, ",")
			return strings.TrimSpace(first)
		}
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		return r.RemoteAddr
	}
	return host
}
