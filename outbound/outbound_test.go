package outbound

import (
	"context"
	"net"
	"net/http"
	"net/http/httptest"
	"net/netip"
	"strings"
	"sync/atomic"
	"testing"
	"time"
)

func TestPublic(t *testing.T) {
	for _, tt := range []struct {
		addr   string
		public bool
	}{
		{"93.184.215.14", true},
		{"8.8.8.8", true},
		{"2606:4700::1111", true},
		{"64:ff9b::808:808", true}, // NAT64 of 8.8.8.8
		{"2002:808:808::1", true},  // 6to4 of 8.8.8.8

		{"127.0.0.1", false},
		{"127.1.2.3", false},
		{"::1", false},
		{"::ffff:127.0.0.1", false},
		{"0.0.0.0", false},
		{"::", false},
		{"10.0.0.1", false},
		{"172.16.5.4", false},
		{"192.168.1.1", false},
		{"fc00::1", false},
		{"fd12:3456::1", false},
		{"169.254.169.254", false},
		{"169.254.1.1", false},
		{"fe80::1", false},
		{"fe80::1%eth0", false},
		{"100.64.0.1", false},
		{"100.100.100.200", false},
		{"168.63.129.16", false},
		{"fd00:ec2::254", false},
		{"224.0.0.1", false},
		{"ff02::1", false},
		{"255.255.255.255", false},
		{"192.0.2.1", false},
		{"198.18.0.1", false},
		{"::127.0.0.1", false},
		{"64:ff9b::7f00:1", false}, // NAT64 of 127.0.0.1
		{"64:ff9b::a9fe:a9fe", false},
		{"2002:7f00:1::1", false}, // 6to4 of 127.0.0.1
		{"2002:a00:1::", false},   // 6to4 of 10.0.0.1
		{"2001::1", false},        // Teredo
		{"2001:db8::1", false},
	} {
		if got := Public(netip.MustParseAddr(tt.addr)); got != tt.public {
			t.Errorf("Public(%s) = %v, want %v", tt.addr, got, tt.public)
		}
	}
}

func TestAllowed(t *testing.T) {
	for _, tt := range []struct {
		allow, addr string
		want        bool
	}{
		{"", "127.0.0.1", false},
		{"", "8.8.8.8", true},
		{"127.0.0.0/8", "127.0.0.1", true},
		{"127.0.0.0/8", "::ffff:127.0.0.1", true},
		{"127.0.0.0/8", "::1", false},
		{"127.0.0.1/32", "127.0.0.2", false},
		{"127.0.0.1", "127.0.0.1", true},
		{"10.0.0.0/8, fd00::/8", "10.9.8.7", true},
		{"10.0.0.0/8, fd00::/8", "fd00::5", true},
		{"10.0.0.0/8, fd00::/8", "172.16.0.1", false},
		// A metadata address stays refused inside a wider allowed range.
		{"169.254.0.0/16", "169.254.1.1", true},
		{"169.254.0.0/16", "169.254.169.254", false},
		{"fd00::/8", "fd00:ec2::254", false},
		{"169.254.169.254/32", "169.254.169.254", true},
		{"168.63.129.16", "168.63.129.16", true},
	} {
		ps, err := ParseAllow(tt.allow)
		if err != nil {
			t.Fatal(err)
		}
		c := New(Options{Allow: ps})
		if got := c.Allowed(netip.MustParseAddr(tt.addr)); got != tt.want {
			t.Errorf("allow %q: Allowed(%s) = %v, want %v", tt.allow, tt.addr, got, tt.want)
		}
	}
}

func TestParseAllow(t *testing.T) {
	ps, err := ParseAllow(" 127.0.0.0/8,,::1, 10.1.2.3/8 ")
	if err != nil {
		t.Fatal(err)
	}
	want := []string{"127.0.0.0/8", "::1/128", "10.0.0.0/8"}
	if len(ps) != len(want) {
		t.Fatalf("ParseAllow: %v", ps)
	}
	for i, p := range ps {
		if p.String() != want[i] {
			t.Errorf("range %d: %s, want %s", i, p, want[i])
		}
	}
	for _, bad := range []string{"localhost", "10.0.0.0/33", "10.0.0/8", "*"} {
		if _, err := ParseAllow(bad); err == nil {
			t.Errorf("ParseAllow(%q) took it", bad)
		}
	}
}

// server is a test server on 127.0.0.1 that counts the connections made
// to it.
type server struct {
	*httptest.Server
	conns atomic.Int32
}

func newServer(t *testing.T, h http.HandlerFunc) *server {
	s := &server{Server: httptest.NewUnstartedServer(h)}
	s.Config.ConnState = func(_ net.Conn, st http.ConnState) {
		if st == http.StateNew {
			s.conns.Add(1)
		}
	}
	s.Start()
	t.Cleanup(s.Close)
	return s
}

func (s *server) port() string {
	_, p, _ := net.SplitHostPort(s.Listener.Addr().String())
	return p
}

