package web_test

// The browser test of the forms' flows and the layout, at desktop and
// phone width (go test -run TestBrowserFlows): a refused form comes back
// with the error by its field, a save says so, the trash asks before it
// empties, the active filters show as chips, and the layout holds: an
// asset without a preview keeps "Download original" in its card, People
// does not overflow a phone, and on a phone the first thumbnail shows
// without scrolling.

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"damask"
	"damask/library"
)

// The README shows three of this test's screenshots too.
func init() {
	for _, name := range []string{"form-error-desktop", "chips-desktop", "confirm"} {
		forDocs[name] = true
	}
}

// newUI starts a headless chromium on the env's server; the browser's
// errors are collected for checkConsole.
func newUI(t *testing.T, e *env) *ui {
	t.Helper()
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh test, which installs Debian's chromium for this test")
	}
	u := &ui{t: t, base: e.srv.URL, errs: &consoleErrors{}, shots: t.ArtifactDir(), docs: os.Getenv("DAMASK_SCREENSHOTS"), timeout: 2 * time.Minute}
	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	t.Cleanup(cancelAlloc)
	ctx, cancel := chromedp.NewContext(alloc)
	t.Cleanup(cancel)
	u.ctx = ctx
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	t.Cleanup(func() { t.Logf("axe-core checked %d pages", u.audits) })
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError || ev.Type == runtime.ConsoleAPICalledTypeAssert {
				var parts []string
				for _, a := range ev.Args {
					parts = append(parts, string(a.Value)+a.Description)
				}
				u.errs.add("console." + string(ev.Type) + ": " + strings.Join(parts, " "))
			}
		case *runtime.EventExceptionThrown:
			u.errs.add((&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		case *log.EventEntryAdded:
			// A refused form answers 422 and a missing page 404, as
			// they must: the browser logs those, and they are no fault.
			if ev.Entry.Level == log.EntryLevelError && !strings.Contains(ev.Entry.Text, "422") && !strings.Contains(ev.Entry.Text, "404") {
				u.errs.add(string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	return u
}

// check evaluates a JavaScript condition that must hold now.
func (u *ui) check(what, expr string) {
	u.t.Helper()
	ok, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](expr))
	if err != nil || !ok {
		u.shot("failed-" + strings.ReplaceAll(what, " ", "-"))
		u.t.Errorf("%s: %v (%s)", what, err, expr)
	}
}

func TestBrowserFlows(t *testing.T) {
	e := newEnvWith(t, true)
	c := e.caller(t, mustUser(t, e, "admin"))
	add := func(name, tags string) int64 {
		p := filepath.Join("..", "media", "testdata", name)
		f, err := os.Open(p)
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: f, Filename: name, Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: in, Tags: &tags})
		if err != nil {
			t.Fatal(err)
		}
		return a.ID
	}
	photo := add("photo.jpg", "sea")
	zip := add("archive.zip", "docs")
	add("doc.pdf", "docs")
	clip := add("clip.mp4", "film")
	e.addUser(t, "gus", damask.RoleGuest)
	// A long line of text and a file that fails: no preview either.
	txt, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: strings.NewReader(strings.Repeat("words ", 200)),
		Filename: "notes-with-a-rather-long-name-that-goes-on-and-on.txt", Length: -1})
	if err != nil {
		t.Fatal(err)
	}
	if _, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: txt}); err != nil {
		t.Fatal(err)
	}
	// Wait for the workers: the photo's thumbnails, the others' outcome.
	deadline := time.Now().Add(2 * time.Minute)
	for {
		a, err := e.svc.Asset(t.Context(), c, photo)
		z, err2 := e.svc.Asset(t.Context(), c, zip)
		v, err3 := e.svc.Asset(t.Context(), c, clip)
		if err == nil && err2 == nil && err3 == nil && a.Processing != damask.ProcessingPending && z.Processing != damask.ProcessingPending &&
			v.Processing != damask.ProcessingPending {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the assets were not processed in two minutes")
		}
		time.Sleep(200 * time.Millisecond)
	}

	u := newUI(t, e)
	u.do("sign in",
		u.open(fmt.Sprintf("/assets/%d", zip)),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		// Back to the page asked for.
		until(fmt.Sprintf(`location.pathname === "/assets/%d"`, zip)))

	for _, size := range []struct {
		name string
		w, h int64
	}{{"desktop", 1280, 900}, {"phone", 375, 667}} {
		u.do("viewport "+size.name, chromedp.EmulateViewport(size.w, size.h))
		// An asset without a preview keeps its button in its card.
		for _, id := range []int64{zip, photo} {
			u.do(fmt.Sprintf("asset %d at %s", id, size.name), u.open(fmt.Sprintf("/assets/%d", id)), chromedp.WaitVisible(chromedp.ID("download")))
			u.check("download inside the preview's card at "+size.name, `(() => {
				const b = document.getElementById("download").getBoundingClientRect();
				const s = document.querySelector("section.preview").getBoundingClientRect();
				return b.top >= s.top && b.bottom <= s.bottom + 1 && b.left >= s.left && b.right <= s.right + 1; })()`)
			u.check("no page overflow on the asset at "+size.name, `document.documentElement.scrollWidth <= window.innerWidth`)
		}
		u.shot("asset-no-preview-" + size.name)
		// People fits the width.
		u.do("people at "+size.name, u.open("/people"), chromedp.WaitVisible(chromedp.ID("users")))
		u.check("people within the width at "+size.name, `document.documentElement.scrollWidth <= window.innerWidth`)
		u.shot("people-" + size.name)
		// The library: the first thumbnail shows without scrolling.
		u.do("library at "+size.name, u.open("/"),
			until(`(() => { const i = document.querySelector("#grid .tile img"); return i && i.complete && i.naturalWidth > 0; })()`))
		u.check("first thumbnail above the fold at "+size.name, `(() => {
			const r = document.querySelector("#grid .tile .thumb").getBoundingClientRect();
			return r.top >= 0 && r.bottom <= window.innerHeight; })()`)
		u.check("no page overflow on the library at "+size.name, `document.documentElement.scrollWidth <= window.innerWidth`)
		u.shot("layout-library-" + size.name)

		// A title too long comes back by its field, kept; fixed, it saves
		// and says so.
		long := strings.Repeat("x", 256)
		u.do("refused title at "+size.name,
			u.open(fmt.Sprintf("/assets/%d", photo)),
			chromedp.WaitVisible(chromedp.ID("title")),
			chromedp.SetValue(chromedp.ID("title"), long),
			chromedp.SetValue(chromedp.ID("description"), "kept words"),
			load(`#edit button[type=submit]`),
			chromedp.WaitVisible(chromedp.ID("title-error")))
		u.check("kept input at "+size.name, fmt.Sprintf(`document.getElementById("title").value === %q && document.getElementById("description").value === "kept words" && document.getElementById("title").getAttribute("aria-invalid") === "true" && !!document.querySelector("header.top nav")`, long))
		u.shot("form-error-" + size.name)
		u.do("saved at "+size.name,
			chromedp.SetValue(chromedp.ID("title"), "Photo "+size.name),
			load(`#edit button[type=submit]`),
			chromedp.WaitVisible(chromedp.ID("flash")),
			until(`document.getElementById("flash").textContent === "Saved."`))
		u.do("flash gone on reload at "+size.name, chromedp.Reload(), chromedp.WaitVisible(chromedp.ID("edit")))
		u.check("flash once at "+size.name, `!document.getElementById("flash")`)

		// The tag chosen in the sidebar stays as a chip through a new
		// search; an empty result says why and clears in one click.
		u.do("chips at "+size.name,
			u.open("/"),
			load(`a.facet[href*="tags="]`),
			chromedp.WaitVisible(chromedp.ID("chips")),
			chromedp.SetValue(chromedp.ID("q"), "nosuchword"),
			load(`form.search button[type=submit]`),
			chromedp.WaitVisible(chromedp.ID("clear-empty")))
		u.check("chips name the filters at "+size.name, `document.querySelectorAll("#chips a.chip").length === 2 && document.getElementById("empty").textContent.includes("No assets match")`)
		u.shot("chips-" + size.name)
		u.do("clear filters at "+size.name, load(`#clear-empty`), until(`document.querySelectorAll("#grid .tile").length === 5`))

		// Out of range: says so and links to the last page.
		u.do("out of range at "+size.name, u.open("/?page=9"), chromedp.WaitVisible(chromedp.ID("last-page")),
			load(`#last-page`), until(`document.querySelectorAll("#grid .tile").length === 5`))
	}

	// Emptying the trash asks on a page of its own, without JavaScript's
	// confirm; Cancel deletes nothing.
	u.do("viewport desktop again", chromedp.EmulateViewport(1280, 900))
	u.do("move to trash",
		u.open(fmt.Sprintf("/assets/%d", zip)),
		load(`form.delete button`),
		chromedp.WaitVisible(chromedp.ID("flash")),
		u.open("/trash"),
		load(`form[action="/trash/empty"] button`),
		chromedp.WaitVisible(chromedp.ID("confirm")))
	u.shot("confirm")
	u.do("cancel", load(`#cancel`), until(`document.querySelectorAll("table.list tbody tr").length === 1`))
	u.do("confirm",
		load(`form[action="/trash/empty"] button`),
		load(`#confirm button`),
		until(`document.getElementById("flash").textContent.startsWith("The trash was emptied")`))

	// A page that is not there, in the layout with its menu.
	u.do("404", u.open(fmt.Sprintf("/assets/%d", zip)), chromedp.WaitVisible(chromedp.ID("error-message")))
	u.check("404 in the layout", `!!document.querySelector("header.top nav") && document.title.startsWith("Not Found")`)
	u.shot("not-found")

	// A guest plays the video's preview in the page.
	u.do("sign out", u.open("/"), load(`form[action="/signout"] button`), chromedp.WaitVisible(chromedp.ID("login")))
	u.do("guest signs in",
		u.open(fmt.Sprintf("/assets/%d", clip)),
		chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "gus"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(fmt.Sprintf(`location.pathname === "/assets/%d"`, clip)),
		until(`(() => { const v = document.querySelector(".preview video"); return v && v.readyState >= 1 && v.duration > 1.5; })()`))
	u.check("guest plays the preview", `document.querySelector(".preview video").currentSrc.endsWith("/playback") && !document.getElementById("download")`)
	u.shot("guest-video")
	u.checkConsole("end")
}
