package storetest

import (
	"slices"
	"testing"
	"time"

	"damask"
	"damask/search"
)

// testSearchLanguage runs each row of the README's table of the search
// language, as typed there, through the real parser, against a catalogue
// whose files carry the metadata processing finds (dates taken, IPTC and
// XMP fields). The service resolves tag and uploader names to ids before a
// store sees a query; resolveNames stands in for it.
func testSearchLanguage(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, _ := newAccount(t, s, "acme")
	ann, bob := newUser(t, s, acct.ID, "ann"), newUser(t, s, acct.ID, "bob")
	day := func(y int, m time.Month, d, h int) time.Time { return time.Date(y, m, d, h, 0, 0, 0, time.UTC) }

	type file struct {
		by   *damask.User
		spec searchSpec
		x    *damask.Extracted // what processing found, if anything
	}
	files := map[string]file{
		"sunset": {ann, searchSpec{title: "Sunset at the beach", description: "a red car at dusk", filename: "IMG_2041.jpg",
			size: 2 << 20, tags: []string{"brand", "sky blue"}},
			&damask.Extracted{Width: 4000, Height: 3000, Camera: "Canon EOS R5", GPS: &damask.GeoPoint{Latitude: 52.5, Longitude: 13.4},
				TakenAt: day(2024, 5, 17, 18), Meta: damask.FileMeta{
					Creator: "Ann Example", Copyright: "© 2024 Acme Corp", Credit: "Acme Photo", Source: "Agency Nord",
					Headline: "Summer evening", Caption: "Crowds on the shore", Location: "Tempelhof field", City: "Berlin",
					State: "Berlin", Country: "Germany", Lens: "RF 24-70mm"}}},
		"poster": {bob, searchSpec{title: "Cat poster", description: "draft of the poster", filename: "cat.png",
			contentType: "image/png", size: 500 << 10},
			&damask.Extracted{Width: 1000, Height: 1500, TakenAt: day(2023, 12, 31, 23), Meta: damask.FileMeta{
				Creator: "Bob Builder", City: "Zürich", State: "Zurich", Country: "Switzerland", Copyright: "Bob's own"}}},
		"dog": {bob, searchSpec{title: "Dog video", filename: "dog.mp4", contentType: "video/mp4", size: 50 << 20,
			width: 1920, height: 1080}, nil},
		"report": {ann, searchSpec{title: "Quarterly report", filename: "report-q3.pdf", contentType: "application/pdf",
			size: 12 << 20, text: "car red numbers berlin"}, nil},
		"logo": {ann, searchSpec{title: "Logo", filename: "logo.png", contentType: "image/png", size: 1 << 10,
			width: 512, height: 512, tags: []string{"brand"}}, nil},
	}
	byName := map[string]*damask.Asset{}
	for _, name := range []string{"sunset", "poster", "dog", "report", "logo"} {
		f := files[name]
		a := newSearchAsset(t, s, f.by, f.spec)
		if f.x != nil {
			x := *f.x
			x.Processing = damask.ProcessingDone
			must(t, "SetExtracted "+name, s.SetExtracted(ctx, acct.ID, a.ID, 1, x))
		}
		byName[name] = a
	}

	all := []string{"sunset", "poster", "dog", "report", "logo"}
	rows := []struct {
		row   string // the README's row
		query string
		want  []string
	}{
		{"sunset beach", "sunset beach", []string{"sunset"}},
		{"sunset beach", "car red", []string{"sunset", "report"}},
		{`"red car"`, `"red car"`, []string{"sunset"}},
		{"sun*", "sun*", []string{"sunset"}},
		{"-draft", "-draft", []string{"sunset", "dog", "report", "logo"}},
		{"cat OR dog", "cat OR dog", []string{"poster", "dog"}},
		{"(cat OR dog) -draft", "(cat OR dog) -draft", []string{"dog"}},
		{"title:", "title:sunset", []string{"sunset"}},
		{"filename:", "filename:2041", []string{"sunset"}},
		{"description:", "description:dusk", []string{"sunset"}},
		{"camera:", "camera:canon", []string{"sunset"}},
		{"tag:brand", "tag:brand", []string{"sunset", "logo"}},
		{`tag:"sky blue"`, `tag:"sky blue"`, []string{"sunset"}},
		{"type:image", "type:image", []string{"sunset", "poster", "logo"}},
		{"ext:jpg", "ext:jpg", []string{"sunset"}},
		{"by:ann", "by:ann", []string{"sunset", "report", "logo"}},
		{"before:2024-05", "before:2024-05", nil}, // every asset was added today
		{"after:2024", "after:2024", all},
		{"taken:2024-05", "taken:2024-05", []string{"sunset"}},
		{"taken:2024-05", "taken:2024", []string{"sunset"}},
		{"taken:2024-05", "taken:2024-05-17", []string{"sunset"}},
		{"taken:2024-05", "taken:2023-12-31", []string{"poster"}},
		{"taken:2024-05", "-taken:2024", []string{"poster", "dog", "report", "logo"}},
		{"taken-before:", "taken-before:2024", []string{"poster"}},
		{"taken-after:", "taken-after:2023", []string{"sunset"}},
		{"taken-after:", "taken-after:2023-11 taken-before:2024-06", []string{"sunset", "poster"}},
		{"copyright:", "copyright:acme", []string{"sunset"}},
		{"creator:", "creator:bob", []string{"poster"}},
		{"creator:", `creator:"ann example"`, []string{"sunset"}},
		{"country:", "country:germany", []string{"sunset"}},
		{"country:", "country:switz*", []string{"poster"}},
		{"city:", "city:berlin", []string{"sunset"}},
		{"city:", "city:zurich", []string{"poster"}},
		{"state:", "state:zurich", []string{"poster"}},
		{"headline:", "headline:evening", []string{"sunset"}},
		{"credit:", "credit:photo", []string{"sunset"}},
		{"source:", "source:nord", []string{"sunset"}},
		{"location:", "location:tempelhof", []string{"sunset"}},
		{"caption:", "caption:shore", []string{"sunset"}},
		{"lens:", "lens:24", []string{"sunset"}},
		{"metadata as plain words", "tempelhof", []string{"sunset"}},
		{"metadata as plain words", "switzerland", []string{"poster"}},
		{"metadata as plain words", "berlin", []string{"sunset", "report"}},
		{"a field is its own", "city:numbers", nil},
		{"a field is its own", "country:berlin", nil},
		{"size>10MB", "size>10MB", []string{"dog", "report"}},
		{"size<=1.5GB", "size<=1.5GB", all},
		{"width>1000", "width>1000", []string{"sunset", "dog"}},
		{"height<800", "height<800", []string{"logo"}},
		{"orientation:portrait", "orientation:portrait", []string{"poster"}},
		{"has:gps", "has:gps", []string{"sunset"}},
	}
	for _, r := range rows {
		t.Run(r.row+" "+r.query, func(t *testing.T) {
			x, err := search.Parse(r.query)
			must(t, "Parse", err)
			x = resolveNames(t, s, acct.ID, x)
			got, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: x, Sort: "created_on",
				Page: damask.Page{Number: 1, Size: 100}})
			must(t, "Assets", err)
			var want []*damask.Asset
			for _, name := range all {
				if slices.Contains(r.want, name) {
					want = append(want, byName[name])
				}
			}
			diff(t, "assets", ids(want), ids(got))
		})
	}
}

// resolveNames sets the ids of the tags and uploaders a query names, as
// the service does.
func resolveNames(t *testing.T, s damask.Store, accountID int64, x search.Expr) search.Expr {
	switch e := x.(type) {
	case search.Tag:
		if tg, err := s.TagByName(t.Context(), accountID, e.Name); err == nil {
			e.ID = tg.ID
		}
		return e
	case search.By:
		if u, err := s.UserByLogin(t.Context(), accountID, e.Login); err == nil {
			e.UserID = u.ID
		}
		return e
	case search.And:
		out := make(search.And, len(e))
		for i, y := range e {
			out[i] = resolveNames(t, s, accountID, y)
		}
		return out
	case search.Or:
		out := make(search.Or, len(e))
		for i, y := range e {
			out[i] = resolveNames(t, s, accountID, y)
		}
		return out
	case search.Not:
		return search.Not{X: resolveNames(t, s, accountID, e.X)}
	}
	return x
}
