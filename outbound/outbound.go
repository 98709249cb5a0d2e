// Package outbound is the one HTTP client for what the server fetches on
// a tenant's behalf: an account's OpenID Connect provider today, webhooks
// and imports later. A tenant chooses those URLs, so the client must never
// become a way into the network the server stands in:
//
//   - the address is checked when the connection is made, in the dialer's
//     Control hook, after the name was resolved: a name that resolved to
//     an outside address when it was set and to an inside one now (DNS
//     rebinding) is refused too;
//   - loopback, private (RFC 1918, fc00::/7), link-local, CGNAT, unspecified,
//     multicast, reserved and documentation ranges and the clouds' metadata
//     addresses are refused, unless the operator allows a range
//     (--allow-outgoing); a metadata address stays refused inside a wider
//     allowed range and must be allowed by itself;
//   - redirects are never followed, proxies from the environment never used;
//   - a connection gets ConnectTimeout, a whole request Timeout, and an
//     answer's body at most MaxBody bytes.
//
// What an outside server answers is never for a tenant's eyes: the errors
// of this package name what failed (an *Error with its Kind) and never
// carry a body, and callers show fixed messages of their own.
package outbound

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"io"
	"net"
	"net/http"
	"net/netip"
	"net/url"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults of Options.
const (
	DefaultTimeout        = 15 * time.Second
	DefaultConnectTimeout = 5 * time.Second
	DefaultMaxBody        = 1 << 20
)

// Options are the operator's settings of a Client.
type Options struct {
	// Allow are the ranges the operator allows although they are refused
	// by default (a provider on the operator's own network, or a test's
	// provider on 127.0.0.1).
	Allow []netip.Prefix
	// Timeout bounds a whole request, the answer's body included;
	// ConnectTimeout bounds making the connection and its TLS handshake.
	Timeout, ConnectTimeout time.Duration
	// MaxBody bounds an answer's body, in bytes.
	MaxBody int64
	// Resolve finds the addresses of a host name; nil uses the system's
	// resolver. Tests set it to make a name change its address between
	// two lookups, as DNS rebinding does.
	Resolve func(ctx context.Context, host string) ([]netip.Addr, error)
}

// Client makes requests to addresses a tenant chose. It is safe for use
// by many goroutines.
type Client struct {
	allow   []netip.Prefix
	resolve func(ctx context.Context, host string) ([]netip.Addr, error)
	dialer  net.Dialer
	http    *http.Client
}

// New makes a client; zero fields of o take the defaults.
func New(o Options) *Client {
	if o.Timeout <= 0 {
		o.Timeout = DefaultTimeout
	}
	if o.ConnectTimeout <= 0 {
		o.ConnectTimeout = DefaultConnectTimeout
	}
	if o.MaxBody <= 0 {
		o.MaxBody = DefaultMaxBody
	}
	if o.Resolve == nil {
		o.Resolve = func(ctx context.Context, host string) ([]netip.Addr, error) {
			return net.DefaultResolver.LookupNetIP(ctx, "ip", host)
		}
	}
	c := &Client{allow: o.Allow, resolve: o.Resolve}
	c.dialer = net.Dialer{Timeout: o.ConnectTimeout, Control: c.control}
	t := &http.Transport{
		Proxy:                  nil, // a proxy would make the call we refuse to make
		DialContext:            c.dial,
		TLSHandshakeTimeout:    o.ConnectTimeout,
		ResponseHeaderTimeout:  o.Timeout,
		MaxResponseHeaderBytes: 64 << 10,
		MaxIdleConns:           16,
		IdleConnTimeout:        90 * time.Second,
		ForceAttemptHTTP2:      true,
	}
	c.http = &http.Client{
		Transport: capped{t, o.MaxBody},
		Timeout:   o.Timeout,
		CheckRedirect: func(*http.Request, []*http.Request) error {
			return http.ErrUseLastResponse
		},
	}
	return c
}

// HTTP is the client, for libraries that take an *http.Client (go-oidc and
// oauth2 through their context value). A redirect is answered as it came,
// never followed.
func (c *Client) HTTP() *http.Client { return c.http }

