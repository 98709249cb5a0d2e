package httpapi_test

import (
	"strings"
	"testing"
	"time"

	"damask/mail"
	"damask/mail/mailtest"
)

// smtpServer starts a real SMTP server that wants STARTTLS and a
// password, as an operator's would, and answers it with a Sender to it.
func smtpServer(t *testing.T) (*mailtest.Server, *mail.Sender) {
	t.Helper()
	smtp := mailtest.Start(t, mailtest.Options{STARTTLS: true, User: "damask", Password: "s3cret"})
	sender, err := mail.New(smtp.URL("Damask <damask@example.org>"))
	if err != nil {
		t.Fatal(err)
	}
	sender.RootCAs = smtp.CertPool()
	return smtp, sender
}

// TestStageInvitationBySMTP: a Stage's recipients are invited through a
// real SMTP server (STARTTLS and a password, as an operator's would be),
// each with the personal address the Stage's document gives them.
func TestStageInvitationBySMTP(t *testing.T) {
	smtp, sender := smtpServer(t)
	e := newEnv(t, setup{mailer: sender})
	tn := e.tenant(t, "acme", "deluxe")
	a := id(t, tn.member.createAsset(t, "a.txt", []byte("a"), "title", "one"))
	col := id(t, tn.member.send(t, "POST", "/api/collections.json", form("title", "For the client", "asset_ids", a)).want(t, 201).obj(t))
	stage := tn.member.send(t, "POST", "/api/stages.json", form("title", "Spring proofs", "collection_id", col,
		"recipients", "ann@client.example, bob@client.example")).want(t, 201).obj(t)

	urls := map[string]string{}
	for _, r := range stage["recipients"].([]any) {
		r := r.(map[string]any)
		urls[str(r["email"])] = str(r["url"])
	}
	for range 2 {
		m := smtp.Next(t, time.Minute)
		if len(m.To) != 1 || urls[m.To[0]] == "" {
			t.Fatalf("a mail to %v, want one of %v", m.To, urls)
		}
		body := string(m.Data)
		if !strings.Contains(body, "Spring proofs") || !strings.Contains(strings.ReplaceAll(body, "=\r\n", ""), urls[m.To[0]]) {
			t.Errorf("the invitation to %s names neither the Stage nor its address %s:\n%s", m.To[0], urls[m.To[0]], body)
		}
		delete(urls, m.To[0])
	}
	if logins := smtp.Logins(); len(logins) == 0 {
		t.Error("the server was never signed in to")
	}
}
