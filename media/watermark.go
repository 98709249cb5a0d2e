package media

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

// dm_watermark draws text over a JPEG or WebP (a rendition) at an opacity
// from 0 to 1: light letters with a dark shadow, so that they show on
// light and dark pictures alike, and encodes the result as a JPEG without
// metadata. pos says where: 0 across the middle, about a twelfth of the
// picture's width high; 1 to 4 the top-left, top-right, bottom-left and
// bottom-right corners and 5 repeated over the whole picture, half that
// size.
static int dm_watermark(const void *buf, size_t len, const char *markup, int pos, double opacity, int q,
		void **out, size_t *outlen) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 16);
	t[0] = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL, NULL);
	if (!t[0])
		goto fail;
	VipsImage *in = t[0];
	if (vips_image_hasalpha(in)) {
		if (vips_flatten(in, &t[1], NULL))
			goto fail;
		in = t[1];
	}
	if (vips_colourspace(in, &t[2], VIPS_INTERPRETATION_sRGB, NULL))
		goto fail;
	in = t[2];
	int w = vips_image_get_width(in), h = vips_image_get_height(in);
	double scale = pos == 0 ? 0.5 : 0.25;
	int dpi = (int) (scale * w);
	if (dpi < 8)
		dpi = 8;
	if (vips_text(&t[3], markup, "font", "sans bold 12", "dpi", dpi, "width", (int) (w * scale * 1.6),
			"align", pos == 1 || pos == 3 ? VIPS_ALIGN_LOW : pos == 2 || pos == 4 ? VIPS_ALIGN_HIGH : VIPS_ALIGN_CENTRE, NULL))
		goto fail;
	int tw = vips_image_get_width(t[3]), th = vips_image_get_height(t[3]);
	int m = w / 30, d = w / 300 + 1;
	int x, y;
	switch (pos) {
	case 1: x = m; y = m; break;
	case 2: x = w - tw - m; y = m; break;
	case 3: x = m; y = h - th - m; break;
	case 4: x = w - tw - m; y = h - th - m; break;
	default: x = (w - tw) / 2; y = (h - th) / 2;
	}
	if (x < 0) x = 0;
	if (y < 0) y = 0;
	// The letters' mask on a canvas of the picture's size, and their shadow.
	if (pos == 5) {
		// A tile of the letters with room around them, repeated from the
		// middle so that one copy sits there.
		int gw = tw + tw / 2 + 1, gh = th * 3;
		if (vips_embed(t[3], &t[13], (gw - tw) / 2, (gh - th) / 2, gw, gh, NULL) ||
		    vips_embed(t[13], &t[4], x - (gw - tw) / 2, y - (gh - th) / 2, w, h, "extend", VIPS_EXTEND_REPEAT, NULL) ||
		    vips_embed(t[4], &t[5], d, d, w, h, NULL))
			goto fail;
	} else if (vips_embed(t[3], &t[4], x, y, w, h, NULL) || vips_embed(t[3], &t[5], x + d, y + d, w, h, NULL))
		goto fail;
	// Shadow: in * (1 - k), k = opacity * 0.6 * mask / 255.
	if (vips_linear1(t[5], &t[6], -opacity * 0.6 / 255.0, 1.0, NULL) || vips_multiply(in, t[6], &t[7], NULL))
		goto fail;
	// Letters: x + (255 - x) * k, k = opacity * mask / 255.
	if (vips_linear1(t[4], &t[8], opacity / 255.0, 0.0, NULL) ||
	    vips_linear1(t[7], &t[9], -1.0, 255.0, NULL) ||
	    vips_multiply(t[9], t[8], &t[10], NULL) ||
	    vips_add(t[7], t[10], &t[11], NULL) ||
	    vips_cast(t[11], &t[12], VIPS_FORMAT_UCHAR, NULL))
		goto fail;
	if (vips_jpegsave_buffer(t[12], out, outlen, "Q", q, "strip", TRUE, "optimize_coding", TRUE, NULL))
		goto fail;
	g_object_unref(base);
	return 0;
fail:
	g_object_unref(base);
	return -1;
}
*/
import "C"

import (
	"context"
	"errors"
	"fmt"
	"strings"
	"unsafe"
)

// WatermarkStyle is where a watermark is drawn and how strongly.
type WatermarkStyle struct {
	// Position is center (or ""), top-left, top-right, bottom-left,
	// bottom-right or tiled.
	Position string
	// Opacity is how strongly the letters cover the picture, from 0 to 1;
	// 0 reads as DefaultWatermarkOpacity.
	Opacity float64
}

// DefaultWatermarkOpacity is the opacity of a style that sets none.
const DefaultWatermarkOpacity = 0.45

// watermarkPositions number the positions for dm_watermark.
var watermarkPositions = map[string]C.int{"": 0, "center": 0, "top-left": 1, "top-right": 2,
	"bottom-left": 3, "bottom-right": 4, "tiled": 5}

// markup escapes text for the renderer, which reads Pango markup.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")

// Watermark draws text on img, a JPEG or WebP (a rendition), where and as
// strongly as style says, and answers a JPEG of it without metadata, at
// JPEGQuality. It never touches an original: callers watermark renditions
// only.
func (r *Renderer) Watermark(ctx context.Context, img []byte, text string, style WatermarkStyle) ([]byte, error) {
	if len(img) == 0 {
		return nil, fmt.Errorf("media: watermark: %w", ErrEmpty)
	}
	pos, ok := watermarkPositions[style.Position]
	if !ok {
		return nil, fmt.Errorf("media: watermark: no position %q", style.Position)
	}
	opacity := style.Opacity
	if opacity <= 0 {
		opacity = DefaultWatermarkOpacity
	}
	opacity = min(opacity, 1)
	ctx, release, err := r.acquire(ctx)
	if err != nil {
		return nil, err
	}
	defer release()
	if err := ctx.Err(); err != nil {
		return nil, fmt.Errorf("media: watermark: %w", err)
	}
	cimg := C.CBytes(img)
	defer C.free(cimg)
	ctext := C.CString(markup.Replace(text))
	defer C.free(unsafe.Pointer(ctext))
	var buf unsafe.Pointer
	var n C.size_t
	if C.dm_watermark(cimg, C.size_t(len(img)), ctext, pos, C.double(opacity), C.int(JPEGQuality), &buf, &n) != 0 {
		return nil, fmt.Errorf("media: watermark: %w: %w", ErrCorrupt, errors.New(vipsError()))
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}
