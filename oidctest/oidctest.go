// Package oidctest runs OpenID providers for tests of signing in with
// OpenID Connect: Start runs a real one, the example provider of
// zitadel/oidc, for the whole flow (login page, state, codes used once);
// StartBad runs a minimal one that issues the ID tokens a sound provider
// never would, spoiled as the test asks. Both listen on loopback ports
// over plain HTTP and stop when the test ends.
package oidctest

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httptest"
	"net/url"
	"regexp"
	"slices"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"
	"github.com/zitadel/oidc/v3/example/server/exampleop"
	"github.com/zitadel/oidc/v3/example/server/storage"
	"github.com/zitadel/oidc/v3/pkg/op"
)

// The one client both providers know, and the password of every user of
// the real provider.
const (
	ClientID     = "damask"
	ClientSecret = "damask-secret"
	Password     = "verysecure"
)

// User is a person the real provider signs in, with Password.
type User struct {
	Username      string
	Email         string
	EmailVerified bool
}

// users is the provider's store of people, by ID and by username.
type users map[string]*storage.User

func (u users) GetUserByID(id string) *storage.User { return u[id] }
func (u users) ExampleClientID() string             { return storage.ServiceUserID }
func (u users) GetUserByUsername(name string) *storage.User {
	for _, x := range u {
		if x.Username == name {
			return x
		}
	}
	return nil
}

// Start starts zitadel's example provider with these users and the client
// ClientID, whose only redirect URI is redirectURI, and answers its issuer
// URL. Sign in on its login page with Login.
func Start(t testing.TB, redirectURI string, people ...User) string {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("start the OpenID provider: %v", err)
	}
	issuer := "http://" + ln.Addr().String()
	us := users{}
	for i, p := range people {
		id := fmt.Sprintf("u%d", i+1)
		us[id] = &storage.User{ID: id, Username: p.Username, Password: Password, Email: p.Email, EmailVerified: p.EmailVerified}
	}
	clients := map[string]*storage.Client{ClientID: storage.WebClient(ClientID, ClientSecret, redirectURI)}
	router := exampleop.SetupServer(issuer, storage.NewStorageWithClients(us, clients), nil, false, op.WithAllowInsecure())
	srv := &http.Server{Handler: router}
	go srv.Serve(ln)
	t.Cleanup(func() { srv.Close() })
	return issuer
}

var loginFormID = regexp.MustCompile(`name="id" value="([^"]+)"`)

// Login signs in as username on the real provider's login page, which is
// page (its body is read and closed), with the client c, and answers the
// provider's redirect back to the relying party without following it: c
// must not follow it (its CheckRedirect stops there).
func Login(t testing.TB, c *http.Client, page *http.Response, username string) string {
	t.Helper()
	body, err := io.ReadAll(page.Body)
	page.Body.Close()
	if err != nil {
		t.Fatalf("read the provider's login page: %v", err)
	}
	at := page.Request.URL
	m := loginFormID.FindSubmatch(body)
	if page.StatusCode != http.StatusOK || m == nil {
		t.Fatalf("provider's login page: status %d at %s:\n%s", page.StatusCode, at, body)
	}
	form := url.Values{"id": {string(m[1])}, "username": {username}, "password": {Password}}
	res, err := c.PostForm(at.Scheme+"://"+at.Host+"/login/username", form)
	if err != nil {
		t.Fatalf("sign in on the provider's login page: %v", err)
	}
	body, _ = io.ReadAll(res.Body)
	res.Body.Close()
	loc := res.Header.Get("Location")
	if res.StatusCode != http.StatusFound || loc == "" {
		t.Fatalf("provider's answer to the login: status %d, Location %q:\n%s", res.StatusCode, loc, body)
	}
	return loc
}

// Param answers the parameter key of answer, a provider's redirect back
// to the relying party (its code, its state).
func Param(t testing.TB, answer, key string) string {
	t.Helper()
	u, err := url.Parse(answer)
	if err != nil {
		t.Fatalf("provider's answer %q: %v", answer, err)
	}
	return u.Query().Get(key)
}

// WithParam answers answer with its parameter key set to value, as an
// attacker would tamper with it.
func WithParam(t testing.TB, answer, key, value string) string {
	t.Helper()
	u, err := url.Parse(answer)
	if err != nil {
		t.Fatalf("provider's answer %q: %v", answer, err)
	}
	q := u.Query()
	q.Set(key, value)
	u.RawQuery = q.Encode()
	return u.String()
}

// Mode is how the bad provider spoils the ID tokens it issues.
type Mode string

const (
	Good     Mode = "good"      // a sound token
	Audience Mode = "audience"  // for another client
	Issuer   Mode = "issuer"    // from another issuer
	Expired  Mode = "expired"   // expired an hour ago
	AlgNone  Mode = "alg none"  // unsigned
	OtherKey Mode = "other key" // signed by a key the provider does not publish
	Nonce    Mode = "nonce"     // with the nonce of another sign-in
	NoEmail  Mode = "no email"  // sound, but without the e-mail address: the relying party asks the userinfo endpoint
	// Refuse is no token: the token endpoint refuses the code with an
	// error whose code, description and URI are the text of SetErrorText,
	// as a hostile provider would write them.
	Refuse Mode = "refuse"
)

// Bad is a minimal OpenID provider whose authorization endpoint signs
// everybody in at once, as subject "ann-1" with the verified address
// ann@example.com (which its userinfo endpoint tells too), and whose token
// endpoint answers, once per code, an ID token for ClientID spoiled as its
// mode says. Any client secret will do; it keeps those it was sent.
type Bad struct {
	URL string // the issuer

	srv        *httptest.Server
	key, other *rsa.PrivateKey

	mu        sync.Mutex
	mode      Mode
	nonces    map[string]string // by code
	endpoints map[string]string // discovery fields set by SetEndpoint
	errText   string
	secrets   []string
	requests  map[string]int // by path
}

