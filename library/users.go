package library

import (
	"context"
	"fmt"
	"slices"
	"strings"

	"damask"
	"damask/password"
)

// Users lists the users of the caller's account.
func (s *Service) Users(ctx context.Context, c Caller, p damask.Page) ([]*damask.User, int, error) {
	us, n, err := s.store.Users(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list users: %w", err)
	}
	return us, n, nil
}

// User finds a user of the caller's account.
func (s *Service) User(ctx context.Context, c Caller, id int64) (*damask.User, error) {
	return s.store.User(ctx, c.Account.ID, id)
}

// UserChanges are the fields of a user to set; nil leaves a field alone.
type UserChanges struct {
	Login     *string
	Email     *string
	FirstName *string
	LastName  *string
	Role      *string
	Password  *string
	Disabled  *bool
	// CollectionIDs limits a guest to the assets of these collections
	// (ids separated by commas); empty, the guest sees the whole library.
	CollectionIDs *string
	// TimeZone is the IANA name of the zone the pages show the user's
	// times in (LoadTimeZone); empty: none chosen.
	TimeZone *string
	// Language is the language of the user's pages, one of Languages;
	// empty: none chosen (the browser's).
	Language *string
}

// Languages are the languages the pages are written in, English first:
// the one that stands in for any other.
var Languages = []string{"en", "de"}

// CreateUser adds a user to the caller's account: holder and admins may,
// on plans with multiple users. The role defaults to member; there is one
// holder only.
func (s *Service) CreateUser(ctx context.Context, c Caller, ch UserChanges, key damask.IdempotencyKey) (*damask.User, bool, error) {
	if err := require(c, damask.RoleAdmin, "manage users"); err != nil {
		return nil, false, err
	}
	if !s.Plan(c.Account).MultipleUsers {
		return nil, false, damask.Errorf(damask.EFORBIDDEN, "The %s plan does not include multiple users", c.Account.Plan)
	}
	return once(ctx, s, c, key, damask.KindUser, func(r *damask.IdempotencyRecord) (*damask.User, error) {
		return s.store.User(ctx, c.Account.ID, r.ID)
	}, func(ctx context.Context) (*damask.User, error) {
		return s.createUser(ctx, c, ch)
	})
}

func (s *Service) createUser(ctx context.Context, c Caller, ch UserChanges) (*damask.User, error) {
	if ch.Login == nil || ch.Email == nil || ch.Password == nil {
		return nil, damask.Errorf(damask.EINVALID, "Login, email and password are required")
	}
	u := &damask.User{AccountID: c.Account.ID, Role: damask.RoleMember}
	if err := s.applyUser(c, u, ch); err != nil {
		return nil, err
	}
	if err := s.store.CreateUser(acting(ctx, c), u); err != nil {
		return nil, fmt.Errorf("create user: %w", err)
	}
	s.record(ctx, c, damask.AuditUserCreated, userTarget(u), "role "+string(u.Role))
	return u, nil
}

// UpdateUser changes a user of the caller's account. Everyone may change
// their own names, e-mail and password; holder and admins may change other
// users and roles, but nobody becomes holder this way and only the holder
// changes the holder. A new password ends the user's web sessions and
// revokes their API tokens.
func (s *Service) UpdateUser(ctx context.Context, c Caller, id int64, ch UserChanges) (*damask.User, error) {
	if err := writable(c); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	self := u.ID == c.User.ID
	if !self {
		if err := require(c, damask.RoleAdmin, "manage users"); err != nil {
			return nil, err
		}
		if u.Role == damask.RoleHolder {
			return nil, damask.Errorf(damask.EFORBIDDEN, "Only the account holder may change the holder")
		}
	}
	before := *u
	if err := s.applyUser(c, u, ch); err != nil {
		return nil, err
	}
	if err := s.store.UpdateUser(acting(ctx, c), u); err != nil {
		return nil, fmt.Errorf("update user %d: %w", id, err)
	}
	s.recordUser(ctx, c, &before, u)
	if err := s.afterPassword(ctx, c, &before, u); err != nil {
		return nil, err
	}
	return u, nil
}

// afterPassword revokes every live API token of a user whose password
// changed: a new password is what one sets when the old one may be
// known, and a token made with it must not outlive it. (The user's web
// sessions end by themselves: each carries a fingerprint of the password
// it began with, and ValidSession refuses it once the password changed.)
// Tokens made after the change are not touched.
func (s *Service) afterPassword(ctx context.Context, c Caller, before, after *damask.User) error {
	if before.PasswordHash == after.PasswordHash {
		return nil
	}
	ts, err := s.store.Tokens(ctx, after.AccountID, after.ID)
	if err != nil {
		return fmt.Errorf("revoke tokens of user %d: %w", after.ID, err)
	}
	now := s.now()
	for _, t := range ts {
		if !t.RevokedAt.IsZero() {
			continue
		}
		if _, err := s.store.RevokeToken(ctx, after.AccountID, after.ID, t.ID, now); err != nil {
			return fmt.Errorf("revoke token %d of user %d: %w", t.ID, after.ID, err)
		}
		s.record(ctx, c, damask.AuditTokenRevoked, tokenTarget(t), "password changed")
	}
	return nil
}

