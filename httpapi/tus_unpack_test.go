package httpapi_test

import (
	"net/http"
	"slices"
	"strconv"
	"strings"
	"testing"

	"damask/tus"
)

// TestTusUnpackAndPath: a resumable upload with unpack=true in its
// metadata is unpacked as POST /api/upload with unpack=true (path,
// path_tags and tags too): the completing PATCH names the report in
// X-Damask-Unpack-Location and GET of it answers the assets made with
// their paths; a path without unpack is the one asset's folder.
func TestTusUnpackAndPath(t *testing.T) {
	e := newEnv(t, setup{})
	archive := nested(t)
	tn := e.tenant(t, "acme", "deluxe")
	m := tn.member

	t.Run("unpack", func(t *testing.T) {
		loc := m.tusCreate(t, len(archive), "filename "+b64("photos.zip")+",unpack "+b64("true")+
			",path "+b64("imports")+",path_tags "+b64("true")+",tags "+b64("imported"))
		r := m.tusPatch(t, loc, 0, archive[:100]).want(t, http.StatusNoContent)
		if r.header.Get(tus.HeaderReportURL) != "" {
			t.Errorf("a piece before the last names a report: %v", r.header)
		}
		r = m.tusPatch(t, loc, 100, archive[100:]).want(t, http.StatusNoContent)
		report := r.header.Get(tus.HeaderReportURL)
		upID := r.header.Get(tus.HeaderUploadID)
		if report != loc+".xml" || upID == "" || r.header.Get(tus.HeaderAssetID) != "" || r.header.Get(tus.HeaderUploadURL) != "" {
			t.Fatalf("last piece of an unpack answered %v", r.header)
		}
		if h := m.tusHead(t, loc).want(t, http.StatusOK); h.header.Get(tus.HeaderReportURL) != report {
			t.Errorf("HEAD of the unpacked upload: %v", h.header)
		}
		m.get(t, report).want(t, http.StatusOK)
		doc := m.get(t, loc+".json").want(t, http.StatusOK)
		assets, skipped := unpacked(t, doc)
		if got := strconv.FormatInt(num(t, doc.obj(t)["upload_id"]), 10); got != upID {
			t.Errorf("report's upload_id %v, header %s", doc.obj(t)["upload_id"], upID)
		}
		want := map[string]string{
			"beach.txt": "imports/photos/2024", "sunset.txt": "imports/photos/2024/Summer, late",
			"snow.txt": "imports/photos/2023", "readme.txt": "imports",
		}
		if len(assets) != len(want) {
			t.Fatalf("assets %v, want %v", mapKeysOf(assets), want)
		}
		for name, p := range want {
			a := assets[name]
			if a == nil || str(a["path"]) != p {
				t.Errorf("asset %s: %v, want path %q", name, a, p)
				continue
			}
			if tags := assetTagNames(a); !slices.Contains(tags, "imported") || (p == "imports/photos/2024" && !slices.Contains(tags, "2024")) {
				t.Errorf("asset %s tags %v", name, tags)
			}
			// The asset as the API shows it has the path too.
			got := m.get(t, "/api/assets/"+id(t, a)+".json").want(t, http.StatusOK).obj(t)
			if str(got["path"]) != p {
				t.Errorf("GET asset %s: path %q, want %q", name, str(got["path"]), p)
			}
		}
		for _, name := range []string{"empty.txt", "__MACOSX/photos/._beach.txt", "photos/.DS_Store"} {
			if skipped[name] == nil {
				t.Errorf("%s not reported skipped: %v", name, skipped)
			}
		}
		m.get(t, "/api/uploads/"+upID+".json").want(t, http.StatusNotFound) // consumed by the unpack
		// The report is the uploader's alone.
		tn.admin.get(t, loc+".json").want(t, http.StatusNotFound)
	})

	t.Run("no report without unpack", func(t *testing.T) {
		loc := m.tusCreate(t, 5, "filename "+b64("a.txt"))
		m.tusPatch(t, loc, 0, []byte("hello")).want(t, http.StatusNoContent)
		m.get(t, loc+".json").want(t, http.StatusNotFound)
		m.get(t, "/api/uploads/tus/0123456789abcdef0123456789abcdef.json").want(t, http.StatusNotFound)
	})

	t.Run("refused archive", func(t *testing.T) {
		bad := []byte("not a zip at all, just text")
		loc := m.tusCreate(t, len(bad), "filename "+b64("bad.zip")+",unpack "+b64("true"))
		r := m.tusPatch(t, loc, 0, bad)
		if r.status < 400 || r.status >= 500 {
			t.Fatalf("a bad archive answered %d %s", r.status, r.body)
		}
	})

	t.Run("path", func(t *testing.T) {
		loc := m.tusCreate(t, 9, "filename "+b64("notes.txt")+",path "+b64("/docs//2024/"))
		r := m.tusPatch(t, loc, 0, []byte("the notes")).want(t, http.StatusNoContent)
		aid := r.header.Get(tus.HeaderAssetID)
		if aid == "" || r.header.Get(tus.HeaderReportURL) != "" {
			t.Fatalf("last piece with a path answered %v", r.header)
		}
		a := m.get(t, "/api/assets/"+aid+".json").want(t, http.StatusOK).obj(t)
		if str(a["path"]) != "docs/2024" {
			t.Errorf("asset path %q, want docs/2024", str(a["path"]))
		}
		found := m.get(t, "/api/assets.json?q="+strings.ReplaceAll("path:docs", " ", "+")).want(t, http.StatusOK)
		if ids := listIDs(t, found); !slices.Contains(ids, aid) {
			t.Errorf("path:docs finds %v, not %s", ids, aid)
		}
	})
}

func mapKeysOf[V any](m map[string]V) []string {
	var ks []string
	for k := range m {
		ks = append(ks, k)
	}
	return ks
}
