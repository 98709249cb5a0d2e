package library

import (
	"context"
	"crypto/rand"
	"crypto/subtle"
	"encoding/json"
	"errors"
	"fmt"
	"net/url"
	"regexp"
	"strings"
	"time"

	"github.com/coreos/go-oidc/v3/oidc"
	"golang.org/x/oauth2"

	"damask"
	"damask/password"
)

// OIDCSettings are what the operator sets for an account's provider.
type OIDCSettings struct {
	Issuer       string
	ClientID     string
	ClientSecret string
	Domains      []string
	AutoCreate   string // "", "member", "guest" or "admin"
}

// SetOIDC configures sign-in with an OpenID Connect provider for the
// account (the operator's command). The issuer must be an https URL (http
// only on a loopback address, for tests and local providers); at least one
// e-mail domain is required, since nobody else may sign in.
func (s *Service) SetOIDC(ctx context.Context, account string, o OIDCSettings) error {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return fmt.Errorf("account %s: %w", account, err)
	}
	return s.setOIDC(ctx, operator(a), o, false)
}

// AccountOIDC answers the caller's account's provider settings, without
// the client secret; ENOTFOUND when it has none. The holder may.
func (s *Service) AccountOIDC(ctx context.Context, c Caller) (*damask.OIDCConfig, error) {
	if err := requireRole(c, damask.RoleHolder, "read the sign-in settings"); err != nil {
		return nil, err
	}
	cfg, err := s.store.OIDCConfig(ctx, c.Account.ID)
	if err != nil {
		return nil, err
	}
	cfg.ClientSecret = ""
	return cfg, nil
}

// SetAccountOIDC configures the caller's account's provider, as SetOIDC
// does for the operator; the holder may. An empty ClientSecret keeps the
// one stored, so that a form that never shows the secret can be saved,
// but only for the same issuer: a secret the operator set is never sent
// to another provider, so a new issuer drops it (the client is public,
// PKCE only, until a secret is given with it).
func (s *Service) SetAccountOIDC(ctx context.Context, c Caller, o OIDCSettings) error {
	if err := require(c, damask.RoleHolder, "change the sign-in settings"); err != nil {
		return err
	}
	if c.Token != nil {
		return damask.Errorf(damask.EFORBIDDEN, "Tokens cannot change the sign-in settings")
	}
	dropped := false
	if o.ClientSecret == "" {
		old, err := s.store.OIDCConfig(ctx, c.Account.ID)
		switch {
		case err == nil && old.Issuer == o.Issuer:
			if o.ClientSecret, err = s.openSecret(old); err != nil {
				return err
			}
		case err == nil:
			dropped = old.ClientSecret != ""
		case damask.ErrorCode(err) != damask.ENOTFOUND:
			return fmt.Errorf("oidc config: %w", err)
		}
	}
	return s.setOIDC(ctx, c, o, dropped)
}

