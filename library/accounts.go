package library

import (
	"context"
	"crypto/rand"
	"fmt"
	"strconv"
	"strings"

	"damask"
	"damask/password"
)

// DefaultAccount is the account that hosts without a subdomain select.
const DefaultAccount = "default"

// Account answers the caller's account with its figures.
func (s *Service) Account(ctx context.Context, c Caller) (*damask.Account, damask.AccountStats, error) {
	st, err := s.store.AccountStats(ctx, c.Account.ID)
	if err != nil {
		return nil, st, fmt.Errorf("account stats: %w", err)
	}
	return c.Account, st, nil
}

// AccountChanges are the fields of an account a holder may change; nil
// leaves a field alone.
type AccountChanges struct {
	CompanyName  *string
	BillingEmail *string
	Country      *string
	APIEnabled   *bool
	PublicLinks  *bool
	// PublicThumbnails turns the capability URLs of thumbnails and
	// previews on or off (damask.Account.PublicThumbnails).
	PublicThumbnails *bool
	KeywordsToTags   *bool
	// Plan is what the request says of the account's plan, which is the
	// operator's (SetPlan): what the plan already is passes, so that a
	// document sent back as it was read is a valid update, and anything
	// else is EFORBIDDEN.
	Plan []PlanSaid
}

// PlanSaid is one thing a request says of the account's plan: Of is
// "name", a property of damask.Plan by its JSON name ("versions",
// "storage_limit"), or a figure of the account's stats that the plan sets
// ("available_space", "available_bandwidth").
type PlanSaid struct {
	Of, Value string
}

// UpdateAccount changes the caller's account and answers it with its
// figures, as Account does. Only the holder may, and not its plan
// (EFORBIDDEN).
func (s *Service) UpdateAccount(ctx context.Context, c Caller, ch AccountChanges) (*damask.Account, damask.AccountStats, error) {
	if err := require(c, damask.RoleHolder, "change the account"); err != nil {
		return nil, damask.AccountStats{}, err
	}
	a := *c.Account
	p := s.Plan(&a)
	for _, said := range ch.Plan {
		if !planSays(p, said.Of, said.Value) {
			return nil, damask.AccountStats{}, damask.Errorf(damask.EFORBIDDEN, "The plan is the operator's to change, with its features and storage (%s): this account stays on the %s plan; ask the operator", said.Of, a.Plan)
		}
	}
	var err error
	if ch.CompanyName != nil {
		if a.CompanyName, err = text("Company name", *ch.CompanyName, maxName, false); err != nil {
			return nil, damask.AccountStats{}, err
		}
	}
	if ch.BillingEmail != nil {
		if a.BillingEmail, err = validEmail(*ch.BillingEmail); err != nil {
			return nil, damask.AccountStats{}, err
		}
	}
	if ch.Country != nil {
		if a.Country, err = text("Country", *ch.Country, maxName, false); err != nil {
			return nil, damask.AccountStats{}, err
		}
	}
	if ch.APIEnabled != nil {
		a.APIEnabled = *ch.APIEnabled
	}
	if ch.PublicLinks != nil {
		a.PublicLinks = *ch.PublicLinks
	}
	if ch.PublicThumbnails != nil {
		a.PublicThumbnails = *ch.PublicThumbnails
	}
	if ch.KeywordsToTags != nil {
		a.KeywordsToTags = *ch.KeywordsToTags
	}
	if err := s.store.UpdateAccount(ctx, &a); err != nil {
		return nil, damask.AccountStats{}, fmt.Errorf("update account %s: %w", a.Name, err)
	}
	s.recordAccount(ctx, c, c.Account, &a)
	c.Account = &a
	return s.Account(ctx, c)
}

// planSays tells whether value is what plan p has of key (PlanSaid.Of);
// a key p does not have is never so.
func planSays(p damask.Plan, key, value string) bool {
	value = strings.TrimSpace(value)
	is := func(b bool) bool { v, err := strconv.ParseBool(value); return err == nil && v == b }
	switch key {
	case "name":
		return value == p.Name
	case "ssl":
		return is(p.SSL)
	case "stages":
		return is(p.Stages)
	case "multiple_users":
		return is(p.MultipleUsers)
	case "versions":
		return is(p.Versions)
	case "branding":
		return is(p.Branding)
	case "full_text_search":
		return is(p.FullTextSearch)
	case "storage_limit":
		return value == strconv.FormatInt(p.StorageLimit, 10)
	case "bandwidth", "available_bandwidth":
		return value == strconv.FormatInt(p.Bandwidth, 10)
	case "available_space":
		// The document's figure: what the plan's storage leaves free, 0
		// without a limit. It falls as files come, so a document read
		// earlier may say more than is free now, never more than the
		// plan holds.
		n, err := strconv.ParseInt(value, 10, 64)
		return err == nil && n >= 0 && n <= p.StorageLimit
	}
	return false
}

// recordAccount writes the audit events of a change to an account.
func (s *Service) recordAccount(ctx context.Context, c Caller, before, after *damask.Account) {
	target := "account " + after.Name
	if before.APIEnabled != after.APIEnabled {
		s.record(ctx, c, damask.AuditAPISwitched, target, map[bool]string{true: "API on", false: "API off"}[after.APIEnabled])
	}
	if before.Plan != after.Plan {
		s.record(ctx, c, damask.AuditPlanChanged, target, before.Plan+" -> "+after.Plan)
	}
	if before.CompanyName != after.CompanyName || before.BillingEmail != after.BillingEmail ||
		before.Country != after.Country || before.PublicLinks != after.PublicLinks ||
		before.KeywordsToTags != after.KeywordsToTags || before.PublicThumbnails != after.PublicThumbnails {
		s.record(ctx, c, damask.AuditAccountChange, target, "")
	}
}

