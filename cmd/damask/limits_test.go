package main

import (
	"errors"
	"io"
	"net"
	"net/http"
	"strings"
	"testing"
	"time"

	"damask/library"
	"damask/servertest"
)

func TestReserveFlag(t *testing.T) {
	for _, c := range []struct {
		in   string
		want library.Reserve
		bad  bool
	}{
		{"0", library.Reserve{}, false},
		{"1073741824", library.Reserve{Bytes: 1 << 30}, false},
		{"1GiB", library.Reserve{Bytes: 1 << 30}, false},
		{"512 MiB", library.Reserve{Bytes: 512 << 20}, false},
		{"64KiB", library.Reserve{Bytes: 64 << 10}, false},
		{"2TiB", library.Reserve{Bytes: 2 << 40}, false},
		{"100B", library.Reserve{Bytes: 100}, false},
		{"5%", library.Reserve{Percent: 5}, false},
		{"0.5 %", library.Reserve{Percent: 0.5}, false},
		{"", library.Reserve{}, true},
		{"-1", library.Reserve{}, true},
		{"1GB", library.Reserve{}, true},
		{"100%", library.Reserve{}, true},
		{"-5%", library.Reserve{}, true},
		{"NaN%", library.Reserve{}, true},
		{"9999999TiB", library.Reserve{}, true},
	} {
		var f reserveFlag
		err := f.Set(c.in)
		if (err != nil) != c.bad || (err == nil && library.Reserve(f) != c.want) {
			t.Errorf("Set(%q): %+v, %v; want %+v (error: %v)", c.in, f, err, c.want, c.bad)
		}
	}
}

// TestServeLimits runs the real server: a client that trickles its
// headers (slowloris) is cut off by --header-timeout, and every answer, of
// the web pages as of the API, carries the security headers.
func TestServeLimits(t *testing.T) {
	bin := servertest.Build(t)
	s := servertest.Serve(t, bin, t.TempDir(), "--header-timeout", "1s")

	t.Run("slowloris", func(t *testing.T) {
		conn, err := net.Dial("tcp", s.Addr)
		if err != nil {
			t.Fatal(err)
		}
		defer conn.Close()
		stop := make(chan struct{})
		defer close(stop)
		go func() {
			io.WriteString(conn, "GET / HTTP/1.1\r\nHost: localhost\r\n")
			for i := 0; ; i++ {
				select {
				case <-stop:
					return
				case <-time.After(100 * time.Millisecond):
				}
				if _, err := io.WriteString(conn, "X-Slow: "+strings.Repeat("a", i%10)+"\r\n"); err != nil {
					return
				}
			}
		}()
		conn.SetReadDeadline(time.Now().Add(time.Minute))
		_, err = io.Copy(io.Discard, conn)
		if ne := net.Error(nil); errors.As(err, &ne) && ne.Timeout() {
			t.Fatal("a client trickling its headers was still connected after a minute")
		}
	})

	t.Run("security headers", func(t *testing.T) {
		for _, path := range []string{"/", "/signin", "/static/damask.css", "/no/such/page", "/api/account.xml", "/p/nosuchlink"} {
			res, err := http.Get(s.URL(path))
			if err != nil {
				t.Fatal(err)
			}
			res.Body.Close()
			h := res.Header
			if !strings.Contains(h.Get("Content-Security-Policy"), "frame-ancestors 'none'") ||
				h.Get("X-Content-Type-Options") != "nosniff" || h.Get("Referrer-Policy") != "no-referrer" {
				t.Errorf("GET %s: %d without the security headers: %v", path, res.StatusCode, h)
			}
		}
	})
}

// TestServeLimitsOneServerPerSQLite: the request rate of a SQLite library
// is counted in its server's memory, so a second `damask serve` on the
// same file is refused, saying why; an operator's command still runs
// beside the server, and the file is free again once the server is gone,
// killed included.
func TestServeLimitsOneServerPerSQLite(t *testing.T) {
	bin := servertest.Build(t)
	data := t.TempDir()
	s := servertest.Serve(t, bin, data)
	out, err := servertest.Command(t, bin, nil, "serve", "--data", data, "--addr", "127.0.0.1:0")
	if err == nil || !strings.Contains(out, "another damask serve is serving") || !strings.Contains(out, "PostgreSQL") {
		t.Fatalf("second serve on one SQLite file: %v\n%s", err, out)
	}
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("command beside the server: %v\n%s", err, out)
	}
	s.Kill()
	servertest.Serve(t, bin, data).Stop()
}