// recordUser writes the audit events of a change to a user.
func (s *Service) recordUser(ctx context.Context, c Caller, before, after *damask.User) {
	target := userTarget(after)
	switch {
	case before.Role != after.Role:
		s.record(ctx, c, damask.AuditRoleChanged, target, string(before.Role)+" -> "+string(after.Role))
	case before.Disabled != after.Disabled:
		s.record(ctx, c, damask.AuditUserChanged, target, map[bool]string{true: "disabled", false: "enabled"}[after.Disabled])
	}
	if before.PasswordHash != after.PasswordHash {
		s.record(ctx, c, damask.AuditPasswordSet, target, "")
	}
	if before.Login != after.Login || before.Email != after.Email {
		s.record(ctx, c, damask.AuditUserChanged, target, "login or e-mail changed")
	}
	if before.CollectionsOnly != after.CollectionsOnly || !slices.Equal(before.CollectionIDs, after.CollectionIDs) {
		detail := "sees the whole library"
		if after.CollectionsOnly {
			detail = fmt.Sprintf("limited to collections %v", after.CollectionIDs)
		}
		s.record(ctx, c, damask.AuditUserChanged, target, detail)
	}
}

// applyUser validates the changes and writes them into u. A caller signed
// in with a token may set neither passwords nor roles: a stolen token must
// not become the account, nor outlive its revocation.
func (s *Service) applyUser(c Caller, u *damask.User, ch UserChanges) error {
	if c.Token != nil {
		switch {
		case ch.Password != nil:
			return damask.Errorf(damask.EFORBIDDEN, "Tokens cannot set passwords: sign in with your password")
		case ch.Role != nil && damask.Role(*ch.Role) != u.Role:
			return damask.Errorf(damask.EFORBIDDEN, "Tokens cannot change roles: sign in with your password")
		case ch.CollectionIDs != nil:
			return damask.Errorf(damask.EFORBIDDEN, "Tokens cannot limit guests to collections: sign in with your password")
		}
	}
	var err error
	if ch.Login != nil {
		if u.Login, err = validLogin(*ch.Login); err != nil {
			return err
		}
	}
	if ch.Email != nil {
		if u.Email, err = validEmail(*ch.Email); err != nil {
			return err
		}
	}
	if ch.TimeZone != nil {
		u.TimeZone = *ch.TimeZone
		if u.TimeZone != "" {
			if _, err := LoadTimeZone(u.TimeZone); err != nil {
				return err
			}
		}
	}
	if ch.Language != nil {
		if *ch.Language != "" && !slices.Contains(Languages, *ch.Language) {
			return damask.Errorf(damask.EINVALID, "Language must be one of %s, or empty for the browser's", strings.Join(Languages, ", "))
		}
		u.Language = *ch.Language
	}
	if ch.FirstName != nil {
		if u.FirstName, err = text("First name", *ch.FirstName, maxName, false); err != nil {
			return err
		}
	}
	if ch.LastName != nil {
		if u.LastName, err = text("Last name", *ch.LastName, maxName, false); err != nil {
			return err
		}
	}
	if ch.Role != nil && damask.Role(*ch.Role) != u.Role {
		r, ok := damask.ParseRole(*ch.Role)
		if !ok {
			return damask.Errorf(damask.EINVALID, "Role must be one of admin, member, guest")
		}
		if err := require(c, damask.RoleAdmin, "change roles"); err != nil {
			return err
		}
		if r == damask.RoleHolder || u.Role == damask.RoleHolder {
			return damask.Errorf(damask.EFORBIDDEN, "An account has one holder; the role of holder cannot be given or taken")
		}
		u.Role = r
	}
	if u.Role != damask.RoleGuest {
		// Only guests are limited: a guest made member sees everything.
		u.CollectionsOnly, u.CollectionIDs = false, nil
	}
	if ch.CollectionIDs != nil {
		if err := limitGuest(c, u, *ch.CollectionIDs); err != nil {
			return err
		}
	}
	if ch.Disabled != nil && *ch.Disabled != u.Disabled {
		if err := require(c, damask.RoleAdmin, "disable users"); err != nil {
			return err
		}
		if u.Role == damask.RoleHolder {
			return damask.Errorf(damask.EFORBIDDEN, "The account holder cannot be disabled")
		}
		u.Disabled = *ch.Disabled
	}
	if ch.Password != nil {
		if err := validPassword(*ch.Password); err != nil {
			return err
		}
		if u.PasswordHash, err = password.Hash(*ch.Password, s.pwParams); err != nil {
			return err
		}
	}
	return nil
}

