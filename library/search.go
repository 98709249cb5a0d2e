package library

import (
	"context"
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"strings"
	"time"

	"damask"
	"damask/search"
)

// AssetQuery is a client's list or search request.
type AssetQuery struct {
	Query  string // in the language of package search
	Tags   string // tag names or ids, all required
	Sort   string // created_on, updated_on, title, size or relevance; "-" for descending
	Page   damask.Page
	Cursor string // from a previous answer's Next: keyset paging, Page.Number ignored
	// SHA256 limits the list to the assets whose current file has one of
	// these digests (64 hex digits each, comma separated, at most
	// MaxDigests): how a client asks which of its files the library holds,
	// at a cost that does not grow with the library.
	SHA256 string
}

// MaxDigests bounds the digests of AssetQuery.SHA256.
const MaxDigests = 100

// AssetList is a page of a list or search.
type AssetList struct {
	Assets []*damask.Asset
	Total  int
	// Approximate tells that Total is an estimate (above damask.ExactCount).
	Approximate bool
	// Next is the cursor of the page after this one, "" on the last.
	Next string
	// Fallback is FallbackMostWords when no asset matched all the words of
	// the query and the list holds those that match most of them instead
	// (see FallbackFilter); "" for a list that matches the query.
	Fallback string
}

// FallbackMostWords is AssetList.Fallback of a forgiving search.
const FallbackMostWords = "most-words"

var sorts = map[string]bool{"created_on": true, "updated_on": true, "title": true, "size": true, "relevance": true}

// maxTagsParam bounds the tags parameter, to keep a hostile one cheap.
const maxTagsParam = 1000

// Assets lists the assets of the caller's account that the query chooses.
// A query that cannot be parsed is EINVALID with the place of the trouble;
// one that runs past Options.SearchTimeout (waiting its turn among
// Options.MaxSearches included) is EINVALID too, and ETHROTTLED answers a
// user who runs Options.MaxSearchesPerUser searches already.
func (s *Service) Assets(ctx context.Context, c Caller, q AssetQuery) (*AssetList, error) {
	f, ok, err := s.AssetFilter(ctx, c, q)
	if err != nil || !ok {
		return &AssetList{}, err
	}
	var l *AssetList
	err = s.search(ctx, c, 1, func(ctx context.Context) error {
		l, _, err = s.list(ctx, c, f)
		return err
	})
	return l, err
}

// list reads the page of the filter from the store. When the query's
// words together match nothing, it reads the forgiving search instead
// (FallbackFilter), and says so; fb is then the filter it read.
func (s *Service) list(ctx context.Context, c Caller, f damask.AssetFilter) (l *AssetList, fb *damask.AssetFilter, err error) {
	as, total, err := s.store.Assets(ctx, f)
	if err != nil {
		return nil, nil, fmt.Errorf("list assets: %w", err)
	}
	fallback := ""
	if ff, ok := FallbackFilter(f); ok && total == 0 {
		if as, total, err = s.store.Assets(ctx, ff); err != nil {
			return nil, nil, fmt.Errorf("list assets matching most words: %w", err)
		}
		if total > 0 {
			f, fb, fallback = ff, &ff, FallbackMostWords
		}
	}
	for i, a := range as {
		as[i] = shown(c, a)
	}
	l = &AssetList{Assets: as, Total: total, Approximate: total > damask.ExactCount, Fallback: fallback}
	offset := f.Page.Offset()
	if f.After != nil {
		offset = f.After.Offset
	}
	// An estimate may fall short of the matches, which must not end the
	// list early: a full page then always has a next one, perhaps empty.
	if len(as) > 0 && len(as) == f.Page.Size && (l.Approximate || offset+len(as) < total) {
		l.Next = writeCursor(as[len(as)-1], f.Sort, offset+len(as))
	}
	return l, fb, nil
}

