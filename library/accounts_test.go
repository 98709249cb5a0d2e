package library_test

import (
	"context"
	"testing"

	"damask"
	"damask/library"
)

// TestUpdateAccountPlan: the holder's update may say of the plan only
// what it is (a document sent back); anything else is EFORBIDDEN and
// nothing of the update is made. The operator's SetPlan moves the account.
func TestUpdateAccountPlan(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, nil)
	a, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", Plan: "basic", HolderLogin: "boss",
		HolderEmail: "boss@acme.test", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	c := library.Caller{Account: a, User: holder}
	renamed := "Renamed"
	for _, said := range [][]library.PlanSaid{
		{{Of: "name", Value: "deluxe"}},
		{{Of: "name", Value: "Basic"}},
		{{Of: "name", Value: ""}},
		{{Of: "name", Value: "basic"}, {Of: "versions", Value: "true"}},
		{{Of: "multiple_users", Value: "1"}},
		{{Of: "storage_limit", Value: "0"}},
		{{Of: "storage_limit", Value: "1073741824"}, {Of: "storage_limit", Value: "0"}},
		{{Of: "bandwidth", Value: "0"}},
		{{Of: "available_space", Value: "1073741825"}},
		{{Of: "available_space", Value: "-1"}},
		{{Of: "available_bandwidth", Value: "0"}},
		{{Of: "quota", Value: ""}},
	} {
		_, _, err := svc.UpdateAccount(ctx, c, library.AccountChanges{CompanyName: &renamed, Plan: said})
		if damask.ErrorCode(err) != damask.EFORBIDDEN {
			t.Errorf("%v: %v, want EFORBIDDEN", said, err)
		}
	}
	if got, err := svc.AccountByName(ctx, "acme"); err != nil || got.Plan != "basic" || got.CompanyName == renamed {
		t.Fatalf("after refused updates: %+v, %v", got, err)
	}
	// What the basic plan is, as its document says it.
	same := []library.PlanSaid{{Of: "name", Value: "basic"}, {Of: "versions", Value: "false"}, {Of: "ssl", Value: "false"},
		{Of: "storage_limit", Value: "1073741824"}, {Of: "bandwidth", Value: "10737418240"},
		{Of: "available_space", Value: "1073741824"}, {Of: "available_space", Value: "0"},
		{Of: "available_bandwidth", Value: "10737418240"}}
	got, _, err := svc.UpdateAccount(ctx, c, library.AccountChanges{CompanyName: &renamed, Plan: same})
	if err != nil || got.Plan != "basic" || got.CompanyName != renamed {
		t.Fatalf("a document sent back: %+v, %v", got, err)
	}
	if err := svc.SetPlan(ctx, "acme", "pro"); err != nil {
		t.Fatal(err)
	}
	if got, _ := svc.AccountByName(ctx, "acme"); got.Plan != "pro" {
		t.Errorf("after SetPlan: plan %s", got.Plan)
	}
}

// TestAccountByHost: one account whatever the spelling of its host; names
// that only look like it are another host.
func TestAccountByHost(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, nil)
	for _, name := range []string{"default", "acme"} {
		if _, _, err := svc.CreateAccount(ctx, library.NewAccount{Name: name, HolderLogin: "boss",
			HolderEmail: "boss@" + name + ".test", Password: "a long password"}); err != nil {
			t.Fatal(err)
		}
	}
	for host, want := range map[string]string{
		"acme.example.com":       "acme",
		"ACME.Example.com":       "acme",
		"acme.example.com.":      "acme",
		"Acme.Example.Com.:8080": "acme",
		"acme.example.com.evil":  "default",
		"acme.example.com..":     "default",
		"example.com.":           "default",
		"127.0.0.1:8080":         "default",
		"[::1]:8080":             "default",
		"evil.acme.example.com":  "",
	} {
		a, err := svc.AccountByHost(ctx, host, "Example.COM.")
		switch {
		case want == "" && damask.ErrorCode(err) != damask.ENOTFOUND:
			t.Errorf("%s: %v, %v; want ENOTFOUND", host, a, err)
		case want != "" && (err != nil || a.Name != want):
			t.Errorf("%s: %v, %v; want %s", host, a, err, want)
		}
	}
}

// TestSplitName: DAMASK_ADMIN_NAME's first word is the first name, the
// rest the last name, with single spaces.
func TestSplitName(t *testing.T) {
	for _, tt := range []struct{ full, first, last string }{
		{"", "", ""},
		{"   ", "", ""},
		{"Grace", "Grace", ""},
		{"Grace Hopper", "Grace", "Hopper"},
		{" Ludwig  van \t Beethoven ", "Ludwig", "van Beethoven"},
		{"Zoë Ærøskøbing", "Zoë", "Ærøskøbing"},
	} {
		first, last := library.SplitName(tt.full)
		if first != tt.first || last != tt.last {
			t.Errorf("SplitName(%q) = %q, %q; want %q, %q", tt.full, first, last, tt.first, tt.last)
		}
	}
}

// TestCreateAccountHolderNames: the holder's names are checked as a
// user's own are.
func TestCreateAccountHolderNames(t *testing.T) {
	ctx := context.Background()
	svc, _ := newService(t, nil)
	_, holder, err := svc.CreateAccount(ctx, library.NewAccount{Name: "acme", HolderLogin: "boss", HolderEmail: "boss@acme.test",
		HolderFirstName: " Grace ", HolderLastName: "Hopper", Password: "a long password"})
	if err != nil {
		t.Fatal(err)
	}
	if holder.FirstName != "Grace" || holder.LastName != "Hopper" {
		t.Errorf("holder named %q %q, want Grace Hopper", holder.FirstName, holder.LastName)
	}
	_, _, err = svc.CreateAccount(ctx, library.NewAccount{Name: "globex", HolderLogin: "boss", HolderEmail: "boss@globex.test",
		HolderFirstName: "G\x00", Password: "a long password"})
	if damask.ErrorCode(err) != damask.EINVALID {
		t.Errorf("a first name with a control character: %v, want EINVALID", err)
	}
}
