package library

import (
	"context"
	"fmt"
	"strconv"
	"strings"

	"damask"
)

// Bulk actions work on a damask.Selection: the ids ticked on a page, or
// every asset a search finds ("select all N results"). A search is
// resolved to ids here, once per action, as the caller may see the
// library (a guest limited to collections finds only theirs), in the
// order of the search, and at most MaxSelection of them: a search that
// finds more is refused whole (EINVALID), never cut short.

// selected resolves a selection to asset ids, in its order.
func (s *Service) selected(ctx context.Context, c Caller, sel damask.Selection) ([]int64, error) {
	if sel.Query == nil {
		if len(sel.IDs) == 0 {
			return nil, damask.Errorf(damask.EINVALID, "Select one or more assets first")
		}
		return sel.IDs, nil
	}
	q := AssetQuery{Query: sel.Query.Query, Tags: sel.Query.Tags, Sort: sel.Query.Sort,
		Page: damask.Page{Number: 1, Size: MaxSelection + 1}}
	f, ok, err := s.AssetFilter(ctx, c, q)
	if err != nil {
		return nil, err
	}
	if !ok {
		return nil, damask.Errorf(damask.EINVALID, "The search finds no assets to select")
	}
	var l *AssetList
	err = s.search(ctx, c, 1, func(ctx context.Context) error {
		if l, _, err = s.list(ctx, c, f); err != nil || len(l.Assets) >= l.Total || l.Total > MaxSelection {
			return err
		}
		// A store ranks by relevance only the newest of many matches
		// (a window): the selection is then all of them, newest first.
		f.Sort = "-created_on"
		l, _, err = s.list(ctx, c, f)
		return err
	})
	if err != nil {
		return nil, fmt.Errorf("resolve selection: %w", err)
	}
	switch {
	case len(l.Assets) > MaxSelection || l.Total > MaxSelection:
		return nil, damask.Errorf(damask.EINVALID, "The search finds %d assets, more than the %d one bulk action takes: narrow the search",
			max(l.Total, len(l.Assets)), MaxSelection)
	case len(l.Assets) == 0:
		return nil, damask.Errorf(damask.EINVALID, "The search finds no assets to select")
	}
	ids := make([]int64, len(l.Assets))
	for i, a := range l.Assets {
		ids[i] = a.ID
	}
	return ids, nil
}

// DeleteSelection moves the selected assets to the trash, as DeleteAssets,
// and says how many.
func (s *Service) DeleteSelection(ctx context.Context, c Caller, sel damask.Selection) (int, error) {
	if err := require(c, damask.RoleMember, "delete assets"); err != nil {
		return 0, err
	}
	ids, err := s.selected(ctx, c, sel)
	if err != nil {
		return 0, err
	}
	return len(ids), s.DeleteAssets(ctx, c, ids)
}

// TagSelection adds the tags of list to the selected assets, or with add
// false takes them off, as TagAssets, and says how many assets it chose.
func (s *Service) TagSelection(ctx context.Context, c Caller, sel damask.Selection, list string, add bool) (int, error) {
	if err := require(c, damask.RoleMember, "edit assets"); err != nil {
		return 0, err
	}
	ids, err := s.selected(ctx, c, sel)
	if err != nil {
		return 0, err
	}
	return len(ids), s.TagAssets(ctx, c, ids, list, add)
}

// ZipSelection hands the current files of the selected assets to add, as
// ZipFiles. A list of ids may name up to MaxZipFiles; a search, up to
// MaxSelection.
func (s *Service) ZipSelection(ctx context.Context, c Caller, sel damask.Selection, add func(*Download) error) error {
	if err := requireOriginals(c); err != nil {
		return err
	}
	ids := sel.IDs
	if sel.Query != nil || len(ids) == 0 {
		var err error
		if ids, err = s.selected(ctx, c, sel); err != nil {
			return err
		}
	}
	return s.ZipFiles(ctx, c, ids, add)
}

// CollectSelection makes a new collection (an ordered set) of the
// selected assets, in the selection's order, and says how many it holds.
func (s *Service) CollectSelection(ctx context.Context, c Caller, title string, sel damask.Selection) (*damask.Collection, int, error) {
	if err := require(c, damask.RoleMember, "make collections"); err != nil {
		return nil, 0, err
	}
	ids, err := s.selected(ctx, c, sel)
	if err != nil {
		return nil, 0, err
	}
	list := joinIDs(ids)
	col, _, err := s.CreateCollection(ctx, c, CollectionInput{Title: &title, AssetIDs: &list}, damask.IdempotencyKey{})
	return col, len(ids), err
}

func joinIDs(ids []int64) string {
	s := make([]string, len(ids))
	for i, id := range ids {
		s[i] = strconv.FormatInt(id, 10)
	}
	return strings.Join(s, ",")
}

// BulkEdit is one change of many assets; nil and "" leave a field alone.
type BulkEdit struct {
	// Title is a pattern: {n} is the asset's place in the selection
	// (from 1), {title} its title so far, {filename} the name of its
	// current file.
	Title *string
	// Description replaces each asset's description, or with
	// AppendDescription is added after it, on a new line.
	Description       *string
	AppendDescription bool
	// AddTags and RemoveTags are lists of tag names or ids, by commas.
	AddTags    string
	RemoveTags string
	// Path moves the assets to a folder (CleanPath).
	Path *string
}

// TitleFields are the placeholders of BulkEdit.Title.
const TitleFields = "{n}, {title}, {filename}"

