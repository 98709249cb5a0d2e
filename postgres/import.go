package postgres

import (
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

// Moving a whole library in (damask migrate-library): every row of another
// store, its ids kept, in one transaction; then what this store derives
// from the rows is made here, as its own writes would have made it.

// ImportSource is a library's rows, read table by table by Import.
type ImportSource interface {
	// Rows calls fn with each row of the table, the values of the named
	// columns in that order, in order of the table's key. The values are
	// those of a database/sql driver: int64, float64, bool, string,
	// []byte, time.Time or nil; a time may also be Unix nanoseconds and
	// a boolean an integer, as the SQLite store keeps them. fn may keep
	// the slice.
	Rows(ctx context.Context, table string, columns []string, fn func(values []any) error) error
	// Sequence answers the highest id the table ever gave, which is above
	// its highest id now when the newest rows were removed, or 0 when the
	// source keeps no such mark for it. The destination's ids start past
	// it, so that no id the source gave comes back (API.md: ids are never
	// reused).
	Sequence(ctx context.Context, table string) (int64, error)
}

// importTables are the tables Import fills, in an order that satisfies
// their foreign keys (accounts.holder_id, which points the other way, is
// set after users). Each has an id column except those marked.
// TestImportCarriesEveryTable holds it and notCarried against both
// schemas, so that a table added later is not left behind unseen.
var importTables = []struct {
	name string
	key  string // the column that orders and counts the rows
}{
	{"accounts", "id"},
	{"users", "id"},
	{"oidc_configs", "account_id"},
	{"tags", "id"},
	{"assets", "id"},
	{"asset_tags", "asset_id"},
	{"collections", "id"},
	{"collection_assets", "collection_id"},
	{"user_collections", "user_id"},
	{"inboxes", "id"},
	{"stages", "id"},
	{"stage_recipients", "stage_id"},
	{"stage_log", "id"},
	{"stage_digest", "id"},
	{"webhooks", "id"},
	{"webhook_deliveries", "id"},
	// An event's id counts within its account (no sequence of the table).
	{"events", "account_id"},
	{"versions", "id"},
	{"uploads", "id"},
	{"audit_events", "id"},
	{"tokens", "id"},
	{"sessions", "id"},
	{"jobs", "id"},
	{"renditions", "source"},
}

// notCarried are the tables Import leaves alone, on purpose: a moment's
// state, which the new servers make again (the throttle's and the request
// rate's counters, upload leases, resumable uploads under way,
// Idempotency-Keys, the caches' generation), the schema's version,
// event_counters, made from the events (finish), and account_usage, which
// the triggers count as the rows come in.
var notCarried = []string{"sign_in_failures", "upload_leases", "resumable_uploads", "idempotency_keys",
	"generation", "rate_buckets", "damask_schema", "event_counters", "account_usage"}

// derived are the columns this store computes from the others: never
// read from a source.
var derived = map[string]bool{
	"tags.assets_count":   true,
	"assets.tag_ids":      true,
	"assets.tsv":          true,
	"assets.tsv_filename": true,
	"assets.tsv_camera":   true,
}

// ImportState is what a database holds, compared with a source.
type ImportState int

const (
	// ImportEmpty: no library yet; Import may fill it.
	ImportEmpty ImportState = iota
	// ImportDone: the source's rows are here already, as Import leaves
	// them (each table as many rows, with the same highest key).
	ImportDone
	// ImportOther: another library, or this one changed since.
	ImportOther
)

// ImportStatus compares the database with src: empty, holding exactly
// what Import of src made, or holding something else.
func (db *DB) ImportStatus(ctx context.Context, src ImportSource) (ImportState, error) {
	var accounts int64
	if err := db.pool.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&accounts); err != nil {
		return 0, fmt.Errorf("postgres: import status: %w", err)
	}
	if accounts == 0 {
		return ImportEmpty, nil
	}
	for _, t := range importTables {
		var n int64
		var high any
		err := db.pool.QueryRow(ctx, fmt.Sprintf(`SELECT count(*), (SELECT %[1]s FROM %[2]s ORDER BY %[1]s DESC LIMIT 1) FROM %[2]s`,
			t.key, t.name)).Scan(&n, &high)
		if err != nil {
			return 0, fmt.Errorf("postgres: import status: %s: %w", t.name, err)
		}
		var sn int64
		var shigh any
		err = src.Rows(ctx, t.name, []string{t.key}, func(v []any) error {
			sn++
			shigh = v[0] // in order of the key: the last is the highest
			return nil
		})
		if err != nil {
			return 0, fmt.Errorf("postgres: import status: read %s: %w", t.name, err)
		}
		if n != sn || fmt.Sprint(high) != fmt.Sprint(shigh) {
			return ImportOther, nil
		}
	}
	return ImportDone, nil
}

