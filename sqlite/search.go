package sqlite

import (
	"context"
	"database/sql"
	"encoding/json"
	"errors"
	"fmt"
	"math"
	"path"
	"strconv"
	"strings"
	"time"
	"unicode"

	"damask"
	"damask/search"
)

// The full-text index and the compiler of search trees into queries over
// it. Each account has its own FTS5 table, fts_<account id>, so that a
// search reads only its account's postings: no account token to intersect
// with, counts that touch nothing of other accounts. Besides the text
// columns a row holds filter tokens in the column filters:
//
//	<mark>k<kind>   image, video, audio, document, other
//	<mark>e<ext>    the filename's extension
//	<mark>u<id>     the uploader
//	<mark>t<id>     each tag
//	<mark>m<c><w>   each word w of a field of the file's metadata, c the
//	                field's letter (metaCodes): country:germany is the
//	                token <mark>mngermany, which the tokenizer folds and
//	                stems as it does germany
//
// where <mark> is U+E000, a private-use character: unicode61 keeps it in a
// token, and no word of a title or a query holds it, so plain words need
// no column filter to stay off these tokens (a column filter costs FTS5
// the positions of every match).
const mark = "\uE000"

// tagSeparator stands between tag names in the tags column: a token of its
// own, so that a phrase never runs from one tag into the next.
const tagSeparator = " " + mark + " "

// unmarked keeps a client's text, indexed or searched, from forging
// filter tokens.
func unmarked(s string) string {
	if !strings.Contains(s, mark) {
		return s
	}
	return strings.ReplaceAll(s, mark, " ")
}

// indexTable names the account's index.
func indexTable(accountID int64) string { return "fts_" + strconv.FormatInt(accountID, 10) }

// createIndex makes the account's index if it has none.
func createIndex(ctx context.Context, tx *sql.Tx, accountID int64) error {
	// Contentless: the text lives in assets already; contentless_delete
	// lets a row be replaced. The prefix indexes make sun* cheap.
	_, err := tx.ExecContext(ctx, `CREATE VIRTUAL TABLE IF NOT EXISTS `+indexTable(accountID)+` USING fts5(
		title, description, filename, tags, camera, body, filters,
		content = '',
		contentless_delete = 1,
		tokenize = 'porter unicode61 remove_diacritics 2',
		prefix = '2 3'
	)`)
	if err != nil {
		return fmt.Errorf("create index of account %d: %w", accountID, err)
	}
	return nil
}

// kindAndExt derive the kind and extension columns of an asset.
func kindAndExt(contentType, filename string) (string, string) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(filename), "."))
	return search.KindOf(contentType), ext
}

// indexRow is what the index holds of an asset.
type indexRow struct {
	id, accountID, userID              int64
	title, description, filename, tags string
	camera, body                       string
	kind, ext                          string
	tagIDs                             []int64
	meta                               []damask.MetaText
}

// metaCodes are the letters of the fields of the file's metadata in the
// filter tokens.
var metaCodes = map[string]string{
	search.Creator: "a", search.Copyright: "c", search.Credit: "r", search.Source: "o", search.Headline: "h",
	search.Caption: "p", search.Location: "l", search.City: "y", search.State: "s", search.Country: "n", search.Lens: "e",
}

// metaTokens are the filter tokens of the words of s in a field of the
// file's metadata, split where the tokenizer splits (at anything but
// letters, digits and marks), so that each word carries the field.
func metaTokens(field, s string) []string {
	code := metaCodes[field]
	if code == "" {
		return nil
	}
	words := strings.FieldsFunc(unmarked(s), func(r rune) bool {
		return !unicode.IsLetter(r) && !unicode.IsNumber(r) && !unicode.Is(unicode.Mn, r)
	})
	for i, w := range words {
		words[i] = mark + "m" + code + w
	}
	return words
}

// writeIndex writes the asset's row; replace drops the row it had first.
func writeIndex(ctx context.Context, tx *sql.Tx, r indexRow, replace bool) error {
	table := indexTable(r.accountID)
	if replace {
		if _, err := tx.ExecContext(ctx, `DELETE FROM `+table+` WHERE rowid = ?`, r.id); err != nil {
			return fmt.Errorf("unindex asset %d: %w", r.id, err)
		}
	}
	_, err := tx.ExecContext(ctx, indexInsert(r.accountID), indexValues(r)...)
	if err != nil {
		return fmt.Errorf("index asset %d: %w", r.id, err)
	}
	return nil
}

// indexInsert is the statement that writes a row of the account's index,
// with indexValues its arguments.
func indexInsert(accountID int64) string {
	return `INSERT INTO ` + indexTable(accountID) + ` (rowid, title, description, filename, tags, camera, body, filters)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?)`
}

