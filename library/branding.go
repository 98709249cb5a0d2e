package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	_ "image/gif" // DecodeConfig of a GIF logo
	_ "image/jpeg"
	_ "image/png"
	"io"
	"math"
	"regexp"
	"strconv"
	"strings"

	"damask"
	"damask/media"
)

// MaxLogoSize caps the bytes of an account's logo: it shows in every
// page's header, small.
const MaxLogoSize = 1 << 20

// maxLogoSide caps a logo's width and height in pixels, so that a small
// file cannot ask the browser for a huge image.
const maxLogoSide = 4096

// logoTypes are the types a logo may have, as media.Sniff names
// them from the bytes. SVG is not among them: it is markup, and a logo is
// shown on the application's origin.
var logoTypes = map[string]bool{"image/png": true, "image/jpeg": true, "image/gif": true, "image/webp": true}

// colorRE is the only form a branding colour may take: it is written into
// a style sheet, so nothing else may pass.
var colorRE = regexp.MustCompile(`^#(?:[0-9a-f]{3}|[0-9a-f]{6})$`)

// BrandingChanges are the parts of an account's branding to change; nil
// leaves a field alone and an empty string clears it.
type BrandingChanges struct {
	Title       *string
	FontColor   *string
	TopColor    *string
	BottomColor *string
	// Logo is a new logo's bytes: PNG, JPEG, GIF or WebP, at most
	// MaxLogoSize. Nil keeps the logo.
	Logo io.Reader
	// RemoveLogo drops the logo; its file is released by the next Tidy.
	RemoveLogo bool
}

// SetBranding changes how the caller's account's pages look. Only the
// holder may, on a plan with branding. It answers EFORBIDDEN for another
// role or a plan without branding, EINVALID for a colour that is not
// #rgb or #rrggbb, colours that put text below MinContrast on its
// background (see readable), a bad title or a logo that is not a PNG,
// JPEG, GIF or WebP image, and ETOOLARGE for a logo over MaxLogoSize.
func (s *Service) SetBranding(ctx context.Context, c Caller, ch BrandingChanges) (*damask.Account, error) {
	if err := require(c, damask.RoleHolder, "change the account's branding"); err != nil {
		return nil, err
	}
	if !s.Plan(c.Account).Branding {
		return nil, damask.Errorf(damask.EFORBIDDEN, "The %s plan does not include branding", c.Account.Plan)
	}
	a := *c.Account
	b := &a.Branding
	var err error
	if ch.Title != nil {
		if b.Title, err = text("Title", *ch.Title, maxName, false); err != nil {
			return nil, err
		}
	}
	for _, f := range []struct {
		name string
		in   *string
		out  *string
	}{{"Font colour", ch.FontColor, &b.FontColor}, {"Top colour", ch.TopColor, &b.TopColor}, {"Bottom colour", ch.BottomColor, &b.BottomColor}} {
		if f.in == nil {
			continue
		}
		if *f.out, err = validColor(f.name, *f.in); err != nil {
			return nil, err
		}
	}
	if ch.FontColor != nil || ch.TopColor != nil || ch.BottomColor != nil {
		if err := readable(*b); err != nil {
			return nil, err
		}
	}
	if ch.RemoveLogo {
		b.Logo = ""
	}
	if ch.Logo != nil {
		ref, err := s.storeLogo(ctx, ch.Logo)
		if err != nil {
			return nil, err
		}
		b.Logo = ref.String()
	}
	before := c.Account.Branding
	if before.Title == b.Title && before.FontColor == b.FontColor && before.TopColor == b.TopColor &&
		before.BottomColor == b.BottomColor && before.Logo == b.Logo {
		return &a, nil
	}
	b.UpdatedAt = s.now()
	if err := s.store.UpdateAccount(ctx, &a); err != nil {
		return nil, fmt.Errorf("update branding of account %s: %w", a.Name, err)
	}
	s.record(ctx, c, damask.AuditAccountChange, "account "+a.Name, brandingDetail(before, *b))
	return &a, nil
}

// brandingDetail names what changed, for the audit log.
func brandingDetail(before, after damask.Branding) string {
	var parts []string
	if before.Title != after.Title {
		parts = append(parts, "title")
	}
	if before.FontColor != after.FontColor || before.TopColor != after.TopColor || before.BottomColor != after.BottomColor {
		parts = append(parts, "colours")
	}
	switch {
	case before.Logo != after.Logo && after.Logo == "":
		parts = append(parts, "logo removed")
	case before.Logo != after.Logo:
		parts = append(parts, "logo")
	}
	return "branding: " + strings.Join(parts, ", ")
}