// ErrNotEmpty is Import's answer for a database that already holds a
// library.
var ErrNotEmpty = errors.New("the database already holds a library")

// ImportCounts are the rows Import copied, by table.
type ImportCounts map[string]int64

// Import copies every row of src into the database, which must hold no
// account yet (else ErrNotEmpty), in one transaction: either the whole
// library is here afterwards, or nothing. Ids are kept, and each table's
// sequence is set past its highest id; search columns and tag counts are
// made here, as the store's own writes make them. The files the rows
// name must be in the file store already.
func (db *DB) Import(ctx context.Context, src ImportSource) (ImportCounts, error) {
	counts := ImportCounts{}
	err := db.update(ctx, "import", func(tx pgx.Tx) error {
		clear(counts)
		// One import at a time, and no server writing meanwhile.
		if _, err := tx.Exec(ctx, `LOCK TABLE accounts IN EXCLUSIVE MODE`); err != nil {
			return err
		}
		var n int64
		if err := tx.QueryRow(ctx, `SELECT count(*) FROM accounts`).Scan(&n); err != nil {
			return err
		}
		if n > 0 {
			return ErrNotEmpty
		}
		// Tag counts are made once at the end, not by the trigger per link.
		if _, err := tx.Exec(ctx, `SELECT set_config('damask.bulk', 'on', true)`); err != nil {
			return err
		}
		imp := &importer{tx: tx, src: src, counts: counts}
		for _, t := range importTables {
			if err := imp.table(ctx, t.name); err != nil {
				return fmt.Errorf("%s: %w", t.name, err)
			}
		}
		return imp.finish(ctx)
	})
	if err != nil {
		return nil, err
	}
	// Every table was loaded by COPY, of which the planner knows nothing
	// until its statistics are made (see Analyze). The import is committed
	// by then: should the vacuum fail, autovacuum makes them later.
	_ = db.Analyze(ctx)
	return counts, nil
}

// importer is one Import under way.
type importer struct {
	tx     pgx.Tx
	src    ImportSource
	counts ImportCounts

	holders  [][]any           // account id, holder id: set after users
	tagNames map[int64]string  // every tag, for the assets' search columns
	links    map[int64][]int64 // asset id to its tag ids, ascending
}

// columns are the table's columns that a source gives, and their types.
func (imp *importer) columns(ctx context.Context, table string) (names, types []string, err error) {
	rows, err := imp.tx.Query(ctx, `
		SELECT column_name, data_type FROM information_schema.columns
		WHERE table_schema = current_schema() AND table_name = $1 ORDER BY ordinal_position`, table)
	if err != nil {
		return nil, nil, err
	}
	defer rows.Close()
	for rows.Next() {
		var name, typ string
		if err := rows.Scan(&name, &typ); err != nil {
			return nil, nil, err
		}
		if !derived[table+"."+name] {
			names, types = append(names, name), append(types, typ)
		}
	}
	return names, types, rows.Err()
}

