package web

import (
	"net/http"
	"net/url"
	"strings"

	"damask/library"
)

// settingsData is what the settings page shows: the user's language and
// time zone settings and the zone the browser told (its cookie), if any.
type settingsData struct {
	Language string
	TimeZone string
	Browser  string
}

// settings shows the signed-in user's own settings: the language and
// the time zone.
func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showSettings(w, r, c, csrf, http.StatusOK, form{})
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	d := settingsData{Language: c.User.Language, TimeZone: c.User.TimeZone}
	if ck, err := r.Cookie(zoneCookie); err == nil {
		if _, err := library.LoadTimeZone(ck.Value); err == nil {
			d.Browser = ck.Value
		}
	}
	s.renderForm(w, r, c, csrf, status, f, "settings", s.tr(r, "Your settings"), d)
}

// saveSettings sets the user's language (empty: the browser's) and time
// zone (empty: the browser's). The page after says so in the new
// language.
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	tz := strings.TrimSpace(r.PostForm.Get("time_zone"))
	ch := library.UserChanges{TimeZone: &tz}
	lang, langSent := r.PostForm["language"]
	if langSent {
		ch.Language = &lang[0]
	}
	u, err := s.svc.UpdateUser(r.Context(), c, c.User.ID, ch)
	if err == nil {
		info(r).user = u
	}
	switch {
	case err == nil && tz == "":
		s.redirect(w, r, "/settings", flash{Message: s.tr(r, "Saved. Times are shown in your browser's time zone.")})
	case err == nil:
		s.redirect(w, r, "/settings", flash{Message: s.tr(r, "Saved. Times are shown in %s.", tz)})
	case formError(err):
		kept := url.Values{"time_zone": {tz}}
		if langSent {
			kept.Set("language", lang[0])
		}
		s.showSettings(w, r, c, r.PostForm.Get("csrf"), formStatus(err),
			failedForm(err, kept, map[string]string{"Time zone": "time_zone", "Language": "language"}))
	default:
		s.fail(w, r, err)
	}
}
