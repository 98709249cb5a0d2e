package web

import (
	"encoding/json"
	"errors"
	"io"
	"mime/multipart"
	"net/http"
	"strings"
	"time"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// The public form of an Inbox, at httpdomain.InboxPath + token: anyone
// with the address may send files, without an account. The page shows the
// Inbox's title and message under the account's branding and nothing else
// of the account: no user, no e-mail, no other asset. It works without
// JavaScript (one multipart form, a receipt page); with it, damask.js
// sends the same form by XMLHttpRequest, with a progress bar per file,
// and shows the receipt it answers as JSON.

// inboxCookie holds the proof that the Inbox's password was given, on
// the Inbox's path only.
const inboxCookie = "damask_inbox"

// inboxData is the Inbox page's own content.
type inboxData struct {
	Title, Message, Path string
	Closed, Locked       bool
	MaxFileSize          int64
	MaxFiles             int
	Name, Email          string // what the sender typed, when the form comes back
	Receipt              []library.ReceivedFile
	At                   time.Time
}

func inboxPath(token string) string { return httpdomain.InboxPath + token }

// isInboxSend tells the submissions of an Inbox's form, whose body is
// files.
func isInboxSend(r *http.Request) bool {
	rest, ok := strings.CutPrefix(r.URL.Path, httpdomain.InboxPath)
	return ok && rest != "" && !strings.Contains(rest, "/")
}

// inboxPage renders the page of an Inbox for st, or its closed page for
// an error that closed it.
func (s *Server) inboxPage(w http.ResponseWriter, r *http.Request, st int, b *damask.Inbox, d inboxData, msg string) {
	token := r.PathValue("token")
	d.Path = inboxPath(token)
	if b != nil {
		d.Title, d.Message, d.MaxFiles = b.Title, b.Message, b.MaxFiles
		d.MaxFileSize = s.svc.MaxFileSize()
		if b.MaxFileSize > 0 {
			d.MaxFileSize = min(d.MaxFileSize, b.MaxFileSize)
		}
	}
	s.page(w, r, st, "inbox", pageData{Title: cmpOr(d.Title, "Inbox"), Error: msg, Data: d})
}

// inboxFail answers an error of the Inbox's address: its own pages for
// what a sender can meet (closed, throttled), the error page otherwise.
func (s *Server) inboxFail(w http.ResponseWriter, r *http.Request, err error) {
	switch damask.ErrorCode(err) {
	case damask.EGONE:
		s.inboxPage(w, r, http.StatusGone, nil, inboxData{Title: s.tr(r, "This Inbox is closed"), Closed: true}, damask.ErrorMessage(err))
	default:
		s.fail(w, r, err)
	}
}

// inbox shows the form, or the password's form first.
func (s *Server) inbox(w http.ResponseWriter, r *http.Request) {
	b, locked, err := s.svc.OpenInbox(r.Context(), info(r).account, r.PathValue("token"), cookie(r, inboxCookie))
	if err != nil {
		s.inboxFail(w, r, err)
		return
	}
	s.inboxPage(w, r, http.StatusOK, b, inboxData{Locked: locked}, "")
}

// inboxPassword checks the password and hands the browser a pass for the
// Inbox's path.
func (s *Server) inboxPassword(w http.ResponseWriter, r *http.Request) {
	if err := readForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	token := r.PathValue("token")
	pass, life, err := s.svc.UnlockInbox(r.Context(), info(r).account, token, r.PostForm.Get("password"), s.source(r))
	switch damask.ErrorCode(err) {
	case "":
		s.setCookie(w, r, inboxCookie, pass, inboxPath(token), int(life.Seconds()))
		http.Redirect(w, r, inboxPath(token), http.StatusSeeOther)
	case damask.EUNAUTHORIZED, damask.ETHROTTLED:
		httpdomain.ErrorHeaders(w.Header(), damask.ErrorCode(err), library.RetryAfter(err))
		// The form again, with the error; the Inbox's title is what the
		// address shows anyway.
		b, _, oerr := s.svc.OpenInbox(r.Context(), info(r).account, token, "")
		if oerr != nil {
			s.inboxFail(w, r, oerr)
			return
		}
		s.inboxPage(w, r, httpdomain.Status(damask.ErrorCode(err)), b, inboxData{Locked: true}, damask.ErrorMessage(err))
	default:
		s.inboxFail(w, r, err)
	}
}

// wantsJSON tells the script's requests, which read the answer as JSON.
func wantsJSON(r *http.Request) bool {
	return strings.Contains(r.Header.Get("Accept"), "application/json")
}

// inboxFiles walks a multipart form: the small fields before the first
// file go to field, and next then answers the files one by one, each
// read to its end before the next (io.EOF after the last).
func inboxFiles(mr *multipart.Reader, field func(name, value string)) (next func() (*library.FileInput, error), err error) {
	var first *multipart.Part
	for {
		p, err := mr.NextPart()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
		}
		if p.FileName() != "" {
			first = p
			break
		}
		v, err := io.ReadAll(io.LimitReader(p, maxForm))
		if err != nil {
			return nil, &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
		}
		field(p.FormName(), string(v))
	}
	return func() (*library.FileInput, error) {
		if p := first; p != nil {
			first = nil
			return &library.FileInput{Body: p, Filename: p.FileName(), Length: -1}, nil
		}
		for {
			p, err := mr.NextPart()
			if errors.Is(err, io.EOF) {
				return nil, io.EOF
			}
			if err != nil {
				return nil, &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
			}
			if p.FileName() != "" {
				return &library.FileInput{Body: p, Filename: p.FileName(), Length: -1}, nil
			}
		}
	}, nil
}