// FallbackFilter answers the forgiving search of a filter whose query
// holds at least two words or phrases of any field: the assets that match
// any of its first search.MaxFallbackWords words, and all of its other
// parts, ranked by how many of the words they match (damask.AssetFilter's
// MostWords). ok is false for any other filter. Assets reads it when the
// words together match nothing; benchmarks time it on its own.
func FallbackFilter(f damask.AssetFilter) (damask.AssetFilter, bool) {
	if f.Trash || f.MostWords != nil || f.Query == nil {
		return f, false
	}
	words, rest, ok := search.Fallback(f.Query)
	if !ok {
		return f, false
	}
	q := append(rest[:len(rest):len(rest)], search.AtLeast(1, words))
	ff := f
	ff.Query = q
	if len(q) == 1 {
		ff.Query = q[0]
	}
	ff.MostWords = make([]damask.Query, len(words))
	for i, w := range words {
		ff.MostWords[i] = w
	}
	return ff, true
}

// AssetFilter answers the filter Assets hands the store for the query; ok
// is false when no asset can match (the tags parameter names a tag the
// account lacks). It is for benchmarks and diagnostics, which time the
// store's statements for a query on their own; Assets itself starts here.
// Its errors are those of Assets.
func (s *Service) AssetFilter(ctx context.Context, c Caller, q AssetQuery) (damask.AssetFilter, bool, error) {
	f, ok, err := s.filter(ctx, c, q)
	if err != nil || !ok {
		return f, false, err
	}
	if f.Sort != "" && !sorts[strings.TrimPrefix(f.Sort, "-")] {
		return f, false, damask.Errorf(damask.EMALFORMED, "sort must be one of created_on, updated_on, title, size, relevance, with - for descending order")
	}
	if q.Cursor != "" {
		if f.After, err = readCursor(q.Cursor, f.Sort); err != nil {
			return f, false, err
		}
	}
	return f, true, nil
}

// Facets counts the assets a query chooses per tag and per kind. Its
// errors are those of Assets.
func (s *Service) Facets(ctx context.Context, c Caller, q AssetQuery) (damask.Facets, error) {
	fc := damask.Facets{Kinds: map[string]int{}, Tags: []damask.TagCount{}}
	f, ok, err := s.filter(ctx, c, q)
	if err != nil || !ok {
		return fc, err
	}
	err = s.search(ctx, c, 1, func(ctx context.Context) error {
		fc, err = s.facets(ctx, f)
		return err
	})
	return fc, err
}

// facets reads the facets of the filter from the store.
func (s *Service) facets(ctx context.Context, f damask.AssetFilter) (damask.Facets, error) {
	fc, err := s.store.AssetFacets(ctx, f)
	if err != nil {
		return fc, fmt.Errorf("facets: %w", err)
	}
	return fc, nil
}

// Browse answers both a page of what the query chooses (as Assets) and
// the facets of all of it (as Facets, the page and the cursor aside):
// the library page of the web. The two reads run side by side, each
// about half of the time on a large library, and count as two searches
// at once. Its errors are those of Assets.
func (s *Service) Browse(ctx context.Context, c Caller, q AssetQuery) (*AssetList, damask.Facets, error) {
	l, fc := &AssetList{}, damask.Facets{Kinds: map[string]int{}, Tags: []damask.TagCount{}}
	f, ok, err := s.AssetFilter(ctx, c, q)
	if err != nil || !ok {
		return l, fc, err
	}
	ff := f
	ff.Page, ff.After = damask.Page{}, nil
	err = s.search(ctx, c, 2, func(ctx context.Context) error {
		var fcErr error
		done := make(chan struct{})
		go func() {
			defer close(done)
			fc, fcErr = s.facets(ctx, ff)
		}()
		var fb *damask.AssetFilter
		l, fb, err = s.list(ctx, c, f)
		<-done
		if err == nil {
			err = fcErr
		}
		if err == nil && fb != nil {
			// The facets counted the query, which matched nothing: count
			// what the list shows instead.
			ff := *fb
			ff.Page, ff.After = damask.Page{}, nil
			fc, err = s.facets(ctx, ff)
		}
		return err
	})
	return l, fc, err
}

