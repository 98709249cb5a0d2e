package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image/jpeg"
	"math"
	"sync"
	"time"

	"damask"
	"damask/media"
)

// Sized public images: fluxiom's galleries append a size to an asset's
// public link (_170x100.jpg to fit, _f170x100.jpg to fill), and get a
// JPEG of it. Each is made once per (file, geometry), from the 2048 px
// rendition when that holds every pixel the geometry needs, else from
// the file, and kept with the other renditions of the file: a second
// request, or a new version with the same bytes, is served from storage.
// Requests for one that is being made wait for it and share it. Since the
// geometries are the client's choice, an account makes at most
// Options.PublicSizesPerMinute new ones a minute; those already made are
// always served.

// DefaultPublicSizesPerMinute is the bound the server's flag starts from.
const DefaultPublicSizesPerMinute = 60

// PublicImage opens the image of the asset whose public link is token,
// at the geometry g, making it first if it was never made of the
// asset's current file. The link's rules are PublicDownload's.
// Errors: ENOTFOUND for a geometry out of bounds (media.MinGeometry to
// media.MaxGeometry), for a wrong, revoked or disabled link, and for a
// file that has no image (a format without renditions, a failed one);
// ETHROTTLED, with the wait (RetryAfter), when the account has made its
// new geometries of the minute; EPENDING while a video's frame is not
// made yet.
func (s *Service) PublicImage(ctx context.Context, account *damask.Account, token string, g media.Geometry) (*RenditionFile, error) {
	if !g.Valid() {
		return nil, damask.Errorf(damask.ENOTFOUND, "No public image of %s: width and height are from %d to %d pixels",
			g, media.MinGeometry, media.MaxGeometry)
	}
	a, err := s.publicAsset(ctx, account, token)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Rendition(ctx, a.Blob, g.Name())
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		r, err = s.makePublicImage(ctx, a, g)
	}
	if err != nil {
		return nil, err
	}
	body, err := s.openVerified(ctx, r.Blob, -1, fmt.Sprintf("%s of asset %d", g.Name(), a.ID))
	if err != nil {
		return nil, err
	}
	return &RenditionFile{Asset: a, Rendition: r, Body: body}, nil
}

// makePublicImage makes and keeps the image of a's file at g, once for
// the requests that ask it at the same time.
func (s *Service) makePublicImage(ctx context.Context, a *damask.Asset, g media.Geometry) (damask.Rendition, error) {
	switch a.Processing {
	case damask.ProcessingPending, damask.ProcessingDone:
	default:
		return damask.Rendition{}, damask.Errorf(damask.ENOTFOUND, "Asset %d has no image: its file has no rendition (processing %s)", a.ID, a.Processing)
	}
	v, err, _ := s.sizing.Do(a.Blob.String()+"/"+g.Name(), func() (any, error) {
		// The request that makes it may go; those waiting for it may not:
		// the renderer's own time limit bounds the work.
		ctx := context.WithoutCancel(ctx)
		// Another request may have made it between our look and now.
		r, err := s.store.Rendition(ctx, a.Blob, g.Name())
		if damask.ErrorCode(err) != damask.ENOTFOUND {
			return r, err
		}
		if wait := s.sizeBudget.take(a.AccountID, s.now()); wait > 0 {
			return nil, &damask.Error{Code: damask.ETHROTTLED,
				Message: fmt.Sprintf("This account may have %d new image sizes made a minute; try again shortly (sizes already made are served)", s.sizeBudget.per),
				Err:     &retryAfter{wait}}
		}
		return s.renderPublicImage(ctx, a, g)
	})
	if err != nil {
		return damask.Rendition{}, err
	}
	return v.(damask.Rendition), nil
}

