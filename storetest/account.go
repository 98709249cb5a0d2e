package storetest

import (
	"fmt"
	"testing"
	"time"

	"damask"
)

func testAccounts(t *testing.T, s damask.Store) {
	ctx := t.Context()

	before := time.Now()
	a, h := newAccount(t, s, "acme")
	after := time.Now()
	if a.ID == 0 || h.ID == 0 {
		t.Fatalf("CreateAccount set account id %d, holder id %d; want both set", a.ID, h.ID)
	}
	if a.HolderID != h.ID || h.AccountID != a.ID {
		t.Errorf("HolderID = %d, holder's AccountID = %d; want %d and %d", a.HolderID, h.AccountID, h.ID, a.ID)
	}
	checkSet(t, "account CreatedAt", a.CreatedAt, before, after)
	checkSet(t, "account UpdatedAt", a.UpdatedAt, before, after)
	checkSet(t, "holder CreatedAt", h.CreatedAt, before, after)
	checkSet(t, "holder UpdatedAt", h.UpdatedAt, before, after)

	got, err := s.Account(ctx, a.ID)
	must(t, "Account", err)
	diff(t, "Account", a, got)
	got, err = s.AccountByName(ctx, "acme")
	must(t, "AccountByName", err)
	diff(t, "AccountByName", a, got)
	gotHolder, err := s.User(ctx, a.ID, h.ID)
	must(t, "User of holder", err)
	diff(t, "holder", h, gotHolder)

	_, err = s.Account(ctx, a.ID+1000)
	wantCode(t, "Account of a missing id", err, damask.ENOTFOUND, "")
	_, err = s.AccountByName(ctx, "nobody")
	wantCode(t, "AccountByName of a missing name", err, damask.ENOTFOUND, "")

	// A taken name stores neither the account nor its holder.
	dup := &damask.Account{Name: "acme", Plan: "basic"}
	dupHolder := &damask.User{Login: "someone", Email: "someone@example.com", Role: damask.RoleHolder}
	err = s.CreateAccount(ctx, dup, dupHolder)
	wantCode(t, "CreateAccount of a taken name", err, damask.EINVALID, "Name has already been taken")

	b, _ := newAccount(t, s, "globex")
	if b.ID == a.ID {
		t.Fatalf("two accounts with id %d", a.ID)
	}
	list, err := s.Accounts(ctx)
	must(t, "Accounts", err)
	diff(t, "Accounts", []*damask.Account{a, b}, list)

	// UpdateAccount writes every field but ID, Name and CreatedAt.
	up := *a
	up.Name = "renamed"
	up.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
	up.CompanyName = "Acme Corporation"
	up.BillingEmail = "money@acme.example"
	up.Country = "AT"
	up.Plan = "deluxe"
	up.APIEnabled = false
	up.PublicLinks = false
	up.Branding = damask.Branding{
		Title:       "Acme",
		FontColor:   "#111111",
		TopColor:    "#222222",
		BottomColor: "#333333",
		Logo:        "logo.png",
		UpdatedAt:   time.Date(2024, 5, 6, 7, 8, 9, 123456000, time.FixedZone("CEST", 2*3600)),
	}
	before = time.Now()
	must(t, "UpdateAccount", s.UpdateAccount(ctx, &up))
	after = time.Now()
	checkSet(t, "UpdatedAt after UpdateAccount", up.UpdatedAt, before, after)
	got, err = s.Account(ctx, a.ID)
	must(t, "Account after update", err)
	want := up
	want.Name, want.CreatedAt = a.Name, a.CreatedAt
	diff(t, "Account after UpdateAccount", &want, got)
	checkUTC(t, "Branding.UpdatedAt", got.Branding.UpdatedAt)

	missing := *b
	missing.ID = b.ID + 1000
	wantCode(t, "UpdateAccount of a missing id", s.UpdateAccount(ctx, &missing), damask.ENOTFOUND, "")
	got, err = s.Account(ctx, b.ID)
	must(t, "Account", err)
	diff(t, "other account after UpdateAccount of a missing one", b, got)
}

