package web_test

import (
	"context"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"github.com/chromedp/cdproto/emulation"
	"github.com/chromedp/cdproto/runtime"
	"github.com/chromedp/chromedp"

	"damask/library"
)

// TestBrowserInbox sends files through an Inbox as someone outside the
// team does, signed out, at a phone's width: the password first, then
// two files with the script (a progress bar each, the receipt shown in
// the page), then one without it (the receipt page).
func TestBrowserInbox(t *testing.T) {
	if testing.Short() {
		t.Skip("the browser test is not short")
	}
	chromium, err := exec.LookPath("chromium")
	if err != nil {
		t.Fatal("chromium is not installed: run scripts/setup.sh test")
	}
	e := newEnv(t)
	_, path := e.newInbox(t, library.InboxInput{Message: ptr("Send us the photos of the shoot."), Password: ptr("open sesame")})
	dir := t.TempDir()
	files := map[string]string{"shoot-1.txt": strings.Repeat("first photo ", 20000), "shoot-2.txt": "second photo", "late.txt": "sent without the script"}
	for name, body := range files {
		if err := os.WriteFile(filepath.Join(dir, name), []byte(body), 0o644); err != nil {
			t.Fatal(err)
		}
	}

	u := &ui{t: t, base: e.srv.URL, errs: &consoleErrors{}, shots: t.ArtifactDir(), docs: os.Getenv("DAMASK_SCREENSHOTS"), timeout: 2 * time.Minute}
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
	if err := chromedp.Do(ctx, chromedp.Navigate("about:blank")); err != nil {
		t.Fatalf("start chromium: %v", err)
	}
	if err := chromedp.Listen(ctx, func(ev any) {
		switch ev := ev.(type) {
		case *runtime.EventConsoleAPICalled:
			if ev.Type == runtime.ConsoleAPICalledTypeError {
				u.errs.add("console.error")
			}
		case *runtime.EventExceptionThrown:
			u.errs.add((&chromedp.ExceptionError{ExceptionDetails: ev.ExceptionDetails}).Error())
		}
	}); err != nil {
		t.Fatal(err)
	}

	u.do("the password",
		chromedp.EmulateViewport(390, 844),
		u.open(path), chromedp.WaitVisible(chromedp.ID("inbox-pw")),
		chromedp.SendKeys(chromedp.ID("inbox-pw"), "open sesame"),
		load(`#inbox-password button`),
		chromedp.WaitVisible(chromedp.ID("inbox-form")))
	u.shot("inbox")
	u.do("send two files with the script",
		chromedp.SendKeys(chromedp.ID("inbox-name"), "Rosa Client"),
		chromedp.SendKeys(chromedp.ID("inbox-email"), "rosa@client.example"),
		chromedp.SetUploadFiles(chromedp.ID("inbox-files"), []string{filepath.Join(dir, "shoot-1.txt"), filepath.Join(dir, "shoot-2.txt")}),
		chromedp.Click(chromedp.ID("inbox-send")),
		until(`!document.getElementById("inbox-receipt").hidden && document.querySelectorAll("#inbox-receipt-files tr").length === 2`))
	u.shot("inbox-receipt")
	bars, err := chromedp.Run(ctx, chromedp.Evaluate[[]bool](`[...document.querySelectorAll("#inbox-progress progress")].map(p => p.value === p.max)`))
	if err != nil || len(bars) != 2 || !bars[0] || !bars[1] {
		t.Errorf("progress bars %v (%v), want two, full", bars, err)
	}
	receipt, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.getElementById("inbox-receipt").innerText`))
	if err != nil || !strings.Contains(receipt, "shoot-1.txt") || !strings.Contains(receipt, sum([]byte(files["shoot-1.txt"]))) {
		t.Errorf("the receipt says %q (%v)", receipt, err)
	}
	// The page fits the phone: nothing wider than the screen.
	if w, err := chromedp.Run(ctx, chromedp.Evaluate[float64](`document.documentElement.scrollWidth`)); err != nil || w > 390 {
		t.Errorf("the page is %v px wide at a phone's 390 (%v)", w, err)
	}

	// Without JavaScript: the form posts, the receipt is a page.
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: true}); err != nil {
		t.Fatal(err)
	}
	u.do("send without the script",
		u.open(path), chromedp.WaitVisible(chromedp.ID("inbox-form")),
		chromedp.SendKeys(chromedp.ID("inbox-name"), "Rosa Client"),
		chromedp.SendKeys(chromedp.ID("inbox-email"), "rosa@client.example"),
		chromedp.SetUploadFiles(chromedp.ID("inbox-files"), []string{filepath.Join(dir, "late.txt")}),
		load(`#inbox-send`),
		chromedp.WaitVisible(chromedp.ID("inbox-receipt")))
	text, err := chromedp.Run(ctx, chromedp.Evaluate[string](`document.body.innerText`))
	if err != nil || !strings.Contains(text, "late.txt") || !strings.Contains(text, sum([]byte(files["late.txt"]))) {
		t.Errorf("the receipt page says %q (%v)", text, err)
	}
	if _, err := chromedp.Call(ctx, emulation.SetScriptExecutionDisabled, emulation.SetScriptExecutionDisabledParams{Value: false}); err != nil {
		t.Fatal(err)
	}

	got := map[string]bool{}
	for _, a := range assetsOf(t, e, e.caller(t, e.ann), "") {
		got[a.Filename] = strings.Contains(a.Description, "Rosa Client")
	}
	for name := range files {
		if !got[name] {
			t.Errorf("no asset %s from Rosa (assets: %v)", name, got)
		}
	}
	if n := len(e.mail.sent()); n != 2 {
		t.Errorf("%d mails, want 2: one per submission", n)
	}
}