// table copies one table's rows.
func (imp *importer) table(ctx context.Context, table string) error {
	names, types, err := imp.columns(ctx, table)
	if err != nil {
		return err
	}
	if table == "tags" {
		// Read first, for the assets' search columns.
		if err := imp.remember(ctx, table); err != nil {
			return err
		}
	}
	holder := slices.Index(names, "holder_id")
	convertRow := func(vs []any) ([]any, error) {
		if len(vs) != len(names) {
			return nil, fmt.Errorf("source row of %d values, want %d", len(vs), len(names))
		}
		row := make([]any, len(vs), len(vs)+5)
		for i, v := range vs {
			c, err := convert(v, types[i])
			if err != nil {
				return nil, fmt.Errorf("column %s: %w", names[i], err)
			}
			row[i] = c
		}
		if holder >= 0 && row[holder] != nil {
			imp.holders = append(imp.holders, []any{row[0], row[holder]})
			row[holder] = nil
		}
		return row, nil
	}
	if table == "assets" {
		return imp.assets(ctx, names, convertRow)
	}
	if table == "stage_digest" {
		// Its one row is made by the migration: the source's replaces it.
		if _, err := imp.tx.Exec(ctx, `DELETE FROM stage_digest`); err != nil {
			return err
		}
	}
	n, err := imp.copyTable(ctx, table, names, table, convertRow)
	if err != nil {
		return err
	}
	imp.counts[table] = n
	if table == "users" && len(imp.holders) > 0 {
		var accounts, holders []int64
		for _, h := range imp.holders {
			accounts, holders = append(accounts, h[0].(int64)), append(holders, h[1].(int64))
		}
		if _, err := imp.tx.Exec(ctx, `
			UPDATE accounts SET holder_id = u.holder FROM unnest($1::bigint[], $2::bigint[]) AS u(id, holder)
			WHERE accounts.id = u.id`, accounts, holders); err != nil {
			return fmt.Errorf("set account holders: %w", err)
		}
	}
	return nil
}

// copyTable streams the source's rows of table, made into rows of the columns
// by row, into the table into by COPY, without holding them all in
// memory: the source is read on another goroutine while COPY sends.
func (imp *importer) copyTable(ctx context.Context, table string, columns []string, into string, row func([]any) ([]any, error)) (int64, error) {
	ctx, cancel := context.WithCancel(ctx)
	defer cancel()
	rows := make(chan []any, 256)
	var readErr error // set before rows is closed
	go func() {
		defer close(rows)
		readErr = imp.src.Rows(ctx, table, columns[:imp.sourceColumns(table, columns)], func(vs []any) error {
			r, err := row(vs)
			if err != nil {
				return err
			}
			select {
			case rows <- r:
				return nil
			case <-ctx.Done():
				return ctx.Err()
			}
		})
	}()
	n, err := imp.tx.CopyFrom(ctx, pgx.Identifier{into}, columns, pgx.CopyFromFunc(func() ([]any, error) {
		r, ok := <-rows
		if !ok {
			if readErr != nil {
				return nil, fmt.Errorf("read: %w", readErr)
			}
			return nil, nil // the end
		}
		return r, nil
	}))
	cancel()
	for range rows { // let the reader finish
	}
	if readErr != nil && !errors.Is(readErr, context.Canceled) {
		return 0, fmt.Errorf("read: %w", readErr)
	}
	if err != nil {
		return 0, fmt.Errorf("copy: %w", err)
	}
	return n, nil
}

// sourceColumns is how many of the columns come from the source: all but
// the assets' search columns, which are staged after them.
func (imp *importer) sourceColumns(table string, columns []string) int {
	if table == "assets" {
		return len(columns) - len(stagedColumns)
	}
	return len(columns)
}

// stagedColumns are what the assets' staging table holds besides the
// asset's own columns: what the search columns are made of.
var stagedColumns = []string{"tag_ids", "parts", "weights", "folded_filename", "folded_camera"}

