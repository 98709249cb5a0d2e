package httpapi_test

import (
	"archive/zip"
	"bytes"
	"fmt"
	"hash/crc32"
	"net/http"
	"os"
	"slices"
	"strings"
	"testing"

	"damask"
)

// zipEntry is one entry of a test archive; a name ending in / is a
// folder.
type zipEntry struct {
	name string
	data string
	// raw writes the entry as given (Flags, CRC32), for encrypted and
	// corrupt entries.
	raw   *zip.FileHeader
	mode  os.FileMode
	store bool
}

func zipOf(t testing.TB, entries ...zipEntry) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, e := range entries {
		var (
			w   interface{ Write([]byte) (int, error) }
			err error
		)
		switch {
		case e.raw != nil:
			h := *e.raw
			h.Name = e.name
			h.CompressedSize64, h.UncompressedSize64 = uint64(len(e.data)), uint64(len(e.data))
			w, err = zw.CreateRaw(&h)
		default:
			h := &zip.FileHeader{Name: e.name, Method: zip.Deflate}
			if e.store {
				h.Method = zip.Store
			}
			if e.mode != 0 {
				h.SetMode(e.mode)
			}
			w, err = zw.CreateHeader(h)
		}
		if err != nil {
			t.Fatal(err)
		}
		if _, err := w.Write([]byte(e.data)); err != nil {
			t.Fatal(err)
		}
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// nested is an archive of folders in folders, with what unpacking skips.
func nested(t testing.TB) []byte {
	return zipOf(t,
		zipEntry{name: "photos/"},
		zipEntry{name: "photos/2024/"},
		zipEntry{name: "photos/2024/beach.txt", data: "the beach"},
		zipEntry{name: "photos/2024/Summer, late/sunset.txt", data: "the sunset"},
		zipEntry{name: "photos/2023/snow.txt", data: "the snow"},
		zipEntry{name: "readme.txt", data: "read me"},
		zipEntry{name: "empty.txt"},
		zipEntry{name: "__MACOSX/photos/._beach.txt", data: "resource fork"},
		zipEntry{name: "photos/.DS_Store", data: "finder"},
	)
}

// unpacked reads an unpack's report: the assets by filename, and the
// skipped entries by name.
func unpacked(t testing.TB, r *response) (map[string]map[string]any, map[string]map[string]any) {
	t.Helper()
	doc := r.obj(t)
	assets := map[string]map[string]any{}
	for _, a := range doc["assets"].([]any) {
		m := a.(map[string]any)
		assets[str(m["filename"])] = m
	}
	skipped := map[string]map[string]any{}
	for _, s := range doc["skipped"].([]any) {
		m := s.(map[string]any)
		skipped[str(m["name"])] = m
	}
	if got := num(t, doc["assets_count"]); got != int64(len(assets)) {
		t.Errorf("assets_count %d, %d assets", got, len(assets))
	}
	return assets, skipped
}

func assetTagNames(a map[string]any) []string {
	var names []string
	tags, _ := a["tags"].([]any)
	for _, tg := range tags {
		names = append(names, str(tg.(map[string]any)["tag"]))
	}
	slices.Sort(names)
	return names
}

// TestUnpack: every way of sending an archive with unpack=true makes an
// asset of each file with its folder as path, under the path sent, with
// the folders as tags when asked; folders, empty and system files make
// nothing and the last two are reported.
func TestUnpack(t *testing.T) {
	e := newEnv(t, setup{})
	archive := nested(t)
	cases := []struct {
		name string
		send func(c *client, ext string) *response
		base string // the path sent
		tags bool   // path_tags sent
	}{
		{"upload multipart, fields first", func(c *client, ext string) *response {
			return c.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "photos.zip", archive},
				"unpack", "true", "path", "/imports//march/", "path_tags", "true"))
		}, "imports/march", true},
		{"upload raw", func(c *client, ext string) *response {
			return c.do(t, "POST", "/api/upload"+ext+"?filename=photos.zip&unpack=1", bytes.NewReader(archive),
				"Content-Type", "application/zip")
		}, "", false},
		{"asset multipart", func(c *client, ext string) *response {
			return c.send(t, "POST", "/api/assets"+ext, multipartBody(file{"file", "photos.zip", archive},
				"unpack", "true", "tags", "imported", "path_tags", "yes"))
		}, "", true},
		{"two steps", func(c *client, ext string) *response {
			u := c.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "photos.zip", archive})).want(t, 201).obj(t)
			r := c.send(t, "POST", "/api/assets"+ext, form("upload_id", id(t, u), "unpack", "true", "path", "in"))
			if r.status < 300 {
				c.get(t, "/api/uploads/"+id(t, u)+ext).want(t, 404) // used by the unpack
			}
			return r
		}, "in", false},
	}
	n := 0
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				n++
				tn := e.tenant(t, fmt.Sprintf("t%d", n), "deluxe")
				r := c.send(tn.member, ext).want(t, http.StatusCreated)
				if !strings.Contains(r.header.Get("Location"), "/api/assets/") {
					t.Errorf("Location %q", r.header.Get("Location"))
				}
				assets, skipped := unpacked(t, r)
				join := func(p string) string {
					if c.base == "" {
						return p
					}
					return strings.TrimSuffix(c.base+"/"+p, "/")
				}
				want := map[string]string{"beach.txt": join("photos/2024"), "sunset.txt": join("photos/2024/Summer, late"),
					"snow.txt": join("photos/2023"), "readme.txt": join("")}
				if len(assets) != len(want) {
					t.Errorf("assets %v, want %v", slices.Collect(mapKeys(assets)), want)
				}
				for name, p := range want {
					a := assets[name]
					if a == nil {
						t.Errorf("no asset of %s", name)
						continue
					}
					if str(a["path"]) != p {
						t.Errorf("%s: path %q, want %q", name, str(a["path"]), p)
					}
					if a["content_type"] != "text/plain; charset=utf-8" || str(a["title"]) != strings.TrimSuffix(name, ".txt") {
						t.Errorf("%s: %v %v", name, a["content_type"], a["title"])
					}
				}
				if got := assetTagNames(assets["sunset.txt"]); c.tags {
					wantTags := []string{"2024", "Summer  late", "photos"}
					if c.base != "" {
						wantTags = append(wantTags, "imports", "march")
					}
					if c.name == "asset multipart" {
						wantTags = append(wantTags, "imported")
					}
					slices.Sort(wantTags)
					if !slices.Equal(got, wantTags) {
						t.Errorf("sunset's tags %q, want %q", got, wantTags)
					}
				} else if len(got) != 0 {
					t.Errorf("tags %q without path_tags", got)
				}
				for name, reason := range map[string]string{"empty.txt": "empty", "__MACOSX/photos/._beach.txt": "system", "photos/.DS_Store": "system"} {
					if s := skipped[name]; s == nil || s["reason"] != reason {
						t.Errorf("skipped %s: %v, want %s", name, s, reason)
					}
				}

				// path: finds a folder and what is below it, by whole names.
				for q, want := range map[string]int{"photos": 3, "photos/2024": 2, "photos/2024/Summer, late": 1, "photo": 0, "photos/20": 0} {
					q = join(q)
					res := tn.guest.get(t, "/api/assets.json?query="+urlEscape(`path:"`+q+`"`))
					got := 0
					if res.status == 200 {
						got = len(res.doc(t).([]any))
					}
					if got != want {
						t.Errorf("path:%q finds %d, want %d: %s", q, got, want, res)
					}
				}
			})
		}
	}
}

