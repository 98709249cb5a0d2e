package sqlite

import (
	"context"
	"database/sql"
	"errors"
	"fmt"
	"slices"
	"strconv"
	"strings"
	"time"

	"damask"
)

const accountColumns = `id, name, company_name, billing_email, country, plan,
	api_enabled, coalesce(holder_id, 0), public_links, public_thumbnails, keywords_to_tags,
	branding_title, branding_font_color, branding_top_color,
	branding_bottom_color, branding_logo, branding_updated_at,
	created_at, updated_at`

func scanAccount(s interface{ Scan(...any) error }) (*damask.Account, error) {
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
	return db.updateEvents(ctx, "create account", func(tx *sql.Tx, ev *eventLog) error {
		b := a.Branding
		// The holder needs the account's id and the account the holder's:
		// the account goes in first with no holder.
		res, err := tx.ExecContext(ctx, `
			INSERT INTO accounts (name, company_name, billing_email, country, plan,
				api_enabled, public_links, public_thumbnails, keywords_to_tags,
				branding_title, branding_font_color, branding_top_color,
				branding_bottom_color, branding_logo, branding_updated_at,
				created_at, updated_at)
			VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
			a.Name, a.CompanyName, a.BillingEmail, a.Country, a.Plan,
			a.APIEnabled, a.PublicLinks, a.PublicThumbnails, a.KeywordsToTags,
			b.Title, b.FontColor, b.TopColor,
			b.BottomColor, b.Logo, timeValue(b.UpdatedAt),
			now.UnixNano(), now.UnixNano())
		if err != nil {
			return err
		}
		id, err := res.LastInsertId()
		if err != nil {
			return err
		}
		h := *holder
		h.AccountID = id
		if err := insertUser(ctx, tx, &h, now); err != nil {
			return err
		}
		if _, err := tx.ExecContext(ctx, `UPDATE accounts SET holder_id = ? WHERE id = ?`, h.ID, id); err != nil {
			return err
		}
		if err := createIndex(ctx, tx, id); err != nil {
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
	err := db.view(ctx, fmt.Sprintf("account %d", id), func(tx *sql.Tx) (err error) {
		a, err = scanAccount(tx.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE id = ?`, id))
		return err
	})
	return a, err
}

// AccountByName finds an account by its name, without regard to case.
func (db *DB) AccountByName(ctx context.Context, name string) (*damask.Account, error) {
	var a *damask.Account
	err := db.lookup(ctx, fmt.Sprintf("account %q", name), func(q querier) (err error) {
		a, err = scanAccount(q.QueryRowContext(ctx, `SELECT `+accountColumns+` FROM accounts WHERE name = ?`, name))
		return err
	})
	return a, err
}

