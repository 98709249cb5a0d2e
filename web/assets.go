package web

import (
	"fmt"
	"io"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/download"
	"damask/httpdomain"
	"damask/library"
	"damask/media"
	"damask/search"
)

type metaRow struct{ Label, Value string }

type metaGroup struct {
	Name string
	Rows []metaRow
}

type assetData struct {
	A           *damask.Asset
	Kind        string
	Ready       bool
	Preview     string // 1024 px
	Zoom        string // 2048 px
	Groups      []metaGroup
	Versions    []*damask.Version
	Tags        string
	CanEdit     bool
	CanDownload bool
	CanVersion  bool
	PublicLinks bool
	PublicURL   string
	Playable    bool   // a video or audio file the browser may play
	MediaURL    string // what the player plays: the file, or a guest's preview
}

// asset is an asset's page: the preview, the metadata, the form that
// edits it, its versions and its public link.
func (s *Server) asset(w http.ResponseWriter, r *http.Request) {
	c, csrf, ok := s.signedIn(w, r)
	if !ok {
		return
	}
	s.showAsset(w, r, c, csrf, http.StatusOK, form{})
}

// showAsset renders the asset's page, with f when a form on it came back.
func (s *Server) showAsset(w http.ResponseWriter, r *http.Request, c library.Caller, csrf string, status int, f form) {
	d, err := s.assetData(r, c)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.renderForm(w, r, c, csrf, status, f, "asset", d.A.Title, d)
}

// assetLabels are the first words of the messages about the asset's
// fields, and the fields of the forms on its page.
var assetLabels = map[string]string{"Title": "title", "Description": "description",
	"Tag": "tags", "Tags": "tags", "An asset carries": "tags", "One request makes": "tags",
	"Path": "path", "Comment": "comment", "The file": "file", "Choose a file": "file", "Send one file": "file"}

func (s *Server) assetData(r *http.Request, c library.Caller) (*assetData, error) {
	id, err := httpdomain.PathID(r, "id")
	if err != nil {
		return nil, err
	}
	a, err := s.svc.Asset(r.Context(), c, id)
	if err != nil {
		return nil, err
	}
	vs, err := s.svc.Versions(r.Context(), c, id)
	if err != nil {
		return nil, err
	}
	d := &assetData{A: a, Kind: search.KindOf(a.ContentType), Ready: a.Processing == damask.ProcessingDone,
		Versions: vs, CanEdit: c.User.Role.AtLeast(damask.RoleMember), CanDownload: library.MayHaveOriginals(c),
		CanVersion: s.svc.CheckVersioning(c) == nil, PublicLinks: c.Account.PublicLinks}
	if d.Kind == search.KindVideo || d.Kind == search.KindAudio {
		switch {
		case d.CanDownload:
			d.MediaURL = fmt.Sprintf("/assets/%d/media", a.ID)
		case s.svc.HasPlayback(r.Context(), a):
			// A guest plays the preview made for playing, never the file.
			d.MediaURL = fmt.Sprintf("/assets/%d/playback", a.ID)
		}
	}
	d.Playable = d.MediaURL != ""
	if d.Ready {
		// The largest sizes the caller may see: a guest sees none that
		// shows the file at its full size.
		for _, size := range []media.Size{media.Preview, media.Thumb256, media.Thumb128, media.Thumb64} {
			if library.MaySee(c, a, size) {
				d.Preview, d.Zoom = thumbURL(a, size.Px), thumbURL(a, size.Px)
				break
			}
		}
		if library.MaySee(c, a, media.Lightbox) {
			d.Zoom = thumbURL(a, media.Lightbox.Px)
		}
		d.Ready = d.Preview != ""
	}
	names := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		names[i] = t.Name
	}
	d.Tags = strings.Join(names, ", ")
	if t := library.PublicToken(a); t != "" && d.PublicLinks {
		d.PublicURL = httpdomain.PublicBase(s.cfg.PublicBaseURL, s.scheme(r)+"://"+r.Host, c.Account) + "/p/" + t
	}
	d.Groups = metadataGroups(a, s.zone(r, c.User), s.lang(r))
	return d, nil
}

