package media

import (
	"bytes"
	"context"
	"encoding/binary"
	"errors"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"net"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask/media/mediatest"
)

func newRenderer(t testing.TB, opts Options) *Renderer {
	t.Helper()
	r, err := New(opts)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { r.Close() })
	return r
}

// rendition is one JPEG handed to out.
type rendition struct {
	size Size
	data []byte
	cfg  image.Config
}

func collect(t *testing.T, got *[]rendition) func(Size, io.Reader) error {
	return func(s Size, r io.Reader) error {
		b, err := io.ReadAll(r)
		if err != nil {
			return err
		}
		var cfg image.Config
		if s.WebP {
			cfg.Width, cfg.Height, err = WebPDimensions(b)
		} else {
			cfg, err = jpeg.DecodeConfig(bytes.NewReader(b))
		}
		if err != nil {
			t.Errorf("%s: not a valid %s: %v", s.Name, s.ContentType(), err)
		}
		*got = append(*got, rendition{size: s, data: b, cfg: cfg})
		return nil
	}
}

func testdata(t *testing.T, name string) string {
	t.Helper()
	p := filepath.Join("testdata", name)
	if _, err := os.Stat(p); err != nil {
		t.Skipf("%s not generated (testdata/make.sh skipped it: the Debian build has no encoder for it): %v", name, err)
	}
	return p
}

func TestRender(t *testing.T) {
	r := newRenderer(t, Options{})
	type pixelCheck struct {
		x, y    float64 // relative position in the 256 rendition
		want    string  // "red", "green", "blue", "white", "black", "dark-top-left"
		comment string
	}
	tests := []struct {
		file   string
		format Format
		w, h   int
		pages  int
		alpha  bool
		pixels []pixelCheck
	}{
		{file: "photo.jpg", format: FormatJPEG, w: 600, h: 400, pages: 1},
		// Stored 600x400 with orientation 6: shown 400x600. The stored top-left
		// (x=0,y=0: no red, no green) ends up top-right once rotated 90 CW,
		// and the stored bottom-left (lots of green) ends up top-left.
		{file: "rotated6.jpg", format: FormatJPEG, w: 400, h: 600, pages: 1, pixels: []pixelCheck{
			{0.02, 0.02, "greenish", "stored bottom-left"},
			{0.98, 0.02, "dark", "stored top-left"},
		}},
		{file: "alpha.png", format: FormatPNG, w: 300, h: 200, pages: 1, alpha: true, pixels: []pixelCheck{
			{0.9, 0.5, "white", "transparent half flattened on white"},
		}},
		// libnsgif always decodes to RGBA.
		{file: "anim.gif", format: FormatGIF, w: 160, h: 120, pages: 2, alpha: true, pixels: []pixelCheck{
			{0.5, 0.5, "red", "first frame"},
		}},
		{file: "photo.webp", format: FormatWebP, w: 600, h: 400, pages: 1},
		{file: "photo.tif", format: FormatTIFF, w: 600, h: 400, pages: 1},
		{file: "photo.heic", format: FormatHEIF, w: 600, h: 400, pages: 1},
		{file: "photo.avif", format: FormatHEIF, w: 600, h: 400, pages: 1},
		{file: "shape.svg", format: FormatSVG, w: 200, h: 100, pages: 1, alpha: true, pixels: []pixelCheck{
			{0.25, 0.5, "blue", "rect"}, {0.75, 0.5, "white", "background"},
		}},
		// 297x420 pt; page 1 has a black box 20..120 pt from the bottom left.
		{file: "doc.pdf", format: FormatPDF, w: 297, h: 420, pages: 2, alpha: true, pixels: []pixelCheck{
			{0.2, 0.8, "black", "box on page 1"}, {0.8, 0.2, "white", "page"},
		}},
		{file: "drawing.ai", format: FormatPDF, w: 297, h: 420, pages: 2, alpha: true},
		// The composite: white, a red right half (layer 1) and a blue
		// square (layer 2, at 20,20, 100 px). A render of layer 1 alone
		// would have no blue.
		{file: "layers.psd", format: FormatPSD, w: 300, h: 200, pages: 1, pixels: []pixelCheck{
			{0.23, 0.35, "blue", "layer 2 in the composite"}, {0.8, 0.5, "red", "layer 1"}, {0.25, 0.85, "white", "background"},
		}},
		// A DNG (testdata/mkdng.go) whose 300x200 preview is photo.jpg made
		// smaller, with Orientation 6 in the DNG's IFD0 and none in the
		// preview: shown 200x300, turned as rotated6.jpg is.
		{file: "raw.dng", format: FormatRAW, w: 200, h: 300, pages: 1, pixels: []pixelCheck{
			{0.02, 0.02, "greenish", "stored bottom-left"},
			{0.98, 0.02, "dark", "stored top-left"},
		}},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			path := testdata(t, tc.file)
			var got []rendition
			info, err := r.Render(context.Background(), path, Sizes(), collect(t, &got))
			if err != nil {
				t.Fatalf("Render: %v", err)
			}
			want := Info{Width: tc.w, Height: tc.h, Format: tc.format, PageCount: tc.pages, HasAlpha: tc.alpha}
			if info != want {
				t.Errorf("Info = %+v, want %+v", info, want)
			}
			if len(got) != len(Sizes()) {
				t.Fatalf("got %d renditions, want %d", len(got), len(Sizes()))
			}
			for i, g := range got {
				if i > 0 && g.size.Px < got[i-1].size.Px {
					t.Errorf("renditions not smallest first: %s after %s", g.size.Name, got[i-1].size.Name)
				}
				checkDims(t, g, tc.w, tc.h)
				for _, marker := range []string{"Exif\x00", "ICC_PROFILE", "http://ns.adobe.com/xap"} {
					if bytes.Contains(g.data, []byte(marker)) {
						t.Errorf("%s: metadata %q not stripped", g.size.Name, marker)
					}
				}
			}
			for _, pc := range tc.pixels {
				checkPixel(t, got, pc.x, pc.y, pc.want, pc.comment)
			}
		})
	}
}

