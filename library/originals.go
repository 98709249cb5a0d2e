package library

import (
	"context"
	"crypto/subtle"
	"fmt"
	"io"
	"strconv"
	"strings"

	"damask"
	"damask/media"
)

// Who gets an asset's original file. Guests read and preview: no route
// gives them the bytes of a version (a download, an old version, a zip, the
// media player), a rendition that shows the file at its full size, or the
// public link. Every route that sends an original or a rendition asks
// here.

// mayHaveOriginals tells whether u may have the original files of the
// account's assets: members and above who are not disabled.
func mayHaveOriginals(u *damask.User) bool {
	return u != nil && !u.Disabled && u.Role.AtLeast(damask.RoleMember)
}

// MayHaveOriginals tells whether the caller may download original files,
// for pages that offer the links.
func MayHaveOriginals(c Caller) bool { return mayHaveOriginals(c.User) }

// requireOriginals answers EFORBIDDEN unless the caller may have original
// files.
func requireOriginals(c Caller) error {
	if !mayHaveOriginals(c.User) {
		return damask.Errorf(damask.EFORBIDDEN, "Your role may not download originals (guests may preview only)")
	}
	return nil
}

// shown is the asset as the caller may see it: without its public link for
// a caller who may not have originals, since the link gives the file to
// whoever holds it. The store's asset is left alone.
func shown(c Caller, a *damask.Asset) *damask.Asset {
	if a == nil || a.PublicToken == "" || mayHaveOriginals(c.User) {
		return a
	}
	cp := *a
	cp.PublicToken, cp.PublicLinkBy = "", 0
	return &cp
}

// Download is a version's file, open for reading.
type Download struct {
	Asset   *damask.Asset
	Version *damask.Version
	Body    io.ReadSeekCloser
}

// Download opens version n (0: the current one) of an asset for the
// caller. Guests may preview but not download originals: EFORBIDDEN.
func (s *Service) Download(ctx context.Context, c Caller, id int64, n int) (*Download, error) {
	if err := requireOriginals(c); err != nil {
		return nil, err
	}
	a, err := s.asset(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, n)
}

func (s *Service) open(ctx context.Context, a *damask.Asset, n int) (*Download, error) {
	if n == 0 {
		n = a.Version
	}
	v, err := s.store.Version(ctx, a.AccountID, a.ID, n)
	if err != nil {
		return nil, err
	}
	body, err := s.openVerified(ctx, v.Blob, v.Size, fmt.Sprintf("asset %d version %d", a.ID, n))
	if err != nil {
		return nil, err
	}
	return &Download{Asset: a, Version: v, Body: body}, nil
}

// MaxZipFiles is the most assets one zip of a selection may name.
const MaxZipFiles = 10000

// MaxSelection is the most assets one change of a selection (tagging,
// deleting) takes, one by one; a zip is bounded by MaxZipFiles.
const MaxSelection = 1000

// selectionLimit refuses a selection to change past MaxSelection.
func selectionLimit(ids []int64) error {
	if len(ids) > MaxSelection {
		return damask.Errorf(damask.EINVALID, "Select at most %d assets at once", MaxSelection)
	}
	return nil
}

// ZipFiles opens the current files of the selected assets one after the
// other, for one archive of them, and hands each to add, which reads it;
// ZipFiles closes it. An id named twice is one file. Assets that no
// longer exist, or whose file cannot be opened, are skipped and logged.
// Errors, before add is first called: EFORBIDDEN for a caller who may not
// have originals; EINVALID for more than MaxZipFiles ids; ENOTFOUND when
// no file could be opened. An error of add ends the walk and is answered
// as it is.
func (s *Service) ZipFiles(ctx context.Context, c Caller, ids []int64, add func(*Download) error) error {
	if err := requireOriginals(c); err != nil {
		return err
	}
	if len(ids) > MaxZipFiles {
		return damask.Errorf(damask.EINVALID, "A zip holds at most %d files; this selection names %d", MaxZipFiles, len(ids))
	}
	seen := make(map[int64]bool, len(ids))
	sent := 0
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := s.asset(ctx, c, id)
		var d *Download
		if err == nil {
			d, err = s.open(ctx, a, 0)
		}
		if err != nil {
			// One file lost or damaged does not cost the others.
			s.log.Warn("zip: skip asset", "asset", id, "err", err)
			continue
		}
		err = add(d)
		d.Body.Close()
		if err != nil {
			return err
		}
		sent++
	}
	if sent == 0 {
		return damask.Errorf(damask.ENOTFOUND, "None of the selected assets has a file to download")
	}
	return nil
}

