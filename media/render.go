package media

// #include <vips/vips.h>
import "C"

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/gif"
	"image/jpeg"
	"image/png"
	"io"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"

	"damask/subproc"
)

// Errors. Render and RenderVideoFrame wrap one of these (or the context's
// error on timeout) with the reason, so callers can tell "mark processing
// unsupported" (ErrUnsupported) from "mark it failed" (everything else).
var (
	// ErrUnsupported: the format has no rendition (audio, archives, office
	// documents, PostScript, video given to Render, a video with no video
	// stream...). Not a failure.
	ErrUnsupported = errors.New("no rendition for this format")
	// ErrEmpty: a 0-byte file.
	ErrEmpty = errors.New("empty file")
	// ErrTooManyPixels: the header declares more than Options.MaxPixels.
	ErrTooManyPixels = errors.New("too many pixels")
	// ErrCorrupt: the file claims a supported format but does not decode
	// (truncated, corrupt, or a decoder refused it).
	ErrCorrupt = errors.New("corrupt or truncated file")
	// ErrClosed: Render was called after Close.
	ErrClosed = errors.New("renderer closed")
	// ErrLimit: a tool (ffmpeg, ffprobe, exiftool) working on the file
	// was stopped by its memory, CPU or file size limit, or crashed under
	// them. It is subproc.ErrLimit.
	ErrLimit = subproc.ErrLimit
)

// Defaults for Options.
const (
	DefaultMaxPixels = 100_000_000
	DefaultTimeout   = 60 * time.Second
	// JPEGQuality is used for every JPEG rendition.
	JPEGQuality = 82
	// WebPQuality is used for every WebP rendition: about JPEG's 82 by
	// eye, in two thirds of the bytes or less.
	WebPQuality = 75
	// maxSVGBytes bounds the SVG read into memory.
	maxSVGBytes = 16 << 20
)

// Options configure a Renderer. Zero values mean the defaults.
type Options struct {
	// MaxPixels refuses raster images whose header declares more
	// (width x height) pixels. Default 100 megapixels.
	MaxPixels int64
	// Workers bounds the renders running at once; each uses one vips thread
	// (or one ffmpeg thread). Default runtime.GOMAXPROCS(0).
	Workers int
	// Timeout bounds one Render or RenderVideoFrame call, the wait for a
	// worker included. Default 60 s.
	Timeout time.Duration
	// FFmpeg and FFprobe are the tool paths; default "ffmpeg" and "ffprobe"
	// looked up in PATH.
	FFmpeg, FFprobe string
	// ExifTool extracts the previews embedded in camera RAW files; default
	// "exiftool" looked up in PATH.
	ExifTool string
	// TempDir holds video frames while they are rendered; default os.TempDir().
	TempDir string
	// ToolMemory bounds the address space of each tool run on a file
	// (ffmpeg, ffprobe, exiftool), in bytes; default
	// subproc.DefaultMemory (1 GiB). Their CPU time is bounded by Timeout.
	ToolMemory int64
	// Lazy starts libvips at the first render instead of in New, and
	// answers its failure to start there: a process that may never
	// render (a server whose jobs run in a worker process) does not pay
	// the memory libvips and its libraries take once started (about
	// 20 MB resident).
	Lazy bool
}

// Info describes a source file.
type Info struct {
	Width, Height int // of the original (first page or frame), upright
	Format        Format
	PageCount     int           // pages (PDF) or frames (GIF, HEIF); 1 otherwise
	HasAlpha      bool          // the decoder gives alpha (always for GIF, SVG, PDF)
	Duration      time.Duration // videos only
}

// Renderer makes renditions. It is safe for concurrent use; at most
// Options.Workers renders run at once and the others wait their turn.
type Renderer struct {
	opts Options
	sem  chan struct{}

	mu     sync.Mutex
	closed bool
	wg     sync.WaitGroup
}

