package storetest

import (
	"crypto/sha256"
	"testing"
	"time"

	"damask"
)

// newToken creates a token of the user whose secret is the given text.
func newToken(t *testing.T, s damask.Store, u *damask.User, secret string, readOnly bool, exp time.Time) *damask.Token {
	t.Helper()
	tk := &damask.Token{AccountID: u.AccountID, UserID: u.ID, Name: "token " + secret, ReadOnly: readOnly,
		Prefix: secret[:min(8, len(secret))], Hash: sha256.Sum256([]byte(secret)), ExpiresAt: exp}
	must(t, "CreateToken "+secret, s.CreateToken(t.Context(), tk))
	return tk
}

func testTokens(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, ha := newAccount(t, s, "acme")
	b, hb := newAccount(t, s, "globex")
	bob := newUser(t, s, a.ID, "bob")

	before := time.Now()
	exp := time.Date(2030, 1, 2, 3, 4, 5, 6000, time.UTC)
	t1 := newToken(t, s, ha, "dmk_first", false, time.Time{})
	t2 := newToken(t, s, ha, "dmk_second", true, exp)
	after := time.Now()
	tb := newToken(t, s, bob, "dmk_bobs", false, time.Time{})
	tg := newToken(t, s, hb, "dmk_globex", false, time.Time{})

	if t1.ID == 0 || t2.ID == 0 || t1.ID == t2.ID {
		t.Errorf("ids %d and %d", t1.ID, t2.ID)
	}
	checkSet(t, "CreatedAt", t1.CreatedAt, before, after)

	t.Run("create in another account", func(t *testing.T) {
		tk := &damask.Token{AccountID: a.ID, UserID: hb.ID, Name: "stray", Prefix: "dmk_stra", Hash: sha256.Sum256([]byte("stray"))}
		wantCode(t, "CreateToken for another account's user", s.CreateToken(ctx, tk), damask.ENOTFOUND, "")
	})

	t.Run("list", func(t *testing.T) {
		got, err := s.Tokens(ctx, a.ID, ha.ID)
		must(t, "Tokens", err)
		diff(t, "holder's tokens, newest first", []*damask.Token{t2, t1}, got)
		got, err = s.Tokens(ctx, a.ID, bob.ID)
		must(t, "Tokens", err)
		diff(t, "bob's tokens", []*damask.Token{tb}, got)
		got, err = s.Tokens(ctx, a.ID, hb.ID)
		must(t, "Tokens", err)
		diff(t, "another account's user, asked in this account", []*damask.Token(nil), got)
	})

	t.Run("by hash", func(t *testing.T) {
		got, err := s.TokenByHash(ctx, a.ID, sha256.Sum256([]byte("dmk_second")))
		must(t, "TokenByHash", err)
		diff(t, "token by hash", t2, got)
		checkUTC(t, "token times", got.CreatedAt, got.ExpiresAt)
		_, err = s.TokenByHash(ctx, a.ID, sha256.Sum256([]byte("dmk_nothing")))
		wantCode(t, "TokenByHash of a missing hash", err, damask.ENOTFOUND, "")
		_, err = s.TokenByHash(ctx, a.ID, tg.Hash)
		wantCode(t, "TokenByHash of another account's token", err, damask.ENOTFOUND, "")
	})

	t.Run("touch", func(t *testing.T) {
		at := time.Date(2027, 5, 6, 7, 8, 9, 0, time.UTC)
		must(t, "TouchToken", s.TouchToken(ctx, a.ID, t1.ID, at))
		got, err := s.TokenByHash(ctx, a.ID, t1.Hash)
		must(t, "TokenByHash", err)
		want := *t1
		want.LastUsedAt = at
		diff(t, "touched token", &want, got)
		wantCode(t, "TouchToken of another account's token", s.TouchToken(ctx, a.ID, tg.ID, at), damask.ENOTFOUND, "")
		*t1 = want
	})

	t.Run("revoke", func(t *testing.T) {
		at := time.Date(2027, 6, 1, 0, 0, 0, 0, time.UTC)
		for _, c := range []struct {
			name          string
			account, user int64
			id            int64
		}{
			{"another account's token", a.ID, ha.ID, tg.ID},
			{"another user's token", a.ID, ha.ID, tb.ID},
			{"asked as the other account", b.ID, hb.ID, t1.ID},
			{"missing token", a.ID, ha.ID, 1 << 40},
		} {
			_, err := s.RevokeToken(ctx, c.account, c.user, c.id, at)
			wantCode(t, "RevokeToken of "+c.name, err, damask.ENOTFOUND, "")
		}
		got, err := s.RevokeToken(ctx, a.ID, ha.ID, t1.ID, at)
		must(t, "RevokeToken", err)
		want := *t1
		want.RevokedAt = at
		diff(t, "revoked token", &want, got)
		got, err = s.RevokeToken(ctx, a.ID, ha.ID, t1.ID, at.Add(time.Hour))
		must(t, "RevokeToken again", err)
		diff(t, "token revoked twice keeps the first time", &want, got)
		got, err = s.TokenByHash(ctx, a.ID, t1.Hash)
		must(t, "TokenByHash", err)
		diff(t, "revoked token by hash", &want, got)
		// The others are untouched.
		for _, tk := range []*damask.Token{tb, tg} {
			got, err := s.TokenByHash(ctx, tk.AccountID, tk.Hash)
			must(t, "TokenByHash", err)
			diff(t, "token not revoked", tk, got)
		}
	})

	t.Run("deleted user", func(t *testing.T) {
		must(t, "DeleteUser", s.DeleteUser(ctx, a.ID, bob.ID))
		_, err := s.TokenByHash(ctx, a.ID, tb.Hash)
		wantCode(t, "TokenByHash of a deleted user's token", err, damask.ENOTFOUND, "")
	})
}