// EditSelection changes the selected assets as e says, and says how
// many; members and above may. Every asset is read and every new value
// checked, as a single edit checks it (a title of at most 255
// characters, not blank; the tag limits), before any is written, so that
// a refused edit changes nothing. The stores have no transaction across
// assets: the writes then go one by one, and a write that fails (the
// store gone) leaves the ones before it done. Each edited asset gets an
// audit event.
func (s *Service) EditSelection(ctx context.Context, c Caller, sel damask.Selection, e BulkEdit) (int, error) {
	if err := require(c, damask.RoleMember, "edit assets"); err != nil {
		return 0, err
	}
	if e.Title != nil && strings.TrimSpace(*e.Title) == "" {
		e.Title = nil
	}
	if e.Description != nil && strings.TrimSpace(*e.Description) == "" {
		e.Description = nil
	}
	if e.Title == nil && e.Description == nil && e.Path == nil && strings.TrimSpace(e.AddTags) == "" && strings.TrimSpace(e.RemoveTags) == "" {
		return 0, damask.Errorf(damask.EINVALID, "Say what to change: a title, a description, tags or a folder")
	}
	ids, err := s.selected(ctx, c, sel)
	if err != nil {
		return 0, err
	}
	if err := selectionLimit(ids); err != nil {
		return 0, err
	}
	var add, remove []string
	if strings.TrimSpace(e.AddTags) != "" {
		if add, err = s.tagNames(ctx, c.Account.ID, e.AddTags); err != nil {
			return 0, err
		}
	}
	if strings.TrimSpace(e.RemoveTags) != "" {
		if remove, err = s.tagNames(ctx, c.Account.ID, e.RemoveTags); err != nil {
			return 0, err
		}
	}
	var folder string
	if e.Path != nil {
		if folder, err = CleanPath(*e.Path); err != nil {
			return 0, err
		}
	}
	type change struct {
		a      *damask.Asset
		tags   []string
		fields []string
	}
	changes := make([]change, 0, len(ids))
	seen := make(map[int64]bool, len(ids))
	for _, id := range ids {
		if seen[id] {
			continue
		}
		seen[id] = true
		a, err := s.asset(ctx, c, id)
		if err != nil {
			return 0, err
		}
		ch := change{a: a}
		if e.Title != nil {
			t := strings.NewReplacer("{n}", strconv.Itoa(len(changes)+1), "{title}", a.Title, "{filename}", a.Filename).Replace(*e.Title)
			if a.Title, err = required("Title", t, maxTitle); err != nil {
				return 0, damask.Errorf(damask.EINVALID, "%s (asset %d would be titled %.40q)", damask.ErrorMessage(err), id, t)
			}
			ch.fields = append(ch.fields, "title")
		}
		if e.Description != nil {
			d := *e.Description
			if e.AppendDescription && strings.TrimSpace(a.Description) != "" {
				d = a.Description + "\n" + d
			}
			if a.Description, err = text("Description", d, maxDescription, true); err != nil {
				return 0, damask.Errorf(damask.EINVALID, "%s (asset %d)", damask.ErrorMessage(err), id)
			}
			ch.fields = append(ch.fields, "description")
		}
		if e.Path != nil {
			a.Path = folder
			ch.fields = append(ch.fields, "folder")
		}
		if add != nil || remove != nil {
			tags, changed := []string(nil), false
			if add != nil {
				tags, changed = retagged(a, add, true)
			}
			if remove != nil {
				b := *a
				b.Tags = nil
				for _, name := range tagsOr(tags, a) {
					b.Tags = append(b.Tags, damask.Tag{Name: name})
				}
				var off bool
				tags, off = retagged(&b, remove, false)
				changed = changed || off
			}
			if changed {
				if len(tags) > MaxAssetTags {
					return 0, damask.Errorf(damask.EINVALID, "An asset carries at most %d tags; asset %d would carry %d", MaxAssetTags, id, len(tags))
				}
				ch.tags = tags
				ch.fields = append(ch.fields, "tags")
			}
		}
		changes = append(changes, ch)
	}
	for _, ch := range changes {
		if ch.tags == nil && len(ch.fields) == 0 {
			continue
		}
		if err := s.store.UpdateAsset(ctx, ch.a, ch.tags); err != nil {
			return 0, fmt.Errorf("bulk edit asset %d: %w", ch.a.ID, err)
		}
		s.record(ctx, c, damask.AuditAssetEdited, assetTarget(ch.a.ID), "bulk edit: "+strings.Join(ch.fields, ", "))
	}
	return len(changes), nil
}

// tagsOr is tags when set, else the names a carries.
func tagsOr(tags []string, a *damask.Asset) []string {
	if tags != nil {
		return tags
	}
	names := make([]string, len(a.Tags))
	for i, t := range a.Tags {
		names[i] = t.Name
	}
	return names
}

// Duplicates answers the assets of the caller's account outside the
// trash whose current file has the SHA-256 digest sum (64 hex digits), as
// the caller may see them: how an upload says that the library holds its
// file already. The store keeps one per file (the oldest), so the list
// holds at most one id. A digest that is not one is EMALFORMED.
func (s *Service) Duplicates(ctx context.Context, c Caller, sum string) ([]int64, error) {
	ids, err := s.heldDigests(ctx, c, sum)
	if err != nil {
		return nil, err
	}
	seen := []int64{}
	for _, id := range ids {
		switch err := s.seen(ctx, c, id); {
		case damask.ErrorCode(err) == damask.ENOTFOUND:
		case err != nil:
			return nil, err
		default:
			seen = append(seen, id)
		}
	}
	return seen, nil
}