// metadataGroups arranges what the file says of itself in groups people
// read: the file, the camera, the description (IPTC/XMP) and the media.
func metadataGroups(a *damask.Asset, zone *time.Location, l *language) []metaGroup {
	m := a.Meta
	add := func(g *metaGroup, label, value string) {
		if value != "" && value != "0" {
			g.Rows = append(g.Rows, metaRow{label, value})
		}
	}
	file := metaGroup{Name: l.T("File")}
	add(&file, l.T("Filename"), a.Filename)
	add(&file, l.T("Type"), a.ContentType)
	add(&file, l.T("Format"), m.Type)
	add(&file, l.T("Size"), l.Bytes(a.Size))
	if a.Width > 0 {
		add(&file, l.T("Dimensions"), fmt.Sprintf("%d × %d px", a.Width, a.Height))
	}
	if m.ResolutionWidth > 0 {
		add(&file, l.T("Resolution"), fmt.Sprintf("%g × %g dpi", m.ResolutionWidth, m.ResolutionHeight))
	}
	add(&file, l.T("Colour space"), m.ColorSpace)
	add(&file, l.T("Bits per sample"), strconv.Itoa(m.BitsPerSample))
	add(&file, l.T("Pages"), strconv.Itoa(a.PageCount))
	if a.Duration > 0 {
		add(&file, l.T("Duration"), a.Duration.Round(time.Second/10).String())
	}
	add(&file, l.T("Video codec"), m.VideoCodec)
	add(&file, l.T("Audio codec"), m.AudioCodec)
	add(&file, l.T("Version"), strconv.Itoa(a.Version))
	add(&file, l.T("Added"), l.When(a.CreatedAt, zone))
	add(&file, l.T("Processing"), l.Msg(a.Processing))
	add(&file, l.T("Why"), l.Msg(a.ProcessingError))

	cam := metaGroup{Name: l.T("Camera (EXIF)")}
	add(&cam, l.T("Camera"), a.Camera)
	add(&cam, l.T("Lens"), m.Lens)
	if !a.TakenAt.IsZero() {
		add(&cam, l.T("Taken"), a.TakenAt.Format("2006-01-02 15:04:05"))
	}
	if a.GPS != nil {
		add(&cam, l.T("Location"), fmt.Sprintf("%.5f, %.5f", a.GPS.Latitude, a.GPS.Longitude))
	}
	add(&cam, l.T("Orientation"), strconv.Itoa(m.Orientation))

	desc := metaGroup{Name: l.T("Description (IPTC/XMP)")}
	add(&desc, l.T("Title"), m.Title)
	add(&desc, l.T("Caption"), cmpOr(m.Caption, m.Description))
	add(&desc, l.T("Creator"), m.Creator)
	add(&desc, l.T("Copyright"), m.Copyright)
	add(&desc, l.T("Keywords"), strings.Join(m.Keywords, ", "))

	var out []metaGroup
	for _, g := range []metaGroup{file, cam, desc} {
		if len(g.Rows) > 0 {
			out = append(out, g)
		}
	}
	return out
}

// editAsset saves the title, description, tags and, when the form has
// it, the folder. Refused, the page comes back with what was typed and
// the error by its field.
func (s *Server) editAsset(w http.ResponseWriter, r *http.Request) {
	c, id, ok := s.formOn(w, r)
	if !ok {
		return
	}
	f := r.PostForm
	title, desc, tags := f.Get("title"), f.Get("description"), f.Get("tags")
	in := library.AssetInput{Title: &title, Description: &desc, Tags: &tags}
	typed := url.Values{"title": {title}, "description": {desc}, "tags": {tags}}
	if _, ok := f["path"]; ok {
		p := f.Get("path")
		in.Path = &p
		typed.Set("path", p)
	}
	_, err := s.svc.UpdateAsset(r.Context(), c, id, in)
	switch {
	case err == nil:
		s.redirect(w, r, fmt.Sprintf("/assets/%d", id), flash{Message: s.tr(r, "Saved.")})
	case formError(err):
		s.showAsset(w, r, c, f.Get("csrf"), formStatus(err), failedForm(err, typed, assetLabels))
	default:
		s.fail(w, r, err)
	}
}

func (s *Server) deleteAsset(r *http.Request, c library.Caller, id int64) (string, string, error) {
	a, err := s.svc.DeleteAsset(r.Context(), c, id)
	if err != nil {
		return "", "", err
	}
	return "/", s.tr(r, "%q was moved to the trash.", a.Title), nil
}

