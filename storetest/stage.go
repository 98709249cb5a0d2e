package storetest

import (
	"fmt"
	"sync"
	"sync/atomic"
	"testing"
	"time"

	"damask"
)

func testStages(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	col := &damask.Collection{AccountID: acct.ID, Title: "For the client"}
	must(t, "CreateCollection", s.CreateCollection(ctx, col, []int64{a.ID}))
	col2 := &damask.Collection{AccountID: acct.ID, Title: "Saved", Query: "a"}
	must(t, "CreateCollection", s.CreateCollection(ctx, col2, nil))
	theirs := &damask.Collection{AccountID: other.ID, Title: "Theirs"}
	must(t, "CreateCollection theirs", s.CreateCollection(ctx, theirs, nil))

	expires := time.Now().Add(48 * time.Hour).UTC().Truncate(time.Second)
	before := time.Now()
	st := &damask.Stage{AccountID: acct.ID, Token: "stage-token-1", Title: "Spring", Message: "Hello",
		CollectionID: col.ID, PasswordHash: "hash", ExpiresAt: expires, Downloads: damask.StageDownloadsPreviews,
		Watermark: "DRAFT", WatermarkPosition: damask.WatermarkBottomRight, WatermarkOpacity: 70, UserID: h.ID,
		Recipients: []damask.StageRecipient{{Email: "b@example.com", Token: "rcpt-b"}, {Email: "a@example.com", Token: "rcpt-a"}}}
	must(t, "CreateStage", s.CreateStage(ctx, st))
	checkSet(t, "CreatedAt", st.CreatedAt, before, time.Now())
	checkUTC(t, "stage times", st.CreatedAt, st.UpdatedAt, st.ExpiresAt)
	want := &damask.Stage{ID: st.ID, AccountID: acct.ID, Token: "stage-token-1", Title: "Spring", Message: "Hello",
		CollectionID: col.ID, PasswordHash: "hash", ExpiresAt: expires, Downloads: "previews", Watermark: "DRAFT",
		WatermarkPosition: "bottom-right", WatermarkOpacity: 70, UserID: h.ID, Recipients: st.Recipients, CreatedAt: st.CreatedAt, UpdatedAt: st.UpdatedAt}
	diff(t, "created stage", want, st)
	got, err := s.Stage(ctx, acct.ID, st.ID)
	must(t, "Stage", err)
	diff(t, "Stage", want, got)
	diff(t, "recipients in order", []damask.StageRecipient{{Email: "b@example.com", Token: "rcpt-b"},
		{Email: "a@example.com", Token: "rcpt-a"}}, got.Recipients)

	// Another account's id is not found; another account's collection is not
	// the account's; a taken token (a Stage's or a recipient's) is refused.
	_, err = s.Stage(ctx, other.ID, st.ID)
	wantCode(t, "Stage of another account", err, damask.ENOTFOUND, "")
	bad := &damask.Stage{AccountID: acct.ID, Token: "t2", Title: "x", CollectionID: theirs.ID, Downloads: "none"}
	wantCode(t, "CreateStage with another account's collection", s.CreateStage(ctx, bad), damask.EINVALID,
		fmt.Sprintf("Collection %d is not in this library", theirs.ID))
	for _, tok := range []string{"stage-token-1", "rcpt-a"} {
		dup := &damask.Stage{AccountID: other.ID, Token: tok, Title: "x", CollectionID: theirs.ID, Downloads: "none", UserID: oh.ID}
		wantCode(t, "CreateStage with a taken token "+tok, s.CreateStage(ctx, dup), damask.EINVALID, "Token has already been taken")
	}
	dup := &damask.Stage{AccountID: other.ID, Token: "fresh", Title: "x", CollectionID: theirs.ID, Downloads: "none",
		Recipients: []damask.StageRecipient{{Email: "c@example.com", Token: "stage-token-1"}}}
	wantCode(t, "CreateStage with a recipient's token taken", s.CreateStage(ctx, dup), damask.EINVALID, "Token has already been taken")

	// By token: its own address is anonymous, a recipient's names them.
	byTok, who, err := s.StageByToken(ctx, "stage-token-1")
	must(t, "StageByToken", err)
	if byTok.ID != st.ID || who != "" {
		t.Errorf("StageByToken(own) = %d, %q", byTok.ID, who)
	}
	byTok, who, err = s.StageByToken(ctx, "rcpt-a")
	must(t, "StageByToken recipient", err)
	if byTok.ID != st.ID || who != "a@example.com" || len(byTok.Recipients) != 2 {
		t.Errorf("StageByToken(recipient) = %d, %q", byTok.ID, who)
	}
	_, _, err = s.StageByToken(ctx, "nope")
	wantCode(t, "StageByToken unknown", err, damask.ENOTFOUND, "")

	// Update: fields, recipients (a kept one keeps its token), revocation.
	st.Title, st.Message, st.CollectionID, st.PasswordHash = "Summer", "", col2.ID, ""
	st.ExpiresAt, st.Downloads, st.Watermark = time.Time{}, damask.StageDownloadsOriginals, ""
	st.WatermarkPosition, st.WatermarkOpacity = damask.WatermarkTiled, 20
	st.Recipients = []damask.StageRecipient{{Email: "a@example.com", Token: "rcpt-a"}, {Email: "d@example.com", Token: "rcpt-d"}}
	revoked := time.Now().UTC().Truncate(time.Millisecond)
	st.RevokedAt = revoked
	must(t, "UpdateStage", s.UpdateStage(ctx, st))
	got, err = s.Stage(ctx, acct.ID, st.ID)
	must(t, "Stage after update", err)
	want = &damask.Stage{ID: st.ID, AccountID: acct.ID, Token: "stage-token-1", Title: "Summer", CollectionID: col2.ID,
		Downloads: "originals", WatermarkPosition: "tiled", WatermarkOpacity: 20, UserID: h.ID, Recipients: st.Recipients,
		CreatedAt: want.CreatedAt,
		UpdatedAt: got.UpdatedAt, RevokedAt: revoked}
	diff(t, "updated stage", want, got)
	if _, _, err := s.StageByToken(ctx, "rcpt-b"); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("a removed recipient's address still finds the Stage: %v", err)
	}
	st.CollectionID = theirs.ID
	wantCode(t, "UpdateStage to another account's collection", s.UpdateStage(ctx, st), damask.EINVALID, "")
	ghost := &damask.Stage{ID: st.ID, AccountID: other.ID, Token: "x", Title: "x", Downloads: "none"}
	wantCode(t, "UpdateStage of another account", s.UpdateStage(ctx, ghost), damask.ENOTFOUND, "")

	// The list, newest first; a deleted collection leaves its Stage without one.
	second := &damask.Stage{AccountID: acct.ID, Token: "stage-token-2", Title: "Second", CollectionID: col.ID, Downloads: "none"}
	must(t, "CreateStage second", s.CreateStage(ctx, second))
	list, total, err := s.Stages(ctx, acct.ID, damask.Page{Number: 1, Size: 1})
	must(t, "Stages", err)
	if total != 2 || len(list) != 1 || list[0].ID != second.ID {
		t.Errorf("Stages page 1 = %d of %d", len(list), total)
	}
	list, _, err = s.Stages(ctx, acct.ID, damask.Page{Number: 2, Size: 1})
	must(t, "Stages page 2", err)
	if len(list) != 1 || list[0].ID != st.ID || len(list[0].Recipients) != 2 {
		t.Errorf("Stages page 2 = %+v", list)
	}
	if list, total, _ := s.Stages(ctx, other.ID, damask.Page{Number: 1, Size: 10}); total != 0 || len(list) != 0 {
		t.Errorf("another account lists %d Stages", total)
	}
	must(t, "DeleteCollection", s.DeleteCollection(ctx, acct.ID, col.ID))
	got, err = s.Stage(ctx, acct.ID, second.ID)
	must(t, "Stage after its collection is deleted", err)
	if got.CollectionID != 0 || !got.Gone(time.Now()) {
		t.Errorf("Stage of a deleted collection: collection %d, gone %v", got.CollectionID, got.Gone(time.Now()))
	}
}

