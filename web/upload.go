package web

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
	"path"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// fileCaller checks the session of a request that carries a file, whose
// body cannot be parsed as a form before the file is read: the CSRF token
// comes in the X-CSRF-Token header (the scripts) or as the multipart
// form's first field (a form sent without JavaScript), checked by
// checkToken before any file is read.
func (s *Server) fileCaller(r *http.Request) (library.Caller, string, error) {
	u, _, secret, err := s.session(r)
	if err != nil {
		return library.Caller{}, "", err
	}
	return library.Caller{Account: info(r).account, User: u, Source: s.source(r)}, secret, nil
}

// formCaller is fileCaller for a form sent without JavaScript: without a
// session it sends the browser to sign in, on another failure it answers
// the error page; ok is false when it has answered.
func (s *Server) formCaller(w http.ResponseWriter, r *http.Request) (c library.Caller, secret string, ok bool) {
	c, secret, err := s.fileCaller(r)
	if err != nil {
		if damask.ErrorCode(err) == damask.EUNAUTHORIZED {
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
		} else {
			s.fail(w, r, err)
		}
		return c, "", false
	}
	return c, secret, true
}

var errToken = damask.Errorf(damask.EFORBIDDEN, "This form lacks its security token; reload the page and try again")

// formParts walks a multipart form in order, without holding the files:
// field is called with each small field, file with each file's stream.
// The csrf field must come before the first file.
func formParts(r *http.Request, secret string, field func(name, value string) error, file func(p *multipart.Part) error) error {
	mr, err := r.MultipartReader()
	if err != nil {
		return damask.Errorf(damask.EMALFORMED, "The form cannot be read")
	}
	checked := false
	for {
		p, err := mr.NextPart()
		if err == io.EOF {
			if !checked {
				return errToken
			}
			return nil
		}
		if err != nil {
			return &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
		}
		if p.FileName() == "" {
			b, err := io.ReadAll(io.LimitReader(p, maxForm))
			if err != nil {
				return &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
			}
			if p.FormName() == "csrf" {
				if !validToken(secret, "session", string(b)) {
					return errToken
				}
				checked = true
				continue
			}
			if err := field(p.FormName(), string(b)); err != nil {
				return err
			}
			continue
		}
		if !checked {
			return errToken
		}
		if err := file(p); err != nil {
			return err
		}
	}
}

// uploaded is what the scripts learn of a new asset.
type uploaded struct {
	ID         int64  `json:"id"`
	Title      string `json:"title"`
	Kind       string `json:"kind"`
	URL        string `json:"url"`
	Processing string `json:"processing"`
	Thumb      string `json:"thumb,omitempty"`
	SrcSet     string `json:"srcset,omitempty"`
}

// unpacked is what the scripts learn of an unpacked archive.
type unpacked struct {
	Archive string           `json:"archive"`
	Assets  []uploaded       `json:"assets"`
	Skipped []skippedForPage `json:"skipped"`
}

type skippedForPage struct {
	Name   string `json:"name"`
	Reason string `json:"reason"`
}

// batch is what a batch of files shares: the tags, the folder (the
// scripts send each file's own, from the folder it was picked or dropped
// in), and whether zip archives are unpacked, their folders becoming tags.
type batch struct {
	tags, path       string
	unpack, pathTags bool
}

func (b *batch) set(name, value string) {
	on := value == "1" || value == "on" || value == "true"
	switch name {
	case "tags":
		b.tags = value
	case "path":
		b.path = value
	case "unpack":
		b.unpack = on
	case "path_tags":
		b.pathTags = on
	}
}

// uploadLabels are the first words of the messages about an upload's
// fields: the tags, else the files (a file, an archive, their folders).
var uploadLabels = map[string]string{"Tag": "upload-tags", "Tags": "upload-tags", "An asset carries": "upload-tags",
	"One request makes": "upload-tags", "The file": "upload-files", "Choose": "upload-files",
	"The archive": "upload-files", "The archive's": "upload-files", "Path": "upload-files"}

// uploadCount is what a form's upload made: the files sent, the assets
// made (an unpacked archive makes several), the archives unpacked and
// the entries they skipped.
type uploadCount struct{ files, assets, archives, skipped int }