// searchesBusy is the answer past Options.MaxSearchesPerUser.
const searchesBusy = "Too many searches at once: at most %d per user; try again when one has finished"

// errSearchTime is the cause of a search stopped at Options.SearchTimeout.
var errSearchTime = errors.New("search time limit")

// search runs read, the store's part of a search, as n of the caller's
// searches at once and n of the process's (waiting for them within the
// time limit), and turns a search the limit stopped into EINVALID, and
// one its client left into ECANCELED.
func (s *Service) search(ctx context.Context, c Caller, n int, read func(ctx context.Context) error) error {
	release, err := s.searches.take(c, n)
	if err != nil {
		return err
	}
	defer release()
	parent := ctx
	if s.searchIn > 0 {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeoutCause(ctx, s.searchIn, errSearchTime)
		defer cancel()
	}
	if s.running != nil {
		w := int64(min(n, s.maxRun))
		if err = s.running.Acquire(ctx, w); err == nil {
			defer s.running.Release(w)
		}
	}
	if err == nil {
		err = read(ctx)
	}
	switch {
	case err == nil:
		return nil
	case parent.Err() != nil:
		return &damask.Error{Code: damask.ECANCELED, Message: "Request canceled", Err: err}
	case errors.Is(context.Cause(ctx), errSearchTime) || errors.Is(err, context.DeadlineExceeded):
		// A store may stop a query at the deadline itself, before the
		// context has noticed (PostgreSQL's statement_timeout): it says
		// so with DeadlineExceeded.
		limit := ""
		if s.searchIn > 0 {
			limit = " than " + s.searchIn.String()
		}
		return &damask.Error{Code: damask.EINVALID, Err: err,
			Message: "The search took longer" + limit + " and was stopped: narrow it (fewer words ending in *, fewer OR)"}
	}
	return err
}

// filter parses the query and resolves its names to the account's ids. ok
// is false when the tags parameter names a tag the account lacks: then no
// asset can match.
func (s *Service) filter(ctx context.Context, c Caller, q AssetQuery) (damask.AssetFilter, bool, error) {
	f := damask.AssetFilter{AccountID: c.Account.ID, Page: q.Page, Sort: q.Sort}
	w, err := s.within(ctx, c)
	if err != nil {
		return f, false, err
	}
	f.Within = w
	expr, err := search.Parse(q.Query)
	if err != nil {
		var pe *search.Error
		if errors.As(err, &pe) {
			return f, false, damask.Errorf(damask.EINVALID, "query %s", pe.Error())
		}
		return f, false, damask.Errorf(damask.EINVALID, "query: %v", err)
	}
	if f.Query, err = s.resolve(ctx, c.Account.ID, expr); err != nil {
		return f, false, err
	}
	if q.SHA256 != "" {
		if f.IDs, err = s.heldDigests(ctx, c, q.SHA256); err != nil || len(f.IDs) == 0 {
			return f, false, err
		}
	}
	if q.Tags == "" {
		return f, true, nil
	}
	if len(q.Tags) > maxTagsParam || !validUTF8(q.Tags) {
		return f, false, damask.Errorf(damask.EMALFORMED, "tags must be valid UTF-8 of at most %d bytes", maxTagsParam)
	}
	found, missing, err := s.resolveTags(ctx, c.Account.ID, splitList(q.Tags))
	if err != nil || len(missing) > 0 {
		return f, false, err
	}
	for _, t := range found {
		f.TagIDs = append(f.TagIDs, t.ID)
	}
	return f, true, nil
}

