package library

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"

	"damask"
	"damask/search"
)

// CollectionInput are the fields of a collection's create or update, as
// a client wrote them; nil leaves a field alone. The lists of assets are
// ids separated by commas (or spaces). AssetIDs makes the assets of an
// ordered set exactly these, in this order; AddAssetIDs and
// RemoveAssetIDs change them (an update only). Query makes the collection
// a saved search; "" an ordered set.
type CollectionInput struct {
	Title          *string
	Description    *string
	Query          *string
	AssetIDs       *string
	AddAssetIDs    *string
	RemoveAssetIDs *string
}

// parseIDs reads a client's list of ids, separated by commas or spaces,
// in order. field names the list in the error (EINVALID) for anything but
// positive whole numbers, or more than MaxSelection of them.
func parseIDs(field, list string) ([]int64, error) {
	items := splitList(list)
	if len(items) > MaxSelection {
		return nil, damask.Errorf(damask.EINVALID, "%s names %d ids: at most %d at once", field, len(items), MaxSelection)
	}
	ids := make([]int64, 0, len(items))
	for _, it := range items {
		id, err := strconv.ParseInt(it, 10, 64)
		if err != nil || id <= 0 {
			return nil, damask.Errorf(damask.EINVALID, "%s must be ids separated by commas, not %q", field, truncateRunes(it, 32))
		}
		ids = append(ids, id)
	}
	return ids, nil
}

// parsedInput is a CollectionInput checked: its texts valid, its lists read.
type parsedInput struct {
	set, add, remove []int64
	setGiven         bool
}

// checkQuery checks a saved search's query by parsing it as a search
// would (EINVALID with the place of the trouble).
func checkQuery(q string) (string, error) {
	q, err := text("Query", q, search.MaxQueryLen, false)
	if err != nil {
		return "", err
	}
	if _, err := search.Parse(q); err != nil {
		var pe *search.Error
		if errors.As(err, &pe) {
			return "", damask.Errorf(damask.EINVALID, "query %s", pe.Error())
		}
		return "", damask.Errorf(damask.EINVALID, "query: %v", err)
	}
	return q, nil
}

// applyCollection sets the fields of in on col and reads its lists of
// assets, checking every rule but the assets' existence, which the store
// checks in the transaction that changes them.
func applyCollection(col *damask.Collection, in CollectionInput) (parsedInput, error) {
	var p parsedInput
	var err error
	if in.Title != nil {
		if col.Title, err = required("Title", *in.Title, maxTitle); err != nil {
			return p, err
		}
	}
	if in.Description != nil {
		if col.Description, err = text("Description", *in.Description, maxDescription, true); err != nil {
			return p, err
		}
	}
	if in.Query != nil {
		if col.Query, err = checkQuery(*in.Query); err != nil {
			return p, err
		}
	}
	if in.AssetIDs != nil {
		p.setGiven = true
		if p.set, err = parseIDs("asset_ids", *in.AssetIDs); err != nil {
			return p, err
		}
	}
	if in.AddAssetIDs != nil {
		if p.add, err = parseIDs("add_asset_ids", *in.AddAssetIDs); err != nil {
			return p, err
		}
	}
	if in.RemoveAssetIDs != nil {
		if p.remove, err = parseIDs("remove_asset_ids", *in.RemoveAssetIDs); err != nil {
			return p, err
		}
	}
	if p.setGiven && (len(p.add) > 0 || len(p.remove) > 0) {
		return p, damask.Errorf(damask.EINVALID, "Send asset_ids to replace the assets, or add_asset_ids and remove_asset_ids to change them, not both")
	}
	if col.Query != "" && (len(p.set) > 0 || len(p.add) > 0) {
		return p, damask.Errorf(damask.EINVALID, "A saved search finds its assets by its query: send asset_ids or a query, not both")
	}
	return p, nil
}

// Collections lists the collections of the caller's account by title;
// every role may read them. A saved search's AssetsCount is what its
// query finds now.
func (s *Service) Collections(ctx context.Context, c Caller, p damask.Page) ([]*damask.Collection, int, error) {
	w, err := s.within(ctx, c)
	if err != nil {
		return nil, 0, err
	}
	var cs []*damask.Collection
	var n int
	if w != nil {
		// A guest limited to collections sees those only.
		all, _, err := s.store.Collections(ctx, c.Account.ID, damask.Page{})
		if err != nil {
			return nil, 0, fmt.Errorf("list collections: %w", err)
		}
		all = slices.DeleteFunc(all, func(col *damask.Collection) bool { return mayOpen(c, w, col.ID) != nil })
		cs, n = page(all, p), len(all)
	} else if cs, n, err = s.store.Collections(ctx, c.Account.ID, p); err != nil {
		return nil, 0, fmt.Errorf("list collections: %w", err)
	}
	for _, col := range cs {
		if err := s.countSearch(ctx, c, col); err != nil {
			return nil, 0, err
		}
	}
	return cs, n, nil
}

