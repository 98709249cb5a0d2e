package storetest

import (
	"fmt"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/search"
)

func testCreateAsset(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	sea := &damask.Tag{AccountID: acct.ID, Name: "Sea"}
	must(t, "CreateTag", s.CreateTag(ctx, sea))

	a := &damask.Asset{
		AccountID:    acct.ID,
		Title:        "Sunset",
		Description:  "over the lake",
		Filename:     "sunset.jpg",
		ContentType:  "image/jpeg",
		Size:         1234,
		Blob:         ref("sunset"),
		UserID:       h.ID,
		PublicToken:  "0123456789abcdef",
		PublicLinkBy: h.ID,
		Processing:   damask.ProcessingPending,
	}
	v := &damask.Version{
		Filename:    a.Filename,
		ContentType: a.ContentType,
		Size:        a.Size,
		Blob:        a.Blob,
		Comment:     "original",
		UserID:      h.ID,
	}
	// A name the account has is reused whatever its case; a new one
	// becomes a tag; a name given twice is one tag.
	before := time.Now()
	must(t, "CreateAsset", s.CreateAsset(ctx, a, v, []string{"sky", "SEA", "Sky"}, 0))
	after := time.Now()
	if a.ID == 0 || v.ID == 0 {
		t.Fatalf("CreateAsset set asset id %d, version id %d; want both set", a.ID, v.ID)
	}
	if a.Version != 1 || v.Number != 1 || v.AssetID != a.ID {
		t.Errorf("CreateAsset set Version %d, Number %d, AssetID %d; want 1, 1, %d", a.Version, v.Number, v.AssetID, a.ID)
	}
	checkSet(t, "asset CreatedAt", a.CreatedAt, before, after)
	checkSet(t, "asset UpdatedAt", a.UpdatedAt, before, after)
	checkSet(t, "version CreatedAt", v.CreatedAt, before, after)
	if !a.DeletedAt.IsZero() {
		t.Errorf("new asset has DeletedAt %v", a.DeletedAt)
	}
	if got := tagNames(a); len(got) != 2 || !strings.EqualFold(got[0], "sea") || !strings.EqualFold(got[1], "sky") {
		t.Errorf("asset tags %q, want sea and sky", got)
	}
	for _, tg := range a.Tags {
		if tg.AccountID != acct.ID || tg.ID == 0 {
			t.Errorf("asset tag %+v: want an id in account %d", tg, acct.ID)
		}
		if strings.EqualFold(tg.Name, "sea") && (tg.ID != sea.ID || tg.Name != "Sea") {
			t.Errorf("asset tag %+v, want the existing tag %+v", tg, sea)
		}
	}
	_, total, err := s.Tags(ctx, acct.ID, damask.Page{Number: 1, Size: 10})
	must(t, "Tags", err)
	if total != 2 {
		t.Errorf("Tags: total %d, want 2 (sea, sky)", total)
	}

	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	diff(t, "Asset", a, got)
	vs, err := s.Versions(ctx, acct.ID, a.ID)
	must(t, "Versions", err)
	diff(t, "Versions", []*damask.Version{v}, vs)
	gotV, err := s.Version(ctx, acct.ID, a.ID, 1)
	must(t, "Version", err)
	diff(t, "Version 1", v, gotV)
	_, err = s.Version(ctx, acct.ID, a.ID, 2)
	wantCode(t, "Version 2 of an asset with one", err, damask.ENOTFOUND, "")
	_, err = s.Asset(ctx, acct.ID, a.ID+1000)
	wantCode(t, "Asset of a missing id", err, damask.ENOTFOUND, "")

	// Without tags, and a second asset gets a greater id.
	plain := newAsset(t, s, h, assetSpec{title: "plain"})
	if plain.ID <= a.ID {
		t.Errorf("second asset has id %d, first %d; want ids in creation order", plain.ID, a.ID)
	}
	if len(plain.Tags) != 0 {
		t.Errorf("asset without tags has %v", plain.Tags)
	}
}

