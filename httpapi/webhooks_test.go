package httpapi_test

import (
	"encoding/json"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"damask/webhook"
)

// receiver is a webhook endpoint on loopback that verifies every delivery
// and answers what its script says.
type receiver struct {
	t      *testing.T
	srv    *httptest.Server
	secret string

	mu     sync.Mutex
	got    []received
	script func(n int, msg received) (status int, delay time.Duration) // n counts from 1
	notify chan struct{}
}

type received struct {
	ID       string // webhook-id
	Type     string
	ObjectID int64
	Object   string
	EventID  int64
	Verified bool
	Status   int
}

func newReceiver(t *testing.T) *receiver {
	rc := &receiver{t: t, notify: make(chan struct{}, 1000)}
	rc.srv = httptest.NewServer(http.HandlerFunc(rc.serve))
	t.Cleanup(rc.srv.Close)
	return rc
}

func (rc *receiver) serve(w http.ResponseWriter, r *http.Request) {
	body, _ := io.ReadAll(r.Body)
	var doc struct {
		Type string `json:"type"`
		Data struct {
			ID       int64  `json:"id"`
			Object   string `json:"object"`
			ObjectID int64  `json:"object_id"`
		} `json:"data"`
	}
	if err := json.Unmarshal(body, &doc); err != nil {
		rc.t.Errorf("delivery is not JSON: %v: %s", err, body)
	}
	rc.mu.Lock()
	msg := received{ID: r.Header.Get("webhook-id"), Type: doc.Type, ObjectID: doc.Data.ObjectID, Object: doc.Data.Object, EventID: doc.Data.ID,
		Verified: rc.secret != "" && webhook.Verify(rc.secret, r.Header, body, time.Now()) == nil, Status: 200}
	var delay time.Duration
	if rc.script != nil {
		msg.Status, delay = rc.script(len(rc.got)+1, msg)
	}
	logged := msg
	if delay > 0 {
		logged.Status = 0 // answered too late: no answer to the sender
	}
	rc.got = append(rc.got, logged)
	rc.mu.Unlock()
	if delay > 0 {
		select {
		case <-time.After(delay):
		case <-r.Context().Done():
		}
	}
	w.WriteHeader(msg.Status)
	rc.notify <- struct{}{}
}

// wait returns once the receiver has answered 200 to n deliveries.
func (rc *receiver) wait(t *testing.T, n int, within time.Duration) []received {
	t.Helper()
	deadline := time.After(within)
	for {
		rc.mu.Lock()
		ok := 0
		for _, m := range rc.got {
			if m.Status == 200 {
				ok++
			}
		}
		got := append([]received(nil), rc.got...)
		rc.mu.Unlock()
		if ok >= n {
			return got
		}
		select {
		case <-rc.notify:
		case <-deadline:
			t.Fatalf("the receiver has %d deliveries answered 200 after %v, want %d: %+v", ok, within, n, got)
		}
	}
}

