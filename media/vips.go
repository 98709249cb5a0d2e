package media

/*
#cgo pkg-config: vips
#include <stdlib.h>
#include <malloc.h>
#include <vips/vips.h>

// The loaders Damask trusts. Everything else under VipsForeignLoad stays
// blocked, every "untrusted" loader included; svgload and pdfload are
// marked untrusted by libvips and are re-enabled on purpose: SVG is loaded
// from memory (no base URI, so librsvg resolves no external reference) and
// poppler fetches nothing. ImageMagick's file loader is re-enabled for PSD
// alone: the ImageMagick policy written before libvips starts (magick.go)
// denies every ImageMagick coder, module, delegate and filter but PSD, so
// whatever file reaches it, ImageMagick decodes nothing else.
static const char *dm_allowed[] = {
	"VipsForeignLoadJpeg", "VipsForeignLoadPng", "VipsForeignLoadNsgif",
	"VipsForeignLoadWebp", "VipsForeignLoadTiff", "VipsForeignLoadHeif",
	"VipsForeignLoadSvg", "VipsForeignLoadPdf", NULL,
};

static void dm_drop_log(const gchar *domain, GLogLevelFlags level, const gchar *msg, gpointer data) {}

// glibc gives each thread that allocates under contention an arena of its
// own, up to 8 per core, and keeps what a render freed in it: renders run
// on whichever thread cgo picks, so a batch left a few hundred MiB spread
// over arenas that no later render reuses. One arena measured no slower
// (bench/notes.md): a render's time is in decoding, not in malloc. The
// limit is set when the program is loaded, before any thread exists (an
// arena made before it would stay), unless MALLOC_ARENA_MAX is set, which
// glibc reads itself.
__attribute__((constructor)) static void dm_arenas(void) {
	if (!getenv("MALLOC_ARENA_MAX"))
		mallopt(M_ARENA_MAX, 1);
}

static int dm_start(int magick) {
	if (VIPS_INIT("damask"))
		return -1;
	// Renditions are made once per source; caching operations only costs memory.
	vips_cache_set_max(0);
	vips_cache_set_max_mem(0);
	vips_cache_set_max_files(0);
	// One vips thread per worker: vips threads do not speed up JPEG decoding,
	// and the worker pool is the unit of parallelism.
	vips_concurrency_set(1);
	// Failures reach the caller through the error buffer; libvips' warnings
	// ("error in tile", "ignoring nclx profile") would only be noise on stderr.
	g_log_set_handler("VIPS", G_LOG_LEVEL_WARNING, dm_drop_log, NULL);
	vips_block_untrusted_set(TRUE);
	vips_operation_block_set("VipsForeignLoad", TRUE);
	for (int i = 0; dm_allowed[i]; i++)
		vips_operation_block_set(dm_allowed[i], FALSE);
	if (magick)
		vips_operation_block_set("VipsForeignLoadMagickFile", FALSE);
	return 0;
}

typedef struct {
	int width, height, pages, orientation, alpha;
} dm_header;

static void dm_fill(VipsImage *im, dm_header *h) {
	h->width = vips_image_get_width(im);
	h->height = vips_image_get_height(im);
	h->pages = vips_image_get_n_pages(im);
	h->orientation = 1;
	if (vips_image_get_typeof(im, VIPS_META_ORIENTATION))
		vips_image_get_int(im, VIPS_META_ORIENTATION, &h->orientation);
	h->alpha = vips_image_hasalpha(im);
}

// dm_header_file reads only the header: vips loads pixels lazily.
static int dm_header_file(const char *path, dm_header *h) {
	VipsImage *im = vips_image_new_from_file(path, "access", VIPS_ACCESS_SEQUENTIAL,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	if (!im)
		return -1;
	dm_fill(im, h);
	g_object_unref(im);
	return 0;
}

// dm_header_jpeg is dm_header_file for a file known to be a JPEG: its
// loader is called by name, where a file name makes libvips ask every
// loader in turn whether the file is theirs (openslide's among them,
// which opens the file to look).
static int dm_header_jpeg(const char *path, dm_header *h) {
	VipsImage *im;
	if (vips_jpegload(path, &im, "access", VIPS_ACCESS_SEQUENTIAL,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL))
		return -1;
	dm_fill(im, h);
	g_object_unref(im);
	return 0;
}

static int dm_header_buffer(void *buf, size_t len, dm_header *h) {
	VipsImage *im = vips_image_new_from_buffer(buf, len, "", "access", VIPS_ACCESS_SEQUENTIAL,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	if (!im)
		return -1;
	dm_fill(im, h);
	g_object_unref(im);
	return 0;
}

// dm_thumb_file is shrink-on-load to fit px x px: JPEG decodes at 1/2..1/8
// scale, PDF and SVG rasterise at the target scale, only the first page or
// frame is loaded, EXIF orientation is applied and the tag removed, and
// embedded profiles are converted to sRGB.
static int dm_thumb_file(const char *path, int px, VipsImage **out) {
	return vips_thumbnail(path, out, px, "height", px, "size", VIPS_SIZE_DOWN,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}

// dm_thumb_jpeg is dm_thumb_file for a file known to be a JPEG, decoded
// at 1/shrink scale: what vips_thumbnail does with a JPEG, without the
// two looks for its loader and the header read that choose the scale
// (the caller has the header).
static int dm_thumb_jpeg(const char *path, int px, int shrink, VipsImage **out) {
	VipsImage *im;
	if (vips_jpegload(path, &im, "shrink", shrink, "access", VIPS_ACCESS_SEQUENTIAL,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL))
		return -1;
	int r = vips_thumbnail_image(im, out, px, "height", px, "size", VIPS_SIZE_DOWN, NULL);
	g_object_unref(im);
	return r;
}

// dm_thumb_file_orient is dm_thumb_file for a file whose own orientation
// tag is to be ignored in favour of another's (a RAW's embedded preview
// takes the RAW's orientation).
static int dm_thumb_file_orient(const char *path, int px, int orientation, VipsImage **out) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 2);
	if (vips_thumbnail(path, &t[0], px, "height", px, "size", VIPS_SIZE_DOWN,
		"no_rotate", TRUE, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL))
		goto fail;
	if (vips_copy(t[0], &t[1], NULL))
		goto fail;
	vips_image_set_int(t[1], VIPS_META_ORIENTATION, orientation);
	if (vips_autorot(t[1], out, NULL))
		goto fail;
	g_object_unref(base);
	return 0;
fail:
	g_object_unref(base);
	return -1;
}

static int dm_thumb_buffer(void *buf, size_t len, int px, VipsImage **out) {
	return vips_thumbnail_buffer(buf, len, out, px, "height", px, "size", VIPS_SIZE_DOWN,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}

// dm_geom_file makes one geometry from a file, shrinking on load: fit
// (fill 0) inside w x h, never enlarged; or fill (fill 1) w x h exactly,
// scaled to cover it (enlarged if it must be) and the overflow cropped
// evenly from both sides. orientation, when not 0, replaces the file's
// own: the box is turned with it (w and h swapped for 5..8), the image
// made unturned and then turned upright.
static int dm_geom_file(const char *path, int w, int h, int fill, int orientation, VipsImage **out) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 2);
	int turned = orientation >= 5 && orientation <= 8;
	int bw = turned ? h : w, bh = turned ? w : h;
	int r;
	if (fill)
		r = vips_thumbnail(path, &t[0], bw, "height", bh, "size", VIPS_SIZE_BOTH,
			"crop", VIPS_INTERESTING_CENTRE, "no_rotate", orientation != 0,
			"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	else
		r = vips_thumbnail(path, &t[0], bw, "height", bh, "size", VIPS_SIZE_DOWN,
			"no_rotate", orientation != 0, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	if (r)
		goto fail;
	if (orientation == 0) {
		*out = t[0];
		g_object_ref(*out);
		g_object_unref(base);
		return 0;
	}
	if (vips_copy(t[0], &t[1], NULL))
		goto fail;
	vips_image_set_int(t[1], VIPS_META_ORIENTATION, orientation);
	if (vips_autorot(t[1], out, NULL))
		goto fail;
	g_object_unref(base);
	return 0;
fail:
	g_object_unref(base);
	return -1;
}

static int dm_geom_buffer(void *buf, size_t len, int w, int h, int fill, VipsImage **out) {
	if (fill)
		return vips_thumbnail_buffer(buf, len, out, w, "height", h, "size", VIPS_SIZE_BOTH,
			"crop", VIPS_INTERESTING_CENTRE, "fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
	return vips_thumbnail_buffer(buf, len, out, w, "height", h, "size", VIPS_SIZE_DOWN,
		"fail_on", VIPS_FAIL_ON_TRUNCATED, NULL);
}

// dm_thumb_image downsizes an image already in memory; it is upright already.
static int dm_thumb_image(VipsImage *in, int px, VipsImage **out) {
	return vips_thumbnail_image(in, out, px, "height", px, "size", VIPS_SIZE_DOWN,
		"no_rotate", TRUE, NULL);
}

// dm_shrink averages blocks of k x k pixels (see thumbImage): with the
// cache off, a resize builds its filters and compiles their vector code
// for each image, which for a thumbnail cost more than its pixels.
static int dm_shrink(VipsImage *in, int k, VipsImage **out) {
	return vips_shrink(in, out, (double) k, (double) k, NULL);
}

// dm_srgb8 makes 8-bit sRGB with no alpha (flattened on white) and no
// colour profile: what a JPEG rendition holds.
static int dm_srgb8(VipsImage *in, VipsImage **out) {
	VipsImage *base = vips_image_new();
	VipsImage **t = (VipsImage **) vips_object_local_array(VIPS_OBJECT(base), 3);
	VipsImage *cur = in;
	if (vips_colourspace(cur, &t[0], VIPS_INTERPRETATION_sRGB, NULL))
		goto fail;
	cur = t[0];
	if (vips_image_hasalpha(cur)) {
		double white[3] = {255, 255, 255};
		VipsArrayDouble *bg = vips_array_double_new(white, 3);
		int r = vips_flatten(cur, &t[1], "background", bg, NULL);
		vips_area_unref(VIPS_AREA(bg));
		if (r)
			goto fail;
		cur = t[1];
	}
	if (vips_cast(cur, &t[2], VIPS_FORMAT_UCHAR, NULL))
		goto fail;
	*out = t[2];
	g_object_ref(*out);
	g_object_unref(base);
	return 0;
fail:
	g_object_unref(base);
	return -1;
}

// dm_materialise runs the pipeline behind in into a memory image. This is
// where pixels are decoded; vips_image_set_kill on in stops it between tiles.
static VipsImage *dm_materialise(VipsImage *in) {
	VipsImage *m = vips_image_copy_memory(in);
	if (m)
		vips_image_remove(m, VIPS_META_ICC_NAME);
	return m;
}

static int dm_jpeg(VipsImage *in, int q, void **buf, size_t *len) {
	return vips_jpegsave_buffer(in, buf, len, "Q", q, "strip", TRUE,
		"optimize_coding", TRUE, NULL);
}

// dm_webp is lossy WebP at a quality that matches JPEG's 82 by eye, and
// an effort (2 of 0..6) that costs about what the JPEG encoding does.
static int dm_webp(VipsImage *in, int q, void **buf, size_t *len) {
	return vips_webpsave_buffer(in, buf, len, "Q", q, "strip", TRUE, "effort", 2, NULL);
}

static void dm_kill(VipsImage *im) { vips_image_set_kill(im, TRUE); }
*/
import "C"