// checkDims: the longest side is the size (or the original's, never
// upscaled) and the aspect ratio is kept to a pixel.
func checkDims(t *testing.T, g rendition, w, h int) {
	t.Helper()
	long := min(g.size.Px, max(w, h))
	gl, gs := max(g.cfg.Width, g.cfg.Height), min(g.cfg.Width, g.cfg.Height)
	if gl != long {
		t.Errorf("%s: %dx%d, want longest side %d", g.size.Name, g.cfg.Width, g.cfg.Height, long)
	}
	if (w >= h) != (g.cfg.Width >= g.cfg.Height) {
		t.Errorf("%s: %dx%d, orientation differs from %dx%d", g.size.Name, g.cfg.Width, g.cfg.Height, w, h)
	}
	wantShort := float64(long) * float64(min(w, h)) / float64(max(w, h))
	if d := float64(gs) - wantShort; d > 1 || d < -1 {
		t.Errorf("%s: %dx%d, want short side %.1f", g.size.Name, g.cfg.Width, g.cfg.Height, wantShort)
	}
}

func checkPixel(t *testing.T, got []rendition, x, y float64, want, comment string) {
	t.Helper()
	var data []byte
	for _, g := range got {
		if g.size == Thumb256 {
			data = g.data
		}
	}
	img, err := jpeg.Decode(bytes.NewReader(data))
	if err != nil {
		t.Fatalf("decode 256: %v", err)
	}
	b := img.Bounds()
	px := b.Min.X + int(x*float64(b.Dx()-1))
	py := b.Min.Y + int(y*float64(b.Dy()-1))
	c := color.RGBAModel.Convert(img.At(px, py)).(color.RGBA)
	r, g, bl := int(c.R), int(c.G), int(c.B)
	ok := false
	switch want {
	case "red":
		ok = r > 200 && g < 60 && bl < 60
	case "blue":
		ok = bl > 200 && r < 60 && g < 60
	case "white":
		ok = r > 230 && g > 230 && bl > 230
	case "black":
		ok = r < 40 && g < 40 && bl < 40
	case "greenish":
		ok = g > 200 && r < 60
	case "dark":
		ok = r < 60 && g < 60
	}
	if !ok {
		t.Errorf("pixel (%.2f,%.2f) of 256 = %v, want %s (%s)", x, y, c, want, comment)
	}
}

// canary is a loopback listener that counts connections: hostile files
// point at it, and it must never hear from them.
type canary struct {
	ln    net.Listener
	conns atomic.Int32
}

func newCanary(t *testing.T) *canary {
	t.Helper()
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	c := &canary{ln: ln}
	go func() {
		for {
			conn, err := ln.Accept()
			if err != nil {
				return
			}
			c.conns.Add(1)
			conn.Close()
		}
	}()
	t.Cleanup(func() { ln.Close() })
	return c
}

func (c *canary) url(path string) string { return "http://" + c.ln.Addr().String() + path }

func (c *canary) assertSilent(t *testing.T) {
	t.Helper()
	time.Sleep(50 * time.Millisecond) // let a late Accept land
	if n := c.conns.Load(); n != 0 {
		t.Errorf("canary got %d connections", n)
	}
}

func writeFile(t *testing.T, path string, data []byte) string {
	t.Helper()
	if err := os.WriteFile(path, data, 0o600); err != nil {
		t.Fatal(err)
	}
	return path
}

