package web_test

import (
	"crypto/rand"
	"crypto/rsa"
	"encoding/base64"
	"encoding/json"
	"net/http"
	"net/http/httptest"
	"net/url"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/go-jose/go-jose/v4"

	"damask/library"
)

// badOP is a minimal OpenID provider that issues the ID tokens a sound
// provider never would, so that the checks of RELIABILITY 25 meet them:
// a wrong audience or issuer, an expired token, alg none, a signature by
// another key, another nonce. Its authorization endpoint signs everybody
// in at once as ann@example.com.
type badOP struct {
	srv   *httptest.Server
	key   *rsa.PrivateKey
	other *rsa.PrivateKey

	mu     sync.Mutex
	mode   string
	nonces map[string]string // by code
}

func startBadOP(t *testing.T) *badOP {
	t.Helper()
	key, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	other, err := rsa.GenerateKey(rand.Reader, 2048)
	if err != nil {
		t.Fatal(err)
	}
	op := &badOP{key: key, other: other, nonces: map[string]string{}}
	mux := http.NewServeMux()
	mux.HandleFunc("GET /.well-known/openid-configuration", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(map[string]any{
			"issuer":                                op.srv.URL,
			"authorization_endpoint":                op.srv.URL + "/authorize",
			"token_endpoint":                        op.srv.URL + "/token",
			"jwks_uri":                              op.srv.URL + "/keys",
			"response_types_supported":              []string{"code"},
			"subject_types_supported":               []string{"public"},
			"id_token_signing_alg_values_supported": []string{"RS256"},
		})
	})
	mux.HandleFunc("GET /keys", func(w http.ResponseWriter, r *http.Request) {
		json.NewEncoder(w).Encode(jose.JSONWebKeySet{Keys: []jose.JSONWebKey{
			{Key: &key.PublicKey, KeyID: "k1", Algorithm: "RS256", Use: "sig"}}})
	})
	mux.HandleFunc("GET /authorize", func(w http.ResponseWriter, r *http.Request) {
		q := r.URL.Query()
		code := rand.Text()
		op.mu.Lock()
		op.nonces[code] = q.Get("nonce")
		op.mu.Unlock()
		http.Redirect(w, r, q.Get("redirect_uri")+"?"+url.Values{"code": {code}, "state": {q.Get("state")}}.Encode(), http.StatusFound)
	})
	mux.HandleFunc("POST /token", func(w http.ResponseWriter, r *http.Request) {
		r.ParseForm()
		op.mu.Lock()
		nonce, ok := op.nonces[r.PostForm.Get("code")]
		delete(op.nonces, r.PostForm.Get("code"))
		mode := op.mode
		op.mu.Unlock()
		if !ok {
			w.WriteHeader(http.StatusBadRequest)
			json.NewEncoder(w).Encode(map[string]string{"error": "invalid_grant"})
			return
		}
		w.Header().Set("Content-Type", "application/json")
		json.NewEncoder(w).Encode(map[string]any{
			"access_token": "at", "token_type": "Bearer", "expires_in": 300,
			"id_token": op.idToken(t, mode, nonce),
		})
	})
	op.srv = httptest.NewServer(mux)
	t.Cleanup(op.srv.Close)
	return op
}

func (op *badOP) setMode(m string) {
	op.mu.Lock()
	op.mode = m
	op.mu.Unlock()
}

func (op *badOP) idToken(t *testing.T, mode, nonce string) string {
	now := time.Now()
	claims := map[string]any{
		"iss": op.srv.URL, "sub": "ann-1", "aud": "damask", "nonce": nonce,
		"iat": now.Unix(), "exp": now.Add(5 * time.Minute).Unix(),
		"email": "ann@example.com", "email_verified": true,
	}
	key := op.key
	switch mode {
	case "audience":
		claims["aud"] = "another-client"
	case "issuer":
		claims["iss"] = "https://id.evil.example"
	case "expired":
		claims["iat"], claims["exp"] = now.Add(-2*time.Hour).Unix(), now.Add(-time.Hour).Unix()
	case "nonce":
		claims["nonce"] = "another sign-in's nonce"
	case "other key":
		key = op.other
	}
	payload, err := json.Marshal(claims)
	if err != nil {
		t.Error(err)
	}
	if mode == "none" {
		enc := base64.RawURLEncoding.EncodeToString
		return enc([]byte(`{"alg":"none","typ":"JWT"}`)) + "." + enc(payload) + "."
	}
	signer, err := jose.NewSigner(jose.SigningKey{Algorithm: jose.RS256, Key: key},
		(&jose.SignerOptions{}).WithType("JWT").WithHeader("kid", "k1"))
	if err != nil {
		t.Error(err)
	}
	obj, err := signer.Sign(payload)
	if err != nil {
		t.Error(err)
	}
	raw, err := obj.CompactSerialize()
	if err != nil {
		t.Error(err)
	}
	return raw
}

func TestOIDCBadTokens(t *testing.T) {
	e := newEnv(t)
	op := startBadOP(t)
	if err := e.svc.SetOIDC(t.Context(), library.DefaultAccount, library.OIDCSettings{Issuer: op.srv.URL,
		ClientID: "damask", ClientSecret: "x", Domains: []string{"example.com"}}); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		mode    string
		ok      bool
		message string
	}{
		{"good", true, ""},
		{"audience", false, "ID token is not valid"},
		{"issuer", false, "ID token is not valid"},
		{"expired", false, "ID token is not valid"},
		{"none", false, "ID token is not valid"},
		{"other key", false, "ID token is not valid"},
		{"nonce", false, "nonce mismatch"},
	}
	for _, tt := range tests {
		t.Run(tt.mode, func(t *testing.T) {
			op.setMode(tt.mode)
			b := e.browser(t)
			b.c.CheckRedirect = func(req *http.Request, via []*http.Request) error {
				if req.URL.Path == "/auth/oidc/callback" {
					return http.ErrUseLastResponse
				}
				return nil
			}
			start := b.get("/auth/oidc")
			cb := start.header.Get("Location")
			if start.status != http.StatusFound || !strings.HasPrefix(cb, e.srv.URL+"/auth/oidc/callback?") {
				t.Fatalf("begin: status %d, Location %q", start.status, cb)
			}
			b.c.CheckRedirect = func(*http.Request, []*http.Request) error { return http.ErrUseLastResponse }
			res := b.callback(cb)
			if tt.ok {
				if res.status != http.StatusSeeOther || !b.signedIn("ann") {
					t.Fatalf("good token: status %d:\n%s", res.status, res.body)
				}
				return
			}
			if res.status != http.StatusUnauthorized || !strings.Contains(res.body, tt.message) {
				t.Errorf("status %d, want 401 with %q:\n%s", res.status, tt.message, res.body)
			}
			if b.signedIn("ann") {
				t.Error("signed in")
			}
		})
	}
}