func testCreateAssetFromUpload(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")

	up := newUpload(t, s, h, "photo.png", 99, time.Now().Add(damask.UploadLifetime))
	fromUpload := func() (*damask.Asset, *damask.Version) {
		a := &damask.Asset{AccountID: acct.ID, Title: "photo", Filename: up.Filename, ContentType: up.ContentType, Size: up.Size, Blob: up.Blob, UserID: h.ID}
		v := &damask.Version{Filename: up.Filename, ContentType: up.ContentType, Size: up.Size, Blob: up.Blob, UserID: h.ID}
		return a, v
	}
	a, v := fromUpload()
	must(t, "CreateAsset from an upload", s.CreateAsset(ctx, a, v, []string{"photos"}, up.ID))
	_, err := s.Upload(ctx, acct.ID, up.ID)
	wantCode(t, "Upload after CreateAsset used it", err, damask.ENOTFOUND, "")
	if _, err := s.Asset(ctx, acct.ID, a.ID); err != nil {
		t.Errorf("Asset made from an upload: %v", err)
	}

	// Using it again finds nothing, and stores nothing: no asset, no version,
	// no tag.
	a2, v2 := fromUpload()
	err = s.CreateAsset(ctx, a2, v2, []string{"never"}, up.ID)
	wantCode(t, "CreateAsset from a used upload", err, damask.ENOTFOUND, "")

	// Nor may it use another account's upload, which stays.
	other := newUpload(t, s, hb, "theirs.png", 5, time.Now().Add(damask.UploadLifetime))
	a3, v3 := fromUpload()
	err = s.CreateAsset(ctx, a3, v3, []string{"never"}, other.ID)
	wantCode(t, "CreateAsset from another account's upload", err, damask.ENOTFOUND, "")
	if _, err := s.Upload(ctx, hb.AccountID, other.ID); err != nil {
		t.Errorf("the other account's upload after a refused CreateAsset: %v", err)
	}

	_, total, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 10}})
	must(t, "Assets", err)
	if total != 1 {
		t.Errorf("after refused CreateAsset, %d assets, want 1", total)
	}
	_, err = s.TagByName(ctx, acct.ID, "never")
	wantCode(t, "tag of a refused CreateAsset", err, damask.ENOTFOUND, "")
	stats, err := s.AccountStats(ctx, acct.ID)
	must(t, "AccountStats", err)
	if stats.UsedSpace != 99 || stats.AssetsCount != 1 {
		t.Errorf("AccountStats after refused CreateAsset = %+v, want 99 bytes in 1 asset", stats)
	}
}

func testAddVersion(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "logo", tags: []string{"brand"}})
	created := *a
	v1, err := s.Version(ctx, acct.ID, a.ID, 1)
	must(t, "Version 1", err)

	v2 := newVersion(h, "logo-2.png", 2000)
	before := time.Now()
	must(t, "AddVersion", s.AddVersion(ctx, a, v2, 0))
	after := time.Now()
	if v2.ID == 0 || v2.Number != 2 || v2.AssetID != a.ID {
		t.Errorf("AddVersion set id %d, Number %d, AssetID %d; want an id, 2, %d", v2.ID, v2.Number, v2.AssetID, a.ID)
	}
	checkSet(t, "version CreatedAt", v2.CreatedAt, before, after)
	checkSet(t, "asset UpdatedAt after AddVersion", a.UpdatedAt, before, after)
	// The asset's file follows the new version; the rest stays.
	want := created
	want.Filename, want.ContentType, want.Size, want.Blob = v2.Filename, v2.ContentType, v2.Size, v2.Blob
	want.Version, want.UpdatedAt = 2, a.UpdatedAt
	diff(t, "asset after AddVersion", &want, a)
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	diff(t, "Asset after AddVersion", a, got)

	// From an upload, which is used up.
	up := newUpload(t, s, h, "logo-3.svg", 300, time.Now().Add(damask.UploadLifetime))
	v3 := &damask.Version{Filename: up.Filename, ContentType: "image/svg+xml", Size: up.Size, Blob: up.Blob, UserID: h.ID, Comment: "vector"}
	must(t, "AddVersion from an upload", s.AddVersion(ctx, a, v3, up.ID))
	if v3.Number != 3 || a.Version != 3 || a.Blob != up.Blob {
		t.Errorf("after AddVersion from an upload: Number %d, asset Version %d; want 3, 3 and the upload's blob", v3.Number, a.Version)
	}
	_, err = s.Upload(ctx, acct.ID, up.ID)
	wantCode(t, "Upload after AddVersion used it", err, damask.ENOTFOUND, "")

	// A used upload stores nothing.
	v4 := newVersion(h, "logo-4.png", 4)
	wantCode(t, "AddVersion from a used upload", s.AddVersion(ctx, a, v4, up.ID), damask.ENOTFOUND, "")

	vs, err := s.Versions(ctx, acct.ID, a.ID)
	must(t, "Versions", err)
	diff(t, "Versions, oldest first", []*damask.Version{v1, v2, v3}, vs)
	got, err = s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	diff(t, "Asset after a refused AddVersion", a, got)
	for _, v := range []*damask.Version{v1, v2, v3} {
		got, err := s.Version(ctx, acct.ID, a.ID, v.Number)
		must(t, "Version", err)
		diff(t, fmt.Sprintf("Version %d", v.Number), v, got)
	}

	// Not to an asset in the trash.
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()))
	wantCode(t, "AddVersion to an asset in the trash", s.AddVersion(ctx, a, newVersion(h, "logo-5.png", 5), 0), damask.ENOTFOUND, "")
	missing := &damask.Asset{ID: a.ID + 1000, AccountID: acct.ID}
	wantCode(t, "AddVersion to a missing asset", s.AddVersion(ctx, missing, newVersion(h, "logo-6.png", 6), 0), damask.ENOTFOUND, "")
}

