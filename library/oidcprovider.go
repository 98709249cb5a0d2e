package library

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"net"
	"net/url"
	"strings"
	"sync"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"

	"damask"
	"damask/outbound"
)

// An account's provider is found by discovery, through the outgoing
// client (package outbound), which refuses the server's own network: the
// issuer and every endpoint the discovery document names are checked when
// the settings are saved and each time the document is read again, and
// every connection is checked when it is made. Nothing the provider
// answers reaches the tenant: the messages here are fixed, and name the
// issuer only, which the tenant chose.

// oidcTimeout bounds one exchange with a provider.
const oidcTimeout = 15 * time.Second

// Discovered providers are kept an hour; a discovery that failed is not
// tried again for a minute, so that sign-in starts sent by the thousand
// make one request to the provider a minute, not one each.
const (
	providerTTL       = time.Hour
	providerFailedTTL = time.Minute
)

// oidcCtx is ctx with the outgoing client as the HTTP client of go-oidc
// and oauth2, which both read it from the context: every fetch they make
// (discovery, keys, token, userinfo) goes through it.
func (s *Service) oidcCtx(ctx context.Context) context.Context {
	return oidc.ClientContext(ctx, s.out.HTTP())
}

// discovery is the part of a discovery document Damask uses.
type discovery struct {
	Issuer     string   `json:"issuer"`
	AuthURL    string   `json:"authorization_endpoint"`
	TokenURL   string   `json:"token_endpoint"`
	JWKSURL    string   `json:"jwks_uri"`
	UserInfo   string   `json:"userinfo_endpoint"`
	Algorithms []string `json:"id_token_signing_alg_values_supported"`
}

// signingAlgs are the ID token signatures go-oidc checks; a provider's
// others (none, HS256) are dropped, as oidc.NewProvider drops them.
var signingAlgs = map[string]bool{oidc.RS256: true, oidc.RS384: true, oidc.RS512: true, oidc.ES256: true,
	oidc.ES384: true, oidc.ES512: true, oidc.PS256: true, oidc.PS384: true, oidc.PS512: true, oidc.EdDSA: true}

// discover reads the issuer's discovery document and checks it: it must
// name this issuer, and each endpoint must be a URL the server may call.
// Its errors are EINVALID with a fixed message; the cause is for logs.
func (s *Service) discover(ctx context.Context, issuer string) (*oidc.Provider, error) {
	ctx, cancel := context.WithTimeout(ctx, oidcTimeout)
	defer cancel()
	if err := s.checkProviderURL(ctx, "The issuer", issuer); err != nil {
		return nil, err
	}
	b, err := s.out.Get(ctx, strings.TrimSuffix(issuer, "/")+"/.well-known/openid-configuration")
	if err != nil {
		return nil, providerError("The provider's discovery document", err)
	}
	var d discovery
	if err := json.Unmarshal(b, &d); err != nil {
		return nil, &damask.Error{Code: damask.EINVALID, Err: err,
			Message: "The provider's discovery document is not a valid OpenID Connect discovery document"}
	}
	if d.Issuer != issuer {
		return nil, damask.Errorf(damask.EINVALID, "The provider's discovery document names another issuer than %s (it must match exactly, trailing slash included)", issuer)
	}
	for _, e := range []struct {
		name, url string
		optional  bool
	}{
		{"authorization endpoint", d.AuthURL, false},
		{"token endpoint", d.TokenURL, false},
		{"key set (jwks_uri)", d.JWKSURL, false},
		{"userinfo endpoint", d.UserInfo, true},
	} {
		if e.url == "" && e.optional {
			continue
		}
		if err := s.checkProviderURL(ctx, "The provider's "+e.name, e.url); err != nil {
			return nil, err
		}
	}
	var algs []string
	for _, a := range d.Algorithms {
		if signingAlgs[a] {
			algs = append(algs, a)
		}
	}
	pc := &oidc.ProviderConfig{IssuerURL: d.Issuer, AuthURL: d.AuthURL, TokenURL: d.TokenURL,
		JWKSURL: d.JWKSURL, UserInfoURL: d.UserInfo, Algorithms: algs}
	// The provider keeps the client of this context for the keys it
	// fetches later.
	return pc.NewProvider(s.oidcCtx(context.Background())), nil
}

