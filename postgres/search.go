package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
	"damask/search"
)

// The search columns of an asset (see migrations/0001_init.sql) and the
// compiler of search trees into SQL over them.
//
// tsv holds every text field, weighted A for the title, B for tags, C for
// the description and D for the filename, the camera and the extracted
// text; title: and description: are answered by the weight alone,
// filename: and camera: by tsv_filename and tsv_camera, each with a GIN
// index of its own (see migrations/0016_search_layout.sql). Tags, kind,
// extension and uploader are plain columns (tags the links of asset_tags,
// see tag), so no text can pass for one of them.

// Weights of the parts of tsv.
const (
	weightTitle       = "A"
	weightTags        = "B"
	weightDescription = "C"
	weightRest        = "D"
)

// reindex writes the search columns of the given assets as they are now in
// the transaction. Assets in the trash are indexed too (lists leave them
// out by deleted_at), so that a restore needs nothing more; a missing
// asset is skipped.
func reindex(ctx context.Context, tx pgx.Tx, ids ...int64) error {
	for _, id := range ids {
		var (
			title, description, filename, camera, body string
			tagNames                                   []string
			tagIDs                                     []int64
			meta                                       []byte
		)
		err := tx.QueryRow(ctx, `
			SELECT a.title, a.description, a.filename, a.camera, left(a.text, $2),
				coalesce((SELECT array_agg(t.name ORDER BY t.id) FROM asset_tags x JOIN tags t ON t.id = x.tag_id
					WHERE x.asset_id = a.id), '{}'),
				coalesce((SELECT array_agg(x.tag_id ORDER BY x.tag_id) FROM asset_tags x WHERE x.asset_id = a.id), '{}'),
				a.meta::text
			FROM assets a WHERE a.id = $1`, id, maxBody).
			Scan(&title, &description, &filename, &camera, &body, &tagNames, &tagIDs, &meta)
		if errors.Is(err, pgx.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read asset %d for the index: %w", id, err)
		}
		parts, weights := document(title, description, filename, camera, body, tagNames, metaTexts(meta))
		if _, err := tx.Exec(ctx, `
			UPDATE assets SET tsv = damask_tsv($1, $2), tsv_filename = to_tsvector('damask', $3),
				tsv_camera = to_tsvector('damask', $4), tag_ids = $5
			WHERE id = $6`, parts, weights, folded(filename), folded(camera), tagIDs, id); err != nil {
			return fmt.Errorf("index asset %d: %w", id, err)
		}
	}
	return nil
}

// metaCodes are the letters of the fields of the file's metadata in the
// words that carry their field (metaWords).
var metaCodes = map[string]string{
	search.Creator: "a", search.Copyright: "c", search.Credit: "r", search.Source: "o", search.Headline: "h",
	search.Caption: "p", search.Location: "l", search.City: "y", search.State: "s", search.Country: "n", search.Lens: "e",
}

// metaMark starts a word of a field of the file's metadata in tsv:
// country:germany is the word qqxmngermany, which the parser keeps whole
// (letters and digits only) and the stemmer stems as it stems it at query
// time. A user who types such a word finds what it marks, no more.
const metaMark = "qqxm"

// metaWords are the folded words of s in a field of the file's metadata,
// each carrying the field.
func metaWords(field, s string) []string {
	code := metaCodes[field]
	if code == "" {
		return nil
	}
	ws := words(s)
	for i, w := range ws {
		ws[i] = metaMark + code + w
	}
	return ws
}

// metaTexts reads the text fields of an asset's meta column; nothing when
// it holds none or cannot be read.
func metaTexts(meta []byte) []damask.MetaText {
	var fm damask.FileMeta
	if len(meta) == 0 || json.Unmarshal(meta, &fm) != nil {
		return nil
	}
	return fm.MetaTexts()
}

// document is what damask_tsv makes tsv of: the parts of an asset's text,
// folded, and their weights. The fields of the file's metadata give two
// parts: their plain words, and their words that carry the field.
func document(title, description, filename, camera, body string, tags []string, meta []damask.MetaText) (parts, weights []string) {
	if len(body) > maxBody {
		body = body[:maxBody]
	}
	parts = append(parts, folded(title))
	weights = append(weights, weightTitle)
	for _, t := range tags {
		parts = append(parts, folded(t))
		weights = append(weights, weightTags)
	}
	parts = append(parts, folded(description), folded(filename), folded(camera), folded(body))
	weights = append(weights, weightDescription, weightRest, weightRest, weightRest)
	if len(meta) > 0 {
		var plain, marked []string
		for _, m := range meta {
			plain = append(plain, folded(m.Value))
			marked = append(marked, metaWords(m.Field, m.Value)...)
		}
		parts = append(parts, strings.Join(plain, " "), strings.Join(marked, " "))
		weights = append(weights, weightRest, weightRest)
	}
	return parts, weights
}

