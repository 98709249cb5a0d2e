package web

// How a form's flow ends: a form that fails comes back as its own page,
// with what was typed and the error by its field; a change that succeeds
// redirects (POST-redirect-GET) to a page that says what happened, once,
// from a flash cookie; something that deletes for good asks first, on a
// page of its own; a path to go back to after sign-in is a local one.

import (
	"crypto/sha256"
	"encoding/json"
	"net/http"
	"net/url"
	"strings"

	"damask"
	"damask/httpdomain"
	"damask/seal"
)

const flashCookie = "damask_flash" // the message of the last change, sealed

// form is a posted form that comes back after it failed: what was typed,
// the error by each field, and one for the form as a whole.
type form struct {
	Values url.Values
	Errors map[string]string
	Error  string
}

// Value is what was typed in the field, or def when the form did not
// come back (or had no such field).
func (f form) Value(name, def string) string {
	if f.Values != nil && f.Values.Has(name) {
		return f.Values.Get(name)
	}
	return def
}

// Err is the error by the field, if any.
func (f form) Err(name string) string { return f.Errors[name] }

// Failed tells whether the form came back with an error.
func (f form) Failed() bool { return f.Error != "" || len(f.Errors) > 0 }

// failedForm makes the form that comes back with err: the error goes by
// the field whose label starts its message (the library's messages name
// their field first: "Title is too long", "Login has already been
// taken"), else above the form. labels maps a message's first words to a
// field's name; values are what was typed, less anything secret.
func failedForm(err error, values url.Values, labels map[string]string) form {
	f := form{Values: values, Errors: map[string]string{}}
	msg := damask.ErrorMessage(err)
	best := ""
	for label, field := range labels {
		if strings.HasPrefix(msg, label+" ") && len(label) > len(best) {
			best = label
			f.Errors = map[string]string{field: msg}
		}
	}
	if best == "" {
		f.Error = msg
	}
	return f
}

// formError tells whether err refuses what was typed, so that the form
// comes back, rather than an error page.
func formError(err error) bool {
	switch damask.ErrorCode(err) {
	case damask.EINVALID, damask.EMALFORMED, damask.ETOOLARGE, damask.EQUOTA, damask.ECONFLICT:
		return true
	}
	return false
}

// formStatus is the status of a form that comes back with err.
func formStatus(err error) int { return httpdomain.Status(damask.ErrorCode(err)) }

// flash is what the page after a change says, once.
type flash struct {
	Message string `json:"m"`
	// Secret is a new token's secret, shown once on the tokens page: it is
	// sealed in the cookie under a key only this session's secret makes.
	Secret string `json:"s,omitempty"`
}

func flashKey(sessionSecret string) *seal.Key {
	k := seal.Key(sha256.Sum256([]byte("damask flash\x00" + sessionSecret)))
	return &k
}

// redirect ends a change that worked: the browser goes to the page to,
// which says msg once. The message is sealed under a key made from the
// session's secret, so no other session can read or forge it.
func (s *Server) redirect(w http.ResponseWriter, r *http.Request, to string, f flash) {
	if secret := info(r).secret; secret != "" && f.Message != "" {
		b, _ := json.Marshal(f)
		s.setCookie(w, r, flashCookie, flashKey(secret).Seal(string(b), "flash"), "/", 300)
	}
	http.Redirect(w, r, to, http.StatusSeeOther)
}

// takeFlash reads the flash message, if any, and drops its cookie.
func (s *Server) takeFlash(w http.ResponseWriter, r *http.Request) flash {
	req := info(r)
	v := cookie(r, flashCookie)
	if v == "" || req.flashTaken {
		return flash{}
	}
	req.flashTaken = true
	s.clearCookie(w, r, flashCookie, "/")
	secret := info(r).secret
	if secret == "" {
		return flash{}
	}
	plain, err := flashKey(secret).Open(v, "flash")
	if err != nil {
		return flash{}
	}
	var f flash
	if json.Unmarshal([]byte(plain), &f) != nil {
		return flash{}
	}
	return f
}

