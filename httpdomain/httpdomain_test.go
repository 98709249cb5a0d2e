package httpdomain_test

import (
	"context"
	"errors"
	"fmt"
	"io"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"testing/iotest"
	"time"

	"damask"
	"damask/httpdomain"
)

// TestStatus: every code of the domain has the status that tells a client
// what to do, the same for the API and the pages. The two tables this
// replaced disagreed on EPENDING (202 in the API, 409 in the pages) and
// the pages' lacked ECONFLICT, which they answered 500.
func TestStatus(t *testing.T) {
	for code, want := range map[string]int{
		damask.ENOTFOUND:     http.StatusNotFound,
		damask.EINVALID:      http.StatusUnprocessableEntity,
		damask.EMALFORMED:    http.StatusBadRequest,
		damask.ECANCELED:     http.StatusBadRequest,
		damask.EFORBIDDEN:    http.StatusForbidden,
		damask.EUNAUTHORIZED: http.StatusUnauthorized,
		damask.ETOOLARGE:     http.StatusRequestEntityTooLarge,
		damask.EQUOTA:        http.StatusInsufficientStorage,
		damask.ETHROTTLED:    http.StatusTooManyRequests,
		damask.EPENDING:      http.StatusAccepted,
		damask.ECONFLICT:     http.StatusConflict,
		damask.EINTERNAL:     http.StatusInternalServerError,
		"unheard of":         http.StatusInternalServerError,
	} {
		if got := httpdomain.Status(code); got != want {
			t.Errorf("Status(%q) = %d, want %d", code, got, want)
		}
	}
}

// TestErrorHeaders: a throttled or pending error says when to retry.
func TestErrorHeaders(t *testing.T) {
	for _, c := range []struct {
		code string
		wait time.Duration
		want string
	}{
		{damask.ETHROTTLED, 30 * time.Second, "31"},
		{damask.EPENDING, time.Hour, "2"},
		{damask.ECONFLICT, time.Hour, ""},
		{damask.ENOTFOUND, 0, ""},
	} {
		h := http.Header{}
		httpdomain.ErrorHeaders(h, c.code, c.wait)
		if got := h.Get("Retry-After"); got != c.want {
			t.Errorf("%s: Retry-After %q, want %q", c.code, got, c.want)
		}
	}
}

func TestSecurityHeaders(t *testing.T) {
	for _, secure := range []bool{false, true} {
		h := http.Header{}
		httpdomain.SecurityHeaders(h, "default-src 'none'", secure)
		if h.Get("Content-Security-Policy") != "default-src 'none'" || h.Get("X-Content-Type-Options") != "nosniff" ||
			h.Get("Referrer-Policy") != "no-referrer" || (h.Get("Strict-Transport-Security") != "") != secure {
			t.Errorf("secure %v: %v", secure, h)
		}
	}
}

// TestPathID: an id that cannot exist is answered like a missing one.
func TestPathID(t *testing.T) {
	for in, want := range map[string]int64{"1": 1, "42": 42, "9223372036854775807": 1<<63 - 1,
		"0": 0, "-1": 0, "x": 0, "": 0, "1e3": 0, "9223372036854775808": 0, " 1": 0} {
		r := httptest.NewRequest(http.MethodGet, "/", nil)
		r.SetPathValue("id", in)
		id, err := httpdomain.PathID(r, "id")
		if want == 0 && damask.ErrorCode(err) != damask.ENOTFOUND || want != 0 && (err != nil || id != want) {
			t.Errorf("PathID(%q) = %d, %v", in, id, err)
		}
	}
}

// TestTooLarge: a body read past its limit is ETOOLARGE, saying the
// limit; any other error is left to the caller.
func TestTooLarge(t *testing.T) {
	msg := func(limit int64) string { return fmt.Sprintf("at most %d bytes", limit) }
	_, err := io.ReadAll(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("0123456789")), 4))
	got := httpdomain.TooLarge(fmt.Errorf("read form: %w", err), msg)
	if damask.ErrorCode(got) != damask.ETOOLARGE || damask.ErrorMessage(got) != "at most 4 bytes" {
		t.Errorf("past the limit: %v", got)
	}
	if got := httpdomain.TooLarge(errors.New("unexpected EOF"), msg); got != nil {
		t.Errorf("another error: %v", got)
	}
}

// TestRecover: a panic is an internal error; an aborted answer goes on up.
func TestRecover(t *testing.T) {
	var failed error
	func() {
		defer httpdomain.Recover(func(err error) { failed = err })
		panic("boom")
	}()
	if failed == nil || !strings.Contains(failed.Error(), "boom") || damask.ErrorCode(failed) != damask.EINTERNAL {
		t.Errorf("panic answered as %v", failed)
	}
	defer func() {
		if v := recover(); v != http.ErrAbortHandler { //nolint:errorlint // the very value net/http compares, not an error chain
			t.Errorf("ErrAbortHandler became %v", v)
		}
	}()
	defer httpdomain.Recover(func(err error) { t.Errorf("ErrAbortHandler answered as %v", err) })
	panic(http.ErrAbortHandler)
}