// NewAccount describes an account an operator creates.
type NewAccount struct {
	Name        string
	Plan        string
	HolderLogin string
	HolderEmail string
	// The holder's names, which may be empty.
	HolderFirstName string
	HolderLastName  string
	Password        string
	CompanyName     string
	APIEnabled      bool
}

// CreateAccount makes an account and its holder. It is the operator's, not
// a user's: the command line calls it.
func (s *Service) CreateAccount(ctx context.Context, n NewAccount) (*damask.Account, *damask.User, error) {
	if err := ValidAccountName(n.Name); err != nil {
		return nil, nil, err
	}
	if n.Plan == "" {
		n.Plan = "basic"
	}
	if _, ok := s.plans[n.Plan]; !ok {
		return nil, nil, damask.Errorf(damask.EINVALID, "Plan %q does not exist", n.Plan)
	}
	login, err := validLogin(n.HolderLogin)
	if err != nil {
		return nil, nil, err
	}
	email, err := validEmail(n.HolderEmail)
	if err != nil {
		return nil, nil, err
	}
	first, err := text("First name", n.HolderFirstName, maxName, false)
	if err != nil {
		return nil, nil, err
	}
	last, err := text("Last name", n.HolderLastName, maxName, false)
	if err != nil {
		return nil, nil, err
	}
	if err := validPassword(n.Password); err != nil {
		return nil, nil, err
	}
	hash, err := password.Hash(n.Password, s.pwParams)
	if err != nil {
		return nil, nil, err
	}
	company := n.CompanyName
	if company == "" {
		company = n.Name
	}
	a := &damask.Account{Name: n.Name, CompanyName: company, BillingEmail: email, Plan: n.Plan,
		APIEnabled: n.APIEnabled, PublicLinks: true, PublicThumbnails: true, KeywordsToTags: true}
	u := &damask.User{Login: login, Email: email, FirstName: first, LastName: last, Role: damask.RoleHolder, PasswordHash: hash}
	if err := s.store.CreateAccount(ctx, a, u); err != nil {
		return nil, nil, fmt.Errorf("create account %s: %w", n.Name, err)
	}
	return a, u, nil
}

// EnsureDefault creates the default account (plan deluxe, API off) with its
// holder admin when the store has no account at all. It answers the
// holder's password when it had to make one up, so that it can be shown
// once; adminPassword, when not empty, is used instead.
func (s *Service) EnsureDefault(ctx context.Context, adminPassword string) (created bool, generated string, err error) {
	return s.EnsureDefaultAdmin(ctx, DefaultAdmin{Password: adminPassword})
}

// DefaultAdmin is what the operator tells of the default account's holder
// on the first start (DAMASK_ADMIN_PASSWORD, DAMASK_ADMIN_NAME).
type DefaultAdmin struct {
	Password string // "": one is made up
	Name     string // the full name, split by SplitName; may be empty
}

// SplitName splits a full name as the first start does: the first word is
// the first name, the rest (its spaces made single) the last name.
func SplitName(full string) (first, last string) {
	words := strings.Fields(full)
	if len(words) == 0 {
		return "", ""
	}
	return words[0], strings.Join(words[1:], " ")
}

// EnsureDefaultAdmin is EnsureDefault with the holder's name as well.
func (s *Service) EnsureDefaultAdmin(ctx context.Context, admin DefaultAdmin) (created bool, generated string, err error) {
	adminPassword := admin.Password
	first, last := SplitName(admin.Name)
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return false, "", fmt.Errorf("list accounts: %w", err)
	}
	if len(accounts) > 0 {
		return false, "", nil
	}
	pw := adminPassword
	if pw == "" {
		pw = rand.Text()
		generated = pw
	}
	plan := "deluxe"
	if _, ok := s.plans[plan]; !ok {
		plan = s.plans.Names()[len(s.plans)-1]
	}
	_, _, err = s.CreateAccount(ctx, NewAccount{Name: DefaultAccount, Plan: plan, HolderLogin: "admin",
		HolderEmail: "admin@localhost.localdomain", HolderFirstName: first, HolderLastName: last,
		Password: pw, CompanyName: "Damask"})
	if err != nil {
		return false, "", err
	}
	return true, generated, nil
}

// SetAPI switches an account's API on or off (the operator's command).
func (s *Service) SetAPI(ctx context.Context, name string, on bool) error {
	return s.changeAccount(ctx, name, func(a *damask.Account) error {
		a.APIEnabled = on
		return nil
	})
}

// SetPlan moves an account to another plan (the operator's command).
func (s *Service) SetPlan(ctx context.Context, name, plan string) error {
	return s.changeAccount(ctx, name, func(a *damask.Account) error {
		if _, ok := s.plans[plan]; !ok {
			return damask.Errorf(damask.EINVALID, "Plan %q does not exist (plans: %v)", plan, s.plans.Names())
		}
		a.Plan = plan
		return nil
	})
}

func (s *Service) changeAccount(ctx context.Context, name string, change func(*damask.Account) error) error {
	a, err := s.store.AccountByName(ctx, name)
	if err != nil {
		return fmt.Errorf("account %s: %w", name, err)
	}
	before := *a
	if err := change(a); err != nil {
		return err
	}
	if err := s.store.UpdateAccount(ctx, a); err != nil {
		return fmt.Errorf("update account %s: %w", name, err)
	}
	s.recordAccount(ctx, operator(a), &before, a)
	return nil
}
