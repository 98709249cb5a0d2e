package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"damask"
)

// newSession stores a session of u that began at start.
func newSession(t *testing.T, s damask.Store, u *damask.User, secret string, start time.Time) *damask.Session {
	t.Helper()
	se := &damask.Session{
		AccountID:  u.AccountID,
		UserID:     u.ID,
		TokenHash:  sha256.Sum256([]byte(secret)),
		PasswordFP: "fp-" + secret,
		Method:     "password",
		UserAgent:  "test agent",
		Source:     "192.0.2.1",
		CreatedAt:  start,
		LastSeenAt: start,
		ExpiresAt:  start.Add(damask.SessionLifetime),
		Idle:       damask.SessionIdle,
	}
	must(t, "create session "+secret, s.CreateSession(t.Context(), se))
	return se
}

func testSessions(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	b, bh := newAccount(t, s, "globex")
	u := newUser(t, s, a.ID, "joe")
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	s1 := newSession(t, s, h, "one", start)
	s2 := newSession(t, s, h, "two", start)
	s3 := newSession(t, s, u, "three", start)
	sb := newSession(t, s, bh, "other", start)
	if s1.ID == 0 || s1.ID == s2.ID {
		t.Fatalf("session ids %d and %d; want distinct and set", s1.ID, s2.ID)
	}

	got, err := s.SessionByHash(ctx, a.ID, s1.TokenHash)
	must(t, "SessionByHash", err)
	diff(t, "SessionByHash", s1, got)
	checkUTC(t, "session times", got.CreatedAt, got.LastSeenAt, got.ExpiresAt)

	// Another account's session is not found, as a missing one is not.
	_, err = s.SessionByHash(ctx, a.ID, sb.TokenHash)
	wantCode(t, "SessionByHash of another account's session", err, damask.ENOTFOUND, "")
	_, err = s.SessionByHash(ctx, a.ID, sha256.Sum256([]byte("nobody")))
	wantCode(t, "SessionByHash of a missing session", err, damask.ENOTFOUND, "")

	later := start.Add(time.Hour)
	must(t, "TouchSession", s.TouchSession(ctx, a.ID, s1.ID, later))
	got, err = s.SessionByHash(ctx, a.ID, s1.TokenHash)
	must(t, "SessionByHash after touch", err)
	if !got.LastSeenAt.Equal(later) {
		t.Errorf("LastSeenAt after touch = %v, want %v", got.LastSeenAt, later)
	}
	wantCode(t, "TouchSession of another account's session", s.TouchSession(ctx, a.ID, sb.ID, later), damask.ENOTFOUND, "")

	// Deleting one ends only that one.
	must(t, "DeleteSession", s.DeleteSession(ctx, a.ID, s2.ID))
	_, err = s.SessionByHash(ctx, a.ID, s2.TokenHash)
	wantCode(t, "SessionByHash of a deleted session", err, damask.ENOTFOUND, "")
	wantCode(t, "DeleteSession twice", s.DeleteSession(ctx, a.ID, s2.ID), damask.ENOTFOUND, "")
	wantCode(t, "DeleteSession of another account's", s.DeleteSession(ctx, a.ID, sb.ID), damask.ENOTFOUND, "")

	// Everywhere: every session of the user, none of anyone else's.
	newSession(t, s, h, "four", start)
	n, err := s.DeleteUserSessions(ctx, a.ID, h.ID)
	must(t, "DeleteUserSessions", err)
	if n != 2 {
		t.Errorf("DeleteUserSessions removed %d, want 2", n)
	}
	for _, tc := range []struct {
		what    string
		account int64
		se      *damask.Session
		code    string
	}{
		{"holder's first", a.ID, s1, damask.ENOTFOUND},
		{"member's", a.ID, s3, ""},
		{"other account's", b.ID, sb, ""},
	} {
		_, err := s.SessionByHash(ctx, tc.account, tc.se.TokenHash)
		wantCode(t, "after DeleteUserSessions, "+tc.what, err, tc.code, "")
	}

	// Deleting a user ends the user's sessions.
	must(t, "DeleteUser", s.DeleteUser(ctx, a.ID, u.ID))
	_, err = s.SessionByHash(ctx, a.ID, s3.TokenHash)
	wantCode(t, "session of a deleted user", err, damask.ENOTFOUND, "")
}

