package media

import (
	"context"
	"fmt"
	"strconv"
)

// The bounds of a Geometry's width and height, in pixels: the sizes a
// gallery asks of a public link (API.md: "W and H from 16 to 2048").
const (
	MinGeometry = 16
	MaxGeometry = 2048
)

// Geometry is a size asked by a client rather than taken from the fixed
// table: fit inside Width x Height, keeping the aspect ratio and never
// enlarging; or, with Fill, exactly Width x Height, scaled to cover the
// box and cropped evenly from both sides of the longer dimension. fluxiom's
// galleries ask them of public links as _WxH.jpg and _fWxH.jpg.
type Geometry struct {
	Width, Height int
	Fill          bool
}

// Valid tells whether both sides are within MinGeometry..MaxGeometry.
func (g Geometry) Valid() bool {
	return g.Width >= MinGeometry && g.Width <= MaxGeometry && g.Height >= MinGeometry && g.Height <= MaxGeometry
}

// String is the geometry as a URL writes it: 170x100, or f170x100 to fill.
func (g Geometry) String() string {
	s := strconv.Itoa(g.Width) + "x" + strconv.Itoa(g.Height)
	if g.Fill {
		return "f" + s
	}
	return s
}

// Name is the geometry's rendition name, the key its JPEG is kept under
// beside the fixed sizes' ("fit170x100", "fill170x100"): no name of the
// fixed table looks like one.
func (g Geometry) Name() string {
	if g.Fill {
		return "fill" + strconv.Itoa(g.Width) + "x" + strconv.Itoa(g.Height)
	}
	return "fit" + strconv.Itoa(g.Width) + "x" + strconv.Itoa(g.Height)
}

// Covers tells whether an image of w x h, made from a larger original,
// holds every pixel g needs: making g from it gives what making g from
// the original would. Fit needs the image to reach the box on one side
// (it is then scaled down, as the original would be); fill needs it to
// cover the box on both.
func (g Geometry) Covers(w, h int) bool {
	if g.Fill {
		return w >= g.Width && h >= g.Height
	}
	return w >= g.Width || h >= g.Height
}

// RenderGeometry makes one JPEG of the still image at srcPath at g (a
// camera RAW from its embedded preview, as Render does): upright, sRGB,
// no metadata, at JPEGQuality, from one decode that shrinks on load to
// what g needs. The checks and errors are Render's; a video is
// ErrUnsupported (its frame is a rendition already: make g from that).
func (r *Renderer) RenderGeometry(ctx context.Context, srcPath string, g Geometry) (_ []byte, err error) {
	defer func() { err = redactPath(err, srcPath) }()
	if !g.Valid() {
		return nil, fmt.Errorf("media: render %s: sides must be from %d to %d", g, MinGeometry, MaxGeometry)
	}
	ctx, release, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	var jpeg []byte
	_, err = r.still(ctx, srcPath, func(ctx context.Context, src *source) error {
		jpeg, err = renderGeometry(ctx, src, g)
		return err
	})
	if err != nil {
		return nil, err
	}
	return jpeg, nil
}

// renderGeometry decodes, scales (and crops) and encodes in one pass:
// the pipeline is evaluated by the JPEG encoder, with no copy of the
// whole image in memory between the steps.
func renderGeometry(ctx context.Context, src *source, g Geometry) ([]byte, error) {
	var k killer
	stop := context.AfterFunc(ctx, k.fire)
	defer stop()
	lazy, err := src.geometry(g)
	if err != nil {
		return nil, fmt.Errorf("media: render %s: %w: %w", g, ErrCorrupt, err)
	}
	flat, err := srgb8(lazy)
	unref(lazy)
	if err != nil {
		return nil, fmt.Errorf("media: render %s: %w: %w", g, ErrCorrupt, err)
	}
	k.watch(flat)
	b, err := encodeJPEG(flat, JPEGQuality)
	k.watch(nil)
	unref(flat)
	if cerr := ctx.Err(); cerr != nil {
		return nil, fmt.Errorf("media: render %s: %w", g, cerr)
	}
	if err != nil {
		return nil, fmt.Errorf("media: render %s: %w: %w", g, ErrCorrupt, err)
	}
	return b, nil
}
