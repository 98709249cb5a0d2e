package storetest

import (
	"cmp"
	"fmt"
	"slices"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/search"
)

// The search suite: every operator of package search against a small
// catalogue with known answers, the index following writes, sorting,
// keyset paging and facets. The store gets trees as the service hands them
// over, with the ids of tags and uploaders resolved.

// searchSpec describes an asset of a search catalogue.
type searchSpec struct {
	title, description, filename, contentType string
	size                                      int64
	width, height                             int
	camera                                    string
	gps                                       bool
	text                                      string
	tags                                      []string
}

// newSearchAsset creates an asset of u with everything a search can test.
func newSearchAsset(t *testing.T, s damask.Store, u *damask.User, spec searchSpec) *damask.Asset {
	t.Helper()
	if spec.contentType == "" {
		spec.contentType = "image/jpeg"
	}
	if spec.size == 0 {
		spec.size = 1000
	}
	a := &damask.Asset{
		AccountID:   u.AccountID,
		Title:       spec.title,
		Description: spec.description,
		Filename:    spec.filename,
		ContentType: spec.contentType,
		Size:        spec.size,
		Blob:        ref(fmt.Sprint(u.AccountID, spec.title, spec.filename)),
		UserID:      u.ID,
		Processing:  damask.ProcessingPending,
		Width:       spec.width,
		Height:      spec.height,
		Camera:      spec.camera,
		Text:        spec.text,
	}
	if spec.gps {
		a.GPS = &damask.GeoPoint{Latitude: 46.2044, Longitude: 6.1432}
	}
	v := &damask.Version{
		Filename:    spec.filename,
		ContentType: spec.contentType,
		Size:        spec.size,
		Blob:        a.Blob,
		UserID:      u.ID,
	}
	must(t, "create asset "+spec.title, s.CreateAsset(t.Context(), a, v, spec.tags, 0))
	return a
}

// newest orders assets newest first: the default order without words.
func newest(as ...*damask.Asset) []*damask.Asset {
	out := slices.Clone(as)
	slices.SortFunc(out, func(a, b *damask.Asset) int {
		return -cmp.Or(a.CreatedAt.Compare(b.CreatedAt), cmp.Compare(a.ID, b.ID))
	})
	return out
}

// sortedIDs are the ids of the assets in increasing order, for comparing
// results whose order is not the point.
func sortedIDs(as []*damask.Asset) []int64 {
	out := ids(as)
	slices.Sort(out)
	return out
}

// facetsOf is what AssetFacets must answer for exactly these assets.
func facetsOf(as []*damask.Asset) damask.Facets {
	fc := damask.Facets{Total: len(as), Kinds: map[string]int{}}
	count := map[int64]*damask.TagCount{}
	for _, a := range as {
		fc.Kinds[search.KindOf(a.ContentType)]++
		for _, tg := range a.Tags {
			if count[tg.ID] == nil {
				count[tg.ID] = &damask.TagCount{Tag: tg}
			}
			count[tg.ID].Count++
		}
	}
	for _, tc := range count {
		fc.Tags = append(fc.Tags, *tc)
	}
	sortTagCounts(fc.Tags)
	return fc
}

func sortTagCounts(tcs []damask.TagCount) {
	slices.SortFunc(tcs, func(a, b damask.TagCount) int {
		return cmp.Or(-cmp.Compare(a.Count, b.Count), cmp.Compare(a.Tag.Name, b.Tag.Name))
	})
}

// facetView is the part of Facets the contract fixes: tag ids, names and
// counts in order, and the kinds that occur.
type facetView struct {
	Total       int
	Tags        []string // "id name count"
	Kinds       map[string]int
	Approximate bool
}

func viewFacets(fc damask.Facets) facetView {
	v := facetView{Total: fc.Total, Kinds: map[string]int{}, Approximate: fc.Approximate}
	for _, tc := range fc.Tags {
		v.Tags = append(v.Tags, fmt.Sprintf("%d %s %d", tc.Tag.ID, tc.Tag.Name, tc.Count))
	}
	for k, n := range fc.Kinds {
		if n != 0 { // a kind counted 0 times may be left out
			v.Kinds[k] = n
		}
	}
	return v
}

// catalogue is the account searched by testSearch, another account that
// shares its words, and what the tests need to name.
type catalogue struct {
	acct                                               *damask.Account
	ann, bob                                           *damask.User
	sunset, cafe, report, clip, song, logo, backup     *damask.Asset
	all                                                []*damask.Asset // the seven above, oldest first
	trashed                                            *damask.Asset
	other                                              *damask.Account
	otherHolder                                        *damask.User
	theirSunset, theirCafe                             *damask.Asset
	nature, sky, city, work, beach, music, theirNature int64 // tag ids
}

