// Package mail sends the server's e-mail through the operator's SMTP
// server (damask.Mailer), named by one URL (--smtp):
//
//	smtp://USER:PASSWORD@HOST[:587]?from=damask@example.org
//	smtps://USER:PASSWORD@HOST[:465]?from=damask@example.org
//
// smtp:// is the submission port: the connection is switched to TLS
// (STARTTLS) whenever the server offers it, and the password is never
// sent over a connection left in clear unless the server is on a
// loopback address or the URL says ?insecure=1. smtps:// speaks TLS from
// the first byte. A server's certificate is always verified.
//
// The password appears in no error and no log: the URL is shown redacted
// (String), and errors name the host and the step that failed.
//
// The client is the standard library's net/smtp: frozen, but all a
// notification needs (EHLO, STARTTLS, AUTH PLAIN, one message), and
// without a dependency; a context bounds it by closing its connection.
package mail

import (
	"bytes"
	"context"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"encoding/base64"
	"errors"
	"fmt"
	"mime"
	"mime/multipart"
	"mime/quotedprintable"
	"net"
	"net/mail"
	"net/netip"
	"net/smtp"
	"net/textproto"
	"net/url"
	"os"
	"strconv"
	"strings"
	"time"
	"unicode"
	"unicode/utf8"

	"damask"
)

// DefaultTimeout bounds a Send whose context has no deadline: the whole
// conversation, from the dial to QUIT.
const DefaultTimeout = 30 * time.Second

// Sender sends e-mail through one SMTP server. It holds no connection:
// each Send dials, which suits the few mails a server sends.
type Sender struct {
	host     string // without the port, for the certificate's check
	addr     string // host:port
	implicit bool   // smtps://: TLS from the start
	insecure bool   // ?insecure=1: the password may go in clear
	user     string
	pass     string
	from     *mail.Address
	redacted string

	// RootCAs are the certificates a server's must chain to; nil is the
	// system's. Tests set the pool of their own server (mailtest).
	RootCAs *x509.CertPool
}

var _ damask.Mailer = (*Sender)(nil)

// New reads an SMTP URL (see the package comment). Its errors never
// carry the password.
func New(rawURL string) (*Sender, error) {
	u, err := url.Parse(rawURL)
	if err != nil {
		// url.Error quotes the URL, and its reason may quote a part of
		// it (an "invalid port" that is half a password with a / in
		// it): neither is repeated.
		return nil, errors.New("the SMTP URL is not a URL (in a user or password, write @ : / ? # % as %40 %3A %2F %3F %23 %25)")
	}
	s := &Sender{redacted: u.Redacted()}
	port := ""
	switch u.Scheme {
	case "smtp":
		port = "587"
	case "smtps":
		port, s.implicit = "465", true
	default:
		return nil, errors.New("SMTP URL: want smtp:// or smtps://")
	}
	s.host = u.Hostname()
	if s.host == "" || u.Opaque != "" {
		return nil, errors.New("SMTP URL: no host (smtp://USER:PASSWORD@HOST:587?from=ADDRESS)")
	}
	if (u.Path != "" && u.Path != "/") || u.Fragment != "" {
		return nil, errors.New("SMTP URL: a path or fragment means nothing here")
	}
	if p := u.Port(); p != "" {
		if n, err := strconv.Atoi(p); err != nil || n < 1 || n > 65535 {
			return nil, fmt.Errorf("SMTP URL: port %q is not one", p)
		}
		port = p
	}
	s.addr = net.JoinHostPort(s.host, port)
	if u.User != nil {
		s.user = u.User.Username()
		s.pass, _ = u.User.Password()
		if s.user == "" {
			return nil, errors.New("SMTP URL: a password without a user")
		}
	}
	q := u.Query()
	for k := range q {
		if k != "from" && k != "insecure" {
			return nil, errors.New("SMTP URL: a parameter other than from and insecure")
		}
	}
	switch q.Get("insecure") {
	case "", "0", "false":
	case "1", "true":
		s.insecure = true
	default:
		return nil, errors.New("SMTP URL: insecure must be 1 or 0")
	}
	from := q.Get("from")
	if from == "" {
		return nil, errors.New("SMTP URL: the sender's address is missing: add ?from=damask@example.org")
	}
	if s.from, err = parseAddress(from); err != nil {
		return nil, fmt.Errorf("SMTP URL: from: %w", err)
	}
	return s, nil
}

// String is the URL without its password, for messages and logs.
func (s *Sender) String() string { return s.redacted }