func readTestdata(t *testing.T, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join("testdata", name))
	if err != nil {
		t.Fatal(err)
	}
	return b
}

// pwned are the files the hostile samples try to create.
var pwned = []string{"/tmp/damask-pwned", "/tmp/damask-pwned.png", "/tmp/damask-pwned.msl"}

func TestRenderBadInput(t *testing.T) {
	r := newRenderer(t, Options{})
	ca := newCanary(t)
	for _, p := range pwned {
		os.Remove(p)
	}
	tests := []struct {
		name    string
		make    func(t *testing.T, dir string) string
		video   bool // call RenderVideoFrame
		want    error
		reason  string // in the message
		maxTime time.Duration
	}{
		{name: "empty", want: ErrEmpty, make: func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "empty.jpg"), nil)
		}},
		{name: "truncated jpeg", want: ErrCorrupt, reason: "jpeg", make: func(t *testing.T, dir string) string {
			b := readTestdata(t, "photo.jpg")
			return writeFile(t, filepath.Join(dir, "t.jpg"), b[:len(b)*6/10])
		}},
		{name: "corrupt png", want: ErrCorrupt, make: func(t *testing.T, dir string) string {
			b := bytes.Clone(readTestdata(t, "alpha.png"))
			i := bytes.Index(b, []byte("IDAT"))
			for j := i + 20; j < i+2000; j++ {
				b[j] ^= 0x5A
			}
			return writeFile(t, filepath.Join(dir, "c.png"), b)
		}},
		{name: "png bomb 50000x50000", want: ErrTooManyPixels, reason: "50000x50000", maxTime: 100 * time.Millisecond,
			make: func(t *testing.T, dir string) string {
				return writeFile(t, filepath.Join(dir, "bomb.png"), mediatest.BombPNG(50000, 50000))
			}},
		{name: "truncated psd", want: ErrCorrupt, make: func(t *testing.T, dir string) string {
			b := readTestdata(t, "layers.psd")
			return writeFile(t, filepath.Join(dir, "t.psd"), b[:len(b)/2])
		}},
		{name: "psd bomb 50000x50000", want: ErrTooManyPixels, reason: "50000x50000", maxTime: 100 * time.Millisecond,
			make: func(t *testing.T, dir string) string {
				b := bytes.Clone(readTestdata(t, "layers.psd"))
				binary.BigEndian.PutUint32(b[14:], 50000)
				binary.BigEndian.PutUint32(b[18:], 50000)
				return writeFile(t, filepath.Join(dir, "bomb.psd"), b)
			}},
		{name: "psb", want: ErrUnsupported, make: func(t *testing.T, dir string) string {
			b := bytes.Clone(readTestdata(t, "layers.psd"))
			b[5] = 2
			return writeFile(t, filepath.Join(dir, "x.psb"), b)
		}},
		{name: "raf with nothing inside", want: ErrCorrupt, reason: "file format error", make: func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "x.raf"), append([]byte("FUJIFILMCCD-RAW 0201FF383501"), make([]byte, 200)...))
		}},
		{name: "mvg named jpg", want: ErrUnsupported, make: func(t *testing.T, dir string) string { return testdata(t, "mvg.jpg") }},
		{name: "msl named jpg", want: ErrUnsupported, make: func(t *testing.T, dir string) string { return testdata(t, "msl.jpg") }},
		{name: "eps with pipe", want: ErrUnsupported, reason: "PostScript", make: func(t *testing.T, dir string) string {
			return testdata(t, "pipe.eps")
		}},
		{name: "zip", want: ErrUnsupported, reason: "zip", make: func(t *testing.T, dir string) string { return testdata(t, "archive.zip") }},
		{name: "video given to Render", want: ErrUnsupported, reason: "video", make: func(t *testing.T, dir string) string {
			return testdata(t, "clip.mp4")
		}},
		{name: "mp4 with neither video nor audio", want: ErrUnsupported, video: true, reason: "no video or audio stream",
			make: func(t *testing.T, dir string) string {
				srt := writeFile(t, filepath.Join(dir, "s.srt"), []byte("1\n00:00:00,000 --> 00:00:01,000\nhello\n"))
				p := filepath.Join(dir, "subs.mp4")
				if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-i", srt, "-c:s", "mov_text", p).CombinedOutput(); err != nil {
					t.Fatalf("ffmpeg: %v %s", err, out)
				}
				return p
			}},
		{name: "truncated mp3", want: ErrCorrupt, video: true, make: func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "t.mp3"), []byte("ID3\x04\x00\x00\x00\x00\x00\x10garbage"))
		}},
		{name: "image given to RenderVideoFrame", want: ErrUnsupported, video: true, make: func(t *testing.T, dir string) string {
			return testdata(t, "photo.jpg")
		}},
		{name: "m3u8 named mp4", want: ErrUnsupported, video: true, reason: "playlist", make: func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "x.mp4"), []byte(hlsPlaylist(ca.url("/seg.ts"))))
		}},
		{name: "ffconcat named mp4", want: ErrUnsupported, video: true, make: func(t *testing.T, dir string) string {
			return writeFile(t, filepath.Join(dir, "x.mp4"), []byte("ffconcat version 1.0\nfile "+ca.url("/a.mp4")+"\nfile /etc/passwd\n"))
		}},
		{name: "truncated mp4", want: ErrCorrupt, video: true, make: func(t *testing.T, dir string) string {
			b := readTestdata(t, "clip.mp4")
			return writeFile(t, filepath.Join(dir, "t.mp4"), b[:len(b)/3])
		}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			path := tc.make(t, t.TempDir())
			render := r.Render
			if tc.video {
				render = r.RenderVideoFrame
			}
			start := time.Now()
			_, err := render(context.Background(), path, Sizes(), func(Size, io.Reader) error {
				t.Error("out called for a bad input")
				return nil
			})
			took := time.Since(start)
			if !errors.Is(err, tc.want) {
				t.Fatalf("err = %v, want %v", err, tc.want)
			}
			if !strings.Contains(strings.ToLower(err.Error()), strings.ToLower(tc.reason)) {
				t.Errorf("err = %v, want the reason to mention %q", err, tc.reason)
			}
			t.Logf("%v in %v", err, took)
			if strings.Contains(err.Error(), path) && filepath.IsAbs(path) {
				t.Errorf("err = %v: names the file's path", err)
			}
			if tc.maxTime > 0 && took > tc.maxTime {
				t.Errorf("took %v, want under %v", took, tc.maxTime)
			}
		})
	}
	ca.assertSilent(t)
	for _, p := range pwned {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists: a hostile file ran", p)
		}
	}
}

