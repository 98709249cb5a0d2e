package web

import (
	"fmt"
	"net/http"
	"net/url"
	"strings"

	"damask/library"
)

// settingsData is what the settings page shows: the user's time zone
// setting and the zone the browser told (its cookie), if any.
type settingsData struct {
	TimeZone string
	Browser  string
}

// settings shows the signed-in user's own settings: the time zone.
func (s *Server) settings(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showSettings(w, r, c, csrf, http.StatusOK, form{})
}

func (s *Server) showSettings(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	d := settingsData{TimeZone: c.User.TimeZone}
	if ck, err := r.Cookie(zoneCookie); err == nil {
		if _, err := library.LoadTimeZone(ck.Value); err == nil {
			d.Browser = ck.Value
		}
	}
	s.renderForm(w, r, c, csrf, status, f, "settings", "Your settings", d)
}

// saveSettings sets the user's time zone (empty: the browser's).
func (s *Server) saveSettings(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	tz := strings.TrimSpace(r.PostForm.Get("time_zone"))
	_, err := s.svc.UpdateUser(r.Context(), c, c.User.ID, library.UserChanges{TimeZone: &tz})
	switch {
	case err == nil && tz == "":
		s.redirect(w, r, "/settings", flash{Message: "Times are shown in your browser's time zone."})
	case err == nil:
		s.redirect(w, r, "/settings", flash{Message: fmt.Sprintf("Times are shown in %s.", tz)})
	case formError(err):
		s.showSettings(w, r, c, r.PostForm.Get("csrf"), formStatus(err),
			failedForm(err, url.Values{"time_zone": {tz}}, map[string]string{"Time zone": "time_zone"}))
	default:
		s.fail(w, r, err)
	}
}
