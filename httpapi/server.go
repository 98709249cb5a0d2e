// Package httpapi serves the fluxiom API of API.md over HTTP: routing,
// the choice of account by host, Basic auth, the Rails-style XML and JSON
// documents, request bodies in every form fluxiom took, and the mapping of
// domain errors to statuses, in one place. It calls the library service
// and never a store.
package httpapi

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"log/slog"
	"math"
	"math/rand/v2"
	"net/http"
	"strconv"
	"strings"
	"sync"
	"time"

	"damask"
	"damask/forwarded"
	"damask/httpdomain"
	"damask/httplimit"
	"damask/library"
	"damask/tus"
)

// Config are the operator's settings of the HTTP API.
type Config struct {
	// Domain is the parent domain of the accounts: ACME.Domain is account
	// acme. Any other host selects the default account.
	Domain string
	// HTTPS tells that the server can be reached over HTTPS (it has a
	// certificate, or a trusted proxy terminates TLS). Then API calls over
	// plain HTTP to accounts whose plan includes ssl are refused.
	HTTPS bool
	// Proxies are the peers whose X-Forwarded-Proto and X-Forwarded-For
	// are believed (package forwarded); the zero value believes none.
	Proxies forwarded.Proxies
	// JSONP allows ?callback= on JSON answers.
	JSONP bool
	// CORSOrigins are the origins of browser applications allowed to
	// call the API with a Bearer token (crosssite.go); none by default.
	CORSOrigins forwarded.Origins
	// Rate and Burst limit the requests of each credential (an API token,
	// or a user's password): Burst at once, then Rate a second; past them
	// the answer is 429 with Retry-After. A Rate of 0 sets no limit. The
	// counts live in RateCounter when it is set (every server sharing it
	// counts together), else in this process's memory.
	Rate        float64
	Burst       int
	RateCounter damask.RateCounter
	// BodyWindow and BodyMinBytes cut off a request body that stalls:
	// every BodyWindow must bring BodyMinBytes, else the answer is 408 and
	// the connection is closed. A BodyWindow of 0 sets no limit.
	BodyWindow   time.Duration
	BodyMinBytes int64
	// PublicBaseURL, when set, is where public_url points instead of the
	// request's own host: an operator's CDN (httpdomain.ParsePublicBase,
	// which checks it).
	PublicBaseURL string
	// ErrorPage, when set, answers the errors of the public links (/p/)
	// and the thumbnails' capability URLs (/t/) to a browser that asks
	// for HTML (Accept: text/html), as a page in the site's layout: a
	// link followed in a browser then never shows raw XML. API clients
	// keep their XML or JSON. damask serve sets it to the web pages'.
	ErrorPage func(w http.ResponseWriter, r *http.Request, status int, message string)
	// Now tells the time to the rate limit; tests set it.
	Now    func() time.Time
	Logger *slog.Logger
}

// Server is the HTTP face of the library.
type Server struct {
	svc *library.Service
	cfg Config
	log *slog.Logger
	mux *http.ServeMux
	// patterns are the mux's, in the order routes registered them.
	patterns []string
	// allow counts each credential's requests (Config.Rate).
	allow func(ctx context.Context, key string) (bool, time.Duration)
	// tus answers the resumable uploads (resumable.go).
	tus *tus.Handler
	// answers keeps rendered answers of the busiest reads (doccache.go).
	answers docCache
}

// New returns the API's handler.
func New(svc *library.Service, cfg Config) *Server {
	if cfg.Logger == nil {
		cfg.Logger = slog.New(slog.DiscardHandler)
	}
	cfg.BodyMinBytes = max(cfg.BodyMinBytes, 1)
	s := &Server{svc: svc, cfg: cfg, log: cfg.Logger, mux: http.NewServeMux()}
	if cfg.RateCounter != nil {
		s.allow = httplimit.NewShared(cfg.RateCounter, cfg.Rate, cfg.Burst, cfg.Now, cfg.Logger).Allow
	} else {
		s.allow = httplimit.NewRates(cfg.Rate, cfg.Burst, cfg.Now).AllowContext
	}
	s.tus = s.tusHandler()
	s.routes()
	return s
}

// format is the wire format of an answer.
type format int

const (
	formatXML format = iota
	formatJSON
)