func hlsPlaylist(seg string) string {
	return "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n#EXTINF:2.0,\n" + seg +
		"\n#EXTINF:2.0,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n"
}

// TestFFmpegGuard feeds playlists straight to ffprobe and ffmpeg with the
// options RenderVideoFrame uses, as if the byte sniffing had let them
// through: the demuxer whitelist refuses them and nothing is fetched.
func TestFFmpegGuard(t *testing.T) {
	r := newRenderer(t, Options{Timeout: 10 * time.Second})
	ca := newCanary(t)
	dir := t.TempDir()
	files := map[string]string{
		"hls.mp4":    hlsPlaylist(ca.url("/seg.ts")),
		"concat.mp4": "ffconcat version 1.0\nfile " + ca.url("/a.mp4") + "\nfile /etc/passwd\n",
	}
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(dir, name), []byte(body))
			ctx := context.Background()
			if _, err := r.probe(ctx, "file:"+p); err == nil {
				t.Error("ffprobe accepted a playlist")
			} else {
				t.Logf("ffprobe: %v", err)
			}
			out := filepath.Join(dir, name+".png")
			args := append([]string{"-nostdin", "-loglevel", "error"}, ffInputGuard...)
			args = append(args, "-i", "file:"+p, "-frames:v", "1", "-y", out)
			if _, err := r.run(ctx, r.opts.FFmpeg, args); err == nil {
				t.Error("ffmpeg accepted a playlist")
			} else {
				t.Logf("ffmpeg: %v", err)
			}
			if _, err := os.Stat(out); err == nil {
				t.Error("ffmpeg wrote a frame from a playlist")
			}
		})
	}
	ca.assertSilent(t)
}

