package storetest

import (
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
		"InboxReceived of another account": s.InboxReceived(ctx, acct.ID, theirs.ID, 1),
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

	// Received: the count grows and one event per submission names the
	// Inbox and the actor.
	after := lastID(events(t, s, acct.ID, 0))
	actx := damask.WithActor(ctx, h.ID)
	must(t, "InboxReceived", s.InboxReceived(actx, acct.ID, b.ID, 3))
	must(t, "InboxReceived again", s.InboxReceived(actx, acct.ID, b.ID, 1))
	got, err = s.Inbox(ctx, acct.ID, b.ID)
	must(t, "Inbox after receiving", err)
	if got.UploadsCount != 4 {
		t.Errorf("UploadsCount %d, want 4", got.UploadsCount)
	}
	diff(t, "events of receiving", []ev{{damask.EventInboxReceived, h.ID, b.ID, nil}, {damask.EventInboxReceived, h.ID, b.ID, nil}},
		brief(events(t, s, acct.ID, after)))
	if e := events(t, s, acct.ID, after); len(e) > 0 && e[0].Object() != "inbox" {
		t.Errorf("event's object %q, want inbox", e[0].Object())
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