// request is what the middleware learns of a request before its handler
// runs.
type request struct {
	id      string
	format  format
	account *damask.Account
	caller  library.Caller
	base    string // scheme://host of the account, for URLs in documents
	public  string // where public links go (Config.PublicBaseURL, else base)
}

func info(r *http.Request) *request { return httpdomain.Info[request](r) }

// ServeHTTP runs every request through the steps every route shares: the
// account of the host, the format of the path, requests from other sites,
// HTTPS, the API switch and Basic auth; then the route's handler.
func (s *Server) ServeHTTP(w http.ResponseWriter, r *http.Request) {
	req := &request{id: requestID(), format: formatOf(r)}
	// One read of the generation counts serves the account, the caller
	// and the throttle below, which the service keeps in memory; the
	// request is copied once, with both in its context.
	ctx := httpdomain.ContextWithInfo(r.Context(), req)
	gctx, genErr := s.svc.WithGeneration(ctx)
	if genErr == nil {
		ctx = gctx
	}
	r = r.WithContext(ctx)
	h := w.Header()
	h["X-Request-Id"] = []string{req.id}
	apiSecurityHeaders(h, s.secure(r))
	defer httpdomain.Recover(func(err error) { s.fail(w, r, err) })
	if genErr != nil {
		s.fail(w, r, genErr)
		return
	}
	a, err := s.accountOf(r)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.account = a
	req.base = s.scheme(r) + "://" + r.Host
	req.public = httpdomain.PublicBase(s.cfg.PublicBaseURL, req.base, a)
	httplimit.Progress(w, r, s.cfg.BodyMinBytes, s.cfg.BodyWindow)

	if strings.HasPrefix(r.URL.Path, "/p/") {
		s.publicDownload(w, r)
		return
	}
	if strings.HasPrefix(r.URL.Path, capabilityPrefix) {
		s.capabilityRendition(w, r)
		return
	}
	if !strings.HasPrefix(r.URL.Path, "/api/") && r.URL.Path != "/api" {
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "No route matches %s %s", r.Method, r.URL.Path))
		return
	}
	if s.crossSite(w, r) || s.tusDiscovery(w, r) {
		return
	}
	if s.cfg.HTTPS && s.svc.Plan(a).SSL && !s.secure(r) {
		s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "HTTPS must be used with this account: its %s plan includes SSL", a.Plan))
		return
	}
	if !a.APIEnabled {
		s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "The API of this account is switched off: the account holder must enable it under Account -> API"))
		return
	}
	c, err := s.authenticate(r, a)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	req.caller = c
	if ok, wait := s.allow(r.Context(), rateKey(c)); !ok {
		w.Header().Set("Retry-After", strconv.Itoa(max(1, int(math.Ceil(wait.Seconds())))))
		s.writeErrors(w, r, http.StatusTooManyRequests, fmt.Sprintf("Too many requests: at most %g a second with one credential; try again later", s.cfg.Rate))
		return
	}

	r.URL.Path = stripFormat(r.URL.Path)
	r.URL.RawPath = ""
	// A path no route has reaches noRoute, the mux's last pattern.
	s.mux.ServeHTTP(w, r)
}

// The security headers of every API answer (httpdomain.SecurityHeaders),
// set as shared values without a copy per request: their slices are
// clipped, so that an Add to one of them copies it first.
var (
	apiCSP     = []string{"default-src 'none'; frame-ancestors 'none'; sandbox"}[:1:1]
	apiNosniff = []string{"nosniff"}[:1:1]
	apiNoRef   = []string{"no-referrer"}[:1:1]
	apiHSTS    = []string{"max-age=31536000"}[:1:1]
	jsonType   = []string{"application/json; charset=utf-8"}[:1:1]
	xmlType    = []string{"application/xml; charset=utf-8"}[:1:1]
	noStore    = []string{"private, no-store"}[:1:1]
)

func apiSecurityHeaders(h http.Header, secure bool) {
	h["Content-Security-Policy"] = apiCSP
	h["X-Content-Type-Options"] = apiNosniff
	h["Referrer-Policy"] = apiNoRef
	if secure {
		h["Strict-Transport-Security"] = apiHSTS
	}
}

// rateKey names the bucket of a caller's requests: its token, or its
// user when it signed in with a password.
func rateKey(c library.Caller) string {
	if c.Token != nil {
		return "t" + strconv.FormatInt(c.Token.ID, 10)
	}
	return "u" + strconv.FormatInt(c.User.ID, 10)
}

