package storetest

import (
	"context"
	"crypto/sha256"
	"fmt"
	"sync"
	"testing"
	"time"

	"damask"
)

// keyed is a context carrying the user's Idempotency-Key for a request
// described by req.
func keyed(ctx context.Context, u *damask.User, key, req string) context.Context {
	return damask.WithIdempotencyKey(ctx, &damask.IdempotencyKey{AccountID: u.AccountID, UserID: u.ID,
		Key: key, Request: sha256.Sum256([]byte(req))})
}

func testIdempotency(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, ha := newAccount(t, s, "acme")
	b, hb := newAccount(t, s, "globex")
	bob := newUser(t, s, a.ID, "bob")

	// record checks the record of a key.
	record := func(t *testing.T, u *damask.User, key, req, kind string, id int64, number int, before, after time.Time) {
		t.Helper()
		r, err := s.IdempotencyRecord(ctx, u.AccountID, u.ID, key)
		must(t, "IdempotencyRecord "+key, err)
		checkSet(t, "record's CreatedAt", r.CreatedAt, before, after)
		want := &damask.IdempotencyRecord{AccountID: u.AccountID, UserID: u.ID, Key: key,
			Request: sha256.Sum256([]byte(req)), Kind: kind, ID: id, Number: number, CreatedAt: r.CreatedAt}
		diff(t, "record of "+key, want, r)
	}

	t.Run("every create records its key", func(t *testing.T) {
		before := time.Now()
		tg := &damask.Tag{AccountID: a.ID, Name: "keyed"}
		must(t, "CreateTag", s.CreateTag(keyed(ctx, ha, "k-tag", "tag"), tg))
		record(t, ha, "k-tag", "tag", damask.KindTag, tg.ID, 0, before, time.Now())

		u := &damask.User{AccountID: a.ID, Login: "carol", Email: "carol@example.com", Role: damask.RoleMember}
		must(t, "CreateUser", s.CreateUser(keyed(ctx, ha, "k-user", "user"), u))
		record(t, ha, "k-user", "user", damask.KindUser, u.ID, 0, before, time.Now())

		tk := &damask.Token{AccountID: a.ID, UserID: ha.ID, Name: "keyed", Prefix: "dmk_keye", Hash: sha256.Sum256([]byte("dmk_keyed"))}
		must(t, "CreateToken", s.CreateToken(keyed(ctx, ha, "k-token", "token"), tk))
		record(t, ha, "k-token", "token", damask.KindToken, tk.ID, 0, before, time.Now())

		up := &damask.Upload{AccountID: a.ID, UserID: ha.ID, Filename: "k.bin", ContentType: "application/octet-stream",
			Size: 10, Blob: ref("k.bin"), ExpiresAt: time.Now().Add(time.Hour)}
		must(t, "CreateUpload", s.CreateUpload(keyed(ctx, ha, "k-upload", "upload"), up))
		record(t, ha, "k-upload", "upload", damask.KindUpload, up.ID, 0, before, time.Now())

		as := &damask.Asset{AccountID: a.ID, Title: "keyed", UserID: ha.ID, Processing: damask.ProcessingDone}
		must(t, "CreateAsset", s.CreateAsset(keyed(ctx, ha, "k-asset", "asset"), as, newVersion(ha, "k.png", 10), nil, up.ID))
		record(t, ha, "k-asset", "asset", damask.KindAsset, as.ID, 0, before, time.Now())

		v := newVersion(ha, "k2.png", 20)
		must(t, "AddVersion", s.AddVersion(keyed(ctx, ha, "k-version", "version"), as, v, 0))
		record(t, ha, "k-version", "version", damask.KindVersion, as.ID, 2, before, time.Now())

		col := &damask.Collection{AccountID: a.ID, Title: "keyed", UserID: ha.ID}
		must(t, "CreateCollection", s.CreateCollection(keyed(ctx, ha, "k-collection", "collection"), col, nil))
		record(t, ha, "k-collection", "collection", damask.KindCollection, col.ID, 0, before, time.Now())

		st := &damask.Stage{AccountID: a.ID, Token: "keyed-stage", Title: "keyed", CollectionID: col.ID,
			Downloads: damask.StageDownloadsNone, UserID: ha.ID}
		must(t, "CreateStage", s.CreateStage(keyed(ctx, ha, "k-stage", "stage"), st))
		record(t, ha, "k-stage", "stage", damask.KindStage, st.ID, 0, before, time.Now())
		dup := &damask.Stage{AccountID: a.ID, Token: "keyed-stage-2", Title: "again", CollectionID: col.ID,
			Downloads: damask.StageDownloadsNone, UserID: ha.ID}
		wantCode(t, "CreateStage with the same key", s.CreateStage(keyed(ctx, ha, "k-stage", "stage"), dup), damask.ECONFLICT, "")
		if _, n, err := s.Stages(ctx, a.ID, damask.Page{}); err != nil || n != 1 {
			t.Errorf("Stages after a create with a key taken: %d, %v; want 1", n, err)
		}

		ib := &damask.Inbox{AccountID: a.ID, Token: "keyed-inbox", Title: "keyed", UserID: ha.ID}
		must(t, "CreateInbox", s.CreateInbox(keyed(ctx, ha, "k-inbox", "inbox"), ib))
		record(t, ha, "k-inbox", "inbox", damask.KindInbox, ib.ID, 0, before, time.Now())
		ib2 := &damask.Inbox{AccountID: a.ID, Token: "keyed-inbox-2", Title: "again", UserID: ha.ID}
		wantCode(t, "CreateInbox with the same key", s.CreateInbox(keyed(ctx, ha, "k-inbox", "inbox"), ib2), damask.ECONFLICT, "")
		if _, n, err := s.Inboxes(ctx, a.ID, damask.Page{}); err != nil || n != 1 {
			t.Errorf("Inboxes after a create with a key taken: %d, %v; want 1", n, err)
		}
	})

	t.Run("a recorded key creates nothing", func(t *testing.T) {
		kctx := keyed(ctx, ha, "again", "tag")
		must(t, "CreateTag", s.CreateTag(kctx, &damask.Tag{AccountID: a.ID, Name: "first"}))
		_, before, err := s.Tags(ctx, a.ID, damask.Page{})
		must(t, "Tags", err)

		// Any create, with any request: the key is taken.
		wantCode(t, "CreateTag with the same key", s.CreateTag(kctx, &damask.Tag{AccountID: a.ID, Name: "second"}), damask.ECONFLICT, "")
		wantCode(t, "CreateTag with the same key, another request",
			s.CreateTag(keyed(ctx, ha, "again", "other"), &damask.Tag{AccountID: a.ID, Name: "third"}), damask.ECONFLICT, "")
		up := newUpload(t, s, ha, "again.bin", 5, time.Now().Add(time.Hour))
		as := &damask.Asset{AccountID: a.ID, Title: "again", UserID: ha.ID, Processing: damask.ProcessingDone}
		wantCode(t, "CreateAsset with the same key", s.CreateAsset(kctx, as, newVersion(ha, "again.png", 5), nil, up.ID), damask.ECONFLICT, "")
		if _, err := s.Upload(ctx, a.ID, up.ID); err != nil {
			t.Errorf("the refused create consumed its upload: %v", err)
		}
		_, after, err := s.Tags(ctx, a.ID, damask.Page{})
		must(t, "Tags", err)
		if after != before {
			t.Errorf("%d tags after the refused creates, want %d", after, before)
		}
		r, err := s.IdempotencyRecord(ctx, a.ID, ha.ID, "again")
		must(t, "IdempotencyRecord", err)
		if r.Request != sha256.Sum256([]byte("tag")) || r.Kind != damask.KindTag {
			t.Errorf("the record changed: %+v", r)
		}
	})

	t.Run("keys are per user and per account", func(t *testing.T) {
		for _, u := range []*damask.User{ha, bob, hb} {
			tg := &damask.Tag{AccountID: u.AccountID, Name: "shared key " + u.Login}
			must(t, "CreateTag as "+u.Login, s.CreateTag(keyed(ctx, u, "shared", "tag "+u.Login), tg))
			record(t, u, "shared", "tag "+u.Login, damask.KindTag, tg.ID, 0, time.Now().Add(-time.Minute), time.Now())
		}
		_, err := s.IdempotencyRecord(ctx, b.ID, ha.ID, "shared")
		wantCode(t, "a user's key asked in another account", err, damask.ENOTFOUND, "")
		_, err = s.IdempotencyRecord(ctx, a.ID, bob.ID, "k-tag")
		wantCode(t, "another user's key", err, damask.ENOTFOUND, "")
	})

	t.Run("a failed create leaves no record", func(t *testing.T) {
		kctx := keyed(ctx, ha, "failing", "tag")
		wantCode(t, "CreateTag of a taken name", s.CreateTag(kctx, &damask.Tag{AccountID: a.ID, Name: "KEYED"}), damask.EINVALID, "")
		_, err := s.IdempotencyRecord(ctx, a.ID, ha.ID, "failing")
		wantCode(t, "record of a failed create", err, damask.ENOTFOUND, "")
		as := &damask.Asset{AccountID: a.ID, Title: "gone", UserID: ha.ID, Processing: damask.ProcessingDone}
		wantCode(t, "CreateAsset from a missing upload", s.CreateAsset(kctx, as, newVersion(ha, "gone.png", 5), nil, 1<<40), damask.ENOTFOUND, "")
		_, err = s.IdempotencyRecord(ctx, a.ID, ha.ID, "failing")
		wantCode(t, "record of a failed create", err, damask.ENOTFOUND, "")
		must(t, "CreateTag with the key after failures", s.CreateTag(kctx, &damask.Tag{AccountID: a.ID, Name: "after failures"}))
	})

	t.Run("concurrent creates with one key", func(t *testing.T) {
		const n = 8
		var wg sync.WaitGroup
		errs := make([]error, n)
		for i := range n {
			wg.Go(func() {
				errs[i] = s.CreateTag(keyed(ctx, bob, "race", "tag"), &damask.Tag{AccountID: a.ID, Name: fmt.Sprintf("race %d", i)})
			})
		}
		wg.Wait()
		created := 0
		for i, err := range errs {
			switch damask.ErrorCode(err) {
			case "":
				created++
			case damask.ECONFLICT:
			default:
				t.Errorf("create %d: %v", i, err)
			}
		}
		if created != 1 {
			t.Errorf("%d creates with one key succeeded, want 1", created)
		}
		found := 0
		for i := range n {
			if _, err := s.TagByName(ctx, a.ID, fmt.Sprintf("race %d", i)); err == nil {
				found++
			}
		}
		if found != 1 {
			t.Errorf("%d tags made with one key, want 1", found)
		}
	})

	t.Run("delete old records", func(t *testing.T) {
		n, err := s.DeleteIdempotencyRecords(ctx, time.Now().Add(-time.Hour))
		must(t, "DeleteIdempotencyRecords an hour ago", err)
		if n != 0 {
			t.Errorf("deleted %d records made before an hour ago, want 0", n)
		}
		n, err = s.DeleteIdempotencyRecords(ctx, time.Now().Add(time.Second))
		must(t, "DeleteIdempotencyRecords", err)
		if n != 15 {
			t.Errorf("deleted %d records, want 15", n)
		}
		_, err = s.IdempotencyRecord(ctx, a.ID, ha.ID, "k-tag")
		wantCode(t, "a deleted record", err, damask.ENOTFOUND, "")
		must(t, "CreateTag with a forgotten key", s.CreateTag(keyed(ctx, ha, "k-tag", "other"), &damask.Tag{AccountID: a.ID, Name: "anew"}))
	})

	t.Run("deleting the user deletes its keys", func(t *testing.T) {
		must(t, "CreateTag", s.CreateTag(keyed(ctx, bob, "bob's", "tag"), &damask.Tag{AccountID: a.ID, Name: "bob's"}))
		must(t, "DeleteUser", s.DeleteUser(ctx, a.ID, bob.ID))
		_, err := s.IdempotencyRecord(ctx, a.ID, bob.ID, "bob's")
		wantCode(t, "key of a deleted user", err, damask.ENOTFOUND, "")
	})
}