// plan is a compiled filter: the conditions on the asset a, their
// arguments, and what relevance ranks by.
type plan struct {
	where []string
	args  []any
	// words is set when the query holds words, so that relevance is the
	// default order.
	words bool
	// terms are the query's required words and phrases of any field, as
	// their folded words: relevance asks in which fields they all stand.
	terms [][]string
	// prefixes tells which terms end with a prefix.
	prefixes []bool
}

// arg adds an argument and answers its placeholder.
func (p *plan) arg(v any) string {
	p.args = append(p.args, v)
	return "$" + strconv.Itoa(len(p.args))
}

// compile turns the filter into a plan over the account's assets outside
// the trash.
func compile(f damask.AssetFilter) *plan {
	p := &plan{}
	p.where = append(p.where, "a.account_id = "+p.arg(f.AccountID), "a.deleted_at IS NULL")
	if f.Query != nil {
		p.where = append(p.where, p.cond(f.Query))
		conj := []search.Expr{f.Query}
		if and, ok := f.Query.(search.And); ok {
			conj = and
		}
		for _, e := range conj {
			switch e := e.(type) {
			case search.Word:
				if ws := words(e.Value); e.Field == search.AnyField && len(ws) > 0 {
					p.terms, p.prefixes = append(p.terms, ws), append(p.prefixes, e.Prefix)
				}
			case search.Phrase:
				if ws := words(strings.Join(e.Words, " ")); e.Field == search.AnyField && len(ws) > 0 {
					p.terms, p.prefixes = append(p.terms, ws), append(p.prefixes, false)
				}
			}
		}
	}
	for _, id := range f.TagIDs {
		p.where = append(p.where, p.tag(id))
	}
	if len(f.IDs) > 0 {
		p.where = append(p.where, "a.id = ANY("+p.arg(f.IDs)+"::bigint[])")
	}
	if f.Within != nil {
		p.where = append(p.where, p.within(f.Within))
	}
	return p
}

// within compiles what a guest limited to collections may see to a
// condition on the asset a: a member of one of the ordered sets, or found
// by one of the saved searches.
func (p *plan) within(w *damask.Within) string {
	words := p.words // the saved searches' words do not rank the list
	defer func() { p.words = words }()
	conds := []string{"false"}
	if len(w.CollectionIDs) > 0 {
		conds = append(conds, "a.id IN (SELECT x.asset_id FROM collection_assets x WHERE x.collection_id = ANY("+
			p.arg(w.CollectionIDs)+"::bigint[]))")
	}
	for _, q := range w.Queries {
		e, _ := q.(search.Expr)
		conds = append(conds, p.cond(e)) // nil finds everything
	}
	return "(" + strings.Join(conds, " OR ") + ")"
}