// StartBad starts a Bad provider in mode Good.
func StartBad(t testing.TB) *Bad {
	t.Helper()
	p := &Bad{mode: Good, nonces: map[string]string{}, endpoints: map[string]string{}, requests: map[string]int{}}
	for _, k := range []**rsa.PrivateKey{&p.key, &p.other} {
		var err error
		if *k, err = rsa.GenerateKey(rand.Reader, 2048); err != nil {
			t.Fatalf("start the bad OpenID provider: %v", err)
		}
	}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		d := map[string]any{
			"issuer": p.URL, "authorization_endpoint": p.URL + "/authorize",
			"token_endpoint": p.URL + "/token", "jwks_uri": p.URL + "/keys", "userinfo_endpoint": p.URL + "/userinfo",
			"response_types_supported": []string{"code"}, "subject_types_supported": []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		}
		p.mu.Lock()
		for k, v := range p.endpoints {
			d[k] = v
		}
		p.mu.Unlock()
		writeJSON(w, http.StatusOK, d)
	})
	mux.HandleFunc("GET /userinfo", func(w http.ResponseWriter, r *http.Request) {
		if r.Header.Get("Authorization") != "Bearer at" {
			writeJSON(w, http.StatusUnauthorized, map[string]string{"error": "invalid_token"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"sub": "ann-1", "email": "ann@example.com", "email_verified": true})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		writeJSON(w, http.StatusOK, jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &p.key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := rand.Text()
		p.mu.Lock()
		p.nonces[code] = q.Get("nonce")
		p.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		code := r.PostForm.Get("code")
		secret := r.PostForm.Get("client_secret")
		if _, pw, ok := r.BasicAuth(); ok {
			secret, _ = url.QueryUnescape(pw)
		}
		p.mu.Lock()
		nonce, ok := p.nonces[code]
		delete(p.nonces, code)
		mode, text := p.mode, p.errText
		p.secrets = append(p.secrets, secret)
		p.mu.Unlock()
		if mode == Refuse {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": text, "error_description": text, "error_uri": text})
			return
		}
		if !ok {
			writeJSON(w, http.StatusBadRequest, map[string]string{"error": "invalid_grant"})
			return
		}
		token, err := p.idToken(mode, nonce)
		if err != nil {
			t.Errorf("bad OpenID provider: %v", err)
			writeJSON(w, http.StatusInternalServerError, map[string]string{"error": "server_error"})
			return
		}
		writeJSON(w, http.StatusOK, map[string]any{"access_token": "at", "token_type": "Bearer", "expires_in": 300,
			"id_token": token})
	})
	p.srv = httptest.NewUnstartedServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p.mu.Lock()
		p.requests[r.URL.Path]++
		p.mu.Unlock()
		mux.ServeHTTP(w, r)
	}))
	// The handlers read URL: it is set before they can run.
	p.URL = "http://" + p.srv.Listener.Addr().String()
	p.srv.Start()
	t.Cleanup(p.srv.Close)
	return p
}

// SetEndpoint makes the discovery document name url as its field
// ("token_endpoint", "jwks_uri", "userinfo_endpoint", ...), as a provider
// pointing the relying party elsewhere would.
func (p *Bad) SetEndpoint(field, url string) {
	p.mu.Lock()
	p.endpoints[field] = url
	p.mu.Unlock()
}

// SetErrorText is the text the token endpoint writes into its error in
// mode Refuse.
func (p *Bad) SetErrorText(s string) {
	p.mu.Lock()
	p.errText = s
	p.mu.Unlock()
}

// Secrets are the client secrets the token endpoint was sent, in order,
// "" for a request that sent none.
func (p *Bad) Secrets() []string {
	p.mu.Lock()
	defer p.mu.Unlock()
	return slices.Clone(p.secrets)
}

// Requests is how many requests the provider had for path.
func (p *Bad) Requests(path string) int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests[path]
}

// SetMode makes the tokens issued from now on spoiled as m says.
func (p *Bad) SetMode(m Mode) {
	p.mu.Lock()
	p.mode = m
	p.mu.Unlock()
}

func (p *Bad) idToken(mode Mode, nonce string) (string, error) {
	now := time.Now()
	claims := map[string]any{"iss": p.URL, "sub": "ann-1", "aud": ClientID, "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(), "email": "ann@example.com", "email_verified": true}
	key := p.key
	switch mode {
	case NoEmail:
		delete(claims, "email")
		delete(claims, "email_verified")
	case Good, AlgNone:
	case Audience:
		claims["aud"] = "another-client"
	case Issuer:
		claims["iss"] = "https://id.evil.example"
	case Expired:
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case Nonce:
		claims["nonce"] = "another sign-in's nonce"
	case OtherKey:
		key = p.other
	default:
		return "", fmt.Errorf("unknown mode %q", mode)
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		return "", fmt.Errorf("encode the claims: %w", err)
	}
	if mode == AlgNone {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + ".", nil
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		return "", fmt.Errorf("make a signer: %w", err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		return "", fmt.Errorf("sign the ID token: %w", err)
	}
	return obj.CompactSerialize()
}

func writeJSON(w http.ResponseWriter, status int, v any) {
	w.Header().Set("Content-Type", "application/json")
	w.WriteHeader(status)
	json.NewEncoder(w).Encode(v)
}
