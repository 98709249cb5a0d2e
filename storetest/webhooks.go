package storetest

import (
	"context"
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
)

func newWebhook(t *testing.T, s damask.Store, accountID int64, events ...string) *damask.Webhook {
	t.Helper()
	w := &damask.Webhook{AccountID: accountID, URL: "https://hooks.example/in", Events: events, Secret: "sealed", Active: true}
	must(t, "CreateWebhook", s.CreateWebhook(t.Context(), w))
	return w
}

// finish is FinishDelivery's error alone, for must and wantCode.
func finish(ctx context.Context, s damask.Store, id int64, worker string, o damask.DeliveryOutcome) error {
	_, err := s.FinishDelivery(ctx, id, worker, o)
	return err
}

// testWebhooks: webhooks are made, listed, changed and removed within
// their account, at most MaxWebhooks each.
func testWebhooks(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, _ := newAccount(t, s, "acme")
	other, _ := newAccount(t, s, "other")
	start := time.Now()
	w := newWebhook(t, s, acct.ID, "asset.", "tag.deleted")
	if w.ID == 0 || !w.Active || !w.FailingSince.IsZero() {
		t.Errorf("created %+v", w)
	}
	checkSet(t, "webhook's CreatedAt", w.CreatedAt, start, time.Now())
	got, err := s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	diff(t, "webhook read back", w, got)
	_, err = s.Webhook(ctx, other.ID, w.ID)
	wantCode(t, "Webhook of another account", err, damask.ENOTFOUND, "")

	w.URL, w.Events, w.Active = "https://hooks.example/other", []string{"*"}, false
	must(t, "UpdateWebhook", s.UpdateWebhook(ctx, w))
	got, err = s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	diff(t, "webhook after update", w, got)
	if got.Secret != "sealed" {
		t.Errorf("UpdateWebhook changed the secret to %q", got.Secret)
	}
	wrong := *w
	wrong.AccountID = other.ID
	wantCode(t, "UpdateWebhook of another account", s.UpdateWebhook(ctx, &wrong), damask.ENOTFOUND, "")

	for range damask.MaxWebhooks - 1 {
		newWebhook(t, s, acct.ID, "*")
	}
	wantCode(t, "CreateWebhook past the limit", s.CreateWebhook(ctx, &damask.Webhook{AccountID: acct.ID, URL: "https://x.example", Events: []string{"*"}, Secret: "s"}), damask.EINVALID, "")
	ws, err := s.Webhooks(ctx, acct.ID)
	must(t, "Webhooks", err)
	if len(ws) != damask.MaxWebhooks || ws[0].ID != w.ID {
		t.Errorf("Webhooks: %d, first %d", len(ws), ws[0].ID)
	}
	if ws, _ := s.Webhooks(ctx, other.ID); len(ws) != 0 {
		t.Errorf("another account lists %d webhooks", len(ws))
	}
	wantCode(t, "DeleteWebhook of another account", s.DeleteWebhook(ctx, other.ID, w.ID), damask.ENOTFOUND, "")
	must(t, "DeleteWebhook", s.DeleteWebhook(ctx, acct.ID, w.ID))
	_, err = s.Webhook(ctx, acct.ID, w.ID)
	wantCode(t, "Webhook deleted", err, damask.ENOTFOUND, "")
}