// cond compiles e to a condition on the asset a that is never NULL, so
// that NOT turns it over exactly.
func (p *plan) cond(e search.Expr) string {
	switch e := e.(type) {
	case nil:
		return "true"
	case search.And:
		if len(e) == 0 {
			return "true"
		}
		// The parts the text index answers go to it as one query, so
		// that it intersects them itself; the rest are conditions beside.
		var qs, parts []string
		for _, x := range e {
			if q, ok := p.tsq(x); ok {
				qs = append(qs, "("+q+")")
			} else {
				parts = append(parts, p.cond(x))
			}
		}
		if len(qs) > 0 {
			parts = append([]string{p.match(strings.Join(qs, " & "))}, parts...)
		}
		return "(" + strings.Join(parts, " AND ") + ")"
	case search.Or:
		if len(e) == 0 {
			return "false"
		}
		if q, ok := p.tsq(e); ok {
			return p.match(q)
		}
		parts := make([]string, len(e))
		for i, x := range e {
			parts[i] = p.cond(x)
		}
		return "(" + strings.Join(parts, " OR ") + ")"
	case search.Not:
		return "NOT " + p.cond(e.X)
	case search.Word:
		if q, ok := p.tsq(e); ok {
			return p.match(q)
		}
		return p.text(e.Field, words(e.Value), e.Prefix)
	case search.Phrase:
		return p.text(e.Field, words(strings.Join(e.Words, " ")), false)
	case search.Tag:
		return p.tag(e.ID)
	case search.Kind:
		return "a.kind = " + p.arg(e.Kind)
	case search.Ext:
		if e.Ext == "" {
			return "true"
		}
		return "a.ext = " + p.arg(strings.ToLower(e.Ext))
	case search.By:
		return "coalesce(a.user_id = " + p.arg(e.UserID) + ", false)"
	case search.Compare:
		col := map[string]string{search.Size: "a.size", search.Width: "a.width", search.Height: "a.height"}[e.Field]
		op := map[string]string{search.Less: "<", search.LessEqual: "<=", search.Greater: ">", search.GreaterEqual: ">="}[e.Op]
		if col == "" || op == "" {
			return "false"
		}
		return "coalesce(" + col + " " + op + " " + p.arg(e.Value) + ", false)"
	case search.Date:
		switch {
		case e.Taken && e.Before:
			return "coalesce(a.taken_at < " + p.arg(dateBound(e.At)) + ", false)"
		case e.Taken:
			return "coalesce(a.taken_at >= " + p.arg(dateBound(e.At)) + ", false)"
		case e.Before:
			return "a.created_at < " + p.arg(dateBound(e.At))
		}
		return "a.created_at >= " + p.arg(dateBound(e.At))
	case search.Taken:
		return "coalesce(a.taken_at >= " + p.arg(dateBound(e.From)) + " AND a.taken_at < " + p.arg(dateBound(e.To)) + ", false)"
	case search.Orientation:
		op := map[string]string{search.Landscape: ">", search.Portrait: "<", search.Square: "="}[e.Value]
		if op == "" {
			return "false"
		}
		return "coalesce(a.width " + op + " a.height, false)"
	case search.Has:
		if e.What == "gps" {
			return "a.latitude IS NOT NULL"
		}
	case search.Path:
		if e.Prefix == "" {
			return "true"
		}
		// The folder itself, or the range of the paths below it
		// (search.PathBounds) compared byte by byte, which the index
		// assets_path answers.
		lo, hi := search.PathBounds(e.Prefix)
		return "(a.path COLLATE \"C\" = " + p.arg(e.Prefix) + " OR (a.path COLLATE \"C\" >= " + p.arg(lo) +
			" AND a.path COLLATE \"C\" < " + p.arg(hi) + "))"
	}
	return "false" // a node this store does not know matches nothing
}

// tag is the condition that the asset a carries the tag: a semi-join on
// the links' index (tag_id, asset_id), which hands out the tag's assets
// newest first, so that the newest matches of a tag, of two tags (a merge
// of two such ranges) and of a tag and words (each of the tag's assets,
// newest first, checked for the words) are read off it. The GIN index of
// tag_ids this replaced (dropped by migration 0016) answered in no order:
// every asset of the tag fetched and sorted, or the whole table walked
// newest first for the few that carry it (measured in bench/notes.md).
func (p *plan) tag(id int64) string {
	return "a.id IN (SELECT x.asset_id FROM asset_tags x WHERE x.tag_id = " + p.arg(id) + ")"
}

// match is the condition that tsv matches the to_tsquery text q.
func (p *plan) match(q string) string {
	return "a.tsv @@ to_tsquery('damask', " + p.arg(q) + ")"
}

