package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"path"
	"strconv"
	"strings"
	"unicode"

	"damask"
	"damask/search"
)

// The full-text index, assets_fts (migrations/0002_search.sql), and the
// compiler of search trees into queries over it.

// kindAndExt derive the kind and extension columns of an asset.
func kindAndExt(contentType, filename string) (string, string) {
	ext := strings.ToLower(strings.TrimPrefix(path.Ext(filename), "."))
	return search.KindOf(contentType), ext
}

// indexRow is what the index holds of an asset.
type indexRow struct {
	id                                 int64
	title, description, filename, tags string
	camera, body                       string
	accountID, userID                  int64
	kind, ext                          string
	tagIDs                             []int64
}

// writeIndex replaces the asset's row in the index. Tag names are joined
// with " ; " so that a phrase never runs from one tag into the next.
func writeIndex(ctx context.Context, tx *sql.Tx, r indexRow) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM assets_fts WHERE rowid = ?`, r.id); err != nil {
		return fmt.Errorf("unindex asset %d: %w", r.id, err)
	}
	ids := make([]string, len(r.tagIDs))
	for i, id := range r.tagIDs {
		ids[i] = "t" + strconv.FormatInt(id, 10)
	}
	_, err := tx.ExecContext(ctx, `
		INSERT INTO assets_fts (rowid, title, description, filename, tags, camera, body,
			acct, kind, ext, owner, tagids)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		r.id, r.title, r.description, r.filename, r.tags, r.camera, r.body,
		"a"+strconv.FormatInt(r.accountID, 10), r.kind, r.ext, "u"+strconv.FormatInt(r.userID, 10), strings.Join(ids, " "))
	if err != nil {
		return fmt.Errorf("index asset %d: %w", r.id, err)
	}
	return nil
}

