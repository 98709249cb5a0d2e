package httpapi

import (
	"io"
	"mime"
	"net/http"
	"strconv"

	"damask"
	"damask/library"
)

// Uploads: POST /api/upload, GET /api/uploads/ID.

// uploadResource: an upload takes no fields but those of an unpack.
var uploadResource = resource{name: "upload", writable: fields(append(unpackFields, "tags", "description")...), readOnly: fields("filename")}

// upload takes a file as the multipart field file, or as the raw body named
// by ?filename= or Content-Disposition. With unpack=true (a field, or in
// the query string) the file is a zip archive unpacked into assets at
// once, and the answer is the unpack's report.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	var (
		f   *library.StoredFile
		b   body
		err error
	)
	c := caller(r)
	if err := limitBody(r, s.svc.MaxFileSize()); err != nil {
		s.fail(w, r, err)
		return
	}
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		b, err = readBody(r, uploadResource, func(body io.Reader, filename string) error {
			f, err = s.svc.ReceiveFile(r.Context(), c, library.FileInput{Body: body, Filename: filename, Length: -1})
			return err
		})
		if err == nil && f == nil {
			err = damask.Errorf(damask.EINVALID, "File can't be blank: send it as the multipart field file")
		}
	} else {
		b = queryBody(r, uploadResource)
		f, err = s.svc.ReceiveFile(r.Context(), c, library.FileInput{Body: r.Body, Filename: rawFilename(r), Length: r.ContentLength})
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	un, on, err := unpackInput(b)
	if err == nil && !on && (b["path"] != "" || b["path_tags"] != "" || b["tags"] != "" || b["description"] != "") {
		err = damask.Errorf(damask.EINVALID, "An upload takes path, path_tags, tags and description only with unpack=true; give them to the asset")
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if on {
		un.File = f
		s.unpack(w, r, un)
		return
	}
	u, replayed, err := s.svc.Upload(r.Context(), c, f, requestKey(r, b, f))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/uploads/"+strconv.FormatInt(u.ID, 10), uploadDoc(u))
}

func (s *Server) showUpload(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.UploadByID, uploadDoc)
}

func rawFilename(r *http.Request) string {
	if n := r.URL.Query().Get("filename"); n != "" {
		return n
	}
	if _, params, err := mime.ParseMediaType(r.Header.Get("Content-Disposition")); err == nil && params["filename"] != "" {
		return params["filename"]
	}
	return ""
}
