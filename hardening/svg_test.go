package hardening

import (
	"bytes"
	"context"
	"encoding/xml"
	"fmt"
	"html"
	"net/http"
	"net/http/httptest"
	"os/exec"
	"regexp"
	"strings"
	"sync"
	"testing"
	"time"

	"damask/servertest"

	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"
)

// hostileSVG runs script in every way an SVG can: a script element, an
// onload handler, a foreignObject holding HTML with a script and an
// iframe, a javascript: link, and external hrefs to the canary. Each way
// logs "PWNED" with where it ran.
func hostileSVG(ca *loopCanary) string {
	return fmt.Sprintf(`<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink" width="200" height="200"
     onload="console.log('PWNED onload '+location.href); fetch('%[1]s')">
  <script>console.log("PWNED script " + location.href); document.title = "PWNED"; fetch("%[1]s");</script>
  <rect width="200" height="200" fill="#3a7"/>
  <image x="0" y="0" width="50" height="50" href="%[2]s" onerror="console.log('PWNED onerror '+location.href)"/>
  <use href="%[3]s#a"/>
  <a href="javascript:console.log('PWNED link')"><rect x="60" y="60" width="40" height="40"/></a>
  <foreignObject width="200" height="200">
    <body xmlns="http://www.w3.org/1999/xhtml"><script>console.log("PWNED foreignObject " + location.href)</script>
    <iframe src="%[1]s"></iframe><img src="x" onerror="console.log('PWNED img '+location.href)"/></body>
  </foreignObject>
</svg>
`, ca.url("/fetch"), ca.url("/img.png"), ca.url("/defs.svg"))
}

