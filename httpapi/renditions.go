package httpapi

import (
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

// renditionFile is the last path element of a thumb_url or preview_url.
var renditionFile = regexp.MustCompile(`^(thumbnail|preview)_([0-9]+)\.jpg$`)

// renditionSize chooses the size of GET /api/assets/ID/<file>: file is
// "thumbnail" or "preview" with ?size= (default 64 and 1024), or
// thumbnail_<px>.jpg / preview_<px>.jpg. Thumbnails come in 64, 128 and
// 256 px, previews in 1024 and 2048.
func renditionSize(r *http.Request, file string) (media.Size, error) {
	kind, px := file, r.URL.Query().Get("size")
	if m := renditionFile.FindStringSubmatch(file); m != nil {
		kind, px = m[1], m[2]
	}
	allowed := func(s media.Size) bool { return s.Px <= media.Thumb256.Px }
	def := media.Thumb64
	if kind == "preview" {
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
		return media.Size{}, damask.Errorf(damask.ENOTFOUND, "No %s of size %s: the sizes are %s", kind, px, strings.Join(served, ", "))
	}
	return size, nil
}

// rendition sends a thumbnail or preview. Guests may see them. While the
// file is processed the answer is 202 with Retry-After; a file without
// renditions is 404. /thumbnail and /preview answer WebP when Accept names
// image/webp (with Vary: Accept); the thumb_url forms are always JPEG. The ETag is the rendition's SHA-256; a URL whose v
// names the current file (as thumb_url does) is cached for good, since a
// new version changes the URL.
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
	// The thumb_url forms (thumbnail_64.jpg) are JPEG, as API.md says;
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
	download.SendRendition(w, r, f)
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
