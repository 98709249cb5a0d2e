package main

import (
	"errors"
	"strings"
	"testing"
	"time"

	"damask/library"
)

// parseServe reads the flags of `damask serve` into its options without
// opening or starting anything: the defaults, flags, their environment
// variables (a flag given wins), and the proxies believed only with
// --trust-proxy.
func TestParseServe(t *testing.T) {
	noEnv := func(string) string { return "" }
	o, err := parseServe(nil, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:8080" || o.rate != 50 || o.burst != 100 || o.uploadsPerUser != 4 ||
		o.reserve != (library.Reserve{Bytes: 1 << 30}) || o.jobTimeout != 5*time.Minute ||
		o.bodyWindow != time.Minute || o.bodyMin != 16<<10 || o.headerTimeout != 10*time.Second ||
		o.st.data != "./damask-data" || o.trustProxy || o.proxies.String() != "" || len(o.origins) != 0 ||
		o.searchesPerUser != 2 || o.searches < 2 || o.searchTimeout != 5*time.Second ||
		o.publicBase != "" || o.publicSizes != 60 {
		t.Errorf("defaults: %+v", o)
	}

	env := map[string]string{"DAMASK_ADDR": "127.0.0.1:9000", "DAMASK_RATE": "7", "DAMASK_DATA": "/from/env"}
	o, err = parseServe([]string{"--data", "/from/flag", "--trust-proxy", "--trusted-proxies", "10.0.0.0/8",
		"--disk-reserve", "5%", "--job-timeout", "1m", "--no-workers", "--cors-origins", "https://app.example.com",
		"--max-searches-per-user", "3", "--max-searches", "6", "--search-timeout", "2s",
		"--public-base-url", "https://cdn.example.net/", "--public-sizes-per-minute", "0"},
		func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.addr != "127.0.0.1:9000" || o.rate != 7 || o.st.data != "/from/flag" {
		t.Errorf("environment: addr %q, rate %v, data %q", o.addr, o.rate, o.st.data)
	}
	if !o.trustProxy || o.proxies.String() != "10.0.0.0/8" || o.reserve != (library.Reserve{Percent: 5}) ||
		o.jobTimeout != time.Minute || !o.noWorkers || len(o.origins) != 1 ||
		o.searchesPerUser != 3 || o.searches != 6 || o.searchTimeout != 2*time.Second ||
		o.publicBase != "https://cdn.example.net" || o.publicSizes != 0 {
		t.Errorf("flags: %+v", o)
	}

	// --public-base-url is appended to: an absolute http(s) URL without
	// query or fragment; a bound below 0 means nothing.
	for _, args := range [][]string{
		{"--public-base-url", "cdn.example.net"},
		{"--public-base-url", "ftp://cdn.example.net"},
		{"--public-base-url", "https://cdn.example.net/?x=1"},
		{"--public-base-url", "https://cdn.example.net/#top"},
		{"--public-sizes-per-minute", "-1"},
	} {
		if _, err := parseServe(args, noEnv); err == nil {
			t.Errorf("%q: accepted", args)
		}
	}
	if o, err = parseServe([]string{"--public-base-url", "https://{account}.cdn.example.net"}, noEnv); err != nil {
		t.Errorf("--public-base-url with {account}: %v", err)
	} else if o.publicBase != "https://{account}.cdn.example.net" {
		t.Errorf("--public-base-url with {account}: %q", o.publicBase)
	}

	// --trust-proxy alone believes a proxy on this machine.
	o, err = parseServe([]string{"--trust-proxy"}, noEnv)
	if err != nil {
		t.Fatal(err)
	}
	if o.proxies.String() != "127.0.0.0/8,::1/128" {
		t.Errorf("--trust-proxy alone: proxies %q", o.proxies)
	}
}

// --smtp (or DAMASK_SMTP) is read when the flags are: a good URL gives
// the library its Mailer, a bad one is a usage error that shows no
// password.
func TestSMTPFlag(t *testing.T) {
	env := map[string]string{"DAMASK_SMTP": "smtps://damask:s3cr3t-pw@mail.example.org?from=damask@example.org"}
	o, err := parseServe(nil, func(k string) string { return env[k] })
	if err != nil {
		t.Fatal(err)
	}
	if o.st.mailer == nil || o.st.mailer.String() != "smtps://damask:xxxxx@mail.example.org?from=damask@example.org" {
		t.Errorf("DAMASK_SMTP: mailer %v", o.st.mailer)
	}
	if o, err := parseServe(nil, func(string) string { return "" }); err != nil || o.st.mailer != nil {
		t.Errorf("without --smtp: mailer %v, %v", o.st.mailer, err)
	}
	for _, url := range []string{
		"smtp://damask:s3cr3t-pw@mail.example.org",
		"smtp://damask:s3cr3t-pw@mail.example.org:x?from=damask@example.org",
		"smtp://damask:s3cr3t-pw/x@mail.example.org?from=damask@example.org",
	} {
		_, err := parseServe([]string{"--smtp", url}, func(string) string { return "" })
		var ue usageError
		if !errors.As(err, &ue) || !strings.Contains(err.Error(), "--smtp") || strings.Contains(err.Error(), "s3cr3t") {
			t.Errorf("--smtp %s: %v, want a usage error naming --smtp without the password", url, err)
		}
	}
}