// New returns a Renderer, starting libvips (once a process; see the
// package documentation for its settings) unless Options.Lazy leaves that
// to the first render.
func New(opts Options) (*Renderer, error) {
	if opts.MaxPixels <= 0 {
		opts.MaxPixels = DefaultMaxPixels
	}
	if opts.Workers <= 0 {
		opts.Workers = runtime.GOMAXPROCS(0)
	}
	if opts.Timeout <= 0 {
		opts.Timeout = DefaultTimeout
	}
	if opts.FFmpeg == "" {
		opts.FFmpeg = "ffmpeg"
	}
	if opts.FFprobe == "" {
		opts.FFprobe = "ffprobe"
	}
	if opts.ExifTool == "" {
		opts.ExifTool = "exiftool"
	}
	if opts.TempDir == "" {
		opts.TempDir = os.TempDir()
	}
	if !opts.Lazy {
		if err := startVips(); err != nil {
			return nil, err
		}
	}
	return &Renderer{opts: opts, sem: make(chan struct{}, opts.Workers)}, nil
}

// Close refuses new work and waits for the renders in flight. libvips itself
// stays started for the life of the process.
func (r *Renderer) Close() error {
	r.mu.Lock()
	r.closed = true
	r.mu.Unlock()
	r.wg.Wait()
	return nil
}

// acquire starts libvips if it has not started (Options.Lazy), applies
// the timeout and takes a worker slot; release undoes the last two.
func (r *Renderer) acquire(ctx context.Context) (context.Context, func(), error) {
	if err := startVips(); err != nil {
		return nil, nil, err
	}
	r.mu.Lock()
	if r.closed {
		r.mu.Unlock()
		return nil, nil, fmt.Errorf("media: %w", ErrClosed)
	}
	r.wg.Add(1)
	r.mu.Unlock()
	ctx, cancel := context.WithTimeout(ctx, r.opts.Timeout)
	select {
	case r.sem <- struct{}{}:
	case <-ctx.Done():
		cancel()
		r.wg.Done()
		return nil, nil, fmt.Errorf("media: wait for a worker: %w", ctx.Err())
	}
	return ctx, func() { <-r.sem; cancel(); r.wg.Done() }, nil
}

// Render makes the renditions of the still image at srcPath for each of
// sizes, from one decode, and passes each to out as a JPEG, or a WebP for
// a WebP size (longest side = size.Px, never upscaled, upright, sRGB, no
// metadata), smallest first (so that thumbnails can be stored and served
// before the large sizes are encoded), a size's JPEG before its WebP twin,
// which shares its resize. If
// out returns an error, Render stops and returns it. The reader is valid
// only during the call to out.
//
// The format is detected from the bytes and the pixel count checked from the
// header before any decoding. Errors: ErrEmpty, ErrUnsupported (including
// videos: use RenderVideoFrame), ErrTooManyPixels, ErrCorrupt,
// context.DeadlineExceeded on timeout, ErrClosed, each wrapped with a reason.
func (r *Renderer) Render(ctx context.Context, srcPath string, sizes []Size, out func(size Size, jpeg io.Reader) error) (_ Info, err error) {
	defer func() { err = redactPath(err, srcPath) }()
	ctx, release, err := r.acquire(ctx)
	if err != nil {
		return Info{}, err
	}
	defer release()
	return r.still(ctx, srcPath, sizesOf(sizes, out))
}

// still renders the still image at srcPath (a RAW through its embedded
// preview) with do, once its format and header passed the checks.
func (r *Renderer) still(ctx context.Context, srcPath string, do maker) (Info, error) {
	format, err := Detect(srcPath)
	if err != nil {
		return Info{}, fmt.Errorf("media: render: %w", err)
	}
	switch {
	case format.Video():
		return Info{Format: format}, fmt.Errorf("media: render: %w: %s is a video (use RenderVideoFrame)", ErrUnsupported, format)
	case format == FormatRAW:
		return r.renderRAW(ctx, srcPath, do)
	case format == FormatPSD && !psdOK:
		return Info{Format: format}, fmt.Errorf("media: render: %w: PSD needs libvips' ImageMagick loader, which is missing or did not take Damask's policy", ErrUnsupported)
	}
	return r.renderImage(ctx, srcPath, format, 0, do)
}

// maker makes what is asked of a source whose header passed the checks:
// the named sizes (sizesOf), or one geometry (RenderGeometry).
type maker func(ctx context.Context, src *source) error

