package web

import (
	"archive/zip"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"io"
	"net/http"
	"net/url"
	"path"
	"strconv"
	"strings"

	"damask"
	"damask/download"
	"damask/httpdomain"
	"damask/library"
	"damask/media"
	"damask/search"
)

// The Stage's pages, for visitors without an account: everything under
// /s/TOKEN (a Stage's address or a recipient's personal one). Each
// request makes one call of the service, which checks it against the
// Stage (address, revocation and expiry: 410; password: the form; the
// asset's membership: 404). Nothing here names the team's users, e-mails
// or storage paths, and nothing uploaded is ever served inline but the
// players' media: renditions are JPEGs, downloads attachments.

// stageCookie names the cookie of an address's pass: one per address,
// all under /s/, so that the zip (the address with .zip) gets it too.
func stageCookie(token string) string {
	sum := sha256.Sum256([]byte(token))
	return "damask_stage_" + hex.EncodeToString(sum[:8])
}

// stageCookiePath is the path of every Stage's cookie.
const stageCookiePath = "/s/"

// stagePageSize is how many assets a page of a Stage shows.
const stagePageSize = 60

// visitor is the request's view of the Stage at /s/{token}.
func (s *Server) visitor(r *http.Request) library.StageVisitor {
	tok := r.PathValue("token")
	return library.StageVisitor{Token: tok, Pass: cookie(r, stageCookie(tok)), Source: s.source(r)}
}

func stageBase(token string) string { return library.StageAddress(token) }

// stageTile is an asset on a Stage's grid.
type stageTile struct {
	ID     int64
	Title  string
	Kind   string
	Ready  bool
	Thumb  string
	SrcSet string
	Href   string
}

type stageData struct {
	Base      string // the Stage's address, under which its pages are
	Title     string
	Message   string
	Assets    []stageTile
	Total     int
	Next      string
	Downloads bool // files may be downloaded
	Originals bool // those are the originals
	Password  bool // the form asks for the password
	Asset     *stageTile
	Player    string // "video", "audio" or ""
	Preview   string
	Large     string
}

func newStageTile(base string, a *damask.Asset) stageTile {
	t := stageTile{ID: a.ID, Title: a.Title, Kind: search.KindOf(a.ContentType), Href: fmt.Sprintf("%s/assets/%d", base, a.ID)}
	if a.Processing == damask.ProcessingDone {
		t.Ready = true
		t.Thumb = stageImage(base, a, media.Thumb128.Px)
		t.SrcSet = fmt.Sprintf("%s 128w, %s 256w", t.Thumb, stageImage(base, a, media.Thumb256.Px))
	}
	return t
}

// stageImage names a rendition on a Stage; v changes with the file.
func stageImage(base string, a *damask.Asset, px int) string {
	return fmt.Sprintf("%s/image/%d/%d?v=%s", base, a.ID, px, library.ContentKey(a))
}

// stagePage is a Stage's grid, its zip (the address with .zip), or its
// password form.
func (s *Server) stagePage(w http.ResponseWriter, r *http.Request) {
	if tok, ok := strings.CutSuffix(r.PathValue("token"), ".zip"); ok {
		s.stageZip(w, r, tok)
		return
	}
	v := s.visitor(r)
	q := library.AssetQuery{Page: damask.Page{Number: 1, Size: stagePageSize}, Cursor: r.URL.Query().Get("cursor")}
	view, l, err := s.svc.StagePage(r.Context(), info(r).account, v, q)
	if err != nil {
		s.stageFail(w, r, err)
		return
	}
	base := stageBase(v.Token)
	d := stageData{Base: base, Title: view.Stage.Title, Message: view.Stage.Message, Total: l.Total,
		Downloads: view.MayDownload(), Originals: view.MayDownloadOriginals()}
	for _, a := range l.Assets {
		d.Assets = append(d.Assets, newStageTile(base, a))
	}
	if l.Next != "" {
		d.Next = base + "?cursor=" + url.QueryEscape(l.Next)
	}
	s.stageRender(w, r, http.StatusOK, "stage", view.Stage.Title, d, "")
}

// stageFail answers an error of a Stage: the password form when the
// Stage asks for it, else the error page (410 for a Stage that is gone).
func (s *Server) stageFail(w http.ResponseWriter, r *http.Request, err error) {
	if damask.ErrorCode(err) == damask.EUNAUTHORIZED && r.Method != http.MethodPost && r.PathValue("id") == "" {
		s.stageRender(w, r, http.StatusUnauthorized, "stage", s.tr(r, "Password"), stageData{Base: stageBase(r.PathValue("token")), Password: true}, "")
		return
	}
	s.fail(w, r, err)
}

func (s *Server) stageRender(w http.ResponseWriter, r *http.Request, status int, name, title string, d stageData, formErr string) {
	// The Stage's own pages are never framed nor indexed, and send no
	// Referer: the address is the secret.
	h := w.Header()
	h.Set("Referrer-Policy", "no-referrer")
	h.Set("X-Robots-Tag", "noindex, nofollow")
	s.page(w, r, status, name, pageData{Title: title, Data: d, Form: form{Error: formErr}})
}

