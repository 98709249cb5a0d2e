package metadata

import (
	"context"
	"os/exec"
	"path/filepath"
	"testing"
)

// TestColorSpaceOfTIFF: a TIFF's colour space comes from how its samples
// are to be read (PhotometricInterpretation), not from how many there are:
// RGB with alpha has four samples, as CMYK does. The files are made here
// by libvips, as a user's tools would.
func TestColorSpaceOfTIFF(t *testing.T) {
	if _, err := exec.LookPath("vips"); err != nil {
		t.Skip("the vips command is not installed")
	}
	dir := t.TempDir()
	vips := func(args ...string) {
		t.Helper()
		if out, err := exec.Command("vips", args...).CombinedOutput(); err != nil {
			t.Fatalf("vips %v: %v: %s", args, err, out)
		}
	}
	in := func(name string) string { return filepath.Join(dir, name) }
	vips("black", in("rgb.v"), "8", "6", "--bands", "3")
	vips("copy", in("rgb.v"), in("srgb.v"), "--interpretation", "srgb")
	vips("bandjoin_const", in("srgb.v"), in("rgba.v"), "255")
	vips("copy", in("rgba.v"), in("rgba.tif"))
	vips("copy", in("srgb.v"), in("rgb.tif"))
	vips("colourspace", in("rgba.v"), in("graya.tif"), "b-w")
	vips("colourspace", in("srgb.v"), in("gray.tif"), "b-w")
	vips("black", in("k.v"), "8", "6", "--bands", "4")
	vips("copy", in("k.v"), in("cmyk.tif"), "--interpretation", "cmyk")
	vips("black", in("k5.v"), "8", "6", "--bands", "5")
	vips("copy", in("k5.v"), in("cmyka.tif"), "--interpretation", "cmyk")

	x := newExtractor(t, Config{})
	for _, tt := range []struct {
		file  string
		space string
		alpha bool
	}{
		{"rgba.tif", "RGB", true},
		{"rgb.tif", "RGB", false},
		{"graya.tif", "Gray", true},
		{"gray.tif", "Gray", false},
		{"cmyk.tif", "CMYK", false},
		{"cmyka.tif", "CMYK", true},
	} {
		t.Run(tt.file, func(t *testing.T) {
			m, err := x.Extract(context.Background(), in(tt.file), "image/tiff")
			if err != nil {
				t.Fatal(err)
			}
			if m.ColorSpace != tt.space || m.AlphaChannel != tt.alpha {
				t.Errorf("colour space %q, alpha %v; want %q, %v", m.ColorSpace, m.AlphaChannel, tt.space, tt.alpha)
			}
		})
	}
}