// Collection finds a collection of the caller's account; every role may
// read it. Errors: ENOTFOUND.
func (s *Service) Collection(ctx context.Context, c Caller, id int64) (*damask.Collection, error) {
	col, err := s.openable(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return col, s.countSearch(ctx, c, col)
}

// openable finds a collection the caller may open: any of the account's,
// or for a guest limited to collections, one of theirs.
func (s *Service) openable(ctx context.Context, c Caller, id int64) (*damask.Collection, error) {
	w, err := s.within(ctx, c)
	if err != nil {
		return nil, err
	}
	if err := mayOpen(c, w, id); err != nil {
		return nil, err
	}
	return s.store.Collection(ctx, c.Account.ID, id)
}

// countSearch sets the AssetsCount of a saved search: what its query
// finds for the caller now (exact up to damask.ExactCount, an estimate
// above, as a list's total).
func (s *Service) countSearch(ctx context.Context, c Caller, col *damask.Collection) error {
	if !col.IsSearch() {
		return nil
	}
	l, err := s.Assets(ctx, c, AssetQuery{Query: col.Query, Page: damask.Page{Number: 1, Size: 1}})
	if err != nil {
		return fmt.Errorf("count collection %d: %w", col.ID, err)
	}
	col.AssetsCount = l.Total
	return nil
}

// CreateCollection makes a collection: an ordered set of the assets of
// in.AssetIDs, or a saved search of in.Query. Members and above may.
// Errors: EFORBIDDEN; EINVALID for a title missing or over 255
// characters, a query that does not parse, both asset ids and a query,
// more than MaxSelection ids in a list, an id that is not of an asset of
// the account outside the trash.
func (s *Service) CreateCollection(ctx context.Context, c Caller, in CollectionInput, key damask.IdempotencyKey) (*damask.Collection, bool, error) {
	if err := require(c, damask.RoleMember, "make collections"); err != nil {
		return nil, false, err
	}
	if in.Title == nil {
		empty := ""
		in.Title = &empty
	}
	if in.AddAssetIDs != nil || in.RemoveAssetIDs != nil {
		return nil, false, damask.Errorf(damask.EINVALID, "add_asset_ids and remove_asset_ids change a collection that exists: send asset_ids")
	}
	col := &damask.Collection{AccountID: c.Account.ID, UserID: c.User.ID}
	p, err := applyCollection(col, in)
	if err != nil {
		return nil, false, err
	}
	return once(ctx, s, c, key, damask.KindCollection, func(r *damask.IdempotencyRecord) (*damask.Collection, error) {
		return s.Collection(ctx, c, r.ID)
	}, func(ctx context.Context) (*damask.Collection, error) {
		if err := s.store.CreateCollection(ctx, col, p.set); err != nil {
			return nil, fmt.Errorf("create collection: %w", err)
		}
		s.record(ctx, c, damask.AuditCollectionCreated, collectionTarget(col.ID), col.Title)
		return col, s.countSearch(ctx, c, col)
	})
}

// UpdateCollection changes a collection: its title, description or
// query, and the assets of an ordered set (replaced by in.AssetIDs, or
// changed by in.RemoveAssetIDs and then in.AddAssetIDs). A query makes
// the collection a saved search, which holds no assets by hand; an empty
// query makes it an ordered set, empty until assets are given. Members
// and above may. Errors: those of CreateCollection, ENOTFOUND.
func (s *Service) UpdateCollection(ctx context.Context, c Caller, id int64, in CollectionInput) (*damask.Collection, error) {
	if err := require(c, damask.RoleMember, "change collections"); err != nil {
		return nil, err
	}
	col, err := s.store.Collection(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	before := *col
	p, err := applyCollection(col, in)
	if err != nil {
		return nil, err
	}
	ch := damask.CollectionChange{Remove: p.remove, Add: p.add}
	if p.setGiven {
		ch.Set = p.set
	}
	if err := s.store.UpdateCollection(ctx, col, ch); err != nil {
		return nil, fmt.Errorf("update collection %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditCollectionChanged, collectionTarget(id), collectionChanges(&before, col, ch))
	return col, s.countSearch(ctx, c, col)
}

// collectionChanges says what an update changed, for the audit log.
func collectionChanges(before, after *damask.Collection, ch damask.CollectionChange) string {
	var what []string
	if before.Title != after.Title {
		what = append(what, fmt.Sprintf("title %q", after.Title))
	}
	if before.Description != after.Description {
		what = append(what, "description")
	}
	if before.Query != after.Query {
		what = append(what, fmt.Sprintf("query %q", after.Query))
	}
	if ch.Set != nil {
		what = append(what, fmt.Sprintf("assets replaced (%d)", len(ch.Set)))
	}
	if len(ch.Add) > 0 {
		what = append(what, fmt.Sprintf("%d assets added", len(ch.Add)))
	}
	if len(ch.Remove) > 0 {
		what = append(what, fmt.Sprintf("%d assets removed", len(ch.Remove)))
	}
	if len(what) == 0 {
		return "nothing"
	}
	return strings.Join(what, ", ")
}

// DeleteCollection removes a collection; its assets stay in the library.
// Members and above may. Errors: EFORBIDDEN, ENOTFOUND.
func (s *Service) DeleteCollection(ctx context.Context, c Caller, id int64) (*damask.Collection, error) {
	if err := require(c, damask.RoleMember, "delete collections"); err != nil {
		return nil, err
	}
	col, err := s.store.Collection(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.DeleteCollection(ctx, c.Account.ID, id); err != nil {
		return nil, fmt.Errorf("delete collection %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditCollectionDeleted, collectionTarget(id), col.Title)
	return col, nil
}

func collectionTarget(id int64) string { return fmt.Sprintf("collection %d", id) }

// collectionOrder is the sort a cursor of an ordered set's list carries.
const collectionOrder = "position"

// CollectionAssets lists a page of a collection's assets, as Assets lists
// the library's: an ordered set's in its order (q.Sort must be empty),
// paged by number or by q.Cursor; a saved search's as its query finds them
// now, sorted as q.Sort says. Only q.Page, q.Cursor and q.Sort are read.
// Errors: ENOTFOUND for an unknown collection; those of Assets.
func (s *Service) CollectionAssets(ctx context.Context, c Caller, id int64, q AssetQuery) (*AssetList, error) {
	_, l, err := s.OpenCollection(ctx, c, id, q)
	return l, err
}

// OpenCollection answers a collection with a page of its assets, as
// CollectionAssets lists them: the collection's page of the web. A saved
// search's AssetsCount is the page's total.
func (s *Service) OpenCollection(ctx context.Context, c Caller, id int64, q AssetQuery) (*damask.Collection, *AssetList, error) {
	col, err := s.openable(ctx, c, id)
	if err != nil {
		return nil, nil, err
	}
	if col.IsSearch() {
		l, err := s.Assets(ctx, c, AssetQuery{Query: col.Query, Sort: q.Sort, Page: q.Page, Cursor: q.Cursor})
		if l != nil {
			col.AssetsCount = l.Total
		}
		return col, l, err
	}
	l, err := s.orderedAssets(ctx, c, id, q)
	return col, l, err
}

// orderedAssets lists a page of an ordered set's assets in its order.
func (s *Service) orderedAssets(ctx context.Context, c Caller, id int64, q AssetQuery) (*AssetList, error) {
	if q.Sort != "" {
		return nil, damask.Errorf(damask.EMALFORMED, "sort does not apply here: a collection lists its assets in its own order")
	}
	offset := q.Page.Offset()
	if q.Cursor != "" {
		after, err := readCursor(q.Cursor, collectionOrder)
		if err != nil {
			return nil, err
		}
		offset = after.Offset
	}
	var l *AssetList
	err := s.search(ctx, c, 1, func(ctx context.Context) error {
		as, total, err := s.store.CollectionAssets(ctx, c.Account.ID, id, offset, q.Page.Size)
		if err != nil {
			return fmt.Errorf("assets of collection %d: %w", id, err)
		}
		for i, a := range as {
			as[i] = shown(c, a)
		}
		l = &AssetList{Assets: as, Total: total}
		if len(as) > 0 && len(as) == q.Page.Size && offset+len(as) < total {
			l.Next = writeCursor(as[len(as)-1], collectionOrder, offset+len(as))
		}
		return nil
	})
	return l, err
}

// MoveCollectionAsset moves an asset of an ordered set by places (-1: one
// up, 1: one down), within its ends; members and above may. As a PUT
// with asset_ids, the move names every asset the set keeps: one in the
// trash leaves it. Errors: EFORBIDDEN; ENOTFOUND for an unknown
// collection; EINVALID for a saved search or an asset not in the set.
func (s *Service) MoveCollectionAsset(ctx context.Context, c Caller, id, assetID int64, by int) (*damask.Collection, error) {
	if err := require(c, damask.RoleMember, "change collections"); err != nil {
		return nil, err
	}
	col, err := s.store.Collection(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if col.IsSearch() {
		return nil, damask.Errorf(damask.EINVALID, "A saved search lists its assets in the order of its query")
	}
	as, _, err := s.store.CollectionAssets(ctx, c.Account.ID, id, 0, 0)
	if err != nil {
		return nil, fmt.Errorf("assets of collection %d: %w", id, err)
	}
	order := make([]int64, len(as))
	for i, a := range as {
		order[i] = a.ID
	}
	from := slices.Index(order, assetID)
	if from < 0 {
		return nil, damask.Errorf(damask.EINVALID, "Asset %d is not in this collection", assetID)
	}
	to := min(max(from+by, 0), len(order)-1)
	order = slices.Insert(slices.Delete(order, from, from+1), to, assetID)
	if err := s.store.UpdateCollection(ctx, col, damask.CollectionChange{Set: order}); err != nil {
		return nil, fmt.Errorf("update collection %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditCollectionChanged, collectionTarget(id), fmt.Sprintf("asset %d moved", assetID))
	return col, nil
}
