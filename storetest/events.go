package storetest

import (
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
)

// ev is an event as a test expects it: the rest (ids, times) is checked
// apart.
type ev struct {
	Type    string
	Actor   int64
	Object  int64
	Changed []string
}

// events reads every event of the account after an id, a page of 3 at a
// time, checking that ids increase.
func events(t *testing.T, s damask.Store, accountID, after int64) []damask.Event {
	t.Helper()
	var all []damask.Event
	for {
		page, _, err := s.Events(t.Context(), accountID, after, 3)
		must(t, "Events", err)
		for _, e := range page {
			if e.ID <= after {
				t.Fatalf("event %d after %d", e.ID, after)
			}
			if e.AccountID != accountID {
				t.Errorf("event %d of account %d, want %d", e.ID, e.AccountID, accountID)
			}
			checkUTC(t, "event's CreatedAt", e.CreatedAt)
			after = e.ID
		}
		all = append(all, page...)
		if len(page) < 3 {
			return all
		}
	}
}

func brief(evs []damask.Event) []ev {
	out := make([]ev, len(evs))
	for i, e := range evs {
		out[i] = ev{e.Type, e.ActorID, e.ObjectID, e.Changed}
	}
	return out
}

func lastID(evs []damask.Event) int64 {
	if len(evs) == 0 {
		return 0
	}
	return evs[len(evs)-1].ID
}

// testEvents: every change writes its event, with the actor the context
// carries and the fields that changed; reads page oldest first.
func testEvents(t *testing.T, s damask.Store) {
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	start := time.Now()
	got := events(t, s, acct.ID, 0)
	diff(t, "events of a new account", []ev{{damask.EventUserCreated, 0, h.ID, nil}}, brief(got))
	if len(got) == 1 {
		if got[0].ID != 1 {
			t.Errorf("first event's id %d, want 1", got[0].ID)
		}
		checkSet(t, "event's CreatedAt", got[0].CreatedAt, start.Add(-time.Minute), time.Now())
	}
	after := lastID(got)

	ctx := damask.WithActor(t.Context(), h.ID)
	u := &damask.User{AccountID: acct.ID, Login: "mia", Email: "mia@acme.example", Role: damask.RoleMember}
	must(t, "CreateUser", s.CreateUser(ctx, u))
	u.FirstName, u.Role = "Mia", damask.RoleAdmin
	must(t, "UpdateUser", s.UpdateUser(ctx, u))
	must(t, "UpdateUser unchanged", s.UpdateUser(ctx, u)) // no event
	tag := &damask.Tag{AccountID: acct.ID, Name: "red"}
	must(t, "CreateTag", s.CreateTag(ctx, tag))
	tag.Name = "crimson"
	must(t, "UpdateTag", s.UpdateTag(ctx, tag))

	a := &damask.Asset{AccountID: acct.ID, Title: "sunset", Filename: "sunset.jpg", ContentType: "image/jpeg",
		Size: 10, Blob: ref("sunset"), UserID: h.ID, Processing: damask.ProcessingPending}
	must(t, "CreateAsset", s.CreateAsset(ctx, a, &damask.Version{Filename: "sunset.jpg", ContentType: "image/jpeg", Size: 10, Blob: ref("sunset")},
		[]string{"crimson", "sea"}, 0))
	var sea int64
	for _, tg := range a.Tags {
		if tg.Name == "sea" {
			sea = tg.ID
		}
	}
	a.Title = "Sunset"
	must(t, "UpdateAsset", s.UpdateAsset(ctx, a, []string{"sea"}))
	a.Description = "by the sea"
	must(t, "UpdateAsset without tags", s.UpdateAsset(ctx, a, nil))
	must(t, "AddVersion", s.AddVersion(ctx, a, newVersion(h, "sunset2.png", 20), 0))
	// The workers and the maintenance job act for no one.
	must(t, "SetExtracted", s.SetExtracted(t.Context(), acct.ID, a.ID, 2, damask.Extracted{Processing: damask.ProcessingFailed, Reason: "broken"}))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Time{}))
	must(t, "RestoreAsset", s.RestoreAsset(ctx, acct.ID, a.ID))
	must(t, "TrashAsset", s.TrashAsset(ctx, acct.ID, a.ID, time.Time{}))
	must(t, "PurgeAsset", s.PurgeAsset(ctx, acct.ID, a.ID))
	must(t, "DeleteTag", s.DeleteTag(ctx, acct.ID, tag.ID))
	must(t, "DeleteUser", s.DeleteUser(ctx, acct.ID, u.ID))

	// Another account's changes stay in its own feed, numbered apart.
	must(t, "CreateTag in another account", s.CreateTag(damask.WithActor(t.Context(), oh.ID), &damask.Tag{AccountID: other.ID, Name: "x"}))

	got = events(t, s, acct.ID, after)
	diff(t, "events", []ev{
		{damask.EventUserCreated, h.ID, u.ID, nil},
		{damask.EventUserUpdated, h.ID, u.ID, []string{"first_name", "role"}},
		{damask.EventTagCreated, h.ID, tag.ID, nil},
		{damask.EventTagUpdated, h.ID, tag.ID, []string{"name"}},
		{damask.EventTagCreated, h.ID, sea, nil},
		{damask.EventAssetCreated, h.ID, a.ID, nil},
		{damask.EventAssetUpdated, h.ID, a.ID, []string{"title", "tags"}},
		{damask.EventAssetUpdated, h.ID, a.ID, []string{"description"}},
		{damask.EventVersionCreated, h.ID, a.ID, []string{"version"}},
		{damask.EventProcessingFailed, 0, a.ID, []string{"processing"}},
		{damask.EventAssetTrashed, h.ID, a.ID, nil},
		{damask.EventAssetRestored, h.ID, a.ID, nil},
		{damask.EventAssetTrashed, h.ID, a.ID, nil},
		{damask.EventAssetDeleted, h.ID, a.ID, nil},
		{damask.EventTagDeleted, h.ID, tag.ID, nil},
		{damask.EventUserDeleted, h.ID, u.ID, nil},
	}, brief(got))
	for i, e := range got {
		if want := after + 1 + int64(i); e.ID != want {
			t.Errorf("event %d: id %d, want %d (one counter per account)", i, e.ID, want)
		}
	}
	otherEvs := events(t, s, other.ID, 0)
	var types []string
	for _, e := range otherEvs {
		types = append(types, e.Type)
	}
	diff(t, "events of the other account", []string{damask.EventUserCreated, damask.EventTagCreated}, types)
	if len(otherEvs) == 2 && (otherEvs[0].ID != 1 || otherEvs[1].ActorID != oh.ID) {
		t.Errorf("the other account's events: %+v", otherEvs)
	}

	// A page stops at its limit; after the newest there is nothing.
	page, oldest, err := s.Events(t.Context(), acct.ID, 0, 2)
	must(t, "Events", err)
	if len(page) != 2 || page[0].ID != 1 || oldest != 1 {
		t.Errorf("first page of 2: %d events from %d, oldest %d", len(page), lastID(page[:min(1, len(page))]), oldest)
	}
	page, _, err = s.Events(t.Context(), acct.ID, lastID(got), 100)
	must(t, "Events past the newest", err)
	diff(t, "events past the newest", []ev{}, brief(page))
}

