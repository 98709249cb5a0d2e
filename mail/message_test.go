package mail

import (
	"bytes"
	"context"
	"mime"
	netmail "net/mail"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/mail/mailtest"
)

// TestNoPasswordInClear: a server that offers no STARTTLS, on a host that
// is not this machine, gets no password unless the URL says insecure=1.
// The server listens on loopback; the Sender is told its host is
// another, as a server across the network would be.
func TestNoPasswordInClear(t *testing.T) {
	for _, insecure := range []bool{false, true} {
		srv := mailtest.Start(t, mailtest.Options{User: "damask", Password: "s3cret"})
		url := srv.URL("damask@example.org")
		if insecure {
			url += "&insecure=1"
		}
		s, err := New(url)
		if err != nil {
			t.Fatal(err)
		}
		s.host = "mail.example.org" // the name told to AUTH; the dial still goes to s.addr
		err = s.Send(context.Background(), damask.Mail{To: []string{"a@example.org"}, Subject: "x", Text: "x"})
		switch {
		case !insecure && (err == nil || !strings.Contains(err.Error(), "insecure=1")):
			t.Errorf("without insecure=1: %v, want a refusal naming insecure=1", err)
		case !insecure && len(srv.Logins()) != 0:
			t.Errorf("the password went in clear: %q", srv.Logins())
		case insecure && err != nil:
			t.Errorf("with insecure=1: %v", err)
		}
	}
}

func TestLoopback(t *testing.T) {
	for host, want := range map[string]bool{
		"localhost": true, "127.0.0.1": true, "127.3.4.5": true, "::1": true,
		"mail.example.org": false, "10.0.0.1": false, "localhost.example.org": false, "::ffff:8.8.8.8": false,
	} {
		if got := loopback(host); got != want {
			t.Errorf("loopback(%q) = %v", host, got)
		}
	}
}

// FuzzMessage: whatever the subject, recipient and bodies, a message is
// either refused or one that parses with exactly its own headers, its
// subject decoding to the one given, every line within 998 characters.
func FuzzMessage(f *testing.F) {
	f.Add("Hello", "a@example.org", "text", "")
	f.Add("Grüße ☃", "Zoë <z@example.org>", "line\nline\r\n.", "<p>x</p>")
	f.Add("x\r\nBcc: v@example.org", "a@example.org", "", "")
	f.Add("=?utf-8?q?x?=", "\"a\r\nb\" <a@example.org>", "\x00\xff", "\r")
	s, err := New("smtp://mail.example.org?from=Damask%20%3Cd@example.org%3E")
	if err != nil {
		f.Fatal(err)
	}
	f.Fuzz(func(t *testing.T, subject, to, text, html string) {
		msg, rcpt, err := s.message(damask.Mail{To: []string{to}, Subject: subject, Text: text, HTML: html}, time.Unix(0, 0))
		if err != nil {
			return
		}
		if len(rcpt) != 1 || strings.ContainsAny(rcpt[0], "\r\n") {
			t.Fatalf("recipients %q", rcpt)
		}
		for _, line := range bytes.Split(msg, []byte("\r\n")) {
			if len(line) > 998 || bytes.ContainsAny(line, "\r\n") {
				t.Fatalf("line %q", line)
			}
		}
		m, err := netmail.ReadMessage(bytes.NewReader(msg))
		if err != nil {
			t.Fatalf("unreadable: %v\n%q", err, msg)
		}
		if want := map[bool]int{false: 8, true: 7}[html != ""]; len(m.Header) != want {
			t.Errorf("headers %q", m.Header)
		}
		if got, err := new(mime.WordDecoder).DecodeHeader(m.Header.Get("Subject")); err != nil || (got != subject && got != strings.Trim(subject, " \t")) {
			t.Errorf("subject %q (%v), want %q", got, err, subject)
		}
		if got, err := m.Header.AddressList("To"); err != nil || len(got) != 1 || got[0].Address != rcpt[0] {
			t.Errorf("To %q: %v %v", m.Header.Get("To"), got, err)
		}
	})
}