func newCatalogue(t *testing.T, s damask.Store) *catalogue {
	ctx := t.Context()
	var c catalogue
	c.acct, c.ann = newAccount(t, s, "acme")
	c.bob = newUser(t, s, c.acct.ID, "bob")
	c.other, c.otherHolder = newAccount(t, s, "globex")

	c.sunset = newSearchAsset(t, s, c.ann, searchSpec{title: "Sunset over the lake", description: "Evening light on calm water",
		filename: "IMG_2041.jpg", contentType: "image/jpeg", size: 2 << 20, width: 4000, height: 3000,
		camera: "Canon EOS R5", gps: true, tags: []string{"nature", "sky"}})
	c.cafe = newSearchAsset(t, s, c.bob, searchSpec{title: "Café de Flore", description: "Running into friends",
		filename: "cafe_paris.png", contentType: "image/png", size: 500 << 10, width: 1000, height: 1500,
		camera: "Nikon Z6", tags: []string{"city"}})
	c.report = newSearchAsset(t, s, c.ann, searchSpec{title: "Quarterly report", description: "Ärger about the numbers",
		filename: "report-q3.pdf", contentType: "application/pdf", size: 100 << 10,
		text: "the red car parked near the harbour; photos attached", tags: []string{"work"}})
	c.clip = newSearchAsset(t, s, c.bob, searchSpec{title: "Beach clip", description: "Waves run onto the shore",
		filename: "beach.MOV", contentType: "video/quicktime", size: 50 << 20, width: 1920, height: 1080,
		camera: "Canon PowerShot", gps: true, tags: []string{"nature", "beach"}})
	c.song = newSearchAsset(t, s, c.ann, searchSpec{title: "Evening song", filename: "song.mp3", contentType: "audio/mpeg",
		size: 4 << 20, text: "car red sky", tags: []string{"music"}})
	c.logo = newSearchAsset(t, s, c.bob, searchSpec{title: "Logo", description: "A photo of the logo",
		filename: "logo.png", contentType: "image/png", size: 1 << 10, width: 512, height: 512, tags: []string{"city"}})
	c.backup = newSearchAsset(t, s, c.ann, searchSpec{title: "Backup", filename: "backup.zip", contentType: "application/zip",
		size: 10 << 20, tags: []string{"work"}})
	c.all = []*damask.Asset{c.sunset, c.cafe, c.report, c.clip, c.song, c.logo, c.backup}

	// In the trash: matches much, found by nothing.
	c.trashed = newSearchAsset(t, s, c.ann, searchSpec{title: "Old sunset over the lake", description: "canon red car",
		filename: "IMG_2041.jpg", size: 3 << 20, width: 800, height: 600, camera: "Canon EOS R5", gps: true,
		tags: []string{"nature", "sky", "city", "work", "beach", "music"}})
	must(t, "TrashAsset", s.TrashAsset(ctx, c.acct.ID, c.trashed.ID, time.Now()))

	// Another account with the same words, tags and sizes.
	c.theirSunset = newSearchAsset(t, s, c.otherHolder, searchSpec{title: "Sunset over the lake", description: "Evening light on calm water",
		filename: "IMG_2041.jpg", size: 2 << 20, width: 4000, height: 3000, camera: "Canon EOS R5", gps: true,
		tags: []string{"nature", "sky"}})
	c.theirCafe = newSearchAsset(t, s, c.otherHolder, searchSpec{title: "Café", description: "red car photos",
		filename: "cafe_paris.png", contentType: "image/png", size: 1 << 10, width: 512, height: 512, tags: []string{"city"}})

	tagID := func(accountID int64, name string) int64 {
		tg, err := s.TagByName(ctx, accountID, name)
		must(t, "TagByName "+name, err)
		return tg.ID
	}
	c.nature, c.sky, c.city = tagID(c.acct.ID, "nature"), tagID(c.acct.ID, "sky"), tagID(c.acct.ID, "city")
	c.work, c.beach, c.music = tagID(c.acct.ID, "work"), tagID(c.acct.ID, "beach"), tagID(c.acct.ID, "music")
	c.theirNature = tagID(c.other.ID, "nature")
	return &c
}

// w is a word of any field; fw one of a field.
func w(v string) search.Word            { return search.Word{Value: v} }
func fw(f, v string) search.Word        { return search.Word{Field: f, Value: v} }
func prefix(v string) search.Word       { return search.Word{Value: v, Prefix: true} }
func phrase(ws ...string) search.Phrase { return search.Phrase{Words: ws} }
func size(op string, v int64) search.Compare {
	return search.Compare{Field: search.Size, Op: op, Value: v}
}

// searchCase is a filter and the assets it must choose, in any order.
type searchCase struct {
	name   string
	q      search.Expr
	tagIDs []int64
	want   []*damask.Asset
}