// testEventsNotInvented: a change that fails writes no event.
func testEventsNotInvented(t *testing.T, s damask.Store) {
	acct, h := newAccount(t, s, "acme")
	ctx := damask.WithActor(t.Context(), h.ID)
	after := lastID(events(t, s, acct.ID, 0))
	tag := &damask.Tag{AccountID: acct.ID, Name: "red"}
	must(t, "CreateTag", s.CreateTag(ctx, tag))
	after++
	if err := s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: "RED"}); err == nil {
		t.Fatal("CreateTag of a taken name succeeded")
	}
	a := newAsset(t, s, h, assetSpec{title: "one"}) // tag-less asset: one event
	after++
	if err := s.UpdateAsset(ctx, &damask.Asset{AccountID: acct.ID, ID: a.ID + 1000, Title: "x"}, nil); err == nil {
		t.Error("UpdateAsset of a missing asset succeeded")
	}
	if err := s.RestoreAsset(ctx, acct.ID, a.ID); err == nil {
		t.Error("RestoreAsset of an asset outside the trash succeeded")
	}
	if err := s.PurgeAsset(ctx, acct.ID, a.ID); err == nil {
		t.Error("PurgeAsset of an asset outside the trash succeeded")
	}
	if err := s.DeleteUser(ctx, acct.ID, h.ID+1000); err == nil {
		t.Error("DeleteUser of a missing user succeeded")
	}
	if err := s.SetExtracted(ctx, acct.ID, a.ID, 7, damask.Extracted{Processing: damask.ProcessingDone}); err == nil {
		t.Error("SetExtracted of a former version succeeded")
	}
	if got := events(t, s, acct.ID, after); len(got) != 0 {
		t.Errorf("failed changes wrote events: %+v", brief(got))
	}
	// The next change takes the next id: nothing was numbered for the
	// failures.
	must(t, "CreateTag", s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: "blue"}))
	if got := events(t, s, acct.ID, after); len(got) != 1 || got[0].ID != after+1 {
		t.Errorf("after failures, next event %+v, want id %d", got, after+1)
	}
}

