package httpapi_test

import (
	"bytes"
	"context"
	"fmt"
	"io"
	"mime/quotedprintable"
	netmail "net/mail"
	"slices"
	"strings"
	"testing"
	"time"

	"damask/library"
)

// TestWebhookSwitchedOffMail: a webhook whose receiver answers 500 for
// longer than damask.MaxWebhookFailing is switched off, and its
// account's holder and admins who may sign in and have an address are
// told by one e-mail, not one per delivery failing beside or after it.
func TestWebhookSwitchedOffMail(t *testing.T) {
	smtp, sender := smtpServer(t)
	// Checked once the delivery workers have stopped (cleanups run last
	// first: the env's, registered after this, stops them).
	t.Cleanup(func() {
		if n := len(smtp.Messages()); n != 1 {
			t.Errorf("%d mails sent, want 1", n)
		}
	})
	clk := &clock{t: time.Now()}
	e := newEnv(t, setup{webhooks: true, now: clk.now, mailer: sender,
		// Past the 24 h of retries: every delivery is given up after one
		// attempt, so that the test's clock alone moves the failing.
		hookBackoff: func(int) time.Duration { return 100 * 24 * time.Hour }})
	tn := e.tenant(t, "acme", "deluxe")
	ctx := context.Background()
	for _, u := range []library.UserChanges{
		{Login: ptr("gone"), Email: ptr("gone@acme.test"), Password: ptr(pw), Role: ptr("admin"), Disabled: ptr(true)},
		{Login: ptr("other"), Email: ptr("other@acme.test"), Password: ptr(pw), Role: ptr("member")},
	} {
		if _, err := e.svc.AddUser(ctx, "acme", u); err != nil {
			t.Fatal(err)
		}
	}
	rc := newReceiver(t)
	rc.script = func(int, received) (int, time.Duration) { return 500, 0 }
	hook := tn.admin.send(t, "POST", "/api/webhooks.json", jsonBody(fmt.Sprintf(`{"url": %q, "events": "tag."}`, rc.srv.URL))).want(t, 201).obj(t)
	hid := id(t, hook)
	// failed waits until the webhook's log has n failed deliveries.
	failed := func(n int) {
		t.Helper()
		for deadline := time.Now().Add(time.Minute); ; {
			got := 0
			for _, d := range tn.admin.get(t, "/api/webhooks/"+hid+"/deliveries.json").want(t, 200).list(t, "deliveries", "delivery") {
				if str(d.(map[string]any)["state"]) == "failed" {
					got++
				}
			}
			if got >= n {
				return
			}
			if time.Now().After(deadline) {
				t.Fatalf("%d deliveries failed after a minute, want %d", got, n)
			}
			select {
			case <-rc.notify:
			case <-time.After(100 * time.Millisecond):
			}
		}
	}

	// The first failure starts the failing; no mail.
	tn.admin.send(t, "POST", "/api/tags.json", jsonBody(`{"name": "first"}`)).want(t, 201)
	failed(1)
	started := clk.now()
	if n := len(smtp.Messages()); n != 0 {
		t.Fatalf("%d mails after the first failure", n)
	}

	// Past the cut, three deliveries at once: the first recorded
	// switches the webhook off and mails; the others are not mailed.
	clk.add(3*24*time.Hour + time.Minute)
	for _, name := range []string{"a", "b", "c"} {
		tn.admin.send(t, "POST", "/api/tags.json", jsonBody(fmt.Sprintf(`{"name": %q}`, name))).want(t, 201)
	}
	m := smtp.Next(t, time.Minute)
	if got := tn.admin.get(t, "/api/webhooks/"+hid+".json").want(t, 200).obj(t); got["active"] != false {
		t.Errorf("after the mail the webhook is %v", got)
	}
	if want := []string{"admin@acme.test", "holder@acme.test"}; !slices.Equal(slices.Sorted(slices.Values(m.To)), want) {
		t.Errorf("mailed to %q, want %q", m.To, want)
	}
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatal(err)
	}
	body, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
	text := string(body)
	for _, want := range []string{
		rc.srv.URL, "answered 500", started.UTC().Format("2006-01-02 15:04"),
		"PUT /api/webhooks/" + hid + ".json", `{"active": true}`, "acme",
	} {
		if !strings.Contains(text, want) {
			t.Errorf("the mail does not say %q:\n%s", want, text)
		}
	}
	if subj := msg.Header.Get("Subject"); !strings.Contains(subj, "switched off") {
		t.Errorf("subject %q", subj)
	}
	// A new event queues nothing for it now.
	tn.admin.send(t, "POST", "/api/tags.json", jsonBody(`{"name": "d"}`)).want(t, 201)
}
