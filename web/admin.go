package web

import (
	"bytes"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
	"net/url"
	"regexp"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/httpdomain"
	"damask/library"
)

// ---- trash

type trashData struct {
	Assets   []tile
	Total    int
	CanEmpty bool
}

func (s *Server) trash(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	as, n, err := s.svc.TrashedAssets(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	d := trashData{Total: n, CanEmpty: c.User.Role.AtLeast(damask.RoleAdmin)}
	for _, a := range as {
		d.Assets = append(d.Assets, newTileIn("/trash", c, a))
	}
	s.render(w, r, c, csrf, "trash", s.tr(r, "Trash"), d)
}

func (s *Server) restore(r *http.Request, c library.Caller, id int64) (string, string, error) {
	if err := s.svc.RestoreAsset(r.Context(), c, id); err != nil {
		return "", "", err
	}
	return "/trash", s.tr(r, "The asset was restored to the library."), nil
}

// emptyTrash deletes the trashed assets for good, once confirmed on a
// page of its own.
func (s *Server) emptyTrash(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	if !c.User.Role.AtLeast(damask.RoleAdmin) {
		s.fail(w, r, damask.Errorf(damask.EFORBIDDEN, "Only the holder and admins may empty the trash"))
		return
	}
	if !s.confirmed(w, r, r.PostForm.Get("csrf"), confirmData{Heading: s.tr(r, "Empty the trash?"),
		Message: s.tr(r, "Every asset in the trash, with all its versions, is deleted for good. This cannot be undone."),
		Action:  "/trash/empty", Button: s.tr(r, "Empty the trash for good"), Cancel: "/trash"}) {
		return
	}
	n, err := s.svc.EmptyAccountTrash(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/trash", flash{Message: s.trn(r, n, "The trash was emptied: %d asset deleted for good.", "The trash was emptied: %d assets deleted for good.")})
}

// ---- account

type accountData struct {
	Account *damask.Account
	Stats   damask.AccountStats
	Plan    damask.Plan
}

// holderOnly refuses every role but the holder: the account's page is
// the holder's, as fluxiom's Account -> API was.
func holderOnly(c library.Caller) error {
	if c.User.Role != damask.RoleHolder {
		return damask.Errorf(damask.EFORBIDDEN, "Only the account holder may see the account's page")
	}
	return nil
}

func (s *Server) account(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showAccount(w, r, c, csrf, http.StatusOK, form{})
}

// showAccount renders the account's page, with f when a form on it came
// back.
func (s *Server) showAccount(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	if err := holderOnly(c); err != nil {
		s.fail(w, r, err)
		return
	}
	a, st, err := s.svc.Account(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderForm(w, r, c, csrf, status, f, "account", s.tr(r, "Account"), accountData{Account: a, Stats: st, Plan: s.svc.Plan(a)})
}

// brandingLabels are the first words of the messages about the
// branding's fields, and the fields of its form.
var brandingLabels = map[string]string{"Title": "title", "Font colour": "font_color", "Font color": "font_color",
	"Top colour": "top_color", "Top color": "top_color", "Bottom colour": "bottom_color", "Bottom color": "bottom_color",
	"The logo": "logo", "Send one logo": "logo"}

// switchAPI turns the API on, once the holder agrees to the API terms,
// or off.
func (s *Server) switchAPI(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	on := r.PostForm.Get("api") == "on"
	if on && r.PostForm.Get("agree") != "yes" {
		err := damask.Errorf(damask.EINVALID, "Agree to the API terms to switch the API on")
		s.showAccount(w, r, c, r.PostForm.Get("csrf"), formStatus(err), form{Errors: map[string]string{"agree": damask.ErrorMessage(err)}})
		return
	}
	if _, _, err := s.svc.UpdateAccount(r.Context(), c, library.AccountChanges{APIEnabled: &on}); err != nil {
		s.fail(w, r, err)
		return
	}
	msg := s.tr(r, "The API is switched off.")
	if on {
		msg = s.tr(r, "The API is switched on.")
	}
	s.redirect(w, r, "/account#api", flash{Message: msg})
}

// switchSharing sets the account's two ways of sharing without
// credentials, each a checkbox of one form: public links (public_url) and
// public thumbnails (the capability URLs of thumb_url and preview_url).
func (s *Server) switchSharing(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	links, thumbs := r.PostForm.Get("public_links") == "on", r.PostForm.Get("public_thumbnails") == "on"
	if _, _, err := s.svc.UpdateAccount(r.Context(), c, library.AccountChanges{PublicLinks: &links, PublicThumbnails: &thumbs}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account#sharing", flash{Message: s.tr(r, "The sharing settings were saved.")})
}

// ---- people

type peopleData struct {
	Users      []*damask.User
	Total      int
	Audit      []auditRow
	CanCreate  bool
	Roles      []string
	AuditTotal int
}

type auditRow struct {
	*damask.AuditEvent
	Who string
}

func adminOnly(c library.Caller) error {
	if !c.User.Role.AtLeast(damask.RoleAdmin) {
		return damask.Errorf(damask.EFORBIDDEN, "Only the holder and admins may see the people of the account")
	}
	return nil
}

func (s *Server) people(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showPeople(w, r, c, csrf, http.StatusOK, form{})
}

// userLabels are the first words of the messages about a user's fields,
// and the fields of the form that adds one.
var userLabels = map[string]string{"Login": "login", "Email": "email", "Password": "password",
	"Role": "role", "First name": "first_name", "Last name": "last_name"}

// showPeople renders the people's page, with f when a form on it came
// back.
func (s *Server) showPeople(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	if err := adminOnly(c); err != nil {
		s.fail(w, r, err)
		return
	}
	us, n, err := s.svc.Users(r.Context(), c, damask.Page{Number: 1, Size: 500})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	es, en, err := s.svc.Audit(r.Context(), c, damask.Page{Number: 1, Size: 100})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	logins := map[int64]string{}
	for _, u := range us {
		logins[u.ID] = u.Login
	}
	d := peopleData{Users: us, Total: n, AuditTotal: en, CanCreate: s.svc.Plan(c.Account).MultipleUsers,
		Roles: []string{string(damask.RoleGuest), string(damask.RoleMember), string(damask.RoleAdmin)}}
	for _, e := range es {
		who := logins[e.UserID]
		if e.UserID == 0 {
			who = "—"
		} else if who == "" {
			who = "user " + strconv.FormatInt(e.UserID, 10)
		}
		d.Audit = append(d.Audit, auditRow{e, who})
	}
	s.renderForm(w, r, c, csrf, status, f, "people", s.tr(r, "People"), d)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	login, email, role, pass := f.Get("login"), f.Get("email"), f.Get("role"), f.Get("password")
	first, last := f.Get("first_name"), f.Get("last_name")
	_, _, err := s.svc.CreateUser(r.Context(), c, library.UserChanges{Login: &login, Email: &email,
		Role: &role, Password: &pass, FirstName: &first, LastName: &last}, damask.IdempotencyKey{})
	switch {
	case err == nil:
		s.redirect(w, r, "/people", flash{Message: s.tr(r, "%s was added as %s.", login, s.lang(r).Msg(role))})
	case formError(err):
		// What was typed comes back, but the password.
		s.showPeople(w, r, c, f.Get("csrf"), formStatus(err), failedForm(err, url.Values{"login": {login}, "email": {email},
			"role": {role}, "first_name": {first}, "last_name": {last}}, userLabels))
	default:
		s.fail(w, r, err)
	}
}

// updateUser changes a user's role, disables or enables the user, or
// limits a guest to collections. A refused limit comes back on the
// people's page with the ids typed by that guest's field.
func (s *Server) updateUser(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	var ch library.UserChanges
	switch f := r.PostForm; {
	case f.Has("role"):
		role := f.Get("role")
		ch.Role = &role
	case f.Has("disabled"):
		off := f.Get("disabled") == "1"
		ch.Disabled = &off
	case f.Has("collection_ids"):
		ids := f.Get("collection_ids")
		ch.CollectionIDs = &ids
	default:
		s.fail(w, r, damask.Errorf(damask.EMALFORMED, "Nothing to change"))
		return
	}
	u, err := s.svc.UpdateUser(r.Context(), c, id, ch)
	switch {
	case err == nil:
		s.redirect(w, r, "/people", flash{Message: userChanged(s.lang(r), u, ch)})
	case ch.CollectionIDs != nil && formError(err):
		field := "cols-" + strconv.FormatInt(id, 10)
		s.showPeople(w, r, c, r.PostForm.Get("csrf"), formStatus(err), form{
			Values: url.Values{field: {*ch.CollectionIDs}},
			Errors: map[string]string{field: damask.ErrorMessage(err)}})
	default:
		s.fail(w, r, err)
	}
}

// userChanged says what a change to u did.
func userChanged(l *language, u *damask.User, ch library.UserChanges) string {
	switch {
	case ch.Disabled != nil && *ch.Disabled:
		return l.T("%s is switched off and signed out.", u.Login)
	case ch.Disabled != nil:
		return l.T("%s may sign in again.", u.Login)
	case ch.CollectionIDs != nil && u.CollectionsOnly:
		return l.N(len(u.CollectionIDs), "%[2]s now sees only the assets of %[1]d collection (%[3]s).",
			"%[2]s now sees only the assets of %[1]d collections (%[3]s).", u.Login, joinIDs(u.CollectionIDs))
	case ch.CollectionIDs != nil:
		return l.T("%s now sees the whole library.", u.Login)
	}
	return l.T("%s is now %s.", u.Login, l.Msg(string(u.Role)))
}

// ---- tokens

type tokensData struct {
	Tokens []*damask.Token
	Secret string // a new token's secret, shown this once
}

func (s *Server) tokens(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	// A new token's secret comes in the flash of the redirect that
	// followed its making: shown on this page once, never stored.
	fl := s.takeFlash(w, r)
	s.showTokens(w, r, c, csrf, http.StatusOK, form{}, fl)
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form, fl flash) {
	ts, err := s.svc.Tokens(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.page(w, r, status, "tokens", pageData{Title: s.tr(r, "API tokens"), User: c.User, CSRF: csrf, Nav: "tokens", Form: f,
		Flash: fl.Message, Data: tokensData{Tokens: ts, Secret: fl.Secret}})
}

// tokenLabels are the first words of the messages about a token's
// fields, and the fields of the form that makes one.
var tokenLabels = map[string]string{"Name": "name", "Days": "days", "Expires": "days", "Expiry": "days"}

// createToken makes a token and redirects to the tokens' page, which
// shows its secret once (from the flash): reloading that page makes no
// second token.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	kept := url.Values{"name": {f.Get("name")}, "days": {f.Get("days")}, "read_only": {f.Get("read_only")}}
	in := library.TokenInput{Name: f.Get("name"), ReadOnly: f.Get("read_only") == "1"}
	var err error
	if v := strings.TrimSpace(f.Get("days")); v != "" {
		n, perr := strconv.Atoi(v)
		if perr != nil || n < 0 {
			err = damask.Errorf(damask.EINVALID, "Days must be a whole number")
		}
		in.ExpiresInDays = n
	}
	var secret string
	var t *damask.Token
	if err == nil {
		t, secret, _, err = s.svc.CreateToken(r.Context(), c, in, damask.IdempotencyKey{})
	}
	switch {
	case err == nil:
		s.redirect(w, r, "/tokens", flash{Message: s.tr(r, "The token %q was made.", t.Name), Secret: secret})
	case formError(err):
		s.showTokens(w, r, c, f.Get("csrf"), formStatus(err), failedForm(err, kept, tokenLabels), flash{})
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) revokeToken(r *http.Request, c library.Caller, id int64) (string, string, error) {
	t, err := s.svc.RevokeToken(r.Context(), c, id)
	if err != nil {
		return "", "", err
	}
	return "/tokens", s.tr(r, "The token %q was revoked.", t.Name), nil
}

// ---- branding

var hexColor = regexp.MustCompile(`^#(?:[0-9a-fA-F]{3}){1,2}$`)

// brandingRules are the account's colours as CSS, each checked to be a
// colour so that nothing else reaches the style sheet.
func brandingRules(b damask.Branding) string {
	var sb strings.Builder
	if c := b.TopColor; hexColor.MatchString(c) {
		fmt.Fprintf(&sb, "header.top { background: %s; }\n", c)
	}
	if c := b.FontColor; hexColor.MatchString(c) {
		fmt.Fprintf(&sb, "header.top, header.top a, header.top button.link { color: %s; }\n", c)
	}
	if c := b.BottomColor; hexColor.MatchString(c) {
		fmt.Fprintf(&sb, "footer.bottom { background: %s; }\n", c)
		// The font colour is the footer's too, on the account's bottom
		// colour (library.SetBranding holds their contrast).
		// Without one, the footer's grey, in dark mode too.
		f := b.FontColor
		if !hexColor.MatchString(f) {
			f = "#555555"
		}
		fmt.Fprintf(&sb, "footer.bottom { color: %s; }\n", f)
	}
	return sb.String()
}

// setBranding takes the branding form: title, colours and, optionally, a
// new logo. The form is multipart (csrf first), so the logo streams in,
// capped at the logo's limit by ServeHTTP.
func (s *Server) setBranding(w http.ResponseWriter, r *http.Request) {
	c, secret, ok := s.formCaller(w, r)
	if !ok {
		return
	}
	if err := holderOnly(c); err != nil {
		s.fail(w, r, err)
		return
	}
	var ch library.BrandingChanges
	fields := map[string]**string{"title": &ch.Title, "font_color": &ch.FontColor,
		"top_color": &ch.TopColor, "bottom_color": &ch.BottomColor}
	var logo []byte
	err := formParts(r, secret, func(name, value string) error {
		if f, ok := fields[name]; ok {
			*f = &value
		}
		return nil
	}, func(p *multipart.Part) error {
		if p.FormName() != "logo" || logo != nil {
			return damask.Errorf(damask.EINVALID, "Send one logo")
		}
		// Read whole (at most the limit and a byte, to tell it was passed)
		// so that the fields after the file count too.
		b, err := io.ReadAll(io.LimitReader(p, library.MaxLogoSize+1))
		if err != nil {
			return err
		}
		logo = b
		return nil
	})
	if err == nil {
		if logo != nil {
			ch.Logo = bytes.NewReader(logo)
		}
		_, err = s.svc.SetBranding(r.Context(), c, ch)
	}
	if err != nil {
		if tl := httpdomain.TooLarge(err, func(int64) string {
			return fmt.Sprintf(msg("The logo is larger than %d KiB"), library.MaxLogoSize>>10)
		}); tl != nil {
			err = tl
		}
		if formError(err) {
			kept := url.Values{}
			for name, v := range fields {
				if *v != nil {
					kept.Set(name, **v)
				}
			}
			s.showAccount(w, r, c, csrfToken(secret, "session"), formStatus(err), failedForm(err, kept, brandingLabels))
			return
		}
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account#branding", flash{Message: s.tr(r, "The branding was saved.")})
}

// removeLogo drops the account's logo.
func (s *Server) removeLogo(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	if err := holderOnly(c); err != nil {
		s.fail(w, r, err)
		return
	}
	if !s.confirmed(w, r, r.PostForm.Get("csrf"), confirmData{Heading: s.tr(r, "Remove the logo?"),
		Message: s.tr(r, "The logo is deleted for good; to show it again, upload it again."),
		Action:  "/account/logo/remove", Button: s.tr(r, "Remove the logo"), Cancel: "/account#branding"}) {
		return
	}
	if _, err := s.svc.SetBranding(r.Context(), c, library.BrandingChanges{RemoveLogo: true}); err != nil {
		s.fail(w, r, err)
		return
	}
	s.redirect(w, r, "/account#branding", flash{Message: s.tr(r, "The logo was removed.")})
}

// logoURL names the account's logo for the pages' header, or is empty.
func (s *Server) logoURL(a *damask.Account) string {
	if a == nil || !s.svc.Plan(a).Branding {
		return ""
	}
	return a.Branding.LogoPath()
}

// logo sends the account's logo as a download of a rendition is sent: its
// type from its bytes (only checked images are logos), no sniffing, a
// sandbox policy, its SHA-256 as ETag. Like branding.css, it needs no
// session: the sign-in page shows it.
func (s *Server) logo(w http.ResponseWriter, r *http.Request) {
	l, err := s.svc.Logo(r.Context(), info(r).account)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer l.Body.Close()
	h := w.Header()
	h.Set("Content-Type", l.ContentType)
	h.Set("ETag", `"`+l.Ref.String()+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	if r.URL.Query().Get("v") == l.Ref.String()[:16] {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	}
	http.ServeContent(w, r, "", time.Time{}, l.Body)
}

// brandingCSS serves the account's colours as a style sheet, on plans with
// branding: the pages' policy allows no inline style.
//
// The pages link it as /branding.css?v=HASH, HASH a digest of its
// content: that URL is cached for good, and a change of colours is a new
// URL, shown at once. Any other URL (an old hash, none) is revalidated.
func (s *Server) brandingCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	css := ""
	if a := info(r).account; s.svc.Plan(a).Branding {
		css = brandingRules(a.Branding)
	}
	v := brandingHash(css)
	h.Set("ETag", `"`+v+`"`)
	if r.URL.Query().Get("v") == v {
		h.Set("Cache-Control", "private, max-age=31536000, immutable")
	} else {
		h.Set("Cache-Control", "private, no-cache")
	}
	if match := r.Header.Get("If-None-Match"); match == `"`+v+`"` {
		w.WriteHeader(http.StatusNotModified)
		return
	}
	w.Write([]byte(css))
}

// brandingVersion is the v parameter of the branding's style sheet.
func brandingVersion(b damask.Branding) string { return brandingHash(brandingRules(b)) }

func brandingHash(css string) string {
	sum := sha256.Sum256([]byte(css))
	return hex.EncodeToString(sum[:8])
}
