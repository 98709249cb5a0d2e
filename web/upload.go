package web

import (
	"fmt"
	"io"
	"mime"
	"mime/multipart"
	"net/http"
	"net/url"
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

// upload makes a new asset of each file sent: the scripts send one file
// as the raw body (?filename=, ?tags=, the token in X-CSRF-Token) and read
// JSON back; a form sent without JavaScript is multipart, with csrf first,
// then tags, then the files, and goes back to the library. Files stream
// into the blob store through the same path as the API's uploads.
func (s *Server) upload(w http.ResponseWriter, r *http.Request) {
	c, secret, err := s.fileCaller(r)
	ct, _, _ := mime.ParseMediaType(r.Header.Get("Content-Type"))
	if ct == "multipart/form-data" {
		if err != nil {
			s.fail(w, r, err)
			return
		}
		tags, n := "", 0
		err = formParts(r, secret, func(name, value string) error {
			if name == "tags" {
				tags = value
			}
			return nil
		}, func(p *multipart.Part) error {
			_, err := s.createFrom(r, c, p, p.FileName(), -1, tags)
			if err == nil {
				n++
			}
			return err
		})
		if err == nil && n == 0 {
			err = damask.Errorf(damask.EINVALID, "Choose one or more files to upload")
		}
		if err != nil {
			if formError(err) {
				s.showLibrary(w, r, c, csrfToken(secret, "session"), readListValues(url.Values{}), formStatus(err),
					failedForm(err, url.Values{"tags": {tags}}, map[string]string{"Tag": "upload-tags", "Tags": "upload-tags", "The file": "upload-files", "Choose": "upload-files"}), nil)
				return
			}
			s.fail(w, r, err)
			return
		}
		s.redirect(w, r, "/", flash{Message: fmt.Sprintf("%d file%s uploaded; %s being processed.", n, plural(n), map[bool]string{true: "it is", false: "they are"}[n == 1])})
		return
	}
	if err == nil && !validToken(secret, "session", r.Header.Get("X-CSRF-Token")) {
		err = errToken
	}
	var a *damask.Asset
	if err == nil {
		q := r.URL.Query()
		a, err = s.createFrom(r, c, r.Body, q.Get("filename"), r.ContentLength, q.Get("tags"))
	}
	if err != nil {
		st := httpdomain.Status(damask.ErrorCode(err))
		if st >= 500 {
			s.log.Error("upload failed", "err", err)
		}
		writeJSON(w, st, map[string]string{"error": damask.ErrorMessage(err)})
		return
	}
	t := newTile(c, a)
	writeJSON(w, http.StatusCreated, uploaded{ID: a.ID, Title: a.Title, Kind: t.Kind,
		URL: fmt.Sprintf("/assets/%d", a.ID), Processing: a.Processing, Thumb: t.Thumb, SrcSet: t.SrcSet})
}

// createFrom stores a file and makes an asset of it with the batch's tags.
func (s *Server) createFrom(r *http.Request, c library.Caller, body io.Reader, filename string, length int64, tags string) (*damask.Asset, error) {
	d := s.svc.BeginAsset(c)
	f, err := d.ReceiveFile(r.Context(), library.FileInput{Body: body, Filename: filename, Length: length})
	if err != nil {
		return nil, err
	}
	in := library.AssetInput{File: f}
	if strings.TrimSpace(tags) != "" {
		in.Tags = &tags
	}
	a, _, err := d.Commit(r.Context(), in, damask.IdempotencyKey{})
	return a, err
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
		if tl := httpdomain.TooLarge(err, func(int64) string { return "The file is larger than the limit" }); tl != nil {
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
	s.redirect(w, r, fmt.Sprintf("/assets/%d", id), flash{Message: "The new version was added; it is being processed."})
}