func testUpdateAsset(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "draft", description: "old", tags: []string{"one", "two"}})
	created := *a

	a.Title = "Final"
	a.Description = "new"
	a.PublicToken = "feedface"
	a.PublicLinkBy = h.ID
	// Not UpdateAsset's to write (processing belongs to the job queue):
	a.Processing = damask.ProcessingDone
	a.Filename = "changed.exe"
	a.Size = 1
	a.Version = 9
	before := time.Now()
	must(t, "UpdateAsset", s.UpdateAsset(ctx, a, nil))
	after := time.Now()
	checkSet(t, "UpdatedAt after UpdateAsset", a.UpdatedAt, before, after)
	want := created
	want.Title, want.Description, want.PublicToken, want.PublicLinkBy = "Final", "new", "feedface", h.ID
	want.UpdatedAt = a.UpdatedAt
	diff(t, "asset after UpdateAsset with nil tags", &want, a)
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	diff(t, "Asset after UpdateAsset", a, got)

	tests := []struct {
		name string
		tags []string
		want []string
	}{
		{"nil keeps the tags", nil, []string{"one", "two"}},
		{"names replace the tags", []string{"two", "three"}, []string{"three", "two"}},
		{"an empty list clears them", []string{}, nil},
		{"nil keeps no tags", nil, nil},
		{"names again", []string{"One"}, []string{"one"}},
	}
	for _, tt := range tests {
		must(t, "UpdateAsset "+tt.name, s.UpdateAsset(ctx, a, tt.tags))
		diff(t, "tags after UpdateAsset: "+tt.name, tt.want, tagNames(a))
		got, err := s.Asset(ctx, acct.ID, a.ID)
		must(t, "Asset", err)
		diff(t, "Asset after UpdateAsset: "+tt.name, a, got)
	}
	if _, err := s.TagByName(ctx, acct.ID, "three"); err != nil {
		t.Errorf("UpdateAsset did not create tag three: %v", err)
	}

	// The link's maker is a user: deleted, the link has none.
	maker := &damask.User{AccountID: acct.ID, Login: "maker", Email: "maker@acme.example", Role: damask.RoleMember}
	must(t, "CreateUser", s.CreateUser(ctx, maker))
	a.PublicLinkBy = maker.ID
	must(t, "UpdateAsset with another link maker", s.UpdateAsset(ctx, a, nil))
	if a.PublicLinkBy != maker.ID {
		t.Errorf("PublicLinkBy %d after UpdateAsset, want %d", a.PublicLinkBy, maker.ID)
	}
	must(t, "DeleteUser", s.DeleteUser(ctx, acct.ID, maker.ID))
	got, err = s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset", err)
	if got.PublicLinkBy != 0 || got.PublicToken != "feedface" {
		t.Errorf("after its maker's deletion the link is %q by %d, want %q by 0", got.PublicToken, got.PublicLinkBy, "feedface")
	}

	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()))
	wantCode(t, "UpdateAsset of an asset in the trash", s.UpdateAsset(ctx, a, nil), damask.ENOTFOUND, "")
}