// publicLink makes (on=1) or revokes the asset's public link.
func (s *Server) publicLink(r *http.Request, c library.Caller, id int64) (string, string, error) {
	on := r.PostForm.Get("on") == "1"
	_, err := s.svc.UpdateAsset(r.Context(), c, id, library.AssetInput{PublicLink: &on})
	msg := s.tr(r, "The public link was revoked: it no longer works.")
	if on {
		msg = s.tr(r, "The public link was made.")
	}
	return fmt.Sprintf("/assets/%d", id), msg, err
}

// makeCurrent restores an old version: its file becomes a new current
// version, so that nothing is lost.
func (s *Server) makeCurrent(r *http.Request, c library.Caller, id int64) (string, string, error) {
	n, err := strconv.Atoi(r.PathValue("n"))
	if err != nil || n < 1 {
		return "", "", damask.ErrNotFound
	}
	_, err = s.svc.RestoreVersion(r.Context(), c, id, n)
	return fmt.Sprintf("/assets/%d", id), s.tr(r, "Version %d is current again, as a new version.", n), err
}

// download sends a version's file (?version=N, the current one without)
// as an attachment; guests may not.
func (s *Server) download(w http.ResponseWriter, r *http.Request) {
	n := 0
	if v := r.URL.Query().Get("version"); v != "" {
		var err error
		if n, err = strconv.Atoi(v); err != nil || n < 1 {
			s.fail(w, r, damask.Errorf(damask.EMALFORMED, "version must be a version number from 1"))
			return
		}
	}
	if d, ok := s.stored(w, r, n); ok {
		download.Send(w, r, d, true)
	}
}

// media sends the current file of a video or audio asset inline, for the
// page's player, with ranges for seeking. Nothing else is ever served
// inline: an HTML or SVG file must not run on this origin.
func (s *Server) media(w http.ResponseWriter, r *http.Request) {
	d, ok := s.stored(w, r, 0)
	if !ok {
		return
	}
	k := search.KindOf(d.Version.ContentType)
	if k != search.KindVideo && k != search.KindAudio {
		d.Body.Close()
		s.fail(w, r, damask.Errorf(damask.ENOTFOUND, "Only video and audio play in the page"))
		return
	}
	download.Send(w, r, d, false)
}

// playback sends the playback preview of a video or a sound (a rendition
// made for playing, never the file), inline with ranges for seeking, to
// every role: guests play it where members play the file.
func (s *Server) playback(w http.ResponseWriter, r *http.Request) {
	c, _, id, ok := s.pageOn(w, r)
	if !ok {
		return
	}
	f, err := s.svc.Playback(r.Context(), c, id)
	if err != nil {
		s.fail(w, r, err)
		return
	}
	s.sendPlayback(w, r, f)
}

// sendPlayback answers a playback preview inline, for a player, and
// closes it.
func (s *Server) sendPlayback(w http.ResponseWriter, r *http.Request, f *library.RenditionFile) {
	defer f.Body.Close()
	// The ipod muxer marks a sound "M4A "; anything else is a video.
	ct := media.PlaybackVideoType
	head := make([]byte, 12)
	if n, _ := io.ReadFull(f.Body, head); n == 12 && string(head[8:12]) == "M4A " {
		ct = media.PlaybackAudioType
	}
	if _, err := f.Body.Seek(0, io.SeekStart); err != nil {
		s.fail(w, r, err)
		return
	}
	h := w.Header()
	h.Set("Content-Type", ct)
	h.Set("ETag", `"`+f.Rendition.Blob.String()+`"`)
	h.Set("Content-Security-Policy", "default-src 'none'; sandbox")
	h.Set("X-Content-Type-Options", "nosniff")
	h.Set("Cache-Control", "private, max-age=0, must-revalidate")
	http.ServeContent(w, r, "", time.Time{}, f.Body)
}

// stored opens version n (0: the current one) of the asset in the path for
// the signed-in caller; ok is false when it has answered instead.
func (s *Server) stored(w http.ResponseWriter, r *http.Request, n int) (d *library.Download, ok bool) {
	c, _, id, ok := s.pageOn(w, r)
	if !ok {
		return nil, false
	}
	d, err := s.svc.Download(r.Context(), c, id, n)
	if err != nil {
		s.fail(w, r, err)
		return nil, false
	}
	return d, true
}