// Kind is what went wrong with an outgoing request.
type Kind string

const (
	Refused     Kind = "refused"     // the address is not one this server may call
	Unreachable Kind = "unreachable" // no such host, or no connection
	Timeout     Kind = "timeout"     // no answer in time
	Redirect    Kind = "redirect"    // answered a redirect, which is not followed
	Status      Kind = "status"      // answered another status than 200
	TooLarge    Kind = "too large"   // answered a body over the limit
	BadURL      Kind = "bad url"     // not an http(s) URL with a host
)

// Error is the error of an outgoing request. It never holds what the
// outside server answered beyond its status code.
type Error struct {
	Kind   Kind
	Addr   netip.Addr // the refused address, for Refused
	Status int        // for Status and Redirect
	Err    error      // the cause, for the operator's log
}

func (e *Error) Error() string {
	var s string
	switch e.Kind {
	case Refused:
		s = "outbound: address " + e.Addr.String() + " is not allowed (loopback, private, link-local, metadata or reserved; see --allow-outgoing)"
	case Status, Redirect:
		s = "outbound: answered HTTP " + strconv.Itoa(e.Status)
	default:
		s = "outbound: " + string(e.Kind)
	}
	if e.Err != nil {
		s += ": " + e.Err.Error()
	}
	return s
}

func (e *Error) Unwrap() error { return e.Err }

// KindOf is the Kind of err's *Error, or Unreachable for any other
// failure to get an answer, or "" for nil.
func KindOf(err error) Kind {
	if err == nil {
		return ""
	}
	var e *Error
	if errors.As(err, &e) {
		return e.Kind
	}
	var ne net.Error
	if errors.As(err, &ne) && ne.Timeout() || errors.Is(err, context.DeadlineExceeded) {
		return Timeout
	}
	return Unreachable
}

// Get fetches url and answers its body: only a 200 answer, within the
// limits of the client.
func (c *Client) Get(ctx context.Context, rawURL string) ([]byte, error) {
	if _, err := parseURL(rawURL); err != nil {
		return nil, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodGet, rawURL, nil)
	if err != nil {
		return nil, &Error{Kind: BadURL, Err: err}
	}
	req.Header.Set("Accept", "application/json")
	res, err := c.http.Do(req)
	if err != nil {
		return nil, classify(err)
	}
	defer res.Body.Close()
	switch {
	case res.StatusCode >= 300 && res.StatusCode < 400:
		return nil, &Error{Kind: Redirect, Status: res.StatusCode}
	case res.StatusCode != http.StatusOK:
		return nil, &Error{Kind: Status, Status: res.StatusCode}
	}
	b, err := io.ReadAll(res.Body)
	if err != nil {
		return nil, classify(err)
	}
	return b, nil
}

// Post sends body to rawURL with the headers and answers the status of
// the answer, whatever it is (a redirect is not followed: its status is
// answered); the answer's body is read, up to the client's limit, and
// dropped, so that the connection is kept for the next request. An error
// means no answer came (refused address, no connection, timeout).
func (c *Client) Post(ctx context.Context, rawURL string, header map[string]string, body []byte) (int, error) {
	if _, err := parseURL(rawURL); err != nil {
		return 0, err
	}
	req, err := http.NewRequestWithContext(ctx, http.MethodPost, rawURL, bytes.NewReader(body))
	if err != nil {
		return 0, &Error{Kind: BadURL, Err: err}
	}
	for k, v := range header {
		req.Header.Set(k, v)
	}
	res, err := c.http.Do(req)
	if err != nil {
		return 0, classify(err)
	}
	defer res.Body.Close()
	_, _ = io.Copy(io.Discard, res.Body)
	return res.StatusCode, nil
}

// classify makes any failure of a request an *Error.
func classify(err error) error {
	var e *Error
	if errors.As(err, &e) {
		return err
	}
	return &Error{Kind: KindOf(err), Err: err}
}

