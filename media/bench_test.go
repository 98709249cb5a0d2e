package media

import (
	"context"
	"io"
	"os/exec"
	"path/filepath"
	"testing"
)

// make24MP writes a 6000x4000 JPEG of Perlin noise (textured like a photo,
// ~5 MB) into dir with the vips command-line tool.
func make24MP(b *testing.B, dir string) string {
	b.Helper()
	steps := [][]string{
		{"perlin", filepath.Join(dir, "r.v"), "6000", "4000", "--cell-size", "96", "--uchar", "--seed", "1"},
		{"perlin", filepath.Join(dir, "g.v"), "6000", "4000", "--cell-size", "48", "--uchar", "--seed", "2"},
		{"perlin", filepath.Join(dir, "b.v"), "6000", "4000", "--cell-size", "24", "--uchar", "--seed", "3"},
		{"bandjoin", filepath.Join(dir, "r.v") + " " + filepath.Join(dir, "g.v") + " " + filepath.Join(dir, "b.v"), filepath.Join(dir, "rgb.v")},
		{"copy", filepath.Join(dir, "rgb.v"), filepath.Join(dir, "24mp.jpg") + "[Q=90]", "--interpretation", "srgb"},
	}
	for _, s := range steps {
		if out, err := exec.Command("vips", s...).CombinedOutput(); err != nil {
			b.Fatalf("vips %v: %v %s", s, err, out)
		}
	}
	return filepath.Join(dir, "24mp.jpg")
}

var benchSizes = []Size{Thumb64, Thumb128, Thumb256, Preview}

// BenchmarkRenderAll24MP makes 64, 128, 256 and 1024 px renditions of a
// 24 MP JPEG from one decode, in-process. Compare with
// BenchmarkVipsthumbnail1024 in the same run (target: <= 1.5x).
func BenchmarkRenderAll24MP(b *testing.B) {
	src := make24MP(b, b.TempDir())
	r := newRenderer(b, Options{Workers: 1})
	discard := func(Size, io.Reader) error { return nil }
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Render(context.Background(), src, benchSizes, discard); err != nil {
			b.Fatal(err)
		}
	}
}

// BenchmarkVipsthumbnail1024 runs the vipsthumbnail command on the same kind
// of file for one 1024 px JPEG, one vips thread, process start-up included.
func BenchmarkVipsthumbnail1024(b *testing.B) {
	dir := b.TempDir()
	src := make24MP(b, dir)
	out := filepath.Join(dir, "tn_%s.jpg[Q=82,strip]")
	b.ResetTimer()
	for b.Loop() {
		cmd := exec.Command("vipsthumbnail", src, "--size", "1024", "-o", out)
		cmd.Env = []string{"VIPS_CONCURRENCY=1"}
		if o, err := cmd.CombinedOutput(); err != nil {
			b.Fatalf("vipsthumbnail: %v %s", err, o)
		}
	}
}

// BenchmarkBombHeader is the refusal of a PNG declaring 50000x50000 pixels.
func BenchmarkBombHeader(b *testing.B) {
	p := filepath.Join(b.TempDir(), "bomb.png")
	bombPNG(b, p, 50000, 50000)
	r := newRenderer(b, Options{})
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Render(context.Background(), p, benchSizes, nil); err == nil {
			b.Fatal("bomb accepted")
		}
	}
}

// BenchmarkRender1024 is one 1024 px rendition: the binding's cost next to
// govips' NewThumbnailWithSizeFromFile + ExportJpeg on the same file.
func BenchmarkRender1024(b *testing.B) {
	src := make24MP(b, b.TempDir())
	r := newRenderer(b, Options{Workers: 1})
	discard := func(Size, io.Reader) error { return nil }
	b.ResetTimer()
	for b.Loop() {
		if _, err := r.Render(context.Background(), src, []Size{Preview}, discard); err != nil {
			b.Fatal(err)
		}
	}
}
