package library

import (
	"context"
	"crypto/subtle"
	"strconv"
	"strings"

	"damask"
	"damask/media"
)

// The capability URLs of thumbnails and previews. fluxiom's clients load
// an asset's thumb_url in an <img>, which sends no credentials, and swap
// its _64.jpg for _128.jpg or _256.jpg; so the URL holds the asset's
// secret (damask.Asset.ThumbToken, 130 random bits) and the content key
// of its current file, and works without credentials while the account
// has public thumbnails on. It shows what a guest may see: renditions,
// never a rendition that is the file at its full size.

// ContentKey names the content of an asset's current file in the URLs of
// its renditions: a new version changes it, so that an answer cached for
// good never goes stale.
func ContentKey(a *damask.Asset) string { return a.Blob.String()[:16] }

// ThumbCapability is the path element "ID-SECRET" of the asset's
// capability URLs, "" when the account has public thumbnails off or the
// asset has no secret (then its renditions need credentials).
func ThumbCapability(account *damask.Account, a *damask.Asset) string {
	if account == nil || !account.PublicThumbnails || a.ThumbToken == "" {
		return ""
	}
	return strconv.FormatInt(a.ID, 10) + "-" + a.ThumbToken
}

// missSecret is compared against when there is no asset to compare with,
// so that a miss costs what a wrong secret costs; a match with it still
// misses.
const missSecret = "00000000000000000000000000"

// CapabilityRendition opens the rendition at size of an asset of the
// account by its capability ("ID-SECRET", ThumbCapability), for anyone
// who holds it; key is the content key the URL names (ContentKey).
// Errors: ENOTFOUND, all alike, for a malformed capability, an unknown or
// trashed asset, a wrong secret and an account with public thumbnails
// off; ENOTFOUND too for a key that is not the current file's, since a
// URL cached for good must never show another file; then as Rendition
// for a guest (EPENDING, EFORBIDDEN for a rendition that is the file).
func (s *Service) CapabilityRendition(ctx context.Context, account *damask.Account, capability, key string, size media.Size) (*RenditionFile, error) {
	idPart, secret, _ := strings.Cut(capability, "-")
	id, err := strconv.ParseInt(idPart, 10, 64)
	var a *damask.Asset
	if err == nil && id > 0 && account.PublicThumbnails {
		a, err = s.store.Asset(ctx, account.ID, id)
		if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
			return nil, err
		}
	}
	want := []byte(missSecret)
	if a != nil && a.ThumbToken != "" {
		want = []byte(a.ThumbToken)
	}
	match := subtle.ConstantTimeCompare(want, []byte(secret)) == 1
	if a == nil || a.ThumbToken == "" || !match {
		return nil, damask.ErrNotFound
	}
	if subtle.ConstantTimeCompare([]byte(ContentKey(a)), []byte(key)) != 1 {
		return nil, damask.Errorf(damask.ENOTFOUND, "This URL names a former file of asset %d; read the asset again for its current thumb_url", id)
	}
	return s.rendition(ctx, Caller{Account: account}, a, size)
}

// RenditionAt opens the rendition at size of an asset's current file for
// the caller, as Rendition does, when key names that file (ContentKey).
// Another key is ENOTFOUND: the URL that carries it is cached for good,
// and must never show another file than the one it named.
func (s *Service) RenditionAt(ctx context.Context, c Caller, id int64, key string, size media.Size) (*RenditionFile, error) {
	if err := requireRole(c, damask.RoleGuest, "see previews"); err != nil {
		return nil, err
	}
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if key != ContentKey(a) {
		return nil, damask.Errorf(damask.ENOTFOUND, "This URL names a former file of asset %d; read the asset again for its current thumb_url", id)
	}
	return s.rendition(ctx, c, a, size)
}
