package media

import (
	"bytes"
	"image"
	"image/color"
	"image/jpeg"
	"testing"
)

// greyJPEG is a JPEG of w x h pixels all of grey 100.
func greyJPEG(t *testing.T, w, h int) []byte {
	t.Helper()
	src := image.NewGray(image.Rect(0, 0, w, h))
	for i := range src.Pix {
		src.Pix[i] = 100
	}
	var in bytes.Buffer
	if err := jpeg.Encode(&in, src, &jpeg.Options{Quality: 95}); err != nil {
		t.Fatal(err)
	}
	return in.Bytes()
}

// marked counts the pixels of img in r that the watermark changed (far
// from grey 100), and adds up how far they are from it.
func marked(img image.Image, r image.Rectangle) (n, sum int) {
	for y := r.Min.Y; y < r.Max.Y; y++ {
		for x := r.Min.X; x < r.Max.X; x++ {
			g, _, _, _ := img.At(x, y).RGBA()
			d := int(g>>8) - 100
			if d < 0 {
				d = -d
			}
			sum += d
			if d > 30 {
				n++
			}
		}
	}
	return n, sum
}

// TestWatermarkPosition draws the mark at each position on a grey picture
// and looks where the pixels changed: in the corner asked and not in the
// opposite one; over the middle; over all four quarters when tiled.
func TestWatermarkPosition(t *testing.T) {
	r := newRenderer(t, Options{})
	in := greyJPEG(t, 400, 300)
	tl, tr := image.Rect(0, 0, 200, 150), image.Rect(200, 0, 400, 150)
	bl, br := image.Rect(0, 150, 200, 300), image.Rect(200, 150, 400, 300)
	middle := image.Rect(150, 120, 250, 180)
	corners := map[string]image.Rectangle{"top-left": image.Rect(0, 0, 40, 30), "top-right": image.Rect(360, 0, 400, 30),
		"bottom-left": image.Rect(0, 270, 40, 300), "bottom-right": image.Rect(360, 270, 400, 300)}
	for _, tc := range []struct {
		position  string
		marked    []image.Rectangle
		untouched []image.Rectangle
	}{
		{"center", []image.Rectangle{middle}, []image.Rectangle{corners["top-left"], corners["bottom-right"]}},
		{"", []image.Rectangle{middle}, []image.Rectangle{corners["top-right"], corners["bottom-left"]}},
		{"top-left", []image.Rectangle{tl}, []image.Rectangle{br, bl, middle}},
		{"top-right", []image.Rectangle{tr}, []image.Rectangle{bl, br, middle}},
		{"bottom-left", []image.Rectangle{bl}, []image.Rectangle{tr, tl, middle}},
		{"bottom-right", []image.Rectangle{br}, []image.Rectangle{tl, tr, middle}},
		{"tiled", []image.Rectangle{tl, tr, bl, br, middle}, nil},
	} {
		out, err := r.Watermark(t.Context(), in, "PROOF", WatermarkStyle{Position: tc.position, Opacity: 0.8})
		if err != nil {
			t.Fatalf("Watermark at %q: %v", tc.position, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatalf("Watermark at %q answered no JPEG: %v", tc.position, err)
		}
		for _, rect := range tc.marked {
			if n, _ := marked(img, rect); n < 50 {
				t.Errorf("Watermark at %q changed %d pixels of %v: want the mark there", tc.position, n, rect)
			}
		}
		for _, rect := range tc.untouched {
			if n, _ := marked(img, rect); n > 0 {
				t.Errorf("Watermark at %q changed %d pixels of %v: want none", tc.position, n, rect)
			}
		}
	}
	if _, err := r.Watermark(t.Context(), in, "x", WatermarkStyle{Position: "middle"}); err == nil {
		t.Error("Watermark at an unknown position answered no error")
	}
}

// TestWatermarkOpacity draws the same mark at rising opacities: each
// moves the picture's pixels further from what they were.
func TestWatermarkOpacity(t *testing.T) {
	r := newRenderer(t, Options{})
	in := greyJPEG(t, 400, 300)
	last := -1
	for _, o := range []float64{0.1, 0.45, 1} {
		out, err := r.Watermark(t.Context(), in, "PROOF", WatermarkStyle{Opacity: o})
		if err != nil {
			t.Fatalf("Watermark at opacity %v: %v", o, err)
		}
		img, err := jpeg.Decode(bytes.NewReader(out))
		if err != nil {
			t.Fatal(err)
		}
		_, sum := marked(img, img.Bounds())
		if sum <= last {
			t.Errorf("Watermark at opacity %v moved the pixels by %d in all, no more than the opacity before (%d)", o, sum, last)
		}
		last = sum
	}
}

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
		out, err := r.Watermark(t.Context(), in.Bytes(), text, WatermarkStyle{})
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
	if _, err := r.Watermark(t.Context(), []byte("not a picture"), "x", WatermarkStyle{}); err == nil {
		t.Error("Watermark of bytes that are no picture answered no error")
	}
}