func testStageLog(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, _ := newAccount(t, s, "other")
	a := newAsset(t, s, h, assetSpec{title: "a"})
	col := &damask.Collection{AccountID: acct.ID, Title: "c"}
	must(t, "CreateCollection", s.CreateCollection(ctx, col, []int64{a.ID}))
	st := &damask.Stage{AccountID: acct.ID, Token: "tok", Title: "s", CollectionID: col.ID, Downloads: "originals"}
	must(t, "CreateStage", s.CreateStage(ctx, st))

	t0 := time.Now().UTC().Truncate(time.Millisecond)
	lines := []*damask.StageAccess{
		{AccountID: acct.ID, StageID: st.ID, At: t0, Address: "192.0.2.1", Action: damask.StageViewed, What: "page"},
		{AccountID: acct.ID, StageID: st.ID, At: t0.Add(time.Second), Recipient: "a@example.com", Address: "192.0.2.2",
			Action: damask.StageViewed, AssetID: a.ID, What: "asset"},
		{AccountID: acct.ID, StageID: st.ID, At: t0.Add(2 * time.Second), Recipient: "a@example.com", Address: "192.0.2.2",
			Action: damask.StageDownloaded, AssetID: a.ID, What: "original"},
	}
	for _, l := range lines {
		must(t, "LogStageAccess", s.LogStageAccess(ctx, l))
		if l.ID == 0 {
			t.Errorf("logged access without an id")
		}
	}
	ghost := &damask.StageAccess{AccountID: other.ID, StageID: st.ID, Action: damask.StageViewed}
	wantCode(t, "LogStageAccess in another account", s.LogStageAccess(ctx, ghost), damask.ENOTFOUND, "")

	got, err := s.Stage(ctx, acct.ID, st.ID)
	must(t, "Stage", err)
	if got.ViewsCount != 2 || got.DownloadsCount != 1 {
		t.Errorf("counts %d views, %d downloads; want 2, 1", got.ViewsCount, got.DownloadsCount)
	}
	log, total, err := s.StageLog(ctx, acct.ID, st.ID, damask.Page{Number: 1, Size: 2})
	must(t, "StageLog", err)
	if total != 3 || len(log) != 2 {
		t.Fatalf("StageLog page = %d of %d, want 2 of 3", len(log), total)
	}
	diff(t, "newest line", lines[2], log[0])
	checkUTC(t, "line's time", log[0].At)
	_, _, err = s.StageLog(ctx, other.ID, st.ID, damask.Page{Number: 1, Size: 2})
	wantCode(t, "StageLog of another account", err, damask.ENOTFOUND, "")

	// The events, written with the accesses.
	var types []string
	for _, e := range events(t, s, acct.ID, 0) {
		if e.Type == damask.EventStageViewed || e.Type == damask.EventStageDownloaded {
			types = append(types, e.Type)
			if e.ObjectID != st.ID || e.Object() != "stage" {
				t.Errorf("event %+v: want the Stage as its object", e)
			}
		}
	}
	diff(t, "events", []string{"stage.viewed", "stage.viewed", "stage.downloaded"}, types)

	// Activity in a window.
	var seen []int64
	must(t, "StageActivity", s.StageActivity(ctx, t0.Add(time.Second), t0.Add(2*time.Second), func(a *damask.StageAccess) error {
		seen = append(seen, a.ID)
		return nil
	}))
	diff(t, "activity in the window", []int64{lines[1].ID}, seen)
}