// Accounts lists every account by id.
func (db *DB) Accounts(ctx context.Context) ([]*damask.Account, error) {
	var as []*damask.Account
	err := db.view(ctx, "accounts", func(tx *sql.Tx) error {
		rows, err := tx.QueryContext(ctx, `SELECT `+accountColumns+` FROM accounts ORDER BY id`)
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
	return db.update(ctx, fmt.Sprintf("update account %d", a.ID), func(tx *sql.Tx) error {
		b := a.Branding
		var holder any // 0 is no holder, as read
		if a.HolderID != 0 {
			holder = a.HolderID
		}
		res, err := tx.ExecContext(ctx, `
			UPDATE accounts SET company_name = ?, billing_email = ?, country = ?,
				plan = ?, api_enabled = ?, holder_id = ?, public_links = ?, public_thumbnails = ?, keywords_to_tags = ?,
				branding_title = ?, branding_font_color = ?, branding_top_color = ?,
				branding_bottom_color = ?, branding_logo = ?, branding_updated_at = ?,
				updated_at = ?
			WHERE id = ?`,
			a.CompanyName, a.BillingEmail, a.Country,
			a.Plan, a.APIEnabled, holder, a.PublicLinks, a.PublicThumbnails, a.KeywordsToTags,
			b.Title, b.FontColor, b.TopColor,
			b.BottomColor, b.Logo, timeValue(b.UpdatedAt),
			now.UnixNano(), a.ID)
		if err != nil {
			return err
		}
		if err := notFound(res); err != nil {
			return err
		}
		if a.HolderID != 0 {
			// The foreign key would let in a user of another account;
			// returning an error rolls the update back.
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM users WHERE account_id = ? AND id = ?`, a.ID, a.HolderID).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
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
	err := db.view(ctx, fmt.Sprintf("stats of account %d", accountID), func(tx *sql.Tx) error {
		// The space and the assets are counted as they change, by the
		// triggers of account_usage (migration 0028): every upload's quota
		// check reads this, whatever the library's size.
		return tx.QueryRowContext(ctx, `
			SELECT coalesce(u.used_space, 0),
				(SELECT count(*) FROM users WHERE account_id = acc.id),
				coalesce(u.assets_count, 0)
			FROM accounts acc LEFT JOIN account_usage u ON u.account_id = acc.id
			WHERE acc.id = ?`, accountID).
			Scan(&st.UsedSpace, &st.UsersCount, &st.AssetsCount)
	})
	return st, err
}

// userColumns select a user of the table users with the ids of the
// collections a guest is limited to, separated by commas.
const userColumns = `id, account_id, login, email, first_name, last_name, role,
	password_hash, disabled, created_at, updated_at, collections_only, time_zone, language,
	coalesce((SELECT group_concat(collection_id) FROM user_collections WHERE user_id = users.id), '')`

func scanUser(s interface{ Scan(...any) error }) (*damask.User, error) {
	var u damask.User
	var cols string
	err := s.Scan(&u.ID, &u.AccountID, &u.Login, &u.Email, &u.FirstName, &u.LastName, &u.Role,
		&u.PasswordHash, &u.Disabled, timeCol{&u.CreatedAt}, timeCol{&u.UpdatedAt}, &u.CollectionsOnly, &u.TimeZone, &u.Language, &cols)
	if err != nil {
		return nil, err
	}
	for f := range strings.SplitSeq(cols, ",") {
		if f == "" {
			continue
		}
		id, err := strconv.ParseInt(f, 10, 64)
		if err != nil {
			return nil, fmt.Errorf("collection ids of user %d: %w", u.ID, err)
		}
		u.CollectionIDs = append(u.CollectionIDs, id)
	}
	slices.Sort(u.CollectionIDs)
	return &u, nil
}

// setUserCollections makes the user's collections exactly u.CollectionIDs,
// each of the account's.
func setUserCollections(ctx context.Context, tx *sql.Tx, u *damask.User) error {
	if _, err := tx.ExecContext(ctx, `DELETE FROM user_collections WHERE user_id = ?`, u.ID); err != nil {
		return err
	}
	for _, c := range u.CollectionIDs {
		res, err := tx.ExecContext(ctx, `
			INSERT INTO user_collections (user_id, collection_id)
			SELECT ?, id FROM collections WHERE account_id = ? AND id = ?
			ON CONFLICT DO NOTHING`, u.ID, u.AccountID, c)
		if err != nil {
			return err
		}
		if n, err := res.RowsAffected(); err != nil {
			return err
		} else if n == 0 {
			var one int
			err := tx.QueryRowContext(ctx, `SELECT 1 FROM collections WHERE account_id = ? AND id = ?`, u.AccountID, c).Scan(&one)
			if errors.Is(err, sql.ErrNoRows) {
				return damask.Errorf(damask.EINVALID, "Collection %d is not in this library", c)
			} else if err != nil {
				return err
			}
		}
	}
	u.CollectionIDs = slices.Compact(slices.Sorted(slices.Values(u.CollectionIDs)))
	return nil
}

func insertUser(ctx context.Context, tx *sql.Tx, u *damask.User, now time.Time) error {
	res, err := tx.ExecContext(ctx, `
		INSERT INTO users (account_id, login, email, first_name, last_name, role,
			password_hash, disabled, created_at, updated_at, collections_only, time_zone, language)
		VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
		u.AccountID, u.Login, u.Email, u.FirstName, u.LastName, string(u.Role),
		u.PasswordHash, u.Disabled, now.UnixNano(), now.UnixNano(), u.CollectionsOnly, u.TimeZone, u.Language)
	if err != nil {
		return err
	}
	id, err := res.LastInsertId()
	if err != nil {
		return err
	}
	u.ID, u.CreatedAt, u.UpdatedAt = id, now, now
	return setUserCollections(ctx, tx, u)
}