// indexValues are the values of the row's columns in the index.
func indexValues(r indexRow) []any {
	filters := []string{mark + "k" + r.kind, mark + "u" + strconv.FormatInt(r.userID, 10)}
	if r.ext != "" {
		filters = append(filters, mark+"e"+r.ext)
	}
	for _, id := range r.tagIDs {
		filters = append(filters, mark+"t"+strconv.FormatInt(id, 10))
	}
	body := unmarked(r.body)
	for _, m := range r.meta {
		// Each field's words follow each other, for phrases; the plain
		// words are words of the body too.
		filters = append(filters, metaTokens(m.Field, m.Value)...)
		body += "\n" + unmarked(m.Value)
	}
	return []any{r.id, unmarked(r.title), unmarked(r.description), unmarked(r.filename), r.tags, unmarked(r.camera),
		body, strings.Join(filters, " ")}
}

// reindex writes the index rows of the given assets as they are now in the
// transaction: a row for each asset outside the trash, none for the others.
// (An asset purged for good was in the trash, so it had no row left.)
func reindex(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	for _, id := range ids {
		r := indexRow{id: id}
		var tagIDs, meta string
		var trashed bool
		err := tx.QueryRowContext(ctx, `
			SELECT a.title, a.description, a.filename,
				coalesce((SELECT group_concat(replace(t.name, ?1, ' '), ?2) FROM asset_tags x JOIN tags t ON t.id = x.tag_id
					WHERE x.asset_id = a.id), ''),
				a.camera, a.text, a.account_id, coalesce(a.user_id, 0), a.kind, a.ext,
				coalesce((SELECT group_concat(x.tag_id, ' ') FROM asset_tags x WHERE x.asset_id = a.id), ''),
				a.deleted_at IS NOT NULL, a.meta
			FROM assets a WHERE a.id = ?3`, mark, tagSeparator, id).
			Scan(&r.title, &r.description, &r.filename, &r.tags, &r.camera, &r.body,
				&r.accountID, &r.userID, &r.kind, &r.ext, &tagIDs, &trashed, &meta)
		if errors.Is(err, sql.ErrNoRows) {
			continue
		}
		if err != nil {
			return fmt.Errorf("read asset %d for the index: %w", id, err)
		}
		var fm damask.FileMeta
		if err := json.Unmarshal([]byte(meta), &fm); err != nil {
			return fmt.Errorf("meta of asset %d for the index: %w", id, err)
		}
		r.meta = fm.MetaTexts()
		if trashed {
			if _, err := tx.ExecContext(ctx, `DELETE FROM `+indexTable(r.accountID)+` WHERE rowid = ?`, id); err != nil {
				return fmt.Errorf("unindex asset %d: %w", id, err)
			}
			continue
		}
		for _, f := range strings.Fields(tagIDs) {
			tid, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return fmt.Errorf("tag ids of asset %d: %w", id, err)
			}
			r.tagIDs = append(r.tagIDs, tid)
		}
		if err := writeIndex(ctx, tx, r, true); err != nil {
			return err
		}
	}
	return nil
}

// reindexTagged reindexes every asset that carries the tag.
func reindexTagged(ctx context.Context, tx *sql.Tx, tagID int64) error {
	ids, err := column[int64](ctx, tx, `SELECT asset_id FROM asset_tags WHERE tag_id = ?`, tagID)
	if err != nil {
		return err
	}
	return reindex(ctx, tx, ids...)
}

// backfill makes the index of every account that lacks one, then fills
// kind and ext of rows written before they existed and indexes them, a
// batch a transaction, then gives older assets their thumbnail secret. Whether there is anything to do is read first,
// without the write lock, which a file in use seldom needs.
func (db *DB) backfill(ctx context.Context) error {
	var missing, unindexed, secretless bool
	err := db.write.QueryRowContext(ctx, `SELECT
		EXISTS (SELECT 1 FROM accounts WHERE 'fts_' || id NOT IN (SELECT name FROM sqlite_schema WHERE type = 'table')),
		EXISTS (SELECT 1 FROM assets WHERE kind = ''),
		EXISTS (SELECT 1 FROM assets WHERE thumb_token = '')`).Scan(&missing, &unindexed, &secretless)
	if err != nil {
		return fmt.Errorf("sqlite: backfill: %w", err)
	}
	if missing {
		if err := db.createIndexes(ctx); err != nil {
			return err
		}
	}
	if unindexed {
		if err := db.indexOlder(ctx); err != nil {
			return err
		}
	}
	if secretless {
		return db.backfillThumbTokens(ctx)
	}
	return nil
}

// createIndexes makes the index of every account that lacks one.
func (db *DB) createIndexes(ctx context.Context) error {
	return db.update(ctx, "create indexes", func(tx *sql.Tx) error {
		ids, err := column[int64](ctx, tx, `SELECT id FROM accounts`)
		if err != nil {
			return err
		}
		for _, id := range ids {
			if err := createIndex(ctx, tx, id); err != nil {
				return err
			}
		}
		return nil
	})
}