func testAssetFilters(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")

	barn := newAsset(t, s, h, assetSpec{title: "Red Barn", description: "a barn in autumn", filename: "barn.jpg", size: 300, tags: []string{"farm"}})
	lake := newAsset(t, s, h, assetSpec{title: "Blue Lake", description: "100% pure water", filename: "lake_1.png", size: 100, tags: []string{"water", "nature"}})
	field := newAsset(t, s, h, assetSpec{title: "Green Field", description: "grass", filename: "field.tif", size: 200, tags: []string{"farm", "nature"}})
	sunset := newAsset(t, s, h, assetSpec{title: "Sunset", filename: "sunset.jpg", size: 400, tags: []string{"sky"}})
	// "1000" would match an unescaped "100%", "note-1" an unescaped "e_1".
	notes := newAsset(t, s, h, assetSpec{title: "Notes", description: "1000 words", filename: "note-1.txt", size: 50})
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, sunset.ID, time.Now()))
	// Another account's assets never show.
	newAsset(t, s, hb, assetSpec{title: "Red Barn", description: "a barn in autumn", filename: "barn.jpg", tags: []string{"farm"}})
	theirFarm, err := s.TagByName(ctx, hb.AccountID, "farm")
	must(t, "TagByName", err)

	// Touch lake, then barn, so that updated_on differs from created_on.
	for _, a := range []*damask.Asset{lake, barn} {
		time.Sleep(2 * time.Millisecond)
		must(t, "UpdateAsset", s.UpdateAsset(ctx, a, nil))
	}

	tagID := func(name string) int64 {
		tg, err := s.TagByName(ctx, acct.ID, name)
		must(t, "TagByName "+name, err)
		return tg.ID
	}
	farm, nature, water, sky := tagID("farm"), tagID("nature"), tagID("water"), tagID("sky")

	all := damask.Page{Number: 1, Size: 100}
	tests := []struct {
		name  string
		f     damask.AssetFilter
		want  []*damask.Asset
		total int // when not len(want)
	}{
		{"everything, newest first", damask.AssetFilter{}, []*damask.Asset{notes, field, lake, barn}, 0},
		{"word in title", damask.AssetFilter{Query: words("barn")}, []*damask.Asset{barn}, 0},
		{"word in other case", damask.AssetFilter{Query: words("BARN")}, []*damask.Asset{barn}, 0},
		{"word in description", damask.AssetFilter{Query: words("autumn")}, []*damask.Asset{barn}, 0},
		{"filename", damask.AssetFilter{Query: words("field.tif")}, []*damask.Asset{field}, 0},
		{"filename split into words", damask.AssetFilter{Query: words("1"), Sort: "-created_on"}, []*damask.Asset{notes, lake}, 0},
		{"word is a tag name", damask.AssetFilter{Query: words("nature"), Sort: "-created_on"}, []*damask.Asset{field, lake}, 0},
		{"prefix of a tag name, other case", damask.AssetFilter{Query: search.Word{Value: "NATU", Prefix: true}, Sort: "-created_on"}, []*damask.Asset{field, lake}, 0},
		{"part of a word is not a word", damask.AssetFilter{Query: words("ee")}, nil, 0},
		{"every word must match", damask.AssetFilter{Query: words("farm", "green")}, []*damask.Asset{field}, 0},
		{"words matching different assets", damask.AssetFilter{Query: words("lake", "farm")}, nil, 0},
		{"no match", damask.AssetFilter{Query: words("zebra")}, nil, 0},
		{"punctuation around a word", damask.AssetFilter{Query: words("100%")}, []*damask.Asset{lake}, 0},
		{"punctuation alone is ignored", damask.AssetFilter{Query: words("%", "_", `\`, `'`)}, []*damask.Asset{notes, field, lake, barn}, 0},
		{"a quote inside a word", damask.AssetFilter{Query: words(`bar"n`)}, nil, 0},
		{"trashed assets do not match", damask.AssetFilter{Query: words("sunset")}, nil, 0},

		{"a tag", damask.AssetFilter{TagIDs: []int64{farm}}, []*damask.Asset{field, barn}, 0},
		{"every tag", damask.AssetFilter{TagIDs: []int64{farm, nature}}, []*damask.Asset{field}, 0},
		{"tags no asset has together", damask.AssetFilter{TagIDs: []int64{water, farm}}, nil, 0},
		{"tag of a trashed asset", damask.AssetFilter{TagIDs: []int64{sky}}, nil, 0},
		{"tag of another account", damask.AssetFilter{TagIDs: []int64{theirFarm.ID}}, nil, 0},
		{"tag and word", damask.AssetFilter{TagIDs: []int64{nature}, Query: words("water")}, []*damask.Asset{lake}, 0},

		{"trash", damask.AssetFilter{Trash: true}, []*damask.Asset{sunset}, 0},

		{"created_on", damask.AssetFilter{Sort: "created_on"}, []*damask.Asset{barn, lake, field, notes}, 0},
		{"-created_on", damask.AssetFilter{Sort: "-created_on"}, []*damask.Asset{notes, field, lake, barn}, 0},
		{"updated_on", damask.AssetFilter{Sort: "updated_on"}, []*damask.Asset{field, notes, lake, barn}, 0},
		{"-updated_on", damask.AssetFilter{Sort: "-updated_on"}, []*damask.Asset{barn, lake, notes, field}, 0},
		{"title", damask.AssetFilter{Sort: "title"}, []*damask.Asset{lake, field, notes, barn}, 0},
		{"-title", damask.AssetFilter{Sort: "-title"}, []*damask.Asset{barn, notes, field, lake}, 0},
		{"size", damask.AssetFilter{Sort: "size"}, []*damask.Asset{notes, lake, field, barn}, 0},
		{"-size", damask.AssetFilter{Sort: "-size"}, []*damask.Asset{barn, field, lake, notes}, 0},
		{"sorted and filtered", damask.AssetFilter{Sort: "size", TagIDs: []int64{farm}}, []*damask.Asset{field, barn}, 0},

		{"first page", damask.AssetFilter{Page: damask.Page{Number: 1, Size: 3}}, []*damask.Asset{notes, field, lake}, 4},
		{"last page", damask.AssetFilter{Page: damask.Page{Number: 2, Size: 3}}, []*damask.Asset{barn}, 4},
		{"past the end", damask.AssetFilter{Page: damask.Page{Number: 3, Size: 3}}, nil, 4},
		{"page of a sorted list", damask.AssetFilter{Sort: "-size", Page: damask.Page{Number: 2, Size: 2}}, []*damask.Asset{lake, notes}, 4},
		{"page of a filtered list", damask.AssetFilter{Query: words("nature"), Sort: "-created_on", Page: damask.Page{Number: 2, Size: 1}}, []*damask.Asset{lake}, 2},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			f := tt.f
			f.AccountID = acct.ID
			if f.Page == (damask.Page{}) {
				f.Page = all
			}
			got, total, err := s.Assets(ctx, f)
			if err != nil {
				t.Fatalf("Assets(%+v): %v", f, err)
			}
			diff(t, "asset ids", ids(tt.want), ids(got))
			wantTotal := tt.total
			if wantTotal == 0 {
				wantTotal = len(tt.want)
			}
			if total != wantTotal {
				t.Errorf("total %d, want %d", total, wantTotal)
			}
		})
	}

	// Lists carry the same assets, tags included, as Asset.
	list, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: all})
	must(t, "Assets", err)
	for _, a := range list {
		got, err := s.Asset(ctx, acct.ID, a.ID)
		must(t, "Asset", err)
		diff(t, "listed asset "+a.Title, got, a)
	}
	trash, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Trash: true, Page: all})
	must(t, "Assets in the trash", err)
	if len(trash) == 1 {
		diff(t, "tags of an asset in the trash", []string{"sky"}, tagNames(trash[0]))
		if trash[0].DeletedAt.IsZero() {
			t.Error("asset in the trash has no DeletedAt")
		}
	}
}