import (
	"errors"
	"strings"
	"sync"
	"sync/atomic"
	"unsafe"
)

// libvips is process-wide state: it is started once, with the settings
// every Renderer relies on, and never shut down (it cannot be restarted).
var (
	vipsOnce    sync.Once
	vipsErr     error
	vipsStarted atomic.Bool // set once startVips has run (tests read it)
)

// psdOK tells whether PSD renders: libvips has its ImageMagick loader and
// ImageMagick took the policy that allows it PSD alone.
var psdOK bool

func startVips() error {
	vipsOnce.Do(func() {
		vipsStarted.Store(true)
		done, err := setMagickPolicy()
		magick := C.int(0)
		if err == nil {
			magick = 1
		}
		if C.dm_start(magick) != 0 {
			vipsErr = errors.New("media: start libvips: " + vipsError())
			return
		}
		if err == nil {
			psdOK = checkMagickPolicy(done)
		}
	})
	return vipsErr
}

// ReleaseMemory hands back to the system the memory renders freed but the
// C allocator kept (malloc_trim: every arena's free pages). The workers
// call it when the queue is empty after a batch; it costs a few
// milliseconds, nothing while no render runs.
func ReleaseMemory() { C.malloc_trim(0) }

// vipsError takes and clears libvips' error buffer. The buffer is global, so
// under concurrent failures a message may carry another call's text too.
func vipsError() string {
	p := C.vips_error_buffer_copy()
	if p == nil {
		return "unknown libvips error"
	}
	defer C.g_free(C.gpointer(p))
	s := strings.TrimSpace(C.GoString(p))
	s = strings.ReplaceAll(s, "\n", "; ")
	if s == "" {
		return "unknown libvips error"
	}
	return s
}