func testSearch(t *testing.T, s damask.Store) {
	c := newCatalogue(t, s)
	sunset, cafe, report, clip, song, logo, backup := c.sunset, c.cafe, c.report, c.clip, c.song, c.logo, c.backup
	all := c.all
	except := func(out ...*damask.Asset) []*damask.Asset {
		var in []*damask.Asset
		for _, a := range all {
			if !slices.Contains(out, a) {
				in = append(in, a)
			}
		}
		return in
	}
	as := func(as ...*damask.Asset) []*damask.Asset { return as }
	before := func(a *damask.Asset) search.Date { return search.Date{Before: true, At: a.CreatedAt} }
	after := func(a *damask.Asset) search.Date { return search.Date{At: a.CreatedAt} }

	cases := []searchCase{
		// Words.
		{"a word of the title", w("lake"), nil, as(sunset)},
		{"every word must match", search.And{w("sunset"), w("lake")}, nil, as(sunset)},
		{"words of different assets", search.And{w("sunset"), w("beach")}, nil, nil},
		{"a word of the camera", w("canon"), nil, as(sunset, clip)},
		{"a word of the extracted text", w("harbour"), nil, as(report)},
		{"a word of a tag name", w("nature"), nil, as(sunset, clip)},
		{"words of title and tag together", search.And{w("beach"), w("nature")}, nil, as(clip)},
		{"no such word", w("zebra"), nil, nil},
		{"part of a word is not a word", w("unse"), nil, nil},
		{"upper case", w("SUNSET"), nil, as(sunset)},
		{"without the accent", w("cafe"), nil, as(cafe)},
		{"with the accent", w("Café"), nil, as(cafe)},
		{"accented upper case", w("CAFÉ"), nil, as(cafe)},
		{"umlaut dropped", w("arger"), nil, as(report)},
		{"umlaut kept", w("ärger"), nil, as(report)},
		{"stemmed: running finds run", w("running"), nil, as(cafe, clip)},
		{"stemmed: run finds running", w("run"), nil, as(cafe, clip)},
		{"stemmed: photos finds photo", w("photos"), nil, as(report, logo)},
		{"stemmed: photo finds photos", w("photo"), nil, as(report, logo)},
		{"filename number", w("2041"), nil, as(sunset)},
		{"filename prefix word", w("img"), nil, as(sunset)},
		{"whole filename", w("IMG_2041.jpg"), nil, as(sunset)},
		{"filename split at a dash", w("q3"), nil, as(report)},

		// Phrases.
		{"a phrase", phrase("red", "car"), nil, as(report)},
		{"a phrase the other way round", phrase("car", "red"), nil, as(song)},
		{"both words but not as a phrase", search.And{w("red"), w("car")}, nil, as(report, song)},
		{"words not adjacent are no phrase", phrase("red", "parked"), nil, nil},
		{"a phrase, folded", phrase("CAFE", "DE", "flore"), nil, as(cafe)},
		{"a phrase of the camera", phrase("canon", "eos"), nil, as(sunset)},
		{"a phrase does not run from one tag into the next", phrase("nature", "sky"), nil, nil},

		// Prefixes.
		{"a prefix", prefix("sun"), nil, as(sunset)},
		{"a prefix in upper case", prefix("SUN"), nil, as(sunset)},
		{"a prefix of an accented word", prefix("caf"), nil, as(cafe)},
		{"a prefix of the camera", prefix("can"), nil, as(sunset, clip)},
		{"a prefix of one letter", prefix("q"), nil, as(report)},
		{"a prefix that is a whole word", prefix("logo"), nil, as(logo)},

		// Exclusion, OR and grouping.
		{"a word without another", search.And{w("nature"), search.Not{X: w("beach")}}, nil, as(sunset)},
		{"not a word, alone", search.Not{X: w("canon")}, nil, except(sunset, clip)},
		{"not a word, alone in an And", search.And{search.Not{X: w("canon")}}, nil, except(sunset, clip)},
		{"not two words", search.And{search.Not{X: w("canon")}, search.Not{X: w("car")}}, nil, as(cafe, logo, backup)},
		{"not a phrase", search.Not{X: phrase("red", "car")}, nil, except(report)},
		{"not not", search.Not{X: search.Not{X: w("sunset")}}, nil, as(sunset)},
		{"or", search.Or{w("lake"), w("harbour")}, nil, as(sunset, report)},
		{"or of a phrase and a prefix", search.Or{phrase("red", "car"), prefix("qua")}, nil, as(report)},
		{"grouped or, minus a word", search.And{search.Or{w("canon"), w("nikon")}, search.Not{X: w("beach")}}, nil, as(sunset, cafe)},
		{"or of groups", search.Or{search.And{w("red"), w("car")}, search.And{w("canon"), w("beach")}}, nil, as(report, song, clip)},
		{"not an or", search.Not{X: search.Or{w("canon"), w("nikon")}}, nil, as(report, song, logo, backup)},

		// Fields.
		{"title:", fw(search.Title, "evening"), nil, as(song)},
		{"description:", fw(search.Description, "evening"), nil, as(sunset)},
		{"title: of a word only in the description", fw(search.Title, "numbers"), nil, nil},
		{"filename:", fw(search.Filename, "2041"), nil, as(sunset)},
		{"filename: of a title word", fw(search.Filename, "quarterly"), nil, nil},
		{"filename: whole", fw(search.Filename, "cafe_paris.png"), nil, as(cafe)},
		{"description: stemmed", fw(search.Description, "photos"), nil, as(logo)},
		{"camera:", fw(search.Camera, "canon"), nil, as(sunset, clip)},
		{"camera: of a word elsewhere", fw(search.Camera, "sunset"), nil, nil},
		{"camera: phrase", search.Phrase{Field: search.Camera, Words: []string{"canon", "powershot"}}, nil, as(clip)},
		{"title: prefix", search.Word{Field: search.Title, Value: "eve", Prefix: true}, nil, as(song)},
		{"not title:", search.Not{X: fw(search.Title, "logo")}, nil, except(logo)},

		// Tags.
		{"tag:", search.Tag{Name: "nature", ID: c.nature}, nil, as(sunset, clip)},
		{"tag: of one asset", search.Tag{Name: "sky", ID: c.sky}, nil, as(sunset)},
		{"tag: unknown", search.Tag{Name: "nope"}, nil, nil},
		{"not tag:", search.Not{X: search.Tag{Name: "nature", ID: c.nature}}, nil, except(sunset, clip)},
		{"not tag: unknown", search.Not{X: search.Tag{Name: "nope"}}, nil, all},
		{"tag: or tag:", search.Or{search.Tag{Name: "music", ID: c.music}, search.Tag{Name: "beach", ID: c.beach}}, nil, as(clip, song)},
		{"tag: and a word", search.And{search.Tag{Name: "city", ID: c.city}, w("photo")}, nil, as(logo)},

		// Kinds and extensions.
		{"type:image", search.Kind{Kind: search.KindImage}, nil, as(sunset, cafe, logo)},
		{"type:video", search.Kind{Kind: search.KindVideo}, nil, as(clip)},
		{"type:audio", search.Kind{Kind: search.KindAudio}, nil, as(song)},
		{"type:document", search.Kind{Kind: search.KindDocument}, nil, as(report)},
		{"type:other", search.Kind{Kind: search.KindOther}, nil, as(backup)},
		{"not type:image", search.Not{X: search.Kind{Kind: search.KindImage}}, nil, as(report, clip, song, backup)},
		{"ext:", search.Ext{Ext: "png"}, nil, as(cafe, logo)},
		{"ext: of an upper-case extension", search.Ext{Ext: "mov"}, nil, as(clip)},
		{"ext: none has", search.Ext{Ext: "gif"}, nil, nil},

		// Uploaders.
		{"by:", search.By{Login: "acme-holder", UserID: c.ann.ID}, nil, as(sunset, report, song, backup)},
		{"by: another", search.By{Login: "bob", UserID: c.bob.ID}, nil, as(cafe, clip, logo)},
		{"by: unknown", search.By{Login: "nobody"}, nil, nil},
		{"not by:", search.Not{X: search.By{Login: "bob", UserID: c.bob.ID}}, nil, as(sunset, report, song, backup)},

		// Dates: when each asset was added is the store's to say.
		{"before:", before(clip), nil, as(sunset, cafe, report)},
		{"after:", after(clip), nil, as(clip, song, logo, backup)},
		{"before: the first", before(sunset), nil, nil},
		{"before: long ago", search.Date{Before: true, At: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, nil},
		{"after: long ago", search.Date{At: time.Date(2000, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, all},
		{"between", search.And{after(cafe), before(song)}, nil, as(cafe, report, clip)},
		// Years a parser may hand over, far outside what a 64-bit count of
		// nanoseconds holds.
		{"before: the year 1500", search.Date{Before: true, At: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, nil},
		{"after: the year 1500", search.Date{At: time.Date(1500, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, all},
		{"before: the year 9999", search.Date{Before: true, At: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, all},
		{"after: the year 9999", search.Date{At: time.Date(9999, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, nil},
		{"before: the year 0", search.Date{Before: true, At: time.Date(0, 1, 1, 0, 0, 0, 0, time.UTC)}, nil, nil},
		{"a word and before:", search.And{w("canon"), before(clip)}, nil, as(sunset)},

		// Sizes and dimensions.
		{"size>", size(search.Greater, 1<<20), nil, as(sunset, clip, song, backup)},
		{"size<", size(search.Less, 100<<10), nil, as(logo)},
		{"size<=", size(search.LessEqual, 100<<10), nil, as(report, logo)},
		{"size>=", size(search.GreaterEqual, 4<<20), nil, as(clip, song, backup)},
		{"size> exactly one", size(search.Greater, 4<<20), nil, as(clip, backup)},
		{"size range", search.And{size(search.Greater, 1<<20), size(search.Less, 10<<20)}, nil, as(sunset, song)},
		{"width>", search.Compare{Field: search.Width, Op: search.Greater, Value: 1000}, nil, as(sunset, clip)},
		{"width>=", search.Compare{Field: search.Width, Op: search.GreaterEqual, Value: 1000}, nil, as(sunset, cafe, clip)},
		{"height<", search.Compare{Field: search.Height, Op: search.Less, Value: 1000}, nil, as(logo)},
		{"height<=", search.Compare{Field: search.Height, Op: search.LessEqual, Value: 1080}, nil, as(clip, logo)},
		{"height> 0 leaves unknown heights out", search.Compare{Field: search.Height, Op: search.Greater, Value: 0}, nil, as(sunset, cafe, clip, logo)},
		{"orientation:landscape", search.Orientation{Value: search.Landscape}, nil, as(sunset, clip)},
		{"orientation:portrait", search.Orientation{Value: search.Portrait}, nil, as(cafe)},
		{"orientation:square", search.Orientation{Value: search.Square}, nil, as(logo)},
		{"has:gps", search.Has{What: "gps"}, nil, as(sunset, clip)},

		// What the index answers mixed with what it cannot.
		{"a word or a size", search.Or{w("harbour"), size(search.Less, 2000)}, nil, as(report, logo)},
		{"a size or a word", search.Or{size(search.Less, 2000), w("harbour")}, nil, as(report, logo)},
		{"a word and a size", search.And{w("canon"), size(search.Greater, 10<<20)}, nil, as(clip)},
		{"not a size", search.Not{X: size(search.Greater, 1<<20)}, nil, as(cafe, report, logo)},
		{"not a width: unknown widths are not wider", search.Not{X: search.Compare{Field: search.Width, Op: search.Greater, Value: 1000}}, nil, except(sunset, clip)},
		{"not an orientation", search.Not{X: search.Orientation{Value: search.Landscape}}, nil, except(sunset, clip)},
		{"not a word and has:gps", search.And{search.Not{X: w("beach")}, search.Has{What: "gps"}}, nil, as(sunset)},
		{"tag: or type:", search.Or{search.Tag{Name: "nature", ID: c.nature}, search.Kind{Kind: search.KindAudio}}, nil, as(sunset, clip, song)},
		{"words or orientation", search.Or{search.And{w("red"), w("car")}, search.Orientation{Value: search.Square}}, nil, as(report, song, logo)},
		{"not (a word or a size)", search.Not{X: search.Or{w("canon"), size(search.Less, 2000)}}, nil, as(cafe, report, song, backup)},
		{"not a word, not a kind", search.And{search.Not{X: w("car")}, search.Not{X: search.Kind{Kind: search.KindImage}}}, nil, as(clip, backup)},
		{"a word or not a size", search.Or{w("lake"), search.Not{X: search.Has{What: "gps"}}}, nil, except(clip)},
		{"not a word or a word", search.Or{search.Not{X: w("sunset")}, w("sunset")}, nil, all},
		{"a prefix or a date", search.Or{prefix("qua"), before(cafe)}, nil, as(sunset, report)},
		{"a phrase and not a size", search.And{phrase("red", "car"), search.Not{X: size(search.Less, 1000)}}, nil, as(report)},
		{"or inside not inside or", search.Or{w("logo"), search.Not{X: search.Or{w("canon"), search.Has{What: "gps"}, w("car")}}}, nil, as(cafe, logo, backup)},
		{"punctuation only is no condition", search.And{w("%"), w("lake")}, nil, as(sunset)},

		// The tags parameter with a query.
		{"TagIDs", nil, []int64{c.nature}, as(sunset, clip)},
		{"TagIDs, all of them", nil, []int64{c.nature, c.beach}, as(clip)},
		{"TagIDs and a word", w("canon"), []int64{c.nature}, as(sunset, clip)},
		{"TagIDs and a word of one", w("shore"), []int64{c.nature}, as(clip)},
		{"TagIDs and a size", size(search.Greater, 1<<20), []int64{c.work}, as(backup)},
		{"TagIDs and not a word", search.Not{X: w("beach")}, []int64{c.nature}, as(sunset)},
		{"TagIDs and an or with a size", search.Or{w("harbour"), size(search.Less, 2000)}, []int64{c.city}, as(logo)},

		// Another account's assets, tags and users never answer.
		{"their tag", search.Tag{Name: "nature", ID: c.theirNature}, nil, nil},
		{"their tag in TagIDs", nil, []int64{c.theirNature}, nil},
		{"their uploader", search.By{Login: "globex-holder", UserID: c.otherHolder.ID}, nil, nil},
		{"not their tag", search.Not{X: search.Tag{Name: "nature", ID: c.theirNature}}, nil, all},
		{"their word or a size", search.Or{w("sunset"), size(search.Less, 2000)}, nil, as(sunset, logo)},
		{"not their uploader or anything", search.Or{search.Not{X: search.By{UserID: c.otherHolder.ID}}, w("zebra")}, nil, all},

		{"no query", nil, nil, all},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			checkSearch(t, s, c.acct.ID, tc)
		})
	}

	// Seen from the other account, the first never shows.
	for _, tc := range []searchCase{
		{"their view: a shared word", w("sunset"), nil, as(c.theirSunset)},
		{"their view: a word only theirs has", w("photos"), nil, as(c.theirCafe)},
		{"their view: not a word", search.Not{X: w("zebra")}, nil, as(c.theirSunset, c.theirCafe)},
		{"their view: a size", size(search.Less, 2000), nil, as(c.theirCafe)},
		{"their view: our tag", search.Tag{ID: c.nature}, nil, nil},
		{"their view: our uploader", search.By{UserID: c.bob.ID}, nil, nil},
	} {
		t.Run(tc.name, func(t *testing.T) {
			checkSearch(t, s, c.other.ID, tc)
		})
	}

	t.Run("sorts", func(t *testing.T) { testSearchSorts(t, s, c) })
	t.Run("facets", func(t *testing.T) { testSearchFacets(t, s, c) })
}

// checkSearch runs a case sorted by relevance (the default with words),
// oldest and newest first, and asks for its facets.
func checkSearch(t *testing.T, s damask.Store, accountID int64, tc searchCase) {
	t.Helper()
	ctx := t.Context()
	want := newest(tc.want...)
	for _, sort := range []string{"", "-created_on", "created_on"} {
		f := damask.AssetFilter{AccountID: accountID, Query: tc.q, TagIDs: tc.tagIDs, Sort: sort,
			Page: damask.Page{Number: 1, Size: 100}}
		got, total, err := s.Assets(ctx, f)
		if err != nil {
			t.Errorf("Assets sorted by %q: %v", sort, err)
			continue
		}
		switch sort {
		case "":
			diff(t, "assets by relevance (in any order)", sortedIDs(want), sortedIDs(got))
		case "-created_on":
			diff(t, "assets newest first", ids(want), ids(got))
		case "created_on":
			oldest := slices.Clone(want)
			slices.Reverse(oldest)
			diff(t, "assets oldest first", ids(oldest), ids(got))
		}
		if total != len(want) {
			t.Errorf("sorted by %q: total %d, want %d", sort, total, len(want))
		}
	}
	fc, err := s.AssetFacets(ctx, damask.AssetFilter{AccountID: accountID, Query: tc.q, TagIDs: tc.tagIDs})
	if err != nil {
		t.Errorf("AssetFacets: %v", err)
		return
	}
	diff(t, "facets", viewFacets(facetsOf(want)), viewFacets(fc))
}

func testSearchSorts(t *testing.T, s damask.Store, c *catalogue) {
	sunset, cafe, report, clip, song, logo, backup := c.sunset, c.cafe, c.report, c.clip, c.song, c.logo, c.backup
	some := search.Or{w("canon"), w("nikon"), w("red")} // sunset, cafe, report, clip, song
	bigOrSome := search.Or{size(search.Greater, 5<<20), w("nikon")}
	tests := []struct {
		name string
		q    search.Expr
		sort string
		want []*damask.Asset
	}{
		{"relevance by default with words: a title hit above a description hit", w("evening"), "", []*damask.Asset{song, sunset}},
		{"relevance", w("evening"), "relevance", []*damask.Asset{song, sunset}},
		{"-relevance", w("evening"), "-relevance", []*damask.Asset{sunset, song}},
		{"relevance of a field", search.Or{fw(search.Title, "evening"), fw(search.Description, "evening")}, "relevance", []*damask.Asset{song, sunset}},
		{"newest first by default without words", search.Kind{Kind: search.KindImage}, "", []*damask.Asset{logo, cafe, sunset}},
		{"relevance without words is newest first", search.Kind{Kind: search.KindImage}, "relevance", []*damask.Asset{logo, cafe, sunset}},
		{"created_on", some, "created_on", []*damask.Asset{sunset, cafe, report, clip, song}},
		{"-created_on", some, "-created_on", []*damask.Asset{song, clip, report, cafe, sunset}},
		{"updated_on", some, "updated_on", []*damask.Asset{sunset, cafe, report, clip, song}},
		{"-updated_on", some, "-updated_on", []*damask.Asset{song, clip, report, cafe, sunset}},
		{"title", some, "title", []*damask.Asset{clip, cafe, song, report, sunset}},
		{"-title", some, "-title", []*damask.Asset{sunset, report, song, cafe, clip}},
		{"size", some, "size", []*damask.Asset{report, cafe, sunset, song, clip}},
		{"-size", some, "-size", []*damask.Asset{clip, song, sunset, cafe, report}},
		{"size of a condition", size(search.Greater, 1<<20), "size", []*damask.Asset{sunset, song, backup, clip}},
		{"title of a word or a condition", bigOrSome, "title", []*damask.Asset{backup, clip, cafe}},
		{"-size of a word or a condition", bigOrSome, "-size", []*damask.Asset{clip, backup, cafe}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := damask.AssetFilter{AccountID: c.acct.ID, Query: tt.q, Sort: tt.sort, Page: damask.Page{Number: 1, Size: 100}}
			got, total, err := s.Assets(t.Context(), f)
			if err != nil {
				t.Fatalf("Assets: %v", err)
			}
			diff(t, "asset ids", ids(tt.want), ids(got))
			if total != len(tt.want) {
				t.Errorf("total %d, want %d", total, len(tt.want))
			}
		})
	}
}

func testSearchFacets(t *testing.T, s damask.Store, c *catalogue) {
	tag := func(id int64, name string, n int) string { return fmt.Sprintf("%d %s %d", id, name, n) }
	tests := []struct {
		name    string
		account int64
		f       damask.AssetFilter
		want    facetView
	}{
		{"everything", c.acct.ID, damask.AssetFilter{}, facetView{
			Total: 7,
			Kinds: map[string]int{search.KindImage: 3, search.KindVideo: 1, search.KindAudio: 1, search.KindDocument: 1, search.KindOther: 1},
			// By count, then by name; the trash and the other account count nothing.
			Tags: []string{tag(c.city, "city", 2), tag(c.nature, "nature", 2), tag(c.work, "work", 2),
				tag(c.beach, "beach", 1), tag(c.music, "music", 1), tag(c.sky, "sky", 1)},
		}},
		{"a word", c.acct.ID, damask.AssetFilter{Query: w("canon")}, facetView{
			Total: 2,
			Kinds: map[string]int{search.KindImage: 1, search.KindVideo: 1},
			Tags:  []string{tag(c.nature, "nature", 2), tag(c.beach, "beach", 1), tag(c.sky, "sky", 1)},
		}},
		{"a condition", c.acct.ID, damask.AssetFilter{Query: size(search.Greater, 1<<20)}, facetView{
			Total: 4,
			Kinds: map[string]int{search.KindImage: 1, search.KindVideo: 1, search.KindAudio: 1, search.KindOther: 1},
			Tags: []string{tag(c.nature, "nature", 2), tag(c.beach, "beach", 1), tag(c.music, "music", 1),
				tag(c.sky, "sky", 1), tag(c.work, "work", 1)},
		}},
		{"a word or a condition", c.acct.ID, damask.AssetFilter{Query: search.Or{w("harbour"), size(search.Less, 2000)}}, facetView{
			Total: 2,
			Kinds: map[string]int{search.KindImage: 1, search.KindDocument: 1},
			Tags:  []string{tag(c.city, "city", 1), tag(c.work, "work", 1)},
		}},
		{"TagIDs", c.acct.ID, damask.AssetFilter{TagIDs: []int64{c.work}}, facetView{
			Total: 2,
			Kinds: map[string]int{search.KindDocument: 1, search.KindOther: 1},
			Tags:  []string{tag(c.work, "work", 2)},
		}},
		{"sort, page and cursor do not apply", c.acct.ID, damask.AssetFilter{Query: w("canon"), Sort: "-size",
			Page: damask.Page{Number: 3, Size: 1}, After: &damask.Cursor{ID: c.sunset.ID, Size: c.sunset.Size}}, facetView{
			Total: 2,
			Kinds: map[string]int{search.KindImage: 1, search.KindVideo: 1},
			Tags:  []string{tag(c.nature, "nature", 2), tag(c.beach, "beach", 1), tag(c.sky, "sky", 1)},
		}},
		{"nothing", c.acct.ID, damask.AssetFilter{Query: w("zebra")}, facetView{Kinds: map[string]int{}}},
		{"the other account", c.other.ID, damask.AssetFilter{}, facetView{
			Total: 2,
			Kinds: map[string]int{search.KindImage: 2},
			Tags: []string{tag(c.theirCafe.Tags[0].ID, "city", 1), tag(c.theirSunset.Tags[0].ID, "nature", 1),
				tag(c.theirSunset.Tags[1].ID, "sky", 1)},
		}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.AccountID = tt.account
			fc, err := s.AssetFacets(t.Context(), f)
			if err != nil {
				t.Fatalf("AssetFacets: %v", err)
			}
			diff(t, "facets", tt.want, viewFacets(fc))
		})
	}
}

// testSearchFacetTags checks the cut of a facet with more tags than it
// answers: the first FacetTags by count, then by name.
func testSearchFacetTags(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	n := damask.FacetTags + 5
	var names []string
	// Made in reverse order, so that ids do not follow names.
	for i := n - 1; i >= 0; i-- {
		tg := &damask.Tag{AccountID: acct.ID, Name: fmt.Sprintf("tag%02d", i)}
		must(t, "CreateTag", s.CreateTag(ctx, tg))
		names = append(names, tg.Name)
	}
	many := newSearchAsset(t, s, h, searchSpec{title: "Many", filename: "many.jpg", tags: names})
	few := newSearchAsset(t, s, h, searchSpec{title: "Few", filename: "few.jpg", tags: []string{"tag50", "tag51", "tag52"}})
	fc, err := s.AssetFacets(ctx, damask.AssetFilter{AccountID: acct.ID})
	must(t, "AssetFacets", err)
	want := facetsOf([]*damask.Asset{many, few})
	want.Tags = want.Tags[:damask.FacetTags]
	diff(t, "facets", viewFacets(want), viewFacets(fc))
}

// testSearchIndex checks that the index follows every write in the call
// that makes it.
func testSearchIndex(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	find := func(t *testing.T, q search.Expr, want ...*damask.Asset) {
		t.Helper()
		got, total, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: q, Sort: "-created_on",
			Page: damask.Page{Number: 1, Size: 100}})
		if err != nil {
			t.Fatalf("Assets(%#v): %v", q, err)
		}
		diff(t, fmt.Sprintf("assets found by %#v", q), ids(newest(want...)), ids(got))
		if total != len(want) {
			t.Errorf("found by %#v: total %d, want %d", q, total, len(want))
		}
		// Every way through the store agrees: a match by relevance, and
		// the facets.
		got, _, err = s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: q, Sort: "relevance",
			Page: damask.Page{Number: 1, Size: 100}})
		if err != nil {
			t.Fatalf("Assets(%#v) by relevance: %v", q, err)
		}
		diff(t, fmt.Sprintf("assets found by %#v, by relevance", q), sortedIDs(want), sortedIDs(got))
		fc, err := s.AssetFacets(ctx, damask.AssetFilter{AccountID: acct.ID, Query: q})
		if err != nil {
			t.Fatalf("AssetFacets(%#v): %v", q, err)
		}
		if fc.Total != len(want) {
			t.Errorf("facets of %#v: total %d, want %d", q, fc.Total, len(want))
		}
	}
	tagID := func(name string) int64 {
		tg, err := s.TagByName(ctx, acct.ID, name)
		must(t, "TagByName "+name, err)
		return tg.ID
	}

	x := newSearchAsset(t, s, h, searchSpec{title: "Alpha stone", filename: "first_take.jpg", tags: []string{"granite"}})
	// y keeps the tag granite in use and must never change.
	y := newSearchAsset(t, s, h, searchSpec{title: "Bystander", filename: "other.jpg", tags: []string{"granite"}})
	granite := tagID("granite")
	t.Run("created", func(t *testing.T) {
		find(t, w("alpha"), x)
		find(t, search.Tag{ID: granite}, x, y)
	})

	t.Run("title changed", func(t *testing.T) {
		x.Title = "Omega stone"
		must(t, "UpdateAsset", s.UpdateAsset(ctx, x, nil))
		find(t, w("alpha"))
		find(t, w("omega"), x)
		find(t, fw(search.Title, "omega"), x)
		find(t, w("granite"), x, y) // tags untouched
	})

	var marble int64
	t.Run("tags changed", func(t *testing.T) {
		must(t, "UpdateAsset", s.UpdateAsset(ctx, x, []string{"marble"}))
		marble = tagID("marble")
		find(t, w("granite"), y)
		find(t, search.Tag{ID: granite}, y)
		find(t, w("marble"), x)
		find(t, search.Tag{ID: marble}, x)
	})

	t.Run("tag renamed", func(t *testing.T) {
		must(t, "UpdateTag", s.UpdateTag(ctx, &damask.Tag{ID: marble, AccountID: acct.ID, Name: "Basalt rock"}))
		find(t, w("marble"))
		find(t, w("basalt"), x)
		find(t, phrase("basalt", "rock"), x)
		find(t, search.Tag{ID: marble}, x)
	})

	t.Run("tag deleted", func(t *testing.T) {
		must(t, "DeleteTag", s.DeleteTag(ctx, acct.ID, marble))
		find(t, w("basalt"))
		find(t, search.Tag{ID: marble})
		find(t, w("omega"), x)
		find(t, w("granite"), y)
	})

	t.Run("new version", func(t *testing.T) {
		v := &damask.Version{Filename: "second_take.pdf", ContentType: "application/pdf", Size: 5 << 20,
			Blob: ref("second take"), UserID: h.ID}
		must(t, "AddVersion", s.AddVersion(ctx, x, v, 0))
		find(t, fw(search.Filename, "second"), x)
		find(t, w("take"), x)
		find(t, fw(search.Filename, "first"))
		find(t, w("first"))
		find(t, search.Ext{Ext: "pdf"}, x)
		find(t, search.Ext{Ext: "jpg"}, y)
		find(t, search.Kind{Kind: search.KindDocument}, x)
		find(t, search.Kind{Kind: search.KindImage}, y)
		find(t, size(search.Greater, 4<<20), x)
		find(t, w("omega"), x)
	})

	t.Run("trashed", func(t *testing.T) {
		must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, x.ID, time.Now()))
		find(t, w("omega"))
		find(t, search.Kind{Kind: search.KindDocument})
		find(t, size(search.Greater, 4<<20))
		find(t, search.Not{X: w("zebra")}, y)
		find(t, search.Or{w("omega"), size(search.Greater, 0)}, y)
		find(t, nil, y)
	})

	t.Run("restored", func(t *testing.T) {
		must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, x.ID))
		find(t, w("omega"), x)
		find(t, fw(search.Filename, "second"), x)
		find(t, search.Kind{Kind: search.KindDocument}, x)
		find(t, search.Not{X: w("zebra")}, x, y)
		find(t, nil, x, y)
	})

	z := newSearchAsset(t, s, h, searchSpec{title: "Zeta", filename: "zeta.jpg", tags: []string{"pebble"}})
	pebble := tagID("pebble")
	t.Run("tag renamed while in the trash", func(t *testing.T) {
		must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, z.ID, time.Now()))
		must(t, "UpdateTag", s.UpdateTag(ctx, &damask.Tag{ID: pebble, AccountID: acct.ID, Name: "cobble"}))
		find(t, w("cobble"))
		find(t, search.Tag{ID: pebble})
		must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, z.ID))
		find(t, w("cobble"), z)
		find(t, w("pebble"))
		find(t, search.Tag{ID: pebble}, z)
	})

	// Text that looks like whatever a store keeps beside the words: U+E000
	// and friends are private-use characters, which some PDF fonts give
	// their text, and markup-like prefixes.
	t.Run("text never matches a filter", func(t *testing.T) {
		var odd []string
		for _, m := range []string{"\uE000", "\uE000 ", "\uF8FF", "_", "$", "#", "@", "t", "u", "k", "e"} {
			odd = append(odd, m+"kimage", m+"kdocument", m+"eimage", m+"t"+fmt.Sprint(granite), m+"u"+fmt.Sprint(h.ID),
				m+"tag"+fmt.Sprint(granite), m+fmt.Sprint(granite))
		}
		spoof := newSearchAsset(t, s, h, searchSpec{title: strings.Join(odd, " "), description: strings.Join(odd, ","),
			filename: "spoof.mp3", contentType: "audio/mpeg", camera: strings.Join(odd, ";"), text: strings.Join(odd, "\n"),
			tags: odd[:5]})
		find(t, search.Kind{Kind: search.KindImage}, y, z)
		find(t, search.Kind{Kind: search.KindDocument}, x)
		find(t, search.Ext{Ext: "image"})
		find(t, search.Tag{ID: granite}, y)
		find(t, search.By{UserID: h.ID}, x, y, z, spoof)
		find(t, search.Kind{Kind: search.KindAudio}, spoof)
		// Typed as words, they are words.
		find(t, w("\uE000kimage"), spoof)
		find(t, w("\uE000t"+fmt.Sprint(granite)), spoof)
		find(t, phrase("\uE000kimage", "\uE000kdocument"), spoof)
		must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, spoof.ID, time.Now()))
	})

	t.Run("purged", func(t *testing.T) {
		must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, z.ID, time.Now()))
		must(t, "PurgeAsset", s.PurgeAsset(ctx, acct.ID, z.ID))
		find(t, w("zeta"))
		find(t, search.Tag{ID: pebble})
		find(t, nil, x, y)
	})
}

