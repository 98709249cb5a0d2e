package library

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"damask"
)

// Tags lists the tags of the caller's account by name.
func (s *Service) Tags(ctx context.Context, c Caller, p damask.Page) ([]*damask.Tag, int, error) {
	ts, n, err := s.store.Tags(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list tags: %w", err)
	}
	return ts, n, nil
}

// Tag finds a tag of the caller's account.
func (s *Service) Tag(ctx context.Context, c Caller, id int64) (*damask.Tag, error) {
	return s.store.Tag(ctx, c.Account.ID, id)
}

func validTag(name string) (string, error) {
	name, err := required("Tag", name, maxTag)
	if err == nil && strings.Contains(name, ",") {
		err = damask.Errorf(damask.EINVALID, "Tag may not hold commas: they separate tags in lists")
	}
	return name, err
}

// CreateTag adds a tag; holder and admins may.
func (s *Service) CreateTag(ctx context.Context, c Caller, name string) (*damask.Tag, error) {
	if err := require(c, damask.RoleAdmin, "manage tags"); err != nil {
		return nil, err
	}
	name, err := validTag(name)
	if err != nil {
		return nil, err
	}
	return once(ctx, s, c, damask.KindTag, func(r *damask.IdempotencyRecord) (*damask.Tag, error) {
		return s.store.Tag(ctx, c.Account.ID, r.ID)
	}, func() (*damask.Tag, error) {
		t := &damask.Tag{AccountID: c.Account.ID, Name: name}
		if err := s.store.CreateTag(ctx, t); err != nil {
			return nil, fmt.Errorf("create tag: %w", err)
		}
		return t, nil
	})
}

// RenameTag renames a tag; holder and admins may.
func (s *Service) RenameTag(ctx context.Context, c Caller, id int64, name string) (*damask.Tag, error) {
	if err := require(c, damask.RoleAdmin, "manage tags"); err != nil {
		return nil, err
	}
	t, err := s.store.Tag(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if t.Name, err = validTag(name); err != nil {
		return nil, err
	}
	if err := s.store.UpdateTag(ctx, t); err != nil {
		return nil, fmt.Errorf("rename tag %d: %w", id, err)
	}
	return t, nil
}

// DeleteTag removes a tag from the account and from every asset; holder
// and admins may.
func (s *Service) DeleteTag(ctx context.Context, c Caller, id int64) (*damask.Tag, error) {
	if err := require(c, damask.RoleAdmin, "manage tags"); err != nil {
		return nil, err
	}
	t, err := s.store.Tag(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteTag(ctx, c.Account.ID, id); err != nil {
		return nil, fmt.Errorf("delete tag %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditTagDeleted, fmt.Sprintf("tag %d", id), t.Name)
	return t, nil
}

// resolveTags turns a client's list of tags (names or ids) into tags of the
// account. A number that is the id of one of the account's tags stands for
// that tag; anything else is a name. Names the account lacks are answered
// in missing.
func (s *Service) resolveTags(ctx context.Context, accountID int64, list string) (found []*damask.Tag, missing []string, err error) {
	for _, item := range splitList(list) {
		var t *damask.Tag
		if id, perr := strconv.ParseInt(item, 10, 64); perr == nil {
			t, err = s.store.Tag(ctx, accountID, id)
		}
		if t == nil {
			t, err = s.store.TagByName(ctx, accountID, item)
		}
		switch {
		case err == nil:
			found = append(found, t)
		case damask.ErrorCode(err) == damask.ENOTFOUND:
			missing = append(missing, item)
		default:
			return nil, nil, fmt.Errorf("resolve tag %q: %w", item, err)
		}
	}
	return found, missing, nil
}

// tagNames turns a client's list of tags (names or ids) into the names an
// asset is to carry, checking new names.
func (s *Service) tagNames(ctx context.Context, accountID int64, list string) ([]string, error) {
	if !validUTF8(list) {
		return nil, damask.Errorf(damask.EINVALID, "Tags are not valid UTF-8")
	}
	found, missing, err := s.resolveTags(ctx, accountID, list)
	if err != nil {
		return nil, err
	}
	names := make([]string, 0, len(found)+len(missing))
	for _, t := range found {
		names = append(names, t.Name)
	}
	for _, n := range missing {
		n, err := validTag(n)
		if err != nil {
			return nil, err
		}
		names = append(names, n)
	}
	return names, nil
}