// remember reads the tags' names or the assets' links from the source.
func (imp *importer) remember(ctx context.Context, table string) error {
	if table == "tags" {
		imp.tagNames = map[int64]string{}
		return imp.src.Rows(ctx, table, []string{"id", "name"}, func(vs []any) error {
			id, ok := vs[0].(int64)
			name, ok2 := vs[1].(string)
			if !ok || !ok2 {
				return fmt.Errorf("tag row holds %T, %T", vs[0], vs[1])
			}
			imp.tagNames[id] = name
			return nil
		})
	}
	imp.links = map[int64][]int64{}
	err := imp.src.Rows(ctx, table, []string{"asset_id", "tag_id"}, func(vs []any) error {
		a, ok := vs[0].(int64)
		t, ok2 := vs[1].(int64)
		if !ok || !ok2 {
			return fmt.Errorf("tag link row holds %T, %T", vs[0], vs[1])
		}
		imp.links[a] = append(imp.links[a], t)
		return nil
	})
	for _, ts := range imp.links {
		slices.Sort(ts)
	}
	return err
}

// assets copies the assets through a temporary table, from which one
// INSERT makes their search columns in the server (as CreateAssets does),
// from the same document as reindex reads: tags in order of id. Kind and
// extension are derived anew, as every write of the store derives them.
func (imp *importer) assets(ctx context.Context, names []string, convertRow func([]any) ([]any, error)) error {
	// Links are copied after the assets they name: read them now.
	if err := imp.remember(ctx, "asset_tags"); err != nil {
		return err
	}
	col := func(name string) int { return slices.Index(names, name) }
	id, title, description, filename, camera, text := col("id"), col("title"), col("description"),
		col("filename"), col("camera"), col("text")
	contentType, kind, ext, meta := col("content_type"), col("kind"), col("ext"), col("meta")
	for _, c := range []int{id, title, description, filename, camera, text, contentType, kind, ext} {
		if c < 0 {
			return errors.New("the assets table lacks a column of the search document")
		}
	}
	str := func(v any) string { s, _ := v.(string); return s }
	stage := func(vs []any) ([]any, error) {
		r, err := convertRow(vs)
		if err != nil {
			return nil, err
		}
		assetID, _ := r[id].(int64)
		tagIDs := imp.links[assetID]
		if tagIDs == nil {
			tagIDs = []int64{}
		}
		tags := make([]string, len(tagIDs))
		for j, t := range tagIDs {
			tags[j] = imp.tagNames[t]
		}
		r[kind], r[ext] = kindAndExt(str(r[contentType]), str(r[filename]))
		var fields []damask.MetaText
		if meta >= 0 {
			switch m := r[meta].(type) {
			case string:
				fields = metaTexts([]byte(m))
			case []byte:
				fields = metaTexts(m)
			case nil:
			default:
				b, _ := json.Marshal(m)
				fields = metaTexts(b)
			}
		}
		parts, weights := document(str(r[title]), str(r[description]), str(r[filename]), str(r[camera]), str(r[text]), tags, fields)
		return append(r, tagIDs, parts, weights, folded(str(r[filename])), folded(str(r[camera]))), nil
	}
	if _, err := imp.tx.Exec(ctx, `
		CREATE TEMPORARY TABLE damask_import (LIKE assets INCLUDING DEFAULTS) ON COMMIT DROP;
		ALTER TABLE damask_import ADD COLUMN parts text[], ADD COLUMN weights text[],
			ADD COLUMN folded_filename text, ADD COLUMN folded_camera text`, pgx.QueryExecModeSimpleProtocol); err != nil {
		return fmt.Errorf("stage: %w", err)
	}
	n, err := imp.copyTable(ctx, "assets", append(slices.Clone(names), stagedColumns...), "damask_import", stage)
	if err != nil {
		return err
	}
	imp.counts["assets"] = n
	list := strings.Join(names, ", ")
	if _, err := imp.tx.Exec(ctx, `
		INSERT INTO assets (`+list+`, tag_ids, tsv, tsv_filename, tsv_camera)
		SELECT `+list+`, tag_ids, damask_tsv(parts, weights),
			to_tsvector('damask', folded_filename), to_tsvector('damask', folded_camera)
		FROM damask_import ORDER BY id`); err != nil {
		return fmt.Errorf("insert: %w", err)
	}
	imp.links = nil // not needed any more
	return nil
}