// testSearchPaging walks lists with cursors and checks that they give the
// pages that page numbers give, in every order.
func testSearchPaging(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	// Titles, sizes and scores that tie, so that the order needs its
	// tie-breaker.
	specs := []searchSpec{
		{title: "Granite", description: "stone stone stone", size: 300, tags: []string{"rock"}},
		{title: "Basalt", description: "a stone", size: 100},
		{title: "Granite", text: "stone", size: 300, tags: []string{"rock"}},
		{title: "Marble stone", size: 200},
		{title: "Basalt", description: "stone wall", size: 100, tags: []string{"rock"}},
		{title: "Slate", description: "no match here", size: 200},
		{title: "Granite stone", description: "stone", size: 400, tags: []string{"rock"}},
		{title: "Chalk", description: "stone", size: 100},
		{title: "Flint", description: "stone", size: 300},
	}
	var as []*damask.Asset
	for i, spec := range specs {
		spec.filename = fmt.Sprintf("file%d.jpg", i)
		as = append(as, newSearchAsset(t, s, h, spec))
	}
	// Touched out of order, so that updated_on is not created_on.
	for _, i := range []int{4, 1, 7} {
		time.Sleep(2 * time.Millisecond)
		must(t, "UpdateAsset", s.UpdateAsset(ctx, as[i], nil))
	}
	rock, err := s.TagByName(ctx, acct.ID, "rock")
	must(t, "TagByName", err)

	filters := []struct {
		name   string
		q      search.Expr
		tagIDs []int64
		n      int // how many assets match
	}{
		{"everything", nil, nil, 9},
		{"a word", w("stone"), nil, 8},
		{"a word and a size", search.And{w("stone"), size(search.GreaterEqual, 200)}, nil, 5},
		{"a word or a size", search.Or{w("stone"), size(search.Greater, 250)}, nil, 8},
		{"not a word", search.Not{X: w("granite")}, nil, 6},
		{"a tag", nil, []int64{rock.ID}, 4},
		{"a word and a tag", w("stone"), []int64{rock.ID}, 4},
	}
	sorts := []string{"", "relevance", "-relevance", "created_on", "-created_on", "updated_on", "-updated_on",
		"title", "-title", "size", "-size"}
	for _, fl := range filters {
		for _, sort := range sorts {
			for _, per := range []int{2, 3} {
				t.Run(fmt.Sprintf("%s/sort=%s/per=%d", fl.name, sort, per), func(t *testing.T) {
					base := damask.AssetFilter{AccountID: acct.ID, Query: fl.q, TagIDs: fl.tagIDs, Sort: sort}
					f := base
					f.Page = damask.Page{Number: 1, Size: 100}
					full, total, err := s.Assets(ctx, f)
					if err != nil {
						t.Fatalf("Assets: %v", err)
					}
					if len(full) != fl.n || total != fl.n {
						t.Fatalf("%d assets, total %d; want %d", len(full), total, fl.n)
					}
					checkOrder(t, sort, fl.q != nil, full)

					var byNumber []int64
					for n := 1; n <= 10; n++ {
						f := base
						f.Page = damask.Page{Number: n, Size: per}
						page, total, err := s.Assets(ctx, f)
						if err != nil {
							t.Fatalf("page %d: %v", n, err)
						}
						if total != fl.n {
							t.Errorf("page %d: total %d, want %d", n, total, fl.n)
						}
						if len(page) == 0 {
							break
						}
						byNumber = append(byNumber, ids(page)...)
					}
					diff(t, "pages by number", ids(full), byNumber)

					var byCursor []int64
					var after *damask.Cursor
					for range 10 {
						f := base
						// The page number is ignored once there is a cursor.
						f.Page, f.After = damask.Page{Number: 4, Size: per}, after
						if after == nil {
							f.Page.Number = 1
						}
						page, total, err := s.Assets(ctx, f)
						if err != nil {
							t.Fatalf("page after %+v: %v", after, err)
						}
						if total != fl.n {
							t.Errorf("page after %+v: total %d, want %d", after, total, fl.n)
						}
						if len(page) == 0 {
							break
						}
						byCursor = append(byCursor, ids(page)...)
						after = cursorAfter(page[len(page)-1], sort, len(byCursor))
					}
					diff(t, "pages by cursor", ids(full), byCursor)
				})
			}
		}
	}
}

