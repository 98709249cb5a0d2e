package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask"
)

// TestNewVersionShowsNothingStale: after a new version or "Make current",
// the asset page shows nothing processing found in the former file (a
// PDF's format and pages under a JPEG) while the new one waits.
func TestNewVersionShowsNothingStale(t *testing.T) {
	e := newEnv(t)
	b := e.signedIn(t, "ann")
	id := b.upload("brochure.pdf", "%PDF-1.4\n% a brochure\n", "")
	path := "/assets/" + strconv.FormatInt(id, 10)
	acct, err := e.svc.AccountByName(t.Context(), "default")
	if err != nil {
		t.Fatal(err)
	}
	// What processing found in the PDF (the env has no processing of its own).
	pdf := damask.Extracted{Processing: damask.ProcessingDone, PageCount: 1, Width: 595, Height: 842,
		Meta: damask.FileMeta{Type: "PDF", ColorSpace: "CMYK", Creator: "Print shop"}}
	if err := e.db.SetExtracted(t.Context(), acct.ID, id, 1, pdf); err != nil {
		t.Fatal(err)
	}
	page := b.want(b.get(path), http.StatusOK)
	for _, w := range []string{"<dd>PDF</dd>", "<dt>Pages</dt>", "Print shop"} {
		if !strings.Contains(page.body, w) {
			t.Fatalf("the processed PDF's page lacks %q", w)
		}
	}
	csrf := token(t, page)

	stale := []string{"<dd>PDF</dd>", "<dt>Pages</dt>", "Print shop", "595 × 842", "CMYK"}
	check := func(what string) {
		t.Helper()
		page := b.want(b.get(path), http.StatusOK)
		for _, w := range stale {
			if strings.Contains(page.body, w) {
				t.Errorf("%s: the page shows %q of the former file", what, w)
			}
		}
	}
	b.want(b.multipart(path+"/versions", [][2]string{{"csrf", csrf}}, map[string]string{"photo.jpg": "\xff\xd8\xff\xe0 not much of a JPEG"}), http.StatusSeeOther)
	check("a new version")
	if err := e.db.SetExtracted(t.Context(), acct.ID, id, 1, pdf); err == nil {
		t.Error("the former version's findings were written over the current one's")
	}
	b.want(b.post(path+"/versions/1/current", url.Values{"csrf": {csrf}}), http.StatusSeeOther)
	check("make current")
}
