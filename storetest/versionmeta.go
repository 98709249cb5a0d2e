package storetest

import (
	"testing"
	"time"

	"damask"
	"damask/search"
)

// testAddVersionClearsExtracted: what processing found in a file goes
// with it when another version becomes current, so that nothing of the
// former file (a PDF's format and pages under a JPEG) is shown or found
// while the new one waits for processing; SetExtracted then fills it for
// the new version.
func testAddVersionClearsExtracted(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, u := newAccount(t, s, "acme")
	a := newSearchAsset(t, s, u, searchSpec{title: "Brochure", filename: "brochure.pdf", contentType: "application/pdf"})
	must(t, "SetExtracted", s.SetExtracted(ctx, acct.ID, a.ID, 1, damask.Extracted{
		Processing: damask.ProcessingDone, Width: 595, Height: 842, PixelWidth: 595, PixelHeight: 842, PageCount: 1,
		Duration: time.Second, Camera: "Scanner", TakenAt: time.Date(2020, 1, 2, 3, 4, 5, 0, time.UTC),
		GPS: &damask.GeoPoint{Latitude: 1, Longitude: 2}, Text: "kumquat",
		Meta: damask.FileMeta{Type: "PDF", ColorSpace: "CMYK", Creator: "Printer", Country: "Austria"},
		Raw:  map[string]any{"File:FileType": "PDF"},
	}))

	v := &damask.Version{Filename: "brochure.jpg", ContentType: "image/jpeg", Size: 2000, Blob: ref("v2"), UserID: u.ID}
	a.Processing = damask.ProcessingPending
	must(t, "AddVersion", s.AddVersion(ctx, a, v, 0))
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	type facts struct {
		Width, Height, PixelWidth, PixelHeight, PageCount int
		Duration                                          time.Duration
		Camera, Text                                      string
		TakenAt                                           time.Time
		GPS                                               *damask.GeoPoint
		Meta                                              damask.FileMeta
	}
	of := func(a *damask.Asset) facts {
		return facts{a.Width, a.Height, a.PixelWidth, a.PixelHeight, a.PageCount, a.Duration, a.Camera, a.Text,
			a.TakenAt, a.GPS, a.Meta}
	}
	diff(t, "what the asset says of its file while the new version waits", facts{}, of(got))
	diff(t, "the asset AddVersion refreshed", facts{}, of(a))
	if got.Processing != damask.ProcessingPending {
		t.Errorf("processing %q, want pending", got.Processing)
	}
	for _, q := range []search.Expr{w("kumquat"), fw(search.Country, "austria"), search.Has{What: "gps"},
		search.Taken{From: time.Date(2020, 1, 1, 0, 0, 0, 0, time.UTC), To: time.Date(2021, 1, 1, 0, 0, 0, 0, time.UTC)}} {
		as, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: q, Page: damask.Page{Number: 1, Size: 10}})
		must(t, "Assets", err)
		if len(as) != 0 {
			t.Errorf("%v finds the asset by its former file", q)
		}
	}

	// The new version's findings come in.
	must(t, "SetExtracted", s.SetExtracted(ctx, acct.ID, a.ID, 2, damask.Extracted{
		Processing: damask.ProcessingDone, Width: 40, Height: 30, PixelWidth: 40, PixelHeight: 30,
		Meta: damask.FileMeta{Type: "JPEG", ColorSpace: "sRGB"}}))
	got, err = s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	diff(t, "what the asset says of its processed file",
		facts{Width: 40, Height: 30, PixelWidth: 40, PixelHeight: 30, Meta: damask.FileMeta{Type: "JPEG", ColorSpace: "sRGB"}}, of(got))
}