type header struct {
	width, height, pages, orientation int
	alpha                             bool
}

func toHeader(h C.dm_header) header {
	return header{
		width: int(h.width), height: int(h.height), pages: int(h.pages),
		orientation: int(h.orientation), alpha: h.alpha != 0,
	}
}

// source is where vips reads a file from: a path, or (for SVG) a C copy of
// its bytes, so that librsvg has no base URI to resolve references against.
// orient, when not 0, replaces the file's own EXIF orientation. jpeg says
// the file is a JPEG (detected from its bytes): its loader is called by
// name, and once header has read its size, thumbnail picks the scale of
// its decode itself.
type source struct {
	path   *C.char
	buf    unsafe.Pointer
	n      C.size_t
	orient int
	jpeg   bool
	w, h   int // as stored, before the orientation; set by header
}

func newPathSource(path string) *source { return &source{path: C.CString(path)} }

func newBufferSource(b []byte) *source {
	return &source{buf: C.CBytes(b), n: C.size_t(len(b))}
}

// free releases the source; call it after every image made from it is gone.
func (s *source) free() {
	if s.path != nil {
		C.free(unsafe.Pointer(s.path))
	}
	if s.buf != nil {
		C.free(s.buf)
	}
}

func (s *source) header() (header, error) {
	var h C.dm_header
	var rc C.int
	switch {
	case s.path != nil && s.jpeg:
		rc = C.dm_header_jpeg(s.path, &h)
	case s.path != nil:
		rc = C.dm_header_file(s.path, &h)
	default:
		rc = C.dm_header_buffer(s.buf, s.n, &h)
	}
	if rc != 0 {
		return header{}, errors.New(vipsError())
	}
	hd := toHeader(h)
	s.w, s.h = hd.width, hd.height
	if s.orient != 0 {
		hd.orientation = s.orient
	}
	return hd, nil
}