// Check tells whether the server may call rawURL: an http or https URL
// with a host whose every address is allowed. It is the check made when a
// tenant sets a URL, for a clear answer then; the connection is checked
// again when it is made.
func (c *Client) Check(ctx context.Context, rawURL string) error {
	u, err := parseURL(rawURL)
	if err != nil {
		return err
	}
	host := u.Hostname()
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return err
	}
	for _, a := range addrs {
		if !c.Allowed(a) {
			return &Error{Kind: Refused, Addr: a}
		}
	}
	return nil
}

func parseURL(rawURL string) (*url.URL, error) {
	u, err := url.Parse(rawURL)
	if err != nil || u.Scheme != "http" && u.Scheme != "https" || u.Hostname() == "" || u.User != nil {
		return nil, &Error{Kind: BadURL, Err: err}
	}
	return u, nil
}

// lookup answers the addresses of host: itself when it is an address.
func (c *Client) lookup(ctx context.Context, host string) ([]netip.Addr, error) {
	if a, err := netip.ParseAddr(host); err == nil {
		return []netip.Addr{a}, nil
	}
	addrs, err := c.resolve(ctx, host)
	if err != nil {
		return nil, &Error{Kind: Unreachable, Err: err}
	}
	if len(addrs) == 0 {
		return nil, &Error{Kind: Unreachable, Err: fmt.Errorf("no address for %s", host)}
	}
	return addrs, nil
}

// dial connects to address ("host:port") through one of its addresses,
// in the resolver's order. The Control hook, not this function, judges
// each address: it sees the address the socket is about to connect to.
func (c *Client) dial(ctx context.Context, network, address string) (net.Conn, error) {
	host, port, err := net.SplitHostPort(address)
	if err != nil {
		return nil, err
	}
	addrs, err := c.lookup(ctx, host)
	if err != nil {
		return nil, err
	}
	var first error
	for _, a := range addrs {
		conn, err := c.dialer.DialContext(ctx, network, net.JoinHostPort(a.String(), port))
		if err == nil {
			return conn, nil
		}
		// A refusal is the answer that matters: report it over a later
		// address's failure to connect.
		if first == nil || KindOf(err) == Refused && KindOf(first) != Refused {
			first = err
		}
		if ctx.Err() != nil {
			break
		}
	}
	return nil, first
}

// control runs after the socket is made and before it connects: the last
// moment to refuse an address, whatever name led to it.
func (c *Client) control(network, address string, _ syscall.RawConn) error {
	if network != "tcp4" && network != "tcp6" && network != "tcp" {
		return &Error{Kind: Refused, Err: fmt.Errorf("network %s", network)}
	}
	ap, err := netip.ParseAddrPort(address)
	if err != nil {
		return &Error{Kind: Refused, Err: err}
	}
	if !c.Allowed(ap.Addr()) {
		return &Error{Kind: Refused, Addr: ap.Addr().Unmap().WithZone("")}
	}
	return nil
}

// Allowed tells whether the server may connect to a: an address of the
// public internet, or one inside a range the operator allowed (a
// metadata address only when allowed by itself).
func (c *Client) Allowed(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	for _, p := range c.allow {
		if p.Contains(a) && (p.Bits() == a.BitLen() || !metadata[a]) {
			return true
		}
	}
	return Public(a)
}

// Public tells whether a is an address of the public internet: none of
// the refused ranges, and not a metadata address.
func Public(a netip.Addr) bool {
	a = a.Unmap().WithZone("")
	if !a.IsValid() || a.IsUnspecified() || a.IsLoopback() || a.IsPrivate() ||
		a.IsLinkLocalUnicast() || a.IsMulticast() || metadata[a] {
		return false
	}
	for _, p := range refused {
		if p.Contains(a) {
			return false
		}
	}
	// IPv6 addresses made from an IPv4 address reach it: judged by it.
	for _, p := range embedding {
		if p.Contains(a) {
			b := a.As16()
			return Public(netip.AddrFrom4([4]byte(b[p.Bits()/8 : p.Bits()/8+4])))
		}
	}
	return true
}