// indexOlder fills kind and ext of rows written before they existed and
// indexes them, a batch a transaction.
func (db *DB) indexOlder(ctx context.Context) error {
	for {
		n := 0
		err := db.update(ctx, "index older assets", func(tx *sql.Tx) error {
			rows, err := tx.QueryContext(ctx, `SELECT id, content_type, filename FROM assets WHERE kind = '' LIMIT 1000`)
			if err != nil {
				return err
			}
			type row struct {
				id       int64
				ct, name string
			}
			var rs []row
			for rows.Next() {
				var r row
				if err := rows.Scan(&r.id, &r.ct, &r.name); err != nil {
					rows.Close()
					return err
				}
				rs = append(rs, r)
			}
			if err := rows.Close(); err != nil {
				return err
			}
			for _, r := range rs {
				kind, ext := kindAndExt(r.ct, r.name)
				if _, err := tx.ExecContext(ctx, `UPDATE assets SET kind = ?, ext = ? WHERE id = ?`, kind, ext, r.id); err != nil {
					return err
				}
				if err := reindex(ctx, tx, r.id); err != nil {
					return err
				}
			}
			n = len(rs)
			return nil
		})
		if err != nil || n == 0 {
			return err
		}
	}
}

// column reads a one-column result.
func column[T any](ctx context.Context, q querier, query string, args ...any) ([]T, error) {
	rows, err := q.QueryContext(ctx, query, args...)
	if err != nil {
		return nil, err
	}
	defer rows.Close()
	var out []T
	for rows.Next() {
		var v T
		if err := rows.Scan(&v); err != nil {
			return nil, err
		}
		out = append(out, v)
	}
	return out, rows.Err()
}

// plan is a compiled filter: an FTS5 MATCH on the account's index that
// drives the scan (empty: scan the account's assets instead) and SQL
// conditions on the asset a.
type plan struct {
	table string
	match string
	conds []string
	args  []any
	words bool // the query holds words, so relevance can rank it
	// terms are the query's required words and phrases, as FTS5 strings
	// without a column: relevance asks in which fields they all stand.
	terms []string
}

// compile turns the filter into a plan. Parts of the query that the index
// can answer (words, phrases, tags, kind, extension, uploader) go into the
// MATCH; the rest (sizes, dates, dimensions) become conditions on the
// asset row.
func compile(f damask.AssetFilter) plan {
	p := plan{table: indexTable(f.AccountID)}
	var pos, neg []string
	for _, e := range conjuncts(f.Query) {
		if n, ok := e.(search.Not); ok {
			if x, ok := p.fts(n.X); ok {
				if x != "" {
					neg = append(neg, x)
				}
				continue
			}
		}
		if x, ok := p.fts(e); ok {
			if x != "" {
				pos = append(pos, x)
				if t := term(e); t != "" {
					p.terms = append(p.terms, t)
				}
			}
			continue
		}
		cond, args := p.sql(e)
		p.conds, p.args = append(p.conds, cond), append(p.args, args...)
	}
	for _, id := range f.TagIDs {
		pos = append(pos, quote(mark+"t"+strconv.FormatInt(id, 10)))
	}
	if len(f.IDs) > 0 {
		p.conds = append(p.conds, "a.id IN (SELECT value FROM json_each(?))")
		p.args = append(p.args, idsJSON(f.IDs))
	}
	if f.Within != nil {
		cond, args := p.within(f.Within)
		p.conds, p.args = append(p.conds, cond), append(p.args, args...)
	}
	if len(pos) == 0 {
		// FTS5's NOT needs something to take from: exclusions alone are
		// conditions on the account's assets.
		for _, x := range neg {
			p.conds = append(p.conds, "a.id NOT IN (SELECT rowid FROM "+p.table+" WHERE "+p.table+" MATCH ?)")
			p.args = append(p.args, x)
		}
		return p
	}
	p.match = "(" + strings.Join(pos, ") AND (") + ")"
	for _, x := range neg {
		p.match += " NOT (" + x + ")"
	}
	return p
}

// within compiles what a guest limited to collections may see to a
// condition on the asset a: a member of one of the ordered sets, or found
// by one of the saved searches. Their words do not make the list's words:
// relevance ranks by what the guest searched for.
func (p *plan) within(w *damask.Within) (string, []any) {
	words := p.words
	defer func() { p.words = words }()
	conds := []string{"0"}
	var args []any
	if len(w.CollectionIDs) > 0 {
		conds = append(conds, "a.id IN (SELECT x.asset_id FROM collection_assets x WHERE x.collection_id IN (SELECT value FROM json_each(?)))")
		args = append(args, idsJSON(w.CollectionIDs))
	}
	for _, q := range w.Queries {
		e, _ := q.(search.Expr)
		if e == nil {
			conds = append(conds, "1") // an empty query finds everything
			continue
		}
		c, a := p.sql(e)
		conds, args = append(conds, c), append(args, a...)
	}
	return "(" + strings.Join(conds, " OR ") + ")", args
}

