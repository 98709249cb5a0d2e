package web_test

import (
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// TestStagesPage walks the team's page of Stages and Inboxes through the
// real handler: the list with addresses, counts and states; an Inbox made
// from its form (and a bad one sent back with its field's error); a Stage
// and an Inbox revoked only after the confirmation page; the menu's link
// and the page refused to guests and on plans without Stages.
func TestStagesPage(t *testing.T) {
	e := newEnv(t)
	e.addUser(t, "gus", damask.RoleGuest)
	ann := e.signedIn(t, "ann")
	c := e.caller(t, e.ann)
	ctx := t.Context()

	empty := ann.want(ann.get("/stages"), http.StatusOK)
	for _, want := range []string{`href="/stages" aria-current="page"`, `id="no-stages"`, `id="no-inboxes"`, `id="new-inbox"`} {
		if !strings.Contains(empty.body, want) {
			t.Errorf("the empty page lacks %s", want)
		}
	}
	csrf := token(t, empty)

	title := "For the client"
	col, _, err := e.svc.CreateCollection(ctx, c, library.CollectionInput{Title: &title}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID, who := strconv.FormatInt(col.ID, 10), "cy@client.example"
	st, _, err := e.svc.CreateStage(ctx, c, library.StageInput{Title: &title, CollectionID: &colID, Recipients: &who}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}

	// An Inbox from the form; a bad one comes back with what was typed.
	bad := ann.post("/inboxes", url.Values{"csrf": {csrf}, "title": {"Logos"}, "max_files": {"lots"}})
	if bad.status != http.StatusUnprocessableEntity || !strings.Contains(bad.body, `id="i-max-files-error"`) ||
		!strings.Contains(bad.body, `value="Logos"`) {
		t.Errorf("a bad Inbox form: status %d\n%s", bad.status, bad.body)
	}
	if bs, n, err := e.svc.Inboxes(ctx, c, damask.Page{Number: 1, Size: 10}); err != nil || n != 0 {
		t.Fatalf("Inboxes after a bad form: %v %v", bs, err)
	}
	made := ann.want(ann.post("/inboxes", url.Values{"csrf": {csrf}, "title": {"Logos"}, "message": {"Your logos, please"},
		"password": {"open sesame"}, "expires_on": {"2099-12-31"}, "tags": {"logos, partners"}, "max_files": {"5"}}), http.StatusSeeOther)
	if loc := made.header.Get("Location"); loc != "/stages" {
		t.Errorf("Location %q after making an Inbox", loc)
	}
	bs, _, err := e.svc.Inboxes(ctx, c, damask.Page{Number: 1, Size: 10})
	if err != nil || len(bs) != 1 {
		t.Fatalf("Inboxes: %v %v", bs, err)
	}
	b := bs[0]
	if b.Title != "Logos" || b.Message != "Your logos, please" || b.PasswordHash == "" || b.MaxFiles != 5 || b.ExpiresAt.IsZero() ||
		!strings.Contains(b.Tags, "partners") {
		t.Errorf("the Inbox made: %+v", b)
	}

	// Tags left empty: the Inbox's default.
	ann.want(ann.post("/inboxes", url.Values{"csrf": {csrf}, "title": {"Plain"}, "tags": {""}, "password": {""},
		"max_file_size": {""}, "max_files": {""}}), http.StatusSeeOther)
	if bs, _, err := e.svc.Inboxes(ctx, c, damask.Page{Number: 1, Size: 10}); err != nil || len(bs) != 2 || bs[0].Tags != library.DefaultInboxTags {
		t.Fatalf("an Inbox with its tags left empty: %v %v", bs, err)
	} else if _, err := e.svc.RevokeInbox(ctx, c, bs[0].ID); err != nil {
		t.Fatal(err)
	}

	page := ann.want(ann.get("/stages"), http.StatusOK)
	for _, want := range []string{"Made the Inbox", title, "/s/" + st.Token, "/inbox/" + b.Token, "1 recipient with an address of their own",
		"with a password", `action="/stages/` + strconv.FormatInt(st.ID, 10) + `/revoke"`,
		`action="/inboxes/` + strconv.FormatInt(b.ID, 10) + `/revoke"`} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the page lacks %q", want)
		}
	}
	if n := strings.Count(page.body, "<td>open"); n != 2 {
		t.Errorf("%d open rows, want the Stage and the Inbox", n)
	}
	if n := strings.Count(page.body, "<td>revoked"); n != 1 {
		t.Errorf("%d revoked rows, want the plain Inbox", n)
	}

	// Revoking asks first: the form without confirm=yes changes nothing.
	for _, r := range []struct{ path, heading string }{
		{"/stages/" + strconv.FormatInt(st.ID, 10) + "/revoke", "Revoke the Stage"},
		{"/inboxes/" + strconv.FormatInt(b.ID, 10) + "/revoke", "Revoke the Inbox"},
	} {
		ask := ann.want(ann.post(r.path, url.Values{"csrf": {csrf}}), http.StatusOK)
		if !strings.Contains(ask.body, r.heading) || !strings.Contains(ask.body, `name="confirm" value="yes"`) {
			t.Errorf("POST %s without confirm: no confirmation page\n%s", r.path, ask.body)
		}
		if got := ann.post(r.path, url.Values{"csrf": {""}, "confirm": {"yes"}}); got.status != http.StatusForbidden {
			t.Errorf("POST %s without its token: %d", r.path, got.status)
		}
	}
	if s, _ := e.svc.Stage(ctx, c, st.ID); !s.RevokedAt.IsZero() {
		t.Fatal("the Stage was revoked without the confirmation")
	}
	if ib, _ := e.svc.Inbox(ctx, c, b.ID); !ib.RevokedAt.IsZero() {
		t.Fatal("the Inbox was revoked without the confirmation")
	}
	for _, path := range []string{"/stages/" + strconv.FormatInt(st.ID, 10) + "/revoke", "/inboxes/" + strconv.FormatInt(b.ID, 10) + "/revoke"} {
		ann.want(ann.post(path, url.Values{"csrf": {csrf}, "confirm": {"yes"}}), http.StatusSeeOther)
	}
	if s, _ := e.svc.Stage(ctx, c, st.ID); s.RevokedAt.IsZero() {
		t.Error("the Stage was not revoked")
	}
	if ib, _ := e.svc.Inbox(ctx, c, b.ID); ib.RevokedAt.IsZero() {
		t.Error("the Inbox was not revoked")
	}
	after := ann.want(ann.get("/stages"), http.StatusOK)
	if n := strings.Count(after.body, "<td>revoked"); n != 3 || strings.Contains(after.body, "/revoke\"") {
		t.Errorf("after revoking: %d revoked rows, revoke forms left: %v", n, strings.Contains(after.body, "/revoke\""))
	}
	if res := ann.post("/stages/999999/revoke", url.Values{"csrf": {csrf}, "confirm": {"yes"}}); res.status != http.StatusNotFound {
		t.Errorf("revoking a Stage that is not: %d", res.status)
	}

	// Guests have no such page, nor its link.
	gus := e.signedIn(t, "gus")
	if res := gus.get("/stages"); res.status != http.StatusForbidden {
		t.Errorf("a guest's /stages: %d", res.status)
	}
	if strings.Contains(gus.get("/collections").body, `href="/stages"`) {
		t.Error("a guest's menu links /stages")
	}
	// Nor does a plan without Stages.
	if err := e.svc.SetPlan(ctx, library.DefaultAccount, "basic"); err != nil {
		t.Fatal(err)
	}
	if res := ann.get("/stages"); res.status != http.StatusForbidden || !strings.Contains(res.body, "no Stages") {
		t.Errorf("/stages on the basic plan: %d", res.status)
	}
	if strings.Contains(ann.get("/collections").body, `href="/stages"`) {
		t.Error("the menu links /stages on a plan without Stages")
	}
}
