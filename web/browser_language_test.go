package web_test

import (
	"path/filepath"
	"testing"

	"github.com/chromedp/cdproto/network"
	"github.com/chromedp/chromedp"
)

// TestBrowserGerman walks the pages in German (go test -run
// TestBrowserGerman; not short): a browser in Austria gets the sign-in
// page and the library in German, the scripts' texts included, and a
// refused form says why in German; the user's setting English then beats
// the browser's German. axe-core checks each page, <html lang> with it.
// The README shows two of its screenshots.
func TestBrowserGerman(t *testing.T) {
	e := newEnvWith(t, true)
	u := newUI(t, e)
	if _, err := chromedp.Call(u.ctx, network.Enable, network.EnableParams{}); err != nil {
		t.Fatal(err)
	}
	if _, err := chromedp.Call(u.ctx, network.SetExtraHTTPHeaders, network.SetExtraHTTPHeadersParams{
		Headers: network.Headers{"Accept-Language": "de-AT,de;q=0.9,en;q=0.5"}}); err != nil {
		t.Fatal(err)
	}

	u.do("sign-in form", u.open("/signin"),
		until(`document.documentElement.lang === "de" && document.querySelector("h1").textContent === "Anmelden"`))
	u.do("sign in",
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !!document.getElementById("grid")`))

	testdata := func(name string) string {
		p, err := filepath.Abs(filepath.Join("..", "media", "testdata", name))
		if err != nil {
			t.Fatal(err)
		}
		return p
	}
	u.do("library", u.open("/"),
		until(`document.documentElement.lang === "de" && document.querySelector("label[for=sort]").textContent === "Sortierung"`),
		chromedp.SetValue(chromedp.ID("upload-tags"), "Frühling"),
		chromedp.SetUploadFiles(chromedp.ID("upload-files"), []string{testdata("photo.jpg"), testdata("doc.pdf"), testdata("photo.webp")}),
		until(`document.getElementById("tray-summary").textContent === "3 von 3 fertig"`),
		until(`document.querySelectorAll("#grid .tile img").length === 3 && [...document.querySelectorAll("#grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`))
	// The scripts speak German too: the tray, the count, the selection.
	u.do("drop a file", dropFiles([2]string{"notiz.txt", "eine Notiz"}),
		until(`document.getElementById("tray-summary").textContent === "4 von 4 fertig"`),
		until(`document.getElementById("count").textContent.trim() === "4 Assets"`),
		chromedp.Click(chromedp.CSS(`#grid .tile input[type=checkbox]`), chromedp.NodeVisible),
		until(`document.getElementById("selected-count").textContent === "1 ausgewählt"`))
	u.check("a new tile's box is named in German", `document.querySelector("#grid .tile input[type=checkbox]").getAttribute("aria-label").endsWith(" auswählen")`)
	u.check("a new tile's kind is named in German", `[...document.querySelectorAll("#grid .tile .type")].every(k => k.textContent === "Datei" || k.textContent === "Bild" || k.textContent === "Dokument")`)
	// The page as the server makes it, the tag in the sidebar.
	u.do("library again", u.open("/"),
		until(`document.getElementById("count").textContent.trim() === "4 Assets" && document.querySelectorAll("#grid .tile img").length === 3`),
		until(`[...document.querySelectorAll("#grid .tile img")].every(i => i.complete && i.naturalWidth > 0)`),
		until(`[...document.querySelectorAll(".facets a")].some(a => a.textContent.startsWith("Frühling"))`),
		chromedp.Click(chromedp.CSS(`#grid .tile input[type=checkbox]`), chromedp.NodeVisible),
		until(`document.getElementById("selected-count").textContent === "1 ausgewählt"`))
	u.shot("library-de")

	// A refused form: the library's message, said in German by the field.
	u.do("settings", u.open("/settings"),
		until(`document.querySelector("h1").textContent === "Ihre Einstellungen"`),
		chromedp.SetValue(chromedp.ID("time-zone"), "Mars/Olympus"),
		load(`#settings button[type=submit]`),
		until(`document.getElementById("time-zone-error").textContent.startsWith("Zeitzone muss ein Zonenname")`),
		until(`document.getElementById("form-error").textContent.startsWith("Das Formular wurde nicht gespeichert")`))
	u.shot("form-error-de")

	// The setting beats the browser: English, said in English at once.
	u.do("choose English",
		void(chromedp.Evaluate[bool](`document.getElementById("time-zone").value = ""; document.getElementById("language").value = "en"; true`)),
		load(`#settings button[type=submit]`),
		until(`document.documentElement.lang === "en" && document.getElementById("flash").textContent === "Saved. Times are shown in your browser's time zone."`))
	u.do("library in English", u.open("/"),
		until(`document.documentElement.lang === "en" && document.getElementById("count").textContent.trim() === "4 assets"`))
}