func mapKeys[M ~map[string]V, V any](m M) func(func(string) bool) {
	return func(yield func(string) bool) {
		for k := range m {
			if !yield(k) {
				return
			}
		}
	}
}

// TestUnpackDedupe: a file the library holds is skipped with the asset
// that holds it; so is a second copy inside the archive; an archive sent
// again makes nothing and answers 200.
func TestUnpackDedupe(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	held := tn.member.createAsset(t, "held.txt", []byte("held bytes"))
	archive := zipOf(t,
		zipEntry{name: "a/held copy.txt", data: "held bytes"},
		zipEntry{name: "a/new.txt", data: "new bytes"},
		zipEntry{name: "b/new again.txt", data: "new bytes"},
	)
	r := tn.member.send(t, "POST", "/api/upload.json", multipartBody(file{"file", "d.zip", archive}, "unpack", "true")).want(t, 201)
	assets, skipped := unpacked(t, r)
	if len(assets) != 1 || assets["new.txt"] == nil {
		t.Fatalf("assets %v", assets)
	}
	for name, want := range map[string]string{"a/held copy.txt": id(t, held), "b/new again.txt": id(t, assets["new.txt"])} {
		s := skipped[name]
		if s == nil || s["reason"] != "duplicate" || str(s["asset_id"]) != want {
			t.Errorf("skipped %s: %v, want a duplicate of %s", name, s, want)
		}
	}
	again := tn.member.send(t, "POST", "/api/assets.xml", multipartBody(file{"file", "d.zip", archive}, "unpack", "true")).want(t, 200)
	if a, s := unpacked(t, again); len(a) != 0 || len(s) != 3 {
		t.Errorf("sent again: %d assets, %d skipped", len(a), len(s))
	}
	// A trashed asset's bytes are not held: the entry is made again.
	tn.member.do(t, "DELETE", "/api/assets/"+id(t, held)+".xml", nil).want(t, 200)
	third, _ := unpacked(t, tn.member.send(t, "POST", "/api/upload.json", multipartBody(file{"file", "d.zip", archive}, "unpack", "true")).want(t, 201))
	if third["held copy.txt"] == nil || len(third) != 1 {
		t.Errorf("after the trash: %v", third)
	}
}