// idsJSON is a list of ids as a JSON array, one argument however many.
func idsJSON(ids []int64) string {
	var b strings.Builder
	b.WriteByte('[')
	for i, id := range ids {
		if i > 0 {
			b.WriteByte(',')
		}
		b.WriteString(strconv.FormatInt(id, 10))
	}
	b.WriteByte(']')
	return b.String()
}

func conjuncts(e search.Expr) []search.Expr {
	switch e := e.(type) {
	case nil:
		return nil
	case search.And:
		return e
	}
	return []search.Expr{e}
}

// fts compiles e to an FTS5 expression when the index alone can answer it.
// An empty expression matches everything (a word of punctuation only,
// which the tokenizer drops).
func (p *plan) fts(e search.Expr) (string, bool) {
	switch e := e.(type) {
	case search.Word:
		if !hasToken(e.Value) {
			return "", true
		}
		p.words = true
		if search.IsMetaField(e.Field) {
			x := quote(strings.Join(metaTokens(e.Field, e.Value), " "))
			if e.Prefix {
				x += " *"
			}
			return x, true
		}
		x := fieldFilter(e.Field) + quote(unmarked(e.Value))
		if e.Prefix {
			x += " *"
		}
		return x, true
	case search.Phrase:
		if !hasToken(strings.Join(e.Words, " ")) {
			return "", true
		}
		p.words = true
		if search.IsMetaField(e.Field) {
			return quote(strings.Join(metaTokens(e.Field, strings.Join(e.Words, " ")), " ")), true
		}
		return fieldFilter(e.Field) + quote(unmarked(strings.Join(e.Words, " "))), true
	case search.Tag:
		return quote(mark + "t" + strconv.FormatInt(e.ID, 10)), true
	case search.Kind:
		return quote(mark + "k" + e.Kind), true
	case search.Ext:
		if !hasToken(e.Ext) {
			return "", true
		}
		return quote(mark + "e" + e.Ext), true
	case search.By:
		return quote(mark + "u" + strconv.FormatInt(e.UserID, 10)), true
	case search.And:
		var pos, neg []string
		for _, x := range e {
			n, isNot := x.(search.Not)
			if isNot {
				x = n.X
			}
			s, ok := p.fts(x)
			if !ok {
				return "", false
			}
			switch {
			case s == "":
			case isNot:
				neg = append(neg, s)
			default:
				pos = append(pos, s)
			}
		}
		if len(pos) == 0 && len(neg) > 0 {
			return "", false // FTS5's NOT needs something to take from
		}
		x := ""
		if len(pos) > 0 {
			x = "(" + strings.Join(pos, ") AND (") + ")"
		}
		for _, n := range neg {
			x += " NOT (" + n + ")"
		}
		return x, true
	case search.Or:
		parts := make([]string, 0, len(e))
		for _, x := range e {
			s, ok := p.fts(x)
			if !ok {
				return "", false
			}
			if s == "" {
				return "", true // one side matches everything
			}
			parts = append(parts, s)
		}
		return "(" + strings.Join(parts, ") OR (") + ")", true
	}
	return "", false
}

// sql compiles e to a condition on the asset a, with its arguments.
func (p *plan) sql(e search.Expr) (string, []any) {
	if x, ok := p.fts(e); ok {
		if x == "" {
			return "1", nil
		}
		return "a.id IN (SELECT rowid FROM " + p.table + " WHERE " + p.table + " MATCH ?)", []any{x}
	}
	switch e := e.(type) {
	case search.And, search.Or:
		var parts []search.Expr
		join := " AND "
		if or, ok := e.(search.Or); ok {
			parts, join = or, " OR "
		} else {
			parts = e.(search.And)
		}
		conds := make([]string, len(parts))
		var args []any
		for i, x := range parts {
			c, a := p.sql(x)
			conds[i], args = c, append(args, a...)
		}
		return "(" + strings.Join(conds, join) + ")", args
	case search.Not:
		c, a := p.sql(e.X)
		return "NOT " + c, a
	case search.Compare:
		col := map[string]string{search.Size: "a.size", search.Width: "a.width", search.Height: "a.height"}[e.Field]
		op := map[string]string{search.Less: "<", search.LessEqual: "<=", search.Greater: ">", search.GreaterEqual: ">="}[e.Op]
		if col == "" || op == "" {
			return "0", nil
		}
		return fmt.Sprintf("coalesce(%s %s ?, 0)", col, op), []any{e.Value}
	case search.Date:
		switch {
		case e.Taken && e.Before:
			return "coalesce(a.taken_at < ?, 0)", []any{nanos(e.At)}
		case e.Taken:
			return "coalesce(a.taken_at >= ?, 0)", []any{nanos(e.At)}
		case e.Before:
			return "a.created_at < ?", []any{nanos(e.At)}
		}
		return "a.created_at >= ?", []any{nanos(e.At)}
	case search.Taken:
		return "coalesce(a.taken_at >= ? AND a.taken_at < ?, 0)", []any{nanos(e.From), nanos(e.To)}
	case search.Orientation:
		op := map[string]string{search.Landscape: ">", search.Portrait: "<", search.Square: "="}[e.Value]
		if op == "" {
			return "0", nil
		}
		return "coalesce(a.width " + op + " a.height, 0)", nil
	case search.Has:
		if e.What == "gps" {
			return "a.latitude IS NOT NULL", nil
		}
	case search.Path:
		if e.Prefix == "" {
			return "1", nil
		}
		// The folder itself, or the range of the paths below it
		// (search.PathBounds), which the index assets_path answers.
		lo, hi := search.PathBounds(e.Prefix)
		return "(a.path = ? OR (a.path >= ? AND a.path < ?))", []any{e.Prefix, lo, hi}
	}
	return "0", nil // a node this store does not know matches nothing
}

