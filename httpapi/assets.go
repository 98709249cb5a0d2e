package httpapi

import (
	"context"
	"fmt"
	"io"
	"net/http"
	"strconv"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// Assets: /api/assets, their fields and search.

// assetQuery reads the parameters of a list, a search or its facets.
func assetQuery(r *http.Request) (library.AssetQuery, error) {
	p, err := pageOf(r)
	q := r.URL.Query()
	return library.AssetQuery{Query: q.Get("query"), Tags: q.Get("tags"), Sort: q.Get("sort"),
		Page: p, Cursor: q.Get("cursor"), SHA256: q.Get("sha256")}, err
}

func (s *Server) listAssets(w http.ResponseWriter, r *http.Request) {
	q, err := assetQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	l, err := s.svc.Assets(r.Context(), caller(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.assetList(w, r, q, l)
}

// assetList answers a page of assets with the headers of its paging: by
// page number, or by cursor when q came with one.
func (s *Server) assetList(w http.ResponseWriter, r *http.Request, q library.AssetQuery, l *library.AssetList) {
	items := make([]node, len(l.Assets))
	for i, a := range l.Assets {
		items[i] = assetOf(r, a)
	}
	if l.Next != "" {
		w.Header().Set("X-Next-Cursor", l.Next)
	}
	if l.Fallback != "" {
		// No asset has all the words: the list holds those with most.
		w.Header().Set("X-Search-Fallback", l.Fallback)
	}
	if l.Approximate {
		// Counting a huge result exactly would cost more than the page.
		w.Header().Set("X-Total-Count-Approximate", "true")
	}
	if q.Cursor != "" {
		// A keyset page links on with its cursor, not a page number.
		s.keysetList(w, r, "assets", items, l)
		return
	}
	s.listMore(w, r, "assets", items, l.Total, q.Page, l.Next != "")
}

// keysetList answers a page reached by cursor, linking the next one.
func (s *Server) keysetList(w http.ResponseWriter, r *http.Request, name string, items []node, l *library.AssetList) {
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(l.Total))
	if l.Next != "" {
		u := *r.URL
		u.Path = r.URL.Path + ext(r)
		q := u.Query()
		q.Set("cursor", l.Next)
		q.Del("page")
		u.RawQuery = q.Encode()
		h.Set("Link", fmt.Sprintf(`<%s%s>; rel="next"`, info(r).base, u.RequestURI()))
	}
	st := http.StatusOK
	if len(items) == 0 {
		st = http.StatusNotFound
	}
	s.reply(w, r, st, array(name, items))
}

func (s *Server) assetFacets(w http.ResponseWriter, r *http.Request) {
	q, err := assetQuery(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	fc, err := s.svc.Facets(r.Context(), caller(r), q)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, facetsDoc(fc))
}

func (s *Server) showAsset(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.Asset, func(a *damask.Asset) node { return assetOf(r, a) })
}

// assetInput reads an asset's fields, storing a file that comes with them
// through the draft, which checks that the caller may add it; and the
// request's Idempotency-Key. A request with unpack=true is refused: only
// a create unpacks (assetOrUnpack).
func (s *Server) assetInput(r *http.Request, res resource, d fileReceiver) (in library.AssetInput, key damask.IdempotencyKey, err error) {
	in, _, key, err = s.assetOrUnpack(r, res, d, false)
	return in, key, err
}

// assetOrUnpack is assetInput that, where unpack is allowed, answers the
// input of an unpack (not nil) when the request asks for one.
func (s *Server) assetOrUnpack(r *http.Request, res resource, d fileReceiver, unpack bool) (in library.AssetInput, un *library.UnpackInput, key damask.IdempotencyKey, err error) {
	if err := limitBody(r, s.svc.MaxFileSize()); err != nil {
		return in, nil, key, err
	}
	b, err := readBody(r, res, func(body io.Reader, filename string) error {
		f, err := d.ReceiveFile(r.Context(), library.FileInput{Body: body, Filename: filename, Length: -1})
		in.File = f
		return err
	})
	if err != nil {
		return in, nil, key, err
	}
	in.Title, in.Description, in.Tags = b.ptr("title"), b.ptr("description"), b.ptr("tags")
	in.Path = b.ptr("path")
	in.Comment = b["comment"]
	if in.PublicLink, err = b.boolPtr("public_link"); err != nil {
		return in, nil, key, err
	}
	if in.UploadID, err = b.id("upload_id"); err != nil {
		return in, nil, key, err
	}
	if !unpack {
		return in, nil, requestKey(r, b, in.File), noUnpack(b)
	}
	u, on, err := unpackInput(b)
	if err != nil || !on {
		if _, set := b["path_tags"]; set && err == nil {
			err = damask.Errorf(damask.EINVALID, "path_tags applies to unpack=true")
		}
		return in, nil, requestKey(r, b, in.File), err
	}
	if in.Title != nil || in.Comment != "" {
		// Each asset of an archive is named by its file.
		return in, nil, key, damask.Errorf(damask.EINVALID, "An unpacked archive's assets take their titles from their files: send no title or comment with unpack=true")
	}
	u.File, u.UploadID = in.File, in.UploadID
	return in, &u, key, nil
}

// fileReceiver is a draft of the service (library.AssetDraft,
// library.VersionDraft): what takes a request's file.
type fileReceiver interface {
	ReceiveFile(ctx context.Context, f library.FileInput) (*library.StoredFile, error)
}

// limitBody caps a body that may hold a file a little above the file
// limit, for the multipart framing; the service counts the file exactly.
// A checksum the client sent of the body (Content-Digest, Content-MD5) is
// checked as it streams; a header that cannot be read is an error.
func limitBody(r *http.Request, maxFile int64) error {
	r.Body = http.MaxBytesReader(nil, r.Body, maxFile+maxFormBody)
	return checkDigest(r)
}

func (s *Server) createAsset(w http.ResponseWriter, r *http.Request) {
	d := s.svc.BeginAsset(caller(r))
	in, un, key, err := s.assetOrUnpack(r, assetResource, d, true)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if un != nil {
		s.unpack(w, r, *un)
		return
	}
	a, replayed, err := d.Commit(r.Context(), in, key)
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/assets/"+strconv.FormatInt(a.ID, 10), assetOf(r, a))
}

func (s *Server) updateAsset(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.svc.BeginAssetChange(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, key, err := s.assetInput(r, assetResource, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, replayed, err := d.Commit(r.Context(), in, key)
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, assetOf(r, a))
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) {
	byID(s, w, r, http.StatusOK, s.svc.DeleteAsset, func(a *damask.Asset) node { return assetOf(r, a) })
}