// limitGuest limits the guest u to the collections of list (ids), or with
// an empty list lifts the limit; holder and admins may. The store checks
// that the collections are the account's (EINVALID).
func limitGuest(c Caller, u *damask.User, list string) error {
	ids, err := parseIDs("collection_ids", list)
	if err != nil {
		return err
	}
	if len(ids) == 0 && !u.CollectionsOnly {
		return nil
	}
	if err := require(c, damask.RoleAdmin, "limit guests to collections"); err != nil {
		return err
	}
	if len(ids) > 0 && u.Role != damask.RoleGuest {
		return damask.Errorf(damask.EINVALID, "Only guests are limited to collections: %s is %s", u.Login, u.Role)
	}
	u.CollectionsOnly, u.CollectionIDs = len(ids) > 0, ids
	return nil
}

// DeleteUser removes a user of the caller's account: holder and admins
// may, never the holder, never themselves.
func (s *Service) DeleteUser(ctx context.Context, c Caller, id int64) (*damask.User, error) {
	if err := require(c, damask.RoleAdmin, "manage users"); err != nil {
		return nil, err
	}
	u, err := s.store.User(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	switch {
	case u.Role == damask.RoleHolder:
		return nil, damask.Errorf(damask.EFORBIDDEN, "The account holder cannot be deleted")
	case u.ID == c.User.ID:
		return nil, damask.Errorf(damask.EFORBIDDEN, "You cannot delete yourself")
	}
	if err := s.store.DeleteUser(acting(ctx, c), c.Account.ID, id); err != nil {
		return nil, fmt.Errorf("delete user %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditUserDeleted, userTarget(u), "")
	return u, nil
}

// operatorOn is the operator acting on the named account, with its
// holder's rights for the role checks (the event's source says
// operator).
func (s *Service) operatorOn(ctx context.Context, account string) (Caller, error) {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return Caller{}, fmt.Errorf("account %s: %w", account, err)
	}
	holder, err := s.store.User(ctx, a.ID, a.HolderID)
	if err != nil {
		return Caller{}, fmt.Errorf("account %s holder: %w", account, err)
	}
	op := operator(a)
	op.User = holder
	return op, nil
}

// AddUser is the operator's way to add a user to an account by name; it
// skips the role and plan checks a user would meet.
func (s *Service) AddUser(ctx context.Context, account string, ch UserChanges) (*damask.User, error) {
	op, err := s.operatorOn(ctx, account)
	if err != nil {
		return nil, err
	}
	return s.createUser(ctx, op, ch)
}

// ChangeUser is the operator's change of a user's names, e-mail or role,
// by account and login (or e-mail): the fields of ch that are set, checked
// as a user's own changes are; the role as the holder may change it.
func (s *Service) ChangeUser(ctx context.Context, account, login string, ch UserChanges) (*damask.User, error) {
	if ch.Password != nil || ch.Disabled != nil {
		return nil, damask.Errorf(damask.EINVALID, "Passwords and switching users off have commands of their own")
	}
	op, err := s.operatorOn(ctx, account)
	if err != nil {
		return nil, err
	}
	return s.operatorChange(ctx, account, login, func(u *damask.User) error { return s.applyUser(op, u, ch) })
}

// SetPassword is the operator's reset of a user's password, by account and
// login (or e-mail). The old password stops working at once, in cached
// credentials too, and so do the user's web sessions and API tokens.
func (s *Service) SetPassword(ctx context.Context, account, login, pw string) (*damask.User, error) {
	if err := validPassword(pw); err != nil {
		return nil, err
	}
	return s.operatorChange(ctx, account, login, func(u *damask.User) (err error) {
		u.PasswordHash, err = password.Hash(pw, s.pwParams)
		return err
	})
}

// SetDisabled is the operator's switch of a user, by account and login
// (or e-mail). A disabled user can neither sign in nor use a token, at
// once; the holder cannot be disabled.
func (s *Service) SetDisabled(ctx context.Context, account, login string, disabled bool) (*damask.User, error) {
	return s.operatorChange(ctx, account, login, func(u *damask.User) error {
		if disabled && u.Role == damask.RoleHolder {
			return damask.Errorf(damask.EFORBIDDEN, "The account holder cannot be disabled")
		}
		u.Disabled = disabled
		return nil
	})
}

// operatorChange applies change to a user and records it as the
// operator's.
func (s *Service) operatorChange(ctx context.Context, account, login string, change func(*damask.User) error) (*damask.User, error) {
	a, err := s.store.AccountByName(ctx, account)
	if err != nil {
		return nil, fmt.Errorf("account %s: %w", account, err)
	}
	u, err := s.store.UserByLogin(ctx, a.ID, login)
	if err != nil {
		return nil, fmt.Errorf("user %s: %w", login, err)
	}
	before := *u
	if err := change(u); err != nil {
		return nil, err
	}
	if err := s.store.UpdateUser(ctx, u); err != nil {
		return nil, fmt.Errorf("update user %d: %w", u.ID, err)
	}
	s.recordUser(ctx, operator(a), &before, u)
	if err := s.afterPassword(ctx, operator(a), &before, u); err != nil {
		return nil, err
	}
	return u, nil
}
