package httpapi

import (
	"net/http/httptest"
	"net/url"
	"strings"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// FuzzEventsQuery: whatever after and wait a client sends, the feed reads
// an id of 0 or more and a wait of 0 to 30 s, or answers a client's error
// (400), never a panic.
func FuzzEventsQuery(f *testing.F) {
	for _, s := range [][2]string{{"", ""}, {"12", "30"}, {"-1", "5"}, {"9223372036854775808", "31"}, {"0x10", "1e3"}, {"12", "99999999999999999"}} {
		f.Add(s[0], s[1])
	}
	f.Fuzz(func(t *testing.T, after, wait string) {
		r := httptest.NewRequest("GET", "/api/events?after="+url.QueryEscape(after)+"&wait="+url.QueryEscape(wait), nil)
		a, w, err := eventsQuery(r)
		if err != nil {
			if damask.ErrorCode(err) != damask.EMALFORMED {
				t.Fatalf("after=%q wait=%q: %v, want a malformed request", after, wait, err)
			}
			return
		}
		if a < 0 || w < 0 || w > library.MaxEventsWait {
			t.Fatalf("after=%q wait=%q read as %d and %v", after, wait, a, w)
		}
		if w%time.Second != 0 {
			t.Fatalf("wait %v is not whole seconds", w)
		}
	})
}

// FuzzWebhookInput: whatever url, events and active a client sends, the
// input is read or refused as invalid, never a panic; events are split
// into non-empty filters.
func FuzzWebhookInput(f *testing.F) {
	f.Add("https://x.example/h", "asset., tag.created", "true")
	f.Add("", " , ,", "maybe")
	f.Fuzz(func(t *testing.T, u, events, active string) {
		in, err := webhookInput(body{"url": u, "events": events, "active": active})
		if err != nil {
			if damask.ErrorCode(err) != damask.EINVALID {
				t.Fatalf("%v, want invalid", err)
			}
			return
		}
		for _, e := range *in.Events {
			if e == "" || strings.ContainsAny(e, ", \t\n") {
				t.Fatalf("events %q read as %q", events, *in.Events)
			}
		}
	})
}
