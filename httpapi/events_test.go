package httpapi_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync/atomic"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/sqlite"
)

// feedEvent is an event as a test reads it.
type feedEvent struct {
	ID       int64
	Type     string
	Object   string
	ObjectID int64
	Actor    string
	Changed  string
}

func readEvents(t *testing.T, c *client, path string) []feedEvent {
	t.Helper()
	r := c.get(t, path).want(t, http.StatusOK)
	var out []feedEvent
	for _, it := range r.list(t, "events", "event") {
		m := it.(map[string]any)
		var changed []string
		for _, f := range m["changed"].([]any) {
			changed = append(changed, str(f))
		}
		if str(m["created_on"]) == "" {
			t.Errorf("event without created_on: %v", m)
		}
		out = append(out, feedEvent{num(t, m["id"]), str(m["type"]), str(m["object"]), num(t, m["object_id"]),
			str(m["actor_id"]), strings.Join(changed, ",")})
	}
	return out
}

// TestEvents: the changes made through the API come out of the feed, in
// order, in both formats, with their actor; paging by after.
func TestEvents(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	holderID := id(t, tn.holder.get(t, "/api/user.json").want(t, 200).obj(t))
	memberID := id(t, tn.member.get(t, "/api/user.json").want(t, 200).obj(t))
	start := readEvents(t, tn.member, "/api/events.json")
	if len(start) != 4 { // the holder and the three users the operator made
		t.Fatalf("a new account's events: %+v", start)
	}
	for _, ev := range start {
		if ev.Type != "user.created" || ev.Actor != "<nil>" {
			t.Errorf("operator's event %+v, want user.created by no one", ev)
		}
	}
	after := start[len(start)-1].ID

	tag := num(t, tn.admin.send(t, "POST", "/api/tags.json", form("tag", "brand")).want(t, 201).obj(t)["id"])
	asset := num(t, tn.member.createAsset(t, "logo.txt", []byte("logo"), "tags", "brand")["id"])
	tn.member.send(t, "PUT", fmt.Sprintf("/api/assets/%d.json", asset), form("title", "The logo", "tags", "brand, new")).want(t, 200)
	tn.member.do(t, "DELETE", fmt.Sprintf("/api/assets/%d.json", asset), nil).want(t, 200)
	adminID := id(t, tn.admin.get(t, "/api/user.json").want(t, 200).obj(t))

	for _, ext := range formats {
		got := readEvents(t, tn.member, fmt.Sprintf("/api/events%s?after=%d", ext, after))
		for i := range got {
			got[i].ID -= after
			if got[i].Type == "tag.created" && got[i].ObjectID != tag {
				got[i].ObjectID = 0 // the new tag "new"
			}
		}
		want := []feedEvent{
			{1, "tag.created", "tag", tag, adminID, ""},
			{2, "asset.created", "asset", asset, memberID, ""},
			{3, "tag.created", "tag", 0, memberID, ""},
			{4, "asset.updated", "asset", asset, memberID, "title,tags"},
			{5, "asset.trashed", "asset", asset, memberID, ""},
		}
		if d := cmp.Diff(want, got); d != "" {
			t.Errorf("events%s (-want +got):\n%s", ext, d)
		}
	}
	_ = holderID

	// after pages on; past the newest the answer is an empty 200.
	got := readEvents(t, tn.holder, fmt.Sprintf("/api/events.json?after=%d", after+4))
	if len(got) != 1 || got[0].ID != after+5 {
		t.Errorf("after %d: %+v", after+4, got)
	}
	if got := readEvents(t, tn.holder, fmt.Sprintf("/api/events.xml?after=%d", after+5)); len(got) != 0 {
		t.Errorf("past the newest: %+v", got)
	}

	// Bad parameters are 400; guests read no events.
	for _, q := range []string{"after=-1", "after=x", "wait=-2", "wait=soon", "after=99999999999999999999"} {
		tn.member.get(t, "/api/events.json?"+q).wantError(t, http.StatusBadRequest, "Parameter")
	}
	tn.guest.get(t, "/api/events.json").wantError(t, http.StatusForbidden, "")
	tn.anon.get(t, "/api/events.json").want(t, http.StatusUnauthorized)

	// Another account's feed is its own.
	other := e.tenant(t, "other", "deluxe")
	if got := readEvents(t, other.holder, "/api/events.json"); len(got) != 4 || got[0].ID != 1 {
		t.Errorf("another account's feed: %+v", got)
	}
}

