// Package download sends stored files to HTTP clients, the same way for
// the API and the web pages: with Range and conditional requests through
// http.ServeContent (which keeps sendfile reachable for a file on disk),
// the file's SHA-256 as its ETag, a sandbox CSP so that nothing uploaded
// runs on the application's origin, and a Content-Disposition (RFC 6266)
// that keeps the file's name whatever characters it holds.
package download

import (
	"fmt"
	"net/http"
	"strings"
	"time"

	"damask"
	"damask/library"
	"damask/media"
)

// Send answers the file of d, as an attachment (to be saved) or inline
// (for the page's players), and closes it.
func Send(w http.ResponseWriter, r *http.Request, d *library.Download, attachment bool) {
	defer d.Body.Close()
	h := w.Header()
	h.Set("Content-Type", d.Version.ContentType)
	if attachment {
		h.Set("Content-Disposition", Attachment(d.Version.Filename))
	}
	h.Set("ETag", `"`+d.Version.Blob.String()+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	http.ServeContent(w, r, "", d.Version.CreatedAt, d.Body)
}

// ContentKey names the content of an asset's current file in the URLs of
// its renditions (in the path, or as ?v=), so that a URL that carries it
// can be cached for good: a new version changes the key, and with it the
// URL.
func ContentKey(a *damask.Asset) string { return library.ContentKey(a) }

// Who may keep a rendition's answer (SendRendition).
const (
	// Private: the browser of the one who asked, who gave credentials.
	Private = "private"
	// Public: any cache, for a capability URL that needs no credentials;
	// whoever can ask the cache holds the URL, hence the right.
	Public = "public"
)

// SendRendition answers a rendition and closes it: cached for good by
// whom scope says when named, the content key the URL carries, is the
// asset's current one (ContentKey), else revalidated every time.
func SendRendition(w http.ResponseWriter, r *http.Request, f *library.RenditionFile, named, scope string) {
	defer f.Body.Close()
	h := w.Header()
	size, _ := media.SizeByName(f.Rendition.Size)
	h.Set("Content-Type", size.ContentType())
	h.Set("ETag", `"`+f.Rendition.Blob.String()+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	if named != "" && named == ContentKey(f.Asset) {
		h.Set("Cache-Control", scope+", max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", scope+", max-age=0, must-revalidate")
	}
	http.ServeContent(w, r, "", time.Time{}, f.Body)
}

// PublicMaxAge is how long browsers and shared caches (an operator's CDN)
// keep a sized public image before they ask again: a day, after which the
// ETag makes the question cheap (304, no body). The URL stays the same
// when the asset gets a new version or its link is revoked, so it cannot
// be cached for good: a day is how long either may take to reach a
// cache that is not purged.
const PublicMaxAge = 24 * time.Hour

// SendPublicImage answers a sized image of a public link and closes it:
// a JPEG, its ETag the image's SHA-256, cacheable by shared caches for
// PublicMaxAge, sandboxed as every rendition is.
func SendPublicImage(w http.ResponseWriter, r *http.Request, f *library.RenditionFile) {
	defer f.Body.Close()
	h := w.Header()
	h.Set("Content-Type", "image/jpeg")
	h.Set("ETag", `"`+f.Rendition.Blob.String()+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("Cache-Control", fmt.Sprintf("public, max-age=%d", int(PublicMaxAge.Seconds())))
	http.ServeContent(w, r, "", time.Time{}, f.Body)
}

// Attachment is "attachment" with the file's name: an ASCII fallback in
// filename (controls, quotes, backslashes and non-ASCII bytes become '_')
// and, when that differs, the exact name in UTF-8 in filename* (RFC 8187).
func Attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + extValue(name)
	}
	return v
}

// extValue percent-encodes every byte of s but RFC 8187's attr-chars.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
