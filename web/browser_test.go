package web_test

// The browser test drives Debian's chromium (headless, through chromedp)
// through what a team does in a day: sign in, upload by picking and by
// dropping, watch thumbnails arrive, search, narrow by a tag, open an
// asset, edit it, add a version, download, select with the keyboard and
// delete, restore from the trash, switch the API and brand the library
// with a colour and a logo as the holder. Every
// page must load without a console error. Screenshots go to the test's
// artifact directory (go test -artifacts keeps them); with
// DAMASK_SCREENSHOTS=dir, a few are also copied there (docs/screenshots;
// forDocs names them: TestBrowserStage and TestBrowserInbox copy the
// Stage's and the Inbox form's too).

import (
	"context"
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"sync"
	"testing"
	"time"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/log"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
	"github.com/chromedp/chromedp/kb"

	"damask"
	"damask/library"
)

// consoleErrors collects what the pages log as errors.
type consoleErrors struct {
	mu   sync.Mutex
	msgs []string
}

func (c *consoleErrors) add(m string) {
	c.mu.Lock()
	defer c.mu.Unlock()
	c.msgs = append(c.msgs, m)
}

func (c *consoleErrors) take() []string {
	c.mu.Lock()
	defer c.mu.Unlock()
	m := c.msgs
	c.msgs = nil
	return m
}

// ui drives one browser tab against the test server.
type ui struct {
	t       *testing.T
	ctx     context.Context
	base    string
	errs    *consoleErrors
	shots   string
	docs    string
	shotsN  int
	timeout time.Duration
	// noScript is set while the page's scripts are off: no axe-core then.
	noScript bool
	// audited are the pages axe-core has checked (address, width, scheme).
	audited map[string]bool
	audits  int
}

// do runs the steps of one stage with a generous time limit; on failure
// it saves a screenshot of where the page was.
func (u *ui) do(stage string, steps ...chromedp.Action[chromedp.Void]) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, u.timeout)
	defer cancel()
	if err := chromedp.Do(ctx, steps...); err != nil {
		u.shot("failed-" + stage)
		body, _ := chromedp.Run(u.ctx, chromedp.Evaluate[string](`document.body ? document.body.innerText : ""`))
		u.t.Fatalf("%s: %v\npage text:\n%s", stage, err, body)
	}
	u.audit(stage)
	u.checkConsole(stage)
}

// checkConsole fails the test for every error a page logged.
func (u *ui) checkConsole(stage string) {
	u.t.Helper()
	for _, m := range u.errs.take() {
		u.t.Errorf("%s: console error: %s", stage, m)
	}
}

// forDocs are the screenshots the README shows.
var forDocs = map[string]bool{"library-dark": true, "library": true, "asset": true, "library-phone": true, "account": true, "selection": true, "branding": true,
	"stage": true, "stage-phone": true, "inbox": true, "stages": true, "library-de": true, "form-error-de": true}

// shot saves a screenshot of the whole page as the next artifact.
func (u *ui) shot(name string) {
	u.t.Helper()
	ctx, cancel := context.WithTimeout(u.ctx, u.timeout)
	defer cancel()
	img, err := chromedp.Run(ctx, chromedp.FullScreenshot(85))
	if err != nil {
		u.t.Logf("screenshot %s: %v", name, err)
		return
	}
	u.shotsN++
	file := fmt.Sprintf("%02d-%s.jpg", u.shotsN, name)
	if err := os.WriteFile(filepath.Join(u.shots, file), img, 0o644); err != nil {
		u.t.Errorf("save screenshot: %v", err)
	}
	if u.docs != "" && forDocs[name] {
		if err := os.WriteFile(filepath.Join(u.docs, name+".jpg"), img, 0o644); err != nil {
			u.t.Errorf("copy screenshot: %v", err)
		}
	}
}

// load clicks something that loads a new page and waits for the load.
func load(sel string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.Click(chromedp.CSS(sel), chromedp.NodeVisible))(ctx, t)
		return chromedp.Void{}, err
	}
}

// until waits for a JavaScript condition to hold.
func until(expr string) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := chromedp.Poll[bool](expr, chromedp.WithPollingInterval(100*time.Millisecond), chromedp.WithPollingTimeout(0))(ctx, t)
		return chromedp.Void{}, err
	}
}

