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

// stageEditData is the page that changes a Stage: its fields as they
// are, unless the form came back (then what was typed).
type stageEditData struct {
	Stage *damask.Stage
	URL   string // its address
	// ExpiresOn is the date the form shows, "" for never: the day the
	// Stage is open through (it closes at that day's end, UTC).
	ExpiresOn  string
	Recipients string // e-mail addresses, comma-separated
}

// choice is an option of a select: its value and what it says.
type choice struct{ Value, Label string }

// Positions and DownloadChoices are the options of the form's selects.
func (stageEditData) Positions() []choice {
	return []choice{{damask.WatermarkCenter, "Centre"}, {damask.WatermarkTopLeft, "Top left"},
		{damask.WatermarkTopRight, "Top right"}, {damask.WatermarkBottomLeft, "Bottom left"},
		{damask.WatermarkBottomRight, "Bottom right"}, {damask.WatermarkTiled, "Tiled over the picture"}}
}

func (stageEditData) DownloadChoices() []choice {
	return []choice{{damask.StageDownloadsPreviews, "Previews"}, {damask.StageDownloadsOriginals, "Original files"},
		{damask.StageDownloadsNone, "None (view only)"}}
}

// stageLabels are the first words of the messages about a Stage's
// fields, and the fields of its form.
var stageLabels = map[string]string{"Title": "title", "Message": "message", "Password": "password",
	"expires_on": "expires_on", "downloads": "downloads", "Watermark": "watermark",
	"watermark_position": "watermark_position", "watermark_opacity": "watermark_opacity",
	"Recipient": "recipients", "A Stage has": "recipients"}

// stageEdit is the form that changes a Stage: members and above, as the
// API's PUT.
func (s *Server) stageEdit(w http.ResponseWriter, r *http.Request) {
	c, csrf, id, ok := s.pageOn(w, r)
	if !ok {
		return
	}
	s.showStageEdit(w, r, c, csrf, id, http.StatusOK, form{})
}

// showStageEdit renders the Stage's form, with f when it came back.
func (s *Server) showStageEdit(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, id int64, status int, f form) {
	st, err := s.svc.Stage(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := stageEditData{Stage: st,
		URL: httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account) + library.StageAddress(st.Token)}
	if !st.ExpiresAt.IsZero() {
		d.ExpiresOn = st.ExpiresAt.UTC().Add(-time.Nanosecond).Format(time.DateOnly)
	}
	emails := make([]string, len(st.Recipients))
	for i, rc := range st.Recipients {
		emails[i] = rc.Email
	}
	d.Recipients = strings.Join(emails, ", ")
	s.page(w, r, status, "stage_edit", pageData{Title: s.tr(r, "Change the Stage %s", st.Title), User: c.User, CSRF: csrf,
		Nav: "stages", Data: d, Form: f})
}

// updateStage changes a Stage from its form, as the API's PUT does. The
// password is changed only when a new one is typed, or removed when
// asked; the expiry only when the date differs from the one the form
// showed, so that a Stage closing at a time of day (set through the API)
// keeps it.
func (s *Server) updateStage(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	opt := func(name string) *string {
		if !f.Has(name) {
			return nil
		}
		v := f.Get(name)
		return &v
	}
	in := library.StageInput{Title: opt("title"), Message: opt("message"), Downloads: opt("downloads"),
		Watermark: opt("watermark"), WatermarkPosition: opt("watermark_position"), WatermarkOpacity: opt("watermark_opacity"),
		Recipients: opt("recipients"), Base: httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account)}
	switch pw := f.Get("password"); {
	case f.Get("remove_password") == "yes":
		none := ""
		in.Password = &none
	case pw != "":
		in.Password = &pw
	}
	if f.Has("expires_on") && f.Get("expires_on") != f.Get("expires_shown") {
		in.ExpiresOn = opt("expires_on")
	}
	st, err := s.svc.UpdateStage(r.Context(), c, id, in)
	switch {
	case err == nil:
		s.redirect(w, r, "/stages", flash{Message: s.tr(r, "The Stage %q was changed.", st.Title)})
	case formError(err):
		typed := url.Values{}
		for _, k := range []string{"title", "message", "expires_on", "expires_shown", "downloads", "watermark",
			"watermark_position", "watermark_opacity", "recipients", "remove_password"} {
			if f.Has(k) {
				typed.Set(k, f.Get(k))
			}
		}
		s.showStageEdit(w, r, c, f.Get("csrf"), id, formStatus(err), failedForm(err, typed, stageLabels))
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