// TestSVGNoExternalRefs: script, event handlers, external hrefs (http, file,
// and a relative name next to the file) and an external entity are never
// fetched or drawn.
func TestSVGNoExternalRefs(t *testing.T) {
	r := newRenderer(t, Options{})
	ca := newCanary(t)
	dir := t.TempDir()
	// A red PNG next to the SVG: a relative href must not pull it in.
	if out, err := exec.Command("vips", "black", filepath.Join(dir, "secret.png"), "50", "50", "--bands", "3").CombinedOutput(); err != nil {
		t.Fatalf("vips black: %v %s", err, out)
	}
	hrefs := fmt.Sprintf(`<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200" onload="fetch('%[1]s')">
  <script>fetch('%[1]s')</script>
  <rect width="200" height="200" fill="white"/>
  <image x="0" y="0" width="100" height="100" href="%[1]s"/>
  <image x="100" y="0" width="100" height="100" xlink:href="file:///etc/passwd"/>
  <image x="0" y="100" width="100" height="100" href="secret.png"/>
  <use href="%[2]s#a"/>
  <foreignObject width="100" height="100"><iframe xmlns="http://www.w3.org/1999/xhtml" src="%[1]s"/></foreignObject>
  <style>@import url(%[3]s); rect { fill: url(%[3]s#g) }</style>
</svg>
`, ca.url("/img.png"), ca.url("/defs.svg"), ca.url("/x.css"))
	xxe := fmt.Sprintf(`<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY ext SYSTEM "%s"><!ENTITY pw SYSTEM "file:///etc/passwd">]>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><text y="20">&ext;&pw;</text></svg>
`, ca.url("/entity"))
	for name, body := range map[string]string{"hrefs.svg": hrefs, "xxe.svg": xxe} {
		t.Run(name, func(t *testing.T) {
			p := writeFile(t, filepath.Join(dir, name), []byte(body))
			var got []rendition
			_, err := r.Render(context.Background(), p, []Size{Thumb256}, collect(t, &got))
			t.Logf("Render: %v", err)
			if name == "hrefs.svg" {
				if err != nil {
					t.Fatal(err)
				}
				// secret.png is black: had it been drawn, the bottom-left
				// quarter would be black, not white.
				checkPixel(t, got, 0.25, 0.75, "white", "relative href not resolved")
			}
		})
	}
	ca.assertSilent(t)
}

func TestMaxPixelsFromVipsHeader(t *testing.T) {
	// TIFF is not parsed by the standard library: the vips header is the check.
	r := newRenderer(t, Options{MaxPixels: 100_000})
	_, err := r.Render(context.Background(), filepath.Join("testdata", "photo.tif"), Sizes(), func(Size, io.Reader) error { return nil })
	if !errors.Is(err, ErrTooManyPixels) {
		t.Fatalf("err = %v, want ErrTooManyPixels", err)
	}
}

func TestRenderVideoFrame(t *testing.T) {
	r := newRenderer(t, Options{})
	var got []rendition
	info, err := r.RenderVideoFrame(context.Background(), testdata(t, "clip.mp4"), []Size{Thumb64, Preview, Thumb256}, collect(t, &got))
	if err != nil {
		t.Fatal(err)
	}
	want := Info{Width: 320, Height: 240, Format: FormatMP4, PageCount: 1, Duration: 2 * time.Second}
	if info != want {
		t.Errorf("Info = %+v, want %+v", info, want)
	}
	if len(got) != 3 {
		t.Fatalf("got %d renditions, want 3", len(got))
	}
	for _, g := range got {
		checkDims(t, g, 320, 240)
	}
	if got[0].size != Thumb64 || got[2].size != Preview {
		t.Errorf("order %v %v %v, want smallest first", got[0].size, got[1].size, got[2].size)
	}
}

func TestTimeoutKillsDecode(t *testing.T) {
	if testing.Short() {
		t.Skip("makes a large PNG")
	}
	dir := t.TempDir()
	big := filepath.Join(dir, "big.png")
	// 8000x6000 noise: no shrink-on-load for PNG, so a full decode is long.
	if out, err := exec.Command("vips", "gaussnoise", big+"[compression=1]", "8000", "6000").CombinedOutput(); err != nil {
		t.Fatalf("vips gaussnoise: %v %s", err, out)
	}
	r := newRenderer(t, Options{Timeout: 100 * time.Millisecond})
	start := time.Now()
	_, err := r.Render(context.Background(), big, []Size{Preview}, func(Size, io.Reader) error { return nil })
	took := time.Since(start)
	t.Logf("%v after %v", err, took)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if took > time.Second {
		t.Errorf("took %v: the decode was not stopped", took)
	}
}

// TestConcurrent runs more renders than workers, for the race detector and
// to show that concurrent failures and successes do not mix.
func TestConcurrent(t *testing.T) {
	r := newRenderer(t, Options{Workers: 2})
	dir := t.TempDir()
	bad := writeFile(t, filepath.Join(dir, "t.jpg"), readTestdata(t, "photo.jpg")[:4000])
	var wg sync.WaitGroup
	for i := range 12 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			files := []string{"testdata/photo.jpg", "testdata/alpha.png", bad, "testdata/doc.pdf"}
			f := files[i%len(files)]
			_, err := r.Render(context.Background(), f, []Size{Thumb64, Preview}, func(Size, io.Reader) error { return nil })
			if (f == bad) != (err != nil) {
				t.Errorf("%s: err = %v", f, err)
			}
		}()
	}
	wg.Wait()
}