// refused are the ranges beyond those the netip predicates name.
var refused = prefixes(
	"0.0.0.0/8",       // "this network"
	"100.64.0.0/10",   // carrier-grade NAT (RFC 6598)
	"192.0.0.0/24",    // IETF protocol assignments
	"192.0.2.0/24",    // documentation
	"198.18.0.0/15",   // benchmarking
	"198.51.100.0/24", // documentation
	"203.0.113.0/24",  // documentation
	"240.0.0.0/4",     // reserved, and the broadcast address
	"::/96",           // IPv4-compatible (deprecated), :: and ::1 among them
	"100::/64",        // discard-only
	"64:ff9b:1::/48",  // local-use NAT64
	"2001::/32",       // Teredo: tunnels to anywhere
	"2001:db8::/32",   // documentation
	"fec0::/10",       // site-local (deprecated)
)

// embedding are the IPv6 ranges whose addresses carry an IPv4 address
// right after the prefix: NAT64 (RFC 6052) and 6to4.
var embedding = prefixes("64:ff9b::/96", "2002::/16")

// metadata are the clouds' instance metadata services: refused even where
// an allowed range holds them, unless allowed by themselves.
var metadata = map[netip.Addr]bool{
	netip.MustParseAddr("169.254.169.254"): true, // AWS, GCP, Azure, OpenStack, Oracle, DigitalOcean
	netip.MustParseAddr("169.254.170.2"):   true, // AWS ECS task metadata
	netip.MustParseAddr("fd00:ec2::254"):   true, // AWS over IPv6
	netip.MustParseAddr("100.100.100.200"): true, // Alibaba Cloud
	netip.MustParseAddr("168.63.129.16"):   true, // Azure's wire server (a public address)
}

func prefixes(ss ...string) []netip.Prefix {
	ps := make([]netip.Prefix, len(ss))
	for i, s := range ss {
		ps[i] = netip.MustParsePrefix(s)
	}
	return ps
}

// ParseAllow reads the operator's list of allowed ranges: CIDR prefixes
// or single addresses, separated by commas.
func ParseAllow(s string) ([]netip.Prefix, error) {
	var ps []netip.Prefix
	for _, f := range strings.Split(s, ",") {
		f = strings.TrimSpace(f)
		if f == "" {
			continue
		}
		if a, err := netip.ParseAddr(f); err == nil {
			ps = append(ps, netip.PrefixFrom(a.Unmap(), a.Unmap().BitLen()))
			continue
		}
		p, err := netip.ParsePrefix(f)
		if err != nil {
			return nil, fmt.Errorf("%q is not an address range such as 10.0.0.0/8 or fd00::/8", f)
		}
		ps = append(ps, p.Masked())
	}
	return ps, nil
}

// capped gives every answer's body a limit.
type capped struct {
	rt  http.RoundTripper
	max int64
}

func (t capped) RoundTrip(req *http.Request) (*http.Response, error) {
	res, err := t.rt.RoundTrip(req)
	if err != nil {
		return nil, err
	}
	if res.ContentLength > t.max {
		res.Body.Close()
		return nil, &Error{Kind: TooLarge}
	}
	res.Body = &cappedBody{rc: res.Body, left: t.max}
	return res, nil
}

// CloseIdleConnections lets http.Client.CloseIdleConnections reach the
// transport.
func (t capped) CloseIdleConnections() {
	if c, ok := t.rt.(interface{ CloseIdleConnections() }); ok {
		c.CloseIdleConnections()
	}
}

// cappedBody reads at most left bytes and fails past them, rather than
// cut the body short without saying so.
type cappedBody struct {
	rc   io.ReadCloser
	left int64
}

func (b *cappedBody) Read(p []byte) (int, error) {
	if b.left < 0 {
		return 0, &Error{Kind: TooLarge}
	}
	if int64(len(p)) > b.left+1 {
		p = p[:b.left+1]
	}
	n, err := b.rc.Read(p)
	b.left -= int64(n)
	if b.left < 0 {
		return n - 1, &Error{Kind: TooLarge}
	}
	return n, err
}

func (b *cappedBody) Close() error { return b.rc.Close() }