// TestWebhooksCRUD: the routes of /api/webhooks, for holder and admins
// only; the secret is shown once; URLs and events are checked.
func TestWebhooksCRUD(t *testing.T) {
	e := newEnv(t, setup{})
	tn := e.tenant(t, "acme", "deluxe")
	rc := newReceiver(t)
	for _, ext := range formats {
		var created map[string]any
		if ext == ".json" {
			created = tn.admin.send(t, "POST", "/api/webhooks.json", jsonBody(fmt.Sprintf(`{"webhook": {"url": %q, "events": ["asset.", "tag.created"]}}`, rc.srv.URL))).want(t, 201).obj(t)
		} else {
			created = tn.holder.send(t, "POST", "/api/webhooks.xml", xmlBody(fmt.Sprintf(
				`<webhook><url>%s</url><events type="array"><event>asset.</event><event>tag.created</event></events></webhook>`, rc.srv.URL))).want(t, 201).obj(t)
		}
		secret := str(created["secret"])
		if !strings.HasPrefix(secret, "whsec_") || len(secret) < 30 {
			t.Errorf("secret %q", secret)
		}
		hid := id(t, created)
		shown := tn.admin.get(t, "/api/webhooks/"+hid+ext).want(t, 200)
		if strings.Contains(string(shown.body), secret) || strings.Contains(string(shown.body), "secret") {
			t.Errorf("the webhook shows its secret after its creation: %s", shown)
		}
		doc := shown.obj(t)
		if str(doc["url"]) != rc.srv.URL || str(doc["active"]) != "true" || fmt.Sprint(doc["events"]) != "[asset. tag.created]" {
			t.Errorf("webhook %v", doc)
		}
		up := tn.admin.send(t, "PUT", "/api/webhooks/"+hid+ext, form("events", "*", "active", "false")).want(t, 200).obj(t)
		if fmt.Sprint(up["events"]) != "[*]" || str(up["active"]) != "false" {
			t.Errorf("updated %v", up)
		}
		if l := tn.admin.get(t, "/api/webhooks"+ext).want(t, 200).list(t, "webhooks", "webhook"); len(l) != 1 {
			t.Errorf("list: %v", l)
		}
		if l := tn.admin.get(t, "/api/webhooks/"+hid+"/deliveries"+ext).want(t, 200).list(t, "deliveries", "delivery"); len(l) != 0 {
			t.Errorf("deliveries of a new webhook: %v", l)
		}
		tn.admin.do(t, "DELETE", "/api/webhooks/"+hid+ext, nil).want(t, 200)
		tn.admin.get(t, "/api/webhooks/"+hid+ext).want(t, 404)
	}

	bad := []struct{ body, says string }{
		{`{"url": "ftp://example.com/x", "events": ["*"]}`, "Url must be"},
		{`{"url": "http://10.1.2.3/x", "events": ["*"]}`, "may not call"},
		{`{"url": "http://user:pw@127.0.0.1/x", "events": ["*"]}`, "Url must be"},
		{fmt.Sprintf(`{"url": %q, "events": ["assets.created"]}`, rc.srv.URL), "Events has"},
		{fmt.Sprintf(`{"url": %q, "events": []}`, rc.srv.URL), "at least one"},
		{fmt.Sprintf(`{"url": %q}`, rc.srv.URL), "needs a url and its events"},
		{fmt.Sprintf(`{"url": %q, "events": "*", "active": "maybe"}`, rc.srv.URL), "active must be"},
	}
	for _, b := range bad {
		tn.admin.send(t, "POST", "/api/webhooks.json", jsonBody(b.body)).wantError(t, 422, b.says)
	}
	body := jsonBody(fmt.Sprintf(`{"url": %q, "events": "*"}`, rc.srv.URL))
	for _, role := range []string{"member", "guest"} {
		tn.role(role).send(t, "POST", "/api/webhooks.json", body).wantError(t, 403, "")
		tn.role(role).get(t, "/api/webhooks.json").wantError(t, 403, "")
	}
	tn.anon.get(t, "/api/webhooks.json").want(t, 401)
	hid := id(t, tn.admin.send(t, "POST", "/api/webhooks.json", body).want(t, 201).obj(t))
	other := e.tenant(t, "other", "deluxe")
	for _, p := range []string{"/api/webhooks/" + hid + ".json", "/api/webhooks/" + hid + "/deliveries.json"} {
		other.holder.get(t, p).want(t, 404)
	}
	other.holder.send(t, "POST", "/api/webhooks/"+hid+"/ping.json", payload{}).want(t, 404)
	other.holder.send(t, "POST", "/api/webhooks/"+hid+"/deliveries/1/retry.json", payload{}).want(t, 404)
	for _, role := range []string{"member", "guest"} {
		c := tn.role(role)
		c.send(t, "POST", "/api/webhooks/"+hid+"/ping.json", payload{}).wantError(t, 403, "")
		c.get(t, "/api/webhooks/"+hid+".json").wantError(t, 403, "")
		c.send(t, "PUT", "/api/webhooks/"+hid+".json", form("active", "false")).wantError(t, 403, "")
		c.do(t, "DELETE", "/api/webhooks/"+hid+".json", nil).wantError(t, 403, "")
		c.get(t, "/api/webhooks/"+hid+"/deliveries.json").wantError(t, 403, "")
		c.send(t, "POST", "/api/webhooks/"+hid+"/deliveries/1/retry.json", payload{}).wantError(t, 403, "")
	}
	tn.admin.send(t, "POST", "/api/webhooks/"+hid+"/deliveries/999/retry.json", payload{}).want(t, 404)
	tn.admin.send(t, "PUT", "/api/webhooks/"+hid+".json", form("url", "http://169.254.169.254/latest")).wantError(t, 422, "may not call")
	tn.admin.send(t, "POST", "/api/webhooks/x/ping.json", payload{}).want(t, 404)
}

