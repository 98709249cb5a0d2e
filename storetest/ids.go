package storetest

import (
	"fmt"
	"testing"
	"time"

	"damask"
)

// IDKind is a kind of object the API or the web shows by id, made and
// removed through the store: the objects whose ids are never reused
// (API.md, "XML and JSON"). Accounts and audit events have no id test
// here: the store removes neither.
type IDKind struct {
	Name string
	// Create makes a new one in u's account and answers its id, and how
	// to remove it as the API would (a version goes with its asset, a
	// token with its user). n tells the objects of one run apart.
	Create func(t *testing.T, s damask.Store, u *damask.User, n int) (id int64, remove func())
}

// IDKinds are the kinds whose ids the API shows and the store removes.
func IDKinds() []IDKind {
	return []IDKind{
		{"asset", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			a := newAsset(t, s, u, assetSpec{title: fmt.Sprint("id asset ", n), tags: []string{"kept"}})
			return a.ID, func() { purge(t, s, a) }
		}},
		{"version", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			a := newAsset(t, s, u, assetSpec{title: fmt.Sprint("id version ", n)})
			vs, err := s.Versions(t.Context(), a.AccountID, a.ID)
			must(t, "Versions", err)
			if len(vs) != 1 {
				t.Fatalf("a new asset has %d versions, want 1", len(vs))
			}
			return vs[0].ID, func() { purge(t, s, a) }
		}},
		{"tag", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			tg := &damask.Tag{AccountID: u.AccountID, Name: fmt.Sprint("id tag ", n)}
			must(t, "CreateTag", s.CreateTag(t.Context(), tg))
			return tg.ID, func() { must(t, "DeleteTag", s.DeleteTag(t.Context(), tg.AccountID, tg.ID)) }
		}},
		{"user", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			m := newUser(t, s, u.AccountID, fmt.Sprint("id-user-", n))
			return m.ID, func() { must(t, "DeleteUser", s.DeleteUser(t.Context(), m.AccountID, m.ID)) }
		}},
		{"upload", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			// Later uploads expire sooner, so that removing one by its
			// expiry leaves the earlier ones.
			exp := time.Now().Add(time.Duration(100-n) * time.Hour)
			up := newUpload(t, s, u, fmt.Sprint("id upload ", n), 10, exp)
			return up.ID, func() {
				_, err := s.DeleteExpiredUploads(t.Context(), exp.Add(time.Second))
				must(t, "DeleteExpiredUploads", err)
			}
		}},
		{"token", func(t *testing.T, s damask.Store, u *damask.User, n int) (int64, func()) {
			// A token goes when its user goes.
			m := newUser(t, s, u.AccountID, fmt.Sprint("id-token-user-", n))
			tk := newToken(t, s, m, fmt.Sprint("id-token-secret-", n), false, time.Time{})
			return tk.ID, func() { must(t, "DeleteUser", s.DeleteUser(t.Context(), m.AccountID, m.ID)) }
		}},
	}
}

// purge removes an asset for good, as emptying the trash does.
func purge(t *testing.T, s damask.Store, a *damask.Asset) {
	t.Helper()
	must(t, "TrashAsset", s.TrashAsset(t.Context(), a.AccountID, a.ID, time.Now()))
	must(t, "PurgeAsset", s.PurgeAsset(t.Context(), a.AccountID, a.ID))
}

// testIDsNeverReused makes two of each kind, removes the newer (the
// highest id, the one a plain SQLite rowid hands out again) and makes
// another: its id must be above both, and above the older one's removal
// as well.
func testIDsNeverReused(t *testing.T, s damask.Store) {
	_, h := newAccount(t, s, "acme")
	for _, k := range IDKinds() {
		t.Run(k.Name, func(t *testing.T) {
			first, _ := k.Create(t, s, h, 1)
			second, remove := k.Create(t, s, h, 2)
			if second <= first {
				t.Fatalf("%s ids %d then %d: not growing", k.Name, first, second)
			}
			remove()
			third, remove := k.Create(t, s, h, 3)
			if third <= second {
				t.Errorf("%s ids %d, %d, removed %d, then %d: the removed id came back", k.Name, first, second, second, third)
			}
			remove()
			fourth, _ := k.Create(t, s, h, 4)
			if fourth <= third {
				t.Errorf("%s: removed %d, then %d: the removed id came back", k.Name, third, fourth)
			}
		})
	}
}
