package mail_test

import (
	"bytes"
	"context"
	"errors"
	"io"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	netmail "net/mail"
	"net/url"
	"slices"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/mail"
	"damask/mail/mailtest"
)

const wait = 30 * time.Second

// sender opens the server's URL, trusting its certificate.
func sender(t *testing.T, srv *mailtest.Server, url string) *mail.Sender {
	t.Helper()
	s, err := mail.New(url)
	if err != nil {
		t.Fatalf("New(%s): %v", url, err)
	}
	s.RootCAs = srv.CertPool()
	return s
}

// read parses a received message, answering its header and its text
// parts by content type, decoded.
func read(t *testing.T, m mailtest.Message) (netmail.Header, map[string]string) {
	t.Helper()
	msg, err := netmail.ReadMessage(bytes.NewReader(m.Data))
	if err != nil {
		t.Fatalf("read message: %v\n%s", err, m.Data)
	}
	parts := map[string]string{}
	typ, params, err := mime.ParseMediaType(msg.Header.Get("Content-Type"))
	if err != nil {
		t.Fatalf("Content-Type: %v", err)
	}
	if typ != "multipart/alternative" {
		b, _ := io.ReadAll(quotedprintable.NewReader(msg.Body))
		parts[typ] = string(b)
		return msg.Header, parts
	}
	mr := multipart.NewReader(msg.Body, params["boundary"])
	for {
		p, err := mr.NextPart() // decodes quoted-printable
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			t.Fatalf("part: %v", err)
		}
		pt, _, _ := mime.ParseMediaType(p.Header.Get("Content-Type"))
		b, _ := io.ReadAll(p)
		parts[pt] = string(b)
	}
	return msg.Header, parts
}

func TestSend(t *testing.T) {
	tests := []struct {
		name string
		opts mailtest.Options
	}{
		{"plain", mailtest.Options{}},
		{"plain with auth on loopback", mailtest.Options{User: "damask@example.org", Password: "pässword:@/?"}},
		{"starttls", mailtest.Options{STARTTLS: true}},
		{"starttls with auth", mailtest.Options{STARTTLS: true, User: "damask", Password: "s3cret"}},
		{"implicit tls with auth", mailtest.Options{TLS: true, User: "damask", Password: "s3cret"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			srv := mailtest.Start(t, tt.opts)
			s := sender(t, srv, srv.URL("Damask <damask@example.org>"))
			err := s.Send(context.Background(), damask.Mail{
				To: []string{"ann@example.org", "Bob <bob@example.org>"}, Subject: "Hello", Text: "One line.\nAnother."})
			if err != nil {
				t.Fatalf("Send: %v", err)
			}
			m := srv.Next(t, wait)
			if m.From != "damask@example.org" || !slices.Equal(m.To, []string{"ann@example.org", "bob@example.org"}) {
				t.Errorf("envelope from %q to %q", m.From, m.To)
			}
			h, parts := read(t, m)
			for k, want := range map[string]string{
				"From": `"Damask" <damask@example.org>`, "To": `<ann@example.org>, "Bob" <bob@example.org>`,
				"Subject": "Hello", "MIME-Version": "1.0",
			} {
				if got := h.Get(k); got != want {
					t.Errorf("%s: %q, want %q", k, got, want)
				}
			}
			if _, err := h.Date(); err != nil {
				t.Errorf("Date: %v", err)
			}
			if id := h.Get("Message-ID"); !strings.HasPrefix(id, "<") || !strings.HasSuffix(id, "@example.org>") {
				t.Errorf("Message-ID %q", id)
			}
			if got := parts["text/plain"]; got != "One line.\r\nAnother.\r\n" {
				t.Errorf("text %q", got)
			}
			if tt.opts.User != "" && !slices.Equal(srv.Logins(), []string{tt.opts.User}) {
				t.Errorf("logins %q", srv.Logins())
			}
		})
	}
}

func TestNonASCIIAndHTML(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv, srv.URL("damask@example.org"))
	subject := "Webhook « Grüße » ausgeschaltet — 日本語 " + strings.Repeat("é", 60)
	text := "Grüße,\n" + strings.Repeat("a long line ", 20) + "\n.\n.leading dot\n"
	html := "<p>Grüße, <b>bold</b></p>"
	if err := s.Send(context.Background(), damask.Mail{To: []string{"Zoë <zoe@example.org>"}, Subject: subject, Text: text, HTML: html}); err != nil {
		t.Fatalf("Send: %v", err)
	}
	m := srv.Next(t, wait)
	for _, line := range strings.Split(string(m.Data), "\r\n") {
		if len(line) > 998 {
			t.Errorf("a line of %d characters", len(line))
		}
		for _, r := range line {
			if r > 126 {
				t.Fatalf("a raw non-ASCII character in %q", line)
			}
		}
	}
	h, parts := read(t, m)
	got, err := new(mime.WordDecoder).DecodeHeader(h.Get("Subject"))
	if err != nil || got != subject {
		t.Errorf("subject %q (%v), want %q", got, err, subject)
	}
	if want := strings.ReplaceAll(text, "\n", "\r\n") + "\r\n"; parts["text/plain"] != want {
		t.Errorf("text %q, want %q", parts["text/plain"], want)
	}
	if parts["text/html"] != html+"\r\n" {
		t.Errorf("html %q", parts["text/html"])
	}
}

