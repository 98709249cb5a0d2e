package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// TestWatermark draws text on a grey picture: the result is a JPEG of the
// same size whose middle changed and whose corners did not, for texts
// that are markup to the renderer too.
func TestWatermark(t *testing.T) {
	r := newRenderer(t, Options{})
	src := image.NewRGBA(image.Rect(0, 0, 400, 300))
	for y := range 300 {
		for x := range 400 {
			src.Set(x, y, color.RGBA{100, 100, 100, 255})
		}
	}
	var in bytes.Buffer
	if err := jpeg.Encode(&in, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	for _, text := range []string{"CONFIDENTIAL", "<b>Tom & Jerry</b>", "Ünïcode ✓"} {
		out, err := r.Watermark(t.Context(), in.Bytes(), text)
		if err != nil {
			t.Fatalf("Watermark(%q): %v", text, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Watermark(%q) answered no JPEG: %v", text, err)
		}
		if b := img.Bounds(); b.Dx() != 400 || b.Dy() != 300 {
			t.Errorf("Watermark(%q) size %v, want 400x300", text, b)
		}
		changed := 0
		for y := 100; y < 200; y++ {
			for x := 50; x < 350; x++ {
				if g, _, _, _ := img.At(x, y).RGBA(); g>>8 > 130 || g>>8 < 70 {
					changed++
				}
			}
		}
		if changed < 100 {
			t.Errorf("Watermark(%q) changed %d pixels of the middle: no text drawn", text, changed)
		}
		if g, _, _, _ := img.At(2, 2).RGBA(); g>>8 > 110 || g>>8 < 90 {
			t.Errorf("Watermark(%q) changed a corner: %d", text, g>>8)
		}
	}
	if _, err := r.Watermark(t.Context(), []byte("not a picture"), "x"); err == nil {
		t.Error("Watermark of bytes that are no picture answered no error")
	}
}