// testEventRetention: DeleteEvents removes old events but each account's
// newest; the oldest kept id tells a reader it missed some; ids never
// come back.
func testEventRetention(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	for i := range 3 {
		must(t, "CreateTag", s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: fmt.Sprint("t", i)}))
	}
	// 1 user.created and 3 tag.created.
	n, err := s.DeleteEvents(ctx, time.Now().Add(-time.Hour))
	must(t, "DeleteEvents of the old", err)
	if n != 0 {
		t.Errorf("DeleteEvents of events older than an hour removed %d", n)
	}
	n, err = s.DeleteEvents(ctx, time.Now().Add(time.Hour))
	must(t, "DeleteEvents", err)
	if n != 3 {
		t.Errorf("DeleteEvents removed %d, want 3 (all but the newest)", n)
	}
	evs, oldest, err := s.Events(ctx, acct.ID, 0, 100)
	must(t, "Events", err)
	if len(evs) != 1 || evs[0].ID != 4 || oldest != 4 {
		t.Errorf("after retention: %+v, oldest %d, want the newest (4) kept", brief(evs), oldest)
	}
	// Again: the newest stays, however old.
	n, err = s.DeleteEvents(ctx, time.Now().Add(time.Hour))
	must(t, "DeleteEvents again", err)
	if n != 0 {
		t.Errorf("DeleteEvents again removed %d", n)
	}
	newUser(t, s, acct.ID, "mia")
	evs, oldest, err = s.Events(ctx, acct.ID, 0, 100)
	must(t, "Events", err)
	if len(evs) != 2 || evs[1].ID != 5 || oldest != 4 {
		t.Errorf("after a new change: %+v, oldest %d, want ids 4 and 5", brief(evs), oldest)
	}
	// An account without events: oldest 1.
	if _, oldest, err := s.Events(ctx, acct.ID+1000, 0, 100); err != nil || oldest != 1 {
		t.Errorf("Events of no account: oldest %d, %v", oldest, err)
	}
	_ = h
}

// testEventsConcurrent: writers in many goroutines while a reader follows
// the feed: the reader sees every event exactly once, in increasing order,
// without gaps, however the writers' transactions interleave. The reader
// never skips one whose transaction committed after a later id's.
func testEventsConcurrent(t *testing.T, s damask.Store) {
	acct, h := newAccount(t, s, "acme")
	start := lastID(events(t, s, acct.ID, 0))
	const writers, each = 8, 10
	var wg sync.WaitGroup
	errs := make(chan error, writers*each)
	for w := range writers {
		wg.Go(func() {
			ctx := damask.WithActor(t.Context(), h.ID)
			for i := range each {
				name := fmt.Sprintf("w%d-%d", w, i)
				var err error
				if i%2 == 0 {
					err = s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: name})
				} else {
					a := &damask.Asset{AccountID: acct.ID, Title: name, Filename: name, Size: 1, Blob: ref(name), UserID: h.ID}
					err = s.CreateAsset(ctx, a, &damask.Version{Filename: name, Size: 1, Blob: ref(name)}, []string{"shared"}, 0)
				}
				if err != nil {
					errs <- fmt.Errorf("writer %d, change %d: %w", w, i, err)
				}
			}
		})
	}
	done := make(chan struct{})
	go func() { wg.Wait(); close(done) }()

	seen := map[int64]int{}
	after := start
	read := func() {
		page, _, err := s.Events(t.Context(), acct.ID, after, damask.EventsPage)
		must(t, "Events while writing", err)
		for _, e := range page {
			if e.ID != after+1 {
				t.Fatalf("read event %d after %d: a gap (an event committed later than a higher one?)", e.ID, after)
			}
			seen[e.ID]++
			after = e.ID
		}
	}
	for running := true; running; {
		select {
		case <-done:
			running = false
		default:
			read()
		}
	}
	read()
	read()
	close(errs)
	for err := range errs {
		t.Error(err)
	}
	// 40 tags, 40 assets and the one "shared" tag.
	want := writers*each + 1
	if len(seen) != want {
		t.Errorf("reader saw %d events, want %d", len(seen), want)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("event %d seen %d times", id, n)
		}
	}
}

// testEventsBulk: assets made many at once (an unpacked archive) are
// changes like any other: an asset.created each, and a tag.created for a
// tag they made, with the actor.
func testEventsBulk(t *testing.T, s damask.Store) {
	bulk, ok := s.(damask.BulkCreator)
	if !ok {
		t.Fatal("the store is no BulkCreator")
	}
	acct, h := newAccount(t, s, "acme")
	after := lastID(events(t, s, acct.ID, 0))
	ctx := damask.WithActor(t.Context(), h.ID)
	as := make([]*damask.Asset, 2)
	for i := range as {
		name := fmt.Sprintf("entry%d", i)
		as[i] = &damask.Asset{AccountID: acct.ID, Title: name, Filename: name + ".jpg", ContentType: "image/jpeg",
			Size: 10, Blob: ref(name), UserID: h.ID, Processing: damask.ProcessingPending, Tags: []damask.Tag{{Name: "unpacked"}}}
	}
	must(t, "CreateAssets", bulk.CreateAssets(ctx, as))
	got := brief(events(t, s, acct.ID, after))
	tag := as[0].Tags[0].ID
	want := []ev{{damask.EventTagCreated, h.ID, tag, nil}, {damask.EventAssetCreated, h.ID, as[0].ID, nil}, {damask.EventAssetCreated, h.ID, as[1].ID, nil}}
	if len(got) == 3 && got[0].Type != damask.EventTagCreated { // the store may tell the tag after the first asset
		want[0], want[1] = want[1], want[0]
	}
	diff(t, "events of CreateAssets", want, got)
}