// reindex writes the index rows of the given assets as they are now in the
// transaction: a row for each asset outside the trash, none for the others.
func reindex(ctx context.Context, tx *sql.Tx, ids ...int64) error {
	for _, id := range ids {
		r := indexRow{id: id}
		var tagIDs string
		err := tx.QueryRowContext(ctx, `
			SELECT a.title, a.description, a.filename,
				coalesce((SELECT group_concat(t.name, ' ; ') FROM asset_tags x JOIN tags t ON t.id = x.tag_id
					WHERE x.asset_id = a.id), ''),
				a.camera, a.text, a.account_id, coalesce(a.user_id, 0), a.kind, a.ext,
				coalesce((SELECT group_concat(x.tag_id, ' ') FROM asset_tags x WHERE x.asset_id = a.id), '')
			FROM assets a WHERE a.id = ? AND a.deleted_at IS NULL`, id).
			Scan(&r.title, &r.description, &r.filename, &r.tags, &r.camera, &r.body,
				&r.accountID, &r.userID, &r.kind, &r.ext, &tagIDs)
		if errors.Is(err, sql.ErrNoRows) { // in the trash, or gone
			if _, err := tx.ExecContext(ctx, `DELETE FROM assets_fts WHERE rowid = ?`, id); err != nil {
				return fmt.Errorf("unindex asset %d: %w", id, err)
			}
			continue
		}
		if err != nil {
			return fmt.Errorf("read asset %d for the index: %w", id, err)
		}
		for _, f := range strings.Fields(tagIDs) {
			tid, err := strconv.ParseInt(f, 10, 64)
			if err != nil {
				return fmt.Errorf("tag ids of asset %d: %w", id, err)
			}
			r.tagIDs = append(r.tagIDs, tid)
		}
		if err := writeIndex(ctx, tx, r); err != nil {
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

// backfill fills kind and ext of rows written before they existed and
// indexes them, a batch a transaction.
func (db *DB) backfill(ctx context.Context) error {
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

// textColumns are the index's columns for words of any field.
const textColumns = "{title description filename tags camera body}"

// bm25Weights rank a word in the title above one in the tags, the
// filename, the description and camera, and those above extracted text;
// filter tokens do not count.
const bm25Weights = "10.0, 2.0, 4.0, 5.0, 2.0, 1.0, 0, 0, 0, 0, 0"

// plan is a compiled filter: an FTS5 MATCH that drives the scan (empty:
// scan the account's assets instead) and SQL conditions on the asset a.
type plan struct {
	match string
	conds []string
	args  []any
	words bool // the match holds words, so relevance can rank it
}

// compile turns the filter into a plan. Parts of the query that the index
// can answer (words, phrases, tags, kind, extension, uploader) go into the
// MATCH, together with the account; the rest (sizes, dates, dimensions)
// become conditions on the asset row.
func compile(f damask.AssetFilter) plan {
	var p plan
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
			}
			continue
		}
		cond, args := p.sql(e, f.AccountID)
		p.conds, p.args = append(p.conds, cond), append(p.args, args...)
	}
	for _, id := range f.TagIDs {
		pos = append(pos, fmt.Sprintf(`tagids : "t%d"`, id))
	}
	if len(pos)+len(neg) > 0 {
		p.match = matchIn(f.AccountID, pos, neg)
	}
	return p
}

// matchIn is a MATCH within the account: all of pos and none of neg.
func matchIn(accountID int64, pos, neg []string) string {
	var b strings.Builder
	fmt.Fprintf(&b, `acct : "a%d"`, accountID)
	for _, x := range pos {
		b.WriteString(" AND (" + x + ")")
	}
	for _, x := range neg {
		b.WriteString(" NOT (" + x + ")")
	}
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
		x := columns(e.Field) + " : " + quote(e.Value)
		if e.Prefix {
			x += " *"
		}
		return x, true
	case search.Phrase:
		if !hasToken(strings.Join(e.Words, " ")) {
			return "", true
		}
		p.words = true
		return columns(e.Field) + " : " + quote(strings.Join(e.Words, " ")), true
	case search.Tag:
		return fmt.Sprintf(`tagids : "t%d"`, e.ID), true
	case search.Kind:
		return "kind : " + quote(e.Kind), true
	case search.Ext:
		if !hasToken(e.Ext) {
			return "", true
		}
		return "ext : " + quote(e.Ext), true
	case search.By:
		return fmt.Sprintf(`owner : "u%d"`, e.UserID), true
	case search.And:
		var pos, neg []string
		for _, x := range e {
			if n, ok := x.(search.Not); ok {
				s, ok := p.fts(n.X)
				if !ok {
					return "", false
				}
				if s != "" {
					neg = append(neg, s)
				}
				continue
			}
			s, ok := p.fts(x)
			if !ok {
				return "", false
			}
			if s != "" {
				pos = append(pos, s)
			}
		}
		if len(pos) == 0 && len(neg) > 0 {
			return "", false // FTS5's NOT needs something to take from
		}
		x := "(" + strings.Join(pos, ") AND (") + ")"
		if len(pos) == 0 {
			x = ""
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
func (p *plan) sql(e search.Expr, accountID int64) (string, []any) {
	if x, ok := p.fts(e); ok {
		if x == "" {
			return "1", nil
		}
		return "a.id IN (SELECT rowid FROM assets_fts WHERE assets_fts MATCH ?)", []any{matchIn(accountID, []string{x}, nil)}
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
			c, a := p.sql(x, accountID)
			conds[i], args = c, append(args, a...)
		}
		return "(" + strings.Join(conds, join) + ")", args
	case search.Not:
		c, a := p.sql(e.X, accountID)
		return "NOT " + c, a
	case search.Compare:
		col := map[string]string{search.Size: "a.size", search.Width: "a.width", search.Height: "a.height"}[e.Field]
		op := map[string]string{search.Less: "<", search.LessEqual: "<=", search.Greater: ">", search.GreaterEqual: ">="}[e.Op]
		if col == "" || op == "" {
			return "0", nil
		}
		return fmt.Sprintf("coalesce(%s %s ?, 0)", col, op), []any{e.Value}
	case search.Date:
		if e.Before {
			return "a.created_at < ?", []any{e.At.UnixNano()}
		}
		return "a.created_at >= ?", []any{e.At.UnixNano()}
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
	}
	return "0", nil // a node this store does not know matches nothing
}

// columns is the FTS5 column filter of a search field.
func columns(field string) string {
	switch field {
	case search.Title, search.Filename, search.Description, search.Camera:
		return field
	}
	return textColumns
}

// quote makes an FTS5 string: the tokenizer splits it as it split the
// indexed text, so IMG_2041.jpg becomes the phrase img 2041 jpg.
func quote(s string) string { return `"` + strings.ReplaceAll(s, `"`, `""`) + `"` }

// hasToken tells whether the tokenizer would find a word in s.
func hasToken(s string) bool {
	return strings.IndexFunc(s, func(r rune) bool { return unicode.IsLetter(r) || unicode.IsNumber(r) }) >= 0
}

// relevanceWindow bounds ranking: a query by relevance ranks the newest
// relevanceWindow matches and not all of them, so that a common word among
// a million assets still answers in milliseconds. A rare word (fewer
// matches than the window) is ranked whole.
const relevanceWindow = 2000

// order is how a list is sorted: the ORDER BY, and the keyset condition
// that starts a page after a cursor.
type order struct {
	by        string
	relevance bool
	after     func(c *damask.Cursor) (string, []any)
}

// orderOf reads the filter's sort. rowid is the driving table's id column
// (assets_fts.rowid or a.id), so that SQLite walks the index in order
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
		// bm25 is lower for better matches: the best come first unless
		// "-relevance" asks for the reverse.
		return order{by: "m.score" + dir + ", a.id DESC", relevance: true}, nil
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
// drives when there is a MATCH, else the account's assets do.
func (p plan) from(accountID int64) (from string, where []string, args []any, rowid string) {
	if p.match != "" {
		return "assets_fts JOIN assets a ON a.id = assets_fts.rowid",
			append([]string{"assets_fts MATCH ?"}, p.conds...), append([]any{p.match}, p.args...), "assets_fts.rowid"
	}
	return "assets a", append([]string{"a.account_id = ?", "a.deleted_at IS NULL"}, p.conds...),
		append([]any{accountID}, p.args...), "a.id"
}

// Assets lists the assets the filter chooses, with their tags.
func (db *DB) Assets(ctx context.Context, f damask.AssetFilter) ([]*damask.Asset, int, error) {
	what := fmt.Sprintf("assets of account %d", f.AccountID)
	if f.Trash {
		return db.trash(ctx, f)
	}
	p := compile(f)
	from, where, args, rowid := p.from(f.AccountID)
	o, err := orderOf(f.Sort, p.words, rowid)
	if err != nil {
		return nil, 0, fmt.Errorf("sqlite: %s: %w", what, err)
	}
	lim, off := limit(f.Page)
	countQuery := "SELECT count(*) FROM " + from + " WHERE " + strings.Join(where, " AND ")
	if p.match != "" && len(p.conds) == 0 {
		countQuery = "SELECT count(*) FROM assets_fts WHERE assets_fts MATCH ?" // no join to pay for
	}
	countArgs := args

	var query string
	if o.relevance {
		if f.After != nil {
			off = f.After.Offset
		}
		query = `SELECT ` + assetColumns + ` FROM (
				SELECT assets_fts.rowid AS id, bm25(assets_fts, ` + bm25Weights + `) AS score
				FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") + `
				ORDER BY assets_fts.rowid DESC LIMIT ` + fmt.Sprint(relevanceWindow) + `) m
			JOIN assets a ON a.id = m.id
			ORDER BY ` + o.by + ` LIMIT ? OFFSET ?`
	} else {
		if f.After != nil {
			cond, cargs := o.after(f.After)
			where, args = append(where, cond), append(args[:len(args):len(args)], cargs...)
			off = 0
		}
		query = `SELECT ` + assetColumns + ` FROM ` + from + ` WHERE ` + strings.Join(where, " AND ") +
			` ORDER BY ` + o.by + ` LIMIT ? OFFSET ?`
	}

	var (
		as    []*damask.Asset
		total int
	)
	err = db.view(ctx, what, func(tx *sql.Tx) error {
		if err := tx.QueryRowContext(ctx, countQuery, countArgs...).Scan(&total); err != nil {
			return fmt.Errorf("count: %w", err)
		}
		var err error
		as, err = queryAssets(ctx, tx, query, append(args, lim, off)...)
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
		rows, err = tx.QueryContext(ctx, `WITH m AS (`+sample+`),
			c AS (SELECT x.tag_id, count(*) AS n FROM m JOIN asset_tags x ON x.asset_id = m.id
				GROUP BY x.tag_id ORDER BY n DESC, x.tag_id LIMIT `+fmt.Sprint(damask.FacetTags)+`)
			SELECT t.id, t.account_id, t.name, t.created_at, c.n FROM c JOIN tags t ON t.id = c.tag_id
			ORDER BY c.n DESC, t.name`, args...)
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
