// Package web serves Damask's pages to browsers: signing in and out (with
// a password or an account's OpenID Connect provider), the library with its
// search, facets, uploads and selection, each asset's page, the trash, the
// account, the people and their tokens. Pages are rendered on the server
// from embedded html/template files and browsing, search and downloads need
// no JavaScript; a few plain scripts in static/ add drag and drop, progress
// bars and keyboard moves. No script or style is ever inline, so that the
// Content-Security-Policy can forbid them. Sessions live in a cookie holding a random secret; every
// state-changing form carries a CSRF token derived from that secret (or,
// before sign-in, from a cookie of its own), and cross-site POSTs are
// refused outright. It calls the library service and never a store.
package web

import (
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"embed"
	"encoding/base64"
	"fmt"
	"html/template"
	"io/fs"
	"log/slog"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/forwarded"
	"damask/httpdomain"
	"damask/library"
)

//go:embed templates/*.html
var templateFiles embed.FS

//go:embed static
var staticFiles embed.FS

// Cookie names.
const (
	SessionCookie = "damask_session" // the session's secret
	csrfCookie    = "damask_csrf"    // the secret of the sign-in form's token
	oidcCookie    = "damask_oidc"    // a sign-in under way at a provider, sealed
	nextCookie    = "damask_next"    // where a sign-in at a provider goes back to
)

// Config are the operator's settings of the pages.
type Config struct {
	// Domain is the parent domain of the accounts, as for the API.
	Domain string
	// Proxies are the peers whose X-Forwarded-Proto and X-Forwarded-For
	// are believed, as for the API.
	Proxies forwarded.Proxies
	// PublicBaseURL, when set, is where an asset's public link points
	// instead of the request's own host, as for the API.
	PublicBaseURL string
	Logger        *slog.Logger
}

// Server is the web interface.
type Server struct {
	svc *library.Service
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	// tmpls are the templates in each language, whose t, n and m speak it.
	tmpls map[string]*template.Template
	langs languages
	// scriptKeys are the keys damask.js translates.
	scriptKeys []string
}

// New returns the pages' handler.
func New(svc *library.Service, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	s := &Server{svc: svc, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux(),
		langs: loadLanguages(), tmpls: map[string]*template.Template{}}
	for code, l := range s.langs {
		s.tmpls[code] = template.Must(template.New("").Funcs(funcs).Funcs(l.funcs()).ParseFS(templateFiles, "templates/*.html"))
	}
	js, err := staticFiles.ReadFile("static/damask.js")
	if err != nil {
		panic(err)
	}
	s.scriptKeys = scriptKeys(string(js))
	s.routes()
	return s
}