func TestWrongPassword(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{STARTTLS: true, User: "damask", Password: "right"})
	url := strings.Replace(srv.URL("damask@example.org"), ":right@", ":wr0ngpa55@", 1)
	s := sender(t, srv, url)
	err := s.Send(context.Background(), damask.Mail{To: []string{"ann@example.org"}, Subject: "x", Text: "x"})
	if err == nil {
		t.Fatal("sent with a wrong password")
	}
	if strings.Contains(err.Error(), "wr0ngpa55") || strings.Contains(s.String(), "wr0ngpa55") {
		t.Errorf("the password shows: %v; %s", err, s)
	}
	if !strings.Contains(err.Error(), "authenticate") {
		t.Errorf("error %v does not say what failed", err)
	}
	if len(srv.Messages()) != 0 {
		t.Error("a message came through")
	}
}

func TestRefused(t *testing.T) {
	srv := mailtest.Start(t, mailtest.Options{})
	s := sender(t, srv, srv.URL("damask@example.org"))
	tests := []struct {
		name string
		m    damask.Mail
	}{
		{"subject with CRLF", damask.Mail{To: []string{"a@example.org"}, Subject: "Hi\r\nBcc: victim@example.org", Text: "x"}},
		{"subject with LF", damask.Mail{To: []string{"a@example.org"}, Subject: "Hi\nBcc: victim@example.org", Text: "x"}},
		{"address with CRLF", damask.Mail{To: []string{"a@example.org\r\nBcc: victim@example.org"}, Subject: "Hi", Text: "x"}},
		{"name with LF", damask.Mail{To: []string{"Ann\n <a@example.org>"}, Subject: "Hi", Text: "x"}},
		{"not an address", damask.Mail{To: []string{"nobody"}, Subject: "Hi", Text: "x"}},
		{"two in one", damask.Mail{To: []string{"a@example.org, b@example.org"}, Subject: "Hi", Text: "x"}},
		{"address beyond ASCII", damask.Mail{To: []string{"zoë@example.org"}, Subject: "Hi", Text: "x"}},
		{"no recipient", damask.Mail{Subject: "Hi", Text: "x"}},
		{"subject too long", damask.Mail{To: []string{"a@example.org"}, Subject: strings.Repeat("x", 251), Text: "x"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			if err := s.Send(context.Background(), tt.m); err == nil {
				t.Error("sent")
			}
		})
	}
	if n := len(srv.Messages()); n != 0 {
		t.Errorf("%d messages came through", n)
	}
}

func TestServerDown(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	addr := ln.Addr().String()
	ln.Close()
	s, err := mail.New("smtp://damask:s3cret@" + addr + "?from=damask@example.org")
	if err != nil {
		t.Fatal(err)
	}
	err = s.Send(context.Background(), damask.Mail{To: []string{"a@example.org"}, Subject: "x", Text: "x"})
	if err == nil || !strings.Contains(err.Error(), "connect") || !strings.Contains(err.Error(), addr) || strings.Contains(err.Error(), "s3cret") {
		t.Errorf("error %v: want one naming the connection to %s, without the password", err, addr)
	}
}

// TestContext: a server that never greets holds Send until its context
// is cancelled, no longer.
func TestContext(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	accepted := make(chan net.Conn, 1)
	go func() {
		c, err := ln.Accept()
		if err == nil {
			accepted <- c
		}
	}()
	s, err := mail.New("smtp://" + ln.Addr().String() + "?from=damask@example.org")
	if err != nil {
		t.Fatal(err)
	}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan error, 1)
	go func() { done <- s.Send(ctx, damask.Mail{To: []string{"a@example.org"}, Subject: "x", Text: "x"}) }()
	c := <-accepted // Send is waiting for the greeting
	defer c.Close()
	cancel()
	select {
	case err := <-done:
		if !errors.Is(err, context.Canceled) {
			t.Errorf("error %v, want context.Canceled", err)
		}
	case <-time.After(wait):
		t.Fatal("Send did not stop with its context")
	}
}

