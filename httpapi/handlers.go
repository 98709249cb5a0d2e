package httpapi

import (
	"context"
	"fmt"
	"io"
	"mime"
	"net/http"
	"strconv"
	"strings"

	"damask"
	"damask/download"
	"damask/httpdomain"
	"damask/library"
)

const (
	defaultPerPage = 25
	maxPerPage     = 100
	maxPage        = 1 << 30
)

// pageOf reads page (from 1) and per_page (from 1; more than 100 is cut to 100).
func pageOf(r *http.Request) (damask.Page, error) {
	p := damask.Page{Number: 1, Size: defaultPerPage}
	q := r.URL.Query()
	if v := q.Get("page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 || n > maxPage {
			return p, errBadParam("page", fmt.Sprintf("must be a whole number from 1 to %d", maxPage))
		}
		p.Number = n
	}
	if v := q.Get("per_page"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 1 {
			return p, errBadParam("per_page", fmt.Sprintf("must be a whole number from 1 to %d", maxPerPage))
		}
		p.Size = min(n, maxPerPage) // more than the maximum is cut to it, as fluxiom did
	}
	return p, nil
}

// list answers a page of a collection with its paging headers; an empty
// page is 404 with an empty array, as the 2007 text has it.
func (s *Server) list(w http.ResponseWriter, r *http.Request, name string, items []node, total int, p damask.Page) {
	s.listMore(w, r, name, items, total, p, p.Offset()+len(items) < total)
}

// listMore is list for a total that may be an estimate: more tells whether
// a next page exists.
func (s *Server) listMore(w http.ResponseWriter, r *http.Request, name string, items []node, total int, p damask.Page, more bool) {
	h := w.Header()
	h.Set("X-Total-Count", strconv.Itoa(total))
	var links []string
	link := func(page int, rel string) {
		u := *r.URL
		u.Path = r.URL.Path + ext(r)
		q := u.Query()
		q.Set("page", strconv.Itoa(page))
		q.Set("per_page", strconv.Itoa(p.Size))
		u.RawQuery = q.Encode()
		links = append(links, fmt.Sprintf(`<%s%s>; rel="%s"`, info(r).base, u.RequestURI(), rel))
	}
	if more {
		link(p.Number+1, "next")
	}
	if p.Number > 1 && total > 0 {
		link(min(p.Number-1, (total+p.Size-1)/p.Size), "prev")
	}
	if len(links) > 0 {
		h.Set("Link", strings.Join(links, ", "))
	}
	st := http.StatusOK
	if len(items) == 0 {
		st = http.StatusNotFound
	}
	s.reply(w, r, st, array(name, items))
}

// ext is the format's extension, for URLs we hand out.
func ext(r *http.Request) string {
	if info(r).format == formatJSON {
		return ".json"
	}
	return ".xml"
}

// created answers 201 with the document and its Location.
func (s *Server) created(w http.ResponseWriter, r *http.Request, path string, doc node) {
	w.Header().Set("Location", info(r).base+path+ext(r))
	s.reply(w, r, http.StatusCreated, doc)
}

func caller(r *http.Request) library.Caller { return info(r).caller }

// ---- account

func (s *Server) showAccount(w http.ResponseWriter, r *http.Request) {
	a, st, err := s.svc.Account(r.Context(), caller(r))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, accountDoc(a, s.svc.Plan(a), st, info(r).base))
}

