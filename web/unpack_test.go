package web_test

import (
	"archive/zip"
	"bytes"
	"encoding/json"
	"html"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

func zipBytes(t *testing.T, files ...[2]string) string {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	for _, f := range files {
		w, err := zw.Create(f[0])
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f[1]))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.String()
}

// scriptUpload sends one file as the scripts do, with the extra query.
func (b *browser) scriptUpload(name, body string, q url.Values) response {
	b.t.Helper()
	q.Set("filename", name)
	req, err := http.NewRequest(http.MethodPost, b.base+"/upload?"+q.Encode(), strings.NewReader(body))
	if err != nil {
		b.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/octet-stream")
	req.Header.Set("X-CSRF-Token", token(b.t, b.get("/")))
	return b.do(req)
}

// TestFolderUpload: a file of a picked or dropped folder keeps its folder
// as path, shown on the asset page and in the library; a zip sent with
// "Unpack" (by the scripts, or the form without them) becomes an asset
// per file, with folder tags when asked; the edit form changes the folder.
func TestFolderUpload(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	res := b.want(b.scriptUpload("a.txt", "in a folder", url.Values{"path": {"Shoot/day 1"}}), http.StatusCreated)
	var one struct{ ID int64 }
	if err := json.Unmarshal([]byte(res.body), &one); err != nil || one.ID == 0 {
		t.Fatalf("upload: %v %s", err, res.body)
	}
	asset := "/assets/" + strconv.FormatInt(one.ID, 10)
	page := b.want(b.get(asset), http.StatusOK)
	if !strings.Contains(page.body, `value="Shoot/day 1"`) || !strings.Contains(page.body, `id="folder"`) {
		t.Errorf("the asset page does not show the folder")
	}
	if lib := b.get("/"); !strings.Contains(lib.body, `<span class="path" title="Folder">Shoot/day 1</span>`) {
		t.Errorf("the library's card does not show the folder")
	}

	archive := zipBytes(t, [2]string{"Shoot/day 2/b.txt", "b"}, [2]string{"Shoot/c.txt", "c"}, [2]string{"Shoot/day 2/dup.txt", "in a folder"})
	res = b.want(b.scriptUpload("shoot.zip", archive, url.Values{"unpack": {"1"}, "path_tags": {"1"}, "path": {"Imports"}}), http.StatusCreated)
	var rep struct {
		Assets  []struct{ ID int64 }
		Skipped []struct{ Name, Reason string }
	}
	if err := json.Unmarshal([]byte(res.body), &rep); err != nil || len(rep.Assets) != 2 || len(rep.Skipped) != 1 || rep.Skipped[0].Reason != "duplicate" {
		t.Fatalf("unpack: %v %s", err, res.body)
	}
	c := e.caller(t, e.ann)
	l, err := e.svc.Assets(t.Context(), c, library.AssetQuery{Query: `path:"Imports/Shoot/day 2"`, Page: damask.Page{Number: 1, Size: 10}})
	if err != nil || l.Total != 1 || l.Assets[0].Filename != "b.txt" {
		t.Fatalf("path search: %+v, %v", l, err)
	}
	var tags []string
	for _, tg := range l.Assets[0].Tags {
		tags = append(tags, tg.Name)
	}
	if strings.Join(tags, ",") != "day 2,Imports,Shoot" {
		t.Errorf("folder tags %q", tags)
	}

	// Without scripts: the form's checkbox, and a zip only is unpacked.
	csrf := token(t, b.get("/"))
	b.want(b.multipart("/upload", [][2]string{{"csrf", csrf}, {"unpack", "1"}},
		map[string]string{"form.zip": zipBytes(t, [2]string{"F/x.txt", "x"}), "plain.txt": "plain"}), http.StatusSeeOther)
	// A folder picked without scripts: the browser names each file by
	// its relative path.
	b.want(b.multipart("/upload", [][2]string{{"csrf", csrf}, {"path", "Picked"}},
		map[string]string{"Trip/day 1/pic.txt": "picked in a folder"}), http.StatusSeeOther)
	for q, want := range map[string]int{"path:F": 1, `title:plain`: 1, `path:"Picked/Trip/day 1"`: 1} {
		l, err := e.svc.Assets(t.Context(), c, library.AssetQuery{Query: q, Page: damask.Page{Number: 1, Size: 10}})
		if err != nil || l.Total != want {
			t.Errorf("%s: %d, %v; want %d", q, l.Total, err, want)
		}
	}

	// A bad archive is refused whole, with the library's message.
	bad := b.scriptUpload("bad.zip", zipBytes(t, [2]string{"ok.txt", "ok"}, [2]string{"../x", "x"}), url.Values{"unpack": {"1"}})
	if bad.status != 422 || !strings.Contains(bad.body, "outside") {
		t.Errorf("bad archive: %d %s", bad.status, bad.body)
	}

	// The edit form moves the asset; a form without the field leaves it.
	b.want(b.post(asset, url.Values{"csrf": {csrf}, "title": {"a"}, "description": {""}, "tags": {""}, "path": {"/Moved//here/"}}), http.StatusSeeOther)
	if p := b.get(asset); !strings.Contains(p.body, `value="Moved/here"`) {
		t.Errorf("edit: the folder is not Moved/here")
	}
	b.want(b.post(asset, url.Values{"csrf": {csrf}, "title": {"a"}, "description": {""}, "tags": {""}}), http.StatusSeeOther)
	if p := b.get(asset); !strings.Contains(p.body, html.EscapeString(`path:"Moved/here"`)) && !strings.Contains(p.body, `value="Moved/here"`) {
		t.Errorf("edit without the field: the folder changed")
	}
}
