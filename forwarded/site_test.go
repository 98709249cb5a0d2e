package forwarded

import (
	"crypto/tls"
	"net/http/httptest"
	"testing"
)

func TestCrossSite(t *testing.T) {
	tests := []struct {
		name         string
		host         string
		tls          bool
		origin, site string
		cross        bool
	}{
		{"no headers (curl)", "acme.example.com", false, "", "", false},
		{"same origin", "acme.example.com", false, "http://acme.example.com", "same-origin", false},
		{"same origin, Origin only", "acme.example.com", false, "http://acme.example.com", "", false},
		{"same origin, default port written", "acme.example.com:80", false, "http://acme.example.com", "", false},
		{"same origin over TLS", "acme.example.com", true, "https://acme.example.com", "", false},
		{"host in another case, with a dot and a port", "Acme.Example.Com.:8080", false, "http://acme.example.com:8080", "", false},
		{"Origin in another case, with a dot", "acme.example.com", false, "HTTP://ACME.example.com.", "", false},
		{"user typed the address", "acme.example.com", false, "", "none", false},
		{"null vouched for by Sec-Fetch-Site", "acme.example.com", false, "null", "same-origin", false},
		{"foreign Origin", "acme.example.com", false, "https://evil.example", "", true},
		{"another account's subdomain", "acme.example.com", false, "http://bravo.example.com", "", true},
		{"suffix of the host", "acme.example.com", false, "http://acme.example.com.evil", "", true},
		{"other scheme", "acme.example.com", false, "https://acme.example.com", "", true},
		{"other port", "acme.example.com:8080", false, "http://acme.example.com:8081", "", true},
		{"null", "acme.example.com", false, "null", "", true},
		{"null, cross-site", "acme.example.com", false, "null", "cross-site", true},
		{"Sec-Fetch-Site cross-site", "acme.example.com", false, "", "cross-site", true},
		{"Sec-Fetch-Site same-site", "acme.example.com", false, "", "same-site", true},
		{"same-site with our Origin", "acme.example.com", false, "http://acme.example.com", "same-site", true},
		{"garbled Origin", "acme.example.com", false, "http://acme.example.com/path", "", true},
		{"Origin with credentials", "acme.example.com", false, "http://u:p@acme.example.com", "", true},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			r := httptest.NewRequest("POST", "/api/users.xml", nil)
			r.Host = tt.host
			if tt.tls {
				r.TLS = &tls.ConnectionState{}
			}
			if tt.origin != "" {
				r.Header.Set("Origin", tt.origin)
			}
			if tt.site != "" {
				r.Header.Set("Sec-Fetch-Site", tt.site)
			}
			if got := (Proxies{}).CrossSite(r); got != tt.cross {
				t.Errorf("CrossSite = %v, want %v", got, tt.cross)
			}
		})
	}
}

func TestOrigins(t *testing.T) {
	o, err := ParseOrigins(" https://App.Example. , http://localhost:3000,https://b.example:443/")
	if err != nil {
		t.Fatal(err)
	}
	for origin, want := range map[string]bool{
		"https://app.example":      true,
		"https://app.example:443":  true,
		"http://localhost:3000":    true,
		"https://b.example":        true,
		"http://app.example":       false,
		"https://app.example:8443": false,
		"http://localhost":         false,
		"https://evil.example":     false,
		"null":                     false,
		"":                         false,
	} {
		if got := o.Allow(origin); got != want {
			t.Errorf("Allow(%q) = %v, want %v", origin, got, want)
		}
	}
	if o, err := ParseOrigins(""); err != nil || len(o) != 0 {
		t.Errorf("an empty list: %v, %v", o, err)
	}
	for _, bad := range []string{"app.example", "ftp://app.example", "https://", "https://app.example/path", "https://app.example?x", "null", "*"} {
		if _, err := ParseOrigins(bad); err == nil {
			t.Errorf("ParseOrigins(%q) took it", bad)
		}
	}
}