func (s *Server) updateAccount(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, accountResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch := library.AccountChanges{CompanyName: b.ptr("company_name"), BillingEmail: b.ptr("billing_email"),
		Country: b.ptr("country"), Plan: planOf(b)}
	if ch.APIEnabled, err = b.boolPtr("api_enabled"); err == nil {
		if ch.PublicLinks, err = b.boolPtr("public_links"); err == nil {
			ch.KeywordsToTags, err = b.boolPtr("keywords_to_tags")
		}
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	a, st, err := s.svc.UpdateAccount(r.Context(), caller(r), ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, accountDoc(a, s.svc.Plan(a), st, info(r).base))
}

// planOf gathers what b says of the account's plan (planFields).
func planOf(b body) []library.PlanSaid {
	var said []library.PlanSaid
	for _, f := range planFields {
		if v, ok := b[f.field]; ok {
			said = append(said, library.PlanSaid{Of: f.of, Value: v})
		}
	}
	return said
}

// ---- users

func (s *Server) currentUser(w http.ResponseWriter, r *http.Request) {
	s.reply(w, r, http.StatusOK, userDoc(caller(r).User))
}

func (s *Server) listUsers(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	us, total, err := s.svc.Users(r.Context(), caller(r), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(us))
	for i, u := range us {
		items[i] = userDoc(u)
	}
	s.list(w, r, "users", items, total, p)
}

func (s *Server) showUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var u *damask.User
		if u, err = s.svc.User(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, userDoc(u))
			return
		}
	}
	s.fail(w, r, err)
}

func userChanges(b body) (library.UserChanges, error) {
	ch := library.UserChanges{Login: b.ptr("login"), Email: b.ptr("email"), FirstName: b.ptr("first_name"),
		LastName: b.ptr("last_name"), Role: b.ptr("role"), Password: b.ptr("password")}
	var err error
	ch.Disabled, err = b.boolPtr("disabled")
	return ch, err
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	b, err := readBody(r, userResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch, err := userChanges(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, replayed, err := s.svc.CreateUser(r.Context(), caller(r), ch, requestKey(r, b, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/users/"+strconv.FormatInt(u.ID, 10), userDoc(u))
}

func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	b, err := readBody(r, userResource, nil)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ch, err := userChanges(b)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	u, err := s.svc.UpdateUser(r.Context(), caller(r), id, ch)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, userDoc(u))
}

func (s *Server) deleteUser(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var u *damask.User
		if u, err = s.svc.DeleteUser(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, userDoc(u))
			return
		}
	}
	s.fail(w, r, err)
}

// ---- audit

func (s *Server) listAudit(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	es, total, err := s.svc.Audit(r.Context(), caller(r), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(es))
	for i, e := range es {
		items[i] = auditDoc(e)
	}
	s.list(w, r, "events", items, total, p)
}

// ---- tags

func (s *Server) listTags(w http.ResponseWriter, r *http.Request) {
	p, err := pageOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	ts, total, err := s.svc.Tags(r.Context(), caller(r), p)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(ts))
	for i, t := range ts {
		items[i] = tagDoc(t)
	}
	s.list(w, r, "tags", items, total, p)
}

func (s *Server) showTag(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var t *damask.Tag
		if t, err = s.svc.Tag(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, tagDoc(t))
			return
		}
	}
	s.fail(w, r, err)
}

// tagName reads the tag's name, sent as tag (fluxiom's name) or name.
func tagName(r *http.Request) (string, error) {
	b, err := readBody(r, tagResource, nil)
	if err != nil {
		return "", err
	}
	if v, ok := b["tag"]; ok {
		return v, nil
	}
	return b["name"], nil
}

func (s *Server) createTag(w http.ResponseWriter, r *http.Request) {
	name, err := tagName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, replayed, err := s.svc.CreateTag(r.Context(), caller(r), name, requestKey(r, body{"tag": name}, nil))
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, "/api/tags/"+strconv.FormatInt(t.ID, 10), tagDoc(t))
}

func (s *Server) updateTag(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	name, err := tagName(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	t, err := s.svc.RenameTag(r.Context(), caller(r), id, name)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, tagDoc(t))
}

func (s *Server) deleteTag(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var t *damask.Tag
		if t, err = s.svc.DeleteTag(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, tagDoc(t))
			return
		}
	}
	s.fail(w, r, err)
}

// ---- assets

