package postgres

import (
	"context"
	"fmt"
	"strings"

	"github.com/jackc/pgx/v5"
)

// IntegrityCheck checks what the store derives from its rows and keeps
// beside them: the schema's version, every tag's count of assets, every
// asset's tag_ids and search columns against its links, and every asset's
// current version. It answers an error listing what it found (a few of
// each kind), or nil when all agree. PostgreSQL guards its own files and
// foreign keys; this is the part that is ours.
func (db *DB) IntegrityCheck(ctx context.Context) error {
	ms, err := readMigrations()
	if err != nil {
		return fmt.Errorf("postgres: integrity check: %w", err)
	}
	checks := []struct {
		what, query string
	}{
		{"schema version", fmt.Sprintf(`SELECT 'at version ' || coalesce(max(version), 0) || ', want %d'
			FROM damask_schema HAVING coalesce(max(version), 0) <> %d`, len(ms), len(ms))},
		{"tag counts", `SELECT 'tag ' || t.id || ' counts ' || t.assets_count || ' assets, has ' || count(a.id)
			FROM tags t LEFT JOIN asset_tags x ON x.tag_id = t.id
			LEFT JOIN assets a ON a.id = x.asset_id AND a.deleted_at IS NULL
			GROUP BY t.id HAVING t.assets_count <> count(a.id) ORDER BY t.id LIMIT 10`},
		{"tag ids", `SELECT 'asset ' || a.id || ' lists tags ' || a.tag_ids::text
			FROM assets a
			WHERE a.tag_ids <> coalesce((SELECT array_agg(x.tag_id ORDER BY x.tag_id) FROM asset_tags x
				WHERE x.asset_id = a.id), '{}')
			ORDER BY a.id LIMIT 10`},
		{"tag accounts", `SELECT 'asset ' || a.id || ' carries tag ' || t.id || ' of account ' || t.account_id
			FROM asset_tags x JOIN assets a ON a.id = x.asset_id JOIN tags t ON t.id = x.tag_id
			WHERE a.account_id <> t.account_id ORDER BY a.id LIMIT 10`},
		{"current versions", `SELECT 'asset ' || a.id || ' is at version ' || a.version || ', which it lacks or whose file differs'
			FROM assets a LEFT JOIN versions v ON v.asset_id = a.id AND v.number = a.version
			WHERE v.id IS NULL OR v.blob <> a.blob ORDER BY a.id LIMIT 10`},
		{"search columns", `SELECT 'asset ' || a.id || ' has no words indexed' FROM assets a
			WHERE a.tsv = ''::tsvector AND (a.title ~ '[[:alnum:]]' OR a.filename ~ '[[:alnum:]]') ORDER BY a.id LIMIT 10`},
	}
	var problems []string
	err = db.view(ctx, "integrity check", func(tx pgx.Tx) error {
		for _, c := range checks {
			found, err := column[string](ctx, tx, c.query)
			if err != nil {
				return fmt.Errorf("%s: %w", c.what, err)
			}
			problems = append(problems, found...)
		}
		return nil
	})
	if err != nil {
		return err
	}
	if len(problems) > 0 {
		return fmt.Errorf("postgres: integrity check: %s", strings.Join(problems, "; "))
	}
	return nil
}