func (s *Server) routes() {
	m := s.mux
	m.HandleFunc("GET /{$}", s.library)
	m.HandleFunc("GET /status", s.processingStatus)
	m.HandleFunc("POST /upload", s.upload)
	m.HandleFunc("POST /uploads/tus", s.tusCollection)
	m.HandleFunc("/uploads/tus/{$}", s.tusCollection)
	m.HandleFunc("/uploads/tus/{id}", s.tusUpload)
	m.HandleFunc("POST /selection", s.selection)
	m.HandleFunc("GET /assets/{id}", s.asset)
	m.HandleFunc("POST /assets/{id}", s.editAsset)
	m.HandleFunc("GET /assets/{id}/thumb/{px}", s.thumb)
	m.HandleFunc("GET /assets/{id}/download", s.download)
	m.HandleFunc("GET /assets/{id}/media", s.media)
	m.HandleFunc("GET /assets/{id}/playback", s.playback)
	m.HandleFunc("POST /assets/{id}/delete", s.idAction(s.deleteAsset))
	m.HandleFunc("GET /assets/{id}/duplicate", s.duplicateOf)
	m.HandleFunc("POST /assets/{id}/public", s.idAction(s.publicLink))
	m.HandleFunc("POST /assets/{id}/versions", s.addVersion)
	m.HandleFunc("POST /assets/{id}/versions/{n}/current", s.idAction(s.makeCurrent))
	m.HandleFunc("GET /collections", s.collections)
	m.HandleFunc("POST /collections", s.createCollection)
	m.HandleFunc("GET /collections/{id}", s.collection)
	m.HandleFunc("POST /collections/{id}", s.editCollection)
	m.HandleFunc("POST /collections/{id}/move", s.idAction(s.moveInCollection))
	m.HandleFunc("POST /collections/{id}/delete", s.idAction(s.deleteCollection))
	m.HandleFunc("POST /collections/{id}/stage", s.idAction(s.publishCollection))
	m.HandleFunc("GET /stages", s.stages)
	m.HandleFunc("GET /stages/{id}", s.stageEdit)
	m.HandleFunc("POST /stages/{id}", s.updateStage)
	m.HandleFunc("POST /stages/{id}/revoke", s.revokeStage)
	m.HandleFunc("POST /inboxes", s.createInbox)
	m.HandleFunc("POST /inboxes/{id}/revoke", s.revokeInbox)
	m.HandleFunc("GET /trash", s.trash)
	m.HandleFunc("GET /trash/{id}/thumb/{px}", s.trashThumb)
	m.HandleFunc("POST /trash/{id}/restore", s.idAction(s.restore))
	m.HandleFunc("POST /trash/empty", s.emptyTrash)
	m.HandleFunc("GET /account", s.account)
	m.HandleFunc("POST /account/api", s.switchAPI)
	m.HandleFunc("POST /account/sharing", s.switchSharing)
	m.HandleFunc("POST /account/branding", s.setBranding)
	m.HandleFunc("POST /account/logo/remove", s.removeLogo)
	m.HandleFunc("GET /people", s.people)
	m.HandleFunc("POST /people", s.createUser)
	m.HandleFunc("POST /people/{id}", s.updateUser)
	m.HandleFunc("GET /settings", s.settings)
	m.HandleFunc("POST /settings", s.saveSettings)
	m.HandleFunc("GET /tokens", s.tokens)
	m.HandleFunc("POST /tokens", s.createToken)
	m.HandleFunc("POST /tokens/{id}/revoke", s.idAction(s.revokeToken))
	m.HandleFunc("GET /branding.css", s.brandingCSS)
	m.HandleFunc("GET /branding/logo", s.logo)
	m.HandleFunc("GET /signin", s.signinForm)
	m.HandleFunc("POST /signin", s.signin)
	m.HandleFunc("POST /signout", s.signout)
	m.HandleFunc("POST /signout/everywhere", s.signoutEverywhere)
	m.HandleFunc("GET /auth/oidc", s.beginOIDC)
	m.HandleFunc("GET /auth/oidc/callback", s.finishOIDC)
	m.HandleFunc("GET /inbox/{token}", s.inbox)
	m.HandleFunc("POST /inbox/{token}", s.inboxSend)
	m.HandleFunc("POST /inbox/{token}/password", s.inboxPassword)
	m.HandleFunc("GET /s/{token}", s.stagePage)
	m.HandleFunc("POST /s/{token}", s.stagePassword)
	m.HandleFunc("GET /s/{token}/assets/{id}", s.stageAsset)
	m.HandleFunc("GET /s/{token}/image/{id}/{px}", s.stageImageFile)
	m.HandleFunc("GET /s/{token}/play/{id}", s.stagePlay)
	m.HandleFunc("GET /s/{token}/download/{id}", s.stageDownload)
	m.HandleFunc("/", s.notFound)
	static, _ := fs.Sub(staticFiles, "static")
	m.Handle("GET /static/", http.StripPrefix("/static/", http.FileServerFS(static)))
}

// request is what ServeHTTP learns before a handler runs.
type request struct {
	account *damask.Account
	user    *damask.User // the signed-in user, once session has found one
	secret  string       // that user's session secret
	// flashTaken tells that the flash cookie was read (and dropped).
	flashTaken bool
}

func info(r *http.Request) *request { return httpdomain.Info[request](r) }