func loopback(t *testing.T) []netip.Prefix {
	ps, err := ParseAllow("127.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return ps
}

func wantKind(t *testing.T, what string, err error, k Kind) {
	t.Helper()
	if KindOf(err) != k {
		t.Errorf("%s: %v (kind %q), want kind %q", what, err, KindOf(err), k)
	}
}

func TestRefusedAtConnect(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inside")) })
	ctx := t.Context()
	c := New(Options{})
	for _, u := range []string{s.URL, "http://localhost:" + s.port() + "/", "http://[::ffff:127.0.0.1]:" + s.port() + "/"} {
		_, err := c.Get(ctx, u)
		wantKind(t, "GET "+u, err, Refused)
		wantKind(t, "Check "+u, c.Check(ctx, u), Refused)
		// The standard client, which the hook is not on, gets through:
		// the refusal is the hook's.
		if strings.Contains(u, "localhost") {
			res, err := http.Get(u)
			if err != nil {
				t.Fatalf("plain client: %v", err)
			}
			res.Body.Close()
		}
	}
	if n := s.conns.Load(); n != 1 {
		t.Errorf("%d connections reached the server, want only the plain client's", n)
	}
	// The operator's range opens it.
	b, err := New(Options{Allow: loopback(t)}).Get(ctx, s.URL)
	if err != nil || string(b) != "inside" {
		t.Errorf("allowed: %q, %v", b, err)
	}
}

// TestRebinding: a name that answered an outside address when it was
// checked and answers loopback when the connection is made is refused by
// the dialer's Control hook.
func TestRebinding(t *testing.T) {
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) { w.Write([]byte("inside")) })
	var rebound atomic.Bool
	c := New(Options{Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
		if host != "idp.rebind.test" {
			t.Errorf("lookup of %q", host)
		}
		if rebound.Load() {
			return []netip.Addr{netip.MustParseAddr("127.0.0.1")}, nil
		}
		return []netip.Addr{netip.MustParseAddr("93.184.215.14")}, nil
	}})
	u := "http://idp.rebind.test:" + s.port() + "/.well-known/openid-configuration"
	if err := c.Check(t.Context(), u); err != nil {
		t.Fatalf("Check while the name is outside: %v", err)
	}
	rebound.Store(true)
	_, err := c.Get(t.Context(), u)
	wantKind(t, "GET after rebinding", err, Refused)
	// The hook itself, as the dialer calls it with the resolved address.
	wantKind(t, "control", c.control("tcp4", "127.0.0.1:"+s.port(), nil), Refused)
	if err := c.control("tcp4", "93.184.215.14:443", nil); err != nil {
		t.Errorf("control of an outside address: %v", err)
	}
	if n := s.conns.Load(); n != 0 {
		t.Errorf("%d connections reached the server", n)
	}
	// A name with several addresses, one inside: refused when checked.
	c = New(Options{Resolve: func(ctx context.Context, host string) ([]netip.Addr, error) {
		return []netip.Addr{netip.MustParseAddr("93.184.215.14"), netip.MustParseAddr("10.0.0.1")}, nil
	}})
	wantKind(t, "Check of a name with an inside address", c.Check(t.Context(), "https://two.test/"), Refused)
}

func TestLimits(t *testing.T) {
	const marker = "SECRET-INSIDE-ANSWER"
	var followed atomic.Bool
	s := newServer(t, func(w http.ResponseWriter, r *http.Request) {
		switch r.URL.Path {
		case "/redirect":
			http.Redirect(w, r, "/target", http.StatusFound)
		case "/target":
			followed.Store(true)
		case "/huge":
			for range 3 << 10 {
				w.Write([]byte(strings.Repeat("x", 1023) + "\n"))
			}
		case "/huge-declared":
			w.Header().Set("Content-Length", "3000000")
			w.Write([]byte("x"))
		case "/slow":
			w.WriteHeader(http.StatusOK)
			for i := 0; i < 300 && r.Context().Err() == nil; i++ {
				w.Write([]byte(" "))
				w.(http.Flusher).Flush()
				time.Sleep(100 * time.Millisecond)
			}
		case "/error":
			http.Error(w, marker, http.StatusInternalServerError)
		case "/ok":
			w.Write([]byte(strings.Repeat("y", 1<<20)))
		}
	})
	c := New(Options{Allow: loopback(t), Timeout: time.Second})
	ctx := t.Context()
	_, err := c.Get(ctx, s.URL+"/redirect")
	wantKind(t, "redirect", err, Redirect)
	if followed.Load() {
		t.Error("the redirect was followed")
	}
	_, err = c.Get(ctx, s.URL+"/huge")
	wantKind(t, "huge body", err, TooLarge)
	_, err = c.Get(ctx, s.URL+"/huge-declared")
	wantKind(t, "huge declared body", err, TooLarge)
	if b, err := c.Get(ctx, s.URL+"/ok"); err != nil || len(b) != 1<<20 {
		t.Errorf("a body of exactly the limit: %d bytes, %v", len(b), err)
	}
	t0 := time.Now()
	_, err = c.Get(ctx, s.URL+"/slow")
	wantKind(t, "slow body", err, Timeout)
	if d := time.Since(t0); d > 20*time.Second {
		t.Errorf("a slow body took %v, the whole of it (the limit is a second)", d)
	}
	_, err = c.Get(ctx, s.URL+"/error")
	wantKind(t, "error status", err, Status)
	if err != nil && strings.Contains(err.Error(), marker) {
		t.Errorf("the error carries the answer's body: %v", err)
	}
	for _, bad := range []string{"ftp://example.com/", "http:///x", "http://user:pw@example.com/", "::"} {
		_, err := c.Get(ctx, bad)
		wantKind(t, "GET "+bad, err, BadURL)
	}
}
