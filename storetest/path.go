package storetest

import (
	"testing"
	"time"

	"damask"
	"damask/search"
)

// testAssetPath: an asset's Path is written by CreateAsset, UpdateAsset
// and CreateAssets and read back; search.Path matches the folder and the
// folders below it, by whole names and byte for byte, alone, negated and
// beside words; AssetByBlob finds an asset by its current file, never
// one in the trash.
func testAssetPath(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	mk := func(u *damask.User, title, p string) *damask.Asset {
		a := &damask.Asset{AccountID: u.AccountID, Title: title, Path: p, Filename: title + ".jpg", ContentType: "image/jpeg",
			Size: 10, Blob: ref(title), UserID: u.ID, Processing: damask.ProcessingDone}
		v := &damask.Version{Filename: a.Filename, ContentType: a.ContentType, Size: a.Size, Blob: a.Blob, UserID: u.ID}
		must(t, "CreateAsset "+title, s.CreateAsset(ctx, a, v, nil, 0))
		if a.Path != p {
			t.Errorf("CreateAsset %s: path %q, want %q", title, a.Path, p)
		}
		return a
	}
	top := mk(h, "top", "")
	photos := mk(h, "photos", "photos")
	y2024 := mk(h, "beach", "photos/2024")
	deep := mk(h, "deep", "photos/2024/Summer, late/Ä")
	photography := mk(h, "photography", "photography")
	upper := mk(h, "upper", "Photos")
	slash := mk(h, "slashless", "photos-2024") // '-' sorts before '/'
	mk(oh, "theirs", "photos")

	bulk, ok := s.(damask.BulkCreator)
	if !ok {
		t.Fatal("the store is no BulkCreator")
	}
	b := &damask.Asset{AccountID: acct.ID, Title: "bulk", Path: "photos/2024/bulk", Filename: "bulk.jpg", ContentType: "image/jpeg",
		Size: 10, Blob: ref("bulk"), UserID: h.ID, Processing: damask.ProcessingPending, Tags: []damask.Tag{{Name: "b"}}}
	must(t, "CreateAssets", bulk.CreateAssets(ctx, []*damask.Asset{b}))
	got, err := s.Asset(ctx, acct.ID, b.ID)
	must(t, "Asset", err)
	if got.Path != "photos/2024/bulk" {
		t.Errorf("CreateAssets: path %q", got.Path)
	}

	for _, tc := range []searchCase{
		{name: "a folder and below", q: search.Path{Prefix: "photos"}, want: []*damask.Asset{photos, y2024, deep, b}},
		{name: "deeper", q: search.Path{Prefix: "photos/2024"}, want: []*damask.Asset{y2024, deep, b}},
		{name: "with a comma and an umlaut", q: search.Path{Prefix: "photos/2024/Summer, late/Ä"}, want: []*damask.Asset{deep}},
		{name: "a part of a name is no folder", q: search.Path{Prefix: "photo"}},
		{name: "case counts", q: search.Path{Prefix: "PHOTOS"}},
		{name: "the top holds all", q: search.Path{Prefix: ""}, want: []*damask.Asset{top, photos, y2024, deep, photography, upper, slash, b}},
		{name: "not", q: search.And{search.Path{Prefix: "photography"}, search.Not{X: search.Path{Prefix: "photos"}}}, want: []*damask.Asset{photography}},
		{name: "negated alone", q: search.Not{X: search.Path{Prefix: "photos"}}, want: []*damask.Asset{top, photography, upper, slash}},
		{name: "or", q: search.Or{search.Path{Prefix: "Photos"}, search.Path{Prefix: "photos-2024"}}, want: []*damask.Asset{upper, slash}},
		{name: "beside a word", q: search.And{search.Word{Value: "beach"}, search.Path{Prefix: "photos"}}, want: []*damask.Asset{y2024}},
	} {
		t.Run(tc.name, func(t *testing.T) { checkSearch(t, s, acct.ID, tc) })
	}

	photos.Path = "archive/photos"
	must(t, "UpdateAsset", s.UpdateAsset(ctx, photos, nil))
	if photos.Path != "archive/photos" {
		t.Errorf("UpdateAsset: path %q", photos.Path)
	}
	checkSearch(t, s, acct.ID, searchCase{q: search.Path{Prefix: "archive"}, want: []*damask.Asset{photos}})

	found, err := s.AssetByBlob(ctx, acct.ID, ref("beach"))
	must(t, "AssetByBlob", err)
	if found.ID != y2024.ID || found.Path != "photos/2024" {
		t.Errorf("AssetByBlob: asset %d %q, want %d", found.ID, found.Path, y2024.ID)
	}
	_, err = s.AssetByBlob(ctx, other.ID, ref("beach"))
	wantCode(t, "AssetByBlob of another account's file", err, damask.ENOTFOUND, "")
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, y2024.ID, y2024.CreatedAt))
	_, err = s.AssetByBlob(ctx, acct.ID, ref("beach"))
	wantCode(t, "AssetByBlob of a file in the trash", err, damask.ENOTFOUND, "")
}

// testDeleteUpload: an upload used by an unpack is deleted, in its own
// account only.
func testDeleteUpload(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, _ := newAccount(t, s, "other")
	u := &damask.Upload{AccountID: acct.ID, UserID: h.ID, Filename: "a.zip", ContentType: "application/zip", Size: 3,
		Blob: ref("a.zip"), ExpiresAt: time.Now().Add(time.Hour)}
	must(t, "CreateUpload", s.CreateUpload(ctx, u))
	wantCode(t, "DeleteUpload of another account", s.DeleteUpload(ctx, other.ID, u.ID), damask.ENOTFOUND, "")
	must(t, "DeleteUpload", s.DeleteUpload(ctx, acct.ID, u.ID))
	_, err := s.Upload(ctx, acct.ID, u.ID)
	wantCode(t, "Upload deleted", err, damask.ENOTFOUND, "")
	wantCode(t, "DeleteUpload again", s.DeleteUpload(ctx, acct.ID, u.ID), damask.ENOTFOUND, "")
}