// Send writes m to its recipients in one SMTP conversation, within the
// context's deadline (DefaultTimeout when it has none).
func (s *Sender) Send(ctx context.Context, m damask.Mail) error {
	msg, to, err := s.message(m, time.Now())
	if err != nil {
		return err
	}
	if _, ok := ctx.Deadline(); !ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, DefaultTimeout)
		defer cancel()
	}
	if err := s.send(ctx, to, msg); err != nil {
		if ctx.Err() != nil {
			err = fmt.Errorf("%w (%w)", ctx.Err(), err)
		}
		return fmt.Errorf("send mail through %s: %w", s.addr, err)
	}
	return nil
}

func (s *Sender) send(ctx context.Context, to []string, msg []byte) error {
	var d net.Dialer
	conn, err := d.DialContext(ctx, "tcp", s.addr)
	if err != nil {
		return fmt.Errorf("connect: %w", err)
	}
	// net/smtp knows no context: the deadline is the connection's, and a
	// cancel closes it under the client.
	deadline, _ := ctx.Deadline()
	conn.SetDeadline(deadline)
	raw := conn
	stop := context.AfterFunc(ctx, func() { raw.Close() })
	defer stop()
	tlsConf := &tls.Config{ServerName: s.host, RootCAs: s.RootCAs, MinVersion: tls.VersionTLS12}
	if s.implicit {
		conn = tls.Client(conn, tlsConf)
	}
	c, err := smtp.NewClient(conn, s.host)
	if err != nil {
		conn.Close()
		return fmt.Errorf("greeting: %w", err)
	}
	defer c.Close()
	if err := c.Hello(helloName()); err != nil {
		return fmt.Errorf("EHLO: %w", err)
	}
	secure := s.implicit
	if !secure {
		if ok, _ := c.Extension("STARTTLS"); ok {
			if err := c.StartTLS(tlsConf); err != nil {
				return fmt.Errorf("STARTTLS: %w", err)
			}
			secure = true
		}
	}
	if s.user != "" {
		if !secure && !s.insecure && !loopback(s.host) {
			return errors.New("the server offers no STARTTLS, and the password is not sent in clear (add ?insecure=1 to the URL to allow it)")
		}
		if err := c.Auth(plainAuth{user: s.user, pass: s.pass, host: s.host}); err != nil {
			return fmt.Errorf("authenticate as %s: %w", s.user, err)
		}
	}
	if err := c.Mail(s.from.Address); err != nil {
		return fmt.Errorf("MAIL FROM: %w", err)
	}
	for _, a := range to {
		if err := c.Rcpt(a); err != nil {
			return fmt.Errorf("RCPT TO %s: %w", a, err)
		}
	}
	w, err := c.Data()
	if err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if _, err := w.Write(msg); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	if err := w.Close(); err != nil {
		return fmt.Errorf("DATA: %w", err)
	}
	c.Quit() // the message is accepted: a QUIT that fails loses nothing
	return nil
}

// plainAuth is AUTH PLAIN (RFC 4616). net/smtp's PlainAuth would refuse
// a connection in clear to any host but localhost itself; Send has
// applied the package's rule (loopback, or ?insecure=1) before.
type plainAuth struct{ user, pass, host string }

func (a plainAuth) Start(server *smtp.ServerInfo) (string, []byte, error) {
	if server.Name != a.host {
		return "", nil, errors.New("wrong host name")
	}
	return "PLAIN", []byte("\x00" + a.user + "\x00" + a.pass), nil
}

func (a plainAuth) Next(fromServer []byte, more bool) ([]byte, error) {
	if more {
		return nil, errors.New("unexpected server challenge")
	}
	return nil, nil
}

// loopback tells whether host is this machine: localhost or a loopback
// address, where a password in clear never leaves it.
func loopback(host string) bool {
	if host == "localhost" {
		return true
	}
	ip, err := netip.ParseAddr(host)
	return err == nil && ip.IsLoopback()
}

// helloName is the name EHLO gives: the machine's, when it has one that
// the server may accept.
func helloName() string {
	if h, err := os.Hostname(); err == nil && h != "" && !strings.ContainsAny(h, " \r\n") {
		return h
	}
	return "localhost"
}