// assetQuery reads the parameters of a list, a search or its facets.
func assetQuery(r *http.Request) (library.AssetQuery, error) {
	p, err := pageOf(r)
	q := r.URL.Query()
	return library.AssetQuery{Query: q.Get("query"), Tags: q.Get("tags"), Sort: q.Get("sort"),
		Page: p, Cursor: q.Get("cursor")}, err
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
	items := make([]node, len(l.Assets))
	for i, a := range l.Assets {
		items[i] = assetDoc(a, info(r).base)
	}
	if l.Next != "" {
		w.Header().Set("X-Next-Cursor", l.Next)
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
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var a *damask.Asset
		if a, err = s.svc.Asset(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, assetDoc(a, info(r).base))
			return
		}
	}
	s.fail(w, r, err)
}

// assetInput reads an asset's fields, storing a file that comes with them
// through the draft, which checks that the caller may add it; and the
// request's Idempotency-Key.
func (s *Server) assetInput(r *http.Request, res resource, d fileReceiver) (in library.AssetInput, key damask.IdempotencyKey, err error) {
	if err := limitBody(r, s.svc.MaxFileSize()); err != nil {
		return in, key, err
	}
	b, err := readBody(r, res, func(body io.Reader, filename string) error {
		f, err := d.ReceiveFile(r.Context(), library.FileInput{Body: body, Filename: filename, Length: -1})
		in.File = f
		return err
	})
	if err != nil {
		return in, key, err
	}
	in.Title, in.Description, in.Tags = b.ptr("title"), b.ptr("description"), b.ptr("tags")
	in.Comment = b["comment"]
	if in.PublicLink, err = b.boolPtr("public_link"); err != nil {
		return in, key, err
	}
	in.UploadID, err = b.id("upload_id")
	return in, requestKey(r, b, in.File), err
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
	s.created(w, r, "/api/assets/"+strconv.FormatInt(a.ID, 10), assetDoc(a, info(r).base))
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
	s.reply(w, r, http.StatusOK, assetDoc(a, info(r).base))
}

func (s *Server) deleteAsset(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var a *damask.Asset
		if a, err = s.svc.DeleteAsset(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, assetDoc(a, info(r).base))
			return
		}
	}
	s.fail(w, r, err)
}

func (s *Server) listVersions(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	vs, err := s.svc.Versions(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	items := make([]node, len(vs))
	for i, v := range vs {
		items[i] = versionDoc(v, id)
	}
	s.list(w, r, "versions", items, len(vs), damask.Page{Number: 1, Size: max(len(vs), 1)})
}

func (s *Server) showVersion(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	n, err := httpdomain.PathID(r, "n")
	if err != nil || n > 1<<31 {
		s.fail(w, r, damask.ErrNotFound)
		return
	}
	v, err := s.svc.Version(r.Context(), caller(r), id, int(n))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.reply(w, r, http.StatusOK, versionDoc(v, id))
}

func (s *Server) createVersion(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d, err := s.svc.BeginVersion(r.Context(), caller(r), id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	in, key, err := s.assetInput(r, versionResource, d)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	v, replayed, err := d.Commit(r.Context(), in, key)
	replay(w, replayed)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.created(w, r, fmt.Sprintf("/api/assets/%d/versions/%d", id, v.Number), versionDoc(v, id))
}

// ---- upload

var uploadResource = resource{name: "upload", writable: fields(), readOnly: fields("filename")}

// upload takes a file as the multipart field file, or as the raw body named
// by ?filename= or Content-Disposition.
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
		f, err = s.svc.ReceiveFile(r.Context(), c, library.FileInput{Body: r.Body, Filename: rawFilename(r), Length: r.ContentLength})
	}
	if err != nil {
		s.fail(w, r, err)
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
	id, err := httpdomain.PathID(r, "id")
	if err == nil {
		var u *damask.Upload
		if u, err = s.svc.UploadByID(r.Context(), caller(r), id); err == nil {
			s.reply(w, r, http.StatusOK, uploadDoc(u))
			return
		}
	}
	s.fail(w, r, err)
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

// ---- downloads

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
	d, err := s.svc.PublicDownload(r.Context(), info(r).account, strings.TrimPrefix(r.URL.Path, "/p/"))
	if err != nil {
		s.fail(w, r, err)
		return
	}
	download.Send(w, r, d, true)
}