// DisableAccountOIDC switches the caller's account's provider off and
// answers the settings it had (ENOTFOUND when it had none); the holder
// may.
func (s *Service) DisableAccountOIDC(ctx context.Context, c Caller) (*damask.OIDCConfig, error) {
	cfg, err := s.AccountOIDC(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := require(c, damask.RoleHolder, "change the sign-in settings"); err != nil {
		return nil, err
	}
	if c.Token != nil {
		return nil, damask.Errorf(damask.EFORBIDDEN, "Tokens cannot change the sign-in settings")
	}
	if err := s.disableOIDC(ctx, c); err != nil {
		return nil, err
	}
	return cfg, nil
}

// setOIDC checks and stores the settings. The provider is asked for its
// discovery document now, through the outgoing client, so that an issuer
// or an endpoint the server may not call is refused when it is set, with
// the reason; dropped tells the audit log that a new issuer dropped the
// stored client secret.
func (s *Service) setOIDC(ctx context.Context, c Caller, o OIDCSettings, dropped bool) error {
	a := c.Account
	u, err := url.Parse(o.Issuer)
	if err != nil || u.Host == "" || u.RawQuery != "" || u.Fragment != "" ||
		!(u.Scheme == "https" || u.Scheme == "http" && isLoopback(u.Hostname())) {
		return damask.Errorf(damask.EINVALID, "Issuer must be an https URL (http only on a loopback address)")
	}
	if strings.TrimSpace(o.ClientID) == "" {
		return damask.Errorf(damask.EINVALID, "Client id is required")
	}
	var domains []string
	for _, d := range o.Domains {
		d = strings.ToLower(strings.TrimSpace(d))
		if d == "" {
			continue
		}
		if !domainRE.MatchString(d) {
			return damask.Errorf(damask.EINVALID, "Domain %q is invalid", d)
		}
		domains = append(domains, d)
	}
	if len(domains) == 0 {
		return damask.Errorf(damask.EINVALID, "At least one allowed e-mail domain is required")
	}
	var role damask.Role
	switch o.AutoCreate {
	case "":
	case string(damask.RoleMember), string(damask.RoleGuest), string(damask.RoleAdmin):
		role = damask.Role(o.AutoCreate)
	default:
		return damask.Errorf(damask.EINVALID, "Auto-create role must be member, guest or admin")
	}
	secret, err := s.sealSecret(a.ID, o.ClientSecret)
	if err != nil {
		return err
	}
	if _, err := s.discover(ctx, o.Issuer); err != nil {
		return err
	}
	cfg := &damask.OIDCConfig{AccountID: a.ID, Issuer: o.Issuer, ClientID: o.ClientID,
		ClientSecret: secret, Domains: domains, AutoCreate: role}
	if err := s.store.SetOIDCConfig(ctx, cfg); err != nil {
		return fmt.Errorf("set oidc of %s: %w", a.Name, err)
	}
	s.oidc.forget(a.ID)
	detail := fmt.Sprintf("OpenID Connect on: issuer %s, domains %s", o.Issuer, strings.Join(domains, ","))
	if role != "" {
		detail += ", auto-create " + string(role)
	}
	if dropped {
		detail += ", client secret dropped (a new issuer needs its own)"
	}
	s.record(ctx, c, damask.AuditAccountChange, "account "+a.Name, detail)
	return nil
}

// DisableOIDC switches sign-in with a provider off for the account.
func (s *Service) DisableOIDC(ctx context.Context, account string) error {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return fmt.Errorf("account %s: %w", account, err)
	}
	return s.disableOIDC(ctx, operator(a))
}

func (s *Service) disableOIDC(ctx context.Context, c Caller) error {
	if err := s.store.DeleteOIDCConfig(ctx, c.Account.ID); err != nil {
		return fmt.Errorf("disable oidc of %s: %w", c.Account.Name, err)
	}
	s.oidc.forget(c.Account.ID)
	s.record(ctx, c, damask.AuditAccountChange, "account "+c.Account.Name, "OpenID Connect off")
	return nil
}

// OIDCName is the name of the account's provider, for a "Sign in with"
// button (the issuer's host), or "" when the account has none.
func (s *Service) OIDCName(ctx context.Context, a *damask.Account) (string, error) {
	c, err := s.store.OIDCConfig(ctx, a.ID)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return "", nil
	}
	if err != nil {
		return "", fmt.Errorf("oidc config: %w", err)
	}
	u, err := url.Parse(c.Issuer)
	if err != nil {
		return c.Issuer, nil
	}
	return u.Host, nil
}

// BeginOIDC starts a sign-in with the account's provider: it answers the
// provider's URL to send the browser to, and the sign-in under way (its
// state, nonce, PKCE verifier, callback URL and expiry), sealed under the
// server's key, for the browser to keep in a cookie and bring back to
// FinishOIDC. The server keeps nothing: sign-ins started by the thousand
// fill no table.
func (s *Service) BeginOIDC(ctx context.Context, a *damask.Account, redirectURL string) (authURL, signIn string, err error) {
	c, p, err := s.oidcProvider(ctx, a)
	if err != nil {
		return "", "", err
	}
	l := oidcSignIn{
		State:       newWebSecret(),
		Nonce:       newWebSecret(),
		Verifier:    oauth2.GenerateVerifier(),
		RedirectURL: redirectURL,
		Expires:     s.now().Add(damask.OIDCLoginLifetime).Unix(),
	}
	b, err := json.Marshal(l)
	if err != nil {
		return "", "", fmt.Errorf("begin oidc: %w", err)
	}
	conf := oauthConfig(c, p, redirectURL)
	authURL = conf.AuthCodeURL(l.State, oidc.Nonce(l.Nonce), oauth2.S256ChallengeOption(l.Verifier))
	return authURL, s.signIns.Seal(string(b), signInContext(a.ID)), nil
}

// oidcSignIn is a sign-in under way at a provider: what the callback
// needs to check the provider's answer. The browser keeps it, sealed.
type oidcSignIn struct {
	State       string `json:"s"`
	Nonce       string `json:"n"`
	Verifier    string `json:"v"` // the PKCE code verifier
	RedirectURL string `json:"r"`
	Expires     int64  `json:"e"` // Unix seconds
}