// testStageDigest: the digest's period is claimed by one conditional
// update; a claim from a time that is no longer the last fails, so that
// of several servers that read the same time one only sends the digest.
func testStageDigest(t *testing.T, s damask.Store) {
	ctx := t.Context()
	last, err := s.StageDigestSent(ctx)
	must(t, "StageDigestSent", err)
	if !last.IsZero() {
		t.Fatalf("StageDigestSent on a new store = %v, want zero", last)
	}
	t1 := time.Date(2026, 12, 1, 6, 0, 0, 123456000, time.UTC)
	t2 := t1.Add(24 * time.Hour)
	ok, err := s.ClaimStageDigest(ctx, time.Time{}, t1)
	must(t, "ClaimStageDigest from none", err)
	if !ok {
		t.Fatal("ClaimStageDigest from none did not claim")
	}
	if ok, err := s.ClaimStageDigest(ctx, time.Time{}, t2); err != nil || ok {
		t.Errorf("ClaimStageDigest from none again = %v, %v; want false", ok, err)
	}
	last, err = s.StageDigestSent(ctx)
	must(t, "StageDigestSent", err)
	if !last.Equal(t1) {
		t.Errorf("StageDigestSent = %v, want %v", last, t1)
	}
	// Several claim from the same last at once: one wins.
	var won atomic.Int32
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			ok, err := s.ClaimStageDigest(ctx, last, t2.Add(time.Duration(i)*time.Second))
			if err != nil {
				t.Errorf("ClaimStageDigest %d: %v", i, err)
			}
			if ok {
				won.Add(1)
			}
		})
	}
	wg.Wait()
	if n := won.Load(); n != 1 {
		t.Errorf("%d of 4 claims from the same time won, want 1", n)
	}
	after, err := s.StageDigestSent(ctx)
	must(t, "StageDigestSent after the claims", err)
	if after.Before(t2) || !after.Before(t2.Add(4*time.Second)) {
		t.Errorf("StageDigestSent after the claims = %v, want one of theirs", after)
	}
}