func TestClose(t *testing.T) {
	r, err := New(Options{})
	if err != nil {
		t.Fatal(err)
	}
	r.Close()
	if _, err := r.Render(context.Background(), filepath.Join("testdata", "photo.jpg"), Sizes(), nil); !errors.Is(err, ErrClosed) {
		t.Errorf("err = %v, want ErrClosed", err)
	}
}

func TestSizes(t *testing.T) {
	for _, s := range Sizes() {
		if got, ok := SizeByName(s.Name); !ok || got != s {
			t.Errorf("SizeByName(%q) = %v, %v", s.Name, got, ok)
		}
		if got, ok := SizeByPx(s.Px); !ok || got != s {
			t.Errorf("SizeByPx(%d) = %v, %v", s.Px, got, ok)
		}
	}
	if _, ok := SizeByPx(100); ok {
		t.Error("SizeByPx(100) found a size")
	}
	s := Sizes()
	s[0].Px = 1
	if Sizes()[0].Px == 1 {
		t.Error("Sizes returned the table itself")
	}
	for i, w := range WebPSizes() {
		j := Sizes()[i]
		if !w.WebP || w.Px != j.Px || j.AsWebP() != w || w.AsWebP() != w || w.ContentType() != "image/webp" {
			t.Errorf("WebP twin of %v: %v", j, w)
		}
		if got, ok := SizeByName(w.Name); !ok || got != w {
			t.Errorf("SizeByName(%q) = %v, %v", w.Name, got, ok)
		}
		if got, _ := SizeByPx(w.Px); got.WebP {
			t.Errorf("SizeByPx(%d) = %v, want the JPEG size", w.Px, got)
		}
	}
}

// TestLoadersBlocked opens hostile and untrusted-format files with libvips
// directly, as if Detect had let them through: the loaders are blocked.
func TestLoadersBlocked(t *testing.T) {
	newRenderer(t, Options{}) // starts libvips with its settings
	dir := t.TempDir()
	files := map[string]string{
		"mvg.jpg":  testdata(t, "mvg.jpg"),  // magickload
		"msl.jpg":  testdata(t, "msl.jpg"),  // magickload
		"pipe.eps": testdata(t, "pipe.eps"), // magickload -> Ghostscript
		"x.ppm":    writeFile(t, filepath.Join(dir, "x.ppm"), []byte("P3\n1 1\n255\n0 0 0\n")),
		"x.csv":    writeFile(t, filepath.Join(dir, "x.csv"), []byte("1,2,3\n")),
		"x.mat":    writeFile(t, filepath.Join(dir, "x.mat"), []byte("2 1\n1 2\n")),
		// Only ImageMagick reads XPM: its policy must refuse it.
		"xpm": writeFile(t, filepath.Join(dir, "xpm"), []byte("/* XPM */\nstatic char *x[] = {\"1 1 1 1\", \"a c #000000\", \"a\"};\n")),
	}
	for name, p := range files {
		t.Run(name, func(t *testing.T) {
			src := newPathSource(p)
			defer src.free()
			h, err := src.header()
			if err == nil {
				t.Fatalf("libvips loaded %s: %+v", name, h)
			}
			t.Logf("refused: %v", err)
			if name == "xpm" && !strings.Contains(err.Error(), "security policy") {
				t.Errorf("xpm: %v, want ImageMagick's policy to refuse it", err)
			}
		})
	}
	for _, p := range pwned {
		if _, err := os.Stat(p); err == nil {
			t.Errorf("%s exists: a hostile file ran", p)
		}
	}
}

// minimalPDF builds a one-page PDF whose catalog carries extra entries
// (actions), with a correct xref table.
func minimalPDF(catalogExtra string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R " + catalogExtra + " >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 100] >>",
	}
	return mediatest.PDF(objs...)
}

// TestPDFActions: JavaScript, URI and Launch actions in a PDF do nothing
// when it is rendered.
func TestPDFActions(t *testing.T) {
	r := newRenderer(t, Options{})
	ca := newCanary(t)
	url := ca.url("/pdf")
	extra := fmt.Sprintf("/OpenAction << /S /JavaScript /JS (app.launchURL\\(\"%[1]s\", true\\); this.submitForm\\(\"%[1]s\"\\);) /Next [<< /S /URI /URI (%[1]s) >> << /S /Launch /F (/usr/bin/touch) >>] >>", url)
	p := writeFile(t, filepath.Join(t.TempDir(), "js.pdf"), minimalPDF(extra))
	var got []rendition
	info, err := r.Render(context.Background(), p, []Size{Thumb256}, collect(t, &got))
	if err != nil {
		t.Fatal(err)
	}
	if info.Width != 200 || info.Height != 100 || len(got) != 1 {
		t.Errorf("Info = %+v, %d renditions", info, len(got))
	}
	ca.assertSilent(t)
}