// signInContext binds a sealed sign-in to its account: one begun at
// another account opens not.
func signInContext(accountID int64) string {
	return fmt.Sprintf("damask oidc sign-in\x00account %d", accountID)
}

// OIDCAnswer is what a browser brings back from the provider: the sealed
// sign-in of its cookie, and the callback's parameters.
type OIDCAnswer struct {
	SignIn string // what BeginOIDC answered, "" when the browser lacks it
	State  string
	Code   string
	// Error is the provider's error code, when it did not sign the
	// user in. Anyone can write one into a link: it is never shown,
	// only mapped to a fixed message.
	Error string
}

// FinishOIDC completes a sign-in with the provider: the browser's sealed
// sign-in must be this account's and unexpired (the cookie holding it is
// cleared at the callback, and the provider takes its code once, bound
// to the sign-in's PKCE verifier), the state must be its state, the code
// is exchanged with its verifier, and the ID token must be signed by the
// provider for this client, unexpired, and carry its nonce. The verified
// e-mail address must be of an allowed domain and belong to an enabled
// user of the account, who is created with the configured role when
// auto-create is on. It then starts a session as SignIn does. Every
// refusal is EUNAUTHORIZED or EFORBIDDEN with a fixed message fit for the
// page (nothing the provider or the link said, beyond a known error code
// and the e-mail address of a signed ID token), is written to the audit
// log and counts in the throttle of failed sign-ins (per source address,
// and per e-mail address once the provider told it); past its limit the
// answer is ETHROTTLED with the wait.
func (s *Service) FinishOIDC(ctx context.Context, a *damask.Account, ans OIDCAnswer, cl Client) (*damask.User, string, error) {
	// Refused sign-ins count in the throttle of password sign-ins: per
	// source address, and per e-mail address once the provider told it.
	if err := s.throttleCheck(ctx, a.ID, signIns, "", cl.Source); err != nil {
		return nil, "", err
	}
	u, email, err := s.finishOIDC(ctx, a, ans, cl)
	if err != nil {
		var de *damask.Error
		if errors.As(err, &de) && (de.Code == damask.EUNAUTHORIZED || de.Code == damask.EFORBIDDEN) {
			// The cause may hold what an outside server answered: the
			// operator's log gets it, the account's audit log never.
			if de.Err != nil {
				s.log.Info("OpenID Connect sign-in refused", "account", a.Name, "source", cl.Source,
					"reason", de.Message, "cause", truncateRunes(de.Err.Error(), 300))
			}
			s.record(ctx, Caller{Account: a, Source: cl.Source}, damask.AuditSignInFailed, "", "OpenID Connect: "+de.Message)
			if wait, terr := s.throttleFail(ctx, a.ID, signIns, oidcLogin(email), cl.Source); terr != nil {
				return nil, "", terr
			} else if wait > 0 {
				return nil, "", throttled(wait)
			}
		}
		return nil, "", err
	}
	secret, err := s.startSession(ctx, a, u, "oidc", cl)
	if err != nil {
		return nil, "", err
	}
	return u, secret, nil
}

// oidcLogin is the throttle's name for an e-mail address told by a
// provider: apart from the logins of password sign-ins, and none ("") while
// the provider has told none.
func oidcLogin(email string) string {
	if email == "" {
		return ""
	}
	return "oidc\x00" + email
}