// tsq compiles e to a to_tsquery text over tsv when tsv alone can answer
// it: words and phrases of any field, the title or the description, and
// And, Or and Not of those. Words of punctuation only (which match
// everything) and the other fields cannot.
func (p *plan) tsq(e search.Expr) (string, bool) {
	var ws []string
	var field string
	prefix := false
	switch e := e.(type) {
	case search.Word:
		ws, field, prefix = words(e.Value), e.Field, e.Prefix
	case search.Phrase:
		ws, field = words(strings.Join(e.Words, " ")), e.Field
	case search.Not:
		q, ok := p.tsq(e.X)
		return "!(" + q + ")", ok
	case search.And, search.Or:
		var parts []search.Expr
		join := " & "
		if or, ok := e.(search.Or); ok {
			parts, join = or, " | "
		} else {
			parts = e.(search.And)
		}
		if len(parts) == 0 {
			return "", false
		}
		qs := make([]string, len(parts))
		for i, x := range parts {
			q, ok := p.tsq(x)
			if !ok {
				return "", false
			}
			qs[i] = "(" + q + ")"
		}
		return strings.Join(qs, join), true
	default:
		return "", false
	}
	if len(ws) == 0 {
		return "", false
	}
	var w string
	switch {
	case search.IsMetaField(field):
		ws = metaWords(field, strings.Join(ws, " "))
	case field == search.AnyField:
	case field == search.Title:
		w = weightTitle
	case field == search.Description:
		w = weightDescription
	default:
		return "", false
	}
	p.words = true
	return tsquery(ws, prefix, w), true
}

// text compiles words that follow each other in a text field. Words of
// punctuation only, which split into none, match everything.
func (p *plan) text(field string, ws []string, prefix bool) string {
	if len(ws) == 0 {
		return "true"
	}
	p.words = true
	match := func(col, weight string) string {
		return col + " @@ to_tsquery('damask', " + p.arg(tsquery(ws, prefix, weight)) + ")"
	}
	switch field {
	case search.Title:
		return match("a.tsv", weightTitle)
	case search.Description:
		return match("a.tsv", weightDescription)
	case search.Filename:
		return match("a.tsv_filename", "")
	case search.Camera:
		return match("a.tsv_camera", "")
	}
	return match("a.tsv", "")
}

// dateBound holds a date to the years PostgreSQL's timestamptz counts and
// no asset was added outside of, so that a far year compares as it should
// instead of failing.
func dateBound(t time.Time) time.Time {
	lo := time.Date(1, 1, 1, 0, 0, 0, 0, time.UTC)
	hi := time.Date(9999, 12, 31, 0, 0, 0, 0, time.UTC)
	switch {
	case t.Before(lo):
		return lo
	case t.After(hi):
		return hi
	}
	return t
}

// Relevance ranks the newest relevanceWindow matches, and not all of them,
// so that a common word among a million assets still answers quickly; a
// rarer query (fewer matches than the window) is ranked whole. It ranks by
// where the words stand: all of them in the title first, then in the
// tags; newest first within a rank. This is the SQLite store's ranking,
// so that both answer alike.
const relevanceWindow = 500

// ranks is the ORDER BY of relevance over the assets a; dir is " DESC"
// for best first.
func (p *plan) ranks(dir string) string {
	if len(p.terms) == 0 {
		return "a.id" + dir
	}
	var by []string
	for _, w := range []string{weightTitle, weightTags} {
		qs := make([]string, len(p.terms))
		for i, t := range p.terms {
			qs[i] = "(" + tsquery(t, p.prefixes[i], w) + ")"
		}
		by = append(by, "(a.tsv @@ to_tsquery('damask', "+p.arg(strings.Join(qs, " & "))+"))"+dir)
	}
	return strings.Join(append(by, "a.id"+dir), ", ")
}

// order is how a list is sorted: the ORDER BY, and the keyset condition
// that starts a page after a cursor.
type order struct {
	by        string
	relevance bool
	byID      bool   // by id alone: the order of creation
	dir       string // " ASC" or " DESC", for relevance and byID
	after     func(p *plan, c *damask.Cursor) string
}