func (u *uploadCount) add(rep *library.UnpackReport) {
	u.files++
	if rep == nil {
		u.assets++
		return
	}
	u.archives++
	u.assets += len(rep.Assets)
	u.skipped += len(rep.Skipped)
}

// message says what the upload made, for the page after it.
func (u uploadCount) message(l *language) string {
	if u.archives == 0 {
		return l.N(u.files, "%d file uploaded; it is being processed.", "%d files uploaded; they are being processed.")
	}
	msg := l.N(u.files, "%d file uploaded", "%d files uploaded") + ", " +
		l.N(u.archives, "%d archive unpacked:", "%d archives unpacked:") + " " + l.N(u.assets, "%d asset made", "%d assets made")
	if u.skipped > 0 {
		msg += ", " + l.N(u.skipped, "%d entry skipped", "%d entries skipped")
	}
	return msg + l.T("; being processed.")
}

// upload makes a new asset of each file sent: the scripts send one file
// as the raw body (?filename=, ?tags=, ?path=, ?unpack=, ?path_tags=, the
// token in X-CSRF-Token) and read JSON back; a form sent without
// JavaScript is multipart, with csrf first, then the fields, then the
// files, and goes back to the library. Files stream into the blob store
// through the same path as the API's uploads; with unpack, a file named
// .zip is unpacked as the API's unpack=true does (library.Unpack).
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	c, secret, err := s.fileCaller(r)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		var (
			b    batch
			done uploadCount
		)
		err = formParts(r, secret, func(name, value string) error {
			b.set(name, value)
			return nil
		}, func(p *multipart.Part) error {
			fb := b
			fb.path = joinFolder(b.path, partFolder(p))
			_, rep, err := s.createFrom(r, c, p, p.FileName(), -1, fb)
			if err == nil {
				done.add(rep)
			}
			return err
		})
		if err == nil && done.files == 0 {
			err = damask.Errorf(damask.EINVALID, "Choose one or more files to upload")
		}
		if err != nil {
			if formError(err) {
				// What was chosen comes back but the files: the tags,
				// the folder, and the unpack boxes.
				typed := url.Values{"tags": {b.tags}, "path": {b.path}}
				if b.unpack {
					typed.Set("unpack", "1")
				}
				if b.pathTags {
					typed.Set("path_tags", "1")
				}
				s.showLibrary(w, r, c, csrfToken(secret, "session"), readListValues(url.Values{}), formStatus(err),
					failedForm(err, typed, uploadLabels), nil)
				return
			}
			s.fail(w, r, err)
			return
		}
		s.redirect(w, r, "/", flash{Message: done.message(s.lang(r))})
		return
	}
	if err == nil && !validToken(secret, "session", r.Header.Get("X-CSRF-Token")) {
		err = errToken
	}
	var (
		a   *damask.Asset
		rep *library.UnpackReport
	)
	if err == nil {
		q := r.URL.Query()
		var b batch
		for _, k := range []string{"tags", "path", "unpack", "path_tags"} {
			b.set(k, q.Get(k))
		}
		a, rep, err = s.createFrom(r, c, r.Body, q.Get("filename"), r.ContentLength, b)
	}
	if err != nil {
		st := httpdomain.Status(damask.ErrorCode(err))
		switch {
		case httpdomain.ClientGone(r, err):
			st = httpdomain.Status(damask.ECANCELED)
			s.log.Info("upload canceled", "err", err)
		case st >= 500:
			s.log.Error("upload failed", "err", err)
		}
		writeJSON(w, st, map[string]string{"error": s.lang(r).Msg(damask.ErrorMessage(err))})
		return
	}
	if rep != nil {
		writeJSON(w, http.StatusCreated, unpackedOf(c, rep))
		return
	}
	writeJSON(w, http.StatusCreated, uploadedOf(c, a))
}

