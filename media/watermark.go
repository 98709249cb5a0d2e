package media

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <vips/vips.h>

// dm_watermark draws text over the middle of a JPEG or WebP (a rendition)
// at an opacity from 0 to 1: light letters with a dark shadow, so that
// they show on light and dark pictures alike, about a twelfth of the
// picture's width high, and encodes the result as a JPEG without metadata.
static int dm_watermark(const void *buf, size_t len, const char *markup, double opacity, int q,
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
	int dpi = (int) (0.5 * w);
	if (dpi < 8)
		dpi = 8;
	if (vips_text(&t[3], markup, "font", "sans bold 12", "dpi", dpi, "width", (int) (w * 0.8), "align", VIPS_ALIGN_CENTRE, NULL))
		goto fail;
	int tw = vips_image_get_width(t[3]), th = vips_image_get_height(t[3]);
	int x = (w - tw) / 2, y = (h - th) / 2, d = w / 300 + 1;
	if (x < 0) x = 0;
	if (y < 0) y = 0;
	// The letters' mask on a canvas of the picture's size, and their shadow.
	if (vips_embed(t[3], &t[4], x, y, w, h, NULL) || vips_embed(t[3], &t[5], x + d, y + d, w, h, NULL))
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

// WatermarkOpacity is how strongly a watermark's letters cover the picture.
const WatermarkOpacity = 0.45

// markup escapes text for the renderer, which reads Pango markup.
var markup = strings.NewReplacer("&", "&amp;", "<", "&lt;", ">", "&gt;", "'", "&apos;", `"`, "&quot;")

// Watermark draws text across the middle of img, a JPEG or WebP (a
// rendition), and answers a JPEG of it without metadata, at JPEGQuality.
// It never touches an original: callers watermark renditions only.
func (r *Renderer) Watermark(ctx context.Context, img []byte, text string) ([]byte, error) {
	if len(img) == 0 {
		return nil, fmt.Errorf("media: watermark: %w", ErrEmpty)
	}
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
	if C.dm_watermark(cimg, C.size_t(len(img)), ctext, C.double(WatermarkOpacity), C.int(JPEGQuality), &buf, &n) != 0 {
		return nil, fmt.Errorf("media: watermark: %w: %w", ErrCorrupt, errors.New(vipsError()))
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}