// finishOIDC answers the user, or why not; and the e-mail address the
// provider told, if it got that far, for the throttle and the audit log.
func (s *Service) finishOIDC(ctx context.Context, a *damask.Account, ans OIDCAnswer, cl Client) (_ *damask.User, email string, err error) {
	refuse := func(msg string, cause error) error {
		return &damask.Error{Code: damask.EUNAUTHORIZED, Message: msg, Err: cause}
	}
	if ans.Error != "" {
		return nil, "", refuse(providerRefusal(ans.Error), nil)
	}
	if ans.SignIn == "" {
		return nil, "", refuse("This sign-in was not started in this browser, or it expired; please start again", nil)
	}
	var l oidcSignIn
	plain, err := s.signIns.Open(ans.SignIn, signInContext(a.ID))
	if err == nil {
		err = json.Unmarshal([]byte(plain), &l)
	}
	if err != nil {
		return nil, "", refuse("This sign-in was not started here, or it expired; please start again", nil)
	}
	if !s.now().Before(time.Unix(l.Expires, 0)) {
		return nil, "", refuse("This sign-in expired; please start again", nil)
	}
	if subtle.ConstantTimeCompare([]byte(ans.State), []byte(l.State)) != 1 {
		return nil, "", refuse("The provider's answer does not belong to this sign-in (state mismatch)", nil)
	}
	if ans.Code == "" {
		return nil, "", refuse("The provider sent no authorization code", nil)
	}
	c, p, err := s.oidcProvider(ctx, a)
	if err != nil {
		return nil, "", err
	}
	ctx, cancel := context.WithTimeout(s.oidcCtx(ctx), oidcTimeout)
	defer cancel()
	tok, err := oauthConfig(c, p, l.RedirectURL).Exchange(ctx, ans.Code, oauth2.VerifierOption(l.Verifier))
	if err != nil {
		return nil, "", refuse("The provider refused the authorization code", err)
	}
	raw, _ := tok.Extra("id_token").(string)
	if raw == "" {
		return nil, "", refuse("The provider sent no ID token", nil)
	}
	// Verify checks the signature against the provider's keys (refusing
	// alg none), the issuer, the audience and the expiry.
	idt, err := p.Verifier(&oidc.Config{ClientID: c.ClientID}).Verify(ctx, raw)
	if err != nil {
		return nil, "", refuse("The provider's ID token is not valid", err)
	}
	if subtle.ConstantTimeCompare([]byte(idt.Nonce), []byte(l.Nonce)) != 1 {
		return nil, "", refuse("The provider's ID token does not belong to this sign-in (nonce mismatch)", nil)
	}
	email, verified, err := oidcEmail(ctx, p, tok, idt)
	if err != nil {
		return nil, "", refuse("The provider did not tell the e-mail address", err)
	}
	if email == "" || !verified {
		return nil, email, refuse("The provider has not verified your e-mail address", nil)
	}
	if err := s.throttleCheck(ctx, a.ID, signIns, oidcLogin(email), cl.Source); err != nil {
		return nil, email, err
	}
	_, domain, _ := strings.Cut(strings.ToLower(email), "@")
	allowed := false
	for _, d := range c.Domains {
		allowed = allowed || d == domain
	}
	if !allowed {
		return nil, email, &damask.Error{Code: damask.EFORBIDDEN, Message: fmt.Sprintf("Addresses at %s may not sign in to this library", domain)}
	}
	u, err := s.store.UserByLogin(ctx, a.ID, email)
	switch {
	case err == nil && strings.EqualFold(u.Email, email):
		if u.Disabled {
			return nil, email, &damask.Error{Code: damask.EFORBIDDEN, Message: "Your user is disabled"}
		}
		return u, email, nil
	case err != nil && damask.ErrorCode(err) != damask.ENOTFOUND:
		return nil, email, fmt.Errorf("finish oidc: %w", err)
	}
	if c.AutoCreate == "" {
		return nil, email, &damask.Error{Code: damask.EFORBIDDEN, Message: fmt.Sprintf("No user of this library has the address %s; ask an admin to add you", email)}
	}
	u, err = s.autoCreate(ctx, a, email, c.AutoCreate, cl)
	return u, email, err
}

// autoCreate adds a user for a verified e-mail address, with a login made
// from the address and a random password nobody knows.
func (s *Service) autoCreate(ctx context.Context, a *damask.Account, email string, role damask.Role, cl Client) (*damask.User, error) {
	if !s.Plan(a).MultipleUsers {
		return nil, &damask.Error{Code: damask.EFORBIDDEN, Message: fmt.Sprintf("The %s plan does not include multiple users", a.Plan)}
	}
	email, err := validEmail(email)
	if err != nil {
		return nil, &damask.Error{Code: damask.EFORBIDDEN, Message: "Your e-mail address cannot be used here", Err: err}
	}
	hash, err := password.Hash(rand.Text(), s.pwParams)
	if err != nil {
		return nil, err
	}
	local, _, _ := strings.Cut(email, "@")
	base := strings.Trim(loginChars.ReplaceAllString(local, "-"), "-._")
	if base == "" {
		base = "user"
	}
	base = truncateRunes(base, maxLogin-4)
	for i := 1; i <= 20; i++ {
		login := base
		if i > 1 {
			login = fmt.Sprintf("%s-%d", base, i)
		}
		u := &damask.User{AccountID: a.ID, Login: login, Email: email, Role: role, PasswordHash: hash}
		err := s.store.CreateUser(ctx, u)
		if err == nil {
			s.record(ctx, Caller{Account: a, Source: cl.Source}, damask.AuditUserCreated, userTarget(u),
				"role "+string(role)+", at OpenID Connect sign-in")
			return u, nil
		}
		if damask.ErrorCode(err) != damask.EINVALID || !strings.HasPrefix(damask.ErrorMessage(err), "Login") {
			return nil, fmt.Errorf("auto-create user: %w", err)
		}
	}
	return nil, &damask.Error{Code: damask.EFORBIDDEN, Message: "No free login could be made from your e-mail address; ask an admin to add you"}
}