// TestR02_HostileSVG: an SVG with script, onload, foreignObject and
// external hrefs is sent as an attachment under a sandbox CSP; its
// previews are JPEG rasters; and in a real browser (Debian's chromium)
// signed in to the pages, opening its download, thumbnails, preview, the
// asset's page and its public link runs none of its script and fetches
// nothing. A control page serving the same SVG plainly shows that the
// browser would have run it.
func TestR02_HostileSVG(t *testing.T) {
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh test")
	}
	l := start(t)
	ca := newLoopCanary(t)
	svg := hostileSVG(ca)
	a := l.upload(t, "hostile.svg", "image/svg+xml", []byte(svg))
	st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
	if st.Processing != "done" {
		t.Fatalf("processing: %s %s", st.Processing, st.Error)
	}
	pub := l.admin.Must(http.StatusOK, "PUT", fmt.Sprintf("/api/assets/%d.xml", a.ID), "application/x-www-form-urlencoded", []byte("public_link=true"))
	var doc struct {
		PublicURL string `xml:"public_url"`
	}
	if err := xml.Unmarshal(pub, &doc); err != nil || doc.PublicURL == "" {
		t.Fatalf("no public link: %v: %s", err, pub)
	}

	// Over HTTP: the original only as a sandboxed attachment, renditions
	// as JPEG.
	status, h, body := l.admin.Request("GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil)
	if status != http.StatusOK || !bytes.Equal(body, []byte(svg)) {
		t.Fatalf("download: %d", status)
	}
	if !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
		t.Errorf("download Content-Disposition %q", h.Get("Content-Disposition"))
	}
	inlineOK(t, "API download", h)
	if csp := h.Get("Content-Security-Policy"); !strings.Contains(csp, "sandbox") {
		t.Errorf("download CSP %q, want sandbox", csp)
	}
	for _, u := range []string{st.ThumbURL, st.PreviewURL, strings.Replace(st.ThumbURL, "_64.jpg", "_256.jpg", 1)} {
		path := strings.TrimPrefix(u, "http://"+l.Addr)
		status, h, b := l.admin.Request("GET", path, "", nil)
		if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(b, []byte{0xff, 0xd8, 0xff}) {
			t.Errorf("%s: %d %s, want a JPEG", path, status, h.Get("Content-Type"))
		}
	}

	// In a browser.
	s := l.browser(t, "")
	s.signIn("admin", servertest.AdminPassword)
	page := s.get(fmt.Sprintf("/assets/%d", a.ID)).body
	urls := []string{fmt.Sprintf("/assets/%d", a.ID), fmt.Sprintf("/assets/%d/download", a.ID), fmt.Sprintf("/assets/%d/media", a.ID),
		strings.TrimPrefix(doc.PublicURL, "http://"+l.Addr), "/"}
	for _, m := range regexp.MustCompile(`(?:src|href)="(/assets/[^"]+)"`).FindAllStringSubmatch(page, -1) {
		urls = append(urls, html.UnescapeString(m[1]))
	}
	// The same file served as a plain page would run: the control.
	control := httptest.NewServer(http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		if r.URL.Path == "/sync" {
			w.Header().Set("Content-Type", "text/html")
			fmt.Fprint(w, `<!DOCTYPE html><title>sync</title><script>console.log("SYNC")</script>`)
			return
		}
		w.Header().Set("Content-Type", "image/svg+xml")
		fmt.Fprint(w, svg)
	}))
	defer control.Close()

	opts := append(chromedp.DefaultExecAllocatorOptions[:], chromedp.ExecPath(chromium), chromedp.NoSandbox,
		chromedp.Headless, chromedp.DisableGPU, chromedp.UserDataDir(t.TempDir()))
	alloc, cancelAlloc := chromedp.NewExecAllocator(context.Background(), opts...)
	defer cancelAlloc()
	ctx, cancel := chromedp.NewContext(alloc)
	defer cancel()
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	var mu sync.Mutex
	var logged []string
	syncc := make(chan struct{}, 16)
	if err := chromedp.Listen(ctx, func(ev any) {
		if ev, ok := ev.(*runtime.EventConsoleAPICalled); ok {
			var parts []string
			for _, a := range ev.Args {
				parts = append(parts, string(a.Value))
			}
			msg := strings.Join(parts, " ")
			if strings.Contains(msg, "SYNC") {
				syncc <- struct{}{}
				return
			}
			mu.Lock()
			logged = append(logged, msg)
			mu.Unlock()
		}
	}); err != nil {
		t.Fatal(err)
	}
	step := func(what string, actions ...chromedp.Action[chromedp.Void]) error {
		sctx, scancel := context.WithTimeout(ctx, 2*time.Minute)
		defer scancel()
		return chromedp.Do(sctx, actions...)
	}
	// Sign in through the form, as a person would.
	if err := step("sign in", chromedp.Navigate(l.URL("/signin")), chromedp.WaitVisible(chromedp.ID("login")),
		chromedp.SendKeys(chromedp.ID("login"), "admin"), chromedp.SendKeys(chromedp.ID("password"), "servertest-admin-password"),
		chromedp.Submit(chromedp.ID("password")), chromedp.WaitVisible(chromedp.ID("grid"))); err != nil {
		t.Fatalf("sign in: %v", err)
	}
	// waitSync loads a page that logs SYNC and waits for it: the browser
	// reports console calls in order, so whatever the pages before logged
	// has been seen by then.
	waitSync := func() {
		t.Helper()
		if err := step("sync", chromedp.Navigate(control.URL+"/sync")); err != nil {
			t.Fatalf("sync page: %v", err)
		}
		select {
		case <-syncc:
		case <-time.After(2 * time.Minute):
			t.Fatal("the sync page's console line never came")
		}
	}
	for _, u := range urls {
		err := step(u, chromedp.Navigate(l.URL(u)))
		title := ""
		if err == nil {
			title, _ = chromedp.Run(ctx, chromedp.Evaluate[string](`document.title`))
		}
		t.Logf("%s: navigate: %v, title %q", u, err, title)
		if strings.Contains(title, "PWNED") {
			t.Errorf("%s: the SVG's script set the title", u)
		}
	}
	waitSync()
	mu.Lock()
	for _, m := range logged {
		if strings.Contains(m, "PWNED") {
			t.Errorf("script ran: %s", m)
		}
	}
	mu.Unlock()
	ca.assertSilent(t)

	// Control: the same SVG as a plain page runs in this browser.
	if err := step("control", chromedp.Navigate(control.URL+"/hostile.svg")); err != nil {
		t.Fatalf("control: %v", err)
	}
	waitSync()
	mu.Lock()
	defer mu.Unlock()
	ran := false
	for _, m := range logged {
		ran = ran || strings.Contains(m, "PWNED script "+control.URL)
	}
	if !ran {
		t.Errorf("control: the SVG served plainly did not run its script either (%q): the check proves nothing", logged)
	}
}