// maxForm caps the body of a form.
const maxForm = 64 << 10

// csp allows the pages' own scripts, styles, images and media and nothing
// else: no inline script or style, no other origin, no framing.
const csp = "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; media-src 'self'; connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"

// carriesFile tells the routes whose body is a file (or a piece of one,
// for the tus uploads), capped at the file limit instead of maxForm.
func carriesFile(r *http.Request) bool {
	return r.URL.Path == "/upload" || strings.HasSuffix(r.URL.Path, "/versions") ||
		strings.HasPrefix(r.URL.Path, tusPrefix) || r.URL.Path+"/" == tusPrefix
}

// ServeHTTP sets the headers every page shares, refuses cross-site POSTs,
// chooses the account by host, and runs the route.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	// No Referer: the OpenID callback's URL holds an authorization code.
	httpdomain.SecurityHeaders(w.Header(), csp, s.secure(r))
	w.Header().Set("X-Frame-Options", "DENY")
	defer httpdomain.Recover(func(err error) { s.fail(w, r, err) })
	req := &request{}
	r = httpdomain.WithInfo(r, req)
	a, err := s.svc.AccountByHost(r.Context(), r.Host, s.cfg.Domain)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.account = a
	if forwarded.Unsafe(r) {
		// Browsers too old to send Origin or Sec-Fetch-Site still meet
		// the CSRF token.
		if s.cfg.Proxies.CrossSite(r) {
			s.errorPage(w, r, http.StatusForbidden, "This form was sent from another site, and was refused.")
			return
		}
		limit := int64(maxForm)
		switch {
		case isInboxSend(r):
			limit = s.inboxBodyLimit()
		case carriesFile(r):
			limit = s.svc.MaxFileSize() + maxForm
		case r.URL.Path == "/account/branding":
			limit = library.MaxLogoSize + maxForm
		}
		r.Body = http.MaxBytesReader(w, r.Body, limit)
		if carriesFile(r) || isInboxSend(r) {
			// For the service, which tells a file cut at the limit
			// from one that broke off.
			r.Body = httpdomain.MarkLimit(r.Body)
		}
	}
	s.mux.ServeHTTP(w, r)
}

func (s *Server) secure(r *http.Request) bool { return s.cfg.Proxies.Secure(r) }

func (s *Server) scheme(r *http.Request) string { return s.cfg.Proxies.Scheme(r) }

func (s *Server) source(r *http.Request) string { return s.cfg.Proxies.Source(r) }

func (s *Server) client(r *http.Request) library.Client {
	return library.Client{Source: s.source(r), UserAgent: r.UserAgent()}
}

// pageData is what every template reads.
type pageData struct {
	Title    string
	Library  string
	Error    string
	Notice   string
	CSRF     string
	Login    string
	Provider string
	User     *damask.User
	Nav      string // the section the page belongs to, for the menu
	Branded  bool   // the account has colours: link branding.css
	BrandCSS string // branding.css's URL, versioned by its content
	Flash    string // what the last change did, said once
	Form     form   // a form that came back with an error
	Logo     string // the URL of the account's logo, for the header
	Stages   bool   // the account's plan has Stages: the menu links them
	Data     any    // the page's own content
	// Zone is where the page's times are shown: the user's setting, else
	// the browser's (the cookie damask_tz), else UTC.
	Zone *time.Location
	// Lang is the page's language, its code for <html lang>.
	Lang string
	// Script is the part of the language's catalog damask.js reads, as
	// JSON; "" in English.
	Script string
	lang   *language
}

// When is a time of the page in its zone and language, the zone named:
// the pages' templates write {{$.When .CreatedAt}}.
func (d pageData) When(t time.Time) string { return d.lang.When(t, d.Zone) }

// Now is the time the page is made, for {{$.When $.Now}}.
func (pageData) Now() time.Time { return time.Now() }

// zoneCookie holds the browser's time zone, set by damask.js.
const zoneCookie = "damask_tz"