func testExpiredSessions(t *testing.T, s damask.Store) {
	ctx := t.Context()
	_, h := newAccount(t, s, "acme")
	start := time.Date(2026, 3, 1, 12, 0, 0, 0, time.UTC)

	fresh := newSession(t, s, h, "fresh", start)
	idle := newSession(t, s, h, "idle", start.Add(-damask.SessionIdle-time.Hour))
	old := newSession(t, s, h, "old", start.Add(-damask.SessionLifetime-time.Hour))
	// Used a minute ago but begun more than the lifetime ago.
	must(t, "TouchSession", s.TouchSession(ctx, h.AccountID, old.ID, start.Add(-time.Minute)))

	n, err := s.DeleteExpiredSessions(ctx, start)
	must(t, "DeleteExpiredSessions", err)
	if n != 2 {
		t.Errorf("DeleteExpiredSessions removed %d, want 2", n)
	}
	for _, tc := range []struct {
		se   *damask.Session
		code string
	}{{fresh, ""}, {idle, damask.ENOTFOUND}, {old, damask.ENOTFOUND}} {
		_, err := s.SessionByHash(ctx, h.AccountID, tc.se.TokenHash)
		wantCode(t, "after DeleteExpiredSessions, session "+tc.se.UserAgent, err, tc.code, "")
	}
}

func testOIDCConfig(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, _ := newAccount(t, s, "acme")
	b, _ := newAccount(t, s, "globex")

	_, err := s.OIDCConfig(ctx, a.ID)
	wantCode(t, "OIDCConfig before any", err, damask.ENOTFOUND, "")

	c := &damask.OIDCConfig{AccountID: a.ID, Issuer: "https://id.example.com", ClientID: "damask",
		ClientSecret: "s3cret", Domains: []string{"example.com", "example.org"}, AutoCreate: damask.RoleMember}
	before := time.Now()
	must(t, "SetOIDCConfig", s.SetOIDCConfig(ctx, c))
	checkSet(t, "UpdatedAt", c.UpdatedAt, before, time.Now())
	got, err := s.OIDCConfig(ctx, a.ID)
	must(t, "OIDCConfig", err)
	diff(t, "OIDCConfig", c, got)
	_, err = s.OIDCConfig(ctx, b.ID)
	wantCode(t, "OIDCConfig of another account", err, damask.ENOTFOUND, "")

	// Setting again replaces every field.
	c2 := &damask.OIDCConfig{AccountID: a.ID, Issuer: "https://other.example.com", ClientID: "d2", ClientSecret: "x"}
	must(t, "SetOIDCConfig again", s.SetOIDCConfig(ctx, c2))
	got, err = s.OIDCConfig(ctx, a.ID)
	must(t, "OIDCConfig after replace", err)
	diff(t, "OIDCConfig after replace", c2, got)

	wantCode(t, "SetOIDCConfig of a missing account",
		s.SetOIDCConfig(ctx, &damask.OIDCConfig{AccountID: a.ID + b.ID + 100, Issuer: "x", ClientID: "y"}), damask.ENOTFOUND, "")

	must(t, "DeleteOIDCConfig", s.DeleteOIDCConfig(ctx, a.ID))
	_, err = s.OIDCConfig(ctx, a.ID)
	wantCode(t, "OIDCConfig after delete", err, damask.ENOTFOUND, "")
	must(t, "DeleteOIDCConfig of none", s.DeleteOIDCConfig(ctx, a.ID))
}
