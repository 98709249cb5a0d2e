package storetest

import (
	"slices"
	"testing"
	"time"

	"damask"
)

// testInboxes: an Inbox is stored and read back whole, by id and by its
// token, listed newest first, updated, revoked once (the first time
// kept), counts what it receives with one event per submission, never
// answers for another account, and never gives an id again.
func testInboxes(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	exp := time.Date(2031, 5, 1, 12, 0, 0, 0, time.UTC)

	before := time.Now()
	b := &damask.Inbox{AccountID: acct.ID, Token: "secret-one", Title: "Photos for the catalogue",
		Message: "Send your best", PasswordHash: "hash", ExpiresAt: exp, Tags: "Inbox, spring",
		MaxFileSize: 1 << 20, MaxFiles: 5, UserID: h.ID}
	must(t, "CreateInbox", s.CreateInbox(ctx, b))
	checkSet(t, "CreatedAt", b.CreatedAt, before, time.Now())
	checkUTC(t, "ExpiresAt", b.ExpiresAt)
	if b.ID == 0 || !b.UpdatedAt.Equal(b.CreatedAt) || !b.RevokedAt.IsZero() {
		t.Errorf("created inbox %+v: want an id, UpdatedAt = CreatedAt, not revoked", b)
	}
	want := &damask.Inbox{ID: b.ID, AccountID: acct.ID, Token: "secret-one", Title: "Photos for the catalogue",
		Message: "Send your best", PasswordHash: "hash", ExpiresAt: exp, Tags: "Inbox, spring",
		MaxFileSize: 1 << 20, MaxFiles: 5, UserID: h.ID, CreatedAt: b.CreatedAt, UpdatedAt: b.UpdatedAt}
	diff(t, "created inbox", want, b)
	got, err := s.Inbox(ctx, acct.ID, b.ID)
	must(t, "Inbox", err)
	diff(t, "Inbox", want, got)
	got, err = s.InboxByToken(ctx, acct.ID, "secret-one")
	must(t, "InboxByToken", err)
	diff(t, "InboxByToken", want, got)

	// Without a password or an expiry: the zero values come back.
	open := &damask.Inbox{AccountID: acct.ID, Token: "secret-two", Title: "Open", Tags: "Inbox", UserID: h.ID}
	must(t, "CreateInbox open", s.CreateInbox(ctx, open))
	if !open.ExpiresAt.IsZero() || open.PasswordHash != "" || open.MaxFiles != 0 {
		t.Errorf("open inbox %+v: want no expiry, password or limit", open)
	}
	// A token is unique in the whole library, across accounts too.
	wantCode(t, "CreateInbox with a taken token", s.CreateInbox(ctx,
		&damask.Inbox{AccountID: other.ID, Token: "secret-one", Title: "x", UserID: oh.ID}), damask.EINVALID, "Token has already been taken")
	theirs := &damask.Inbox{AccountID: other.ID, Token: "secret-three", Title: "Theirs", UserID: oh.ID}
	must(t, "CreateInbox other account", s.CreateInbox(ctx, theirs))

	list, n, err := s.Inboxes(ctx, acct.ID, damask.Page{Number: 1, Size: 10})
	must(t, "Inboxes", err)
	if n != 2 || len(list) != 2 || list[0].ID != open.ID || list[1].ID != b.ID {
		t.Errorf("Inboxes = %d %+v, want open then the first", n, list)
	}
	list, n, err = s.Inboxes(ctx, acct.ID, damask.Page{Number: 2, Size: 1})
	must(t, "Inboxes page 2", err)
	if n != 2 || len(list) != 1 || list[0].ID != b.ID {
		t.Errorf("Inboxes page 2 = %d %+v, want the first", n, list)
	}

	// Another account's Inbox is not found, by id or by token.
	for what, err := range map[string]error{
		"Inbox of another account":         func() error { _, err := s.Inbox(ctx, other.ID, b.ID); return err }(),
		"InboxByToken of another account":  func() error { _, err := s.InboxByToken(ctx, other.ID, "secret-one"); return err }(),
		"InboxByToken unknown":             func() error { _, err := s.InboxByToken(ctx, acct.ID, "nope"); return err }(),
		"UpdateInbox of another account":   s.UpdateInbox(ctx, &damask.Inbox{ID: theirs.ID, AccountID: acct.ID, Title: "x"}),
		"RevokeInbox of another account":   func() error { _, err := s.RevokeInbox(ctx, acct.ID, theirs.ID, time.Now()); return err }(),
		"InboxReceived of another account": s.InboxReceived(ctx, acct.ID, theirs.ID, sent(acct, h, "x")),
		"Inbox missing":                    func() error { _, err := s.Inbox(ctx, acct.ID, theirs.ID+100); return err }(),
	} {
		wantCode(t, what, err, damask.ENOTFOUND, "")
	}

	// Update writes the settings, not the count nor the token.
	time.Sleep(2 * time.Millisecond)
	b.Title, b.Message, b.PasswordHash, b.ExpiresAt, b.Tags = "Renamed", "", "", time.Time{}, "Inbox"
	b.MaxFileSize, b.MaxFiles, b.Token, b.UploadsCount = 0, 0, "ignored", 99
	must(t, "UpdateInbox", s.UpdateInbox(ctx, b))
	if b.Title != "Renamed" || b.PasswordHash != "" || !b.ExpiresAt.IsZero() || b.Token != "secret-one" ||
		b.UploadsCount != 0 || !b.UpdatedAt.After(b.CreatedAt) {
		t.Errorf("updated inbox %+v", b)
	}

	// Received: the assets are made, the count grows, and one event per
	// submission, after the assets' own, names the Inbox and the actor.
	after := lastID(events(t, s, acct.ID, 0))
	actx := damask.WithActor(ctx, h.ID)
	first, second := sent(acct, h, "a", "b", "c"), sent(acct, h, "d")
	must(t, "InboxReceived", s.InboxReceived(actx, acct.ID, b.ID, first))
	must(t, "InboxReceived again", s.InboxReceived(actx, acct.ID, b.ID, second))
	got, err = s.Inbox(ctx, acct.ID, b.ID)
	must(t, "Inbox after receiving", err)
	if got.UploadsCount != 4 {
		t.Errorf("UploadsCount %d, want 4", got.UploadsCount)
	}
	for _, a := range append(first, second...) {
		stored, err := s.Asset(ctx, acct.ID, a.ID)
		must(t, "Asset received", err)
		if stored.Title != a.Title || stored.Version != 1 || stored.UserID != h.ID || !slices.Equal(tagNames(stored), []string{"Inbox"}) {
			t.Errorf("asset received %+v", stored)
		}
	}
	var evs []damask.Event
	for _, e := range events(t, s, acct.ID, after) {
		if e.Type != damask.EventTagCreated { // the store may tell the tag's creation among the assets'
			evs = append(evs, e)
		}
	}
	diff(t, "events of receiving", []ev{
		{damask.EventAssetCreated, h.ID, first[0].ID, nil}, {damask.EventAssetCreated, h.ID, first[1].ID, nil},
		{damask.EventAssetCreated, h.ID, first[2].ID, nil}, {damask.EventInboxReceived, h.ID, b.ID, nil},
		{damask.EventAssetCreated, h.ID, second[0].ID, nil}, {damask.EventInboxReceived, h.ID, b.ID, nil},
	}, brief(evs))
	if len(evs) > 3 && evs[3].Object() != "inbox" {
		t.Errorf("event's object %q, want inbox", evs[3].Object())
	}

	// Revoke: the first time is kept.
	at := time.Now().UTC().Truncate(time.Second)
	r, err := s.RevokeInbox(ctx, acct.ID, b.ID, at)
	must(t, "RevokeInbox", err)
	if !r.RevokedAt.Equal(at) || !r.Closed(time.Now()) {
		t.Errorf("revoked inbox %+v: RevokedAt want %v", r, at)
	}
	r, err = s.RevokeInbox(ctx, acct.ID, b.ID, at.Add(time.Hour))
	must(t, "RevokeInbox again", err)
	if !r.RevokedAt.Equal(at) {
		t.Errorf("revoked twice: RevokedAt %v, want the first %v", r.RevokedAt, at)
	}
	// A revoked Inbox is still found by its token (to answer 410).
	if _, err := s.InboxByToken(ctx, acct.ID, "secret-one"); err != nil {
		t.Errorf("InboxByToken of a revoked inbox: %v", err)
	}

	// The creator deleted: the Inbox stays, its UserID 0.
	m := newUser(t, s, acct.ID, "mia")
	mine := &damask.Inbox{AccountID: acct.ID, Token: "secret-mia", Title: "Mia's", UserID: m.ID}
	must(t, "CreateInbox by mia", s.CreateInbox(ctx, mine))
	must(t, "DeleteUser", s.DeleteUser(ctx, acct.ID, m.ID))
	got, err = s.Inbox(ctx, acct.ID, mine.ID)
	must(t, "Inbox of a deleted user", err)
	if got.UserID != 0 {
		t.Errorf("Inbox of a deleted user: UserID %d, want 0", got.UserID)
	}
	// Closed: by expiry too.
	if (&damask.Inbox{ExpiresAt: exp}).Closed(exp.Add(-time.Second)) || !(&damask.Inbox{ExpiresAt: exp}).Closed(exp) {
		t.Error("Closed does not follow ExpiresAt")
	}
}