// zone is where the pages show u's times: u's setting, else the
// browser's zone from its cookie, else UTC.
func (s *Server) zone(r *http.Request, u *damask.User) *time.Location {
	if u != nil && u.TimeZone != "" {
		if l, err := library.LoadTimeZone(u.TimeZone); err == nil {
			return l
		}
	}
	if c, err := r.Cookie(zoneCookie); err == nil {
		if l, err := library.LoadTimeZone(c.Value); err == nil {
			return l
		}
	}
	return time.UTC
}

func (s *Server) page(w http.ResponseWriter, r *http.Request, status int, name string, d pageData) {
	if a := info(r).account; a != nil {
		d.Library = cmpOr(a.Branding.Title, a.CompanyName, a.Name)
		d.Branded = s.svc.Plan(a).Branding && brandingRules(a.Branding) != ""
		if d.Branded {
			d.BrandCSS = "/branding.css?v=" + brandingVersion(a.Branding)
		}
		d.Logo = s.logoURL(a)
		d.Stages = s.svc.Plan(a).Stages
	} else {
		d.Library = "Damask"
	}
	if d.Zone == nil {
		d.Zone = s.zone(r, d.User)
	}
	if d.User != nil && d.Flash == "" {
		d.Flash = s.takeFlash(w, r).Message
	}
	l := s.lang(r)
	d.Lang, d.lang, d.Script = l.code, l, l.script(s.scriptKeys)
	// Errors' messages are made in English (the API's), and said here in
	// the page's language.
	d.Error, d.Form.Error = l.Msg(d.Error), l.Msg(d.Form.Error)
	if len(d.Form.Errors) > 0 {
		errs := make(map[string]string, len(d.Form.Errors))
		for k, v := range d.Form.Errors {
			errs[k] = l.Msg(v)
		}
		d.Form.Errors = errs
	}
	var b strings.Builder
	if err := s.tmpls[l.code].ExecuteTemplate(&b, name+".html", d); err != nil {
		s.log.Error("render page", "page", name, "err", err)
		http.Error(w, "Internal error", http.StatusInternalServerError)
		return
	}
	h := w.Header()
	h.Set("Content-Type", "text/html; charset=utf-8")
	h.Set("Cache-Control", "no-store")
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write([]byte(b.String()))
	}
}

func cmpOr(vs ...string) string {
	for _, v := range vs {
		if v != "" {
			return v
		}
	}
	return ""
}

// fail answers an error page. Internal errors are logged; the browser
// sees a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	code := damask.ErrorCode(err)
	if code != damask.ECANCELED && httpdomain.ClientGone(r, err) {
		code = damask.ECANCELED
	}
	st := httpdomain.Status(code)
	switch {
	case code == damask.ECANCELED:
		s.log.Info("request canceled", "method", r.Method, "path", r.URL.Path, "err", err)
	case st >= 500:
		s.log.Error("page failed", "method", r.Method, "path", r.URL.Path, "err", err)
	}
	httpdomain.ErrorHeaders(w.Header(), code, library.RetryAfter(err))
	s.errorPage(w, r, st, damask.ErrorMessage(err))
}