// thumbnail returns a lazy image: nothing is decoded until materialise.
func (s *source) thumbnail(px int) (*C.VipsImage, error) {
	var out *C.VipsImage
	var rc C.int
	if s.path != nil && s.orient != 0 {
		rc = C.dm_thumb_file_orient(s.path, C.int(px), C.int(s.orient), &out)
	} else if s.path != nil && s.jpeg && s.w > 0 && s.h > 0 {
		rc = C.dm_thumb_jpeg(s.path, C.int(px), C.int(jpegShrink(s.w, s.h, px)), &out)
	} else if s.path != nil {
		rc = C.dm_thumb_file(s.path, C.int(px), &out)
	} else {
		rc = C.dm_thumb_buffer(s.buf, s.n, C.int(px), &out)
	}
	if rc != 0 {
		return nil, errors.New(vipsError())
	}
	return out, nil
}

// geometry returns a lazy image of g: nothing is decoded until it is
// encoded.
func (s *source) geometry(g Geometry) (*C.VipsImage, error) {
	var out *C.VipsImage
	var rc C.int
	fill := C.int(0)
	if g.Fill {
		fill = 1
	}
	if s.path != nil {
		rc = C.dm_geom_file(s.path, C.int(g.Width), C.int(g.Height), fill, C.int(s.orient), &out)
	} else {
		rc = C.dm_geom_buffer(s.buf, s.n, C.int(g.Width), C.int(g.Height), fill, &out)
	}
	if rc != 0 {
		return nil, errors.New(vipsError())
	}
	return out, nil
}