// sizesOf is the maker of the named sizes, each passed to out, smallest
// first; sizes of one length share their resize, JPEG first.
func sizesOf(sizes []Size, out func(Size, io.Reader) error) maker {
	return func(ctx context.Context, src *source) error {
		if len(sizes) == 0 {
			return errors.New("media: render: no sizes")
		}
		order := slices.Clone(sizes)
		slices.SortStableFunc(order, func(a, b Size) int {
			if a.Px != b.Px {
				return a.Px - b.Px
			}
			switch {
			case a.WebP == b.WebP:
				return 0
			case b.WebP:
				return -1
			}
			return 1
		})
		return render(ctx, src, order, out)
	}
}

// renderImage renders a still image with do. orient, when not 0, is
// the EXIF orientation to apply instead of the file's own.
func (r *Renderer) renderImage(ctx context.Context, path string, format Format, orient int, do maker) (Info, error) {
	info := Info{Format: format}
	// vips reads "name[options]" as a file name with load options: refuse
	// rather than let a path choose options. Blob paths never contain brackets.
	if strings.ContainsAny(path, "[]") {
		return info, fmt.Errorf("media: render %q: brackets in path", path)
	}
	if err := r.checkHeaderGo(path, format); err != nil {
		return info, err
	}
	if err := ctx.Err(); err != nil {
		return info, fmt.Errorf("media: render: %w", err)
	}

	var src *source
	if format == FormatSVG {
		b, err := readLimited(path, maxSVGBytes)
		if err != nil {
			return info, err
		}
		src = newBufferSource(b)
	} else {
		src = newPathSource(path)
		src.orient = orient
		src.jpeg = format == FormatJPEG
	}
	defer src.free()

	h, err := src.header()
	if err != nil {
		return info, fmt.Errorf("media: render: %w: %s header: %w", ErrCorrupt, format, err)
	}
	info.Width, info.Height, info.PageCount, info.HasAlpha = h.width, h.height, max(h.pages, 1), h.alpha
	if format == FormatPSD {
		info.PageCount = 1 // ImageMagick counts the layers after the composite
	}
	if h.orientation >= 5 && h.orientation <= 8 {
		info.Width, info.Height = info.Height, info.Width
	}
	if h.width <= 0 || h.height <= 0 {
		return info, fmt.Errorf("media: render: %w: %s declares %dx%d", ErrCorrupt, format, h.width, h.height)
	}
	if !format.vector() && int64(h.width)*int64(h.height) > r.opts.MaxPixels {
		return info, fmt.Errorf("media: render: %w: %s declares %dx%d, limit %d", ErrTooManyPixels, format, h.width, h.height, r.opts.MaxPixels)
	}

	if err := do(ctx, src); err != nil {
		return info, err
	}
	return info, nil
}

// checkHeaderGo reads width and height with the standard library's header
// parsers, which cost microseconds and no pixel memory, so that a bomb never
// reaches libvips (whose own header read of a 50000x50000 PNG takes ~50 ms).
// Formats the standard library does not parse are checked from the vips
// header, which also does not decode pixels.
func (r *Renderer) checkHeaderGo(path string, format Format) error {
	var decode func(io.Reader) (image.Config, error)
	switch format {
	case FormatPSD:
		decode = psdConfig
	case FormatPNG:
		decode = png.DecodeConfig
	case FormatJPEG:
		decode = jpeg.DecodeConfig
	case FormatGIF:
		decode = gif.DecodeConfig
	default:
		return nil
	}
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("media: render: %w", err)
	}
	defer f.Close()
	cfg, err := decode(f)
	if err != nil {
		var unsup jpeg.UnsupportedError
		if errors.As(err, &unsup) {
			return nil // e.g. arithmetic-coded JPEG: let libvips judge
		}
		return fmt.Errorf("media: render: %w: %s header: %w", ErrCorrupt, format, err)
	}
	if int64(cfg.Width)*int64(cfg.Height) > r.opts.MaxPixels {
		return fmt.Errorf("media: render: %w: %s declares %dx%d, limit %d", ErrTooManyPixels, format, cfg.Width, cfg.Height, r.opts.MaxPixels)
	}
	return nil
}