// inboxReceipt is what the script learns of a submission.
type inboxReceipt struct {
	Files []inboxFile `json:"files"`
	At    time.Time   `json:"received_on"`
}

type inboxFile struct {
	Filename string `json:"filename"`
	Size     int64  `json:"size"`
	SHA256   string `json:"sha256"`
}

// inboxSend takes a submission: the sender's name and e-mail address,
// then the files; it answers the receipt.
func (s *Server) inboxSend(w http.ResponseWriter, r *http.Request) {
	a, token := info(r).account, r.PathValue("token")
	from := library.Sender{Source: s.source(r)}
	var next func() (*library.FileInput, error)
	mr, err := r.MultipartReader()
	if err != nil {
		err = damask.Errorf(damask.EMALFORMED, "The form cannot be read")
	} else {
		next, err = inboxFiles(mr, func(name, value string) {
			switch name {
			case "name":
				from.Name = value
			case "email":
				from.Email = value
			}
		})
	}
	var rc *library.InboxReceipt
	if err == nil {
		rc, err = s.svc.ReceiveInbox(r.Context(), a, token, cookie(r, inboxCookie), from, next)
	}
	if wantsJSON(r) {
		s.inboxJSON(w, r, rc, err)
		return
	}
	switch code := damask.ErrorCode(err); code {
	case "":
		s.inboxPage(w, r, http.StatusOK, rc.Inbox, inboxData{Receipt: rc.Files, At: rc.At}, "")
	case damask.EGONE, damask.ENOTFOUND:
		s.inboxFail(w, r, err)
	default:
		st := httpdomain.Status(code)
		if st >= 500 {
			s.fail(w, r, err)
			return
		}
		httpdomain.ErrorHeaders(w.Header(), code, library.RetryAfter(err))
		b, locked, oerr := s.svc.OpenInbox(r.Context(), a, token, cookie(r, inboxCookie))
		if oerr != nil {
			s.inboxFail(w, r, oerr)
			return
		}
		s.inboxPage(w, r, st, b, inboxData{Locked: locked, Name: from.Name, Email: from.Email}, damask.ErrorMessage(err))
	}
}

// inboxJSON answers the script: the receipt (201), or {"error": ...}
// with the error's status.
func (s *Server) inboxJSON(w http.ResponseWriter, r *http.Request, rc *library.InboxReceipt, err error) {
	h := w.Header()
	h.Set("Content-Type", "application/json")
	h.Set("Cache-Control", "no-store")
	if err != nil {
		code := damask.ErrorCode(err)
		st := httpdomain.Status(code)
		msg := s.lang(r).Msg(damask.ErrorMessage(err))
		if st >= 500 {
			s.log.Error("inbox submission failed", "err", err)
		}
		httpdomain.ErrorHeaders(h, code, library.RetryAfter(err))
		w.WriteHeader(st)
		json.NewEncoder(w).Encode(map[string]string{"error": msg})
		return
	}
	out := inboxReceipt{At: rc.At, Files: make([]inboxFile, len(rc.Files))}
	for i, f := range rc.Files {
		out.Files[i] = inboxFile{Filename: f.Filename, Size: f.Size, SHA256: f.SHA256}
	}
	w.WriteHeader(http.StatusCreated)
	json.NewEncoder(w).Encode(out)
}

// inboxBodyLimit caps a submission's body: the server's file limit for
// each of the most files an Inbox takes. Each file, the quota and the
// Inbox's own limits are checked as the files arrive.
func (s *Server) inboxBodyLimit() int64 {
	return s.svc.MaxFileSize()*library.MaxInboxFiles + maxForm
}