// providerRefusal is the fixed message for an error code a provider sent
// back instead of a code (RFC 6749 4.1.2.1, OpenID Connect Core 3.1.2.6).
// The code, its error_description and its error_uri may be anyone's text
// in a link sent to a victim: only a known code is named, by our words.
func providerRefusal(code string) string {
	switch code {
	case "access_denied":
		return "The provider did not sign you in: you, or the provider, declined (access_denied)"
	case "login_required", "interaction_required", "consent_required", "account_selection_required":
		return "The provider needs you to sign in there first (" + code + "); please start again"
	case "temporarily_unavailable", "server_error":
		return "The provider could not sign you in just now (" + code + "); please try again later"
	case "invalid_request", "unauthorized_client", "unsupported_response_type", "invalid_scope",
		"invalid_request_uri", "invalid_request_object", "request_not_supported",
		"request_uri_not_supported", "registration_not_supported":
		return "The provider refused this library's sign-in request (" + code + "); ask an admin to check the sign-in settings"
	}
	return "The provider did not sign you in"
}

var (
	loginChars = regexp.MustCompile(`[^A-Za-z0-9._-]+`)
	domainRE   = regexp.MustCompile(`^[a-z0-9]([a-z0-9-]*[a-z0-9])?(\.[a-z0-9]([a-z0-9-]*[a-z0-9])?)+$`)
)

// oidcEmail reads the e-mail address and whether the provider verified
// it, from the ID token or, when it lacks them, the userinfo endpoint of
// the same subject. Some providers send email_verified as a string.
func oidcEmail(ctx context.Context, p *oidc.Provider, tok *oauth2.Token, idt *oidc.IDToken) (string, bool, error) {
	var claims struct {
		Email    string          `json:"email"`
		Verified json.RawMessage `json:"email_verified"`
	}
	if err := idt.Claims(&claims); err != nil {
		return "", false, err
	}
	if claims.Email == "" {
		ui, err := p.UserInfo(ctx, oauth2.StaticTokenSource(tok))
		if err != nil {
			return "", false, err
		}
		if ui.Subject != idt.Subject {
			return "", false, fmt.Errorf("userinfo of subject %q, ID token of %q", ui.Subject, idt.Subject)
		}
		claims.Email, claims.Verified = "", nil
		if err := ui.Claims(&claims); err != nil {
			return "", false, err
		}
	}
	v := strings.Trim(string(claims.Verified), `"`)
	return claims.Email, v == "true", nil
}

// oidcProvider answers the account's settings and its provider, found by
// discovery and kept for an hour; EUNAUTHORIZED when the provider cannot
// be used now.
func (s *Service) oidcProvider(ctx context.Context, a *damask.Account) (*damask.OIDCConfig, *oidc.Provider, error) {
	c, err := s.store.OIDCConfig(ctx, a.ID)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return nil, nil, damask.Errorf(damask.ENOTFOUND, "This library has no single sign-on")
	}
	if err != nil {
		return nil, nil, fmt.Errorf("oidc config: %w", err)
	}
	if c.ClientSecret, err = s.openSecret(c); err != nil {
		return nil, nil, err
	}
	p, err := s.oidc.get(ctx, a.ID, c.Issuer, s.now(), s.discover)
	if err != nil {
		// The provider's settings were good when saved; now it is down,
		// or its document changed to name what the server may not call.
		return nil, nil, &damask.Error{Code: damask.EUNAUTHORIZED, Err: err,
			Message: "The provider cannot be used just now; please try again later, or ask an admin to check the sign-in settings"}
	}
	return c, p, nil
}

func oauthConfig(c *damask.OIDCConfig, p *oidc.Provider, redirectURL string) *oauth2.Config {
	return &oauth2.Config{
		ClientID:     c.ClientID,
		ClientSecret: c.ClientSecret,
		Endpoint:     p.Endpoint(),
		RedirectURL:  redirectURL,
		Scopes:       []string{oidc.ScopeOpenID, "email", "profile"},
	}
}
