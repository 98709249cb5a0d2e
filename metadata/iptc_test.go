package metadata

import (
	"context"
	"path/filepath"
	"testing"
)

// TestNewsFields: the IPTC and XMP fields of news and stock photos
// (headline, credit, source, the place) are read from XMP first, else
// from IIM, and are words of the search text.
func TestNewsFields(t *testing.T) {
	p := filepath.Join(t.TempDir(), "news.jpg")
	copyFile(t, "testdata/photo.jpg", p)
	if out, err := execCommand("exiftool", "-q", "-overwrite_original", "-charset", "iptc=UTF8", "-codedcharacterset=utf8",
		"-XMP-photoshop:Headline=Fountain reopens", "-IPTC:Headline=Old headline",
		"-XMP-photoshop:Credit=Ada Photo", "-IPTC:Source=Agence Lac",
		"-XMP-iptcCore:Location=Jet d'eau", "-IPTC:City=Genève", "-IPTC:Province-State=GE",
		"-XMP-photoshop:Country=Switzerland", "-IPTC:Country-PrimaryLocationName=Schweiz", p).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v: %s", err, out)
	}
	m, err := newExtractor(t, Config{}).Extract(context.Background(), p, "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	for _, f := range []struct{ name, got, want string }{
		{"Headline", m.Headline, "Fountain reopens"},
		{"Credit", m.Credit, "Ada Photo"},
		{"Source", m.Source, "Agence Lac"},
		{"Location", m.Location, "Jet d'eau"},
		{"City", m.City, "Genève"},
		{"State", m.State, "GE"},
		{"Country", m.Country, "Switzerland"},
	} {
		if f.got != f.want {
			t.Errorf("%s = %q, want %q", f.name, f.got, f.want)
		}
	}
	want := "The fountain\nlake\ngeneva\nSummer\nfountain\nJet d'eau at noon\nAda Photographer\n(c) 2024 Ada\n" +
		"Fountain reopens\nAda Photo\nAgence Lac\nJet d'eau\nGenève\nGE\nSwitzerland\nRF24-105mm F4 L IS USM"
	if got := m.SearchText(); got != want {
		t.Errorf("SearchText = %q, want %q", got, want)
	}
}