// parseAddress reads one address ("a@example.org" or "Name
// <a@example.org>"), refusing line breaks: a header is one line.
func parseAddress(s string) (*mail.Address, error) {
	if strings.ContainsAny(s, "\r\n") {
		return nil, fmt.Errorf("address %q has a line break", s)
	}
	a, err := mail.ParseAddress(s)
	if err != nil {
		return nil, fmt.Errorf("address %q: %w", s, err)
	}
	// A header line holds at most 998 characters (RFC 5322, 2.1.1), and a
	// path at most 256 (RFC 5321, 4.5.3.1.3); a name encoded grows by up to
	// three times.
	if len(a.Address) > 254 || len(a.Name) > 200 {
		return nil, fmt.Errorf("address %q is too long", s)
	}
	// An address beyond ASCII needs SMTPUTF8 of every server on the
	// way, which a notification cannot count on.
	for _, r := range a.Address {
		if r > unicode.MaxASCII {
			return nil, fmt.Errorf("address %q is not ASCII", a.Address)
		}
	}
	return a, nil
}

// maxSubject keeps the Subject header, encoded, within the 998
// characters a line may have (RFC 5322, 2.1.1).
const maxSubject = 250

// message is m as an RFC 5322 message, with the recipients' bare
// addresses for RCPT TO.
func (s *Sender) message(m damask.Mail, now time.Time) ([]byte, []string, error) {
	if len(m.To) == 0 {
		return nil, nil, errors.New("mail: no recipient")
	}
	if strings.ContainsAny(m.Subject, "\r\n") {
		return nil, nil, errors.New("mail: the subject has a line break")
	}
	if len(m.Subject) > maxSubject {
		return nil, nil, fmt.Errorf("mail: the subject is longer than %d bytes", maxSubject)
	}
	to := make([]string, len(m.To))
	toHeader := make([]string, len(m.To))
	for i, t := range m.To {
		a, err := parseAddress(t)
		if err != nil {
			return nil, nil, fmt.Errorf("mail: to: %w", err)
		}
		to[i], toHeader[i] = a.Address, a.String()
	}
	var b bytes.Buffer
	h := func(k, v string) { b.WriteString(k + ": " + v + "\r\n") }
	h("From", s.from.String())
	h("To", strings.Join(toHeader, ", "))
	h("Subject", encodeSubject(m.Subject))
	h("Date", now.Format(time.RFC1123Z))
	h("Message-ID", "<"+rand.Text()+"@"+domainOf(s.from.Address)+">")
	h("MIME-Version", "1.0")
	if m.HTML == "" {
		h("Content-Type", "text/plain; charset=utf-8")
		h("Content-Transfer-Encoding", "quoted-printable")
		b.WriteString("\r\n")
		writeQP(&b, m.Text)
		return b.Bytes(), to, nil
	}
	mw := multipart.NewWriter(&b)
	h("Content-Type", mime.FormatMediaType("multipart/alternative", map[string]string{"boundary": mw.Boundary()}))
	b.WriteString("\r\n")
	// The parts from the plainest to the richest (RFC 2046, 5.1.4): a
	// reader shows the last it can.
	for _, p := range []struct{ typ, body string }{{"text/plain", m.Text}, {"text/html", m.HTML}} {
		pw, _ := mw.CreatePart(textproto.MIMEHeader{ // writes to a buffer: never fails
			"Content-Type":              {p.typ + "; charset=utf-8"},
			"Content-Transfer-Encoding": {"quoted-printable"},
		})
		var part bytes.Buffer
		writeQP(&part, p.body)
		pw.Write(part.Bytes())
	}
	mw.Close()
	return b.Bytes(), to, nil
}

// encodeSubject writes the subject as RFC 2047 words when it is not plain
// ASCII, or when it holds "=?", which a reader would take for the start
// of a word: mime.QEncoding leaves that as it is, so those are written
// as base64 words here.
func encodeSubject(s string) string {
	if !strings.Contains(s, "=?") {
		return mime.QEncoding.Encode("utf-8", s)
	}
	var words []string
	for s != "" {
		n := min(len(s), 45) // 60 characters in base64, 72 as a word
		for n < len(s) && n > 1 && !utf8.RuneStart(s[n]) {
			n--
		}
		words = append(words, "=?utf-8?b?"+base64.StdEncoding.EncodeToString([]byte(s[:n]))+"?=")
		s = s[n:]
	}
	return strings.Join(words, " ")
}

// writeQP writes text quoted-printable: lines of 76 characters at most,
// line ends as CRLF, whatever bytes the text has.
func writeQP(b *bytes.Buffer, text string) {
	w := quotedprintable.NewWriter(b)
	w.Write([]byte(text)) // to a buffer: never fails
	w.Close()
	b.WriteString("\r\n")
}

func domainOf(addr string) string {
	return addr[strings.LastIndexByte(addr, '@')+1:]
}