// TestInfo: each layer reads its own request information.
func TestInfo(t *testing.T) {
	type api struct{ id string }
	type pages struct{ id string }
	r := httpdomain.WithInfo(httptest.NewRequest(http.MethodGet, "/", nil), &api{"a"})
	r = httpdomain.WithInfo(r, &pages{"p"})
	if httpdomain.Info[api](r).id != "a" || httpdomain.Info[pages](r).id != "p" {
		t.Error("the layers' information mixed")
	}
}

// A body past its MaxBytesReader limit answers an error that is both
// damask.ErrBodyTooLarge and the *http.MaxBytesError; any other error of
// the body passes as it is.
func TestMarkLimit(t *testing.T) {
	body := httpdomain.MarkLimit(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("0123456789")), 4))
	_, err := io.ReadAll(body)
	var mbe *http.MaxBytesError
	if !errors.Is(err, damask.ErrBodyTooLarge) || !errors.As(err, &mbe) || mbe.Limit != 4 {
		t.Errorf("past the limit: %v, want ErrBodyTooLarge and a MaxBytesError of 4", err)
	}
	within := httpdomain.MarkLimit(http.MaxBytesReader(nil, io.NopCloser(strings.NewReader("0123")), 4))
	if b, err := io.ReadAll(within); err != nil || string(b) != "0123" {
		t.Errorf("within the limit: %q, %v", b, err)
	}
	broken := httpdomain.MarkLimit(io.NopCloser(io.MultiReader(strings.NewReader("01"), iotest.ErrReader(io.ErrUnexpectedEOF))))
	if _, err := io.ReadAll(broken); err != io.ErrUnexpectedEOF { //nolint:errorlint // the very error, unwrapped, is the promise
		t.Errorf("a broken body: %v, want io.ErrUnexpectedEOF as it is", err)
	}
}

func TestParsePublicBase(t *testing.T) {
	for _, tt := range []struct {
		in, want string
		ok       bool
	}{
		{"", "", true},
		{"https://cdn.example.net", "https://cdn.example.net", true},
		{"https://cdn.example.net/", "https://cdn.example.net", true},
		{"http://cdn.example.net:8080/damask/", "http://cdn.example.net:8080/damask", true},
		{"https://{account}.cdn.example.net", "https://{account}.cdn.example.net", true},
		{"cdn.example.net", "", false},
		{"/p", "", false},
		{"ftp://cdn.example.net", "", false},
		{"https://", "", false},
		{"https://cdn.example.net/?a=1", "", false},
		{"https://cdn.example.net/?", "", false},
		{"https://cdn.example.net/#x", "", false},
		{"https://cdn.example.net/#", "", false},
		{"https://user:pw@cdn.example.net", "", false},
		{"javascript:alert(1)", "", false},
	} {
		got, err := httpdomain.ParsePublicBase(tt.in)
		if (err == nil) != tt.ok || got != tt.want {
			t.Errorf("ParsePublicBase(%q) = %q, %v; want %q, ok %v", tt.in, got, err, tt.want, tt.ok)
		}
	}
	a := &damask.Account{Name: "acme"}
	if got := httpdomain.PublicBase("https://{account}.cdn.example.net", "http://acme.example.com", a); got != "https://acme.cdn.example.net" {
		t.Errorf("PublicBase with the placeholder: %q", got)
	}
	if got := httpdomain.PublicBase("", "http://acme.example.com", a); got != "http://acme.example.com" {
		t.Errorf("PublicBase without a base: %q", got)
	}
}

// TestClientGone: a request's failure is its client's leaving when its
// context has ended or the error is a cancellation, whatever the wrapping.
func TestClientGone(t *testing.T) {
	live := httptest.NewRequest("GET", "/", nil)
	ctx, cancel := context.WithCancel(context.Background())
	cancel()
	gone := live.WithContext(ctx)
	for _, tc := range []struct {
		r    *http.Request
		err  error
		want bool
	}{
		{live, errors.New("disk on fire"), false},
		{live, fmt.Errorf("query: %w", context.Canceled), true},
		{live, damask.Errorf(damask.ECANCELED, "Canceled"), true},
		{gone, errors.New("sql: connection is already closed"), true},
		{live, fmt.Errorf("query: %w", context.DeadlineExceeded), false}, // a time limit is a fault
	} {
		if got := httpdomain.ClientGone(tc.r, tc.err); got != tc.want {
			t.Errorf("ClientGone(%v) = %v, want %v", tc.err, got, tc.want)
		}
	}
}
