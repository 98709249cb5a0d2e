package postgres

import (
	"context"
	"errors"
	"fmt"
	"slices"
	"time"

	"github.com/jackc/pgx/v5"

	"damask"
)

const accountColumns = `id, name, company_name, billing_email, country, plan,
	api_enabled, coalesce(holder_id, 0), public_links, public_thumbnails, keywords_to_tags,
	branding_title, branding_font_color, branding_top_color,
	branding_bottom_color, branding_logo, branding_updated_at,
	created_at, updated_at`

func scanAccount(s pgx.Row) (*damask.Account, error) {
	var a damask.Account
	b := &a.Branding
	err := s.Scan(&a.ID, &a.Name, &a.CompanyName, &a.BillingEmail, &a.Country, &a.Plan,
		&a.APIEnabled, &a.HolderID, &a.PublicLinks, &a.PublicThumbnails, &a.KeywordsToTags,
		&b.Title, &b.FontColor, &b.TopColor,
		&b.BottomColor, &b.Logo, timeCol{&b.UpdatedAt},
		timeCol{&a.CreatedAt}, timeCol{&a.UpdatedAt})
	if err != nil {
		return nil, err
	}
	return &a, nil
}

// CreateAccount stores a and its holder in one transaction.
func (db *DB) CreateAccount(ctx context.Context, a *damask.Account, holder *damask.User) error {
	now := db.clock()
	return db.updateEvents(ctx, "create account", func(tx pgx.Tx, ev *eventLog) error {
		b := a.Branding
		// The holder needs the account's id and the account the holder's:
		// the account goes in first with no holder.
		var id int64
		err := tx.QueryRow(ctx, `
			INSERT INTO accounts (name, company_name, billing_email, country, plan,
				api_enabled, public_links, public_thumbnails, keywords_to_tags,
				branding_title, branding_font_color, branding_top_color,
				branding_bottom_color, branding_logo, branding_updated_at,
				created_at, updated_at)
			VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12, $13, $14, $15, $16, $16)
			RETURNING id`,
			a.Name, a.CompanyName, a.BillingEmail, a.Country, a.Plan,
			a.APIEnabled, a.PublicLinks, a.PublicThumbnails, a.KeywordsToTags,
			b.Title, b.FontColor, b.TopColor,
			b.BottomColor, b.Logo, timeValue(b.UpdatedAt), now).Scan(&id)
		if err != nil {
			return err
		}
		h := *holder
		h.AccountID = id
		if err := insertUser(ctx, tx, &h, now); err != nil {
			return err
		}
		if _, err := tx.Exec(ctx, `UPDATE accounts SET holder_id = $1 WHERE id = $2`, h.ID, id); err != nil {
			return err
		}
		ev.add(id, damask.EventUserCreated, h.ID)
		// Only now, when nothing can fail any more, do the caller's values change.
		*holder = h
		a.ID, a.HolderID, a.CreatedAt, a.UpdatedAt = id, h.ID, now, now
		return nil
	})
}

