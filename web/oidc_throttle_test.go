package web_test

import (
	"net/http"
	"strconv"
	"testing"
	"time"
)

// TestOIDCThrottle: refused sign-ins with the provider count in the
// throttle of failed sign-ins, per source address: past 20, even a genuine
// answer of the provider gets 429 with Retry-After, until the window ends.
func TestOIDCThrottle(t *testing.T) {
	e := oidcEnv(t, "")
	b := e.browser(t)
	// A genuine sign-in first: it counts nothing.
	if res := b.callback(b.toCallback("ann")); res.status != http.StatusSeeOther {
		t.Fatalf("genuine sign-in: status %d:\n%s", res.status, res.body)
	}
	// Forged answers, with no sign-in started in this browser.
	forger := e.browser(t)
	for i := 1; i <= 20; i++ {
		res := forger.callback(e.srv.URL + "/auth/oidc/callback?state=forged&code=forged")
		want := http.StatusUnauthorized
		if i == 20 {
			want = http.StatusTooManyRequests
		}
		if res.status != want {
			t.Fatalf("forged answer %d: status %d, want %d:\n%s", i, res.status, want, res.body)
		}
	}
	// The address is held back now, the genuine user of it too.
	cb := b.toCallback("ann")
	res := b.callback(cb)
	if res.status != http.StatusTooManyRequests {
		t.Fatalf("genuine answer while throttled: status %d, want 429:\n%s", res.status, res.body)
	}
	wait, err := strconv.Atoi(res.header.Get("Retry-After"))
	if err != nil || wait <= 0 {
		t.Fatalf("Retry-After %q", res.header.Get("Retry-After"))
	}
	// When the window ends, the user gets in again.
	e.clock.Add(16 * time.Minute)
	if res := b.callback(b.toCallback("ann")); res.status != http.StatusSeeOther {
		t.Fatalf("sign-in after the window: status %d:\n%s", res.status, res.body)
	}
	if !b.signedIn("ann") {
		t.Error("not signed in after the window")
	}
}
