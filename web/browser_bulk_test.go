package web_test

import (
	"testing"

	"github.com/chromedp/chromedp"
)

// TestBrowserBulk ticks a page's boxes, takes the offer to select all the
// search's results across pages, and edits them all by a title pattern
// (go test -run TestBrowserBulk; not short).
func TestBrowserBulk(t *testing.T) {
	e := newEnv(t)
	u := newUI(t, e)
	beach := e.seed(t, "beach", 60)
	e.seed(t, "other", 3)

	u.do("sign in", u.open("/signin"), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "ann"),
		chromedp.SendKeys(chromedp.ID("password"), pw),
		load(`form[action="/signin"] button`),
		until(`location.pathname === "/" && !!document.getElementById("grid")`))
	u.do("search", u.open("/?q=beach&sort=created_on"), chromedp.WaitVisible(chromedp.ID("grid")))
	u.check("no offer before the page is ticked", `document.getElementById("select-all-offer").hidden`)
	u.do("tick the page",
		void(chromedp.Evaluate[bool](`document.querySelectorAll("#grid input[name=ids]").forEach(b => b.click()), true`)),
		until(`!document.getElementById("select-all-offer").hidden`))
	u.shot("select-all-offer")
	u.do("select all", chromedp.Click(chromedp.ID("select-all"), chromedp.NodeVisible),
		until(`document.getElementById("sel-scope").value === "query"`),
		until(`document.getElementById("selected-count").textContent === "All 60 results are selected."`))
	u.do("bulk edit",
		chromedp.Click(chromedp.CSS(`#bulk-edit summary`), chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.ID("edit-title"), "Summer {n}", chromedp.NodeVisible),
		chromedp.SendKeys(chromedp.ID("edit-add-tags"), "print", chromedp.NodeVisible),
		load(`#edit-apply`),
		chromedp.WaitVisible(chromedp.ID("flash")),
		until(`document.getElementById("flash").textContent === "Edited 60 assets."`))
	u.shot("bulk-edited")
	c := e.caller(t, e.ann)
	for i, want := range map[int]string{0: "Summer 1", 59: "Summer 60"} {
		a, err := e.svc.Asset(t.Context(), c, beach[i].ID)
		if err != nil || a.Title != want || len(a.Tags) != 1 {
			t.Errorf("asset %d: %+v %v, want %q tagged", i, a, err, want)
		}
	}
	// Unticking a box after select all goes back to the ticked ones.
	u.do("search again", u.open("/?q=summer"), chromedp.WaitVisible(chromedp.ID("grid")),
		void(chromedp.Evaluate[bool](`document.querySelectorAll("#grid input[name=ids]").forEach(b => b.click()), true`)),
		chromedp.Click(chromedp.ID("select-all"), chromedp.NodeVisible),
		until(`document.getElementById("sel-scope").value === "query"`),
		void(chromedp.Evaluate[bool](`document.querySelector("#grid input[name=ids]").click(), true`)),
		until(`document.getElementById("sel-scope").value === "ids" && document.getElementById("selected-count").textContent === "47 selected"`))
}