// TestUnpackRefused: a hostile or broken archive is refused whole, with
// the entry named; no asset is made, even of the good entries before the
// bad one.
func TestUnpackRefused(t *testing.T) {
	e := newEnv(t, setup{maxFile: 256 << 20})
	tn := e.tenant(t, "acme", "deluxe")
	good := zipEntry{name: "good/first.txt", data: "a good file comes first"}
	var many []zipEntry
	for i := range 10001 {
		many = append(many, zipEntry{name: fmt.Sprintf("f%05d.txt", i), data: "x", store: true})
	}
	badCRC := &zip.FileHeader{Method: zip.Store, CRC32: crc32.ChecksumIEEE([]byte("other bytes"))}
	encrypted := &zip.FileHeader{Method: zip.Store, Flags: 0x1}
	cases := []struct {
		name    string
		archive []byte
		status  int
		msg     string
	}{
		{"not a zip", []byte("PK but not a zip at all"), 422, "not a zip"},
		{"parent", zipOf(t, good, zipEntry{name: "../x", data: "escaped"}), 422, "outside"},
		{"parent deep", zipOf(t, good, zipEntry{name: "a/../../x", data: "escaped"}), 422, "outside"},
		{"backslash parent", zipOf(t, good, zipEntry{name: `..\x`, data: "escaped"}), 422, "outside"},
		{"absolute", zipOf(t, good, zipEntry{name: "/tmp/abs", data: "escaped"}), 422, "absolute"},
		{"drive", zipOf(t, good, zipEntry{name: `C:\x`, data: "escaped"}), 422, "absolute"},
		{"symlink", zipOf(t, good, zipEntry{name: "link", data: "/etc/passwd", mode: os.ModeSymlink | 0o777}), 422, "symbolic link"},
		{"encrypted", zipOf(t, good, zipEntry{name: "secret.txt", data: "ciphertext", raw: encrypted}), 422, "encrypted"},
		{"duplicate names", zipOf(t, good, zipEntry{name: "good/first.txt", data: "again"}), 422, "two entries"},
		{"duplicate after cleaning", zipOf(t, good, zipEntry{name: "good//./first.txt", data: "again"}), 422, "two entries"},
		{"file and folder", zipOf(t, zipEntry{name: "x", data: "file"}, zipEntry{name: "x/y", data: "in x"}), 422, "both a file and a folder"},
		{"too many entries", zipOf(t, many...), 422, "10001 entries"},
		{"bomb", zipOf(t, good, zipEntry{name: "zeros.bin", data: strings.Repeat("\x00", 100<<20)}), 422, "zip bomb"},
		{"entry past the file limit", zipOf(t, zipEntry{name: "big.bin", data: strings.Repeat("\x00", 257<<20)}), 413, "larger than the limit"},
		{"corrupt", zipOf(t, good, zipEntry{name: "bad.txt", data: "these bytes", raw: badCRC}), 422, "corrupt"},
	}
	for _, c := range cases {
		for _, ext := range formats {
			t.Run(c.name+ext, func(t *testing.T) {
				before := tn.holder.get(t, "/api/assets.json").status
				r := tn.member.send(t, "POST", "/api/upload"+ext, multipartBody(file{"file", "bad.zip", c.archive}, "unpack", "true"))
				r.wantError(t, c.status, c.msg)
				if got := tn.holder.get(t, "/api/assets.json"); got.status != before || got.status != 404 {
					t.Errorf("assets after a refused archive: %s", got)
				}
			})
		}
	}
}

