package tus

import (
	"errors"
	"log/slog"
	"mime"
	"net/http"
	"strconv"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Statuses the tus protocol adds to HTTP's.
const (
	// StatusChecksumMismatch answers a piece whose bytes do not have the
	// sum of its Upload-Checksum.
	StatusChecksumMismatch = 460
)

// Headers Damask adds to the answer that completes an upload (and to a
// HEAD of a complete one), for fluxiom's two-step flow: the id of the
// Upload (as POST /api/upload answers it, shown by GET /api/uploads/ID)
// and of the asset made when the metadata asked for one. An upload sent
// with unpack=true makes many assets: HeaderReportURL then names where
// the unpack's report is read (a 204 carries no body), and the Upload,
// consumed by the unpack, has no URL of its own.
const (
	HeaderUploadID  = "X-Damask-Upload-Id"
	HeaderUploadURL = "X-Damask-Upload-Location"
	HeaderAssetID   = "X-Damask-Asset-Id"
	HeaderReportURL = "X-Damask-Unpack-Location"
)

// Handler answers the tus requests of one HTTP face.
type Handler struct {
	Svc *library.Service
	Log *slog.Logger
	// Prefix is the path of the collection, ending in a slash; an
	// upload's URL is Prefix + its id.
	Prefix string
	// UploadPrefix is where the face shows an Upload by id (the API's
	// /api/uploads/); empty leaves HeaderUploadURL out.
	UploadPrefix string
	// ReportSuffix follows Prefix + id in HeaderReportURL: the face's
	// GET of that path answers the unpack's report.
	ReportSuffix string
}

// Serve answers one request of c: id is the upload named in the path, ""
// for the collection (creation, OPTIONS).
func (h *Handler) Serve(w http.ResponseWriter, r *http.Request, c library.Caller, id string) {
	hd := w.Header()
	hd.Set("Tus-Resumable", Version)
	method := r.Method
	if o := r.Header.Get("X-HTTP-Method-Override"); o != "" && r.Method == http.MethodPost {
		method = o
	}
	if method == http.MethodOptions {
		hd.Set("Tus-Version", Version)
		hd.Set("Tus-Extension", Extensions)
		hd.Set("Tus-Max-Size", strconv.FormatInt(h.Svc.MaxFileSize(), 10))
		hd.Set("Tus-Checksum-Algorithm", ChecksumAlgorithms)
		w.WriteHeader(http.StatusNoContent)
		return
	}
	if r.Header.Get("Tus-Resumable") != Version {
		hd.Set("Tus-Version", Version)
		http.Error(w, "Tus-Resumable must be "+Version, http.StatusPreconditionFailed)
		return
	}
	switch {
	case id == "" && method == http.MethodPost:
		h.create(w, r, c)
	case id != "" && (method == http.MethodHead || method == http.MethodGet):
		h.head(w, r, c, id)
	case id != "" && method == http.MethodPatch:
		h.patch(w, r, c, id)
	case id != "" && method == http.MethodDelete:
		if err := h.Svc.DeleteResumable(r.Context(), c, id); err != nil {
			h.Fail(w, r, err)
			return
		}
		w.WriteHeader(http.StatusNoContent)
	default:
		if id == "" {
			hd.Set("Allow", "OPTIONS, POST")
		} else {
			hd.Set("Allow", "OPTIONS, HEAD, PATCH, DELETE")
		}
		http.Error(w, "Method not allowed", http.StatusMethodNotAllowed)
	}
}

// create starts an upload (creation), with its first piece when the body
// carries one (creation-with-upload).
func (h *Handler) create(w http.ResponseWriter, r *http.Request, c library.Caller) {
	if r.Header.Get("Upload-Defer-Length") != "" {
		http.Error(w, "Upload-Defer-Length is not supported: send Upload-Length", http.StatusBadRequest)
		return
	}
	length, err := strconv.ParseInt(r.Header.Get("Upload-Length"), 10, 64)
	if err != nil || length < 0 {
		http.Error(w, "Upload-Length must be the file's size in bytes", http.StatusBadRequest)
		return
	}
	in := library.ResumableInput{Length: length}
	m, err := ParseMetadata(r.Header.Get("Upload-Metadata"))
	if err == nil {
		in.Meta, err = Meta(m)
	}
	if err == nil && hasPiece(r) {
		in.Body, in.BodyLength = r.Body, r.ContentLength
		in.SHA256, err = checksum(r)
	}
	var u *damask.ResumableUpload
	if err == nil {
		u, err = h.Svc.CreateResumable(r.Context(), c, in)
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Location", h.Prefix+u.ID)
	h.state(w, u)
	w.WriteHeader(http.StatusCreated)
}

// hasPiece tells whether a creation carries bytes.
func hasPiece(r *http.Request) bool {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	return ct == "application/offset+octet-stream" && r.ContentLength != 0
}

func checksum(r *http.Request) ([]byte, error) {
	v := r.Header.Get("Upload-Checksum")
	if v == "" {
		return nil, nil
	}
	return ParseChecksum(v)
}

func (h *Handler) head(w http.ResponseWriter, r *http.Request, c library.Caller, id string) {
	u, err := h.Svc.Resumable(r.Context(), c, id)
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	w.Header().Set("Cache-Control", "no-store")
	w.Header().Set("Upload-Length", strconv.FormatInt(u.Length, 10))
	h.state(w, u)
	w.WriteHeader(http.StatusOK)
}

func (h *Handler) patch(w http.ResponseWriter, r *http.Request, c library.Caller, id string) {
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct != "application/offset+octet-stream" {
		http.Error(w, "Content-Type must be application/offset+octet-stream", http.StatusUnsupportedMediaType)
		return
	}
	offset, err := strconv.ParseInt(r.Header.Get("Upload-Offset"), 10, 64)
	if err != nil || offset < 0 {
		http.Error(w, "Upload-Offset must be a number of bytes", http.StatusBadRequest)
		return
	}
	p := library.Piece{Offset: offset, Body: r.Body}
	var u *damask.ResumableUpload
	if p.SHA256, err = checksum(r); err == nil {
		u, err = h.Svc.WriteResumable(r.Context(), c, id, p)
	}
	if err != nil {
		h.Fail(w, r, err)
		return
	}
	h.state(w, u)
	w.WriteHeader(http.StatusNoContent)
}

// state sets the headers that say where an upload stands.
func (h *Handler) state(w http.ResponseWriter, u *damask.ResumableUpload) {
	hd := w.Header()
	hd.Set("Upload-Offset", strconv.FormatInt(u.Offset, 10))
	if u.UploadID == 0 {
		hd.Set("Upload-Expires", u.ExpiresAt.UTC().Format(http.TimeFormat))
		return
	}
	hd.Set(HeaderUploadID, strconv.FormatInt(u.UploadID, 10))
	if u.Report != nil {
		hd.Set(HeaderReportURL, h.Prefix+u.ID+h.ReportSuffix)
		return
	}
	if h.UploadPrefix != "" {
		hd.Set(HeaderUploadURL, h.UploadPrefix+strconv.FormatInt(u.UploadID, 10))
	}
	if u.AssetID != 0 {
		hd.Set(HeaderAssetID, strconv.FormatInt(u.AssetID, 10))
	}
}

// Fail answers an error with the status tus gives it, in plain text: for
// the faces, when who asks cannot be told.
func (h *Handler) Fail(w http.ResponseWriter, r *http.Request, err error) {
	code := damask.ErrorCode(err)
	st := httpdomain.Status(code)
	switch {
	case errors.Is(err, library.ErrChecksumMismatch):
		st = StatusChecksumMismatch
	case errors.Is(err, library.ErrResumableExpired):
		st = http.StatusGone
	case code == damask.ECANCELED || httpdomain.ClientGone(r, err):
		// The client went away; nobody reads the answer.
	case st >= 500 && code != damask.EQUOTA:
		if h.Log != nil {
			h.Log.Error("resumable upload failed", "method", r.Method, "path", r.URL.Path, "err", err)
		}
	}
	httpdomain.ErrorHeaders(w.Header(), code, library.RetryAfter(err))
	if code == damask.ETOOLARGE || code == damask.EQUOTA {
		w.Header().Set("Connection", "close")
	}
	http.Error(w, damask.ErrorMessage(err), st)
}