func testAccountStats(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	_, hb := newAccount(t, s, "globex")

	stats := func(want damask.AccountStats, step string) {
		t.Helper()
		got, err := s.AccountStats(ctx, a.ID)
		if err != nil {
			t.Fatalf("AccountStats %s: %v", step, err)
		}
		diff(t, "AccountStats "+step, want, got)
	}
	stats(damask.AccountStats{UsersCount: 1}, "of a new account")

	newUser(t, s, a.ID, "jane")
	stats(damask.AccountStats{UsersCount: 2}, "after CreateUser")

	first := newAsset(t, s, h, assetSpec{title: "first", size: 100})
	must(t, "AddVersion", s.AddVersion(ctx, first, newVersion(h, "first-2", 50), 0))
	stats(damask.AccountStats{UsedSpace: 150, UsersCount: 2, AssetsCount: 1}, "after a second version")

	// The trash keeps its bytes until it is purged.
	trashed := newAsset(t, s, h, assetSpec{title: "trashed", size: 30})
	must(t, "TrashAsset", s.TrashAsset(ctx, a.ID, trashed.ID, time.Now()))
	stats(damask.AccountStats{UsedSpace: 180, UsersCount: 2, AssetsCount: 1}, "after trashing")

	up := newUpload(t, s, h, "upload", 7, time.Now().Add(damask.UploadLifetime))
	stats(damask.AccountStats{UsedSpace: 187, UsersCount: 2, AssetsCount: 1}, "with an upload")

	// Another account's contents count for it alone.
	newAsset(t, s, hb, assetSpec{title: "elsewhere", size: 1 << 20})
	newUpload(t, s, hb, "elsewhere", 1<<20, time.Now().Add(damask.UploadLifetime))
	newUser(t, s, hb.AccountID, "joe")
	stats(damask.AccountStats{UsedSpace: 187, UsersCount: 2, AssetsCount: 1}, "after changes to another account")

	// An upload used by an asset counts once, as the asset's version.
	fromUpload := &damask.Asset{AccountID: a.ID, Title: "from upload", Filename: up.Filename, Size: up.Size, Blob: up.Blob, UserID: h.ID}
	v := &damask.Version{Filename: up.Filename, Size: up.Size, Blob: up.Blob, UserID: h.ID}
	must(t, "CreateAsset from upload", s.CreateAsset(ctx, fromUpload, v, nil, up.ID))
	stats(damask.AccountStats{UsedSpace: 187, UsersCount: 2, AssetsCount: 2}, "after using the upload")

	must(t, "PurgeAsset", s.PurgeAsset(ctx, a.ID, trashed.ID))
	stats(damask.AccountStats{UsedSpace: 157, UsersCount: 2, AssetsCount: 2}, "after purging")

	// The counts are kept as rows change (not summed at each call): every
	// way in and out of the trash, the stores, the bulk load.
	back := newAsset(t, s, h, assetSpec{title: "back", size: 3})
	must(t, "TrashAsset", s.TrashAsset(ctx, a.ID, back.ID, time.Now()))
	must(t, "RestoreAsset", s.RestoreAsset(ctx, a.ID, back.ID))
	stats(damask.AccountStats{UsedSpace: 160, UsersCount: 2, AssetsCount: 3}, "after a restore")

	dropped := newUpload(t, s, h, "dropped", 11, time.Now().Add(damask.UploadLifetime))
	expired := newUpload(t, s, h, "expired", 13, time.Now().Add(-time.Minute))
	stats(damask.AccountStats{UsedSpace: 184, UsersCount: 2, AssetsCount: 3}, "with two more uploads")
	must(t, "DeleteUpload", s.DeleteUpload(ctx, a.ID, dropped.ID))
	if _, err := s.DeleteExpiredUploads(ctx, time.Now()); err != nil {
		t.Fatalf("DeleteExpiredUploads: %v", err)
	}
	_ = expired
	stats(damask.AccountStats{UsedSpace: 160, UsersCount: 2, AssetsCount: 3}, "after the uploads went")

	if bulk, ok := s.(damask.BulkCreator); ok {
		as := make([]*damask.Asset, 3)
		for i := range as {
			name := fmt.Sprintf("bulk%d", i)
			as[i] = &damask.Asset{AccountID: a.ID, Title: name, Filename: name + ".jpg", ContentType: "image/jpeg",
				Size: 1000, Blob: ref(name), UserID: h.ID, Processing: damask.ProcessingPending}
		}
		must(t, "CreateAssets", bulk.CreateAssets(ctx, as))
		stats(damask.AccountStats{UsedSpace: 3160, UsersCount: 2, AssetsCount: 6}, "after a bulk load")
	}

	// Trash emptied for good, in every account.
	must(t, "TrashAsset", s.TrashAsset(ctx, a.ID, back.ID, time.Now().Add(-time.Hour)))
	if _, err := s.PurgeTrash(ctx, time.Now()); err != nil {
		t.Fatalf("PurgeTrash: %v", err)
	}
	want := damask.AccountStats{UsedSpace: 3157, UsersCount: 2, AssetsCount: 5}
	if _, ok := s.(damask.BulkCreator); !ok {
		want = damask.AccountStats{UsedSpace: 157, UsersCount: 2, AssetsCount: 2}
	}
	stats(want, "after the trash was emptied")

	// An account deleted takes its counts along; the other keeps its own.
	other, err := s.AccountStats(ctx, hb.AccountID)
	must(t, "AccountStats", err)
	if other.UsedSpace != 2<<20 || other.AssetsCount != 1 {
		t.Errorf("the other account's stats %+v, want 2 MiB in 1 asset", other)
	}
}