// PublicDownload opens the current file of an asset by its public link.
// The token is the asset's id and a secret; a wrong, revoked or disabled
// link is ENOTFOUND, like a missing asset, and so is a link whose maker
// may no longer have originals (made a guest, disabled or deleted): a
// link gives no more than its maker's right.
func (s *Service) PublicDownload(ctx context.Context, account *damask.Account, token string) (*Download, error) {
	a, err := s.publicAsset(ctx, account, token)
	if err != nil {
		return nil, err
	}
	return s.open(ctx, a, 0)
}

// publicAsset finds the asset whose public link is token, by the rules of
// PublicDownload, which every route of a public link keeps: ENOTFOUND
// for a wrong, revoked or disabled link and for one whose maker may no
// longer have originals.
func (s *Service) publicAsset(ctx context.Context, account *damask.Account, token string) (*damask.Asset, error) {
	idPart, _, ok := strings.Cut(token, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	if !ok || err != nil || !account.PublicLinks {
		return nil, damask.ErrNotFound
	}
	a, err := s.store.Asset(ctx, account.ID, id)
	if err != nil {
		return nil, err
	}
	if a.PublicToken == "" || subtle.ConstantTimeCompare([]byte(PublicToken(a)), []byte(token)) != 1 {
		return nil, damask.ErrNotFound
	}
	if a.PublicLinkBy == 0 {
		return nil, damask.ErrNotFound
	}
	maker, err := s.store.User(ctx, account.ID, a.PublicLinkBy)
	if damask.ErrorCode(err) == damask.ENOTFOUND || err == nil && !mayHaveOriginals(maker) {
		return nil, damask.ErrNotFound
	}
	if err != nil {
		return nil, fmt.Errorf("maker of the link of asset %d: %w", id, err)
	}
	return a, nil
}

// PublicToken is the path element of an asset's public link, "" when it
// has none.
func PublicToken(a *damask.Asset) string {
	if a.PublicToken == "" {
		return ""
	}
	return strconv.FormatInt(a.ID, 10) + "-" + a.PublicToken
}

// MaySee tells whether the caller may see the asset's rendition at size:
// a caller who may not have originals sees only renditions smaller than
// the file, by what is known of the file's size. Pages use it to choose
// the sizes they show; Rendition checks again with the rendition's own
// size.
func MaySee(c Caller, a *damask.Asset, size media.Size) bool {
	return mayHaveOriginals(c.User) || !reproduces(a, damask.Rendition{Width: size.Px}, size)
}

// raster tells whether the asset's file is a raster image, whose
// renditions are its pixels scaled down.
func raster(a *damask.Asset) bool {
	return strings.HasPrefix(a.ContentType, "image/") && a.ContentType != "image/svg+xml"
}

// reproduces tells whether the rendition r, made at size, shows the
// asset's file at its full size or larger, which would make a preview an
// original. Only raster images count: a rendition of a vector (SVG), a
// document's page or a video's frame is not the file. The renderer never
// enlarges a raster, so when the file's own size is not known yet (it is
// being processed) a rendition smaller than its size was not scaled down,
// and is the file's full size.
func reproduces(a *damask.Asset, r damask.Rendition, size media.Size) bool {
	if !raster(a) {
		return false
	}
	shown := max(r.Width, r.Height)
	if file := max(a.Width, a.Height); file > 0 {
		return shown >= file
	}
	return shown < size.Px
}