func testTrash(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	a := newAsset(t, s, h, assetSpec{title: "a", tags: []string{"x"}})
	b := newAsset(t, s, h, assetSpec{title: "b"})
	page := damask.Page{Number: 1, Size: 10}

	// A time in another zone comes back as the same instant in UTC.
	at := time.Date(2025, 1, 2, 3, 4, 5, 6000, time.FixedZone("CET", 3600))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, at))

	_, err := s.Asset(ctx, acct.ID, a.ID)
	wantCode(t, "Asset in the trash", err, damask.ENOTFOUND, "")
	_, err = s.Versions(ctx, acct.ID, a.ID)
	wantCode(t, "Versions of an asset in the trash", err, damask.ENOTFOUND, "")
	_, err = s.Version(ctx, acct.ID, a.ID, 1)
	wantCode(t, "Version of an asset in the trash", err, damask.ENOTFOUND, "")
	wantCode(t, "TrashAsset again", s.TrashAsset(ctx, acct.ID, a.ID, time.Now()), damask.ENOTFOUND, "")

	trash, total, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Trash: true, Page: page})
	must(t, "Assets in the trash", err)
	if total != 1 || len(trash) != 1 || trash[0].ID != a.ID {
		t.Fatalf("trash holds %v (total %d), want asset %d", ids(trash), total, a.ID)
	}
	want := *a
	want.DeletedAt = at
	diff(t, "asset in the trash", &want, trash[0])
	checkUTC(t, "DeletedAt", trash[0].DeletedAt)
	outside, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: page})
	must(t, "Assets", err)
	diff(t, "assets outside the trash", []int64{b.ID}, ids(outside))
	trashed, err := s.TrashedAsset(ctx, acct.ID, a.ID)
	must(t, "TrashedAsset", err)
	diff(t, "TrashedAsset", &want, trashed)
	_, err = s.TrashedAsset(ctx, acct.ID, b.ID)
	wantCode(t, "TrashedAsset of an asset outside the trash", err, damask.ENOTFOUND, "")
	_, err = s.Asset(ctx, acct.ID, a.ID)
	wantCode(t, "Asset of an asset in the trash", err, damask.ENOTFOUND, "")

	// Restore brings it back as it was.
	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, a.ID))
	got, err := s.Asset(ctx, acct.ID, a.ID)
	must(t, "Asset after RestoreAsset", err)
	diff(t, "asset after RestoreAsset", a, got)
	wantCode(t, "RestoreAsset of an asset outside the trash", s.RestoreAsset(ctx, acct.ID, a.ID), damask.ENOTFOUND, "")

	// Purge takes only assets in the trash.
	wantCode(t, "PurgeAsset of an asset outside the trash", s.PurgeAsset(ctx, acct.ID, b.ID), damask.ENOTFOUND, "")
	if _, err := s.Asset(ctx, acct.ID, b.ID); err != nil {
		t.Errorf("Asset after a refused PurgeAsset: %v", err)
	}
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, b.ID, time.Now()))
	must(t, "PurgeAsset", s.PurgeAsset(ctx, acct.ID, b.ID))
	wantCode(t, "PurgeAsset again", s.PurgeAsset(ctx, acct.ID, b.ID), damask.ENOTFOUND, "")
	wantCode(t, "RestoreAsset of a purged asset", s.RestoreAsset(ctx, acct.ID, b.ID), damask.ENOTFOUND, "")
	_, err = s.Asset(ctx, acct.ID, b.ID)
	wantCode(t, "Asset after PurgeAsset", err, damask.ENOTFOUND, "")
	trash, total, err = s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Trash: true, Page: page})
	must(t, "Assets in the trash", err)
	if total != 0 || len(trash) != 0 {
		t.Errorf("trash after PurgeAsset holds %v (total %d)", ids(trash), total)
	}
}