// testDeliveriesQueued: the write of an event queues its delivery to every
// active webhook of the account that wants it, in the same transaction.
func testDeliveriesQueued(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	other, oh := newAccount(t, s, "other")
	assets := newWebhook(t, s, acct.ID, "asset.")
	all := newWebhook(t, s, acct.ID, "*")
	off := newWebhook(t, s, acct.ID, "*")
	off.Active = false
	must(t, "UpdateWebhook", s.UpdateWebhook(ctx, off))
	newWebhook(t, s, other.ID, "*")

	actx := damask.WithActor(ctx, h.ID)
	must(t, "CreateTag", s.CreateTag(actx, &damask.Tag{AccountID: acct.ID, Name: "red"}))
	a := &damask.Asset{AccountID: acct.ID, Title: "one", Filename: "one.jpg", Size: 1, Blob: ref("one"), UserID: h.ID}
	must(t, "CreateAsset", s.CreateAsset(actx, a, &damask.Version{Filename: "one.jpg", Size: 1, Blob: ref("one")}, nil, 0))
	a.Title = "One"
	must(t, "UpdateAsset", s.UpdateAsset(actx, a, nil))
	newUser(t, s, other.ID, "mia")
	_ = oh

	evs := events(t, s, acct.ID, 0)
	byType := map[string]damask.Event{}
	for _, e := range evs {
		byType[e.Type] = e
	}
	type brief struct {
		Type     string
		Object   string
		ObjectID int64
		Actor    int64
		Changed  []string
		State    string
		EventID  int64
	}
	got := func(w *damask.Webhook) []brief {
		ds, err := s.Deliveries(ctx, acct.ID, w.ID, 100)
		must(t, "Deliveries", err)
		var out []brief
		for _, d := range ds {
			out = append(out, brief{d.EventType, d.Object, d.ObjectID, d.ActorID, d.Changed, d.State, d.EventID})
			if d.AccountID != acct.ID || d.WebhookID != w.ID || d.Attempts != 0 {
				t.Errorf("delivery %+v", d)
			}
			checkUTC(t, "delivery times", d.EventAt, d.RunAfter, d.GiveUpAt, d.CreatedAt)
			if d.GiveUpAt.Sub(d.EventAt) != damask.WebhookRetryFor {
				t.Errorf("delivery gives up %v after its event", d.GiveUpAt.Sub(d.EventAt))
			}
		}
		return out
	}
	created, updated := byType[damask.EventAssetCreated], byType[damask.EventAssetUpdated]
	diff(t, "deliveries to asset.", []brief{
		{damask.EventAssetUpdated, "asset", a.ID, h.ID, []string{"title"}, damask.DeliveryQueued, updated.ID},
		{damask.EventAssetCreated, "asset", a.ID, h.ID, nil, damask.DeliveryQueued, created.ID},
	}, got(assets))
	if n := len(got(all)); n != 3 {
		t.Errorf("deliveries to *: %d, want 3 (tag, asset, update)", n)
	}
	if n := len(got(off)); n != 0 {
		t.Errorf("deliveries to a webhook switched off: %d", n)
	}
	_, err := s.Deliveries(ctx, other.ID, assets.ID, 100)
	wantCode(t, "Deliveries of another account's webhook", err, damask.ENOTFOUND, "")

	// A ping is queued as any delivery.
	p := &damask.Delivery{WebhookID: off.ID, AccountID: acct.ID, EventType: damask.EventPing, EventAt: time.Now(),
		Object: "webhook", ObjectID: off.ID, GiveUpAt: time.Now().Add(time.Hour)}
	must(t, "QueueDelivery", s.QueueDelivery(ctx, p))
	d, err := s.Delivery(ctx, acct.ID, off.ID, p.ID)
	must(t, "Delivery", err)
	if d.EventType != damask.EventPing || d.State != damask.DeliveryQueued {
		t.Errorf("ping's delivery %+v", d)
	}
	wantCode(t, "QueueDelivery to another account's webhook",
		s.QueueDelivery(ctx, &damask.Delivery{WebhookID: off.ID, AccountID: other.ID, EventType: damask.EventPing, Object: "webhook", GiveUpAt: time.Now()}),
		damask.ENOTFOUND, "")
}

