package web_test

import (
	"fmt"
	"os"
	"path/filepath"
	"strings"
	"testing"

	cdpbrowser "github.com/chromedp/cdproto/browser"
	"github.com/chromedp/chromedp"

	"damask"
	"damask/library"
)

// TestBrowserStage: a member makes a Stage from a selection (a
// collection of it, published with a password), gives it a watermark on
// the page of Stages, signs out, opens the
// Stage's address, gives the password, sees the grid and an asset, and
// downloads the original file as the Stage allows.
func TestBrowserStage(t *testing.T) {
	e := newEnvWith(t, true)
	u := newUI(t, e)
	c := e.caller(t, e.ann)
	add := func(name string) *damask.Asset {
		f, err := os.Open(filepath.Join("..", "media", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		defer f.Close()
		in, err := e.svc.ReceiveFile(t.Context(), c, library.FileInput{Body: f, Filename: name, Length: -1})
		if err != nil {
			t.Fatal(err)
		}
		a, err := e.svc.CreateAsset(t.Context(), c, library.AssetInput{File: in})
		if err != nil {
			t.Fatal(err)
		}
		e.waitDone(t, a.ID)
		return a
	}
	photo := add("photo.jpg")
	add("photo.webp")
	add("doc.pdf") // in the library, not on the Stage
	downloads := t.TempDir()
	if _, err := chromedp.CallBrowser(u.ctx, cdpbrowser.SetDownloadBehavior, cdpbrowser.SetDownloadBehaviorParams{
		Behavior: cdpbrowser.SetDownloadBehaviorBehaviorAllowAndName, DownloadPath: downloads}); err != nil {
		t.Fatal(err)
	}

	u.do("sign in", u.open("/signin"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && document.querySelectorAll("#grid .tile").length === 3`))
	u.do("select the photos",
		void(chromedp.Evaluate[bool](`[...document.querySelectorAll("#grid .tile")].filter(t => t.textContent.includes("photo")).forEach(t => t.querySelector("input[name=ids]").click()), true`)),
		until(`document.getElementById("selected-count").textContent === "2 selected"`),
		chromedp.SetValue(chromedp.ID("sel-collection"), "For the client"),
		load(`#selection button[value=collect]`),
		until(`location.pathname.startsWith("/collections/") && document.querySelectorAll("#grid .tile").length === 2`))
	u.do("publish on a Stage",
		chromedp.SetValue(chromedp.ID("s-title"), "Spring pictures"),
		chromedp.SetValue(chromedp.ID("s-message"), "The pictures we spoke of."),
		chromedp.SendKeys(chromedp.ID("s-password"), "magic phrase"),
		chromedp.SetValue(chromedp.ID("s-downloads"), "originals"),
		load(`#make-stage button[type=submit]`),
		until(`document.getElementById("flash").textContent.includes("/s/")`))
	flash, err := chromedp.Run(u.ctx, chromedp.Evaluate[string](`document.getElementById("flash").textContent`))
	if err != nil {
		t.Fatal(err)
	}
	address := flash[strings.Index(flash, "http"):]
	// The watermark, changed on the team's page of Stages (each page
	// checked by axe-core).
	u.do("the Stage's form", u.open("/stages"), chromedp.WaitVisible(chromedp.ID("stages")),
		load(`#stages a[href^="/stages/"]`),
		until(`!!document.getElementById("edit-stage") && document.getElementById("e-title").value === "Spring pictures"`))
	u.do("change the watermark",
		chromedp.SetValue(chromedp.ID("e-watermark"), "PROOF"),
		chromedp.SetValue(chromedp.ID("e-position"), "tiled"),
		chromedp.SetValue(chromedp.ID("e-opacity"), "70"),
		load(`#edit-stage button[type=submit]`),
		until(`location.pathname === "/stages" && document.getElementById("flash").textContent.includes("was changed")`))
	u.do("sign out", load(`form[action="/signout"] button`), until(`location.pathname === "/signin"`))

	sts, _, err := e.svc.Stages(t.Context(), c, damask.Page{Number: 1, Size: 10})
	if err != nil || len(sts) != 1 || sts[0].Downloads != damask.StageDownloadsOriginals || sts[0].PasswordHash == "" ||
		sts[0].Watermark != "PROOF" || sts[0].WatermarkPosition != damask.WatermarkTiled || sts[0].WatermarkOpacity != 70 {
		t.Fatalf("the Stage made: %+v, %v", sts, err)
	}
	// The form's page answers 401, which the browser logs: no fault.
	if err := chromedp.Do(u.ctx, chromedp.Navigate(address), chromedp.WaitVisible(chromedp.ID("stage-pw"))); err != nil {
		t.Fatalf("the password form: %v", err)
	}
	for _, m := range u.errs.take() {
		if !strings.Contains(m, "401") {
			t.Errorf("console error: %s", m)
		}
	}
	u.shot("stage-password")
	u.do("open the Stage",
		chromedp.SendKeys(chromedp.ID("stage-pw"), "magic phrase"),
		load(`#stage-password button`),
		until(`document.querySelectorAll("#grid .tile").length === 2 && document.querySelector("h1").textContent === "Spring pictures"`),
		until(`[...document.querySelectorAll("#grid img")].every(i => i.complete && i.naturalWidth > 0)`))
	u.check("no sign of the team", `!document.body.innerText.includes("ann") && !document.body.innerText.includes("doc.pdf") && !document.querySelector("nav[aria-label=Sections]")`)
	u.check("the zip offered", `!!document.getElementById("stage-zip")`)
	u.shot("stage")
	u.do("open the photo",
		load(fmt.Sprintf(`#grid a.open[href$="/assets/%d"]`, photo.ID)),
		until(`!!document.getElementById("preview") && document.getElementById("preview").complete && document.getElementById("preview").naturalWidth > 0`))
	u.shot("stage-asset")
	u.do("download the original", chromedp.Click(chromedp.ID("download"), chromedp.NodeVisible))
	waitForDownload(t, downloads, photoSize(t))

	// At phone width, the grid is two columns and nothing overflows.
	u.do("phone", chromedp.EmulateViewport(390, 844), chromedp.Navigate(address),
		until(`document.querySelectorAll("#grid .tile").length === 2`))
	u.check("fits a phone", `document.documentElement.scrollWidth <= 390`)
	u.shot("stage-phone")

	log, _, err := e.svc.StageLog(t.Context(), c, 1, damask.Page{Number: 1, Size: 100})
	if err != nil {
		t.Fatal(err)
	}
	var got []string
	for _, a := range log {
		got = append(got, a.Action+" "+a.What)
	}
	if !strings.Contains(strings.Join(got, ","), "downloaded original") {
		t.Errorf("the log %v: no download of the original", got)
	}
}

func photoSize(t *testing.T) int64 {
	t.Helper()
	fi, err := os.Stat(filepath.Join("..", "media", "testdata", "photo.jpg"))
	if err != nil {
		t.Fatal(err)
	}
	return fi.Size()
}
