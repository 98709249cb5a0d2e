package httpapi_test

import (
	"net/http"
	"strings"
	"testing"
	"time"

	"damask"
)

// TestDocumentsBeside: the server keeps the answers of GET
// /api/assets/ID and GET /api/assets rendered, and yet a change another
// process makes to the database (the command line beside the server, or
// another server) shows in the very next answer, whichever row it
// touched: the asset's, its tags', the account's settings that change
// URLs, or a new asset.
func TestDocumentsBeside(t *testing.T) {
	tests := []struct {
		name   string
		change func(t *testing.T, b *beside, a *damask.Account, id int64)
		// path is fetched before and after; want is in the answer after,
		// gone what was in it before.
		path       string
		want, gone string
		status     int
	}{
		{
			name: "title",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				as := assetBeside(t, b, a, id)
				as.Title = "Changed beside"
				if err := b.db.UpdateAsset(t.Context(), as, nil); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets/ID.json", want: `"title":"Changed beside"`, gone: `"title":"Harbour"`,
		},
		{
			name: "title in a list",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				as := assetBeside(t, b, a, id)
				as.Title = "Changed beside"
				if err := b.db.UpdateAsset(t.Context(), as, nil); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets.xml?per_page=25", want: `<title>Changed beside</title>`, gone: `<title>Harbour</title>`,
		},
		{
			name: "tags",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				if err := b.db.UpdateAsset(t.Context(), assetBeside(t, b, a, id), []string{"night"}); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets/ID.xml", want: `<tag>night</tag>`, gone: `<tag>dusk</tag>`,
		},
		{
			name: "public thumbnails switched off",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				a.PublicThumbnails = false
				if err := b.db.UpdateAccount(t.Context(), a); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets.json?per_page=25", want: `/thumbnail/`, gone: `example.com/t/`,
		},
		{
			name: "trashed",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				if err := b.db.TrashAsset(t.Context(), a.ID, id, time.Now()); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets/ID.xml", status: http.StatusNotFound,
		},
		{
			name: "new asset",
			change: func(t *testing.T, b *beside, a *damask.Account, id int64) {
				old := assetBeside(t, b, a, id)
				as := &damask.Asset{AccountID: a.ID, UserID: old.UserID, Title: "Made beside", Processing: damask.ProcessingDone}
				v := &damask.Version{Filename: "beside.jpg", ContentType: "image/jpeg", Size: old.Size, Blob: old.Blob, UserID: old.UserID}
				if err := b.db.CreateAsset(t.Context(), as, v, nil, 0); err != nil {
					t.Fatal(err)
				}
			},
			path: "/api/assets.xml?per_page=25", want: `<title>Made beside</title>`,
		},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			// Files are queued and left pending: URLs of renditions.
			e := newEnv(t, setup{process: true})
			tn := e.tenant(t, "acme", "deluxe")
			doc := tn.member.createAsset(t, "harbour.jpg", photoJPEG(t, 64, 48, 1), "asset[title]", "Harbour", "asset[tags]", "harbour,dusk")
			path := strings.Replace(tt.path, "ID", id(t, doc), 1)
			b := e.beside(t)
			a, err := b.db.AccountByName(t.Context(), "acme")
			if err != nil {
				t.Fatal(err)
			}
			// Twice: the second is answered from what the first kept.
			var before *response
			for range 2 {
				before = tn.member.get(t, path).want(t, http.StatusOK)
			}
			if tt.gone != "" && !strings.Contains(string(before.body), tt.gone) {
				t.Fatalf("before the change, %q not in %s", tt.gone, before)
			}
			tt.change(t, b, a, num(t, doc["id"]))
			status := cmpOr(tt.status, http.StatusOK)
			after := tn.member.get(t, path)
			if after.status != status {
				t.Fatalf("after the change: %s, want %d", after, status)
			}
			if status != http.StatusOK {
				return
			}
			if !strings.Contains(string(after.body), tt.want) || tt.gone != "" && strings.Contains(string(after.body), tt.gone) {
				t.Errorf("after the change, want %q and not %q: %s", tt.want, tt.gone, after)
			}
		})
	}
}

// TestDocumentsPerCaller: an answer kept for one caller is not given to
// another who would be answered otherwise: a guest sees no public_url.
func TestDocumentsPerCaller(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	doc := tn.member.createAsset(t, "harbour.jpg", []byte("a harbour"), "asset[public_link]", "true")
	path := "/api/assets/" + id(t, doc) + ".json"
	for range 2 {
		if got := tn.member.get(t, path).want(t, http.StatusOK).obj(t)["public_url"]; got == nil {
			t.Fatalf("member: public_url nil")
		}
	}
	for range 2 {
		if got := tn.guest.get(t, path).want(t, http.StatusOK).obj(t)["public_url"]; got != nil {
			t.Errorf("guest: public_url %v, want nil", got)
		}
	}
}

// assetBeside reads an asset as the process beside sees it.
func assetBeside(t *testing.T, b *beside, a *damask.Account, id int64) *damask.Asset {
	t.Helper()
	as, err := b.db.Asset(t.Context(), a.ID, id)
	if err != nil {
		t.Fatal(err)
	}
	return as
}

func cmpOr(v, def int) int {
	if v == 0 {
		return def
	}
	return v
}
