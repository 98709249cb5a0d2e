package forwarded

import (
	"crypto/tls"
	"net/http/httptest"
	"net/netip"
	"strings"
	"testing"
)

// proxies are the trusted proxies of the tests: the loopback default and
// an inner network of load balancers.
func proxies(t testing.TB) Proxies {
	t.Helper()
	p, err := ParseProxies(Loopback + ", 10.0.0.0/8")
	if err != nil {
		t.Fatal(err)
	}
	return p
}

func TestSource(t *testing.T) {
	tests := []struct {
		name string
		peer string   // RemoteAddr
		xff  []string // X-Forwarded-For lines, in order
		want string
	}{
		{"no proxy", "192.0.2.1:4242", nil, "192.0.2.1"},
		{"untrusted peer's header ignored", "192.0.2.1:4242", []string{"203.0.113.5"}, "192.0.2.1"},
		{"untrusted peer in the trusted network's header", "192.0.2.1:4242", []string{"10.0.0.1"}, "192.0.2.1"},
		{"trusted peer, no header", "127.0.0.1:4242", nil, "127.0.0.1"},
		{"trusted peer, empty header", "127.0.0.1:4242", []string{""}, "127.0.0.1"},
		{"one hop", "127.0.0.1:4242", []string{"203.0.113.5"}, "203.0.113.5"},
		{"spoofed left-most", "127.0.0.1:4242", []string{"198.51.100.66, 203.0.113.5"}, "203.0.113.5"},
		{"spoofed left-most, several", "127.0.0.1:4242", []string{"1.1.1.1, 2.2.2.2,3.3.3.3 ,203.0.113.5"}, "203.0.113.5"},
		{"spoofed trusted address on the left", "127.0.0.1:4242", []string{"127.0.0.1, 203.0.113.5"}, "203.0.113.5"},
		{"chained trusted proxies", "127.0.0.1:4242", []string{"198.51.100.66, 203.0.113.5, 10.0.0.2, 10.1.2.3"}, "203.0.113.5"},
		{"several header lines", "127.0.0.1:4242", []string{"198.51.100.66", "203.0.113.5, 10.0.0.2", "10.0.0.3"}, "203.0.113.5"},
		{"several lines, client on the last", "127.0.0.1:4242", []string{"198.51.100.66, 10.0.0.2", "203.0.113.5"}, "203.0.113.5"},
		{"all trusted: the left-most", "127.0.0.1:4242", []string{"10.0.0.9, 10.0.0.2"}, "10.0.0.9"},
		{"ports", "127.0.0.1:4242", []string{"198.51.100.66:1, 203.0.113.5:4711"}, "203.0.113.5"},
		{"IPv6 with brackets and port", "127.0.0.1:4242", []string{"[2001:db8::1]:4711"}, "2001:db8::1"},
		{"IPv6 with brackets", "127.0.0.1:4242", []string{"[2001:db8::1]"}, "2001:db8::1"},
		{"IPv6 bare, long form", "127.0.0.1:4242", []string{"2001:0DB8:0:0:0:0:0:1"}, "2001:db8::1"},
		{"IPv6 with zone", "127.0.0.1:4242", []string{"fe80::1%eth0"}, "fe80::1"},
		{"IPv4 mapped", "127.0.0.1:4242", []string{"::ffff:203.0.113.5"}, "203.0.113.5"},
		{"IPv6 peer", "[::1]:4242", []string{"203.0.113.5"}, "203.0.113.5"},
		{"IPv4-mapped peer", "[::ffff:127.0.0.1]:4242", []string{"203.0.113.5"}, "203.0.113.5"},
		{"untrusted IPv6 peer", "[2001:db8::7]:4242", []string{"203.0.113.5"}, "2001:db8::7"},
		{"empty entries", "127.0.0.1:4242", []string{",, 203.0.113.5 ,,", ""}, "203.0.113.5"},
		{"tabs", "127.0.0.1:4242", []string{"\t203.0.113.5\t"}, "203.0.113.5"},
		{"garbage right-most: the peer", "127.0.0.1:4242", []string{"203.0.113.5, unknown"}, "127.0.0.1"},
		{"garbage behind a trusted hop: that hop", "127.0.0.1:4242", []string{"203.0.113.5, <script>, 10.0.0.2"}, "10.0.0.2"},
		{"garbage left of the client", "127.0.0.1:4242", []string{"not an address, 203.0.113.5"}, "203.0.113.5"},
		{"IPv4 in brackets is garbage", "127.0.0.1:4242", []string{"[203.0.113.5]"}, "127.0.0.1"},
		{"leading zeros are garbage", "127.0.0.1:4242", []string{"203.000.113.005"}, "127.0.0.1"},
		{"bad port is garbage", "127.0.0.1:4242", []string{"203.0.113.5:99999"}, "127.0.0.1"},
		{"quoted is garbage", "127.0.0.1:4242", []string{`"203.0.113.5"`}, "127.0.0.1"},
		{"RFC 7239 syntax is garbage", "127.0.0.1:4242", []string{"for=203.0.113.5"}, "127.0.0.1"},
		{"peer without port", "127.0.0.1", []string{"203.0.113.5"}, "203.0.113.5"},
		{"peer not an address", "pipe", []string{"203.0.113.5"}, "pipe"},
	}
	p := proxies(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			for _, v := range tt.xff {
				r.Header.Add("x-forwarded-for", v)
			}
			if got := p.Source(r); got != tt.want {
				t.Errorf("Source = %q, want %q", got, tt.want)
			}
			// Trusting no one, the headers are never read.
			want := tt.peer
			if a, ok := peerOf(r); ok {
				want = a.String()
			}
			if got := (Proxies{}).Source(r); got != want {
				t.Errorf("Source, trusting no one = %q, want %q", got, want)
			}
		})
	}
}

