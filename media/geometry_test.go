package media

import (
	"bytes"
	"context"
	"errors"
	"image/jpeg"
	"testing"
)

// TestRenderGeometry makes fit and fill sizes of images of every kind of
// source (a photo, one turned by its EXIF orientation, a vector, a RAW's
// preview) and checks their pixel sizes: fit within the box keeping the
// aspect ratio and never enlarged; fill exactly the box.
func TestRenderGeometry(t *testing.T) {
	r := newRenderer(t, Options{})
	tests := []struct {
		file string
		g    Geometry
		w, h int
	}{
		// photo.jpg is 600x400.
		{"photo.jpg", Geometry{Width: 170, Height: 100}, 150, 100},
		{"photo.jpg", Geometry{Width: 100, Height: 170}, 100, 67},
		{"photo.jpg", Geometry{Width: 170, Height: 100, Fill: true}, 170, 100},
		{"photo.jpg", Geometry{Width: 100, Height: 170, Fill: true}, 100, 170},
		{"photo.jpg", Geometry{Width: 2048, Height: 2048}, 600, 400}, // never enlarged
		{"photo.jpg", Geometry{Width: 1000, Height: 1000, Fill: true}, 1000, 1000},
		{"photo.jpg", Geometry{Width: 16, Height: 16, Fill: true}, 16, 16},
		// rotated6.jpg is stored 600x400 and shown 400x600.
		{"rotated6.jpg", Geometry{Width: 100, Height: 300}, 100, 150},
		{"rotated6.jpg", Geometry{Width: 300, Height: 100, Fill: true}, 300, 100},
		{"shape.svg", Geometry{Width: 64, Height: 64, Fill: true}, 64, 64},
		{"raw.dng", Geometry{Width: 32, Height: 32, Fill: true}, 32, 32},
	}
	for _, tt := range tests {
		t.Run(tt.file+"_"+tt.g.String(), func(t *testing.T) {
			b, err := r.RenderGeometry(context.Background(), testdata(t, tt.file), tt.g)
			if err != nil {
				t.Fatal(err)
			}
			cfg, err := jpeg.DecodeConfig(bytes.NewReader(b))
			if err != nil {
				t.Fatalf("not a JPEG: %v", err)
			}
			if cfg.Width != tt.w || cfg.Height != tt.h {
				t.Errorf("%dx%d, want %dx%d", cfg.Width, cfg.Height, tt.w, tt.h)
			}
		})
	}
}

func TestRenderGeometryRefuses(t *testing.T) {
	r := newRenderer(t, Options{})
	for _, tt := range []struct {
		file string
		g    Geometry
		want error
	}{
		{"clip.mp4", Geometry{Width: 100, Height: 100}, ErrUnsupported},
		{"archive.zip", Geometry{Width: 100, Height: 100}, ErrUnsupported},
		{"photo.jpg", Geometry{Width: 15, Height: 100}, nil},
		{"photo.jpg", Geometry{Width: 100, Height: 2049}, nil},
	} {
		_, err := r.RenderGeometry(context.Background(), testdata(t, tt.file), tt.g)
		if err == nil || tt.want != nil && !errors.Is(err, tt.want) {
			t.Errorf("%s %s: %v, want %v", tt.file, tt.g, err, tt.want)
		}
	}
}

func TestGeometryCovers(t *testing.T) {
	for _, tt := range []struct {
		g    Geometry
		w, h int
		want bool
	}{
		{Geometry{Width: 170, Height: 100}, 2048, 1365, true},
		{Geometry{Width: 2048, Height: 2048}, 2048, 1365, true}, // fit reaches the box's width
		{Geometry{Width: 2048, Height: 2048, Fill: true}, 2048, 1365, false},
		{Geometry{Width: 2000, Height: 1365, Fill: true}, 2048, 1365, true},
		{Geometry{Width: 300, Height: 300}, 200, 100, false},
	} {
		if got := tt.g.Covers(tt.w, tt.h); got != tt.want {
			t.Errorf("%s covers %dx%d: %v, want %v", tt.g, tt.w, tt.h, got, tt.want)
		}
	}
}