// finish counts each tag's assets outside the trash and sets every
// sequence past its table's highest id and past every id the source's
// table ever gave.
func (imp *importer) finish(ctx context.Context) error {
	if _, err := imp.tx.Exec(ctx, `
		UPDATE tags SET assets_count = c.n FROM (
			SELECT x.tag_id, count(*) AS n FROM asset_tags x JOIN assets a ON a.id = x.asset_id
			WHERE a.deleted_at IS NULL GROUP BY x.tag_id) c
		WHERE tags.id = c.tag_id`); err != nil {
		return fmt.Errorf("count tags: %w", err)
	}
	for _, t := range importTables {
		if t.key != "id" {
			continue
		}
		given, err := imp.src.Sequence(ctx, t.name)
		if err != nil {
			return fmt.Errorf("sequence of %s: %w", t.name, err)
		}
		// setval to the highest id, or the source's mark above it: the
		// next is one more. An empty table the source never gave an id
		// keeps its sequence at the start.
		if _, err := imp.tx.Exec(ctx, fmt.Sprintf(`
			SELECT setval(pg_get_serial_sequence('%[1]s', 'id'), greatest(max(id), $1))
			FROM %[1]s HAVING greatest(max(id), $1) > 0`, t.name), given); err != nil {
			return fmt.Errorf("sequence of %s: %w", t.name, err)
		}
	}
	// Each account's next event follows its highest: the store keeps
	// every account's newest event, so that is the highest it ever gave.
	if _, err := imp.tx.Exec(ctx, `
		INSERT INTO event_counters (account_id, last) SELECT account_id, max(id) FROM events GROUP BY account_id`); err != nil {
		return fmt.Errorf("event counters: %w", err)
	}
	_, err := imp.tx.Exec(ctx, `SELECT set_config('damask.bulk', 'off', true)`)
	return err
}

// convert turns a source value into one of the PostgreSQL column's type
// (information_schema's data_type).
func convert(v any, typ string) (any, error) {
	if v == nil {
		return nil, nil
	}
	switch typ {
	case "timestamp with time zone":
		switch x := v.(type) {
		case int64:
			return time.Unix(0, x).UTC(), nil
		case time.Time:
			return x.UTC(), nil
		}
	case "boolean":
		switch x := v.(type) {
		case int64:
			return x != 0, nil
		case bool:
			return x, nil
		}
	case "bigint", "integer":
		if x, ok := v.(int64); ok {
			return x, nil
		}
	case "double precision":
		switch x := v.(type) {
		case float64:
			return x, nil
		case int64:
			return float64(x), nil
		}
	case "text":
		switch x := v.(type) {
		case string:
			return x, nil
		case []byte:
			return string(x), nil
		}
	case "bytea":
		switch x := v.(type) {
		case []byte:
			return x, nil
		case string:
			return []byte(x), nil
		}
	case "jsonb":
		// Bytes are taken as JSON text as it is.
		switch x := v.(type) {
		case string:
			return []byte(x), nil
		case []byte:
			return x, nil
		}
	case "ARRAY":
		// The SQLite store keeps a list of names (an event's changed
		// fields, a webhook's events) as one text, comma-separated.
		switch x := v.(type) {
		case string:
			return splitNames(x), nil
		case []byte:
			return splitNames(string(x)), nil
		}
		return v, nil
	}
	return nil, fmt.Errorf("a %T cannot go into a %s column", v, typ)
}

// splitNames is a comma-separated list as a text array: "" is empty.
func splitNames(s string) []string {
	if s == "" {
		return []string{}
	}
	return strings.Split(s, ",")
}