func FuzzDetectSniff(f *testing.F) {
	for _, name := range []string{"photo.jpg", "alpha.png", "anim.gif", "photo.webp", "photo.tif", "photo.heic",
		"photo.avif", "shape.svg", "doc.pdf", "clip.mp4", "audio.m4a", "pipe.eps", "mvg.jpg", "layers.psd", "raw.dng"} {
		if b, err := os.ReadFile(filepath.Join("testdata", name)); err == nil {
			f.Add(b[:min(len(b), sniffLen)])
		}
	}
	f.Add([]byte("\x00\x00\x00\xffftypheic"))
	f.Fuzz(func(t *testing.T, b []byte) {
		ft := sniff(b)
		if ft != FormatUnknown && len(b) < 3 {
			t.Errorf("sniff(%q) = %s from under 3 bytes", b, ft)
		}
		_ = describe(b)
	})
}

// TestToolKilledAtTimeout: a child that runs past the time limit is killed
// and the error says why.
func TestToolKilledAtTimeout(t *testing.T) {
	ctx, cancel := context.WithTimeout(context.Background(), 300*time.Millisecond)
	defer cancel()
	r := newRenderer(t, Options{})
	start := time.Now()
	_, err := r.run(ctx, "ffmpeg", []string{"-nostdin", "-loglevel", "error", "-re", "-f", "lavfi", "-i", "testsrc=duration=600", "-f", "null", "-"})
	took := time.Since(start)
	if !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
	if took > 3*time.Second {
		t.Errorf("took %v", took)
	}
}

// TestToolMemoryLimit: ffmpeg decoding a 16-megapixel frame needs more
// than 350 MiB of address space; under that limit the render fails with
// ErrLimit and a reason, and the process carries on.
func TestToolMemoryLimit(t *testing.T) {
	dir := t.TempDir()
	big := filepath.Join(dir, "big.mkv")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "color=c=gray:s=4000x4000:d=1:r=1",
		"-frames:v", "1", "-c:v", "mjpeg", big).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	r := newRenderer(t, Options{ToolMemory: 350 << 20})
	_, err := r.RenderVideoFrame(context.Background(), big, []Size{Thumb64}, func(Size, io.Reader) error {
		t.Error("out called")
		return nil
	})
	t.Logf("%v", err)
	if !errors.Is(err, ErrLimit) {
		t.Fatalf("err = %v, want ErrLimit", err)
	}
	if !strings.Contains(err.Error(), "memory") {
		t.Errorf("err = %v, want the reason to say memory", err)
	}
	// The same renderer still renders what fits.
	if _, err := r.RenderVideoFrame(context.Background(), testdata(t, "clip.mp4"), []Size{Thumb64}, func(Size, io.Reader) error { return nil }); err != nil {
		t.Errorf("clip.mp4 after the failure: %v", err)
	}
}

// tiffWith is a little-endian TIFF header and an IFD0 of the given
// entries (tag, type, count, inline value), with ASCII values placed after.
func tiffWith(entries [][4]uint32, ascii map[uint16]string) []byte {
	var b bytes.Buffer
	b.WriteString("II*\x00")
	binary.Write(&b, binary.LittleEndian, uint32(8))
	binary.Write(&b, binary.LittleEndian, uint16(len(entries)))
	extra := 8 + 2 + 12*len(entries) + 4
	var tail []byte
	for _, e := range entries {
		binary.Write(&b, binary.LittleEndian, uint16(e[0]))
		binary.Write(&b, binary.LittleEndian, uint16(e[1]))
		if s, ok := ascii[uint16(e[0])]; ok {
			binary.Write(&b, binary.LittleEndian, uint32(len(s)+1))
			binary.Write(&b, binary.LittleEndian, uint32(extra+len(tail)))
			tail = append(append(tail, s...), 0)
			continue
		}
		binary.Write(&b, binary.LittleEndian, e[2])
		binary.Write(&b, binary.LittleEndian, e[3])
	}
	binary.Write(&b, binary.LittleEndian, uint32(0))
	b.Write(tail)
	return b.Bytes()
}