// TestUnpackQuota: the plan's storage is checked entry by entry; the
// archive whose third file does not fit makes nothing.
func TestUnpackQuota(t *testing.T) {
	plans := damask.DefaultPlans()
	plans["tiny"] = damask.Plan{Name: "tiny", Versions: true, MultipleUsers: true, StorageLimit: 10000}
	e := newEnv(t, setup{plans: plans})
	tn := e.tenant(t, "acme", "tiny")
	tn.member.allow507 = true
	// The archive is a few hundred bytes, its files 4,000 each: two fit.
	archive := zipOf(t,
		zipEntry{name: "a.txt", data: strings.Repeat("a", 4000)},
		zipEntry{name: "b.txt", data: strings.Repeat("b", 4000)},
		zipEntry{name: "c.txt", data: strings.Repeat("c", 4000)},
	)
	tn.member.do(t, "POST", "/api/upload.xml?filename=q.zip&unpack=true", bytes.NewReader(archive)).wantError(t, 507, "c.txt")
	if r := tn.holder.get(t, "/api/assets.json"); r.status != 404 {
		t.Errorf("assets after the quota: %s", r)
	}
	two := zipOf(t, zipEntry{name: "a.txt", data: strings.Repeat("a", 4000)}, zipEntry{name: "b.txt", data: strings.Repeat("b", 4000)})
	assets, _ := unpacked(t, tn.member.do(t, "POST", "/api/upload.json?filename=q.zip&unpack=true", bytes.NewReader(two)).want(t, 201))
	if len(assets) != 2 {
		t.Errorf("%d assets of what fits", len(assets))
	}
}

// TestAssetPath: path is written on create and update, cleaned, and
// refused when it climbs; fields of an unpack are refused where they mean
// nothing.
func TestAssetPath(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	a := tn.member.createAsset(t, "p.txt", []byte("p"), "path", ` /Brand\logos//2026/ `)
	if str(a["path"]) != "Brand/logos/2026" {
		t.Errorf("path %q", a["path"])
	}
	u := tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+".json", jsonBody(`{"asset": {"path": "Brand/old"}}`)).want(t, 200).obj(t)
	if str(u["path"]) != "Brand/old" {
		t.Errorf("updated path %q", u["path"])
	}
	tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+".xml", xmlBody(`<asset><path>a/../../b</path></asset>`)).wantError(t, 422, "..")
	if r := tn.guest.get(t, "/api/assets.json?query=path:Brand").want(t, 200); len(r.doc(t).([]any)) != 1 {
		t.Errorf("path:Brand: %s", r)
	}
	tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+".json", form("path", "")).want(t, 200)
	tn.guest.get(t, "/api/assets.json?query=path:Brand").want(t, 404)

	tn.member.send(t, "PUT", "/api/assets/"+id(t, a)+".json", form("unpack", "true")).wantError(t, 422, "unpack")
	tn.member.do(t, "POST", "/api/upload.json?filename=x.txt&path=a", strings.NewReader("x")).wantError(t, 422, "unpack=true")
	tn.member.send(t, "POST", "/api/assets.json", multipartBody(file{"file", "x.zip", nested(t)}, "unpack", "true", "title", "T")).
		wantError(t, 422, "titles")
	tn.member.send(t, "POST", "/api/assets.json", multipartBody(file{"file", "x.zip", nested(t)}, "unpack", "true", "path", "..")).
		wantError(t, 422, "..")

	// Folder names make at most 1,000 tags; without path_tags the
	// same archive unpacks.
	var folders []zipEntry
	for i := range 1001 {
		folders = append(folders, zipEntry{name: fmt.Sprintf("d%04d/f.txt", i), data: fmt.Sprint(i), store: true})
	}
	many := zipOf(t, folders...)
	tn.member.send(t, "POST", "/api/assets.json", multipartBody(file{"file", "f.zip", many}, "unpack", "true", "path_tags", "true")).
		wantError(t, 422, "1001 names")
	doc := tn.member.send(t, "POST", "/api/assets.json", multipartBody(file{"file", "f.zip", many}, "unpack", "true")).want(t, 201).obj(t)
	if n := num(t, doc["assets_count"]); n != 1001 {
		t.Errorf("without path_tags: %d assets", n)
	}
}