// MinContrast is the least contrast the branding's text may have on its
// background: WCAG 2.2 AA for normal text.
const MinContrast = 4.5

// The pages' own colours, where the branding chooses none: the header's
// background and text, the footer's text.
const (
	defaultTop        = "#23313f"
	defaultFont       = "#ffffff"
	defaultFooterFont = "#555555"
)

// readable refuses colours whose text would be hard to read: the font
// colour (or the header's white) on the top colour (or the header's
// dark blue), and, where a bottom colour is chosen, the font colour (or
// the footer's grey) on it. The pages apply the font colour to the
// footer only on a bottom colour of the account's.
func readable(b damask.Branding) error {
	font, top := or(b.FontColor, defaultFont), or(b.TopColor, defaultTop)
	if c := Contrast(font, top); c < MinContrast {
		return contrastError(b, "top", font, top, c)
	}
	if b.BottomColor != "" {
		font := or(b.FontColor, defaultFooterFont)
		if c := Contrast(font, b.BottomColor); c < MinContrast {
			return contrastError(b, "bottom", font, b.BottomColor, c)
		}
	}
	return nil
}

// contrastError names the field to change: the font colour when one is
// chosen, else the background's.
func contrastError(b damask.Branding, where, font, bg string, c float64) error {
	ratio := math.Floor(c*100) / 100
	if b.FontColor != "" {
		return damask.Errorf(damask.EINVALID, "Font colour %s on the %s colour %s has a contrast of %.2f:1; text needs at least %.1f:1 to be readable (WCAG 2.2 AA): choose a darker or lighter colour",
			font, where, bg, ratio, MinContrast)
	}
	field := "Top colour"
	if where == "bottom" {
		field = "Bottom colour"
	}
	return damask.Errorf(damask.EINVALID, "%s %s under the text colour %s has a contrast of %.2f:1; text needs at least %.1f:1 to be readable (WCAG 2.2 AA): choose a darker or lighter colour, or a font colour",
		field, bg, font, ratio, MinContrast)
}

func or(v, def string) string {
	if v == "" {
		return def
	}
	return v
}

// Contrast is the WCAG contrast ratio of two colours written #rgb or
// #rrggbb, from 1 to 21; 1 for a colour that is not so written.
func Contrast(a, b string) float64 {
	la, ok1 := luminance(a)
	lb, ok2 := luminance(b)
	if !ok1 || !ok2 {
		return 1
	}
	if la < lb {
		la, lb = lb, la
	}
	return (la + 0.05) / (lb + 0.05)
}

// luminance is a colour's relative luminance (WCAG 2.2).
func luminance(c string) (float64, bool) {
	if !colorRE.MatchString(c) {
		return 0, false
	}
	h := c[1:]
	if len(h) == 3 {
		h = string([]byte{h[0], h[0], h[1], h[1], h[2], h[2]})
	}
	var ch [3]float64
	for i := range ch {
		v, err := strconv.ParseUint(h[2*i:2*i+2], 16, 8)
		if err != nil {
			return 0, false
		}
		s := float64(v) / 255
		if s <= 0.04045 {
			ch[i] = s / 12.92
		} else {
			ch[i] = math.Pow((s+0.055)/1.055, 2.4)
		}
	}
	return 0.2126*ch[0] + 0.7152*ch[1] + 0.0722*ch[2], true
}

// validColor answers a colour in lower case, or "" to clear it.
func validColor(field, v string) (string, error) {
	v = strings.ToLower(strings.TrimSpace(v))
	if v == "" || colorRE.MatchString(v) {
		return v, nil
	}
	return "", damask.Errorf(damask.EINVALID, "%s must be a colour written #rgb or #rrggbb (e.g. #0a6ebd)", field)
}

// storeLogo checks a logo's bytes and keeps them in the blob store.
func (s *Service) storeLogo(ctx context.Context, r io.Reader) (damask.BlobRef, error) {
	data, err := io.ReadAll(io.LimitReader(r, MaxLogoSize+1))
	if err != nil {
		return damask.BlobRef{}, damask.Errorf(damask.EMALFORMED, "The logo could not be read: %v", err)
	}
	if len(data) > MaxLogoSize {
		return damask.BlobRef{}, damask.Errorf(damask.ETOOLARGE, "The logo is larger than %d KiB", MaxLogoSize>>10)
	}
	if err := checkLogo(data); err != nil {
		return damask.BlobRef{}, err
	}
	w, err := s.blobs.Create(ctx)
	if err != nil {
		return damask.BlobRef{}, storageError("start logo", err)
	}
	defer w.Abort() // a no-op once committed
	if _, err := w.Write(data); err != nil {
		return damask.BlobRef{}, storageError("write logo", err)
	}
	info, err := w.Commit(ctx)
	if err != nil {
		return damask.BlobRef{}, storageError("store logo", err)
	}
	return info.Ref, nil
}

