package damask

import "testing"

func TestHostName(t *testing.T) {
	for host, want := range map[string]string{
		"acme.example.com":       "acme.example.com",
		"ACME.example.com":       "acme.example.com",
		"acme.example.com.":      "acme.example.com",
		"Acme.Example.Com.:8080": "acme.example.com",
		"acme.example.com:443":   "acme.example.com",
		"acme.example.com..":     "acme.example.com.",
		"acme.example.com.evil":  "acme.example.com.evil",
		"127.0.0.1:8080":         "127.0.0.1",
		"[::1]:8080":             "::1",
		"[::1]":                  "::1",
		"localhost":              "localhost",
		"":                       "",
	} {
		if got := HostName(host); got != want {
			t.Errorf("HostName(%q) = %q, want %q", host, got, want)
		}
	}
}