// csrfToken derives a form's token from a secret only the browser's
// cookie holds: another site can make the browser send the cookie, but
// can neither read it nor the token.
func csrfToken(secret, purpose string) string {
	m := hmac.New(sha256.New, []byte(secret))
	m.Write([]byte("damask csrf\x00" + purpose))
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

func validToken(secret, purpose, got string) bool {
	if secret == "" || got == "" {
		return false
	}
	return subtle.ConstantTimeCompare([]byte(csrfToken(secret, purpose)), []byte(got)) == 1
}

func (s *Server) setCookie(w http.ResponseWriter, r *http.Request, name, value, path string, maxAge int) {
	http.SetCookie(w, &http.Cookie{Name: name, Value: value, Path: path, MaxAge: maxAge,
		HttpOnly: true, Secure: s.secure(r), SameSite: http.SameSiteLaxMode})
}

func (s *Server) clearCookie(w http.ResponseWriter, r *http.Request, name, path string) {
	s.setCookie(w, r, name, "", path, -1)
}

func cookie(r *http.Request, name string) string {
	c, err := r.Cookie(name)
	if err != nil {
		return ""
	}
	return c.Value
}

// session answers the signed-in user and the session's secret, or an
// EUNAUTHORIZED error.
func (s *Server) session(r *http.Request) (*damask.User, *damask.Session, string, error) {
	secret := cookie(r, SessionCookie)
	u, se, err := s.svc.Session(r.Context(), info(r).account, secret)
	if err == nil {
		req := info(r)
		req.user, req.secret = u, secret
	}
	return u, se, secret, err
}

// signinForm shows the form. The form's CSRF token comes from a cookie of
// its own, set here when the browser lacks one (double submit).
func (s *Server) signinForm(w http.ResponseWriter, r *http.Request) {
	next := localPath(r.URL.Query().Get("next"))
	if _, _, _, err := s.session(r); err == nil {
		http.Redirect(w, r, next, http.StatusSeeOther)
		return
	}
	s.renderSignin(w, r, http.StatusOK, "", "", next)
}

// signinData is the sign-in form's own content: where to go afterwards.
type signinData struct{ Next string }

func (s *Server) renderSignin(w http.ResponseWriter, r *http.Request, st int, login, msg, next string) {
	secret := cookie(r, csrfCookie)
	if len(secret) < 32 {
		secret = rand.Text() + rand.Text()
		s.setCookie(w, r, csrfCookie, secret, "/", 0)
	}
	provider, err := s.svc.OIDCName(r.Context(), info(r).account)
	if err != nil {
		s.log.Error("oidc provider name", "err", err)
	}
	s.page(w, r, st, "signin", pageData{Title: s.tr(r, "Sign in"), Error: msg, Login: login,
		CSRF: csrfToken(secret, "signin"), Provider: provider, Data: signinData{Next: next}})
}

func (s *Server) signin(w http.ResponseWriter, r *http.Request) {
	if err := readForm(r); err != nil {
		s.fail(w, r, err)
		return
	}
	next := localPath(r.PostForm.Get("next"))
	if !validToken(cookie(r, csrfCookie), "signin", r.PostForm.Get("csrf")) {
		s.renderSignin(w, r, http.StatusForbidden, "", msg("The form expired; please sign in again."), next)
		return
	}
	login := r.PostForm.Get("login")
	_, secret, err := s.svc.SignIn(r.Context(), info(r).account, login, r.PostForm.Get("password"), s.client(r))
	switch code := damask.ErrorCode(err); code {
	case "":
	case damask.EUNAUTHORIZED:
		s.renderSignin(w, r, http.StatusUnauthorized, login, damask.ErrorMessage(err), next)
		return
	case damask.ETHROTTLED:
		w.Header().Set("Retry-After", strconv.Itoa(int(library.RetryAfter(err).Seconds())+1))
		s.renderSignin(w, r, http.StatusTooManyRequests, login, damask.ErrorMessage(err), next)
		return
	default:
		s.fail(w, r, err)
		return
	}
	s.startSession(w, r, secret, next)
}

// startSession hands the browser its session and sends it to next, a
// local path (localPath).
func (s *Server) startSession(w http.ResponseWriter, r *http.Request, secret, next string) {
	s.setCookie(w, r, SessionCookie, secret, "/", int(damask.SessionLifetime.Seconds()))
	http.Redirect(w, r, localPath(next), http.StatusSeeOther)
}

// sessionForm checks a signed-in user's form: the session must be alive
// and the form's token derived from its secret.
func (s *Server) sessionForm(w http.ResponseWriter, r *http.Request) (library.Caller, *damask.Session, bool) {
	u, se, secret, err := s.session(r)
	if err != nil {
		if damask.ErrorCode(err) == damask.EUNAUTHORIZED {
			s.clearCookie(w, r, SessionCookie, "/")
			http.Redirect(w, r, "/signin", http.StatusSeeOther)
		} else {
			s.fail(w, r, err)
		}
		return library.Caller{}, nil, false
	}
	if err := readForm(r); err != nil {
		s.fail(w, r, err)
		return library.Caller{}, nil, false
	}
	if !validToken(secret, "session", r.PostForm.Get("csrf")) {
		s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "This form lacks its security token; reload the page and try again"))
		return library.Caller{}, nil, false
	}
	return library.Caller{Account: info(r).account, User: u, Source: s.source(r)}, se, true
}