// logoType is the content type of a logo's bytes, as they are checked on
// upload and sent: never the name's or the client's word.
func logoType(data []byte) string {
	return media.Sniff(data)
}

// checkLogo accepts a PNG, JPEG, GIF or WebP image of sane dimensions.
func checkLogo(data []byte) error {
	if len(data) == 0 {
		return damask.Errorf(damask.EINVALID, "The logo is empty")
	}
	t := logoType(data)
	if !logoTypes[t] {
		return damask.Errorf(damask.EINVALID, "The logo must be a PNG, JPEG, GIF or WebP image (this file is %s)", t)
	}
	var w, h int
	if t == "image/webp" {
		var ok bool
		if w, h, ok = webpSize(data); !ok {
			return damask.Errorf(damask.EINVALID, "The logo is not a valid WebP image")
		}
	} else {
		cfg, _, err := image.DecodeConfig(bytes.NewReader(data))
		if err != nil {
			return damask.Errorf(damask.EINVALID, "The logo is not a valid %s image", strings.TrimPrefix(t, "image/"))
		}
		w, h = cfg.Width, cfg.Height
	}
	if w <= 0 || h <= 0 || w > maxLogoSide || h > maxLogoSide {
		return damask.Errorf(damask.EINVALID, "The logo is %d×%d pixels; at most %d×%d are allowed", w, h, maxLogoSide, maxLogoSide)
	}
	return nil
}

// webpSize reads the canvas size of a WebP file's first chunk (lossy VP8,
// lossless VP8L or extended VP8X), which the standard library cannot.
func webpSize(d []byte) (w, h int, ok bool) {
	if len(d) < 30 || string(d[0:4]) != "RIFF" || string(d[8:12]) != "WEBP" {
		return 0, 0, false
	}
	le24 := func(b []byte) int { return int(b[0]) | int(b[1])<<8 | int(b[2])<<16 }
	c := d[20:]
	switch string(d[12:16]) {
	case "VP8 ": // frame tag (3), start code (3), then 14-bit width and height
		if c[3] != 0x9d || c[4] != 0x01 || c[5] != 0x2a {
			return 0, 0, false
		}
		return (int(c[6]) | int(c[7])<<8) & 0x3fff, (int(c[8]) | int(c[9])<<8) & 0x3fff, true
	case "VP8L": // signature, then 14-bit width-1 and height-1
		if c[0] != 0x2f {
			return 0, 0, false
		}
		bits := uint32(c[1]) | uint32(c[2])<<8 | uint32(c[3])<<16 | uint32(c[4])<<24
		return int(bits&0x3fff) + 1, int(bits>>14&0x3fff) + 1, true
	case "VP8X": // flags (4), then 24-bit canvas width-1 and height-1
		return le24(c[4:7]) + 1, le24(c[7:10]) + 1, true
	}
	return 0, 0, false
}

// LogoFile is an account's logo, to be sent.
type LogoFile struct {
	Ref         damask.BlobRef
	ContentType string
	Body        io.ReadSeekCloser // the caller closes it
}

// Logo answers the logo of an account, for its pages' header: anyone who
// reaches the account's host may see it, as the sign-in page shows it.
// ENOTFOUND when the account has none or its plan lacks branding.
func (s *Service) Logo(ctx context.Context, a *damask.Account) (*LogoFile, error) {
	if a.Branding.Logo == "" || !s.Plan(a).Branding {
		return nil, damask.Errorf(damask.ENOTFOUND, "The account has no logo")
	}
	ref, err := damask.ParseBlobRef(a.Branding.Logo)
	if err != nil {
		// Written by another program (an import): not a file of ours.
		return nil, damask.Errorf(damask.ENOTFOUND, "The account has no logo")
	}
	body, err := s.openVerified(ctx, ref, -1, "logo of account "+a.Name)
	if err != nil {
		return nil, err
	}
	head := make([]byte, 512)
	n, err := io.ReadFull(body, head)
	if err == nil || errors.Is(err, io.ErrUnexpectedEOF) {
		_, err = body.Seek(0, io.SeekStart)
	}
	if err != nil {
		body.Close()
		return nil, fmt.Errorf("read logo of account %s: %w", a.Name, err)
	}
	t := logoType(head[:n])
	if !logoTypes[t] {
		// Only checked images are stored as logos; anything else is
		// never sent with a type a browser would run.
		body.Close()
		return nil, damask.Errorf(damask.ENOTFOUND, "The account has no logo")
	}
	return &LogoFile{Ref: ref, ContentType: t, Body: body}, nil
}
