package media

import (
	"bytes"
	"context"
	"fmt"
	"image"
	"image/color"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"testing"
)

// TestJPEGThumbnailAsVipsThumbnail: a JPEG's thumbnail, made from its own
// loader at the scale jpegShrink picks, is the one vips_thumbnail makes
// of the file, byte for byte, at each decode scale (1/8, 1/4, 1/2, 1/1)
// and for a file turned by its EXIF orientation; and the smaller sizes
// made from it have the dimensions of a fit.
func TestJPEGThumbnailAsVipsThumbnail(t *testing.T) {
	dir := t.TempDir()
	files := []string{"testdata/photo.jpg", "testdata/rotated6.jpg"}
	for _, w := range []int{4100, 2100, 1100} {
		img := image.NewRGBA(image.Rect(0, 0, w, w*2/3))
		for y := range img.Rect.Dy() {
			for x := range w {
				img.Set(x, y, color.RGBA{uint8(x * 7), uint8(y * 3), uint8(x ^ y), 255})
			}
		}
		var b bytes.Buffer
		if err := jpeg.Encode(&b, img, &jpeg.Options{Quality: 80}); err != nil {
			t.Fatal(err)
		}
		name := filepath.Join(dir, fmt.Sprintf("w%d.jpg", w))
		if err := os.WriteFile(name, b.Bytes(), 0o600); err != nil {
			t.Fatal(err)
		}
		files = append(files, name)
	}
	newRenderer(t, Options{Workers: 1}) // starts libvips
	thumbs := func(f string, jpeg bool) map[int][]byte {
		src := newPathSource(f)
		defer src.free()
		src.jpeg = jpeg
		if _, err := src.header(); err != nil {
			t.Fatal(err)
		}
		got := map[int][]byte{}
		err := render(context.Background(), src, []Size{Thumb64, Thumb128, Thumb256}, func(s Size, r io.Reader) error {
			b, err := io.ReadAll(r)
			got[s.Px] = b
			return err
		})
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	for _, f := range files {
		byName, sniffed := thumbs(f, true), thumbs(f, false)
		if !bytes.Equal(byName[256], sniffed[256]) {
			t.Errorf("%s: the 256 px thumbnail differs from vips_thumbnail's (%d and %d bytes)", f, len(byName[256]), len(sniffed[256]))
		}
		big, err := jpeg.DecodeConfig(bytes.NewReader(byName[256]))
		if err != nil {
			t.Fatal(err)
		}
		for _, px := range []int{128, 64} {
			c, err := jpeg.DecodeConfig(bytes.NewReader(byName[px]))
			if err != nil {
				t.Fatal(err)
			}
			k := 256 / px
			if max(c.Width, c.Height) != px || c.Width != (big.Width+k/2)/k || c.Height != (big.Height+k/2)/k {
				t.Errorf("%s: %d px thumbnail %dx%d, from %dx%d", f, px, c.Width, c.Height, big.Width, big.Height)
			}
		}
	}
}
