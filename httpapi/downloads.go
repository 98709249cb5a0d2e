package httpapi

import (
	"net/http"
	"strconv"
	"strings"

	"damask/download"
	"damask/httpdomain"
	"damask/media"
)

// Downloads: GET /api/assets/download/ID and public links, /p/TOKEN, with
// their sized images, /p/TOKEN_WxH.jpg and /p/TOKEN_fWxH.jpg.

func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n := 0
	if v := r.URL.Query().Get("version"); v != "" {
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			s.fail(w, r, errBadParam("version", "must be a version number from 1"))
			return
		}
	}
	d, err := s.svc.Download(r.Context(), caller(r), id, n)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.Send(w, r, d, true)
}

func (s *Server) publicDownload(w http.ResponseWriter, r *http.Request) {
	if r.Method != http.MethodGet && r.Method != http.MethodHead {
		w.Header().Set("Allow", "GET, HEAD")
		s.writeErrors(w, r, http.StatusMethodNotAllowed, "Only GET is allowed here")
		return
	}
	elem := strings.TrimPrefix(r.URL.Path, "/p/")
	if token, g, ok := publicSize(elem); ok {
		f, err := s.svc.PublicImage(r.Context(), info(r).account, token, g)
		if err != nil {
			s.fail(w, r, err)
			return
		}
		download.SendPublicImage(w, r, f)
		return
	}
	d, err := s.svc.PublicDownload(r.Context(), info(r).account, elem)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.Send(w, r, d, true)
}

// publicSize reads the size a gallery appends to a public link: TOKEN_WxH.jpg
// (fit) or TOKEN_fWxH.jpg (fill), W and H in decimal without leading
// zeros, so that one geometry has one URL (and one entry in a cache). A
// token holds no '_' (library.PublicToken). Anything else is no size
// (ok false): the whole element is then a token, which finds nothing. The
// bounds are the library's to judge: a number of up to five digits is
// read, so that 4000x3000 is told it is too large rather than not found.
func publicSize(elem string) (token string, g media.Geometry, ok bool) {
	rest, found := strings.CutSuffix(elem, ".jpg")
	if !found {
		return "", g, false
	}
	i := strings.LastIndexByte(rest, '_')
	if i <= 0 {
		return "", g, false
	}
	token, spec := rest[:i], rest[i+1:]
	spec, g.Fill = strings.CutPrefix(spec, "f")
	ws, hs, found := strings.Cut(spec, "x")
	if !found {
		return "", media.Geometry{}, false
	}
	var okW, okH bool
	g.Width, okW = dimension(ws)
	g.Height, okH = dimension(hs)
	if !okW || !okH {
		return "", media.Geometry{}, false
	}
	return token, g, true
}

// dimension reads 1 to 5 decimal digits, the first not 0.
func dimension(s string) (int, bool) {
	if len(s) == 0 || len(s) > 5 || s[0] == '0' {
		return 0, false
	}
	n := 0
	for i := 0; i < len(s); i++ {
		if s[i] < '0' || s[i] > '9' {
			return 0, false
		}
		n = n*10 + int(s[i]-'0')
	}
	return n, true
}
