package web

import (
	"bytes"
	"fmt"
	"io"
	"mime/multipart"
	"net/http"
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
	s.render(w, r, c, csrf, "trash", "Trash", d)
}

func (s *Server) restore(r *http.Request, c library.Caller, id int64) (string, error) {
	return "/trash", s.svc.RestoreAsset(r.Context(), c, id)
}

func (s *Server) emptyTrash(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	if _, err := s.svc.EmptyAccountTrash(r.Context(), c); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/trash", http.StatusSeeOther)
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
	if err := holderOnly(c); err != nil {
		s.fail(w, r, err)
		return
	}
	a, st, err := s.svc.Account(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, c, csrf, "account", "Account", accountData{Account: a, Stats: st, Plan: s.svc.Plan(a)})
}

// switchAPI turns the API on, once the holder agrees to the API terms,
// or off.
func (s *Server) switchAPI(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	on := r.PostForm.Get("api") == "on"
	if on && r.PostForm.Get("agree") != "yes" {
		s.fail(w, r, damask.Errorf(damask.EINVALID, "Agree to the API terms to switch the API on"))
		return
	}
	if _, _, err := s.svc.UpdateAccount(r.Context(), c, library.AccountChanges{APIEnabled: &on}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account", http.StatusSeeOther)
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
	http.Redirect(w, r, "/account#sharing", http.StatusSeeOther)
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
	s.render(w, r, c, csrf, "people", "People", d)
}

func (s *Server) createUser(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	login, email, role, pass := f.Get("login"), f.Get("email"), f.Get("role"), f.Get("password")
	first, last := f.Get("first_name"), f.Get("last_name")
	if _, _, err := s.svc.CreateUser(r.Context(), c, library.UserChanges{Login: &login, Email: &email,
		Role: &role, Password: &pass, FirstName: &first, LastName: &last}, damask.IdempotencyKey{}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/people", http.StatusSeeOther)
}

// updateUser changes a user's role, disables or enables the user, or
// limits a guest to collections.
func (s *Server) updateUser(r *http.Request, c library.Caller, id int64) (string, error) {
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
		return "", damask.Errorf(damask.EMALFORMED, "Nothing to change")
	}
	_, err := s.svc.UpdateUser(r.Context(), c, id, ch)
	return "/people", err
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
	s.showTokens(w, r, c, csrf, "")
}

func (s *Server) showTokens(w http.ResponseWriter, r *http.Request, c library.Caller, csrf, secret string) {
	ts, err := s.svc.Tokens(r.Context(), c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.render(w, r, c, csrf, "tokens", "API tokens", tokensData{Tokens: ts, Secret: secret})
}

// createToken makes a token and shows its secret in the answer itself,
// once: it is never stored, so no later page can show it.
func (s *Server) createToken(w http.ResponseWriter, r *http.Request) {
	c, _, ok := s.sessionForm(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	in := library.TokenInput{Name: f.Get("name"), ReadOnly: f.Get("read_only") == "1"}
	if v := f.Get("days"); v != "" {
		n, err := strconv.Atoi(v)
		if err != nil || n < 0 {
			s.fail(w, r, damask.Errorf(damask.EINVALID, "Days must be a whole number"))
			return
		}
		in.ExpiresInDays = n
	}
	_, secret, _, err := s.svc.CreateToken(r.Context(), c, in, damask.IdempotencyKey{})
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.showTokens(w, r, c, f.Get("csrf"), secret)
}

func (s *Server) revokeToken(r *http.Request, c library.Caller, id int64) (string, error) {
	_, err := s.svc.RevokeToken(r.Context(), c, id)
	return "/tokens", err
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
			return fmt.Sprintf("The logo is larger than %d KiB", library.MaxLogoSize>>10)
		}); tl != nil {
			err = tl
		}
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account#branding", http.StatusSeeOther)
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
	if _, err := s.svc.SetBranding(r.Context(), c, library.BrandingChanges{RemoveLogo: true}); err != nil {
		s.fail(w, r, err)
		return
	}
	http.Redirect(w, r, "/account#branding", http.StatusSeeOther)
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
func (s *Server) brandingCSS(w http.ResponseWriter, r *http.Request) {
	h := w.Header()
	h.Set("Content-Type", "text/css; charset=utf-8")
	h.Set("Cache-Control", "private, max-age=60")
	if a := info(r).account; s.svc.Plan(a).Branding {
		w.Write([]byte(brandingRules(a.Branding)))
	}
}
