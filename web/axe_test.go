package web_test

// Every page the browser tests visit is checked by axe-core against
// WCAG 2.2 A and AA: the tests inject it (it is never served to users)
// and fail on any violation, at each width and colour scheme a page is
// seen in. scripts/setup.sh test fetches the pinned version from the npm
// registry into $(go env GOPATH)/share/axe-core@VERSION.

import (
	"encoding/json"
	"fmt"
	"go/build"
	"os"
	"path/filepath"
	"strings"
	"sync"

	"github.com/chromedp/chromedp"
)

// axeVersion is scripts/setup.sh's AXE_CORE_VERSION.
const axeVersion = "4.10.3"

var axeSource = sync.OnceValues(func() (string, error) {
	gopath := filepath.SplitList(build.Default.GOPATH)
	if len(gopath) == 0 {
		return "", fmt.Errorf("no GOPATH for axe-core")
	}
	p := filepath.Join(gopath[0], "share", "axe-core@"+axeVersion, "axe.min.js")
	b, err := os.ReadFile(p)
	if err != nil {
		return "", fmt.Errorf("axe-core %s is not installed (%w): run scripts/setup.sh test, which fetches it", axeVersion, err)
	}
	return string(b), nil
})

// axeRun is what runs in the page: the WCAG 2.2 A and AA rules, the
// violations as short lines.
const axeRun = `axe.run(document, {runOnly: {type: "tag", values: ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa", "wcag22aa"]}, resultTypes: ["violations"]})
	.then(r => JSON.stringify(r.violations.map(v => v.id + " (" + v.impact + "): " + v.help + "\n" +
		v.nodes.slice(0, 5).map(n => "    " + n.target.join(" ") + " " + (n.failureSummary || "").replace(/\s+/g, " ")).join("\n"))))`

// audit runs axe-core on the page as it is now, once for each address,
// width and colour scheme, and fails the test for every violation.
func (u *ui) audit(stage string) {
	u.t.Helper()
	if u.noScript {
		return
	}
	key, err := chromedp.Run(u.ctx, chromedp.Evaluate[string](`location.href + " " + innerWidth + " " + matchMedia("(prefers-color-scheme: dark)").matches`))
	if err != nil || strings.HasPrefix(key, "about:") || u.audited[key] {
		return
	}
	src, err := axeSource()
	if err != nil {
		u.t.Fatal(err)
	}
	if u.audited == nil {
		u.audited = map[string]bool{}
	}
	u.audited[key] = true
	// Evaluated by the debugging protocol, not eval: the pages' Content
	// Security Policy does not apply.
	if have, _ := chromedp.Run(u.ctx, chromedp.Evaluate[bool](`typeof axe !== "undefined"`)); have {
		// already in the page
	} else if _, err := chromedp.Run(u.ctx, chromedp.Evaluate[bool](src+"\n;true")); err != nil {
		u.t.Fatalf("%s: inject axe-core: %v", stage, err)
	}
	out, err := chromedp.Run(u.ctx, chromedp.Evaluate[string](axeRun, chromedp.EvalAwaitPromise))
	if err != nil {
		u.t.Fatalf("%s: axe-core: %v", stage, err)
	}
	var vs []string
	if err := json.Unmarshal([]byte(out), &vs); err != nil {
		u.t.Fatalf("%s: axe-core's answer: %v", stage, err)
	}
	if len(vs) > 0 {
		u.shot("axe-" + strings.NewReplacer(" ", "-", "/", "-").Replace(stage))
		u.t.Errorf("%s: accessibility violations on %s:\n%s", stage, key, strings.Join(vs, "\n"))
	}
	u.audits++
}