// testDeliveryClaims: claims go oldest first, one at a time per object;
// a failure retried holds the object's later deliveries back, a give-up
// lets them go; a lost lease hands the delivery to another worker.
func testDeliveryClaims(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	w := newWebhook(t, s, acct.ID, "asset.")
	mk := func(name string) *damask.Asset {
		a := &damask.Asset{AccountID: acct.ID, Title: name, Filename: name, Size: 1, Blob: ref(name), UserID: h.ID}
		must(t, "CreateAsset", s.CreateAsset(ctx, a, &damask.Version{Filename: name, Size: 1, Blob: ref(name)}, nil, 0))
		return a
	}
	a := mk("a")
	a.Title = "A"
	must(t, "UpdateAsset", s.UpdateAsset(ctx, a, nil))
	b := mk("b")

	claim := func(worker string, lease time.Duration) *damask.Delivery {
		t.Helper()
		d, hook, err := s.ClaimDelivery(ctx, worker, lease)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			return nil
		}
		must(t, "ClaimDelivery", err)
		if hook.ID != w.ID || hook.URL != w.URL || hook.Secret != w.Secret {
			t.Errorf("claimed with webhook %+v", hook)
		}
		if d.State != damask.DeliveryRunning {
			t.Errorf("claimed delivery in state %s", d.State)
		}
		return d
	}
	want := func(what string, d *damask.Delivery, typ string, object int64) {
		t.Helper()
		switch {
		case d == nil && typ == "":
		case d == nil:
			t.Fatalf("%s: nothing claimed, want %s of %d", what, typ, object)
		case typ == "":
			t.Fatalf("%s: claimed %s of %d, want nothing", what, d.EventType, d.ObjectID)
		case d.EventType != typ || d.ObjectID != object:
			t.Fatalf("%s: claimed %s of %d, want %s of %d", what, d.EventType, d.ObjectID, typ, object)
		}
	}
	now := time.Now()
	d1 := claim("w1", time.Minute)
	want("first claim", d1, damask.EventAssetCreated, a.ID)
	if d1.Attempts != 1 {
		t.Errorf("first claim: attempts %d", d1.Attempts)
	}
	d3 := claim("w2", time.Minute)
	want("second claim: a's update waits for its creation", d3, damask.EventAssetCreated, b.ID)
	want("third claim", claim("w3", time.Minute), "", 0)

	// A failure to retry later holds a's update back.
	must(t, "FinishDelivery failed", finish(ctx, s, d1.ID, "w1", damask.DeliveryOutcome{
		Status: 500, Duration: 30 * time.Millisecond, Error: "answered 500", At: now, RetryAt: now.Add(time.Hour)}))
	want("claim while a's creation waits to retry", claim("w3", time.Minute), "", 0)
	d, err := s.Delivery(ctx, acct.ID, w.ID, d1.ID)
	must(t, "Delivery", err)
	if d.State != damask.DeliveryQueued || d.Status != 500 || d.Duration != 30*time.Millisecond || d.Error != "answered 500" {
		t.Errorf("after a failed attempt: %+v", d)
	}
	hook, err := s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	if hook.FailingSince.IsZero() || !hook.Active {
		t.Errorf("after a failure the webhook is %+v", hook)
	}
	// Only the holder finishes.
	wantCode(t, "FinishDelivery by another worker", finish(ctx, s, d3.ID, "w1", damask.DeliveryOutcome{Delivered: true, At: now}), damask.ENOTFOUND, "")
	must(t, "FinishDelivery delivered", finish(ctx, s, d3.ID, "w2", damask.DeliveryOutcome{Delivered: true, Status: 204, At: now}))
	hook, err = s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	if !hook.FailingSince.IsZero() {
		t.Errorf("a success left the webhook failing since %v", hook.FailingSince)
	}

	// a's creation waits an hour; b's is delivered; a's update waits for
	// a's creation.
	want("nothing due yet", claim("w4", time.Minute), "", 0)
}