// checkProviderURL checks a URL of the provider, named what in messages:
// https, or http to a loopback address (a provider on the operator's own
// machine, which --allow-outgoing must allow too); a host whose every
// address the server may call.
func (s *Service) checkProviderURL(ctx context.Context, what, raw string) error {
	u, err := url.Parse(raw)
	if err != nil || u.Host == "" || u.User != nil || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
		return damask.Errorf(damask.EINVALID, "%s must be an https URL (http only on a loopback address)", what)
	}
	if err := s.out.Check(ctx, raw); err != nil {
		return providerError(what, err)
	}
	return nil
}

// providerError is the fixed message of a failed exchange with what; the
// outside server's answer never goes into it.
func providerError(what string, err error) error {
	var msg string
	var oe *outbound.Error
	errors.As(err, &oe)
	switch outbound.KindOf(err) {
	case outbound.Refused:
		msg = what + " is at an address this server may not call (loopback, private, link-local, metadata or reserved; the operator can allow a range with --allow-outgoing)"
	case outbound.Redirect:
		msg = what + " answered with a redirect, which this server does not follow"
	case outbound.Status:
		msg = fmt.Sprintf("%s answered HTTP %d", what, oe.Status)
	case outbound.TooLarge:
		msg = fmt.Sprintf("%s answered more than %d KiB", what, outbound.DefaultMaxBody>>10)
	case outbound.Timeout:
		msg = what + " did not answer in time"
	case outbound.BadURL:
		msg = what + " is not an http or https URL"
	default:
		msg = what + " cannot be reached"
	}
	return &damask.Error{Code: damask.EINVALID, Message: msg, Err: err}
}

func isLoopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip := net.ParseIP(host)
	return ip != nil && ip.IsLoopback()
}

// providers keeps discovered providers by account, for providerTTL (a
// failure for providerFailedTTL). One discovery at a time runs for an
// account: the requests that need it meanwhile wait for its outcome.
type providers struct {
	mu sync.Mutex
	m  map[int64]*providerEntry
}

type providerEntry struct {
	issuer string
	done   chan struct{} // closed once p or err is set
	p      *oidc.Provider
	err    error
	found  time.Time
}

// fresh tells whether a finished discovery may still serve at now.
func (e *providerEntry) fresh(now time.Time) bool {
	ttl := providerTTL
	if e.err != nil {
		ttl = providerFailedTTL
	}
	age := now.Sub(e.found)
	return age >= 0 && age < ttl
}

func newProviders() *providers { return &providers{m: make(map[int64]*providerEntry)} }

// get answers the account's provider for issuer, running discover when
// none is kept.
func (ps *providers) get(ctx context.Context, account int64, issuer string, now time.Time,
	discover func(context.Context, string) (*oidc.Provider, error)) (*oidc.Provider, error) {
	ps.mu.Lock()
	e := ps.m[account]
	fresh := e != nil && e.issuer == issuer
	if fresh {
		select {
		case <-e.done:
			fresh = e.fresh(now)
		default: // under way
		}
	}
	if !fresh {
		e = &providerEntry{issuer: issuer, done: make(chan struct{})}
		ps.m[account] = e
		ps.mu.Unlock()
		// The discovery serves every request that waits for it: the
		// first one's going away must not fail the others.
		e.p, e.err = discover(context.WithoutCancel(ctx), issuer)
		e.found = now
		close(e.done)
		return e.p, e.err
	}
	ps.mu.Unlock()
	select {
	case <-e.done:
		return e.p, e.err
	case <-ctx.Done():
		return nil, ctx.Err()
	}
}

// forget drops the account's provider, after its settings changed.
func (ps *providers) forget(account int64) {
	ps.mu.Lock()
	delete(ps.m, account)
	ps.mu.Unlock()
}