// cursorAfter is the cursor of a page that ends with a, offset assets into
// the list, as the service makes it.
func cursorAfter(a *damask.Asset, sort string, offset int) *damask.Cursor {
	c := &damask.Cursor{ID: a.ID, Offset: offset}
	switch strings.TrimPrefix(sort, "-") {
	case "title":
		c.Title = a.Title
	case "size":
		c.Size = a.Size
	case "updated_on":
		c.Time = a.UpdatedAt
	}
	return c
}

// checkOrder fails unless the list is in the sort's order, ties broken by
// id. An order by relevance is the store's to decide.
func checkOrder(t *testing.T, sort string, words bool, as []*damask.Asset) {
	t.Helper()
	key := strings.TrimPrefix(sort, "-")
	desc := strings.HasPrefix(sort, "-")
	switch {
	case key == "relevance" && words, key == "" && words:
		return
	case key == "relevance", key == "":
		key, desc = "created_on", true
	}
	order := func(a, b *damask.Asset) int {
		var c int
		switch key {
		case "created_on":
			c = a.CreatedAt.Compare(b.CreatedAt)
		case "updated_on":
			c = a.UpdatedAt.Compare(b.UpdatedAt)
		case "title":
			c = strings.Compare(strings.ToLower(a.Title), strings.ToLower(b.Title))
		case "size":
			c = cmp.Compare(a.Size, b.Size)
		}
		c = cmp.Or(c, cmp.Compare(a.ID, b.ID))
		if desc {
			c = -c
		}
		return c
	}
	if !slices.IsSortedFunc(as, order) {
		t.Errorf("not sorted by %q: %v", sort, describe(as))
	}
}

func describe(as []*damask.Asset) []string {
	out := make([]string, len(as))
	for i, a := range as {
		out[i] = fmt.Sprintf("%d %q %d %s", a.ID, a.Title, a.Size, a.UpdatedAt.Format(time.RFC3339Nano))
	}
	return out
}
