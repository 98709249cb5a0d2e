package library

import (
	"context"
	"crypto/sha256"
	"encoding/hex"
	"fmt"
	"net/netip"
	"strings"
	"time"
)

// The throttle of failed sign-ins: failures are counted per name (the
// user a login or e-mail address finds, see signInName; a token's prefix;
// an e-mail address told by a provider) and per source address, within a
// window that begins with the first failure; past the limit, further tries
// wait until the window ends, so that a real user is never locked out for
// longer than that. The counters live in the store (damask.ThrottleStore),
// so that every server of a library counts the same failures and a
// restart forgets none.
const (
	failLimit  = 20
	failWindow = 15 * time.Minute
)

// throttleKind is a family of the throttle's counters. The team's
// sign-ins (passwords, tokens, providers) are one; the passwords of
// Stages and of Inboxes, which people outside the team type, are each
// another, so that a visitor's wrong guesses never lock the team out of
// signing in from the same address (an office, a shared connection), nor
// the team's failures lock a visitor out of a Stage.
type throttleKind string

const (
	signIns        throttleKind = ""
	stagePasswords throttleKind = "stage"
	inboxPasswords throttleKind = "inbox"
)

// throttleKeys are the counters a try adds to: the source address's (see
// sourceNet) within the kind, and the name's. Logins are found without
// regard to case, so names are counted without regard to case too: else
// "Admin", "ADMIN" and "admin" would each get their own 20 tries. The
// store sees only a hash, of fixed length whatever a client sends, and no
// login in clear. An empty name counts the address alone (a sign-in with
// a provider that failed before the provider told who it was).
func throttleKeys(account int64, kind throttleKind, name, source string) []string {
	addr := "addr"
	if kind != signIns {
		addr = string(kind) + " addr"
	}
	keys := []string{throttleKey(fmt.Sprintf("%d\x00%s\x00%s", account, addr, sourceNet(source)))}
	if name != "" {
		keys = append(keys, throttleKey(fmt.Sprintf("%d\x00%s", account, strings.ToLower(name))))
	}
	return keys
}

// sourceNet is what the throttle counts of a source address: an IPv4
// address as it is, an IPv6 address by its /64, the least a client on
// IPv6 is given: else it would get 20 tries from each of 2^64 addresses.
// A source that is no address (the operator's commands) is its own.
func sourceNet(source string) string {
	a, err := netip.ParseAddr(source)
	if err != nil || !a.Is6() || a.Is4In6() {
		return source
	}
	return netip.PrefixFrom(a.WithZone(""), 64).Masked().String()
}

func throttleKey(s string) string {
	h := sha256.Sum256([]byte(s))
	return hex.EncodeToString(h[:])
}

// throttleCheck answers ETHROTTLED, with the wait, when the name or the
// source has failed too often lately; nil when the try may go ahead.
// Counters below the limit stay so until a failure is recorded, which
// changes the failures generation count: while it stays the same, the
// answer is remembered and the counters are not read (authcache.go).
func (s *Service) throttleCheck(ctx context.Context, account int64, kind throttleKind, name, source string) error {
	g, err := s.generation(ctx)
	if err != nil {
		return fmt.Errorf("check sign-in throttle: %w", err)
	}
	name = strings.ToLower(name)
	clearKey := clearKey{account: account, kind: kind, name: name, source: source}
	if s.cache.isClear(g, clearKey) {
		return nil
	}
	now := s.now()
	fs, err := s.store.FailureCounts(ctx, throttleKeys(account, kind, name, source), now)
	if err != nil {
		return fmt.Errorf("check sign-in throttle: %w", err)
	}
	var longest time.Duration
	for _, f := range fs {
		if f.Count >= failLimit {
			longest = max(longest, f.Ends.Sub(now))
		}
	}
	if longest > 0 {
		return throttled(longest)
	}
	s.cache.putClear(g, clearKey)
	return nil
}

// throttleFail counts a failure and answers the wait it brings about.
func (s *Service) throttleFail(ctx context.Context, account int64, kind throttleKind, name, source string) (time.Duration, error) {
	now := s.now()
	fs, err := s.store.AddFailure(ctx, throttleKeys(account, kind, name, source), now, failWindow)
	if err != nil {
		return 0, fmt.Errorf("count failed sign-in: %w", err)
	}
	var longest time.Duration
	for _, f := range fs {
		if f.Count >= failLimit {
			longest = max(longest, f.Ends.Sub(now))
		}
	}
	return longest, nil
}
