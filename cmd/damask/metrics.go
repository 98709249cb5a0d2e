package main

import (
	"fmt"
	"net"
	"net/http"
	"runtime"

	"damask/library"
)

// metrics answers GET /metrics in Prometheus' text format to clients on
// this machine only (a scraper beside the server, or through a tunnel);
// anyone else, and anything relayed by a proxy, gets a 404 like any
// unknown page.
func metrics(svc *library.Service) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		host, _, err := net.SplitHostPort(r.RemoteAddr)
		ip := net.ParseIP(host)
		if err != nil || ip == nil || !ip.IsLoopback() || r.Header.Get("X-Forwarded-For") != "" || r.Header.Get("Forwarded") != "" {
			http.NotFound(w, r)
			return
		}
		if r.Method != http.MethodGet && r.Method != http.MethodHead {
			w.Header().Set("Allow", "GET, HEAD")
			http.Error(w, "method not allowed", http.StatusMethodNotAllowed)
			return
		}
		var m runtime.MemStats
		runtime.ReadMemStats(&m)
		w.Header().Set("Content-Type", "text/plain; version=0.0.4; charset=utf-8")
		w.Header().Set("Cache-Control", "no-store")
		for _, c := range []struct {
			name, kind, help string
			value            float64
		}{
			{"damask_integrity_failures_total", "counter", "Reads refused because the stored bytes did not match their SHA-256.", float64(svc.IntegrityFailures())},
			{"go_goroutines", "gauge", "Goroutines that currently exist.", float64(runtime.NumGoroutine())},
			{"go_memstats_heap_inuse_bytes", "gauge", "Bytes in in-use heap spans.", float64(m.HeapInuse)},
			{"go_memstats_sys_bytes", "gauge", "Bytes obtained from the system by the Go runtime.", float64(m.Sys)},
		} {
			fmt.Fprintf(w, "# HELP %s %s\n# TYPE %s %s\n%s %g\n", c.name, c.help, c.name, c.kind, c.name, c.value)
		}
	})
}
