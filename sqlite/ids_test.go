package sqlite

import (
	"crypto/sha256"
	"database/sql"
	"errors"
	"fmt"
	"maps"
	"net/url"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"

	"damask"
	"damask/migration"
	"damask/search"
	"damask/storetest"
)

// idTables are the tables whose ids the API or the web shows: migration
// 0015 gives them AUTOINCREMENT.
var idTables = []string{"accounts", "users", "tags", "assets", "versions", "uploads", "audit_events", "tokens"}

// openRaw opens the file at path with the store's settings and applies
// no migration: the test moves it through the steps with migrateTo. Its
// store methods write today's schema, not the file's: rows of an older
// schema go in through oldFile.
func openRaw(t *testing.T, path string) *DB {
	t.Helper()
	params := url.Values{"_journal_mode": {"WAL"}, "_synchronous": {"FULL"}, "_foreign_keys": {"on"}, "_busy_timeout": {"10000"}}
	read, err := sql.Open("sqlite3", path+"?"+params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	params.Set("_txlock", "immediate")
	write, err := sql.Open("sqlite3", path+"?"+params.Encode())
	if err != nil {
		t.Fatal(err)
	}
	write.SetMaxOpenConns(1)
	return &DB{write: write, read: read, now: time.Now}
}

// fileState is what must survive a migration that rebuilds tables: every
// row of every table (the search indexes' shadow tables too), and of the
// schema every column, index, trigger and foreign key.
func fileState(t *testing.T, db *sql.DB) map[string][]string {
	t.Helper()
	ctx := t.Context()
	state := map[string][]string{}
	var tables []string
	rows, err := db.QueryContext(ctx, `SELECT type, name, tbl_name, coalesce(sql, '') FROM sqlite_schema
		WHERE name NOT LIKE 'sqlite_%' ORDER BY name`)
	if err != nil {
		t.Fatal(err)
	}
	for rows.Next() {
		var typ, name, table, sqlText string
		if err := rows.Scan(&typ, &name, &table, &sqlText); err != nil {
			t.Fatal(err)
		}
		switch {
		case typ == "table" && strings.HasPrefix(sqlText, "CREATE VIRTUAL"):
			state["schema"] = append(state["schema"], sqlText) // its rows are in its shadow tables
		case typ == "table":
			tables = append(tables, name)
		default: // indexes and triggers, made again as they were
			state["schema"] = append(state["schema"], typ+" "+name+" on "+table+": "+sqlText)
		}
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	rows.Close()
	for _, table := range tables {
		for _, pragma := range []string{"table_info", "foreign_key_list", "index_list"} {
			state[pragma+" "+table] = queryStrings(t, db, fmt.Sprintf("SELECT * FROM pragma_%s(%s)", pragma, quote(table)))
		}
		state["rows "+table] = queryStrings(t, db, "SELECT * FROM "+quote(table))
	}
	return state
}

// queryStrings answers the rows of a query, each printed, sorted.
func queryStrings(t *testing.T, db *sql.DB, query string) []string {
	t.Helper()
	rows, err := db.QueryContext(t.Context(), query)
	if err != nil {
		t.Fatalf("%s: %v", query, err)
	}
	defer rows.Close()
	cols, err := rows.Columns()
	if err != nil {
		t.Fatal(err)
	}
	var out []string
	for rows.Next() {
		vs := make([]any, len(cols))
		ptrs := make([]any, len(cols))
		for i := range vs {
			ptrs[i] = &vs[i]
		}
		if err := rows.Scan(ptrs...); err != nil {
			t.Fatal(err)
		}
		out = append(out, fmt.Sprintf("%v", vs))
	}
	if err := rows.Err(); err != nil {
		t.Fatal(err)
	}
	slices.Sort(out)
	return out
}

// oldFile writes the rows of a file at the schema before 0015 as the store
// of then wrote them, by SQL of that schema: spelled out here, not borrowed
// from today's store, whose statements follow today's schema (a later step
// that adds a column the store writes must not break this test). A helper
// a kind of object, each writing what that store's create wrote.
type oldFile struct {
	t     *testing.T
	db    *sql.DB
	clock int64 // nanoseconds, as the store kept times; a millisecond a write
}

func (f *oldFile) now() int64 {
	f.clock += int64(time.Millisecond)
	return f.clock
}

// exec runs a statement and answers the rowid it inserted, if any.
func (f *oldFile) exec(query string, args ...any) int64 {
	f.t.Helper()
	res, err := f.db.ExecContext(f.t.Context(), query, args...)
	if err != nil {
		f.t.Fatalf("%s: %v", strings.Join(strings.Fields(query), " "), err)
	}
	id, err := res.LastInsertId()
	if err != nil {
		f.t.Fatal(err)
	}
	return id
}

// blob is a made-up file's reference.
func blob(name string) []byte {
	sum := sha256.Sum256([]byte(name))
	return sum[:]
}

// account makes an account, its holder and its search index.
func (f *oldFile) account(name string) (accountID, holderID int64) {
	now := f.now()
	accountID = f.exec(`
		INSERT INTO accounts (name, company_name, billing_email, country, plan,
			api_enabled, public_links, public_thumbnails, keywords_to_tags,
			branding_title, branding_font_color, branding_top_color,
			branding_bottom_color, branding_logo, branding_updated_at,
			created_at, updated_at)
		VALUES (?, '', '', '', 'pro', 0, 0, 1, 1, '', '', '', '', '', NULL, ?, ?)`, name, now, now)
	holderID = f.user(accountID, "holder", string(damask.RoleHolder))
	f.exec(`UPDATE accounts SET holder_id = ? WHERE id = ?`, holderID, accountID)
	f.exec(fmt.Sprintf(`CREATE VIRTUAL TABLE fts_%d USING fts5(
		title, description, filename, tags, camera, body, filters,
		content = '',
		contentless_delete = 1,
		tokenize = 'porter unicode61 remove_diacritics 2',
		prefix = '2 3'
	)`, accountID))
	return accountID, holderID
}

func (f *oldFile) user(accountID int64, login, role string) int64 {
	now := f.now()
	return f.exec(`
		INSERT INTO users (account_id, login, email, first_name, last_name, role, password_hash,
			disabled, created_at, updated_at)
		VALUES (?, ?, ?, '', '', ?, '', 0, ?, ?)`, accountID, login, login+"@example.com", role, now, now)
}

func (f *oldFile) deleteUser(id int64) { f.exec(`DELETE FROM users WHERE id = ?`, id) }

func (f *oldFile) tag(accountID int64, name string) int64 {
	return f.exec(`INSERT INTO tags (account_id, name, created_at) VALUES (?, ?, ?)`, accountID, name, f.now())
}

// tagNamed finds the account's tag of that name or makes it, as tagging
// an asset did.
func (f *oldFile) tagNamed(accountID int64, name string) int64 {
	f.t.Helper()
	var id int64
	err := f.db.QueryRowContext(f.t.Context(), `SELECT id FROM tags WHERE account_id = ? AND name = ?`, accountID, name).Scan(&id)
	switch {
	case errors.Is(err, sql.ErrNoRows):
		return f.tag(accountID, name)
	case err != nil:
		f.t.Fatal(err)
	}
	return id
}

func (f *oldFile) deleteTag(id int64) { f.exec(`DELETE FROM tags WHERE id = ?`, id) }

// asset makes an asset of a JPEG named after its title, pending
// processing, as CreateAsset did: the asset, its first version, its tags,
// its job and its row in the account's search index, whose rowid is the
// asset's id.
func (f *oldFile) asset(accountID, userID int64, title string, tags ...string) (assetID, versionID int64) {
	now := f.now()
	filename := title + ".jpg"
	assetID = f.exec(`
		INSERT INTO assets (account_id, title, description, filename, content_type,
			size, blob, version, user_id, public_token, public_link_by, processing, created_at, updated_at,
			width, height, camera, taken_at, latitude, longitude, text, kind, ext, thumb_token)
		VALUES (?, ?, '', ?, 'image/jpeg', 1000, ?, 1, ?, '', NULL, 'pending', ?, ?,
			NULL, NULL, '', NULL, NULL, NULL, '', 'image', 'jpg', ?)`,
		accountID, title, filename, blob(title), userID, now, now, "thumb-"+title)
	versionID = f.version(assetID, 1, filename, userID)
	filters := []string{oldMark + "kimage", fmt.Sprintf("%su%d", oldMark, userID), oldMark + "ejpg"}
	for _, name := range tags {
		tagID := f.tagNamed(accountID, name)
		f.exec(`INSERT OR IGNORE INTO asset_tags (asset_id, tag_id) VALUES (?, ?)`, assetID, tagID)
		filters = append(filters, fmt.Sprintf("%st%d", oldMark, tagID))
	}
	f.exec(`
		INSERT INTO jobs (account_id, asset_id, version, blob, state, run_after, created_at, updated_at)
		VALUES (?, ?, 1, ?, 'queued', ?, ?, ?)`, accountID, assetID, blob(title), now, now, now)
	f.exec(fmt.Sprintf(`
		INSERT INTO fts_%d (rowid, title, description, filename, tags, camera, body, filters)
		VALUES (?, ?, '', ?, ?, '', '', ?)`, accountID),
		assetID, title, filename, strings.Join(tags, " "+oldMark+" "), strings.Join(filters, " "))
	return assetID, versionID
}

// oldMark starts the filter tokens of the search index (search.go).
const oldMark = "\uE000"

// purgeAsset trashes an asset and empties the trash: its index row goes
// with the first, its versions, tags and jobs with the second.
func (f *oldFile) purgeAsset(accountID, id int64) {
	f.exec(`UPDATE assets SET deleted_at = ? WHERE id = ?`, f.now(), id)
	f.exec(fmt.Sprintf(`DELETE FROM fts_%d WHERE rowid = ?`, accountID), id)
	f.exec(`DELETE FROM assets WHERE id = ?`, id)
}

func (f *oldFile) version(assetID int64, number int, filename string, userID int64) int64 {
	return f.exec(`
		INSERT INTO versions (asset_id, number, filename, content_type, size, blob, comment, user_id, created_at)
		VALUES (?, ?, ?, 'image/jpeg', 1000, ?, 'first', ?, ?)`,
		assetID, number, filename, blob(filename), userID, f.now())
}

func (f *oldFile) upload(accountID, userID int64, name string) int64 {
	now := f.now()
	return f.exec(`
		INSERT INTO uploads (account_id, user_id, filename, content_type, size, blob, created_at, expires_at)
		VALUES (?, ?, ?, 'application/octet-stream', 10, ?, ?, ?)`,
		accountID, userID, name, blob(name), now, now+int64(24*time.Hour))
}

func (f *oldFile) deleteUpload(id int64) { f.exec(`DELETE FROM uploads WHERE id = ?`, id) }

func (f *oldFile) token(accountID, userID int64, secret string) int64 {
	hash := sha256.Sum256([]byte(secret))
	return f.exec(`
		INSERT INTO tokens (account_id, user_id, name, read_only, prefix, hash,
			created_at, expires_at, last_used_at, revoked_at)
		VALUES (?, ?, ?, 0, ?, ?, ?, NULL, NULL, NULL)`,
		accountID, userID, "token "+secret, secret[:8], hash[:], f.now())
}

func (f *oldFile) audit(accountID int64, target string) {
	f.exec(`
		INSERT INTO audit_events (account_id, user_id, action, target, detail, source, at)
		VALUES (?, NULL, 'removed', ?, '', '', ?)`, accountID, target, f.now())
}

// idempotencyKey records a create made with an Idempotency-Key.
func (f *oldFile) idempotencyKey(accountID, userID int64, key, kind string, resourceID int64) {
	f.exec(`
		INSERT INTO idempotency_keys (account_id, user_id, key, request, kind, resource_id, number, created_at)
		VALUES (?, ?, ?, ?, ?, ?, 0, ?)`, accountID, userID, key, blob(key), kind, resourceID, f.now())
}

// TestMigrationKeepsIDs writes a file at the schema before 0015 by SQL of
// that schema (oldFile), where the newest object of each kind was removed
// and its id given again, and where the audit log and the Idempotency-Keys
// name ids removed since; applies exactly step 0015 and checks that every
// row, id, link and search row is kept; then opens the file with the store
// (every later step too) and checks that from then on no id comes back,
// not even one removed before the migration that a trace names. Later
// steps touch neither the old rows nor the comparison, so they leave this
// test alone; 0015 copies the columns of its time, and any added later
// are added to the tables it made.
func TestMigrationKeepsIDs(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	step := slices.IndexFunc(ms, func(m migration.Step) bool { return strings.HasPrefix(m.Name, "0015_") })
	if step < 0 {
		t.Fatal("no migration 0015")
	}
	raw := openRaw(t, path)
	defer raw.Close()
	if err := migrateTo(ctx, raw.write, ms[:step]); err != nil {
		t.Fatal(err)
	}

	old := &oldFile{t: t, db: raw.write, clock: time.Date(2026, 1, 2, 3, 4, 5, 0, time.UTC).UnixNano()}
	acct, holder := old.account("acme")
	// The pre-0015 counterparts of storetest.IDKinds, of the same names,
	// each with the trace the library left of a removed one: the audit
	// targets (library: assetTarget, tag deletion, userTarget,
	// tokenTarget) or the Idempotency-Key of its create. A version leaves
	// none of its own. The order matters: an asset's removal is traced
	// only after the versions' assets are made, and a user's after the
	// tokens' users, so that each traced id is above every id left of its
	// table, and only the trace keeps it from coming back.
	type oldKind struct {
		name   string
		create func(n int) (id int64, remove func())
		trace  func(id int64)
	}
	audit := func(format string) func(id int64) {
		return func(id int64) { old.audit(acct, fmt.Sprintf(format, id)) }
	}
	oldKinds := []oldKind{
		{"version", func(n int) (int64, func()) {
			asset, id := old.asset(acct, holder, fmt.Sprint("id version ", n))
			return id, func() { old.purgeAsset(acct, asset) }
		}, nil},
		{"asset", func(n int) (int64, func()) {
			id, _ := old.asset(acct, holder, fmt.Sprint("id asset ", n), "kept")
			return id, func() { old.purgeAsset(acct, id) }
		}, audit("asset %d")},
		{"token", func(n int) (int64, func()) {
			// A token goes when its user goes.
			user := old.user(acct, fmt.Sprint("id-token-user-", n), string(damask.RoleMember))
			id := old.token(acct, user, fmt.Sprint("id-token-secret-", n))
			return id, func() { old.deleteUser(user) }
		}, audit("token %d (dmk_abcd)")},
		{"user", func(n int) (int64, func()) {
			id := old.user(acct, fmt.Sprint("id-user-", n), string(damask.RoleMember))
			return id, func() { old.deleteUser(id) }
		}, audit("user %d (gone)")},
		{"tag", func(n int) (int64, func()) {
			id := old.tag(acct, fmt.Sprint("id tag ", n))
			return id, func() { old.deleteTag(id) }
		}, audit("tag %d")},
		{"upload", func(n int) (int64, func()) {
			id := old.upload(acct, holder, fmt.Sprint("id upload ", n))
			return id, func() { old.deleteUpload(id) }
		}, func(id int64) { old.idempotencyKey(acct, holder, fmt.Sprint("upload-", id), damask.KindUpload, id) }},
	}
	kept := map[string]int64{}    // the highest id left, by kind
	removed := map[string]int64{} // the highest id removed before the migration and traced
	for _, k := range oldKinds {
		first, _ := k.create(1)
		second, remove := k.create(2)
		remove()
		third, remove := k.create(3)
		t.Logf("before 0015, %s: made %d and %d, removed %d, made %d", k.name, first, second, second, third)
		if third > second {
			t.Errorf("before 0015, %s: made %d after removing %d; this test wants a file that reused ids", k.name, third, second)
		}
		remove()
		kept[k.name] = first
		if k.trace != nil {
			k.trace(third)
			removed[k.name] = third
		}
	}

	// Exactly step 0015: the steps after it change the schema in their
	// own ways, which are not this step's to keep.
	before := fileState(t, raw.read)
	if err := migrateTo(ctx, raw.write, ms[:step+1]); err != nil {
		t.Fatalf("migrate: %v", err)
	}
	after := fileState(t, raw.read)
	// The rebuilt tables' columns are the same; only their SQL
	// (AUTOINCREMENT) differs, which fileState leaves out for tables.
	for _, name := range slices.Sorted(maps.Keys(before)) {
		if _, ok := after[name]; !ok {
			t.Errorf("%s gone after the migration", name)
		} else if d := cmp.Diff(before[name], after[name]); d != "" {
			t.Errorf("%s changed by the migration (-before +after):\n%s", name, d)
		}
	}
	for _, name := range slices.Sorted(maps.Keys(after)) {
		if _, ok := before[name]; !ok {
			t.Errorf("%s made by the migration", name)
		}
	}
	for _, table := range idTables {
		var sqlText string
		if err := raw.read.QueryRowContext(ctx, `SELECT sql FROM sqlite_schema WHERE name = ?`, table).Scan(&sqlText); err != nil {
			t.Fatal(err)
		}
		if !strings.Contains(sqlText, "AUTOINCREMENT") {
			t.Errorf("%s has no AUTOINCREMENT after the migration: %s", table, sqlText)
		}
	}
	if err := raw.IntegrityCheck(ctx); err != nil {
		t.Errorf("IntegrityCheck: %v", err)
	}
	var fk int
	if err := raw.write.QueryRowContext(ctx, "PRAGMA foreign_keys").Scan(&fk); err != nil || fk != 1 {
		t.Errorf("writer's foreign_keys after the migration = %d, %v; want 1", fk, err)
	}
	if err := raw.Close(); err != nil {
		t.Fatal(err)
	}

	// The store, every later step applied.
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatalf("open after 0015: %v", err)
	}
	defer db.Close()
	h, err := db.User(ctx, acct, holder)
	if err != nil {
		t.Fatal(err)
	}

	// The search index still finds the assets by id.
	found, _, err := db.Assets(ctx, damask.AssetFilter{AccountID: acct, Query: search.Word{Value: "kept"},
		Page: damask.Page{Number: 1, Size: 10}})
	if err != nil {
		t.Fatal(err)
	}
	if len(found) != 1 || found[0].ID != kept["asset"] || found[0].Title != "id asset 1" {
		t.Errorf("search for the kept asset's tag after the migration found %v, want asset %d", found, kept["asset"])
	}

	// From now on no id comes back; those a trace names neither.
	for _, k := range storetest.IDKinds() {
		fourth, remove := k.Create(t, db, h, 4)
		remove()
		fifth, _ := k.Create(t, db, h, 5)
		t.Logf("after 0015, %s: made %d, removed it, made %d", k.Name, fourth, fifth)
		floor := max(kept[k.Name], removed[k.Name]) // 0 for a kind newer than 0015
		if fourth <= floor {
			t.Errorf("after 0015, %s: made %d, want above %d", k.Name, fourth, floor)
		}
		if fifth <= fourth {
			t.Errorf("after 0015, %s: removed %d, then made %d: the id came back", k.Name, fourth, fifth)
		}
	}
}

// TestMigrationForeignKeys checks that a step, run with foreign keys off,
// is undone when it leaves a row pointing at nothing, and that the
// writer's connection gets its foreign keys back either way.
func TestMigrationForeignKeys(t *testing.T) {
	ctx := t.Context()
	path := filepath.Join(t.TempDir(), "damask.db")
	db, err := Open(ctx, path)
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	ms, err := readMigrations()
	if err != nil {
		t.Fatal(err)
	}
	broken := append(slices.Clip(ms), migration.Step{Version: len(ms) + 1, Name: "broken.sql",
		SQL: `INSERT INTO tags (account_id, name, created_at) VALUES (999, 'orphan', 0)`})
	err = migrateTo(ctx, db.write, broken)
	if err == nil || !strings.Contains(err.Error(), "foreign key check: a row of tags") {
		t.Errorf("a step leaving an orphan: %v, want a foreign key error", err)
	}
	var version, fk, tags int
	if err := db.write.QueryRowContext(ctx, "SELECT (SELECT user_version FROM pragma_user_version), "+
		"(SELECT foreign_keys FROM pragma_foreign_keys), (SELECT count(*) FROM tags)").Scan(&version, &fk, &tags); err != nil {
		t.Fatal(err)
	}
	if version != len(ms) || fk != 1 || tags != 0 {
		t.Errorf("after the failed step: user_version %d, foreign_keys %d, %d tags; want %d, 1, 0", version, fk, tags, len(ms))
	}
}