// testDeliveryLease: a delivery whose lease ran out is claimed by another
// worker, and its first worker can no longer record it; given up, it lets
// the object's next delivery go; a failing webhook is switched off past
// the cut; Redeliver queues a finished one again; Prune keeps the newest.
func testDeliveryLease(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	w := newWebhook(t, s, acct.ID, "tag.")
	tag := &damask.Tag{AccountID: acct.ID, Name: "red"}
	must(t, "CreateTag", s.CreateTag(ctx, tag))
	tag.Name = "crimson"
	must(t, "UpdateTag", s.UpdateTag(ctx, tag))
	_ = h

	d, _, err := s.ClaimDelivery(ctx, "doomed", -time.Second) // a lease already run out
	must(t, "ClaimDelivery", err)
	again, _, err := s.ClaimDelivery(ctx, "survivor", time.Minute)
	must(t, "ClaimDelivery after the lease", err)
	if again.ID != d.ID || again.Attempts != 2 {
		t.Errorf("after a lost lease claimed %d (attempts %d), want %d again", again.ID, again.Attempts, d.ID)
	}
	now := time.Now()
	wantCode(t, "FinishDelivery by the worker whose lease ran out",
		finish(ctx, s, d.ID, "doomed", damask.DeliveryOutcome{Delivered: true, At: now}), damask.ENOTFOUND, "")
	// Given up, and the webhook failing since long before the cut: off.
	off, err := s.FinishDelivery(ctx, d.ID, "survivor",
		damask.DeliveryOutcome{Status: 0, Error: "timeout", At: now.Add(-4 * 24 * time.Hour)})
	must(t, "FinishDelivery failed", err)
	if off {
		t.Error("a first failure says it switched the webhook off")
	}
	hook, err := s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	if !hook.Active {
		t.Fatal("one failure switched the webhook off")
	}
	next, _, err := s.ClaimDelivery(ctx, "survivor", time.Minute)
	must(t, "ClaimDelivery after a give-up", err)
	if next.EventType != damask.EventTagUpdated {
		t.Errorf("after a give-up claimed %s", next.EventType)
	}
	off, err = s.FinishDelivery(ctx, next.ID, "survivor",
		damask.DeliveryOutcome{Status: 503, Error: "answered 503", At: now, DisableFailingSince: now.Add(-3 * 24 * time.Hour)})
	must(t, "FinishDelivery failed", err)
	hook, err = s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	if hook.Active || !off {
		t.Errorf("a webhook failing for 4 days: active %v, switched off by this outcome %v", hook.Active, off)
	}
	// Off, nothing is claimed; on again, its failures are forgotten.
	must(t, "CreateTag", s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: "blue"}))
	if _, _, err := s.ClaimDelivery(ctx, "survivor", time.Minute); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("claim from a webhook switched off: %v", err)
	}
	hook.Active = true
	must(t, "UpdateWebhook on", s.UpdateWebhook(ctx, hook))
	if !hook.FailingSince.IsZero() {
		t.Errorf("switched on, the webhook is still failing since %v", hook.FailingSince)
	}

	// (Switched off, it was queued nothing for "blue".)
	must(t, "CreateTag", s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: "green"}))

	// Redeliver the given-up ones; a delivery under way cannot be.
	ds, err := s.Deliveries(ctx, acct.ID, w.ID, 100)
	must(t, "Deliveries", err)
	if len(ds) != 3 || ds[0].State != damask.DeliveryQueued || ds[1].State != damask.DeliveryFailed || ds[2].State != damask.DeliveryFailed {
		t.Fatalf("deliveries: %+v", ds)
	}
	wantCode(t, "Redeliver of a queued delivery", s.Redeliver(ctx, ds[0], now.Add(time.Hour)), damask.ENOTFOUND, "")
	first := ds[2]
	must(t, "Redeliver", s.Redeliver(ctx, first, now.Add(time.Hour)))
	if first.State != damask.DeliveryQueued || first.Attempts != 0 {
		t.Errorf("redelivered: %+v", first)
	}
	for _, want := range []int64{first.ID, ds[0].ID} {
		d, _, err = s.ClaimDelivery(ctx, "survivor", time.Minute)
		must(t, "ClaimDelivery", err)
		if d.ID != want {
			t.Errorf("claimed %d, want %d (oldest first)", d.ID, want)
		}
		must(t, "FinishDelivery", finish(ctx, s, d.ID, "survivor", damask.DeliveryOutcome{Delivered: true, Status: 200, At: now}))
	}

	// Prune keeps the newest finished deliveries.
	n, err := s.PruneDeliveries(ctx, 1)
	must(t, "PruneDeliveries", err)
	if n != 2 {
		t.Errorf("PruneDeliveries(1) removed %d, want 2 (of 3 finished)", n)
	}
	ds, err = s.Deliveries(ctx, acct.ID, w.ID, 100)
	must(t, "Deliveries", err)
	if len(ds) != 1 {
		t.Errorf("after pruning %d deliveries, want 1", len(ds))
	}
}

