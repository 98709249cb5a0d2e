package library

import (
	"testing"

	"damask"
	"damask/media"
)

// A rendition shows the file whole when the file is a raster image no
// larger than it: known from the file's size, or while that is not known
// yet, from a rendition the renderer did not scale down.
func TestReproduces(t *testing.T) {
	jpeg := func(w, h int) *damask.Asset { return &damask.Asset{ContentType: "image/jpeg", Width: w, Height: h} }
	tests := []struct {
		name string
		a    *damask.Asset
		r    damask.Rendition
		size media.Size
		want bool
	}{
		{"scaled down", jpeg(3000, 2000), damask.Rendition{Width: 2048, Height: 1365}, media.Lightbox, false},
		{"as large as the file", jpeg(2048, 1000), damask.Rendition{Width: 2048, Height: 1000}, media.Lightbox, true},
		{"the file smaller than the size", jpeg(800, 600), damask.Rendition{Width: 800, Height: 600}, media.Preview, true},
		{"portrait, compared by the long side", jpeg(900, 1200), damask.Rendition{Width: 768, Height: 1024}, media.Preview, false},
		{"a camera file's small embedded preview", &damask.Asset{ContentType: "image/x-canon-cr2", Width: 6000, Height: 4000},
			damask.Rendition{Width: 1620, Height: 1080}, media.Lightbox, false},
		{"size unknown, not scaled down", jpeg(0, 0), damask.Rendition{Width: 900, Height: 600}, media.Preview, true},
		{"size unknown, scaled down", jpeg(0, 0), damask.Rendition{Width: 1024, Height: 683}, media.Preview, false},
		{"a vector", &damask.Asset{ContentType: "image/svg+xml", Width: 100, Height: 100}, damask.Rendition{Width: 2048, Height: 2048}, media.Lightbox, false},
		{"a document's page", &damask.Asset{ContentType: "application/pdf", Width: 612, Height: 792}, damask.Rendition{Width: 791, Height: 1024}, media.Preview, false},
		{"a video's frame", &damask.Asset{ContentType: "video/mp4", Width: 640, Height: 360}, damask.Rendition{Width: 640, Height: 360}, media.Preview, false},
	}
	for _, tt := range tests {
		if got := reproduces(tt.a, tt.r, tt.size); got != tt.want {
			t.Errorf("%s: %v, want %v", tt.name, got, tt.want)
		}
	}
}