// nanos is t in the store's unit, held to the range it can count: UnixNano
// wraps around outside the years 1678 to 2262.
func nanos(t time.Time) int64 {
	switch {
	case t.Year() < 1678:
		return math.MinInt64
	case t.Year() > 2261:
		return math.MaxInt64
	}
	return t.UnixNano()
}

// fieldFilter is the FTS5 column filter of a search field; words of any
// field need none (see mark).
func fieldFilter(field string) string {
	switch field {
	case search.Title, search.Filename, search.Description, search.Camera:
		return field + " : "
	}
	return ""
}

// quote makes an FTS5 string: the tokenizer splits it as it split the
// indexed text, so IMG_2041.jpg becomes the phrase img 2041 jpg.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// hasToken tells whether the tokenizer would find a word in s.
func hasToken(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// term is a required word or phrase of any field as an FTS5 string, ""
// for anything else.
func term(e search.Expr) string {
	switch e := e.(type) {
	case search.Word:
		if e.Field == search.AnyField {
			if e.Prefix {
				return quote(unmarked(e.Value)) + " *"
			}
			return quote(unmarked(e.Value))
		}
	case search.Phrase:
		if e.Field == search.AnyField {
			return quote(unmarked(strings.Join(e.Words, " ")))
		}
	}
	return ""
}

// Relevance ranks the newest relevanceWindow matches, and not all of them,
// so that a common word among a million assets still answers in
// milliseconds; a rarer query (fewer matches than the window) is ranked
// whole. It ranks by where the words stand: all of them in the title
// first, then in the tags; newest first within a rank. (FTS5's bm25 would read every posting of each word to
// weigh it, which for a common word among a million assets is tens of
// milliseconds; asking the index whether the words stand in a field, from
// the oldest candidate on, reads only the window.)
const relevanceWindow = 500

var relevanceFields = []string{"title", "tags"}

// ranks is the ORDER BY of relevance over the candidates m, with its
// arguments; dir is " DESC" for best first.
func (p plan) ranks(dir string) (string, []any) {
	if len(p.terms) == 0 {
		return "m.id" + dir, nil
	}
	var by []string
	var args []any
	// The whole match goes along, so that the index reads no more of a
	// word's postings than the candidates' own query did.
	all := "(" + strings.Join(p.terms, " AND ") + ")"
	for _, f := range relevanceFields {
		by = append(by, "(m.id IN (SELECT rowid FROM "+p.table+" WHERE "+p.table+" MATCH ? AND rowid >= (SELECT min(id) FROM m)))"+dir)
		args = append(args, p.match+" AND ("+f+" : "+all+")")
	}
	return strings.Join(append(by, "m.id"+dir), ", "), args
}

// order is how a list is sorted: the ORDER BY, and the keyset condition
// that starts a page after a cursor.
type order struct {
	by        string
	relevance bool
	after     func(c *damask.Cursor) (string, []any)
}

// orderOf reads the filter's sort. rowid is the driving table's id column
// (the index's rowid or a.id), so that SQLite walks the index in order
// instead of sorting.
func orderOf(sort string, words bool, rowid string) (order, error) {
	desc := strings.HasPrefix(sort, "-")
	key := strings.TrimPrefix(sort, "-")
	dir, cmp := " ASC", ">"
	if desc {
		dir, cmp = " DESC", "<"
	}
	keyset := func(col string, val func(c *damask.Cursor) any) func(c *damask.Cursor) (string, []any) {
		return func(c *damask.Cursor) (string, []any) {
			return fmt.Sprintf("(%s, a.id) %s (?, ?)", col, cmp), []any{val(c), c.ID}
		}
	}
	switch {
	case key == "relevance", key == "" && words:
		if !words {
			return orderOf("", false, rowid) // nothing to rank by
		}
		// The best come first unless "-relevance" asks for the reverse.
		if key == "" || !desc {
			dir = " DESC"
		} else {
			dir = " ASC"
		}
		return order{by: dir, relevance: true}, nil
	case key == "", key == "created_on":
		if key == "" {
			dir, cmp = " DESC", "<"
		}
		return order{by: rowid + dir, after: func(c *damask.Cursor) (string, []any) {
			return rowid + " " + cmp + " ?", []any{c.ID}
		}}, nil
	case key == "updated_on":
		return order{by: "a.updated_at" + dir + ", a.id" + dir,
			after: keyset("a.updated_at", func(c *damask.Cursor) any { return c.Time.UnixNano() })}, nil
	case key == "title":
		return order{by: "a.title COLLATE NOCASE" + dir + ", a.id" + dir,
			after: keyset("a.title COLLATE NOCASE", func(c *damask.Cursor) any { return c.Title })}, nil
	case key == "size":
		return order{by: "a.size" + dir + ", a.id" + dir,
			after: keyset("a.size", func(c *damask.Cursor) any { return c.Size })}, nil
	}
	return order{}, damask.Errorf(damask.EINVALID, "Sort must be one of created_on, updated_on, title, size, relevance")
}

// from is the FROM and WHERE of a plan, with their arguments: the index
// drives when there is a MATCH, else the account's assets do. rowid is the
// driving table's id, so that SQLite walks it in order instead of sorting.
func (p plan) from(accountID int64) (from string, where []string, args []any, rowid string) {
	if p.match != "" {
		return p.table + " JOIN assets a ON a.id = " + p.table + ".rowid",
			append([]string{p.table + " MATCH ?"}, p.conds...), append([]any{p.match}, p.args...), p.table + ".rowid"
	}
	return "assets a", append([]string{"a.account_id = ?", "a.deleted_at IS NULL"}, p.conds...),
		append([]any{accountID}, p.args...), "a.id"
}

// ids is from for queries that want only the ids of the matches: without
// conditions on the row, the index alone answers, with no join to pay for.
func (p plan) ids(accountID int64) (from string, where []string, args []any, rowid string) {
	if p.match != "" && len(p.conds) == 0 {
		return p.table, []string{p.table + " MATCH ?"}, []any{p.match}, p.table + ".rowid"
	}
	return p.from(accountID)
}

// Statement is one SQL statement with its arguments.
type Statement struct {
	SQL  string
	Args []any
}

// Statements are what Assets runs to list a page of a filter, in the
// order it runs them, inside one read transaction.
type Statements struct {
	// Count reads up to damask.ExactCount+1 matches, newest first: their
	// number and the oldest id among them.
	Count Statement
	// Bounds runs only when Count finds more than damask.ExactCount: the
	// account's first and last asset ids, to estimate the rest.
	Bounds Statement
	// Page reads the page's assets (the id first of their columns).
	Page Statement
	// Tags reads the tags of up to 500 of the page's assets.
	Tags func(ids []int64) Statement
}

// SearchStatements answers the statements Assets runs for the filter, so
// that benchmarks and diagnostics can time the engine alone on the very
// SQL of the store (EXPLAIN QUERY PLAN it, run it on a plain connection).
// Assets builds its own with the same code, so they cannot drift. The
// trash is not a search: a filter with Trash set is EINVALID.
func (db *DB) SearchStatements(f damask.AssetFilter) (Statements, error) {
	if f.Trash {
		return Statements{}, damask.Errorf(damask.EINVALID, "the trash is listed without a search")
	}
	return listing(f)
}

// listing compiles the filter into the statements of Assets.
func listing(f damask.AssetFilter) (Statements, error) {
	p := compile(f)
	from, where, args, rowid := p.from(f.AccountID)
	o, err := orderOf(f.Sort, p.words && p.match != "", rowid) // ranking needs the index to drive
	if err != nil {
		return Statements{}, err
	}
	lim, off := limit(f.Page)

	var query string
	if len(f.MostWords) > 0 && p.match != "" {
		if f.After != nil {
			off = f.After.Offset
		}
		query, args = mostWords(f)
	} else if o.relevance {
		if f.After != nil {
			off = f.After.Offset
		}
		by, rargs := p.ranks(o.by)
		ifrom, iwhere, _, irowid := p.ids(f.AccountID)
		query = `WITH m AS (SELECT ` + irowid + ` AS id FROM ` + ifrom + ` WHERE ` + strings.Join(iwhere, " AND ") + `
				ORDER BY ` + irowid + ` DESC LIMIT ` + fmt.Sprint(relevanceWindow) + `)
			SELECT ` + assetColumns + ` FROM m JOIN assets a ON a.id = m.id
			ORDER BY ` + by + ` LIMIT ? OFFSET ?`
		args = append(args[:len(args):len(args)], rargs...)
	} else {
		if f.After != nil {
			cond, cargs := o.after(f.After)
			where, args = append(where, cond), append(args[:len(args):len(args)], cargs...)
			off = 0
		}
		query = `SELECT ` + assetColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY ` + o.by + ` LIMIT ? OFFSET ?`
	}
	return Statements{
		Count:  p.count(f.AccountID),
		Bounds: bounds(f.AccountID),
		Page:   Statement{query, append(args[:len(args):len(args)], lim, off)},
		Tags:   tagsOf,
	}, nil
}

// mostWords is the page query of a forgiving search (f.MostWords set,
// whose plan has a MATCH) without its LIMIT and OFFSET, and its
// arguments. It ranks candidates, not every match, as relevance does:
// any1, the newest relevanceWindow matches of any word, and any2, the
// newest relevanceWindow matches of any two words, so that the assets
// with several words are among them however many match one common word.
// Every count is read off windows of the index, each the newest
// relevanceWindow matches of a MATCH, which stop early when matches are
// dense and skip through the postings when they are sparse (no read of a
// common word's postings back to an old candidate):
//
//   - a candidate of any1 that is not in any2 has one word: with two, it
//     would be newer than the oldest of any2, so among any2;
//
//   - a candidate of any2 has word i if and only if it is in word[i], the
//     newest relevanceWindow matches of word i and any other word (which
//     is word i and any two): a subset of any2's matches, in which a
//     candidate of any2 is among the newest as well.
//
//   - of three words, a candidate of any2 has two: no asset has all three.
//
// Most words first, then in the order of f.Sort, newest first for
// relevance.
func mostWords(f damask.AssetFilter) (string, []any) {
	words := make([]search.Expr, len(f.MostWords))
	for i, w := range f.MostWords {
		words[i] = w
	}
	rest := search.FallbackRest(f.Query, len(words))
	two := append(rest, search.AtLeast(2, words))
	windows := []damask.Query{f.Query, two}
	for i, w := range words {
		if len(words) <= 3 {
			// No asset has all the words (see damask.AssetFilter), so one
			// of any2 has two: there is nothing to count.
			break
		}
		// Word i and any other is word i and any two, in fewer terms.
		others := append(search.Or{}, words[:i]...)
		others = append(others, words[i+1:]...)
		windows = append(windows, append(rest[:len(rest):len(rest)], w, others))
	}
	var args []any
	var ctes, count []string
	for i, q := range windows {
		wf := f
		wf.Query = q
		from, where, qargs, rowid := compile(wf).ids(f.AccountID)
		name := fmt.Sprintf("w%d", i)
		ctes = append(ctes, name+` AS MATERIALIZED (SELECT `+rowid+` AS id FROM `+from+` WHERE `+strings.Join(where, " AND ")+
			` ORDER BY `+rowid+` DESC LIMIT `+strconv.Itoa(relevanceWindow)+`)`)
		args = append(args, qargs...)
		if i >= 2 {
			count = append(count, "(m.id IN "+name+")")
		}
	}
	// The page is ranked on the ids alone when it goes by id, so that only
	// its own assets are read.
	if len(count) == 0 {
		count = []string{"2"}
	}
	then, join := "m.id DESC", ""
	if o, err := orderOf(f.Sort, false, "m.id"); err == nil { // relevance: newest first
		then = o.by
		if !strings.HasPrefix(then, "m.id") {
			join = " JOIN assets a ON a.id = m.id"
		}
	}
	return `WITH ` + strings.Join(ctes, ",\n\t\t\t") + `,
			m AS (SELECT id FROM w0 UNION SELECT id FROM w1),
			page AS (SELECT m.id AS id, (CASE WHEN m.id IN w1 THEN ` + strings.Join(count, " + ") + ` ELSE 1 END) AS n
				FROM m` + join + ` ORDER BY n DESC, ` + then + ` LIMIT ? OFFSET ?)
		SELECT ` + assetColumns + ` FROM page JOIN assets a ON a.id = page.id
		ORDER BY page.n DESC, ` + strings.ReplaceAll(then, "m.id", "a.id"), args
}

// Assets lists the assets the filter chooses, with their tags.
func (db *DB) Assets(ctx context.Context, f damask.AssetFilter) ([]*damask.Asset, int, error) {
	what := fmt.Sprintf("assets of account %d", f.AccountID)
	if f.Trash {
		return db.trash(ctx, f)
	}
	st, err := listing(f)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	var (
		as    []*damask.Asset
		total int
	)
	err = db.view(ctx, what, func(tx *sql.Tx) error {
		var err error
		if total, err = estimate(ctx, tx, st); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		as, err = queryAssets(ctx, tx, st.Page.SQL, st.Page.Args...)
		return err
	})
	return as, total, err
}

// queryAssets reads the assets a query selects, with their tags.
func queryAssets(ctx context.Context, tx *sql.Tx, query string, args ...any) ([]*damask.Asset, error) {
	rows, err := tx.QueryContext(ctx, query, args...)
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
	return as, loadTags(ctx, tx, as)
}

// trash lists the account's trash, newest first.
func (db *DB) trash(ctx context.Context, f damask.AssetFilter) ([]*damask.Asset, int, error) {
	var (
		as    []*damask.Asset
		total int
	)
	err := db.view(ctx, fmt.Sprintf("trash of account %d", f.AccountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, `SELECT count(*) FROM assets WHERE account_id = ? AND deleted_at IS NOT NULL`,
			f.AccountID).Scan(&total); err != nil {
			return err
		}
		lim, off := limit(f.Page)
		var err error
		as, err = queryAssets(ctx, tx, `SELECT `+assetColumns+` FROM assets a
			WHERE a.account_id = ? AND a.deleted_at IS NOT NULL ORDER BY a.id DESC LIMIT ? OFFSET ?`,
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
	from, where, args, rowid := p.from(f.AccountID)
	sample := `SELECT ` + rowid + ` AS id FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
		` ORDER BY ` + rowid + ` DESC LIMIT ` + fmt.Sprint(damask.FacetSample)
	err := db.view(ctx, fmt.Sprintf("facets of account %d", f.AccountID), func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, "SELECT count(*) FROM "+from+" WHERE "+strings.Join(where, " AND "),
			args...).Scan(&fc.Total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		fc.Approximate = fc.Total > damask.FacetSample
		rows, err := tx.QueryContext(ctx, `WITH m AS (`+sample+`)
			SELECT a.kind, count(*) FROM m JOIN assets a ON a.id = m.id GROUP BY a.kind`, args...)
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
		if err := rows.Close(); err != nil {
			return err
		}
		// The cut takes tags in the order of the answer, ties by name: cut
		// by id, it would keep other tags of a count than those it shows.
		rows, err = tx.QueryContext(ctx, `WITH m AS (`+sample+`),
			c AS (SELECT x.tag_id, count(*) AS n FROM m JOIN asset_tags x ON x.asset_id = m.id GROUP BY x.tag_id)
			SELECT t.id, t.account_id, t.name, t.created_at, c.n FROM c JOIN tags t ON t.id = c.tag_id
			ORDER BY c.n DESC, t.name LIMIT `+fmt.Sprint(damask.FacetTags), args...)
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

// count reads up to damask.ExactCount+1 of what the plan chooses, newest
// first: their number and the oldest id among them.
func (p plan) count(accountID int64) Statement {
	from, where, args, rowid := p.ids(accountID)
	return Statement{`SELECT count(*), min(id) FROM (SELECT ` + rowid + ` AS id FROM ` + from +
		` WHERE ` + strings.Join(where, " AND ") + ` ORDER BY ` + rowid + ` DESC LIMIT ` + strconv.Itoa(damask.ExactCount+1) + `)`,
		args}
}

// bounds reads the account's first and last asset ids. Two subqueries:
// SQLite reads min() or max() alone off the index, but both in one SELECT
// scan every row.
func bounds(accountID int64) Statement {
	return Statement{`SELECT
		coalesce((SELECT min(id) FROM assets WHERE account_id = ?1 AND deleted_at IS NULL), 0),
		coalesce((SELECT max(id) FROM assets WHERE account_id = ?1 AND deleted_at IS NULL), 0)`,
		[]any{accountID}}
}

// estimate counts what the statements choose: exactly up to
// damask.ExactCount, and beyond that by the density of matches among the
// newest ones, which takes as long for a million matches as for a
// thousand. (An exact count of a common word among a million assets reads
// every posting of it.)
func estimate(ctx context.Context, tx *sql.Tx, st Statements) (int, error) {
	var n int
	var oldest sql.NullInt64
	err := tx.QueryRowContext(ctx, st.Count.SQL, st.Count.Args...).Scan(&n, &oldest)
	if err != nil || n <= damask.ExactCount {
		return n, err
	}
	// The matches so far fill the ids from oldest to the newest asset;
	// the rest of the ids are taken to hold matches as densely.
	var first, last int64
	if err := tx.QueryRowContext(ctx, st.Bounds.SQL, st.Bounds.Args...).Scan(&first, &last); err != nil {
		return 0, err
	}
	span := float64(last - oldest.Int64 + 1)
	est := float64(n) * float64(last-first+1) / max(span, 1)
	return max(n, int(est)), nil
}

// Count counts exactly what the filter chooses, reading every match: for
// facets and benchmarks, not for every page of a list.
func (db *DB) Count(ctx context.Context, f damask.AssetFilter) (int, error) {
	p := compile(f)
	from, where, args, _ := p.ids(f.AccountID)
	query := "SELECT count(*) FROM " + from + " WHERE " + strings.Join(where, " AND ")
	var n int
	err := db.view(ctx, fmt.Sprintf("count assets of account %d", f.AccountID), func(tx *sql.Tx) error {
		return tx.QueryRowContext(ctx, query, args...).Scan(&n)
	})
	return n, err
}