// noRoute answers 405 when the path exists for other methods, else 404.
func (s *Server) noRoute(w http.ResponseWriter, r *http.Request) {
	var allow []string
	for _, m := range []string{http.MethodGet, http.MethodPost, http.MethodPut, http.MethodDelete} {
		probe := r.Clone(r.Context())
		probe.Method = m
		if _, p := s.mux.Handler(probe); p != "" && p != noRoutePattern {
			allow = append(allow, m)
		}
	}
	if len(allow) == 0 {
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "No route matches %s %s", r.Method, r.URL.Path))
		return
	}
	w.Header().Set("Allow", strings.Join(allow, ", "))
	s.writeErrors(w, r, http.StatusMethodNotAllowed, fmt.Sprintf("%s is not allowed here; allowed: %s", r.Method, strings.Join(allow, ", ")))
}

// browserLink tells a browser that followed a public link or a
// thumbnail's URL: the path is one of theirs and Accept asks for HTML.
func browserLink(r *http.Request) bool {
	p := r.URL.Path
	return (strings.HasPrefix(p, "/p/") || strings.HasPrefix(p, "/t/")) &&
		strings.Contains(r.Header.Get("Accept"), "text/html")
}

// formatOf reads the format from the path's extension, else from Accept.
func formatOf(r *http.Request) format {
	switch {
	case strings.HasSuffix(r.URL.Path, ".json"):
		return formatJSON
	case strings.HasSuffix(r.URL.Path, ".xml"):
		return formatXML
	case strings.Contains(r.Header.Get("Accept"), "application/json") && !strings.Contains(r.Header.Get("Accept"), "xml"):
		return formatJSON
	}
	return formatXML
}

func stripFormat(p string) string {
	return strings.TrimSuffix(strings.TrimSuffix(p, ".json"), ".xml")
}

// accountOf chooses the account by host: a subdomain of the configured
// domain names an account; any other host is the default account. The web
// pages choose the same way, through the same function.
func (s *Server) accountOf(r *http.Request) (*damask.Account, error) {
	return s.svc.AccountByHost(r.Context(), r.Host, s.cfg.Domain)
}

func (s *Server) secure(r *http.Request) bool { return s.cfg.Proxies.Secure(r) }

func (s *Server) scheme(r *http.Request) string { return s.cfg.Proxies.Scheme(r) }

func (s *Server) source(r *http.Request) string { return s.cfg.Proxies.Source(r) }

// authenticate finds the caller: Basic auth with a password or an API
// token as the password, or "Authorization: Bearer" with a token.
func (s *Server) authenticate(r *http.Request, a *damask.Account) (library.Caller, error) {
	if secret := bearerToken(r); secret != "" {
		return s.svc.AuthenticateBearer(r.Context(), a, secret, s.source(r))
	}
	login, pw, ok := r.BasicAuth()
	if !ok || login == "" {
		return library.Caller{}, damask.Errorf(damask.EUNAUTHORIZED, "Sign in with HTTP Basic auth: your login or e-mail, and your password or an API token; or send a token as Authorization: Bearer")
	}
	return s.svc.AuthenticateBasic(r.Context(), a, login, pw, s.source(r))
}

// fail answers an error in the request's format. Internal errors are
// logged with the request id; the client sees a generic message.
func (s *Server) fail(w http.ResponseWriter, r *http.Request, err error) {
	if errors.Is(err, httplimit.ErrSlowBody) {
		// The connection's read deadline has passed: it is closed after
		// this answer, which the client may still read.
		s.log.Info("request body stalled", "id", info(r).id, "method", r.Method, "path", r.URL.Path, "source", s.source(r))
		w.Header().Set("Connection", "close")
		s.writeErrors(w, r, http.StatusRequestTimeout, fmt.Sprintf("The request body came too slowly: at least %d bytes every %s", s.cfg.BodyMinBytes, s.cfg.BodyWindow))
		return
	}
	code := damask.ErrorCode(err)
	if code != damask.ECANCELED && httpdomain.ClientGone(r, err) {
		code = damask.ECANCELED
	}
	st := httpdomain.Status(code)
	httpdomain.ErrorHeaders(w.Header(), code, library.RetryAfter(err))
	switch {
	case code == damask.ECANCELED:
		// The client went away: not an error of the server's.
		s.log.Info("request canceled", "id", info(r).id, "method", r.Method, "path", r.URL.Path, "err", err)
	case st >= 500 && code != damask.EQUOTA:
		s.log.Error("request failed", "id", info(r).id, "method", r.Method, "path", r.URL.Path, "err", err)
	case code == damask.EUNAUTHORIZED:
		w.Header().Set("WWW-Authenticate", `Basic realm="Damask"`)
	case code == damask.ETOOLARGE || code == damask.EQUOTA:
		// The rest of the body is not wanted: without this, net/http
		// would read up to 256 KiB of it before answering, and wait for
		// a client that stopped short of its end (RELIABILITY 16).
		w.Header().Set("Connection", "close")
	}
	s.writeErrors(w, r, st, damask.ErrorMessage(err))
}

