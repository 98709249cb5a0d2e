// Package mailtest is a real SMTP server for tests, on 127.0.0.1: plain,
// with STARTTLS or with TLS from the start (a self-signed certificate
// whose pool Server.CertPool gives), and with AUTH PLAIN when a user is
// set. It keeps what it receives, and a test waits for the next message.
package mailtest

import (
	"crypto/ecdsa"
	"crypto/elliptic"
	"crypto/rand"
	"crypto/tls"
	"crypto/x509"
	"crypto/x509/pkix"
	"errors"
	"fmt"
	"io"
	"log"
	"math/big"
	"net"
	"net/url"
	"sync"
	"testing"
	"time"

	"github.com/emersion/go-sasl"
	"github.com/emersion/go-smtp"
)

// Options choose what the server speaks.
type Options struct {
	// STARTTLS offers STARTTLS; TLS speaks TLS from the first byte
	// (smtps). Either serves a self-signed certificate for 127.0.0.1
	// and localhost.
	STARTTLS bool
	TLS      bool
	// User and Password, when User is set, are required by AUTH PLAIN
	// before MAIL FROM; the server offers AUTH only over TLS when it has
	// TLS, and over the plain connection otherwise.
	User, Password string
}

// Message is one message received.
type Message struct {
	From string
	To   []string
	Data []byte
}

// Server is a running SMTP server; Start closes it at the test's end.
type Server struct {
	opts     Options
	addr     string
	pool     *x509.CertPool
	received chan Message

	mu   sync.Mutex
	all  []Message
	auth []string // the logins tried, "user" or "user!" for a refused one
}

// Start runs a server for the test.
func Start(t testing.TB, o Options) *Server {
	t.Helper()
	s := &Server{opts: o, received: make(chan Message, 100)}
	srv := smtp.NewServer(smtp.BackendFunc(func(*smtp.Conn) (smtp.Session, error) {
		return &session{s: s}, nil
	}))
	srv.Domain = "localhost"
	srv.ReadTimeout, srv.WriteTimeout = time.Minute, time.Minute
	srv.ErrorLog = log.New(io.Discard, "", 0)
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("mailtest: listen: %v", err)
	}
	s.addr = ln.Addr().String()
	if o.STARTTLS || o.TLS {
		cert, pool, err := selfSigned()
		if err != nil {
			t.Fatalf("mailtest: certificate: %v", err)
		}
		s.pool = pool
		srv.TLSConfig = &tls.Config{Certificates: []tls.Certificate{cert}}
		if o.TLS {
			ln = tls.NewListener(ln, srv.TLSConfig)
		}
	} else {
		srv.AllowInsecureAuth = true
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		srv.Serve(ln)
	}()
	t.Cleanup(func() {
		srv.Close()
		<-done
	})
	return s
}

// Addr is the server's host:port.
func (s *Server) Addr() string { return s.addr }

// URL is a URL of package mail for the server: smtps:// when it speaks
// TLS from the start, with its user and password, and from.
func (s *Server) URL(from string) string {
	u := url.URL{Scheme: "smtp", Host: s.addr, RawQuery: url.Values{"from": {from}}.Encode()}
	if s.opts.TLS {
		u.Scheme = "smtps"
	}
	if s.opts.User != "" {
		u.User = url.UserPassword(s.opts.User, s.opts.Password)
	}
	return u.String()
}

// CertPool holds the server's certificate; nil without TLS.
func (s *Server) CertPool() *x509.CertPool { return s.pool }

// Next waits for the next message received, failing the test after
// timeout.
func (s *Server) Next(t testing.TB, timeout time.Duration) Message {
	t.Helper()
	select {
	case m := <-s.received:
		return m
	case <-time.After(timeout):
		t.Fatalf("mailtest: no message within %v", timeout)
		return Message{}
	}
}

// Messages are all the messages received so far, oldest first.
func (s *Server) Messages() []Message {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]Message(nil), s.all...)
}

// Logins are the AUTH attempts so far: the user, followed by "!" when
// the password was wrong.
func (s *Server) Logins() []string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return append([]string(nil), s.auth...)
}

// session is one connection's conversation.
type session struct {
	s      *Server
	authed bool
	msg    Message
}

func (se *session) AuthMechanisms() []string {
	if se.s.opts.User == "" {
		return nil
	}
	return []string{sasl.Plain}
}

func (se *session) Auth(string) (sasl.Server, error) {
	return sasl.NewPlainServer(func(_, user, pass string) error {
		ok := user == se.s.opts.User && pass == se.s.opts.Password
		se.s.mu.Lock()
		if ok {
			se.s.auth = append(se.s.auth, user)
		} else {
			se.s.auth = append(se.s.auth, user+"!")
		}
		se.s.mu.Unlock()
		if !ok {
			return smtp.ErrAuthFailed
		}
		se.authed = true
		return nil
	}), nil
}

func (se *session) Mail(from string, _ *smtp.MailOptions) error {
	if se.s.opts.User != "" && !se.authed {
		return smtp.ErrAuthRequired
	}
	se.msg = Message{From: from}
	return nil
}

func (se *session) Rcpt(to string, _ *smtp.RcptOptions) error {
	se.msg.To = append(se.msg.To, to)
	return nil
}

func (se *session) Data(r io.Reader) error {
	b, err := io.ReadAll(r)
	if err != nil {
		return err
	}
	if len(se.msg.To) == 0 {
		return errors.New("no recipient")
	}
	m := se.msg
	m.Data = b
	se.s.mu.Lock()
	se.s.all = append(se.s.all, m)
	se.s.mu.Unlock()
	select {
	case se.s.received <- m:
	default: // a test reading Messages only: keep the newest there
	}
	return nil
}

func (se *session) Reset() { se.msg = Message{} }

func (se *session) Logout() error { return nil }

// selfSigned makes a certificate for 127.0.0.1 and localhost, valid for a
// day, and the pool that trusts it.
func selfSigned() (tls.Certificate, *x509.CertPool, error) {
	key, err := ecdsa.GenerateKey(elliptic.P256(), rand.Reader)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	tmpl := &x509.Certificate{
		SerialNumber:          big.NewInt(1),
		Subject:               pkix.Name{CommonName: "mailtest"},
		NotBefore:             time.Now().Add(-time.Hour),
		NotAfter:              time.Now().Add(24 * time.Hour),
		KeyUsage:              x509.KeyUsageDigitalSignature | x509.KeyUsageCertSign,
		ExtKeyUsage:           []x509.ExtKeyUsage{x509.ExtKeyUsageServerAuth},
		BasicConstraintsValid: true,
		IsCA:                  true,
		IPAddresses:           []net.IP{net.IPv4(127, 0, 0, 1)},
		DNSNames:              []string{"localhost"},
	}
	der, err := x509.CreateCertificate(rand.Reader, tmpl, tmpl, &key.PublicKey, key)
	if err != nil {
		return tls.Certificate{}, nil, err
	}
	leaf, err := x509.ParseCertificate(der)
	if err != nil {
		return tls.Certificate{}, nil, fmt.Errorf("parse: %w", err)
	}
	pool := x509.NewCertPool()
	pool.AddCert(leaf)
	return tls.Certificate{Certificate: [][]byte{der}, PrivateKey: key, Leaf: leaf}, pool, nil
}