// orderOf reads the filter's sort.
func orderOf(sort string, words bool) (order, error) {
	desc := strings.HasPrefix(sort, "-")
	key := strings.TrimPrefix(sort, "-")
	dir, cmp := " ASC", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	keyset := func(col, cast string, val func(c *damask.Cursor) any) func(p *plan, c *damask.Cursor) string {
		return func(p *plan, c *damask.Cursor) string {
			v := p.arg(val(c)) + cast
			if col == "title" {
				v = `lower(` + v + ` COLLATE "C")`
				col = `lower(a.title COLLATE "C")`
			}
			return fmt.Sprintf("(%s, a.id) %s (%s, %s)", col, cmp, v, p.arg(c.ID))
		}
	}
	switch {
	case key == "relevance", key == "" && words:
		if !words {
			return orderOf("", false) // nothing to rank by
		}
		// The best come first unless "-relevance" asks for the reverse.
		if key == "" || !desc {
			dir = " DESC"
		} else {
			dir = " ASC"
		}
		return order{relevance: true, dir: dir}, nil
	case key == "", key == "created_on":
		if key == "" {
			dir, cmp = " DESC", "<"
		}
		return order{by: "a.id" + dir, byID: true, dir: dir, after: func(p *plan, c *damask.Cursor) string {
			return "a.id " + cmp + " " + p.arg(c.ID)
		}}, nil
	case key == "updated_on":
		return order{by: "a.updated_at" + dir + ", a.id" + dir,
			after: keyset("a.updated_at", "::timestamptz", func(c *damask.Cursor) any { return c.Time })}, nil
	case key == "title":
		return order{by: `lower(a.title COLLATE "C")` + dir + ", a.id" + dir,
			after: keyset("title", "::text", func(c *damask.Cursor) any { return c.Title })}, nil
	case key == "size":
		return order{by: "a.size" + dir + ", a.id" + dir,
			after: keyset("a.size", "::bigint", func(c *damask.Cursor) any { return c.Size })}, nil
	}
	return order{}, damask.Errorf(damask.EINVALID, "Sort must be one of created_on, updated_on, title, size, relevance")
}

// Assets lists the assets the filter chooses, with their tags.
//
// One look at the newest matches, ExactCount+1 of them at most, answers
// most of a list: the total (exact, or estimated from how densely they
// fill the ids), the candidates relevance ranks, and a page newest or
// oldest first that lies among them. Only other orders, and pages deeper
// than that, ask the table again.
func (db *DB) Assets(ctx context.Context, f damask.AssetFilter) ([]*damask.Asset, int, error) {
	what := fmt.Sprintf("assets of account %d", f.AccountID)
	if f.Trash {
		return db.trash(ctx, f)
	}
	p := compile(f)
	o, err := orderOf(f.Sort, p.words)
	if err != nil {
		return nil, 0, fmt.Errorf("postgres: %s: %w", what, err)
	}
	where := strings.Join(p.where, " AND ")
	lim, off := limit(f.Page)

	var (
		as    []*damask.Asset
		total int
	)
	err = db.view(ctx, what, func(tx pgx.Tx) error {
		ids, err := column[int64](ctx, tx, newest(where), p.args...)
		if err != nil {
			return fmt.Errorf("count: %w", err)
		}
		if total, err = estimate(ctx, tx, f.AccountID, ids); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		complete := len(ids) <= damask.ExactCount
		if len(f.MostWords) > 0 {
			if f.After != nil {
				off = f.After.Offset
			}
			as, err = mostWords(ctx, tx, f, ids, lim, off)
			return err
		}
		if o.relevance {
			if f.After != nil {
				off = f.After.Offset
			}
			r := &plan{terms: p.terms, prefixes: p.prefixes}
			window := r.arg(ids[:min(len(ids), relevanceWindow)])
			as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a WHERE a.id = ANY(`+window+`)
				ORDER BY `+r.ranks(o.dir)+` LIMIT `+r.arg(lim)+` OFFSET `+r.arg(off), r.args...)
			return err
		}
		if o.byID {
			if page, ok := pageOf(ids, complete, o.dir == " DESC", f.After, lim, off); ok {
				as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a WHERE a.id = ANY($1)
					ORDER BY a.id`+o.dir, page)
				return err
			}
		}
		w := where
		if f.After != nil {
			w += " AND " + o.after(p, f.After)
			off = 0
		}
		as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a WHERE `+w+
			` ORDER BY `+o.by+` LIMIT `+p.arg(lim)+` OFFSET `+p.arg(off), p.args...)
		return err
	})
	return as, total, err
}

// newest is the statement of the ids of the newest damask.ExactCount+1
// assets matching where, newest first.
func newest(where string) string {
	return `SELECT a.id FROM assets a WHERE ` + where + ` ORDER BY a.id DESC LIMIT ` + strconv.Itoa(damask.ExactCount+1)
}

// NewestStatement is the statement with which Assets starts every list of
// the filter, and its arguments: the ids of the newest damask.ExactCount+1
// matches, from which come the total, the candidates relevance ranks and
// most pages. For benchmarks, which run it raw beside the store.
func (db *DB) NewestStatement(f damask.AssetFilter) (string, []any) {
	p := compile(f)
	return newest(strings.Join(p.where, " AND ")), p.args
}

// mostWords reads a page of a forgiving search (f.MostWords set), whose
// newest matches are ids. It ranks candidates, not every match, as
// relevance does: the newest relevanceWindow matches of any word, and the
// newest relevanceWindow of any two words, so that the assets that match
// several words are among them however many match one common word. Most
// words first, then in the order of f.Sort, newest first for relevance.
func mostWords(ctx context.Context, tx pgx.Tx, f damask.AssetFilter, ids []int64, lim any, off int) ([]*damask.Asset, error) {
	words := make([]search.Expr, len(f.MostWords))
	for i, w := range f.MostWords {
		words[i] = w
	}
	two := f
	two.Query = append(search.FallbackRest(f.Query, len(words)), search.AtLeast(2, words))
	q := compile(two)
	more, err := column[int64](ctx, tx, `SELECT a.id FROM assets a WHERE `+strings.Join(q.where, " AND ")+
		` ORDER BY a.id DESC LIMIT `+strconv.Itoa(relevanceWindow), q.args...)
	if err != nil {
		return nil, fmt.Errorf("assets matching two words: %w", err)
	}
	r := &plan{}
	window := r.arg(append(more, ids[:min(len(ids), relevanceWindow)]...))
	count := []string{"0"}
	for _, w := range words {
		if t, ok := (&plan{}).tsq(w); ok {
			count = append(count, "(a.tsv @@ to_tsquery('damask', "+r.arg(t)+"))::int")
		}
	}
	o, err := orderOf(f.Sort, false) // relevance: newest first
	if err != nil {
		return nil, err
	}
	return queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a WHERE a.id = ANY(`+window+`)
		ORDER BY (`+strings.Join(count, " + ")+`) DESC, `+o.by+` LIMIT `+r.arg(lim)+` OFFSET `+r.arg(off), r.args...)
}