func testUsers(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	b, _ := newAccount(t, s, "globex")

	u := &damask.User{
		AccountID:    a.ID,
		Login:        "jane",
		Email:        "Jane@Example.com",
		FirstName:    "Jane",
		LastName:     "Doe",
		Role:         damask.RoleMember,
		PasswordHash: "$2a$10$jane",
		TimeZone:     "Europe/Vienna",
		Language:     "de",
	}
	before := time.Now()
	must(t, "CreateUser", s.CreateUser(ctx, u))
	after := time.Now()
	if u.ID == 0 || u.ID == h.ID {
		t.Fatalf("CreateUser set id %d", u.ID)
	}
	checkSet(t, "user CreatedAt", u.CreatedAt, before, after)
	checkSet(t, "user UpdatedAt", u.UpdatedAt, before, after)
	got, err := s.User(ctx, a.ID, u.ID)
	must(t, "User", err)
	diff(t, "User", u, got)

	t.Run("UserByLogin", func(t *testing.T) {
		for _, name := range []string{"jane", "JANE", "Jane@Example.com", "jane@example.com", "JANE@EXAMPLE.COM"} {
			got, err := s.UserByLogin(ctx, a.ID, name)
			if err != nil {
				t.Errorf("UserByLogin(%q): %v", name, err)
				continue
			}
			diff(t, fmt.Sprintf("UserByLogin(%q)", name), u, got)
		}
		for _, name := range []string{"nobody", "jan", "", "Jane@Example"} {
			_, err := s.UserByLogin(ctx, a.ID, name)
			wantCode(t, fmt.Sprintf("UserByLogin(%q)", name), err, damask.ENOTFOUND, "")
		}
		_, err := s.UserByLogin(ctx, b.ID, "jane")
		wantCode(t, "UserByLogin in another account", err, damask.ENOTFOUND, "")
	})

	t.Run("Unique", func(t *testing.T) {
		tests := []struct {
			name         string
			login, email string
			msg          string
		}{
			{"same login", "jane", "other@example.com", "Login has already been taken"},
			{"login in other case", "JaNe", "other@example.com", "Login has already been taken"},
			{"same e-mail", "jane2", "Jane@Example.com", "Email has already been taken"},
			{"e-mail in other case", "jane2", "JANE@example.COM", "Email has already been taken"},
		}
		for _, tt := range tests {
			dup := &damask.User{AccountID: a.ID, Login: tt.login, Email: tt.email, Role: damask.RoleGuest}
			wantCode(t, "CreateUser with "+tt.name, s.CreateUser(ctx, dup), damask.EINVALID, tt.msg)
		}
		_, total, err := s.Users(ctx, a.ID, damask.Page{Number: 1, Size: 10})
		must(t, "Users", err)
		if total != 2 {
			t.Errorf("after refused CreateUser, %d users, want 2", total)
		}

		// Another account may have the same login and e-mail.
		other := &damask.User{AccountID: b.ID, Login: "jane", Email: "jane@example.com", Role: damask.RoleMember}
		must(t, "CreateUser of the same login in another account", s.CreateUser(ctx, other))
		got, err := s.UserByLogin(ctx, b.ID, "JANE")
		must(t, "UserByLogin in the other account", err)
		if got.ID != other.ID {
			t.Errorf("UserByLogin in the other account found user %d, want %d", got.ID, other.ID)
		}
	})

	t.Run("Paging", func(t *testing.T) {
		all := []*damask.User{h, u}
		for i := range 5 {
			all = append(all, newUser(t, s, a.ID, fmt.Sprintf("user%d", i)))
		}
		var pages []*damask.User
		for n := 1; n <= 4; n++ {
			got, total, err := s.Users(ctx, a.ID, damask.Page{Number: n, Size: 3})
			must(t, "Users", err)
			if total != len(all) {
				t.Errorf("Users page %d: total %d, want %d", n, total, len(all))
			}
			if want := min(3, max(0, len(all)-(n-1)*3)); len(got) != want {
				t.Errorf("Users page %d: %d users, want %d", n, len(got), want)
			}
			pages = append(pages, got...)
		}
		diff(t, "Users, page by page", all, pages)
	})

	t.Run("UpdateUser", func(t *testing.T) {
		up := *u
		up.Login = "janet"
		up.Email = "janet@example.com"
		up.FirstName = "Janet"
		up.LastName = "Roe"
		up.Role = damask.RoleAdmin
		up.PasswordHash = "$2a$10$new"
		up.Disabled = true
		up.TimeZone = "America/Argentina/Buenos_Aires"
		up.Language = "en"
		up.CreatedAt = time.Date(2001, 1, 1, 0, 0, 0, 0, time.UTC)
		before := time.Now()
		must(t, "UpdateUser", s.UpdateUser(ctx, &up))
		after := time.Now()
		checkSet(t, "UpdatedAt after UpdateUser", up.UpdatedAt, before, after)
		got, err := s.User(ctx, a.ID, u.ID)
		must(t, "User", err)
		want := up
		want.CreatedAt = u.CreatedAt
		diff(t, "User after UpdateUser", &want, got)
		*u = *got

		// Taking another user's login or e-mail is refused and changes nothing.
		taken := *u
		taken.Login = "ACME-holder"
		wantCode(t, "UpdateUser to a taken login", s.UpdateUser(ctx, &taken), damask.EINVALID, "Login has already been taken")
		taken = *u
		taken.Email = "HOLDER@acme.example"
		wantCode(t, "UpdateUser to a taken e-mail", s.UpdateUser(ctx, &taken), damask.EINVALID, "Email has already been taken")
		got, err = s.User(ctx, a.ID, u.ID)
		must(t, "User", err)
		diff(t, "User after refused updates", u, got)

		// A user keeps its own login in another case.
		same := *u
		same.Login = "JANET"
		must(t, "UpdateUser to its own login in another case", s.UpdateUser(ctx, &same))
	})

	t.Run("DeleteUser", func(t *testing.T) {
		gone := newUser(t, s, a.ID, "gone")
		must(t, "DeleteUser", s.DeleteUser(ctx, a.ID, gone.ID))
		_, err := s.User(ctx, a.ID, gone.ID)
		wantCode(t, "User after DeleteUser", err, damask.ENOTFOUND, "")
		_, err = s.UserByLogin(ctx, a.ID, "gone")
		wantCode(t, "UserByLogin after DeleteUser", err, damask.ENOTFOUND, "")
		wantCode(t, "DeleteUser again", s.DeleteUser(ctx, a.ID, gone.ID), damask.ENOTFOUND, "")
		// The login is free again.
		newUser(t, s, a.ID, "gone")
	})
}

