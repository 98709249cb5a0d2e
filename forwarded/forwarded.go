// Package forwarded reads what a request says of its client: whether it
// came over HTTPS and from which address. It is the one place that
// decides whether to believe the X-Forwarded-Proto and X-Forwarded-For
// headers of a proxy in front: the API, the pages, the throttle of
// sign-ins, the audit log and the sessions all get the client's address
// and scheme from here; and it tells whether a browser sent a request
// from a page of another site (site.go).
//
// The headers are believed only from a request whose immediate peer (the
// TCP connection's address) is one of the operator's trusted proxies
// (Proxies). X-Forwarded-For is then read from the right, the end each
// proxy appends to: trusted proxies are skipped, and the first address
// that is not one is the client. Whatever a client writes into the
// header itself lies to the left of that and is never used, so that it
// can neither choose its address nor dodge a limit by changing it.
package forwarded

import (
	"fmt"
	"net"
	"net/http"
	"net/netip"
	"strings"
)

// Loopback is the default list of trusted proxies: a proxy on the same
// machine.
const Loopback = "127.0.0.0/8,::1/128"

// Proxies are the peers whose X-Forwarded-* headers are believed. The
// zero value believes no one.
type Proxies struct {
	nets []netip.Prefix
}

// ParseProxies reads a comma-separated list of networks (CIDR) and single
// addresses, as "127.0.0.0/8,::1/128,10.0.0.7". Spaces around the items
// are ignored; an empty list trusts no one.
func ParseProxies(list string) (Proxies, error) {
	var p Proxies
	for item := range strings.SplitSeq(list, ",") {
		item = strings.TrimSpace(item)
		if item == "" {
			continue
		}
		var n netip.Prefix
		if strings.Contains(item, "/") {
			var err error
			if n, err = netip.ParsePrefix(item); err != nil {
				return Proxies{}, fmt.Errorf("trusted proxies: %q is not a network (CIDR, as 10.0.0.0/8)", item)
			}
		} else {
			a, err := netip.ParseAddr(item)
			if err != nil || a.Zone() != "" {
				return Proxies{}, fmt.Errorf("trusted proxies: %q is not an address or a network (CIDR, as 10.0.0.0/8)", item)
			}
			n = netip.PrefixFrom(a, a.BitLen())
		}
		// An IPv4 network written as IPv6 (::ffff:10.0.0.0/104) is
		// kept as IPv4: addresses are compared unmapped.
		if a := n.Addr(); a.Is4In6() && n.Bits() >= 96 {
			n = netip.PrefixFrom(a.Unmap(), n.Bits()-96)
		}
		p.nets = append(p.nets, n.Masked())
	}
	return p, nil
}

// String is the list as ParseProxies reads it.
func (p Proxies) String() string {
	s := make([]string, len(p.nets))
	for i, n := range p.nets {
		s[i] = n.String()
	}
	return strings.Join(s, ",")
}

// Trusts tells whether a is the address of a trusted proxy.
func (p Proxies) Trusts(a netip.Addr) bool {
	a = a.Unmap()
	for _, n := range p.nets {
		if n.Contains(a) {
			return true
		}
	}
	return false
}

// Secure tells whether the request came over HTTPS: its own connection
// did, or a trusted peer says so in X-Forwarded-Proto. Of several values
// (several header lines, or a list), the last is the one the nearest
// proxy wrote.
func (p Proxies) Secure(r *http.Request) bool {
	if r.TLS != nil {
		return true
	}
	peer, ok := peerOf(r)
	if !ok || !p.Trusts(peer) {
		return false
	}
	vs := r.Header.Values("X-Forwarded-Proto")
	if len(vs) == 0 {
		return false
	}
	last := vs[len(vs)-1]
	if i := strings.LastIndexByte(last, ','); i >= 0 {
		last = last[i+1:]
	}
	return strings.EqualFold(strings.TrimSpace(last), "https")
}

// Scheme is "https" or "http", as Secure says.
func (p Proxies) Scheme(r *http.Request) string {
	if p.Secure(r) {
		return "https"
	}
	return "http"
}

// Source is the client's address, for limits, sessions and the audit log,
// in its canonical form (an IPv4 address never as IPv6, no port, no
// zone), so that one client is one address however it is spelled. From
// an untrusted peer it is the peer; from a trusted one it is the
// right-most address of X-Forwarded-For that is not a trusted proxy (see
// Client).
func (p Proxies) Source(r *http.Request) string {
	peer, ok := peerOf(r)
	if !ok {
		// Not a TCP address (a test, a Unix socket): said as it is.
		return r.RemoteAddr
	}
	if !p.Trusts(peer) {
		return peer.String()
	}
	return p.Client(peer, r.Header.Values("X-Forwarded-For")).String()
}

// Client walks the X-Forwarded-For header lines xff of a request from the
// trusted proxy peer, from the right (the last line's last entry first),
// and answers the first address that is not a trusted proxy. Entries may
// carry spaces, a port (192.0.2.1:4711, [2001:db8::1]:4711) or brackets;
// empty entries are skipped. An entry that is no address (garbage,
// "unknown") ends the walk: nothing to its left can be told apart from
// what a client wrote, so the client is then the last trusted hop, the
// one that wrote it. When every entry is a trusted proxy, the client is
// the left-most one; without entries it is the peer.
func (p Proxies) Client(peer netip.Addr, xff []string) netip.Addr {
	client := peer.Unmap().WithZone("")
	for i := len(xff) - 1; i >= 0; i-- {
		line := xff[i]
		for line != "" {
			entry := line
			if j := strings.LastIndexByte(line, ','); j >= 0 {
				entry, line = line[j+1:], line[:j]
			} else {
				line = ""
			}
			entry = strings.TrimSpace(entry)
			if entry == "" {
				continue
			}
			a, ok := parseHop(entry)
			if !ok {
				return client
			}
			client = a
			if !p.Trusts(a) {
				return client
			}
		}
	}
	return client
}

// parseHop reads one entry of X-Forwarded-For: an address, with or
// without a port, IPv6 with or without brackets.
func parseHop(s string) (netip.Addr, bool) {
	a, err := netip.ParseAddr(s)
	if err != nil {
		ap, perr := netip.ParseAddrPort(s)
		switch {
		case perr == nil:
			a = ap.Addr()
		case len(s) > 2 && s[0] == '[' && s[len(s)-1] == ']':
			if a, err = netip.ParseAddr(s[1 : len(s)-1]); err != nil || !a.Is6() {
				return netip.Addr{}, false
			}
		default:
			return netip.Addr{}, false
		}
	}
	return a.Unmap().WithZone(""), true
}

// peerOf is the address of the request's immediate peer.
func peerOf(r *http.Request) (netip.Addr, bool) {
	if ap, err := netip.ParseAddrPort(r.RemoteAddr); err == nil {
		return ap.Addr().Unmap().WithZone(""), true
	}
	host, _, err := net.SplitHostPort(r.RemoteAddr)
	if err != nil {
		host = r.RemoteAddr
	}
	a, err := netip.ParseAddr(host)
	if err != nil {
		return netip.Addr{}, false
	}
	return a.Unmap().WithZone(""), true
}