// stagePassword checks the password form and keeps the pass for this
// address.
func (s *Server) stagePassword(w http.ResponseWriter, r *http.Request) {
	v := s.visitor(r)
	if err := r.ParseForm(); err != nil {
		s.fail(w, r, damask.Errorf(damask.EMALFORMED, "The form could not be read"))
		return
	}
	pass, err := s.svc.StagePassword(r.Context(), info(r).account, v, r.PostForm.Get("password"))
	base := stageBase(v.Token)
	switch {
	case err == nil:
		if pass != "" {
			s.setCookie(w, r, stageCookie(v.Token), pass, stageCookiePath, 0)
		}
		http.Redirect(w, r, base, http.StatusSeeOther)
	case damask.ErrorCode(err) == damask.EUNAUTHORIZED:
		s.stageRender(w, r, http.StatusUnauthorized, "stage", s.tr(r, "Password"), stageData{Base: base, Password: true}, damask.ErrorMessage(err))
	default:
		if damask.ErrorCode(err) == damask.ETHROTTLED {
			httpdomain.ErrorHeaders(w.Header(), damask.ETHROTTLED, library.RetryAfter(err))
		}
		s.fail(w, r, err)
	}
}

// stageAsset is an asset's page on a Stage: its large preview or player,
// and its download as the Stage allows.
func (s *Server) stageAsset(w http.ResponseWriter, r *http.Request) {
	v := s.visitor(r)
	id, err := httpdomain.PathID(r, "id")
	var view *library.StageView
	var a *damask.Asset
	if err == nil {
		view, a, err = s.svc.StageAsset(r.Context(), info(r).account, v, id)
	}
	if err != nil {
		s.stageFail(w, r, err)
		return
	}
	base := stageBase(v.Token)
	t := newStageTile(base, a)
	d := stageData{Base: base, Title: view.Stage.Title, Asset: &t, Downloads: view.MayDownload(), Originals: view.MayDownloadOriginals()}
	switch t.Kind {
	case search.KindVideo, search.KindAudio:
		d.Player = t.Kind
	}
	if t.Ready {
		d.Preview, d.Large = stageImage(base, a, media.Preview.Px), stageImage(base, a, media.Lightbox.Px)
	}
	s.stageRender(w, r, http.StatusOK, "stageasset", a.Title, d, "")
}

// stageImageFile answers a rendition of an asset on a Stage: a thumbnail, or
// a preview (watermarked when the Stage has one).
func (s *Server) stageImageFile(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	px, _ := strconv.Atoi(r.PathValue("px"))
	size, ok := media.SizeByPx(px)
	if err == nil && !ok {
		err = damask.ErrNotFound
	}
	var f *library.RenditionFile
	if err == nil {
		f, err = s.svc.StageRendition(r.Context(), info(r).account, s.visitor(r), id, size)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	// Revalidated every time: a revoked Stage must stop showing it.
	download.SendRendition(w, r, f, "", download.Private)
}

// stagePlay answers the playback preview of a video or sound on a Stage.
func (s *Server) stagePlay(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	var f *library.RenditionFile
	if err == nil {
		f, err = s.svc.StagePlayback(r.Context(), info(r).account, s.visitor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendPlayback(w, r, f)
}

// stageDownload answers an asset's file as the Stage allows, as an
// attachment.
func (s *Server) stageDownload(w http.ResponseWriter, r *http.Request) {
	id, err := httpdomain.PathID(r, "id")
	var f *library.StageFile
	if err == nil {
		f, err = s.svc.StageDownload(r.Context(), info(r).account, s.visitor(r), id)
	}
	if err != nil {
		s.fail(w, r, err)
		return
	}
	defer f.Body.Close()
	h := w.Header()
	h.Set("Content-Type", f.ContentType)
	h.Set("Content-Disposition", download.Attachment(f.Name))
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, no-store")
	http.ServeContent(w, r, "", f.ModTime, f.Body)
}

// stageZip streams every file the Stage allows as one zip, as the
// selection's zip does.
func (s *Server) stageZip(w http.ResponseWriter, r *http.Request, token string) {
	v := s.visitor(r)
	v.Token, v.Pass = token, cookie(r, stageCookie(token))
	var zw *zip.Writer
	used := map[string]int{}
	err := s.svc.StageZip(r.Context(), info(r).account, v, func(f *library.StageFile) error {
		if zw == nil {
			h := w.Header()
			h.Set("Content-Type", "application/zip")
			h.Set("Content-Disposition", download.Attachment("stage.zip"))
			h.Set("Cache-Control", "no-store")
			zw = zip.NewWriter(w)
		}
		name := f.Name
		if name == "" {
			name = fmt.Sprintf("asset-%d", f.Asset.ID)
		}
		if n := used[f.Name]; n > 0 {
			ext := path.Ext(name)
			name = fmt.Sprintf("%s (%d)%s", strings.TrimSuffix(name, ext), n+1, ext)
		}
		used[f.Name]++
		fw, err := zw.CreateHeader(&zip.FileHeader{Name: name, Method: zip.Store, Modified: f.ModTime})
		if err != nil {
			return fmt.Errorf("zip entry %s: %w", name, err)
		}
		if _, err := io.Copy(fw, f.Body); err != nil {
			return fmt.Errorf("zip copy %s: %w", name, err)
		}
		return nil
	})
	switch {
	case err != nil && zw == nil:
		s.fail(w, r, err)
	case err != nil:
		s.log.Error("stage zip", "err", err)
		panic(http.ErrAbortHandler)
	default:
		if err := zw.Close(); err != nil {
			s.log.Error("stage zip", "err", err)
		}
	}
}
