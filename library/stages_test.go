package library_test

import (
	"context"
	"strconv"
	"sync"
	"testing"
	"time"

	"damask"
	"damask/library"
)

// mailbox keeps the e-mails a service sends.
type mailbox struct {
	mu    sync.Mutex
	mails []damask.Mail
}

func (b *mailbox) Send(_ context.Context, m damask.Mail) error {
	b.mu.Lock()
	defer b.mu.Unlock()
	b.mails = append(b.mails, m)
	return nil
}

// take answers the e-mails sent since the last take.
func (b *mailbox) take() []damask.Mail {
	b.mu.Lock()
	defer b.mu.Unlock()
	m := b.mails
	b.mails = nil
	return m
}

// TestStageDigestOnce runs the housework of servers that share the
// stores: the first run starts the day, the day's digest goes once, a
// server started after it (as after a restart) does not send it again,
// and of two servers that run at the same time one sends it.
func TestStageDigestOnce(t *testing.T) {
	ctx := context.Background()
	now := time.Date(2026, 12, 1, 6, 0, 0, 0, time.UTC)
	var clock sync.Mutex
	db, blobs := openStores(t)
	box := &mailbox{}
	server := func() *library.Service {
		return serviceOn(t, db, blobs, nil, library.Options{Mailer: box, Now: func() time.Time {
			clock.Lock()
			defer clock.Unlock()
			return now
		}})
	}
	advance := func(d time.Duration) {
		clock.Lock()
		now = now.Add(d)
		clock.Unlock()
	}
	a := server()
	acct, holder, err := a.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "pro",
		HolderLogin: "ann", HolderEmail: "ann@acme.test", Password: "first password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: acct, User: holder}
	title := "Spring"
	col, _, err := a.CreateCollection(ctx, c, library.CollectionInput{Title: &title}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	colID := strconv.FormatInt(col.ID, 10)
	st, _, err := a.CreateStage(ctx, c, library.StageInput{Title: &title, CollectionID: &colID}, damask.IdempotencyKey{})
	if err != nil {
		t.Fatal(err)
	}
	view := func() {
		t.Helper()
		clock.Lock()
		at := now
		clock.Unlock()
		if err := db.LogStageAccess(ctx, &damask.StageAccess{AccountID: acct.ID, StageID: st.ID, At: at,
			Action: damask.StageViewed, What: "page"}); err != nil {
			t.Fatal(err)
		}
	}
	tidy := func(svc *library.Service) {
		t.Helper()
		if err := svc.Tidy(ctx, time.Hour); err != nil {
			t.Fatal(err)
		}
	}

	tidy(a) // the first run starts the first day
	advance(time.Hour)
	view()
	tidy(a)
	if m := box.take(); len(m) != 0 {
		t.Fatalf("a digest before a day passed: %+v", m)
	}
	advance(24 * time.Hour)
	tidy(a)
	if m := box.take(); len(m) != 1 || m[0].To[0] != "ann@acme.test" {
		t.Fatalf("the day's digests: %+v, want one to ann", m)
	}
	tidy(server()) // as after a restart
	advance(time.Hour)
	tidy(a)
	if m := box.take(); len(m) != 0 {
		t.Errorf("the day's digest sent again after a restart: %+v", m)
	}

	// The next day, two servers at the same time: one digest.
	view()
	advance(24 * time.Hour)
	b := server()
	var wg sync.WaitGroup
	for _, svc := range []*library.Service{a, b} {
		wg.Go(func() {
			if err := svc.Tidy(ctx, time.Hour); err != nil {
				t.Error(err)
			}
		})
	}
	wg.Wait()
	if m := box.take(); len(m) != 1 {
		t.Errorf("two servers sent %d digests of the same day, want 1", len(m))
	}
}
