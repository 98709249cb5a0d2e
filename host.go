package damask

import (
	"net"
	"strings"
)

// HostName is a request's host in the one spelling that names an
// account: lower case, without a port or the dot that ends a fully
// qualified name, an IPv6 address without its brackets. Host names are
// case-insensitive and "acme.example.com." is the same host as
// "acme.example.com", so "Acme.Example.Com.:8080" must choose the same
// account, and compare as the same origin, as "acme.example.com". Only
// one final dot goes: "acme.example.com.." stays a name of its own.
func HostName(host string) string {
	if h, _, err := net.SplitHostPort(host); err == nil {
		host = h
	} else if strings.HasPrefix(host, "[") && strings.HasSuffix(host, "]") {
		host = host[1 : len(host)-1]
	}
	return strings.TrimSuffix(strings.ToLower(host), ".")
}