// sent are the assets of a submission of files named names, as the
// library makes them.
func sent(acct *damask.Account, u *damask.User, names ...string) []*damask.Asset {
	as := make([]*damask.Asset, len(names))
	for i, n := range names {
		as[i] = &damask.Asset{AccountID: acct.ID, UserID: u.ID, Title: n, Description: "Sent through an Inbox",
			Filename: n + ".jpg", ContentType: "image/jpeg", Size: 10, Blob: ref(n),
			Processing: damask.ProcessingPending, Tags: []damask.Tag{{Name: "Inbox"}}}
	}
	return as
}

// testInboxReceivedAtomic: a submission is all or nothing. When any of
// its rows fails (an uploader who does not exist, an asset of another
// account, an Inbox gone), none of its assets, tags, jobs, count or
// events is stored; the same submission then goes in whole.
func testInboxReceivedAtomic(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	b := &damask.Inbox{AccountID: acct.ID, Token: "secret-atomic", Title: "Drop", Tags: "Inbox", UserID: h.ID}
	must(t, "CreateInbox", s.CreateInbox(ctx, b))
	actx := damask.WithActor(ctx, h.ID)
	stats0, err := s.AccountStats(ctx, acct.ID)
	must(t, "AccountStats", err)
	after := lastID(events(t, s, acct.ID, 0))

	for name, tc := range map[string]struct {
		inbox int64
		spoil func(as []*damask.Asset)
		code  string
	}{
		// The third row breaks a foreign key in the database itself,
		// after two rows went in.
		"uploader missing": {b.ID, func(as []*damask.Asset) { as[2].UserID = h.ID + oh.ID + 1000 }, ""},
		"another account's asset": {b.ID, func(as []*damask.Asset) {
			as[1].AccountID, as[1].UserID = other.ID, oh.ID
		}, damask.EINVALID},
		"inbox missing": {b.ID + 1000, func([]*damask.Asset) {}, damask.ENOTFOUND},
	} {
		as := sent(acct, h, "one", "two", "three")
		as[0].Tags = append(as[0].Tags, damask.Tag{Name: "new-" + name})
		tc.spoil(as)
		err := s.InboxReceived(actx, acct.ID, tc.inbox, as)
		if err == nil {
			t.Fatalf("%s: InboxReceived answered no error", name)
		}
		if tc.code != "" {
			wantCode(t, name, err, tc.code, "")
		}
		if _, err := s.TagByName(ctx, acct.ID, "new-"+name); damask.ErrorCode(err) != damask.ENOTFOUND {
			t.Errorf("%s: the new tag is stored (%v)", name, err)
		}
	}
	got, err := s.Inbox(ctx, acct.ID, b.ID)
	must(t, "Inbox", err)
	stats, err := s.AccountStats(ctx, acct.ID)
	must(t, "AccountStats", err)
	if got.UploadsCount != 0 || stats != stats0 {
		t.Errorf("after failed submissions: UploadsCount %d, stats %+v (before %+v), want nothing stored", got.UploadsCount, stats, stats0)
	}
	if evs := events(t, s, acct.ID, after); len(evs) != 0 {
		t.Errorf("after failed submissions: events %+v, want none", brief(evs))
	}
	list, n, err := s.Assets(ctx, damask.AssetFilter{AccountID: acct.ID, Page: damask.Page{Number: 1, Size: 10}})
	must(t, "Assets", err)
	if n != 0 || len(list) != 0 {
		t.Errorf("after failed submissions: %d assets %v, want none", n, ids(list))
	}

	// The same files, sound, go in whole.
	as := sent(acct, h, "one", "two", "three")
	must(t, "InboxReceived", s.InboxReceived(actx, acct.ID, b.ID, as))
	stats, err = s.AccountStats(ctx, acct.ID)
	must(t, "AccountStats", err)
	if stats.AssetsCount != stats0.AssetsCount+3 {
		t.Errorf("after the submission: %d assets, want %d", stats.AssetsCount, stats0.AssetsCount+3)
	}
	for _, a := range as {
		if a.ID == 0 {
			t.Errorf("asset %q has no id", a.Title)
		}
	}
}