// heldDigests answers the ids of the assets out of the trash whose current
// file has one of the comma-separated digests: one index lookup each.
func (s *Service) heldDigests(ctx context.Context, c Caller, list string) ([]int64, error) {
	sums := splitList(list)
	if len(list) > MaxDigests*(64+1) || len(sums) > MaxDigests {
		return nil, damask.Errorf(damask.EMALFORMED, "sha256 takes at most %d digests, comma separated", MaxDigests)
	}
	var ids []int64
	for _, sum := range sums {
		ref, err := damask.ParseBlobRef(strings.ToLower(sum))
		if err != nil {
			return nil, damask.Errorf(damask.EMALFORMED, "sha256 must be digests of 64 hex digits, comma separated")
		}
		a, err := s.store.AssetByBlob(ctx, c.Account.ID, ref)
		switch {
		case damask.ErrorCode(err) == damask.ENOTFOUND:
		case err != nil:
			return nil, fmt.Errorf("asset of %s: %w", ref, err)
		default:
			ids = append(ids, a.ID)
		}
	}
	return ids, nil
}

// resolve sets the ids of the tags and uploaders a query names; a name the
// account lacks keeps id 0, which matches nothing.
func (s *Service) resolve(ctx context.Context, accountID int64, e search.Expr) (search.Expr, error) {
	switch e := e.(type) {
	case search.Tag:
		t, err := s.store.TagByName(ctx, accountID, e.Name)
		if err == nil {
			e.ID = t.ID
		} else if damask.ErrorCode(err) != damask.ENOTFOUND {
			return nil, fmt.Errorf("tag %q: %w", e.Name, err)
		}
		return e, nil
	case search.By:
		u, err := s.store.UserByLogin(ctx, accountID, e.Login)
		if err == nil {
			e.UserID = u.ID
		} else if damask.ErrorCode(err) != damask.ENOTFOUND {
			return nil, fmt.Errorf("user %q: %w", e.Login, err)
		}
		return e, nil
	case search.And:
		return resolveAll(ctx, s, accountID, e)
	case search.Or:
		out, err := resolveAll(ctx, s, accountID, e)
		return search.Or(out), err
	case search.Not:
		x, err := s.resolve(ctx, accountID, e.X)
		return search.Not{X: x}, err
	}
	return e, nil
}

func resolveAll[L ~[]search.Expr](ctx context.Context, s *Service, accountID int64, l L) (search.And, error) {
	out := make(search.And, len(l))
	for i, x := range l {
		var err error
		if out[i], err = s.resolve(ctx, accountID, x); err != nil {
			return nil, err
		}
	}
	return out, nil
}

// cursor is the wire form of a damask.Cursor, with the sort it belongs to.
type cursor struct {
	Sort   string `json:"s,omitempty"`
	ID     int64  `json:"i"`
	Title  string `json:"t,omitempty"`
	Size   int64  `json:"z,omitempty"`
	Time   int64  `json:"u,omitempty"`
	Offset int    `json:"o,omitempty"`
}

func writeCursor(last *damask.Asset, sort string, offset int) string {
	c := cursor{Sort: sort, ID: last.ID, Offset: offset}
	switch strings.TrimPrefix(sort, "-") {
	case "title":
		c.Title = last.Title
	case "size":
		c.Size = last.Size
	case "updated_on":
		c.Time = last.UpdatedAt.UnixNano()
	}
	b, _ := json.Marshal(c) // a struct of plain fields always encodes
	return base64.RawURLEncoding.EncodeToString(b)
}

func readCursor(s, sort string) (*damask.Cursor, error) {
	bad := damask.Errorf(damask.EMALFORMED, "cursor is not one this list handed out")
	b, err := base64.RawURLEncoding.DecodeString(s)
	if err != nil || len(b) > 2048 {
		return nil, bad
	}
	var c cursor
	if err := json.Unmarshal(b, &c); err != nil || c.ID <= 0 || c.Offset < 0 {
		return nil, bad
	}
	if c.Sort != sort {
		return nil, damask.Errorf(damask.EMALFORMED, "cursor belongs to another sort order (%q)", c.Sort)
	}
	return &damask.Cursor{ID: c.ID, Title: c.Title, Size: c.Size, Time: time.Unix(0, c.Time).UTC(), Offset: c.Offset}, nil
}