func TestSecure(t *testing.T) {
	tests := []struct {
		name   string
		peer   string
		tls    bool
		proto  []string
		secure bool
	}{
		{"plain", "192.0.2.1:4242", false, nil, false},
		{"TLS", "192.0.2.1:4242", true, nil, true},
		{"untrusted peer's header", "192.0.2.1:4242", false, []string{"https"}, false},
		{"trusted peer", "127.0.0.1:4242", false, []string{"HTTPS"}, true},
		{"trusted peer, http", "127.0.0.1:4242", false, []string{"http"}, false},
		{"trusted peer, none", "127.0.0.1:4242", false, nil, false},
		{"the nearest proxy's value wins", "10.0.0.2:4242", false, []string{"http, https"}, true},
		{"the last line wins", "10.0.0.2:4242", false, []string{"https", "http"}, false},
		{"spaces", "[::1]:4242", false, []string{" https "}, true},
		{"garbage", "127.0.0.1:4242", false, []string{"https-ish"}, false},
	}
	p := proxies(t)
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = tt.peer
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			for _, v := range tt.proto {
				r.Header.Add("X-Forwarded-Proto", v)
			}
			if got := p.Secure(r); got != tt.secure {
				t.Errorf("Secure = %v, want %v", got, tt.secure)
			}
			if want := map[bool]string{true: "https", false: "http"}[tt.secure]; p.Scheme(r) != want {
				t.Errorf("Scheme = %q, want %q", p.Scheme(r), want)
			}
			if got := (Proxies{}).Secure(r); got != tt.tls {
				t.Errorf("Secure, trusting no one = %v, want %v", got, tt.tls)
			}
		})
	}
}

func TestParseProxies(t *testing.T) {
	tests := []struct {
		in, want string
		bad      bool
	}{
		{in: Loopback, want: "127.0.0.0/8,::1/128"},
		{in: "", want: ""},
		{in: " 10.0.0.0/8 , 192.168.1.7 ,, 2001:db8::/32 ", want: "10.0.0.0/8,192.168.1.7/32,2001:db8::/32"},
		{in: "10.1.2.3/8", want: "10.0.0.0/8"},
		{in: "::ffff:10.0.0.0/104", want: "10.0.0.0/8"},
		{in: "10.0.0.0/33", bad: true},
		{in: "example.com", bad: true},
		{in: "10.0.0.0/8;rm", bad: true},
		{in: "fe80::1%eth0", bad: true},
	}
	for _, tt := range tests {
		p, err := ParseProxies(tt.in)
		switch {
		case tt.bad && err == nil:
			t.Errorf("ParseProxies(%q) = %v, want an error", tt.in, p)
		case !tt.bad && err != nil:
			t.Errorf("ParseProxies(%q): %v", tt.in, err)
		case !tt.bad && p.String() != tt.want:
			t.Errorf("ParseProxies(%q) = %q, want %q", tt.in, p, tt.want)
		}
	}
	p, _ := ParseProxies("::ffff:10.0.0.0/104")
	if !p.Trusts(netip.MustParseAddr("10.9.9.9")) || !p.Trusts(netip.MustParseAddr("::ffff:10.9.9.9")) {
		t.Error("an IPv4 network is not trusted in both spellings")
	}
}

// FuzzClient holds the walk of X-Forwarded-For to its promises whatever
// the header: it answers a canonical address, the peer or one written in
// the header; a client that is no trusted proxy is the same whatever is
// written to its left, so that rotating a spoofed left-most value changes
// nothing.
func FuzzClient(f *testing.F) {
	for _, s := range []string{
		"", "203.0.113.5", "1.1.1.1, 203.0.113.5", "203.0.113.5, 10.0.0.2, 127.0.0.1",
		"[2001:db8::1]:80, ::1", "garbage, 10.0.0.1", ",,,", "fe80::1%eth0", "::ffff:10.0.0.1",
		"203.0.113.5:99999", "[1.2.3.4]", "10.0.0.1\n203.0.113.5",
	} {
		f.Add(s, true)
		f.Add(s, false)
	}
	p := proxies(f)
	f.Fuzz(func(t *testing.T, header string, loopbackPeer bool) {
		peer := netip.MustParseAddr("10.0.0.1")
		if loopbackPeer {
			peer = netip.MustParseAddr("::1")
		}
		// Newlines part the header lines, as a client sending several
		// would.
		lines := strings.Split(header, "\n")
		got := p.Client(peer, lines)
		if !got.IsValid() || got.Zone() != "" || got.Is4In6() {
			t.Fatalf("Client(%q) = %v: not a canonical address", header, got)
		}
		if again, err := netip.ParseAddr(got.String()); err != nil || again != got {
			t.Fatalf("Client(%q) = %v, which reads back as %v (%v)", header, got, again, err)
		}
		if got != peer && !inHeader(got, lines) {
			t.Fatalf("Client(%q) = %v, neither the peer nor in the header", header, got)
		}
		if !p.Trusts(got) {
			spoofed := append([]string{"198.51.100.66, garbage"}, lines...)
			spoofed[1] = "192.0.2.99," + spoofed[1]
			if again := p.Client(peer, spoofed); again != got {
				t.Fatalf("Client(%q) = %v, but %v with more written to its left", header, got, again)
			}
		}
	})
}

// inHeader tells whether a is one of the entries of lines, however it was
// spelled there.
func inHeader(a netip.Addr, lines []string) bool {
	for _, l := range lines {
		for e := range strings.SplitSeq(l, ",") {
			if b, ok := parseHop(strings.TrimSpace(e)); ok && b == a {
				return true
			}
		}
	}
	return false
}