// maxFormFields is the most fields a form may have: net/url's limit on
// parameters, which ParseForm applies to a posted form too.
const maxFormFields = 10000

// readForm reads a posted form. A form past the limits (maxForm bytes,
// maxFormFields fields) is ETOOLARGE, saying them: a selection of
// thousands of assets meets them; any other failure is EMALFORMED.
func readForm(r *http.Request) error {
	err := r.ParseForm()
	if err == nil {
		return nil
	}
	tooLarge := func(int64) string {
		return fmt.Sprintf(msg("The form is too large: at most %d KiB and %d fields"), maxForm>>10, maxFormFields)
	}
	if tl := httpdomain.TooLarge(err, tooLarge); tl != nil {
		return tl
	}
	// net/url's limit has no error value of its own: its message tells.
	if strings.Contains(err.Error(), "exceeded limit") {
		return &damask.Error{Code: damask.ETOOLARGE, Message: tooLarge(0), Err: err}
	}
	return &damask.Error{Code: damask.EMALFORMED, Message: "The form cannot be read", Err: err}
}

func (s *Server) signout(w http.ResponseWriter, r *http.Request) {
	c, se, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	if err := s.svc.SignOut(r.Context(), c, se); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearCookie(w, r, SessionCookie, "/")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

func (s *Server) signoutEverywhere(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	if _, err := s.svc.SignOutEverywhere(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	s.clearCookie(w, r, SessionCookie, "/")
	http.Redirect(w, r, "/signin", http.StatusSeeOther)
}

// beginOIDC sends the browser to the account's provider. The sign-in
// under way, sealed, stays in a cookie that only the callback's path sees;
// SameSite=Lax still sends it on the provider's top-level redirect back.
func (s *Server) beginOIDC(w http.ResponseWriter, r *http.Request) {
	redirect := s.scheme(r) + "://" + r.Host + "/auth/oidc/callback"
	authURL, signIn, err := s.svc.BeginOIDC(r.Context(), info(r).account, redirect)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.setCookie(w, r, oidcCookie, signIn, "/auth/oidc", int(damask.OIDCLoginLifetime.Seconds()))
	if next := localPath(r.URL.Query().Get("next")); next != "/" {
		s.setCookie(w, r, nextCookie, url.QueryEscape(next), "/auth/oidc", int(damask.OIDCLoginLifetime.Seconds()))
	}
	http.Redirect(w, r, authURL, http.StatusFound)
}

// finishOIDC takes the provider's answer. Its error parameters
// (error_description, error_uri) are anyone's text in a link: only the
// library's fixed messages are shown.
func (s *Server) finishOIDC(w http.ResponseWriter, r *http.Request) {
	q := r.URL.Query()
	ans := library.OIDCAnswer{SignIn: cookie(r, oidcCookie), State: q.Get("state"), Code: q.Get("code"), Error: q.Get("error")}
	s.clearCookie(w, r, oidcCookie, "/auth/oidc")
	next, _ := url.QueryUnescape(cookie(r, nextCookie))
	if next != "" {
		s.clearCookie(w, r, nextCookie, "/auth/oidc")
	}
	_, secret, err := s.svc.FinishOIDC(r.Context(), info(r).account, ans, s.client(r))
	if err != nil {
		code := damask.ErrorCode(err)
		if code == damask.EUNAUTHORIZED || code == damask.EFORBIDDEN {
			s.errorPage(w, r, httpdomain.Status(code), damask.ErrorMessage(err))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.startSession(w, r, secret, localPath(next))
}