func TestDetectRAW(t *testing.T) {
	nikon := map[uint16]string{271: "NIKON CORPORATION"}
	scanner := map[uint16]string{271: "Nikon"}
	tests := []struct {
		name string
		b    []byte
		want Format
	}{
		{"dng", readTestdata(t, "raw.dng"), FormatRAW},
		{"tiff", readTestdata(t, "photo.tif"), FormatTIFF},
		{"nef: maker and sub-IFDs", tiffWith([][4]uint32{{271, 2, 0, 0}, {330, 4, 1, 100}}, nikon), FormatRAW},
		{"tiff by a camera maker, no sub-IFDs", tiffWith([][4]uint32{{271, 2, 0, 0}}, nikon), FormatTIFF},
		{"scanner tiff with sub-IFDs", tiffWith([][4]uint32{{271, 2, 0, 0}, {330, 4, 1, 100}}, scanner), FormatTIFF},
		{"dng version tag", tiffWith([][4]uint32{{50706, 1, 4, 0x00000401}}, nil), FormatRAW},
		{"cr2", append([]byte("II*\x00\x10\x00\x00\x00CR\x02\x00"), make0(64)...), FormatRAW},
		{"orf", append([]byte("IIRO\x08\x00\x00\x00"), make0(64)...), FormatRAW},
		{"rw2", append([]byte("IIU\x00\x08\x00\x00\x00"), make0(64)...), FormatRAW},
		{"raf", []byte("FUJIFILMCCD-RAW 0201FF383501"), FormatRAW},
		{"cr3", []byte("\x00\x00\x00\x18ftypcrx \x00\x00\x00\x01crx isom"), FormatRAW},
		{"ifd0 out of reach", []byte("II*\x00\xff\xff\x00\x00"), FormatTIFF},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			if got := sniff(tc.b); got != tc.want {
				t.Errorf("sniff = %q, want %q", got, tc.want)
			}
		})
	}
}

func make0(n int) []byte { return make([]byte, n) }

// TestRenderWaveform: sound, alone in its container or in an MP4, is
// drawn as a waveform, with its duration and no picture size.
func TestRenderWaveform(t *testing.T) {
	r := newRenderer(t, Options{})
	dir := t.TempDir()
	mp3 := filepath.Join(dir, "tone.mp3")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-y", "-f", "lavfi", "-i", "sine=frequency=220:duration=2",
		"-c:a", "libmp3lame", mp3).CombinedOutput(); err != nil {
		t.Fatalf("ffmpeg: %v %s", err, out)
	}
	tests := []struct {
		file   string
		format Format
		d      time.Duration
	}{
		{testdata(t, "audio.m4a"), FormatMP4, time.Second},
		{mp3, FormatAudio, 2 * time.Second},
	}
	for _, tc := range tests {
		t.Run(filepath.Base(tc.file), func(t *testing.T) {
			var got []rendition
			info, err := r.RenderVideoFrame(context.Background(), tc.file, []Size{Thumb256, Preview}, collect(t, &got))
			if err != nil {
				t.Fatal(err)
			}
			if info.Format != tc.format || info.Width != 0 || info.Height != 0 {
				t.Errorf("Info = %+v, want format %s and no size", info, tc.format)
			}
			if d := info.Duration - tc.d; d < -100*time.Millisecond || d > 100*time.Millisecond {
				t.Errorf("duration %v, want about %v", info.Duration, tc.d)
			}
			if len(got) != 2 {
				t.Fatalf("%d renditions", len(got))
			}
			for _, g := range got {
				checkDims(t, g, WaveformWidth, WaveformHeight)
			}
			// White around the wave, the wave through the middle.
			checkPixel(t, got, 0.5, 0.02, "white", "above the wave")
			checkPixel(t, got, 0.5, 0.5, "dark", "the wave")
		})
	}
}

// TestRenderWebP: WebP twins come from the same decode as the JPEGs, each
// right after its JPEG, with the same dimensions.
func TestRenderWebP(t *testing.T) {
	r := newRenderer(t, Options{})
	for _, file := range []string{"photo.jpg", "alpha.png", "rotated6.jpg"} {
		t.Run(file, func(t *testing.T) {
			var got []rendition
			sizes := append(WebPSizes(), Sizes()...)
			if _, err := r.Render(context.Background(), testdata(t, file), sizes, collect(t, &got)); err != nil {
				t.Fatal(err)
			}
			if len(got) != len(sizes) {
				t.Fatalf("%d renditions, want %d", len(got), len(sizes))
			}
			for i := 0; i < len(got); i += 2 {
				j, w := got[i], got[i+1]
				if j.size.WebP || !w.size.WebP || j.size.Px != w.size.Px {
					t.Fatalf("renditions %d, %d: %s, %s; want a JPEG then its WebP twin", i, i+1, j.size.Name, w.size.Name)
				}
				if !bytes.HasPrefix(w.data, []byte("RIFF")) {
					t.Errorf("%s: not a RIFF file", w.size.Name)
				}
				if j.cfg.Width != w.cfg.Width || j.cfg.Height != w.cfg.Height {
					t.Errorf("%s %dx%d, %s %dx%d", j.size.Name, j.cfg.Width, j.cfg.Height, w.size.Name, w.cfg.Width, w.cfg.Height)
				}
			}
		})
	}
}
