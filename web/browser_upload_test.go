package web_test

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"github.com/chromedp/cdproto/cdp"
	"github.com/chromedp/cdproto/fetch"
	"github.com/chromedp/cdproto/page"
	"github.com/chromedp/chromedp"
)

// dropFiles drops text files (name and content) on the library's page.
func dropFiles(files ...[2]string) chromedp.Action[chromedp.Void] {
	js := `(() => { const dt = new DataTransfer();`
	for _, f := range files {
		js += fmt.Sprintf(`dt.items.add(new File([%q], %q, {type: "text/plain"}));`, f[1], f[0])
	}
	js += `document.body.dispatchEvent(new DragEvent("drop", {dataTransfer: dt, bubbles: true, cancelable: true})); return true; })()`
	return void(chromedp.Evaluate[bool](js))
}

// TestBrowserUploadTray walks the upload tray (go test -run
// TestBrowserUploadTray; not short): a summary that folds, a grid that
// does not move, a duplicate kept or skipped, and a warning before
// leaving while a file is still on its way.
func TestBrowserUploadTray(t *testing.T) {
	e := newEnv(t)
	u := newUI(t, e)
	var mu sync.Mutex
	var dialogs []page.DialogType
	go func() {
		for ev, err := range chromedp.Events(u.ctx, page.JavascriptDialogOpening) {
			if err != nil {
				return
			}
			mu.Lock()
			dialogs = append(dialogs, ev.Type)
			mu.Unlock()
			// Stay on the page.
			chromedp.Call(u.ctx, page.HandleJavaScriptDialog, page.HandleJavaScriptDialogParams{Accept: false})
		}
	}()
	seen := func() []page.DialogType {
		mu.Lock()
		defer mu.Unlock()
		return append([]page.DialogType(nil), dialogs...)
	}

	u.do("sign in", u.open("/signin"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !!document.getElementById("grid")`))
	e.seed(t, "old", 2)
	u.do("library", u.open("/"), until(`document.querySelectorAll("#grid .tile").length === 2`))
	top, err := chromedp.Run(u.ctx, chromedp.Evaluate[float64](`document.getElementById("grid").getBoundingClientRect().top`))
	if err != nil {
		t.Fatal(err)
	}
	var files [][2]string
	for i := range 12 {
		files = append(files, [2]string{fmt.Sprintf("note-%02d.txt", i), fmt.Sprintf("note number %d", i)})
	}
	u.do("twelve files", dropFiles(files...),
		until(`document.getElementById("tray-summary").textContent === "12 of 12 done"`),
		until(`document.querySelectorAll("#grid .tile").length === 14`))
	u.shot("upload-tray")
	u.check("the grid stays where it was", fmt.Sprintf(`Math.abs(document.getElementById("grid").getBoundingClientRect().top - %f) < 1`, top))
	u.check("the tray floats", `getComputedStyle(document.getElementById("upload-tray")).position === "fixed"`)
	u.do("fold the tray", chromedp.Click(chromedp.CSS(`#upload-tray summary`), chromedp.NodeVisible),
		until(`!document.getElementById("upload-tray").open && !document.getElementById("uploads").checkVisibility()`))

	// The same file again: said so, skipped (to the trash) or kept.
	u.do("a duplicate", dropFiles([2]string{"again.txt", "note number 3"}),
		until(`document.getElementById("tray-summary").textContent === "13 of 13 done, 1 already in the library"`),
		chromedp.Click(chromedp.CSS(`#upload-tray summary`), chromedp.NodeVisible),
		chromedp.WaitVisible(chromedp.CSS(`#uploads li.dup button.skip`)))
	u.check("the duplicate names the original", `document.querySelector("#uploads li.dup a").textContent === "note-03"`)
	u.shot("upload-duplicate")
	u.do("skip it", void(chromedp.Evaluate[bool](`document.querySelector("#uploads li.dup button.skip").click(), true`)),
		until(`document.querySelector("#uploads li.dup").classList.contains("skipped") && document.getElementById("tray-summary").textContent === "13 of 13 done"`),
		until(`document.querySelectorAll("#grid .tile").length === 14`))
	u.do("keep both", dropFiles([2]string{"twice.txt", "note number 4"}),
		chromedp.WaitVisible(chromedp.CSS(`#uploads li.dup:not(.skipped) button.keep`)),
		chromedp.Click(chromedp.CSS(`#uploads li.dup:not(.skipped) button.keep`), chromedp.NodeVisible),
		until(`document.getElementById("tray-summary").textContent === "14 of 14 done"`))
	c := e.caller(t, e.ann)
	if all := assetsOf(t, e, c, ""); len(all) != 15 {
		t.Errorf("%d assets after a skip and a keep, want 15", len(all))
	}

	// While a file is still on its way (its requests held), leaving asks
	// first; once it is in, leaving does not.
	held := make(chan fetch.RequestID, 16)
	go func() {
		for ev, err := range chromedp.Events(u.ctx, fetch.RequestPaused) {
			if err != nil {
				return
			}
			held <- ev.RequestID
		}
	}()
	if _, err := chromedp.Call(u.ctx, fetch.Enable, fetch.EnableParams{Patterns: []*fetch.RequestPattern{{URLPattern: "*/uploads/tus/*"}}}); err != nil {
		t.Fatal(err)
	}
	u.do("a file on its way", u.open("/"), until(`!!document.getElementById("grid")`),
		// A real click: the browser asks before leaving only a page
		// the user has touched.
		chromedp.Click(chromedp.ID("q"), chromedp.NodeVisible),
		dropFiles([2]string{"slow.txt", "a file held on its way"}),
		until(`document.getElementById("tray-summary").textContent === "0 of 1 done"`))
	var first fetch.RequestID
	select {
	case first = <-held:
	case <-time.After(time.Minute):
		t.Fatal("the upload's request was not held")
	}
	if _, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](`setTimeout(() => { location.href = "/collections"; }, 0), true`)); err != nil {
		t.Fatal(err)
	}
	deadline := time.Now().Add(time.Minute)
	for len(seen()) == 0 && time.Now().Before(deadline) {
		time.Sleep(100 * time.Millisecond)
	}
	if d := seen(); len(d) != 1 || d[0] != page.DialogTypeBeforeunload {
		t.Fatalf("dialogs when leaving during an upload: %v, want one beforeunload", d)
	}
	u.check("still on the library", `location.pathname === "/"`)
	if _, err := chromedp.Call(u.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: first}); err != nil {
		t.Fatal(err)
	}
	go func() {
		for id := range held {
			chromedp.Call(u.ctx, fetch.ContinueRequest, fetch.ContinueRequestParams{RequestID: id})
		}
	}()
	u.do("the file in", until(`document.getElementById("tray-summary").textContent === "1 of 1 done"`))
	if _, err := chromedp.Call(u.ctx, fetch.Disable, cdp.Empty{}); err != nil {
		t.Fatal(err)
	}
	u.do("leave", u.open("/collections"), chromedp.WaitVisible(chromedp.CSS("h1")))
	if d := seen(); len(d) != 1 {
		t.Errorf("dialogs after the upload ended: %v, want none more", d)
	}

	// The tray in dark mode and at phone width passes axe-core too.
	u.dark(true)
	u.do("dark phone tray", chromedp.EmulateViewport(390, 844), u.open("/"), until(`!!document.getElementById("grid")`),
		dropFiles([2]string{"dark.txt", "a dark note"}),
		until(`document.getElementById("tray-summary").textContent === "1 of 1 done"`))
	u.audited = nil
	u.audit("dark phone tray")
	u.shot("upload-tray-dark-phone")
	u.checkConsole("end")
}