func (s *Server) writeErrors(w http.ResponseWriter, r *http.Request, status int, msgs ...string) {
	if s.cfg.ErrorPage != nil && len(msgs) > 0 && browserLink(r) {
		s.cfg.ErrorPage(w, r, status, msgs[0])
		return
	}
	b := getBuf()
	defer putBuf(b)
	if info(r).format == formatJSON {
		b.WriteString(`{"errors":[`)
		for i, m := range msgs {
			if i > 0 {
				b.WriteByte(',')
			}
			jsonString(b, m)
		}
		b.WriteString("]}\n")
	} else {
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?>` + "\n<errors>")
		for _, m := range msgs {
			xmlNode(b, str("error", m))
		}
		b.WriteString("</errors>\n")
	}
	s.write(w, r, status, b)
}

// reply answers a document in the request's format.
func (s *Server) reply(w http.ResponseWriter, r *http.Request, status int, doc node) {
	b := getBuf()
	defer putBuf(b)
	if info(r).format == formatJSON {
		writeJSON(b, doc)
	} else {
		writeXML(b, doc)
	}
	s.write(w, r, status, b)
}

// write sends the body with its type, wrapping JSON in the callback of
// ?callback= when the operator allows JSONP.
func (s *Server) write(w http.ResponseWriter, r *http.Request, status int, b *bytes.Buffer) {
	h := w.Header()
	if info(r).format == formatJSON {
		h["Content-Type"] = jsonType
		if cb := r.URL.Query().Get("callback"); cb != "" && s.cfg.JSONP && validCallback(cb) {
			h.Set("Content-Type", "application/javascript; charset=utf-8")
			body := append([]byte("/**/"+cb+"("), bytes.TrimRight(b.Bytes(), "\n")...)
			b.Reset()
			b.Write(append(body, ");\n"...))
		}
	} else {
		h["Content-Type"] = xmlType
	}
	h["Content-Length"] = []string{strconv.Itoa(b.Len())}
	h["Cache-Control"] = noStore
	w.WriteHeader(status)
	if r.Method != http.MethodHead {
		w.Write(b.Bytes())
	}
}

func validCallback(cb string) bool {
	if len(cb) > 64 {
		return false
	}
	for _, c := range cb {
		if !(c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9' || c == '_' || c == '.' || c == '$') {
			return false
		}
	}
	return true
}

var bufs = sync.Pool{New: func() any { return new(bytes.Buffer) }}

func getBuf() *bytes.Buffer { return bufs.Get().(*bytes.Buffer) }

func putBuf(b *bytes.Buffer) {
	if b.Cap() < 1<<20 {
		b.Reset()
		bufs.Put(b)
	}
}

// requestID names a request in the logs and in X-Request-Id: 16
// characters of rand.Text's alphabet from the runtime's generator, which
// costs no system call (the id is no secret: it only has to differ).
func requestID() string {
	const alphabet = "ABCDEFGHIJKLMNOPQRSTUVWXYZ234567"
	var b [16]byte
	x, y := rand.Uint64(), rand.Uint64()
	for i := range 12 {
		b[i] = alphabet[x&31]
		x >>= 5
	}
	for i := 12; i < 16; i++ {
		b[i] = alphabet[y&31]
		y >>= 5
	}
	return string(b[:])
}

// errBadParam is a malformed query parameter.
func errBadParam(name, why string) error {
	return damask.Errorf(damask.EMALFORMED, "Parameter %s %s", name, why)
}