// pageOf picks a page in id order out of the newest matches, ids (newest
// first; complete when they are all the matches), and says whether they
// held it whole. A page starts after the cursor when there is one, else
// off matches in; lim is its size, nil for everything.
func pageOf(ids []int64, complete, desc bool, after *damask.Cursor, lim any, off int) ([]int64, bool) {
	list := ids
	if !desc {
		if !complete {
			return nil, false // the oldest matches are not among the newest
		}
		list = make([]int64, len(ids))
		for i, id := range ids {
			list[len(ids)-1-i] = id
		}
	}
	start := off
	if after != nil {
		start = len(list)
		for i, id := range list {
			if desc && id < after.ID || !desc && id > after.ID {
				start = i
				break
			}
		}
	}
	end := len(list)
	if n, ok := lim.(int); ok {
		end = start + n
	} else if !complete {
		return nil, false // everything, of which these are only the newest
	}
	if end > len(list) || start > len(list) {
		if !complete {
			return nil, false
		}
		end, start = len(list), min(start, len(list))
	}
	return list[start:end], true
}

// queryAssets reads the assets a query selects, with their tags.
func queryAssets(ctx context.Context, tx pgx.Tx, query string, args ...any) ([]*damask.Asset, error) {
	rows, err := tx.Query(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var as []*damask.Asset
	for rows.Next() {
		a, err := scanAsset(rows)
		if err != nil {
			return nil, err
		}
		as = append(as, a)
	}
	if err := rows.Err(); err != nil {
		return nil, err
	}
	rows.Close()
	return as, loadTags(ctx, tx, as)
}

// trash lists the account's trash, newest first.
func (db *DB) trash(ctx context.Context, f damask.AssetFilter) ([]*damask.Asset, int, error) {
	var (
		as    []*damask.Asset
		total int
	)
	err := db.view(ctx, fmt.Sprintf("trash of account %d", f.AccountID), func(tx pgx.Tx) error {
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM assets WHERE account_id = $1 AND deleted_at IS NOT NULL`,
			f.AccountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(f.Page)
		var err error
		as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a
			WHERE a.account_id = $1 AND a.deleted_at IS NOT NULL ORDER BY a.id DESC LIMIT $2 OFFSET $3`,
			f.AccountID, lim, off)
		return err
	})
	return as, total, err
}

