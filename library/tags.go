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
	w, err := s.within(ctx, c)
	if err != nil {
		return nil, 0, err
	}
	if w != nil {
		ts, err := s.scopedTags(ctx, c, w)
		if err != nil {
			return nil, 0, err
		}
		return page(ts, p), len(ts), nil
	}
	ts, n, err := s.store.Tags(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list tags: %w", err)
	}
	return ts, n, nil
}

// Tag finds a tag of the caller's account; for a caller limited to
// collections, a tag of the assets they see, counting those.
func (s *Service) Tag(ctx context.Context, c Caller, id int64) (*damask.Tag, error) {
	w, err := s.within(ctx, c)
	if err != nil || w == nil {
		if err == nil {
			return s.store.Tag(ctx, c.Account.ID, id)
		}
		return nil, err
	}
	ts, err := s.scopedTags(ctx, c, w)
	if err != nil {
		return nil, err
	}
	for _, t := range ts {
		if t.ID == id {
			return t, nil
		}
	}
	return nil, damask.ErrNotFound
}

func validTag(name string) (string, error) {
	name, err := required("Tag", name, maxTag)
	if err == nil && strings.Contains(name, ",") {
		err = damask.Errorf(damask.EINVALID, "Tag may not hold commas: they separate tags in lists")
	}
	return name, err
}

// CreateTag adds a tag; holder and admins may.
func (s *Service) CreateTag(ctx context.Context, c Caller, name string, key damask.IdempotencyKey) (*damask.Tag, bool, error) {
	if err := require(c, damask.RoleAdmin, "manage tags"); err != nil {
		return nil, false, err
	}
	name, err := validTag(name)
	if err != nil {
		return nil, false, err
	}
	return once(ctx, s, c, key, damask.KindTag, func(r *damask.IdempotencyRecord) (*damask.Tag, error) {
		return s.store.Tag(ctx, c.Account.ID, r.ID)
	}, func(ctx context.Context) (*damask.Tag, error) {
		t := &damask.Tag{AccountID: c.Account.ID, Name: name}
		if err := s.store.CreateTag(acting(ctx, c), t); err != nil {
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
	if err := s.store.UpdateTag(acting(ctx, c), t); err != nil {
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
	if err := s.store.DeleteTag(acting(ctx, c), c.Account.ID, id); err != nil {
		return nil, fmt.Errorf("delete tag %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditTagDeleted, fmt.Sprintf("tag %d", id), t.Name)
	return t, nil
}

// resolveTags turns the items of a client's list of tags (names or ids)
// into tags of the account. A number that is the id of one of the
// account's tags stands for that tag; anything else is a name. Names the
// account lacks are answered in missing.
func (s *Service) resolveTags(ctx context.Context, accountID int64, items []string) (found []*damask.Tag, missing []string, err error) {
	for _, item := range items {
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

// Limits of tags, so that one request cannot make thousands: an asset
// carries at most MaxAssetTags tags, and one request makes at most
// MaxNewTags new ones. A file's keywords, when they become tags, add at
// most maxKeywordTags more.
const (
	MaxAssetTags = 100
	MaxNewTags   = 100
)

// tagNames turns a client's list of tags (names or ids) into the names an
// asset is to carry, each once, checking new names and the limits before
// anything is made.
func (s *Service) tagNames(ctx context.Context, accountID int64, list string) ([]string, error) {
	if !validUTF8(list) {
		return nil, damask.Errorf(damask.EINVALID, "Tags are not valid UTF-8")
	}
	items := distinctTags(splitList(list))
	if len(items) > MaxAssetTags {
		return nil, damask.Errorf(damask.EINVALID, "An asset carries at most %d tags; this list names %d", MaxAssetTags, len(items))
	}
	found, missing, err := s.resolveTags(ctx, accountID, items)
	if err != nil {
		return nil, err
	}
	created := make([]string, 0, len(missing))
	for _, n := range missing {
		n, err := validTag(n)
		if err != nil {
			return nil, err
		}
		created = append(created, n)
	}
	if created = distinctTags(created); len(created) > MaxNewTags {
		return nil, damask.Errorf(damask.EINVALID, "One request makes at most %d new tags; this one would make %d", MaxNewTags, len(created))
	}
	names := make([]string, 0, len(found)+len(created))
	for _, t := range found {
		names = append(names, t.Name)
	}
	// An id and a name may be the same tag.
	return distinctTags(append(names, created...)), nil
}

// distinctTags keeps the first of the names that are one tag: the same
// without regard to the case of ASCII letters, as both stores compare
// them at least.
func distinctTags(names []string) []string {
	seen := make(map[string]bool, len(names))
	out := names[:0:0]
	for _, n := range names {
		k := foldASCII(n)
		if !seen[k] {
			seen[k] = true
			out = append(out, n)
		}
	}
	return out
}

func foldASCII(s string) string {
	return strings.Map(func(r rune) rune {
		if 'A' <= r && r <= 'Z' {
			return r + 'a' - 'A'
		}
		return r
	}, s)
}

// TagAssets adds the tags of list (names or ids, separated by commas) to
// each of the assets, or with add false takes them off; members and above
// may. Every asset is read and checked before any is changed, so that a
// list over the limits (EINVALID: more than MaxAssetTags tags on an asset,
// more than MaxNewTags new ones) changes nothing; an asset that already is
// as asked is left alone.
func (s *Service) TagAssets(ctx context.Context, c Caller, ids []int64, list string, add bool) error {
	if err := require(c, damask.RoleMember, "edit assets"); err != nil {
		return err
	}
	if err := selectionLimit(ids); err != nil {
		return err
	}
	if !strings.Contains(list, ",") {
		list += "," // one name with spaces stays one name
	}
	names, err := s.tagNames(ctx, c.Account.ID, list)
	if err != nil {
		return err
	}
	if len(names) == 0 {
		return damask.Errorf(damask.EINVALID, "Type the tags to add or remove")
	}
	type change struct {
		a    *damask.Asset
		tags []string
	}
	var changes []change
	for _, id := range ids {
		a, err := s.store.Asset(ctx, c.Account.ID, id)
		if err != nil {
			return err
		}
		if tags, changed := retagged(a, names, add); changed {
			if len(tags) > MaxAssetTags {
				return damask.Errorf(damask.EINVALID, "An asset carries at most %d tags; asset %d would carry %d", MaxAssetTags, id, len(tags))
			}
			changes = append(changes, change{a, tags})
		}
	}
	for _, ch := range changes {
		if err := s.store.UpdateAsset(acting(ctx, c), ch.a, ch.tags); err != nil {
			return fmt.Errorf("tag asset %d: %w", ch.a.ID, err)
		}
	}
	return nil
}

// retagged is the asset's tag names with names added or taken off, and
// whether that changes them.
func retagged(a *damask.Asset, names []string, add bool) (tags []string, changed bool) {
	listed := make(map[string]bool, len(names))
	for _, n := range names {
		listed[foldASCII(n)] = true
	}
	for _, t := range a.Tags {
		k := foldASCII(t.Name)
		if listed[k] {
			if !add {
				changed = true
				continue
			}
			delete(listed, k) // carried already
		}
		tags = append(tags, t.Name)
	}
	if add {
		for _, n := range names {
			if listed[foldASCII(n)] {
				tags, changed = append(tags, n), true
			}
		}
	}
	if tags == nil {
		tags = []string{} // none: every tag was taken off
	}
	return tags, changed
}
