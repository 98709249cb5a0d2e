package s3test

import (
	"fmt"
	"io"
	"net"
	"net/http"
	"net/http/httputil"
	"net/url"
	"sync"
	"testing"
	"time"
)

// Proxy stands between a client and a Server and fails requests on
// demand, as a flaky S3 service or network would: it answers 503 to the
// next requests, resets connections in the middle of a request's body, or
// stops altogether (its listener and every connection closed) until
// Resume. Requests it lets through go to the server unchanged, Host
// header included, so that their signatures hold.
type Proxy struct {
	// Addr is the proxy's host:port on the loopback interface.
	Addr string

	target *Server
	t      testing.TB
	rp     *httputil.ReverseProxy

	mu      sync.Mutex
	srv     *http.Server // nil while stopped
	conns   map[net.Conn]struct{}
	fail503 int // requests still to answer 503
	resets  int // request bodies still to cut off
	resetAt int64
	// Requests counts the requests received, failed ones included.
	requests int
}

// StartProxy starts a proxy in front of s, stopped when the test ends.
func StartProxy(t testing.TB, s *Server) *Proxy {
	t.Helper()
	p := &Proxy{target: s, t: t, conns: map[net.Conn]struct{}{}}
	p.rp = &httputil.ReverseProxy{
		Rewrite: func(r *httputil.ProxyRequest) {
			r.SetURL(&url.URL{Scheme: "http", Host: p.target.Addr})
			r.Out.Host = r.In.Host // signed
		},
		// The client's connection broke, or the server is down: no
		// answer, and no log line for what a test does on purpose.
		ErrorHandler: func(w http.ResponseWriter, r *http.Request, err error) {
			w.WriteHeader(http.StatusBadGateway)
		},
	}
	l, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatalf("proxy: %v", err)
	}
	p.Addr = l.Addr().String()
	p.serve(l)
	t.Cleanup(p.Stop)
	return p
}

// URL is the store URL of a bucket of the server, through the proxy.
func (p *Proxy) URL(bucket string) string {
	u, _ := url.Parse(p.target.URL(bucket))
	u.Host = p.Addr
	return u.String()
}

// Fail503 makes the proxy answer the next n requests with 503 SlowDown,
// without passing them on.
func (p *Proxy) Fail503(n int) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.fail503 = n
}

// ResetMidBody makes the proxy cut off the next n requests that carry a
// body longer than after bytes: it reads after bytes of the body, then
// resets the connection (a TCP RST), passing nothing on.
func (p *Proxy) ResetMidBody(n int, after int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.resets, p.resetAt = n, after
}

// Requests is the number of requests the proxy has received.
func (p *Proxy) Requests() int {
	p.mu.Lock()
	defer p.mu.Unlock()
	return p.requests
}

// Stop closes the listener and every connection, as a network partition
// or a dead load balancer would: requests in flight break, new ones are
// refused. Stopping a stopped proxy does nothing.
func (p *Proxy) Stop() {
	p.mu.Lock()
	srv := p.srv
	p.srv = nil
	conns := p.conns
	p.conns = map[net.Conn]struct{}{}
	p.mu.Unlock()
	if srv == nil {
		return
	}
	srv.Close()
	for c := range conns { // hijacked ones, which the server no longer tracks
		c.Close()
	}
}

// Resume listens again on the same address.
func (p *Proxy) Resume() {
	p.t.Helper()
	p.mu.Lock()
	running := p.srv != nil
	p.mu.Unlock()
	if running {
		return
	}
	var l net.Listener
	var err error
	// The port was ours a moment ago; the kernel may take a little while
	// to release it. Generous, not a timing assertion.
	for deadline := time.Now().Add(30 * time.Second); ; {
		l, err = net.Listen("tcp", p.Addr)
		if err == nil || time.Now().After(deadline) {
			break
		}
		time.Sleep(50 * time.Millisecond)
	}
	if err != nil {
		p.t.Fatalf("proxy: listen again on %s: %v", p.Addr, err)
	}
	p.serve(l)
}

func (p *Proxy) serve(l net.Listener) {
	srv := &http.Server{
		Handler: http.HandlerFunc(p.handle),
		ConnState: func(c net.Conn, st http.ConnState) {
			p.mu.Lock()
			defer p.mu.Unlock()
			switch st {
			case http.StateNew, http.StateHijacked:
				p.conns[c] = struct{}{}
			case http.StateClosed:
				delete(p.conns, c)
			}
		},
	}
	p.mu.Lock()
	p.srv = srv
	p.mu.Unlock()
	go srv.Serve(l)
}

func (p *Proxy) handle(w http.ResponseWriter, r *http.Request) {
	p.mu.Lock()
	p.requests++
	fail := p.fail503 > 0
	if fail {
		p.fail503--
	}
	reset := !fail && p.resets > 0 && r.ContentLength > p.resetAt
	if reset {
		p.resets--
	}
	at := p.resetAt
	p.mu.Unlock()
	switch {
	case fail:
		io.Copy(io.Discard, r.Body)
		w.Header().Set("Content-Type", "application/xml")
		w.Header().Set("Retry-After", "0")
		w.WriteHeader(http.StatusServiceUnavailable)
		fmt.Fprint(w, `<?xml version="1.0" encoding="UTF-8"?>`+
			`<Error><Code>SlowDown</Code><Message>Please reduce your request rate.</Message></Error>`)
	case reset:
		io.CopyN(io.Discard, r.Body, at)
		c, _, err := http.NewResponseController(w).Hijack()
		if err != nil {
			panic(http.ErrAbortHandler)
		}
		if tc, ok := c.(*net.TCPConn); ok {
			tc.SetLinger(0) // close with RST, not FIN
		}
		c.Close()
	default:
		p.rp.ServeHTTP(w, r)
	}
}
