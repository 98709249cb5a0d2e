package httpapi

import (
	"cmp"
	"net/http"
	"regexp"
	"strconv"
	"strings"

	"damask"
	"damask/download"
	"damask/httpdomain"
	"damask/library"
	"damask/media"
)

// renditionFile is the last path element of GET /api/assets/ID/thumbnail_64.jpg
// (?v=KEY), the form of thumb_url before the content key moved into the
// path; still served.
var renditionFile = regexp.MustCompile(`^(thumbnail|preview)_([0-9]+)\.jpg$`)

// keyedFile is the last path element of a thumb_url or preview_url:
// KEY_PX.jpg, the content key of the asset's current file
// (download.ContentKey) and the size. It ends in _PX.jpg with nothing
// after, which fluxiom's clients swap for another size.
var keyedFile = regexp.MustCompile(`^([0-9a-f]{16})_([1-9][0-9]*)\.jpg$`)

// capabilityPrefix begins the path of the capability URLs of thumbnails
// and previews, /t/ID-SECRET/KEY_PX.jpg, served without credentials
// (library.CapabilityRendition). The server's routing sends it here.
const capabilityPrefix = "/t/"

// renditionSize chooses the size of GET /api/assets/ID/<file>: file is
// "thumbnail" or "preview" with ?size= (default 64 and 1024), or
// thumbnail_<px>.jpg / preview_<px>.jpg.
func renditionSize(r *http.Request, file string) (media.Size, error) {
	kind, px := file, r.URL.Query().Get("size")
	if m := renditionFile.FindStringSubmatch(file); m != nil {
		kind, px = m[1], m[2]
	}
	return sizeOf(kind, px)
}

// sizeOf finds a size of kind, "thumbnail" or "preview", by its pixels,
// the default when px is "". Thumbnails come in 64, 128 and 256 px,
// previews in 1024 and 2048; kind "" is any of them.
func sizeOf(kind, px string) (media.Size, error) {
	allowed := func(media.Size) bool { return true }
	def := media.Thumb64
	switch kind {
	case "thumbnail":
		allowed = func(s media.Size) bool { return s.Px <= media.Thumb256.Px }
	case "preview":
		allowed = func(s media.Size) bool { return s.Px >= media.Preview.Px }
		def = media.Preview
	}
	if px == "" {
		return def, nil
	}
	n, err := strconv.Atoi(px)
	size, ok := media.SizeByPx(n)
	if err != nil || !ok || !allowed(size) {
		var served []string
		for _, s := range media.Sizes() {
			if allowed(s) {
				served = append(served, strconv.Itoa(s.Px))
			}
		}
		what := cmp.Or(kind, "rendition")
		return media.Size{}, damask.Errorf(damask.ENOTFOUND, "No %s of size %s: the sizes are %s", what, px, strings.Join(served, ", "))
	}
	return size, nil
}

// rendition sends a thumbnail or preview. Guests may see them. While the
// file is processed the answer is 202 with Retry-After; a file without
// renditions is 404. /thumbnail and /preview answer WebP when Accept names
// image/webp (with Vary: Accept); the .jpg forms are always JPEG. The ETag
// is the rendition's SHA-256; a URL whose v names the current file is
// cached for good, since a new version changes the URL.
func (s *Server) rendition(w http.ResponseWriter, r *http.Request, file string) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	size, err := renditionSize(r, file)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	// The .jpg forms (thumbnail_64.jpg) are JPEG, as API.md says;
	// /thumbnail and /preview answer WebP to a client that asks for it.
	negotiated := !renditionFile.MatchString(file)
	if negotiated {
		h.Add("Vary", "Accept")
	}
	var f *library.RenditionFile
	if negotiated && acceptsWebP(r.Header.Values("Accept")) {
		f, err = s.svc.Rendition(r.Context(), caller(r), id, size.AsWebP())
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			f = nil // made before WebP renditions were: the JPEG
		} else if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	if f == nil {
		f, err = s.svc.Rendition(r.Context(), caller(r), id, size)
		if err != nil {
			s.fail(w, r, err)
			return
		}
	}
	download.SendRendition(w, r, f, r.URL.Query().Get("v"), download.Private)
}

// keyedRendition sends GET /api/assets/ID/thumbnail/KEY_PX.jpg (or
// preview), the thumb_url and preview_url of an account with public
// thumbnails off: a JPEG, cached for good by the caller's browser, since
// a key other than the current file's is 404.
func (s *Server) keyedRendition(kind string) http.HandlerFunc {
	return func(w http.ResponseWriter, r *http.Request) {
		id, err := httpdomain.PathID(r, "id")
		if err != nil {
			s.fail(w, r, err)
			return
		}
		m := keyedFile.FindStringSubmatch(r.PathValue("file"))
		if m == nil {
			s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "No %s %s: the name is KEY_PX.jpg, as in the asset's thumb_url", kind, r.PathValue("file")))
			return
		}
		size, err := sizeOf(kind, m[2])
		if err != nil {
			s.fail(w, r, err)
			return
		}
		f, err := s.svc.RenditionAt(r.Context(), caller(r), id, m[1], size)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		download.SendRendition(w, r, f, m[1], download.Private)
	}
}

// capabilityRendition sends GET /t/ID-SECRET/KEY_PX.jpg, a thumb_url or
// preview_url where the account has public thumbnails on, to anyone who
// holds it: no credentials, no cookie, any cache may keep it for good.
// Whatever is wrong with the secret, the answer is the same 404 as for a
// missing asset; the account is the host's, so that a secret of one
// account opens nothing under another's host.
func (s *Server) capabilityRendition(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeErrors(w, r, http.StatusMethodNotAllowed, "Only GET is allowed here")
		return
	}
	capability, key, size, err := parseCapabilityPath(r.URL.Path)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	f, err := s.svc.CapabilityRendition(r.Context(), info(r).account, capability, key, size)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.SendRendition(w, r, f, key, download.Public)
}

// parseCapabilityPath reads /t/CAPABILITY/KEY_PX.jpg: the capability as
// sent (the library judges it), the content key and the size. A path of
// another shape is ENOTFOUND, as a wrong capability is.
func parseCapabilityPath(p string) (capability, key string, size media.Size, err error) {
	rest, ok := strings.CutPrefix(p, capabilityPrefix)
	capability, file, found := strings.Cut(rest, "/")
	m := keyedFile.FindStringSubmatch(file)
	if !ok || !found || m == nil {
		return "", "", media.Size{}, damask.ErrNotFound
	}
	if size, err = sizeOf("", m[2]); err != nil {
		return "", "", media.Size{}, err
	}
	return capability, m[1], size, nil
}

// acceptsWebP tells whether an Accept header names image/webp with a
// quality above 0. Wildcards do not count: a client that did not name
// WebP gets the JPEG every client can show.
func acceptsWebP(accept []string) bool {
	for _, line := range accept {
		for _, part := range strings.Split(line, ",") {
			typ, params, _ := strings.Cut(part, ";")
			if !strings.EqualFold(strings.TrimSpace(typ), "image/webp") {
				continue
			}
			q := 1.0
			for _, p := range strings.Split(params, ";") {
				k, v, ok := strings.Cut(strings.TrimSpace(p), "=")
				if ok && strings.EqualFold(strings.TrimSpace(k), "q") {
					if f, err := strconv.ParseFloat(strings.TrimSpace(v), 64); err == nil {
						q = f
					}
				}
			}
			return q > 0
		}
	}
	return false
}
