package web_test

import (
	"archive/zip"
	"bytes"
	"context"
	"encoding/json"
	"math/rand/v2"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/chromedp"

	"damask"
	"damask/library"
)

// TestBrowserTusResume: a file whose upload began before a reload is
// picked again, and the page's tus client goes on from where the server
// stands rather than from zero. The first part is sent beforehand and the
// browser's localStorage holds that upload's URL under tus-js-client's
// fingerprint of the file (name, type, size, date, endpoint), as a page
// that was reloaded mid-upload leaves it; the asset that comes out is
// the one that upload became, with every byte. Then a folder picked whole
// goes up file by file, each shown (and sent, as the metadata key path)
// with its folder, which becomes its asset's path; and a zip sent with the
// Unpack and folder-tag boxes ticked is unpacked, its line saying what it
// made and skipped.
func TestBrowserTusResume(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh test")
	}
	e := newEnv(t)
	data := make([]byte, 3<<20)
	rand.NewChaCha8([32]byte{3}).Read(data)
	for i := range data {
		data[i] = 'a' + data[i]%26 // text, so that the browser calls it text/plain
	}
	file := filepath.Join(t.TempDir(), "resume.txt")
	if err := os.WriteFile(file, data, 0o644); err != nil {
		t.Fatal(err)
	}
	mtime := time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC)
	if err := os.Chtimes(file, mtime, mtime); err != nil {
		t.Fatal(err)
	}
	c := e.caller(t, e.ann)
	up, err := e.svc.CreateResumable(t.Context(), c, library.ResumableInput{Length: int64(len(data)),
		Meta: damask.ResumableMeta{Filename: "resume.txt", Asset: true}, Body: bytes.NewReader(data[:1<<20])})
	if err != nil || up.Offset != 1<<20 {
		t.Fatalf("first part: %v, %+v", err, up)
	}

	u := &ui{t: t, base: e.srv.URL, errs: &consoleErrors{}, shots: t.ArtifactDir(), timeout: 2 * time.Minute}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	u.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	u.do("sign in",
		u.open("/signin"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !!document.getElementById("upload-files")`))

	fingerprint := "tus-br-resume.txt-text/plain-" + strconv.Itoa(len(data)) + "-" +
		strconv.FormatInt(mtime.UnixMilli(), 10) + "-/uploads/tus/"
	key := "tus::" + fingerprint + "::1"
	entry, _ := json.Marshal(map[string]any{"size": len(data), "metadata": map[string]string{"filename": "resume.txt"},
		"creationTime": time.Now().String(), "uploadUrl": e.srv.URL + "/uploads/tus/" + up.ID, "urlStorageKey": key})
	keyJS, _ := json.Marshal(key)
	entryJS, _ := json.Marshal(string(entry))
	u.do("resume after a reload",
		void(chromedp.Evaluate[bool](`(() => { localStorage.setItem(`+string(keyJS)+`, `+string(entryJS)+`); return true; })()`)),
		u.open("/"),
		until(`!!document.getElementById("upload-files")`),
		chromedp.SetUploadFiles(chromedp.ID("upload-files"), []string{file}),
		until(`document.querySelectorAll("#uploads li.ok").length === 1`))

	// A folder picked whole: each file goes with its folder's path.
	folder := filepath.Join(t.TempDir(), "trip")
	for _, f := range []string{"day1/a.txt", "day1/b.txt", "notes.txt"} {
		p := filepath.Join(folder, f)
		if err := os.MkdirAll(filepath.Dir(p), 0o755); err != nil {
			t.Fatal(err)
		}
		if err := os.WriteFile(p, []byte("folder file "+f), 0o644); err != nil {
			t.Fatal(err)
		}
	}
	u.do("pick a folder",
		chromedp.SetUploadFiles(chromedp.ID("upload-folder"), []string{folder}),
		until(`document.querySelectorAll("#uploads li.ok").length === 4`))
	names, err := chromedp.Run(ctx, chromedp.Evaluate[[]string](`[...document.querySelectorAll("#uploads li > span:first-child")].map(s => s.textContent).sort()`))
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"resume.txt", "trip/day1/a.txt", "trip/day1/b.txt", "trip/notes.txt"}
	if strings.Join(names, ",") != strings.Join(want, ",") {
		t.Errorf("the uploads list %q, want %q", names, want)
	}

	paths := map[string]string{}
	for _, a := range assetsOf(t, e, c, "path:trip") {
		paths[a.Filename] = a.Path
	}
	if paths["a.txt"] != "trip/day1" || paths["b.txt"] != "trip/day1" || paths["notes.txt"] != "trip" {
		t.Errorf("the folder's assets have the paths %v", paths)
	}

	// A zip with the Unpack and folder-tag boxes ticked: unpacked by the
	// tus upload's metadata, its report in the list as /upload's.
	zipFile := filepath.Join(t.TempDir(), "album.zip")
	var zb bytes.Buffer
	zw := zip.NewWriter(&zb)
	for _, f := range []struct{ name, body string }{{"album/one.txt", "first"}, {"album/sub/two.txt", "second"}, {"empty.txt", ""}} {
		w, err := zw.Create(f.name)
		if err != nil {
			t.Fatal(err)
		}
		w.Write([]byte(f.body))
	}
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(zipFile, zb.Bytes(), 0o644); err != nil {
		t.Fatal(err)
	}
	u.do("unpack a zip",
		chromedp.Click(chromedp.ID("upload-unpack")), chromedp.Click(chromedp.ID("upload-path-tags")),
		chromedp.SetUploadFiles(chromedp.ID("upload-files"), []string{zipFile}),
		until(`document.querySelectorAll("#uploads li.ok").length === 5`))
	state, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("#uploads li:last-child > span:nth-of-type(2)").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	if !strings.HasPrefix(state, "done: 2 files, 1 skipped") {
		t.Errorf("the zip's line says %q", state)
	}
	unpackedPaths := map[string]string{}
	for _, a := range assetsOf(t, e, c, "path:album") {
		unpackedPaths[a.Filename] = a.Path
		if a.Filename == "two.txt" && !slices.ContainsFunc(a.Tags, func(tg damask.Tag) bool { return tg.Name == "sub" }) {
			t.Errorf("two.txt is not tagged with its folder: %v", a.Tags)
		}
	}
	if unpackedPaths["one.txt"] != "album" || unpackedPaths["two.txt"] != "album/sub" {
		t.Errorf("the unpacked assets have the paths %v", unpackedPaths)
	}

	got, err := e.svc.Resumable(t.Context(), c, up.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Offset != int64(len(data)) || got.AssetID == 0 {
		t.Fatalf("the upload begun before the reload did not finish: %+v", got)
	}
	a, err := e.svc.Asset(t.Context(), c, got.AssetID)
	if err != nil {
		t.Fatal(err)
	}
	if a.Size != int64(len(data)) || a.Filename != "resume.txt" {
		t.Errorf("asset %+v", a)
	}
	if n, _ := chromedp.Run(ctx, chromedp.Evaluate[float64](`localStorage.length`)); n != 0 {
		t.Errorf("the finished upload's entry stays in localStorage (%v entries)", n)
	}
}

func assetsOf(t *testing.T, e *env, c library.Caller, q string) []*damask.Asset {
	t.Helper()
	l, err := e.svc.Assets(t.Context(), c, library.AssetQuery{Query: q, Page: damask.Page{Number: 1, Size: 100}})
	if err != nil {
		t.Fatalf("search %s: %v", q, err)
	}
	return l.Assets
}