// Account finds an account by id.
func (db *DB) Account(ctx context.Context, id int64) (*damask.Account, error) {
	var a *damask.Account
	err := db.get(ctx, fmt.Sprintf("account %d", id), func(q querier) (err error) {
		a, err = scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = $1`, id))
		return err
	})
	return a, err
}

// AccountByName finds an account by its name, without regard to case.
func (db *DB) AccountByName(ctx context.Context, name string) (*damask.Account, error) {
	var a *damask.Account
	err := db.get(ctx, fmt.Sprintf("account %q", name), func(q querier) (err error) {
		a, err = scanAccount(q.QueryRow(ctx, `SELECT `+accountColumns+` FROM accounts WHERE lower(name) = lower($1)`, name))
		return err
	})
	return a, err
}

// Accounts lists every account by id.
func (db *DB) Accounts(ctx context.Context) ([]*damask.Account, error) {
	var as []*damask.Account
	err := db.view(ctx, "accounts", func(tx pgx.Tx) error {
		rows, err := tx.Query(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
		if err != nil {
			return err
		}
		defer rows.Close()
		for rows.Next() {
			a, err := scanAccount(rows)
			if err != nil {
				return err
			}
			as = append(as, a)
		}
		return rows.Err()
	})
	return as, err
}

// UpdateAccount writes every field but ID, Name and CreatedAt.
func (db *DB) UpdateAccount(ctx context.Context, a *damask.Account) error {
	now := db.clock()
	return db.update(ctx, fmt.Sprintf("update account %d", a.ID), func(tx pgx.Tx) error {
		b := a.Branding
		tag, err := tx.Exec(ctx, `
			UPDATE accounts SET company_name = $1, billing_email = $2, country = $3,
				plan = $4, api_enabled = $5, holder_id = $6, public_links = $7, keywords_to_tags = $8,
				branding_title = $9, branding_font_color = $10, branding_top_color = $11,
				branding_bottom_color = $12, branding_logo = $13, branding_updated_at = $14,
				updated_at = $15, public_thumbnails = $17
			WHERE id = $16`,
			a.CompanyName, a.BillingEmail, a.Country,
			a.Plan, a.APIEnabled, nullID(a.HolderID), a.PublicLinks, a.KeywordsToTags,
			b.Title, b.FontColor, b.TopColor,
			b.BottomColor, b.Logo, timeValue(b.UpdatedAt),
			now, a.ID, a.PublicThumbnails)
		if err != nil {
			return err
		}
		if err := notFound(tag); err != nil {
			return err
		}
		if a.HolderID != 0 {
			// The foreign key would let in a user of another account;
			// returning an error rolls the update back.
			var one int
			err := tx.QueryRow(ctx, `SELECT 1 FROM users WHERE account_id = $1 AND id = $2`, a.ID, a.HolderID).Scan(&one)
			if errors.Is(err, pgx.ErrNoRows) {
				return damask.Errorf(damask.EINVALID, "Holder is not a user of the account")
			}
			if err != nil {
				return err
			}
		}
		a.UpdatedAt = now
		return nil
	})
}

// AccountStats sums up the account's contents.
func (db *DB) AccountStats(ctx context.Context, accountID int64) (damask.AccountStats, error) {
	var st damask.AccountStats
	err := db.view(ctx, fmt.Sprintf("stats of account %d", accountID), func(tx pgx.Tx) error {
		// The space and the assets are counted as they change, by the
		// triggers of account_usage (migration 0022), in 16 slots summed
		// here: every upload's quota check reads this, whatever the
		// library's size.
		return tx.QueryRow(ctx, `
			SELECT (SELECT coalesce(sum(used_space), 0) FROM account_usage WHERE account_id = acc.id),
				(SELECT count(*) FROM users WHERE account_id = acc.id),
				(SELECT coalesce(sum(assets_count), 0) FROM account_usage WHERE account_id = acc.id)
			FROM accounts acc WHERE acc.id = $1`, accountID).
			Scan(&st.UsedSpace, &st.UsersCount, &st.AssetsCount)
	})
	return st, err
}

// userColumns select a user of the table users with the ids of the
// collections a guest is limited to.
const userColumns = `id, account_id, login, email, first_name, last_name, role,
	password_hash, disabled, created_at, updated_at, collections_only, time_zone, language,
	coalesce((SELECT array_agg(collection_id ORDER BY collection_id) FROM user_collections WHERE user_id = users.id), '{}')`

func scanUser(s pgx.Row) (*damask.User, error) {
	var u damask.User
	err := s.Scan(&u.ID, &u.AccountID, &u.Login, &u.Email, &u.FirstName, &u.LastName, &u.Role,
		&u.PasswordHash, &u.Disabled, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.CollectionsOnly, &u.TimeZone, &u.Language, &u.CollectionIDs)
	if err != nil {
		return nil, err
	}
	if len(u.CollectionIDs) == 0 {
		u.CollectionIDs = nil
	}
	return &u, nil
}

// setUserCollections makes the user's collections exactly u.CollectionIDs,
// each of the account's.
func setUserCollections(ctx context.Context, tx pgx.Tx, u *damask.User) error {
	if _, err := tx.Exec(ctx, `DELETE FROM user_collections WHERE user_id = $1`, u.ID); err != nil {
		return err
	}
	if len(u.CollectionIDs) == 0 {
		return nil
	}
	var missing int64
	err := tx.QueryRow(ctx, `
		SELECT u.id FROM unnest($1::bigint[]) WITH ORDINALITY u (id, n)
		LEFT JOIN collections c ON c.id = u.id AND c.account_id = $2
		WHERE c.id IS NULL ORDER BY u.n LIMIT 1`, u.CollectionIDs, u.AccountID).Scan(&missing)
	switch {
	case err == nil:
		return damask.Errorf(damask.EINVALID, "Collection %d is not in this library", missing)
	case !errors.Is(err, pgx.ErrNoRows):
		return err
	}
	if _, err := tx.Exec(ctx, `
		INSERT INTO user_collections (user_id, collection_id)
		SELECT DISTINCT $1::bigint, id FROM unnest($2::bigint[]) AS u (id)`, u.ID, u.CollectionIDs); err != nil {
		return err
	}
	u.CollectionIDs = slices.Compact(slices.Sorted(slices.Values(u.CollectionIDs)))
	return nil
}

func insertUser(ctx context.Context, tx pgx.Tx, u *damask.User, now time.Time) error {
	var id int64
	err := tx.QueryRow(ctx, `
		INSERT INTO users (account_id, login, email, first_name, last_name, role,
			password_hash, disabled, created_at, updated_at, collections_only, time_zone, language)
		VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $9, $10, $11, $12)
		RETURNING id`,
		u.AccountID, u.Login, u.Email, u.FirstName, u.LastName, string(u.Role),
		u.PasswordHash, u.Disabled, now, u.CollectionsOnly, u.TimeZone, u.Language).Scan(&id)
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return setUserCollections(ctx, tx, u)
}