// TestWebhookDeliveries runs a real receiver on loopback (allowed as the
// operator's --allow-outgoing would): every delivery verifies with the
// secret; a 500 is retried with the same webhook-id, and so is an attempt
// that timed out; the events of one asset arrive in their order although
// the first failed; a ping and a redelivery arrive; the log shows the
// answers.
func TestWebhookDeliveries(t *testing.T) {
	if testing.Short() {
		t.Skip("waits for a 10 s timeout")
	}
	e := newEnv(t, setup{webhooks: true})
	tn := e.tenant(t, "acme", "deluxe")
	rc := newReceiver(t)
	created := tn.admin.send(t, "POST", "/api/webhooks.json", jsonBody(fmt.Sprintf(`{"url": %q, "events": "asset. tag.created"}`, rc.srv.URL))).want(t, 201).obj(t)
	hid := id(t, created)
	rc.mu.Lock()
	rc.secret = str(created["secret"])
	// The first delivery of the first asset: 500, 500, then a timeout,
	// then 200.
	tries := map[string]int{}
	failing := ""
	rc.script = func(n int, m received) (int, time.Duration) {
		tries[m.ID]++
		if failing == "" && m.Type == "asset.created" {
			failing = m.ID
		}
		if m.ID == failing && tries[m.ID] <= 3 {
			if tries[m.ID] == 3 {
				return 200, 11 * time.Second // past the 10 s timeout: a failure, whatever the status
			}
			return 500, 0
		}
		return 200, 0
	}
	rc.mu.Unlock()

	a := num(t, tn.member.createAsset(t, "a.txt", []byte("a"), "tags", "t1")["id"])
	b := num(t, tn.member.createAsset(t, "b.txt", []byte("b"))["id"])
	tn.member.send(t, "PUT", fmt.Sprintf("/api/assets/%d.json", a), form("title", "A")).want(t, 200)
	tn.member.do(t, "DELETE", fmt.Sprintf("/api/assets/%d.json", a), nil).want(t, 200)
	// tag.created for t1, 3 of a, 1 of b.
	got := rc.wait(t, 5, 2*time.Minute)

	var ofA []string
	ids := map[string]bool{}
	for _, m := range got {
		if !m.Verified {
			t.Errorf("delivery %s does not verify", m.ID)
		}
		if m.Object == "asset" && m.ObjectID == a && m.Status == 200 {
			ofA = append(ofA, m.Type)
		}
		ids[m.ID] = true
	}
	if want := "asset.created asset.updated asset.trashed"; strings.Join(ofA, " ") != want {
		t.Errorf("asset %d's deliveries arrived as %v, want %s", a, ofA, want)
	}
	first := got[0]
	n := 0
	for _, m := range got {
		if m.ID == first.ID {
			n++
		}
	}
	if first.Type != "asset.created" && first.Type != "tag.created" {
		t.Errorf("first delivery %+v", first)
	}
	_ = b

	// The log: newest first, each delivered with its status, the first
	// after 4 attempts. (The receiver may see an answer before the worker
	// records it.)
	var log []any
	for range 200 {
		log = tn.admin.get(t, "/api/webhooks/"+hid+"/deliveries.json").want(t, 200).list(t, "deliveries", "delivery")
		done := 0
		for _, it := range log {
			if str(it.(map[string]any)["state"]) == "delivered" {
				done++
			}
		}
		if done == 5 {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if len(log) != 5 {
		t.Fatalf("log of %d deliveries, want 5: %v", len(log), log)
	}
	attempts := map[string]string{}
	for _, it := range log {
		d := it.(map[string]any)
		if str(d["state"]) != "delivered" || str(d["status"]) != "200" {
			t.Errorf("logged %v", d)
		}
		attempts[str(d["webhook_message_id"])] = str(d["attempts"])
	}
	for msg, tried := range tries {
		if attempts[msg] != fmt.Sprint(tried) {
			t.Errorf("%s: logged %s attempts, the receiver saw %d", msg, attempts[msg], tried)
		}
	}
	if max := func() int {
		m := 0
		for _, n := range tries {
			m = max(m, n)
		}
		return m
	}(); max != 4 {
		t.Errorf("the failing delivery was tried %d times, want 4 (500, 500, timeout, 200): %v", max, tries)
	}

	// A ping, then a redelivery of the first delivery, by hand.
	ping := tn.admin.send(t, "POST", "/api/webhooks/"+hid+"/ping.json", payload{}).want(t, 202).obj(t)
	if str(ping["type"]) != "webhook.ping" || str(ping["state"]) != "queued" {
		t.Errorf("ping %v", ping)
	}
	rc.wait(t, 6, time.Minute)
	oldest := log[len(log)-1].(map[string]any)
	for range 200 { // the ping recorded: the delivery under way is not redelivered, 409
		if d := tn.admin.get(t, "/api/webhooks/"+hid+"/deliveries.json").want(t, 200).list(t, "deliveries", "delivery")[0].(map[string]any); str(d["state"]) == "delivered" {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	re := tn.admin.send(t, "POST", "/api/webhooks/"+hid+"/deliveries/"+id(t, oldest)+"/retry.json", payload{}).want(t, 202).obj(t)
	if str(re["state"]) != "queued" || str(re["attempts"]) != "0" {
		t.Errorf("redelivered %v", re)
	}
	got = rc.wait(t, 7, time.Minute)
	if last := got[len(got)-1]; last.ID != str(oldest["webhook_message_id"]) || !last.Verified {
		t.Errorf("redelivery arrived as %+v, want %s again", last, oldest["webhook_message_id"])
	}
	_ = n
}