// render decodes once, shrinking on load to the largest size, then makes
// every size, smallest first, from that one decoded image: the thumbnails
// are out (and can be served) before the large sizes are encoded.
func render(ctx context.Context, src *source, order []Size, out func(Size, io.Reader) error) error {
	// killer sets libvips' kill flag on the image being computed when ctx
	// ends, so a long decode stops at the next tile instead of running on.
	var k killer
	stop := context.AfterFunc(ctx, k.fire)
	defer stop()

	largest := order[len(order)-1].Px
	lazy, err := src.thumbnail(largest)
	if err != nil {
		return fmt.Errorf("media: render: %w: %w", ErrCorrupt, err)
	}
	flat, err := srgb8(lazy)
	unref(lazy)
	if err != nil {
		return fmt.Errorf("media: render: %w: %w", ErrCorrupt, err)
	}
	k.watch(flat)
	base, err := materialise(flat)
	k.watch(nil)
	unref(flat)
	if err := ctx.Err(); err != nil {
		unref(base)
		return fmt.Errorf("media: render: decode: %w", err)
	}
	if err != nil {
		return fmt.Errorf("media: render: %w: %w", ErrCorrupt, err)
	}
	defer unref(base)

	var cur *C.VipsImage // the current size's image; base for the largest
	defer func() {
		if cur != base {
			unref(cur)
		}
	}()
	for i, size := range order {
		if i == 0 || size.Px != order[i-1].Px {
			next := base
			if size.Px != largest {
				lazy, err := thumbImage(base, size.Px)
				if err != nil {
					return fmt.Errorf("media: render %s: %w", size.Name, err)
				}
				// A size encoded twice (JPEG and WebP) is computed once
				// into memory; one encoded once is computed by its encode.
				next = lazy
				if i+1 < len(order) && order[i+1].Px == size.Px {
					next, err = materialise(lazy)
					unref(lazy)
					if err != nil {
						return fmt.Errorf("media: render %s: %w", size.Name, err)
					}
				}
			}
			if cur != base {
				unref(cur)
			}
			cur = next
		}
		if err := ctx.Err(); err != nil {
			return fmt.Errorf("media: render %s: %w", size.Name, err)
		}
		encode, quality := encodeJPEG, JPEGQuality
		if size.WebP {
			encode, quality = encodeWebP, WebPQuality
		}
		b, err := encode(cur, quality)
		if err != nil {
			return fmt.Errorf("media: render %s: encode: %w", size.Name, err)
		}
		if err := out(size, bytes.NewReader(b)); err != nil {
			return err
		}
	}
	return nil
}

// killer holds the image under evaluation for a context.AfterFunc.
type killer struct {
	mu    sync.Mutex
	im    *C.VipsImage
	fired bool
}

func (k *killer) fire() {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.fired = true
	if k.im != nil {
		kill(k.im)
	}
}

// watch sets the image to kill; nil stops watching. The caller must call
// watch(nil) before unreferencing the image.
func (k *killer) watch(im *C.VipsImage) {
	k.mu.Lock()
	defer k.mu.Unlock()
	k.im = im
	if im != nil && k.fired {
		kill(im)
	}
}

func readLimited(path string, limit int64) ([]byte, error) {
	f, err := os.Open(path)
	if err != nil {
		return nil, fmt.Errorf("media: render: %w", err)
	}
	defer f.Close()
	b, err := io.ReadAll(io.LimitReader(f, limit+1))
	if err != nil {
		return nil, fmt.Errorf("media: render: %w", err)
	}
	if int64(len(b)) > limit {
		return nil, fmt.Errorf("media: render: %w: SVG larger than %d bytes", ErrTooManyPixels, limit)
	}
	return b, nil
}

// psdConfig reads a Photoshop header: signature, version, 6 reserved
// bytes, channels, then height and width (big-endian 32-bit).
func psdConfig(r io.Reader) (image.Config, error) {
	var h [26]byte
	if _, err := io.ReadFull(r, h[:]); err != nil {
		return image.Config{}, fmt.Errorf("psd header: %w", err)
	}
	if string(h[:4]) != "8BPS" {
		return image.Config{}, errors.New("psd header: no 8BPS signature")
	}
	height, width := binary.BigEndian.Uint32(h[14:]), binary.BigEndian.Uint32(h[18:])
	if width == 0 || height == 0 || width > 300000 || height > 300000 {
		return image.Config{}, fmt.Errorf("psd header: %dx%d", width, height)
	}
	return image.Config{Width: int(width), Height: int(height)}, nil
}