// testDeliveriesConcurrent: workers claim beside each other; each
// delivery is finished exactly once, and the deliveries of one object in
// the order of their events.
func testDeliveriesConcurrent(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, h := newAccount(t, s, "acme")
	newWebhook(t, s, acct.ID, "tag.")
	const objects, changes = 6, 5
	for i := range objects {
		tag := &damask.Tag{AccountID: acct.ID, Name: fmt.Sprint("t", i)}
		must(t, "CreateTag", s.CreateTag(ctx, tag))
		for j := range changes - 1 {
			tag.Name = fmt.Sprintf("t%d-%d", i, j)
			must(t, "UpdateTag", s.UpdateTag(ctx, tag))
		}
	}
	_ = h
	var (
		mu   sync.Mutex
		seen = map[int64]int{}   // by delivery
		last = map[int64]int64{} // by object: the last event id delivered
		bad  []string
	)
	var wg sync.WaitGroup
	for i := range 4 {
		wg.Go(func() {
			name := fmt.Sprint("worker", i)
			for idle := 0; idle < 20; {
				d, _, err := s.ClaimDelivery(ctx, name, time.Minute)
				if damask.ErrorCode(err) == damask.ENOTFOUND {
					idle++
					time.Sleep(5 * time.Millisecond)
					continue
				}
				if err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
					return
				}
				idle = 0
				mu.Lock()
				seen[d.ID]++
				if d.EventID <= last[d.ObjectID] {
					bad = append(bad, fmt.Sprintf("event %d of tag %d after %d", d.EventID, d.ObjectID, last[d.ObjectID]))
				}
				last[d.ObjectID] = d.EventID
				mu.Unlock()
				if err := finish(ctx, s, d.ID, name, damask.DeliveryOutcome{Delivered: true, Status: 200, At: time.Now()}); err != nil {
					mu.Lock()
					bad = append(bad, err.Error())
					mu.Unlock()
				}
			}
		})
	}
	wg.Wait()
	for _, b := range bad {
		t.Error(b)
	}
	if len(seen) != objects*changes {
		t.Errorf("%d deliveries claimed, want %d", len(seen), objects*changes)
	}
	for id, n := range seen {
		if n != 1 {
			t.Errorf("delivery %d claimed %d times", id, n)
		}
	}
}

// testDeliverySwitchedOff: of the failures of a webhook failing since
// before the cut, the one that switches it off says so, and no other:
// not those finishing beside it, not those after it; switched on again
// and failing past the cut again, it is switched off, and told, again.
func testDeliverySwitchedOff(t *testing.T, s damask.Store) {
	ctx := t.Context()
	acct, _ := newAccount(t, s, "acme")
	w := newWebhook(t, s, acct.ID, "tag.")
	now := time.Now()
	cut := now.Add(-damask.MaxWebhookFailing)
	failed := func(at time.Time) damask.DeliveryOutcome {
		return damask.DeliveryOutcome{Status: 500, Error: "answered 500", At: at, RetryAt: at.Add(time.Hour), DisableFailingSince: cut}
	}
	// Deliveries of several tags, claimed at once by as many workers.
	const n = 6
	for i := range n {
		must(t, "CreateTag", s.CreateTag(ctx, &damask.Tag{AccountID: acct.ID, Name: fmt.Sprint("t", i)}))
	}
	claim := func(worker string) *damask.Delivery {
		t.Helper()
		d, _, err := s.ClaimDelivery(ctx, worker, time.Minute)
		must(t, "ClaimDelivery", err)
		return d
	}
	// The first failure, long ago, only starts the failing.
	first := claim("w0")
	off, err := s.FinishDelivery(ctx, first.ID, "w0", failed(now.Add(-4*24*time.Hour)))
	must(t, "FinishDelivery", err)
	if off {
		t.Error("the first failure switched the webhook off")
	}
	running := make([]*damask.Delivery, n-1)
	for i := range running {
		running[i] = claim(fmt.Sprint("w", i+1))
	}
	var (
		wg   sync.WaitGroup
		mu   sync.Mutex
		offs int
	)
	for i, d := range running {
		wg.Go(func() {
			off, err := s.FinishDelivery(ctx, d.ID, fmt.Sprint("w", i+1), failed(now))
			mu.Lock()
			defer mu.Unlock()
			if err != nil {
				t.Errorf("FinishDelivery %d: %v", d.ID, err)
			}
			if off {
				offs++
			}
		})
	}
	wg.Wait()
	if offs != 1 {
		t.Errorf("%d outcomes say they switched the webhook off, want 1", offs)
	}
	hook, err := s.Webhook(ctx, acct.ID, w.ID)
	must(t, "Webhook", err)
	if hook.Active {
		t.Fatal("the webhook is still on")
	}

	// On again: failing anew, it is switched off once more past the cut.
	hook.Active = true
	must(t, "UpdateWebhook", s.UpdateWebhook(ctx, hook))
	d := claim("w9")
	off, err = s.FinishDelivery(ctx, d.ID, "w9", failed(now.Add(-4*24*time.Hour)))
	must(t, "FinishDelivery", err)
	d = claim("w9")
	off2, err := s.FinishDelivery(ctx, d.ID, "w9", failed(now))
	must(t, "FinishDelivery", err)
	if off || !off2 {
		t.Errorf("switched on and failing again: off after its first failure %v, after one past the cut %v", off, off2)
	}
}