// partFolder is the folder a form's file was picked in: browsers send a
// file of a folder picker (webkitdirectory) named by its relative path,
// of which Part.FileName keeps the last element only. The library cleans
// it (and refuses a "..") as any path.
func partFolder(p *multipart.Part) string {
	_, params, err := mime.ParseMediaType(p.Header.Get("Content-Disposition"))
	if err != nil {
		return ""
	}
	dir := path.Dir(strings.ReplaceAll(params["filename"], `\`, "/"))
	if dir == "." || dir == "/" {
		return ""
	}
	return dir
}

func joinFolder(base, sub string) string {
	if base == "" || sub == "" {
		return base + sub
	}
	return base + "/" + sub
}

func unpackedOf(c library.Caller, rep *library.UnpackReport) unpacked {
	out := unpacked{Archive: rep.Archive, Assets: []uploaded{}, Skipped: []skippedForPage{}}
	for _, a := range rep.Assets {
		out.Assets = append(out.Assets, uploadedOf(c, a))
	}
	for _, e := range rep.Skipped {
		out.Skipped = append(out.Skipped, skippedForPage{Name: e.Name, Reason: e.Reason})
	}
	return out
}

func uploadedOf(c library.Caller, a *damask.Asset) uploaded {
	t := newTile(c, a)
	return uploaded{ID: a.ID, Title: a.Title, Kind: t.Kind,
		URL: fmt.Sprintf("/assets/%d", a.ID), Processing: a.Processing, Thumb: t.Thumb, SrcSet: t.SrcSet}
}

// createFrom stores a file and makes an asset of it with the batch's tags
// and folder, or, when the batch unpacks and the file is a zip archive by
// its name, unpacks it below the folder.
func (s *Server) createFrom(r *http.Request, c library.Caller, body io.Reader, filename string, length int64, b batch) (*damask.Asset, *library.UnpackReport, error) {
	d := s.svc.BeginAsset(c)
	f, err := d.ReceiveFile(r.Context(), library.FileInput{Body: body, Filename: filename, Length: length})
	if err != nil {
		return nil, nil, err
	}
	var tags *string
	if strings.TrimSpace(b.tags) != "" {
		tags = &b.tags
	}
	if b.unpack && strings.EqualFold(path.Ext(f.Filename), ".zip") {
		rep, err := s.svc.Unpack(r.Context(), c, library.UnpackInput{File: f, Path: b.path, PathTags: b.pathTags, Tags: tags})
		return nil, rep, err
	}
	in := library.AssetInput{File: f, Tags: tags}
	if b.path != "" {
		in.Path = &b.path
	}
	a, _, err := d.Commit(r.Context(), in, damask.IdempotencyKey{})
	return a, nil, err
}

// addVersion takes a new file for an asset, with a comment, from a
// multipart form (csrf, comment, file in that order).
func (s *Server) addVersion(w http.ResponseWriter, r *http.Request) {
	c, secret, ok := s.formCaller(w, r)
	if !ok {
		return
	}
	id, err := httpdomain.PathID(r, "id")
	var d *library.VersionDraft
	if err == nil {
		d, err = s.svc.BeginVersion(r.Context(), c, id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	comment, added := "", false
	err = formParts(r, secret, func(name, value string) error {
		if name == "comment" {
			comment = value
		}
		return nil
	}, func(p *multipart.Part) error {
		if added {
			return damask.Errorf(damask.EINVALID, "Send one file for a new version")
		}
		f, err := d.ReceiveFile(r.Context(), library.FileInput{Body: p, Filename: p.FileName(), Length: -1})
		if err != nil {
			return err
		}
		added = true
		_, _, err = d.Commit(r.Context(), library.AssetInput{File: f, Comment: comment}, damask.IdempotencyKey{})
		return err
	})
	if err == nil && !added {
		err = damask.Errorf(damask.EINVALID, "Choose a file for the new version")
	}
	if err != nil {
		if tl := httpdomain.TooLarge(err, func(int64) string { return msg("The file is larger than the limit") }); tl != nil {
			err = tl
		}
		if formError(err) && damask.ErrorCode(err) != damask.EFORBIDDEN {
			s.showAsset(w, r, c, csrfToken(secret, "session"), formStatus(err),
				failedForm(err, url.Values{"comment": {comment}}, assetLabels))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, fmt.Sprintf("/assets/%d", id), flash{Message: s.tr(r, "The new version was added; it is being processed.")})
}
