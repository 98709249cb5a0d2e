package hardening

import (
	"archive/zip"
	"encoding/json"
	"fmt"
	"net/http"
	"net/url"
	"slices"
	"strconv"
	"strings"
	"testing"

	"damask/servertest"
)

// TestR45_ThousandsInOneRequest: one request naming thousands of tags (on
// an asset's create or update, as a form, XML or JSON, a tag of the tags
// API, the pages' edit form and the selection's tagging) is refused with
// the limit stated (422) and makes nothing, while as many as allowed are
// taken; a zip selection naming one id thousands of times holds the file
// once, and a selection past the limits is refused (413) saying them.
func TestR45_ThousandsInOneRequest(t *testing.T) {
	l := start(t)
	member, _ := addUser(t, l.admin, "mia", "member")
	names := func(prefix string, n int) []string {
		out := make([]string, n)
		for i := range out {
			out[i] = prefix + strconv.Itoa(i)
		}
		return out
	}
	tagCount := func() int {
		t.Helper()
		st, h, b := member.Request("GET", "/api/tags.json?per_page=1", "", nil)
		if st == http.StatusNotFound {
			return 0
		}
		n, err := strconv.Atoi(h.Get("X-Total-Count"))
		if st != http.StatusOK || err != nil {
			t.Fatalf("tags: %d: %s", st, b)
		}
		return n
	}
	assetCount := func() int {
		t.Helper()
		_, h, _ := member.Request("GET", "/api/assets.json?per_page=1", "", nil)
		n, _ := strconv.Atoi(h.Get("X-Total-Count"))
		return n
	}
	refused := func(t *testing.T, what string, st int, b []byte, status int, limit string) {
		t.Helper()
		if st != status || !strings.Contains(string(b), limit) {
			t.Errorf("%s: %d, want %d stating %q: %.300s", what, st, status, limit, b)
		}
	}
	file := []byte("a file to tag\n")
	asset := idOf(t, member.Form(http.StatusCreated, "POST", "/api/assets.json", "a.txt", file))
	other := idOf(t, member.Form(http.StatusCreated, "POST", "/api/assets.json", "b.txt", []byte("another file\n")))
	upload := idOf(t, member.Form(http.StatusCreated, "POST", "/api/upload.json", "c.txt", []byte("an upload\n")))

	xmlTags := func(list []string) []byte {
		var b strings.Builder
		b.WriteString(`<?xml version="1.0" encoding="UTF-8"?><asset><tags type="array">`)
		for _, n := range list {
			fmt.Fprintf(&b, "<tag><tag>%s</tag></tag>", n)
		}
		b.WriteString("</tags></asset>")
		return []byte(b.String())
	}
	jsonTags := func(v any) []byte {
		b, _ := json.Marshal(map[string]any{"tags": v})
		return b
	}
	objects := make([]map[string]string, 5000)
	for i := range objects {
		objects[i] = map[string]string{"tag": "o" + strconv.Itoa(i)}
	}
	form := func(kv ...string) (string, []byte) {
		v := url.Values{}
		for i := 0; i+1 < len(kv); i += 2 {
			v.Add(kv[i], kv[i+1])
		}
		return "application/x-www-form-urlencoded", []byte(v.Encode())
	}

	// The API.
	{
		list := strings.Join(names("t", 5000), ",")
		formCT, formBody := form("tags", list)
		spacedCT, spacedBody := form("asset[tags]", strings.Join(names("s", 5000), " "))
		newCT, newBody := form("upload_id", upload, "tags", list)
		multiTags, multiTagsCT := servertest.Multipart("d.txt", []byte("one step\n"), "tags", list)
		for _, tc := range []struct {
			what, method, path, ct string
			body                   []byte
		}{
			{"update, comma list in a form", "PUT", "/api/assets/" + asset + ".xml", formCT, formBody},
			{"update, space list in a nested form", "PUT", "/api/assets/" + asset + ".json", spacedCT, spacedBody},
			{"update, XML array", "PUT", "/api/assets/" + asset + ".xml", "application/xml", xmlTags(names("x", 5000))},
			{"update, JSON array", "PUT", "/api/assets/" + asset + ".json", "application/json", jsonTags(names("j", 5000))},
			{"update, JSON objects", "PUT", "/api/assets/" + asset + ".json", "application/json", jsonTags(objects)},
			{"update, one more than allowed", "PUT", "/api/assets/" + asset + ".json", "application/json", jsonTags(names("j", 101))},
			{"create from an upload", "POST", "/api/assets.json", newCT, newBody},
			{"create in one step", "POST", "/api/assets.xml", multiTagsCT, multiTags},
		} {
			st, b := member.Do(tc.method, tc.path, tc.ct, tc.body)
			refused(t, tc.what, st, b, http.StatusUnprocessableEntity, "at most 100 tags")
		}
		if n := tagCount(); n != 0 {
			t.Errorf("%d tags made by refused requests", n)
		}
		if n := assetCount(); n != 2 {
			t.Errorf("%d assets after refused creates, want 2", n)
		}
		// The refused create left its upload to be used.
		member.Must(http.StatusOK, "GET", "/api/uploads/"+upload+".json", "", nil)

		// The tags API makes one tag a request: a list is no name.
		st, b := l.admin.Do("POST", "/api/tags.json", "application/json", []byte(`{"tag":"`+list+`"}`))
		if st != http.StatusUnprocessableEntity || tagCount() != 0 {
			t.Errorf("a tag named by 5000: %d, %d tags: %.200s", st, tagCount(), b)
		}

		// One name thousands of times is one tag; exactly the limit is taken.
		member.Must(http.StatusOK, "PUT", "/api/assets/"+asset+".json", "application/json", jsonTags(slices.Repeat([]string{"same"}, 5000)))
		if n := tagCount(); n != 1 {
			t.Errorf("one name 5000 times made %d tags", n)
		}
		d := doc(t, member.Must(http.StatusOK, "PUT", "/api/assets/"+asset+".json", "application/json", jsonTags(names("k", 100))))
		if n := len(d["tags"].([]any)); n != 100 {
			t.Errorf("the asset carries %d tags, want 100", n)
		}
	}

	// The pages, signed in.
	{
		m := l.browser(t, "")
		m.signIn("mia", "password of mia")
		csrf := m.csrf(m.get("/"))
		before := tagCount()
		list := strings.Join(names("w", 5000), ",")
		res := m.post("/assets/"+other, url.Values{"csrf": {csrf}, "title": {"b"}, "tags": {list}})
		refused(t, "the edit form", res.status, []byte(res.body), http.StatusUnprocessableEntity, "at most 100 tags")
		res = m.post("/selection", url.Values{"csrf": {csrf}, "action": {"tag"}, "tag": {list}, "ids": {asset, other}})
		refused(t, "the selection's tagging", res.status, []byte(res.body), http.StatusUnprocessableEntity, "at most 100 tags")
		// asset carries 100 tags: one more on the selection changes
		// neither asset.
		res = m.post("/selection", url.Values{"csrf": {csrf}, "action": {"tag"}, "tag": {"extra"}, "ids": {other, asset}})
		refused(t, "a 101st tag through the selection", res.status, []byte(res.body), http.StatusUnprocessableEntity, "at most 100 tags")
		if n := tagCount(); n != before {
			t.Errorf("%d tags after refused pages, want %d", n, before)
		}
		if d := doc(t, member.Must(http.StatusOK, "GET", "/api/assets/"+other+".json", "", nil)); len(d["tags"].([]any)) != 0 {
			t.Errorf("the other asset was tagged by a refused selection: %v", d["tags"])
		}

		zipOf := func(ids []string) page {
			return m.post("/selection", url.Values{"csrf": {csrf}, "action": {"download"}, "ids": ids})
		}
		for _, n := range []int{1000, 5000} {
			res := zipOf(slices.Repeat([]string{asset}, n))
			if res.status != http.StatusOK {
				t.Fatalf("zip of one id %d times: %d: %.300s", n, res.status, res.body)
			}
			zr, err := zip.NewReader(strings.NewReader(res.body), int64(len(res.body)))
			if err != nil {
				t.Fatal(err)
			}
			if len(zr.File) != 1 || int(zr.File[0].UncompressedSize64) != len(file) {
				t.Errorf("zip of one id %d times: %d entries, want the file once", n, len(zr.File))
			}
		}
		// Past the form's limits: 10,001 fields in 60 KB, and 72 KB.
		res = zipOf(slices.Repeat([]string{"1"}, 10001))
		refused(t, "a selection of 10,001 ids", res.status, []byte(res.body), http.StatusRequestEntityTooLarge, "10000 fields")
		res = zipOf(slices.Repeat([]string{asset}, 12000))
		refused(t, "a selection of 72 KB", res.status, []byte(res.body), http.StatusRequestEntityTooLarge, "64 KiB")
	}
	l.CheckLog()
}