// renderPublicImage renders g from the 2048 px rendition when it covers
// g (or is the whole picture), else from the file; a file the renderer
// takes no still image from (a video) is sized from its rendition.
func (s *Service) renderPublicImage(ctx context.Context, a *damask.Asset, g media.Geometry) (damask.Rendition, error) {
	renderer := s.tools().Renderer
	if renderer == nil {
		return damask.Rendition{}, damask.Errorf(damask.ENOTFOUND, "Asset %d has no image: this server makes none", a.ID)
	}
	large, err := s.store.Rendition(ctx, a.Blob, media.Lightbox.Name)
	hasLarge := err == nil
	if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
		return damask.Rendition{}, fmt.Errorf("size asset %d: %w", a.ID, err)
	}
	// A 2048 px rendition that shows a raster at its full size is the
	// whole picture, which any geometry may be made from. (A vector or a
	// document's page is drawn again at the size instead.)
	from := a.Blob
	if hasLarge && (g.Covers(large.Width, large.Height) || reproduces(a, large, media.Lightbox)) {
		from = large.Blob
	}
	b, err := s.renderFrom(ctx, renderer, from, g)
	if errors.Is(err, media.ErrUnsupported) && from == a.Blob {
		if !hasLarge {
			if a.Processing == damask.ProcessingPending {
				return damask.Rendition{}, damask.Errorf(damask.EPENDING, "The image of asset %d is being made; try again shortly", a.ID)
			}
			return damask.Rendition{}, damask.Errorf(damask.ENOTFOUND, "Asset %d has no image", a.ID)
		}
		from = large.Blob
		b, err = s.renderFrom(ctx, renderer, from, g)
	}
	switch {
	case err != nil && (fileFault(err) || errors.Is(err, media.ErrUnsupported)):
		return damask.Rendition{}, damask.Errorf(damask.ENOTFOUND, "Asset %d has no image: %v", a.ID, err)
	case err != nil:
		return damask.Rendition{}, fmt.Errorf("size asset %d to %s: %w", a.ID, g, err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
	if err != nil {
		return damask.Rendition{}, fmt.Errorf("size asset %d to %s: %w", a.ID, g, err)
	}
	s.log.Info("public image made", "account", a.AccountID, "asset", a.ID, "geometry", g.String(),
		"from_file", from == a.Blob)
	return s.keepRendition(ctx, a.Blob, g.Name(), b, cfg.Width, cfg.Height)
}

func (s *Service) renderFrom(ctx context.Context, r *media.Renderer, ref damask.BlobRef, g media.Geometry) ([]byte, error) {
	path, done, err := s.blobPath(ctx, ref)
	if err != nil {
		return nil, err
	}
	defer done()
	return r.RenderGeometry(ctx, path, g)
}

// sizeBudget bounds the new geometries each account has made: a bucket
// of per tokens per account, refilled at per a minute, one taken for
// each new geometry. It lives in this process: with several servers an
// account may make per a minute on each.
type sizeBudget struct {
	per int // 0: no bound

	mu      sync.Mutex
	buckets map[int64]sizeBucket
}

type sizeBucket struct {
	tokens float64
	at     time.Time
}

// maxBuckets is how many accounts' buckets are kept before the full
// ones (which a new bucket would equal) are forgotten.
const maxBuckets = 10000

func newSizeBudget(per int) *sizeBudget {
	return &sizeBudget{per: per, buckets: make(map[int64]sizeBucket)}
}

// take takes a token of the account's bucket as of now and answers 0, or
// takes none and answers the wait until the next.
func (b *sizeBudget) take(account int64, now time.Time) time.Duration {
	if b.per <= 0 {
		return 0
	}
	rate := float64(b.per) / float64(time.Minute) // tokens a nanosecond
	b.mu.Lock()
	defer b.mu.Unlock()
	k, ok := b.buckets[account]
	if !ok {
		if len(b.buckets) >= maxBuckets {
			for id, old := range b.buckets {
				if old.tokens+float64(now.Sub(old.at))*rate >= float64(b.per) {
					delete(b.buckets, id)
				}
			}
		}
		k = sizeBucket{tokens: float64(b.per), at: now}
	}
	if now.After(k.at) {
		k.tokens = math.Min(float64(b.per), k.tokens+float64(now.Sub(k.at))*rate)
		k.at = now
	}
	if k.tokens < 1 {
		b.buckets[account] = k
		return time.Duration(math.Ceil((1 - k.tokens) / rate))
	}
	k.tokens--
	b.buckets[account] = k
	return 0
}
