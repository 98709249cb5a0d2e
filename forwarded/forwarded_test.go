package forwarded

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestForwarded(t *testing.T) {
	tests := []struct {
		name       string
		tls        bool
		proto, xff string
		trust      bool
		secure     bool
		source     string
	}{
		{"plain", false, "", "", false, false, "192.0.2.1"},
		{"TLS", true, "", "", false, true, "192.0.2.1"},
		{"untrusted proxy headers", false, "https", "203.0.113.5", false, false, "192.0.2.1"},
		{"trusted proxy", false, "HTTPS", "203.0.113.5, 10.0.0.1", true, true, "203.0.113.5"},
		{"trusted proxy, plain", false, "http", "", true, false, "192.0.2.1"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("GET", "/", nil)
			r.RemoteAddr = "192.0.2.1:4242"
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.proto != "" {
				r.Header.Set("X-Forwarded-Proto", tt.proto)
			}
			if tt.xff != "" {
				r.Header.Set("X-Forwarded-For", tt.xff)
			}
			if got := Secure(r, tt.trust); got != tt.secure {
				t.Errorf("Secure = %v, want %v", got, tt.secure)
			}
			if want := map[bool]string{true: "https", false: "http"}[tt.secure]; Scheme(r, tt.trust) != want {
				t.Errorf("Scheme = %q, want %q", Scheme(r, tt.trust), want)
			}
			if got := Source(r, tt.trust); got != tt.source {
				t.Errorf("Source = %q, want %q", got, tt.source)
			}
		})
	}
}
