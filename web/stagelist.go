package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"
	"time"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// The team's page of Stages and Inboxes (/stages): members and above, on
// plans with Stages.

type stagesData struct {
	Stages  []*damask.Stage
	Inboxes []*damask.Inbox
	// Base is where the addresses go: the public base of the account's
	// links.
	Base string
	Now  time.Time
}

// StageURL and InboxURL are the addresses to give out.
func (d stagesData) StageURL(st *damask.Stage) string { return d.Base + library.StageAddress(st.Token) }
func (d stagesData) InboxURL(b *damask.Inbox) string  { return d.Base + "/inbox/" + b.Token }

// StageState and InboxState say whether each answers: open, expired,
// revoked (or gone, a Stage whose collection was deleted).
func (d stagesData) StageState(st *damask.Stage) string {
	switch now := d.Now; {
	case !st.RevokedAt.IsZero():
		return msg("revoked")
	case st.CollectionID == 0:
		return msg("gone (its collection was deleted)")
	case !st.ExpiresAt.IsZero() && !now.Before(st.ExpiresAt):
		return msg("expired")
	}
	return msg("open")
}

func (d stagesData) InboxState(b *damask.Inbox) string {
	switch {
	case !b.RevokedAt.IsZero():
		return msg("revoked")
	case b.Closed(d.Now):
		return msg("expired")
	}
	return msg("open")
}

// inboxLabels are the first words of the messages about an Inbox's
// fields, and the fields of its form.
var inboxLabels = map[string]string{"Title": "title", "Message": "message", "Password": "password",
	"expires_on": "expires_on", "Tags": "tags", "Tag": "tags", "max_file_size": "max_file_size", "max_files": "max_files"}

func (s *Server) stages(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showStages(w, r, c, csrf, http.StatusOK, form{})
}

// showStages renders the page, with f when the Inbox's form came back.
func (s *Server) showStages(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	sts, _, err := s.svc.Stages(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	bs, _, err := s.svc.Inboxes(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	base := httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account)
	s.renderForm(w, r, c, csrf, status, f, "stages", s.tr(r, "Stages and Inboxes"),
		stagesData{Stages: sts, Inboxes: bs, Base: base, Now: time.Now()})
}

// createInbox makes an Inbox from the page's form.
func (s *Server) createInbox(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	opt := func(name string) *string {
		if !f.Has(name) {
			return nil
		}
		v := strings.TrimSpace(f.Get(name))
		if name == "tags" && v == "" {
			return nil // the default: Inbox
		}
		if name == "password" || name == "message" {
			v = f.Get(name)
		}
		return &v
	}
	b, _, err := s.svc.CreateInbox(r.Context(), c, library.InboxInput{Title: opt("title"), Message: opt("message"),
		Password: opt("password"), ExpiresOn: opt("expires_on"), Tags: opt("tags"), MaxFileSize: opt("max_file_size"),
		MaxFiles: opt("max_files")}, damask.IdempotencyKey{})
	switch {
	case err == nil:
		base := httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account)
		s.redirect(w, r, "/stages", flash{Message: s.tr(r, "Made the Inbox %q: %s", b.Title, base+"/inbox/"+b.Token)})
	case formError(err):
		typed := url.Values{}
		for _, k := range []string{"title", "message", "expires_on", "tags", "max_file_size", "max_files"} {
			if f.Has(k) {
				typed.Set(k, f.Get(k))
			}
		}
		s.showStages(w, r, c, f.Get("csrf"), formStatus(err), failedForm(err, typed, inboxLabels))
	default:
		s.fail(w, r, err)
	}
}

// revokeStage revokes a Stage, once confirmed on a page of its own.
func (s *Server) revokeStage(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	st, err := s.svc.Stage(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.confirmed(w, r, r.PostForm.Get("csrf"), confirmData{Heading: s.tr(r, "Revoke the Stage %q?", st.Title),
		Message: s.tr(r, "Its address and every recipient's answer “gone” from now on. The Stage and its access log are kept; this cannot be undone."),
		Action:  fmt.Sprintf("/stages/%d/revoke", id), Button: s.tr(r, "Revoke the Stage"), Cancel: "/stages"}) {
		return
	}
	if _, err := s.svc.RevokeStage(r.Context(), c, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/stages", flash{Message: s.tr(r, "The Stage %q was revoked.", st.Title)})
}

// revokeInbox closes an Inbox for good, once confirmed on a page of its
// own.
func (s *Server) revokeInbox(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	b, err := s.svc.Inbox(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.confirmed(w, r, r.PostForm.Get("csrf"), confirmData{Heading: s.tr(r, "Revoke the Inbox %q?", b.Title),
		Message: s.tr(r, "Its address takes no more files from now on; what it received stays in the library. This cannot be undone."),
		Action:  fmt.Sprintf("/inboxes/%d/revoke", id), Button: s.tr(r, "Revoke the Inbox"), Cancel: "/stages"}) {
		return
	}
	if _, err := s.svc.RevokeInbox(r.Context(), c, id); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/stages", flash{Message: s.tr(r, "The Inbox %q was revoked.", b.Title)})
}