// confirmData is the page that asks before something is deleted for good.
type confirmData struct {
	Heading string
	Message string
	Action  string // where the confirmed form posts
	Button  string
	Cancel  string // where "Cancel" goes back to
}

// confirmed tells whether a form that deletes for good was confirmed;
// when not, it answers the page that asks, whose form posts the same
// action again with confirm=yes. Nothing is deleted by a form that was
// not confirmed, with or without JavaScript.
func (s *Server) confirmed(w http.ResponseWriter, r *http.Request, csrf string, d confirmData) bool {
	if r.PostForm.Get("confirm") == "yes" {
		return true
	}
	u := info(r).user
	s.page(w, r, http.StatusOK, "confirm", pageData{Title: d.Heading, User: u, CSRF: csrf, Data: d})
	return false
}

// localPath is v when it is a path on this site, to go back to after
// sign-in, else "/": never another host (//evil.example, /\evil.example,
// https://...), in any encoding, nor the sign-in's own pages.
func localPath(v string) string {
	if v == "" || v[0] != '/' || len(v) > 4096 {
		return "/"
	}
	for _, c := range []byte(v) {
		if c < 0x20 || c == 0x7f || c == '\\' {
			return "/"
		}
	}
	if strings.HasPrefix(v, "//") {
		return "/"
	}
	u, err := url.Parse(v)
	if err != nil || u.Scheme != "" || u.Host != "" || u.User != nil || u.Opaque != "" {
		return "/"
	}
	// Something on the way might decode the path once more: what it
	// decodes to must be local too.
	p, err := url.PathUnescape(u.EscapedPath())
	if err != nil || !strings.HasPrefix(p, "/") || strings.HasPrefix(p, "//") || strings.ContainsAny(p, "\\\x00\r\n") {
		return "/"
	}
	for _, no := range []string{"/signin", "/signout", "/auth/"} {
		if strings.HasPrefix(p, no) {
			return "/"
		}
	}
	return v
}

// signinURL is the sign-in form that goes back to r's page afterwards.
func signinURL(r *http.Request) string {
	if r.Method != http.MethodGet {
		return "/signin"
	}
	next := localPath(r.URL.RequestURI())
	// A thumbnail or the scripts' status is no page to land on.
	if next == "/" || strings.Contains(r.URL.Path, "/thumb/") || r.URL.Path == "/status" {
		return "/signin"
	}
	return "/signin?next=" + url.QueryEscape(next)
}

// ErrorPage answers an error page for a browser, in the site's layout,
// with the menu of the signed-in user: for the routes the API serves (the
// public links, the thumbnails' capability URLs) when a browser asks for
// HTML.
func (s *Server) ErrorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	req := &request{}
	r = httpdomain.WithInfo(r, req)
	if a, err := s.svc.AccountByHost(r.Context(), r.Host, s.cfg.Domain); err == nil {
		req.account = a
	}
	httpdomain.SecurityHeaders(w.Header(), csp, s.secure(r))
	s.errorPage(w, r, status, message)
}

// errorPage is the error page of status with message.
func (s *Server) errorPage(w http.ResponseWriter, r *http.Request, status int, message string) {
	if req := info(r); req.account != nil && req.user == nil {
		s.session(r) // the menu of whoever is signed in, if anyone
	}
	d := pageData{Title: s.lang(r).Msg(http.StatusText(status)), Error: message, Data: status}
	if req := info(r); req.user != nil {
		d.User, d.CSRF = req.user, csrfToken(req.secret, "session")
	}
	s.page(w, r, status, "error", d)
}

// notFound is the page of a path no route knows.
func (s *Server) notFound(w http.ResponseWriter, r *http.Request) {
	s.errorPage(w, r, http.StatusNotFound, "There is no page at this address.")
}