func testPurgeTrash(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")
	t0 := time.Now().Add(-40 * 24 * time.Hour)

	old := newAsset(t, s, h, assetSpec{title: "old"})
	recent := newAsset(t, s, h, assetSpec{title: "recent"})
	kept := newAsset(t, s, h, assetSpec{title: "kept"})
	theirs := newAsset(t, s, hb, assetSpec{title: "theirs"})
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, old.ID, t0))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, recent.ID, t0.Add(2*time.Hour)))
	must(t, "TrashAsset", s.TrashAsset(ctx, hb.AccountID, theirs.ID, t0))

	n, err := s.PurgeTrash(ctx, t0.Add(time.Hour))
	must(t, "PurgeTrash", err)
	if n != 2 {
		t.Errorf("PurgeTrash removed %d assets, want 2", n)
	}
	page := damask.Page{Number: 1, Size: 10}
	trash, _, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Trash: true, Page: page})
	must(t, "Assets in the trash", err)
	diff(t, "trash after PurgeTrash", []int64{recent.ID}, ids(trash))
	trash, _, err = s.Assets(ctx, damask.AssetFilter{AccountID: hb.AccountID, Trash: true, Page: page})
	must(t, "Assets in the other account's trash", err)
	diff(t, "other account's trash after PurgeTrash", []int64{}, ids(trash))
	if _, err := s.Asset(ctx, acct.ID, kept.ID); err != nil {
		t.Errorf("asset outside the trash after PurgeTrash: %v", err)
	}
	if referenced, err := s.BlobReferenced(ctx, old.Blob); err != nil || referenced {
		t.Errorf("BlobReferenced of a purged asset's file = %v, %v; want false", referenced, err)
	}

	n, err = s.PurgeTrash(ctx, t0.Add(time.Hour))
	must(t, "PurgeTrash again", err)
	if n != 0 {
		t.Errorf("PurgeTrash again removed %d assets, want 0", n)
	}
}

// words is a query of plain words, all required.
func words(ws ...string) search.Expr {
	and := make(search.And, len(ws))
	for i, w := range ws {
		and[i] = search.Word{Value: w}
	}
	return and
}
