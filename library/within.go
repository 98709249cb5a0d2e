package library

import (
	"context"
	"fmt"
	"slices"

	"damask"
	"damask/search"
)

// A guest may be limited to collections (damask.User.CollectionsOnly):
// such a guest sees only the assets of those collections, on every route.
// The limit is read in one place, within; the store applies it to every
// list, search and count (damask.AssetFilter.Within, set by filter), and
// seen to every asset read by its id, so that an asset outside answers
// ENOTFOUND exactly as a missing one.

// within answers what the caller may see when limited to collections, nil
// when the caller sees the whole library. A collection deleted since is
// nothing; a saved search is resolved as a search's query is, so that it
// finds what it would find opened.
func (s *Service) within(ctx context.Context, c Caller) (*damask.Within, error) {
	u := c.User
	if u == nil || !u.CollectionsOnly || u.Role != damask.RoleGuest {
		return nil, nil
	}
	w := &damask.Within{}
	for _, id := range u.CollectionIDs {
		col, err := s.store.Collection(ctx, c.Account.ID, id)
		switch {
		case damask.ErrorCode(err) == damask.ENOTFOUND:
			continue
		case err != nil:
			return nil, fmt.Errorf("collections of user %d: %w", u.ID, err)
		case !col.IsSearch():
			w.CollectionIDs = append(w.CollectionIDs, id)
			continue
		}
		expr, err := search.Parse(col.Query)
		if err != nil || expr == nil {
			continue // a query the language no longer reads finds nothing
		}
		q, err := s.resolve(ctx, c.Account.ID, expr)
		if err != nil {
			return nil, err
		}
		w.Queries = append(w.Queries, q)
	}
	return w, nil
}

// seen answers ENOTFOUND when the caller is limited to collections and
// the asset id is not in them, as for an asset that does not exist; nil
// for an asset the caller may see, and for every caller not limited
// (without a read).
func (s *Service) seen(ctx context.Context, c Caller, id int64) error {
	w, err := s.within(ctx, c)
	if err != nil || w == nil {
		return err
	}
	_, n, err := s.store.Assets(ctx, damask.AssetFilter{AccountID: c.Account.ID, Within: w, IDs: []int64{id},
		Page: damask.Page{Number: 1, Size: 1}})
	if err != nil {
		return fmt.Errorf("asset %d within collections: %w", id, err)
	}
	if n == 0 {
		return damask.ErrNotFound
	}
	return nil
}

// asset finds an asset outside the trash that the caller may see.
func (s *Service) asset(ctx context.Context, c Caller, id int64) (*damask.Asset, error) {
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.seen(ctx, c, id); err != nil {
		return nil, err
	}
	return a, nil
}

// scopedTags answers the tags of the assets a caller limited to
// collections sees, by name, with the number of those assets each: the
// tags of the facets of everything w chooses (at most damask.FacetTags,
// the most used). A tag none of them carries is not shown.
func (s *Service) scopedTags(ctx context.Context, c Caller, w *damask.Within) ([]*damask.Tag, error) {
	fc, err := s.store.AssetFacets(ctx, damask.AssetFilter{AccountID: c.Account.ID, Within: w})
	if err != nil {
		return nil, fmt.Errorf("tags within collections: %w", err)
	}
	ts := make([]*damask.Tag, 0, len(fc.Tags))
	for _, tc := range fc.Tags {
		t := tc.Tag
		t.AssetsCount = tc.Count
		ts = append(ts, &t)
	}
	slices.SortFunc(ts, func(a, b *damask.Tag) int {
		if x, y := foldASCII(a.Name), foldASCII(b.Name); x != y {
			if x < y {
				return -1
			}
			return 1
		}
		return int(a.ID - b.ID)
	})
	return ts, nil
}

// mayOpen answers ENOTFOUND for a collection a caller limited to
// collections was not given, as for one that does not exist.
func mayOpen(c Caller, w *damask.Within, id int64) error {
	if w != nil && !slices.Contains(c.User.CollectionIDs, id) {
		return damask.ErrNotFound
	}
	return nil
}

// page cuts one page out of a whole list.
func page[T any](all []T, p damask.Page) []T {
	if p.Size <= 0 {
		return all
	}
	from := min(p.Offset(), len(all))
	return all[from:min(from+p.Size, len(all))]
}