// jpegShrink is the scale, 1/1 to 1/8, a JPEG of w x h pixels is decoded
// at for a fit inside px x px, as vips_thumbnail chooses it: the largest
// that leaves at least a factor of two to the resize after it, which a
// decode's block averaging would blur less well.
func jpegShrink(w, h, px int) int {
	f := float64(max(w, h)) / float64(px)
	switch {
	case f >= 16:
		return 8
	case f >= 8:
		return 4
	case f >= 4:
		return 2
	}
	return 1
}

// thumbImage makes the image in, upright, fit inside px x px. A thumbnail
// whose longest side is a half or a quarter of in's (the 128 and 64 px
// sizes from the 256 px one) averages blocks of 2 x 2 or 4 x 4 pixels,
// which looked no different from a resize's Lanczos filter at those sizes
// and costs a fraction of its set-up (bench/notes.md, 2026-12-08); any
// other size is resized as vips_thumbnail_image does.
func thumbImage(in *C.VipsImage, px int) (*C.VipsImage, error) {
	var out *C.VipsImage
	var rc C.int
	long := max(int(C.vips_image_get_width(in)), int(C.vips_image_get_height(in)))
	if k := long / px; px <= Thumb256.Px && long%px == 0 && (k == 2 || k == 4) {
		rc = C.dm_shrink(in, C.int(k), &out)
	} else {
		rc = C.dm_thumb_image(in, C.int(px), &out)
	}
	if rc != 0 {
		return nil, errors.New(vipsError())
	}
	return out, nil
}

func srgb8(in *C.VipsImage) (*C.VipsImage, error) {
	var out *C.VipsImage
	if C.dm_srgb8(in, &out) != 0 {
		return nil, errors.New(vipsError())
	}
	return out, nil
}

func materialise(in *C.VipsImage) (*C.VipsImage, error) {
	m := C.dm_materialise(in)
	if m == nil {
		return nil, errors.New(vipsError())
	}
	return m, nil
}

func encodeJPEG(in *C.VipsImage, quality int) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if C.dm_jpeg(in, C.int(quality), &buf, &n) != 0 {
		return nil, errors.New(vipsError())
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}

func encodeWebP(in *C.VipsImage, quality int) ([]byte, error) {
	var buf unsafe.Pointer
	var n C.size_t
	if C.dm_webp(in, C.int(quality), &buf, &n) != 0 {
		return nil, errors.New(vipsError())
	}
	defer C.g_free(C.gpointer(buf))
	return C.GoBytes(buf, C.int(n)), nil
}

func unref(im *C.VipsImage) {
	if im != nil {
		C.g_object_unref(C.gpointer(im))
	}
}

func kill(im *C.VipsImage) { C.dm_kill(im) }