func TestNew(t *testing.T) {
	tests := []struct {
		url, want string // want: the String, or what the error says
		ok        bool
	}{
		{"smtp://mail.example.org?from=d@example.org", "smtp://mail.example.org?from=d@example.org", true},
		{"smtps://u:p@mail.example.org?from=d@example.org", "smtps://u:xxxxx@mail.example.org?from=d@example.org", true},
		{"smtp://u%40example.org:p@mail.example.org:2525/?from=d@example.org&insecure=1", "", true},
		{"smtp://u@x.org:secret@mail.example.org?from=d@example.org", "", true},
		{"smtp://mail.example.org", "the sender's address is missing", false},
		{"smtp://mail.example.org?from=nobody", "from: address", false},
		{"smtp://mail.example.org?from=d@example.org&tls=no", "a parameter other than", false},
		{"smtp://mail.example.org?from=d@example.org&insecure=yes", "insecure must be", false},
		{"http://mail.example.org?from=d@example.org", "want smtp:// or smtps://", false},
		{"smtp://:secret@mail.example.org?from=d@example.org", "a password without a user", false},
		{"smtp://u:secret@mail.example.org:99999?from=d@example.org", "port", false},
		{"smtp://u:secret@mail.example.org:x?from=d@example.org", "not a URL", false},
		{"smtp://u:secret@/?from=d@example.org", "no host", false},
		{"smtp:mail.example.org?from=d@example.org", "no host", false},
		{"smtp://u:secret@mail.example.org/path?from=d@example.org", "a path", false},
		{"smtp://u:sec\x7fret@mail.example.org?from=d@example.org", "not a URL", false},
		{"smtp://u:sec:ret/x@mail.example.org?from=d@example.org", "not a URL", false},
		{"smtp://u:sec?ret@mail.example.org?from=d@example.org", "not a URL", false},
	}
	for _, tt := range tests {
		s, err := mail.New(tt.url)
		switch {
		case tt.ok && err != nil:
			t.Errorf("New(%q): %v", tt.url, err)
		case tt.ok && tt.want != "" && s.String() != tt.want:
			t.Errorf("New(%q).String() = %q, want %q", tt.url, s.String(), tt.want)
		case !tt.ok && err == nil:
			t.Errorf("New(%q) took it", tt.url)
		case !tt.ok && !strings.Contains(err.Error(), tt.want):
			t.Errorf("New(%q): %v, want one saying %q", tt.url, err, tt.want)
		case !tt.ok && strings.Contains(err.Error(), "secret"):
			t.Errorf("New(%q): %v shows the password", tt.url, err)
		}
	}
}

// FuzzNew: whatever the URL, New never panics, and neither its error nor
// the Sender's String shows the password, when there is one to show.
func FuzzNew(f *testing.F) {
	for _, s := range []string{
		"smtp://u:s3cr3t!@mail.example.org?from=d@example.org",
		"smtps://u:s3cr3t!@[::1]:465/?from=Damask%20%3Cd@example.org%3E&insecure=1",
		"smtp://u:p%ZZw@host?from=x", "smtp://:s3cr3t!@h", "smtp://u:s3cr3t!@h:0?from=a@b",
		"smtp://u:pass/word@h?from=a@b", "smtp://u:1234?from=word@h",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, raw string) {
		s, err := mail.New(raw)
		u, perr := url.Parse(raw)
		if perr != nil {
			if err == nil || !strings.Contains(err.Error(), "not a URL") {
				t.Fatalf("New(%q) = %v; url.Parse: %v", raw, err, perr)
			}
			return
		}
		pw, ok := u.User.Password()
		if !ok || len(pw) < 4 || strings.Count(raw, pw) > 1 {
			return // no password, or one found elsewhere in the URL too
		}
		if err != nil && strings.Contains(err.Error(), pw) {
			// Unless the words are the error's own: the same URL with
			// another password has them too.
			other := *u
			other.User = url.UserPassword(u.User.Username(), "Q")
			if _, err2 := mail.New(other.String()); err2 == nil || !strings.Contains(err2.Error(), pw) {
				t.Errorf("error %q shows the password %q", err, pw)
			}
		}
		if err == nil && strings.Contains(s.String(), pw) {
			t.Errorf("String %q shows the password %q", s, pw)
		}
	})
}

// BenchmarkSend: one message, a conversation each, to a server on this
// machine.
func BenchmarkSend(b *testing.B) {
	for _, tt := range []struct {
		name string
		opts mailtest.Options
	}{
		{"plain", mailtest.Options{}},
		{"starttls+auth", mailtest.Options{STARTTLS: true, User: "damask", Password: "s3cret"}},
		{"smtps+auth", mailtest.Options{TLS: true, User: "damask", Password: "s3cret"}},
	} {
		b.Run(tt.name, func(b *testing.B) {
			srv := mailtest.Start(b, tt.opts)
			s, err := mail.New(srv.URL("damask@example.org"))
			if err != nil {
				b.Fatal(err)
			}
			s.RootCAs = srv.CertPool()
			m := damask.Mail{To: []string{"a@example.org"}, Subject: "Webhook switched off", Text: strings.Repeat("Some text of a notification.\n", 20)}
			for b.Loop() {
				if err := s.Send(context.Background(), m); err != nil {
					b.Fatal(err)
				}
			}
		})
	}
}