func (u *ui) open(path string) chromedp.Action[chromedp.Void] {
	return chromedp.Navigate(u.base + path)
}

func TestBrowser(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh test, which installs Debian's chromium for this test")
	}
	e := newEnvWith(t, true)
	shots := t.ArtifactDir()
	u := &ui{t: t, base: e.srv.URL, errs: &consoleErrors{}, shots: shots, docs: os.Getenv("DAMASK_SCREENSHOTS"), timeout: 2 * time.Minute}
	if u.docs != "" {
		if err := os.MkdirAll(u.docs, 0o755); err != nil {
			t.Fatal(err)
		}
	}

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.WindowSize(1280, 900), chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	u.ctx = ctx
	t.Cleanup(func() { t.Logf("axe-core checked %d pages", u.audits) })
	// The first call starts the browser: no time limit on its context.
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
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
			if ev.Entry.Level == log.EntryLevelError {
				u.errs.add(string(ev.Entry.Source) + ": " + ev.Entry.Text + " " + ev.Entry.URL)
			}
		}
	}); err != nil {
		t.Fatal(err)
	}
	// The browser is in New Zealand: the pages show their times there.
	if _, err := chromedp.Call(ctx, emulation.SetTimezoneOverride, emulation.SetTimezoneOverrideParams{TimezoneID: "Pacific/Auckland"}); err != nil {
		t.Fatal(err)
	}
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}
	// The confirm() before a deletion is accepted.
	dialogs := chromedp.Events(ctx, page.JavascriptDialogOpening)
	go func() {
		for _, err := range dialogs {
			if err != nil {
				return
			}
			chromedp.Call(ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: true})
		}
	}()

	testdata := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "media", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}

	// Sign in as the holder.
	u.do("sign-in form", u.open("/signin"), chromedp.WaitVisible(chromedp.ID("login")))
	u.shot("signin")
	u.do("sign in",
		chromedp.SendKeys(chromedp.ID("login"), "admin"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !!document.getElementById("grid")`))

	// Pick two files, then drop a third made on a canvas; all three get
	// their thumbnails once the workers have made them.
	u.do("pick two files",
		chromedp.SetValue(chromedp.ID("upload-tags"), "launch"),
		chromedp.SetUploadFiles(chromedp.ID("upload-files"), []string{testdata("photo.jpg"), testdata("doc.pdf")}),
		until(`document.querySelectorAll("#uploads li.ok").length === 2`))
	u.do("drop a file",
		chromedp.SetValue(chromedp.ID("upload-tags"), "dropped"),
		void(chromedp.Evaluate[bool](`(async () => {
			const c = document.createElement("canvas");
			c.width = 320; c.height = 200;
			const g = c.getContext("2d");
			g.fillStyle = "#2a7"; g.fillRect(0, 0, 320, 200);
			g.fillStyle = "#fff"; g.fillRect(40, 40, 120, 120);
			const blob = await new Promise(r => c.toBlob(r, "image/png"));
			const dt = new DataTransfer();
			dt.items.add(new File([blob], "canvas.png", {type: "image/png"}));
			document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
			return true;
		})()`, chromedp.EvalAwaitPromise)),
		until(`document.querySelectorAll("#uploads li.ok").length === 3`),
		until(`document.querySelectorAll("#grid .tile img").length === 3 && [...document.querySelectorAll("#grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`))
	u.shot("library")

	// A file the server refuses (an empty one) is marked failed, with its
	// reason and a Retry button; the refusal is the only error logged.
	ctxF, cancelF := context.WithTimeout(ctx, u.timeout)
	defer cancelF()
	if err := chromedp.Do(ctxF,
		void(chromedp.Evaluate[bool](`(() => {
			const dt = new DataTransfer();
			dt.items.add(new File([], "empty.txt", {type: "text/plain"}));
			document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
			return true;
		})()`)),
		until(`[...document.querySelectorAll("#uploads li")].some(li => li.textContent.includes("empty.txt") && li.textContent.includes("File is empty") && !li.querySelector("button").hidden)`)); err != nil {
		t.Fatalf("failed upload: %v", err)
	}
	for _, m := range u.errs.take() {
		if !strings.Contains(m, "422") {
			t.Errorf("failed upload: console error: %s", m)
		}
	}

	// Search with a field filter.
	u.do("search",
		chromedp.SetValue(chromedp.ID("q"), "title:photo"),
		load(`form.search button[type=submit]`),
		until(`document.getElementById("count").textContent.trim() === "1 asset" && document.querySelector("#grid .title").textContent === "photo"`))
	u.shot("search")

	// A tag of the sidebar narrows the library.
	u.do("tag facet",
		u.open("/"),
		until(`document.getElementById("count").textContent.trim() === "3 assets"`),
		load(`a.facet[href*="tags="]:not(.active)`),
		until(`!!document.querySelector("a.facet.active")`))
	tagged, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.querySelector("a.facet.active").firstChild.textContent.trim() + " " + document.getElementById("count").textContent.trim()`))
	if err != nil {
		t.Fatal(err)
	}
	if tagged != "launch 2 assets" && tagged != "dropped 1 asset" {
		t.Errorf("after a click on a tag: %q", tagged)
	}
	u.shot("facet")

	// From the top of the library, Tab reaches the skip link to the
	// results, Enter follows it, and the first asset is two Tabs on.
	u.do("library for the keyboard", u.open("/"), until(`document.querySelectorAll("#grid a.open").length === 3`))
	presses := 0
	for ; presses < 100; presses++ {
		at, err := chromedp.Run(ctx, chromedp.Evaluate[string](`(() => { const a = document.activeElement;
			return a === document.querySelector("#grid a.open") ? "asset" : (a && a.id) || ""; })()`))
		if err != nil {
			t.Fatal(err)
		}
		if at == "asset" {
			break
		}
		key := kb.Tab
		if at == "skip-results" {
			key = kb.Enter
		}
		u.do("keyboard to the first asset", chromedp.KeyEvent(key))
	}
	if presses > 4 {
		t.Errorf("%d key presses from the top of the library to the first asset, want at most 4", presses)
	}

	// "/" goes to the search box; Enter on an asset opens it.
	u.do("open asset",
		u.open("/?q=title%3Aphoto"),
		chromedp.WaitVisible(chromedp.CSS(`#grid a.open`)),
		chromedp.KeyEvent("/"),
		until(`document.activeElement === document.getElementById("q")`),
		chromedp.Focus(chromedp.CSS(`#grid a.open`)),
		void(chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(kb.Enter))),
		until(`document.getElementById("asset-title").textContent === "photo"`),
		until(`document.querySelector(".preview img.large").complete && document.querySelector(".preview img.large").naturalWidth > 0`))
	u.shot("asset")
	u.do("edit title",
		chromedp.SetValue(chromedp.ID("title"), "Sunrise over the bay"),
		load(`#edit button[type=submit]`),
		until(`document.getElementById("asset-title").textContent === "Sunrise over the bay"`))

	// A new version, then the download of the current file.
	u.do("new version",
		chromedp.SetValue(chromedp.ID("comment"), "turned upright"),
		chromedp.SetUploadFiles(chromedp.ID("version-file"), []string{testdata("rotated6.jpg")}),
		load(`#new-version button[type=submit]`),
		until(`document.querySelectorAll("table.versions tbody tr").length === 2`))
	want, err := os.Stat(testdata("rotated6.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	u.do("download", chromedp.Click(chromedp.ID("download"), chromedp.NodeVisible))
	waitForDownload(t, downloads, want.Size())

	// A click then a Shift-click selects the range between.
	u.do("shift-click",
		u.open("/"),
		until(`document.querySelectorAll("#grid .tile").length === 3`),
		chromedp.Click(chromedp.CSS(`#grid .tile:nth-child(1) input[name=ids]`), chromedp.NodeVisible),
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			ns, err := chromedp.Nodes(chromedp.CSS(`#grid .tile:nth-child(3) input[name=ids]`), chromedp.NodeVisible)(ctx, tg)
			if err != nil {
				return chromedp.Void{}, err
			}
			return chromedp.MouseClickNode(ns[0], chromedp.ButtonModifiers(chromedp.ModifierShift))(ctx, tg)
		},
		until(`document.getElementById("selected-count").textContent === "3 selected"`))

	// The three make a collection, which opens; its order changes by
	// keyboard (a tile's Down button) and by dragging.
	u.do("make collection",
		chromedp.SetValue(chromedp.ID("sel-collection"), "Launch kit"),
		load(`#selection button[value=collect]`),
		until(`location.pathname.startsWith("/collections/") && document.querySelectorAll("#grid .tile").length === 3`))
	order := func() string {
		t.Helper()
		got, err := chromedp.Run(ctx, chromedp.Evaluate[string](`[...document.querySelectorAll("#grid .tile")].map(li => li.dataset.id).join(",")`))
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	first := order()
	ids := strings.Split(first, ",")
	u.do("move down by keyboard",
		chromedp.Focus(chromedp.CSS(`#grid .tile:nth-child(1) button[value=down]`)),
		func(ctx context.Context, tg *chromedp.Target) (chromedp.Void, error) {
			_, err := chromedp.WaitEvent(page.LoadEventFired, nil, chromedp.KeyEvent(kb.Enter))(ctx, tg)
			return chromedp.Void{}, err
		},
		until(fmt.Sprintf(`[...document.querySelectorAll("#grid .tile")].map(li => li.dataset.id).join(",") === %q`, ids[1]+","+ids[0]+","+ids[2])),
		until(`document.activeElement !== null`))
	u.shot("collection")
	u.do("drag the last first",
		void(chromedp.Evaluate[bool](`(() => {
			const tiles = [...document.querySelectorAll("#grid .tile")];
			const last = tiles[2], firstTile = tiles[0], r = firstTile.getBoundingClientRect();
			const dt = new DataTransfer();
			last.dispatchEvent(new DragEvent("dragstart", {dataTransfer: dt, bubbles: true}));
			firstTile.dispatchEvent(new DragEvent("dragover", {dataTransfer: dt, bubbles: true, cancelable: true, clientX: r.left + 2, clientY: r.top + 2}));
			firstTile.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true}));
			return true;
		})()`)),
		until(`document.getElementById("order-status").textContent === "Order saved."`),
		chromedp.Reload(),
		until(fmt.Sprintf(`[...document.querySelectorAll("#grid .tile")].map(li => li.dataset.id).join(",") === %q`, ids[2]+","+ids[1]+","+ids[0])))
	u.do("collections page", u.open("/collections"), until(`document.querySelector("#collections a").textContent === "Launch kit"`))
	// The team's Stages and Inboxes: an Inbox made from its form, listed
	// with its address and a form to revoke it.
	u.do("stages page", u.open("/stages"), chromedp.WaitVisible(chromedp.ID("new-inbox")),
		chromedp.SendKeys(chromedp.ID("i-title"), "Photos from the agency"),
		chromedp.SendKeys(chromedp.ID("i-message"), "Send us the shoot, please."),
		chromedp.SendKeys(chromedp.ID("i-max-files"), "20"),
		load(`#new-inbox button`),
		until(`document.querySelectorAll("#inboxes tbody tr").length === 1 && document.getElementById("flash").textContent.includes("/inbox/")`))
	u.shot("stages")

	// Select two with the keyboard and delete them.
	u.do("select two",
		u.open("/"),
		until(`document.querySelectorAll("#grid .tile").length === 3`),
		chromedp.Focus(chromedp.CSS(`#grid .tile:nth-child(1) a.open`)),
		chromedp.KeyEvent(" "),
		chromedp.KeyEvent(kb.ArrowRight),
		until(`document.activeElement === document.querySelector("#grid .tile:nth-child(2) a.open")`),
		chromedp.KeyEvent(" "),
		until(`document.getElementById("selected-count").textContent === "2 selected"`))
	u.shot("selection")
	u.do("delete two",
		load(`#selection button[value=delete]`),
		until(`document.getElementById("count").textContent.trim() === "1 asset"`))

	// Restore one from the trash.
	// Each row shows its asset's thumbnail, loaded, in the list's fixed box.
	u.do("trash", u.open("/trash"), until(`document.querySelectorAll("table.list tbody tr").length === 2`),
		until(`(() => { const is = [...document.querySelectorAll("table.list td.mini img")];
			return is.length > 0 && is.every(i => i.complete && i.naturalWidth > 0 && i.width === 48 && i.height === 48); })()`))
	u.shot("trash")
	u.do("times in the browser's zone", until(`[...document.querySelectorAll("table.list tbody td")].some(td => /^\d{4}-\d\d-\d\d \d\d:\d\d NZ[DS]T$/.test(td.textContent))`))
	// The user's setting goes before the browser's zone.
	u.do("time zone setting",
		load(`#settings-link`),
		chromedp.WaitVisible(chromedp.ID("time-zone")),
		until(`document.getElementById("time-zone-help").textContent.includes("(now Pacific/Auckland)")`),
		chromedp.SetValue(chromedp.ID("time-zone"), "America/New_York"),
		load(`#settings button[type=submit]`),
		until(`document.getElementById("flash").textContent === "Saved. Times are shown in America/New_York."`),
		u.open("/trash"),
		until(`[...document.querySelectorAll("table.list tbody td")].some(td => / E[DS]T$/.test(td.textContent))`))
	u.do("restore",
		load(`form[action$="/restore"] button`),
		until(`document.querySelectorAll("table.list tbody tr").length === 1`),
		u.open("/"),
		until(`document.getElementById("count").textContent.trim() === "2 assets"`))

	// Dark mode: every page again as the system asks for dark colours, at
	// desktop and phone width, with axe-core on each.
	u.dark(true)
	u.do("dark library", u.open("/"), until(`document.querySelectorAll("#grid .tile img").length === 2`),
		until(`getComputedStyle(document.body).backgroundColor === "rgb(18, 20, 22)"`))
	u.shot("library-dark")
	for _, w := range []int64{1280, 390} {
		u.do(fmt.Sprintf("dark at %d", w), chromedp.EmulateViewport(w, 900))
		for _, p := range []string{"/", "/?view=list", "/collections", "/stages", "/trash", "/account", "/people", "/tokens", "/settings"} {
			u.do(fmt.Sprintf("dark %s at %d", p, w), u.open(p), chromedp.WaitVisible(chromedp.CSS("main")))
		}
		u.do(fmt.Sprintf("dark asset at %d", w), u.open("/"), load(`#grid a.open`), chromedp.WaitVisible(chromedp.ID("download")))
	}
	u.do("dark done", chromedp.EmulateViewport(1280, 900))
	u.dark(false)

	// The holder switches the API on, off and on again.
	u.do("account", u.open("/account"), chromedp.WaitVisible(chromedp.ID("api-switch")))
	u.shot("account")
	for i, state := range []string{"on", "off", "on"} {
		steps := []chromedp.Action[chromedp.Void]{}
		if state == "on" {
			steps = append(steps, chromedp.Click(chromedp.ID("agree"), chromedp.NodeVisible))
		}
		steps = append(steps, load(`#api-switch`), until(fmt.Sprintf(`document.getElementById("api-state").textContent === %q`, state)))
		u.do(fmt.Sprintf("switch API %s (%d)", state, i), steps...)
	}
	a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount)
	if err != nil || !a.APIEnabled {
		t.Errorf("API after on, off, on: %v (%v)", a != nil && a.APIEnabled, err)
	}
	// The holder brands the library: a top colour and a logo, which the
	// header of every page then shows.
	u.do("branding",
		u.open("/account#branding"),
		chromedp.WaitVisible(chromedp.ID("branding-form")),
		chromedp.SetValue(chromedp.ID("brand-title"), "Acme assets"),
		chromedp.SetValue(chromedp.ID("brand-top"), "#0a6ebd"),
		chromedp.SetUploadFiles(chromedp.ID("brand-logo"), []string{testdata("alpha.png")}),
		load(`#branding-save`),
		chromedp.WaitVisible(chromedp.ID("logo-remove")),
		u.open("/"),
		until(`(() => { const l = document.getElementById("logo");
			return l && l.complete && l.naturalWidth === 300 && l.getBoundingClientRect().height === 40 &&
				getComputedStyle(document.querySelector("header.top")).backgroundColor === "rgb(10, 110, 189)" &&
				document.querySelector("header.top .brand").textContent.trim() === "Acme assets"; })()`),
		until(`document.querySelectorAll("#grid .tile img").length === 2`))
	u.shot("branding")
	// In dark mode the account's colours stay where they are chosen.
	u.dark(true)
	u.do("dark branding", u.open("/"), until(`getComputedStyle(document.querySelector("header.top")).backgroundColor === "rgb(10, 110, 189)" &&
		getComputedStyle(document.body).backgroundColor === "rgb(18, 20, 22)"`))
	u.shot("branding-dark")
	u.dark(false)
	if a, err := e.svc.AccountByName(t.Context(), library.DefaultAccount); err != nil || a.Branding.Logo == "" || a.Branding.TopColor != "#0a6ebd" {
		t.Errorf("branding after the form: %+v (%v)", a.Branding, err)
	}
	for _, p := range []string{"/people", "/tokens"} {
		u.do("page "+p, u.open(p), chromedp.WaitVisible(chromedp.CSS("h1")))
		u.shot(strings.TrimPrefix(p, "/"))
	}

	// With JavaScript off, search, browse and open an asset still work.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	u.noScript = true
	u.do("no script: search",
		u.open("/"),
		chromedp.SetValue(chromedp.ID("q"), "-nosuchword"),
		load(`form.search button[type=submit]`),
		chromedp.WaitVisible(chromedp.CSS(`#grid a.open`)))
	if n, err := chromedp.Run(ctx, chromedp.Text(chromedp.ID("count"))); err != nil || strings.TrimSpace(n) != "2 assets" {
		t.Errorf("no script: count %q (%v)", n, err)
	}
	u.do("no script: open", load(`#grid a.open`), chromedp.WaitVisible(chromedp.ID("download")))
	u.shot("no-script-asset")
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}
	u.noScript = false

	// At phone width the library still works.
	u.do("phone", chromedp.EmulateViewport(390, 844), u.open("/"), until(`document.querySelectorAll("#grid .tile img").length === 2`))
	u.shot("library-phone")
	u.do("desktop again", chromedp.EmulateViewport(1280, 900))

	// A member sees no Account and cannot switch the API.
	u.do("sign out", load(`form[action="/signout"] button`), chromedp.WaitVisible(chromedp.ID("login")))
	u.do("member signs in",
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !document.querySelector('a[href="/account"]') && !document.querySelector('a[href="/people"]')`))
	ctx2, cancel2 := context.WithTimeout(ctx, u.timeout)
	defer cancel2()
	if err := chromedp.Do(ctx2, u.open("/account"), until(`document.body.innerText.includes("Only the account holder")`)); err != nil {
		t.Fatalf("member on /account: %v", err)
	}
	// The 403 is the answer wanted here; the browser logs it as an error.
	for _, m := range u.errs.take() {
		if !strings.Contains(m, "403") {
			t.Errorf("member on /account: console error: %s", m)
		}
	}
	if a, _ := e.svc.AccountByName(t.Context(), library.DefaultAccount); a == nil || !a.APIEnabled {
		t.Error("the API changed while the member looked")
	}
	// And the server refuses the member's form, whatever the page showed.
	ann := e.signedIn(t, "ann")
	if res := ann.post("/account/api", map[string][]string{"csrf": {token(t, ann.get("/"))}, "api": {"off"}}); res.status != 403 {
		t.Errorf("member's API switch: status %d", res.status)
	}
	if e.ann.Role != damask.RoleMember {
		t.Errorf("ann is %s", e.ann.Role)
	}
}

// waitForDownload waits for a finished file of the size in dir.
func waitForDownload(t *testing.T, dir string, size int64) {
	t.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		es, _ := os.ReadDir(dir)
		for _, e := range es {
			if strings.HasSuffix(e.Name(), ".crdownload") {
				continue
			}
			if fi, err := e.Info(); err == nil && fi.Size() == size {
				return
			}
		}
		if time.Now().After(deadline) {
			t.Fatalf("no download of %d bytes in %s: %v", size, dir, es)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// dark turns the emulated prefers-color-scheme: dark on or off.
func (u *ui) dark(on bool) {
	u.t.Helper()
	v := "light"
	if on {
		v = "dark"
	}
	if _, err := chromedp.Call(u.ctx, emulation.SetEmulatedMedia, emulation.SetEmulatedMediaParams{
		Features: []*emulation.MediaFeature{{Name: "prefers-color-scheme", Value: v}}}); err != nil {
		u.t.Fatal(err)
	}
}

// void drops an action's value.
func void[T any](a chromedp.Action[T]) chromedp.Action[chromedp.Void] {
	return func(ctx context.Context, t *chromedp.Target) (chromedp.Void, error) {
		_, err := a(ctx, t)
		return chromedp.Void{}, err
	}
}