func testTags(t *testing.T, s damask.Store) {
	ctx := t.Context()
	a, h := newAccount(t, s, "acme")
	b, _ := newAccount(t, s, "globex")

	red := &damask.Tag{AccountID: a.ID, Name: "red"}
	before := time.Now()
	must(t, "CreateTag", s.CreateTag(ctx, red))
	after := time.Now()
	if red.ID == 0 {
		t.Fatal("CreateTag set no id")
	}
	checkSet(t, "tag CreatedAt", red.CreatedAt, before, after)
	got, err := s.Tag(ctx, a.ID, red.ID)
	must(t, "Tag", err)
	diff(t, "Tag", red, got)
	for _, name := range []string{"red", "RED", "Red"} {
		got, err := s.TagByName(ctx, a.ID, name)
		if err != nil {
			t.Errorf("TagByName(%q): %v", name, err)
			continue
		}
		diff(t, fmt.Sprintf("TagByName(%q)", name), red, got)
	}
	_, err = s.TagByName(ctx, a.ID, "re")
	wantCode(t, "TagByName of a missing name", err, damask.ENOTFOUND, "")
	_, err = s.TagByName(ctx, b.ID, "red")
	wantCode(t, "TagByName in another account", err, damask.ENOTFOUND, "")

	for _, name := range []string{"red", "RED", "rEd"} {
		err := s.CreateTag(ctx, &damask.Tag{AccountID: a.ID, Name: name})
		wantCode(t, fmt.Sprintf("CreateTag(%q) of a taken name", name), err, damask.EINVALID, "Tag has already been taken")
	}
	must(t, "CreateTag of the same name in another account", s.CreateTag(ctx, &damask.Tag{AccountID: b.ID, Name: "Red"}))

	// Tags lists by name, with paging and total.
	all := []*damask.Tag{red}
	for _, name := range []string{"yellow", "blue", "alpha", "green"} {
		tg := &damask.Tag{AccountID: a.ID, Name: name}
		must(t, "CreateTag", s.CreateTag(ctx, tg))
		all = append(all, tg)
	}
	byName := []*damask.Tag{all[3], all[2], all[4], all[0], all[1]} // alpha blue green red yellow
	var pages []*damask.Tag
	for n := 1; n <= 3; n++ {
		got, total, err := s.Tags(ctx, a.ID, damask.Page{Number: n, Size: 2})
		must(t, "Tags", err)
		if total != 5 {
			t.Errorf("Tags page %d: total %d, want 5", n, total)
		}
		pages = append(pages, got...)
	}
	diff(t, "Tags, page by page", byName, pages)

	// AssetsCount counts assets outside the trash.
	one := newAsset(t, s, h, assetSpec{title: "one", tags: []string{"red", "blue"}})
	two := newAsset(t, s, h, assetSpec{title: "two", tags: []string{"Red"}})
	three := newAsset(t, s, h, assetSpec{title: "three", tags: []string{"red"}})
	must(t, "TrashAsset", s.TrashAsset(ctx, a.ID, three.ID, time.Now()))
	counts := map[string]int{"red": 2, "blue": 1, "alpha": 0}
	for name, want := range counts {
		tg, err := s.TagByName(ctx, a.ID, name)
		must(t, "TagByName", err)
		if tg.AssetsCount != want {
			t.Errorf("TagByName(%q).AssetsCount = %d, want %d", name, tg.AssetsCount, want)
		}
		tg, err = s.Tag(ctx, a.ID, tg.ID)
		must(t, "Tag", err)
		if tg.AssetsCount != want {
			t.Errorf("Tag(%q).AssetsCount = %d, want %d", name, tg.AssetsCount, want)
		}
	}
	list, _, err := s.Tags(ctx, a.ID, damask.Page{Number: 1, Size: 10})
	must(t, "Tags", err)
	for _, tg := range list {
		if want := counts[tg.Name]; tg.AssetsCount != want {
			t.Errorf("Tags: %q has AssetsCount %d, want %d", tg.Name, tg.AssetsCount, want)
		}
	}
	must(t, "RestoreAsset", s.RestoreAsset(ctx, a.ID, three.ID))
	if tg, err := s.Tag(ctx, a.ID, red.ID); err != nil || tg.AssetsCount != 3 {
		t.Errorf("Tag after RestoreAsset: %v, %v; want AssetsCount 3", tg, err)
	}

	// UpdateTag renames, refusing a taken name but not the tag's own.
	blue := all[2]
	blue.Name = "navy"
	must(t, "UpdateTag", s.UpdateTag(ctx, blue))
	if _, err := s.TagByName(ctx, a.ID, "blue"); damask.ErrorCode(err) != damask.ENOTFOUND {
		t.Errorf("TagByName of the old name: %v, want ENOTFOUND", err)
	}
	got, err = s.TagByName(ctx, a.ID, "navy")
	must(t, "TagByName of the new name", err)
	if got.ID != blue.ID || got.Name != "navy" || got.AssetsCount != 1 {
		t.Errorf("TagByName(navy) = %+v, want id %d with 1 asset", got, blue.ID)
	}
	oneNow, err := s.Asset(ctx, a.ID, one.ID)
	must(t, "Asset", err)
	diff(t, "tags of an asset after UpdateTag", []string{"navy", "red"}, tagNames(oneNow))
	blue.Name = "RED"
	wantCode(t, "UpdateTag to a taken name", s.UpdateTag(ctx, blue), damask.EINVALID, "Tag has already been taken")
	blue.Name = "Navy"
	must(t, "UpdateTag to its own name in another case", s.UpdateTag(ctx, blue))

	// DeleteTag takes the tag off its assets.
	must(t, "DeleteTag", s.DeleteTag(ctx, a.ID, red.ID))
	_, err = s.Tag(ctx, a.ID, red.ID)
	wantCode(t, "Tag after DeleteTag", err, damask.ENOTFOUND, "")
	wantCode(t, "DeleteTag again", s.DeleteTag(ctx, a.ID, red.ID), damask.ENOTFOUND, "")
	for _, tt := range []struct {
		asset *damask.Asset
		want  []string
	}{
		{one, []string{"Navy"}},
		{two, nil},
		{three, nil},
	} {
		got, err := s.Asset(ctx, a.ID, tt.asset.ID)
		must(t, "Asset", err)
		diff(t, "tags of "+tt.asset.Title+" after DeleteTag", tt.want, tagNames(got))
	}
	_, total, err := s.Tags(ctx, a.ID, damask.Page{Number: 1, Size: 10})
	must(t, "Tags", err)
	if total != 4 {
		t.Errorf("Tags after DeleteTag: total %d, want 4", total)
	}
}
