package forwarded

import (
	"fmt"
	"net"
	"net/http"
	"net/url"
	"strings"

	"damask"
)

// CrossSite tells whether a browser sent r from a page of another site, as
// the browser itself says: Sec-Fetch-Site cross-site, or same-site (another
// account's subdomain is the same site, yet not this account), or an Origin
// other than the request's own scheme, host and port, host names compared
// as damask.HostName spells them. "Origin: null" (a sandboxed frame, a
// file, a redirect from another site) is another site unless
// Sec-Fetch-Site vouches for same-origin: the pages' Referrer-Policy
// (no-referrer) makes browsers send null with the pages' own forms.
//
// A request with neither header is not cross-site: browsers send Origin
// with every POST, PUT and DELETE, and a client that is not a browser
// (curl, a script) carries no credentials that another site could borrow.
// The pages and the API both refuse by this one test.
func (p Proxies) CrossSite(r *http.Request) bool {
	site := r.Header.Get("Sec-Fetch-Site")
	if site == "cross-site" || site == "same-site" {
		return true
	}
	o := r.Header.Get("Origin")
	switch o {
	case "":
		return false
	case "null":
		return site != "same-origin"
	}
	got, err := ParseOrigin(o)
	return err != nil || got != origin(p.Scheme(r), r.Host)
}

// Unsafe tells whether r's method may change something: any but GET, HEAD
// and OPTIONS. Cross-site requests are refused only for these; a page of
// another site may make a browser read, but cannot see the answer.
func Unsafe(r *http.Request) bool {
	return r.Method != http.MethodGet && r.Method != http.MethodHead && r.Method != http.MethodOptions
}

// ParseOrigin reads an origin, as browsers send it in Origin and as
// operators write it, into one spelling: scheme, host name as
// damask.HostName has it, and port, the scheme's default made explicit.
// "HTTPS://App.Example.", "https://app.example:443" and
// "https://app.example/" are all "https://app.example:443".
func ParseOrigin(s string) (string, error) {
	u, err := url.Parse(s)
	if err != nil || (u.Scheme != "http" && u.Scheme != "https") || u.Host == "" || u.User != nil ||
		(u.Path != "" && u.Path != "/") || u.RawQuery != "" || u.ForceQuery || u.Fragment != "" {
		return "", fmt.Errorf("%q is not an origin: want http:// or https:// and a host, with a port or not, and nothing after", s)
	}
	return origin(u.Scheme, u.Host), nil
}

// origin spells scheme and host (with a port or not) as ParseOrigin does.
func origin(scheme, host string) string {
	_, port, err := net.SplitHostPort(host)
	if err != nil || port == "" {
		port = map[string]string{"http": "80", "https": "443"}[scheme]
	}
	return scheme + "://" + net.JoinHostPort(damask.HostName(host), port)
}

// Origins are origins of browser applications the operator allows
// (--cors-origins), in ParseOrigin's spelling.
type Origins map[string]bool

// ParseOrigins reads a comma-separated list of origins; an empty list
// allows none.
func ParseOrigins(list string) (Origins, error) {
	allowed := Origins{}
	for s := range strings.SplitSeq(list, ",") {
		if s = strings.TrimSpace(s); s == "" {
			continue
		}
		canon, err := ParseOrigin(s)
		if err != nil {
			return nil, err
		}
		allowed[canon] = true
	}
	return allowed, nil
}

// Allow tells whether an Origin header names one of the origins.
func (o Origins) Allow(origin string) bool {
	canon, err := ParseOrigin(origin)
	return err == nil && o[canon]
}