// AssetFacets counts the filter's assets per tag and per kind. A result
// larger than damask.FacetSample is counted over its newest assets only.
func (db *DB) AssetFacets(ctx context.Context, f damask.AssetFilter) (damask.Facets, error) {
	fc := damask.Facets{Kinds: map[string]int{}, Tags: []damask.TagCount{}}
	p := compile(f)
	where := strings.Join(p.where, " AND ")
	sample := `SELECT a.id, a.kind, a.tag_ids FROM assets a WHERE ` + where +
		` ORDER BY a.id DESC LIMIT ` + strconv.Itoa(damask.FacetSample)
	err := db.view(ctx, fmt.Sprintf("facets of account %d", f.AccountID), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, countParallel); err != nil {
			return err
		}
		if err := tx.QueryRow(ctx, "SELECT count(*) FROM assets a WHERE "+where, p.args...).Scan(&fc.Total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		fc.Approximate = fc.Total > damask.FacetSample
		rows, err := tx.Query(ctx, `WITH m AS (`+sample+`) SELECT kind, count(*) FROM m GROUP BY kind`, p.args...)
		if err != nil {
			return fmt.Errorf("kinds: %w", err)
		}
		for rows.Next() {
			var kind string
			var n int
			if err := rows.Scan(&kind, &n); err != nil {
				rows.Close()
				return err
			}
			fc.Kinds[kind] = n
		}
		rows.Close()
		if err := rows.Err(); err != nil {
			return err
		}
		// The cut takes tags in the order of the answer, ties by name in
		// byte order: cut by id, it would keep other tags of a count than
		// those it shows.
		rows, err = tx.Query(ctx, `WITH m AS (`+sample+`),
			c AS (SELECT x.tag_id, count(*) AS n FROM m, unnest(m.tag_ids) AS x(tag_id) GROUP BY x.tag_id)
			SELECT t.id, t.account_id, t.name, t.created_at, c.n FROM c JOIN tags t ON t.id = c.tag_id
			ORDER BY c.n DESC, t.name COLLATE "C", t.id LIMIT `+strconv.Itoa(damask.FacetTags), p.args...)
		if err != nil {
			return fmt.Errorf("tags: %w", err)
		}
		defer rows.Close()
		for rows.Next() {
			var tc damask.TagCount
			if err := rows.Scan(&tc.Tag.ID, &tc.Tag.AccountID, &tc.Tag.Name, timeCol{&tc.Tag.CreatedAt}, &tc.Count); err != nil {
				return err
			}
			fc.Tags = append(fc.Tags, tc)
		}
		return rows.Err()
	})
	return fc, err
}

// estimate counts the matches from the newest ones, ids (newest first, at
// most damask.ExactCount+1): exactly up to damask.ExactCount, and beyond
// that by the density of matches among the newest ones, which takes as
// long for a million matches as for a thousand.
func estimate(ctx context.Context, tx pgx.Tx, accountID int64, ids []int64) (int, error) {
	n := len(ids)
	if n <= damask.ExactCount {
		return n, nil
	}
	// The matches so far fill the ids from the oldest of them to the
	// newest asset; the rest of the ids are taken to hold matches as
	// densely.
	oldest := ids[n-1]
	var first, last int64
	if err := tx.QueryRow(ctx, `SELECT coalesce(min(id), 0), coalesce(max(id), 0)
		FROM assets WHERE account_id = $1 AND deleted_at IS NULL`, accountID).Scan(&first, &last); err != nil {
		return 0, err
	}
	span := float64(last - oldest + 1)
	est := float64(n) * float64(last-first+1) / max(span, 1)
	return max(n, int(est)), nil
}

// countParallel gives an exact count, which reads every match, the
// parallel workers the store's sessions go without (see Open): two, as
// PostgreSQL's default.
const countParallel = "SET LOCAL max_parallel_workers_per_gather = 2"

// Count counts exactly what the filter chooses, reading every match: for
// facets and benchmarks, not for every page of a list.
func (db *DB) Count(ctx context.Context, f damask.AssetFilter) (int, error) {
	p := compile(f)
	query := "SELECT count(*) FROM assets a WHERE " + strings.Join(p.where, " AND ")
	var n int
	err := db.view(ctx, fmt.Sprintf("count assets of account %d", f.AccountID), func(tx pgx.Tx) error {
		if _, err := tx.Exec(ctx, countParallel); err != nil {
			return err
		}
		return tx.QueryRow(ctx, query, p.args...).Scan(&n)
	})
	return n, err
}
