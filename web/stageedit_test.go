package web_test

import (
	"bytes"
	"net/http"
	"net/url"
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/library"
)

// TestStageEditForm changes a Stage from the team's pages through the
// real handler: the form shows the Stage as it is; a bad field comes back
// with what was typed and the error by the field, changing nothing; a
// good one redirects with a flash and changes what the API's PUT would
// (the password only when one is typed or its removal asked; recipients
// kept, added, removed); guests may not; and a new watermark shows on the
// Stage's previews at once.
func TestStageEditForm(t *testing.T) {
	e := newEnvWith(t, true)
	e.addUser(t, "gus", damask.RoleGuest)
	ann := e.signedIn(t, "ann")
	c := e.caller(t, e.ann)
	ctx := t.Context()
	pid := ann.upload("IMG_0001.jpg", string(gpsPhoto(t)), "")
	e.waitDone(t, pid)

	title, ids := "For the client", strconv.FormatInt(pid, 10)
	col, _, err := e.svc.CreateCollection(ctx, c, library.CollectionInput{Title: &title, AssetIDs: &ids}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID, pwd, mark, who, exp := strconv.FormatInt(col.ID, 10), "open sesame", "PROOF", "cy@client.example", "2099-12-31"
	st, _, err := e.svc.CreateStage(ctx, c, library.StageInput{Title: &title, CollectionID: &colID, Password: &pwd,
		Watermark: &mark, Recipients: &who, ExpiresOn: &exp}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	edit := "/stages/" + strconv.FormatInt(st.ID, 10)

	list := ann.want(ann.get("/stages"), http.StatusOK)
	if !strings.Contains(list.body, `href="`+edit+`"`) {
		t.Errorf("the Stages page does not link the Stage's form")
	}
	page := ann.want(ann.get(edit), http.StatusOK)
	for _, want := range []string{`id="edit-stage"`, `value="For the client"`, `value="PROOF"`, `value="cy@client.example"`,
		`value="2099-12-31"`, `<option value="center" selected>`, `value="45"`, `id="e-remove-password"`, "/s/" + st.Token} {
		if !strings.Contains(page.body, want) {
			t.Errorf("the form lacks %s", want)
		}
	}
	csrf := token(t, page)

	// The opacity's error by its field, what was typed kept, nothing changed.
	bad := ann.want(ann.post(edit, url.Values{"csrf": {csrf}, "title": {"Proofs, second round"}, "watermark": {"DRAFT"},
		"watermark_position": {"tiled"}, "watermark_opacity": {"5"}, "expires_on": {"2099-12-31"}, "expires_shown": {"2099-12-31"},
		"downloads": {"previews"}, "recipients": {who}}), http.StatusUnprocessableEntity)
	for _, want := range []string{`id="e-opacity-error"`, "watermark_opacity must be a percentage", `value="Proofs, second round"`,
		`value="DRAFT"`, `<option value="tiled" selected>`, `value="5"`} {
		if !strings.Contains(bad.body, want) {
			t.Errorf("the form that came back lacks %s", want)
		}
	}
	if got, _ := e.svc.Stage(ctx, c, st.ID); got.Title != title || got.Watermark != mark {
		t.Errorf("a refused form changed the Stage: %+v", got)
	}
	// A bad recipient's error goes by its field.
	bad = ann.want(ann.post(edit, url.Values{"csrf": {csrf}, "title": {title}, "recipients": {"not an address"}}), http.StatusUnprocessableEntity)
	if !strings.Contains(bad.body, `id="e-recipients-error"`) {
		t.Errorf("a bad recipient: no error by the field\n%s", bad.body)
	}

	// The watermark's preview before the change.
	v := e.browser(t)
	base := library.StageAddress(st.Token)
	v.want(v.post(base, url.Values{"password": {pwd}}), http.StatusSeeOther)
	before := v.want(v.get(base+"/image/"+ids+"/1024"), http.StatusOK)

	// A good form: the fields as the API's PUT changes them; the
	// password left empty is kept; cy keeps their address, dee is added.
	flashOnce(t, ann, ann.post(edit, url.Values{"csrf": {csrf}, "title": {"Proofs, second round"}, "message": {"Round two"},
		"watermark": {"DRAFT"}, "watermark_position": {"tiled"}, "watermark_opacity": {"80"}, "downloads": {"none"},
		"expires_on": {"2099-12-31"}, "expires_shown": {"2099-12-31"}, "recipients": {"cy@client.example, dee@client.example"},
		"password": {""}}), "The Stage &#34;Proofs, second round&#34; was changed.")
	got, err := e.svc.Stage(ctx, c, st.ID)
	if err != nil {
		t.Fatal(err)
	}
	if got.Title != "Proofs, second round" || got.Message != "Round two" || got.Watermark != "DRAFT" ||
		got.WatermarkPosition != "tiled" || got.WatermarkOpacity != 80 || got.Downloads != "none" ||
		!got.ExpiresAt.Equal(st.ExpiresAt) || got.PasswordHash != st.PasswordHash || len(got.Recipients) != 2 ||
		got.Recipients[0].Token != st.Recipients[0].Token || got.Recipients[1].Email != "dee@client.example" {
		t.Errorf("the Stage after the form: %+v", got)
	}
	// The new watermark shows at once, on the same address and pass.
	after := v.want(v.get(base+"/image/"+ids+"/1024"), http.StatusOK)
	if after.body == before.body || !bytes.HasPrefix([]byte(after.body), []byte{0xff, 0xd8}) {
		t.Error("the preview after the watermark's change is the one before")
	}

	// A new password; then none; an expiry cleared.
	ann.want(ann.post(edit, url.Values{"csrf": {csrf}, "password": {"new sesame"}}), http.StatusSeeOther)
	if got, _ := e.svc.Stage(ctx, c, st.ID); got.PasswordHash == "" || got.PasswordHash == st.PasswordHash {
		t.Error("a new password typed was not set")
	}
	ann.want(ann.post(edit, url.Values{"csrf": {csrf}, "password": {""}, "remove_password": {"yes"},
		"expires_on": {""}, "expires_shown": {"2099-12-31"}}), http.StatusSeeOther)
	if got, _ := e.svc.Stage(ctx, c, st.ID); got.PasswordHash != "" || !got.ExpiresAt.IsZero() {
		t.Errorf("password removed and expiry cleared: %+v", got)
	}

	// Guests may not change Stages, as through the API; nor without the
	// form's token; nor a Stage that is not.
	gus := e.signedIn(t, "gus")
	if res := gus.get(edit); res.status != http.StatusForbidden {
		t.Errorf("a guest's form: %d, want 403", res.status)
	}
	if res := gus.post(edit, url.Values{"csrf": {token(t, gus.get("/"))}, "title": {"Mine"}}); res.status != http.StatusForbidden {
		t.Errorf("a guest's change: %d, want 403", res.status)
	}
	if res := ann.post(edit, url.Values{"csrf": {""}, "title": {"Forged"}}); res.status != http.StatusForbidden {
		t.Errorf("a change without the token: %d, want 403", res.status)
	}
	if res := ann.get("/stages/999999"); res.status != http.StatusNotFound {
		t.Errorf("the form of a Stage that is not: %d, want 404", res.status)
	}
	if got, _ := e.svc.Stage(ctx, c, st.ID); got.Title != "Proofs, second round" {
		t.Errorf("refused changes changed the title: %q", got.Title)
	}
}