// TestEventsLongPoll: a read with wait is answered by the change that
// comes while it waits; one with nothing to wait for answers an empty
// page once its time is up; one whose client goes is ended.
func TestEventsLongPoll(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	evs := readEvents(t, tn.member, "/api/events.json")
	after := evs[len(evs)-1].ID

	// A waiting read, then a change: the read answers with the change.
	var answered atomic.Bool
	done := make(chan []feedEvent)
	go func() {
		got := readEvents(t, tn.member, fmt.Sprintf("/api/events.json?after=%d&wait=30", after))
		answered.Store(true)
		done <- got
	}()
	// Give the read a moment to start waiting; correct either way (a read
	// that comes after the change answers it at once).
	time.Sleep(200 * time.Millisecond)
	if answered.Load() {
		t.Fatal("a read with wait=30 answered before any change")
	}
	tn.admin.send(t, "POST", "/api/tags.json", form("tag", "late")).want(t, 201)
	got := <-done
	if len(got) != 1 || got[0].Type != "tag.created" || got[0].ID != after+1 {
		t.Errorf("long poll answered %+v", got)
	}

	// A change by another process (a worker, another server) on the same
	// database: no signal reaches this one, whose look at the store every
	// second finds it.
	other, err := sqlite.Open(context.Background(), e.dbPath)
	if err != nil {
		t.Fatal(err)
	}
	defer other.Close()
	go func() {
		time.Sleep(200 * time.Millisecond)
		if err := other.CreateTag(context.Background(), &damask.Tag{AccountID: 1, Name: "from afar"}); err != nil {
			t.Error(err)
		}
	}()
	if got := readEvents(t, tn.member, fmt.Sprintf("/api/events.json?after=%d&wait=30", after+1)); len(got) != 1 || got[0].ID != after+2 || got[0].Actor != "<nil>" {
		t.Errorf("long poll of another process's change answered %+v", got)
	}
	after++

	// Nothing comes: an empty 200 after at least the wait.
	start := time.Now()
	if got := readEvents(t, tn.member, fmt.Sprintf("/api/events.json?after=%d&wait=1", after+1)); len(got) != 0 {
		t.Errorf("long poll without a change answered %+v", got)
	}
	if d := time.Since(start); d < time.Second {
		t.Errorf("wait=1 answered after %v", d)
	}

	// The client goes: the server ends the request.
	conn, closed := e.dial(t)
	fmt.Fprintf(conn, "GET /api/events.json?after=%d&wait=30 HTTP/1.1\r\nHost: acme.%s\r\nAuthorization: Basic %s\r\n\r\n",
		after+1, domain, basic("member", pw))
	time.Sleep(100 * time.Millisecond)
	conn.Close()
	select {
	case <-closed:
	case <-time.After(20 * time.Second):
		t.Error("the server still holds a long poll 20 s after its client went")
	}
}

// TestEventsGone: a reader behind the oldest event kept is told so, with
// the oldest id; a reader from the start is not.
func TestEventsGone(t *testing.T) {
	var shift atomic.Int64
	e := newEnv(t, setup{now: func() time.Time { return time.Now().Add(time.Duration(shift.Load())) }})
	tn := e.tenant(t, "acme", "deluxe")
	tn.admin.send(t, "POST", "/api/tags.json", form("tag", "a")).want(t, 201)
	shift.Store(int64(31 * 24 * time.Hour))
	if err := e.svc.Tidy(context.Background(), time.Hour); err != nil {
		t.Fatal(err)
	}
	shift.Store(0)
	tn.admin.send(t, "POST", "/api/tags.json", form("tag", "b")).want(t, 201) // event 6
	// Events 1 to 4 are gone; 5, the newest then, is kept.
	tn.member.get(t, "/api/events.json?after=2").wantError(t, http.StatusGone, "the oldest kept is 5")
	if got := readEvents(t, tn.member, "/api/events.json?after=4"); len(got) != 2 || got[0].ID != 5 {
		t.Errorf("after 4: %+v", got)
	}
	if got := readEvents(t, tn.member, "/api/events.json"); len(got) != 2 || got[0].ID != 5 {
		t.Errorf("from the start: %+v", got)
	}
}
