package library

import (
	"context"
	"errors"
	"fmt"

	"damask"
	"damask/seal"
)

// secretContext binds a sealed client secret to its account: copied to
// another account's row, it opens no more.
func secretContext(accountID int64) string {
	return fmt.Sprintf("damask oidc client secret\x00account %d", accountID)
}

// sealSecret is the form of an account's client secret kept in the store:
// sealed under the operator's key; "" (a public client) stays "".
func (s *Service) sealSecret(accountID int64, plain string) (string, error) {
	if plain == "" {
		return "", nil
	}
	if s.key == nil {
		return "", damask.Errorf(damask.EINVALID,
			"The server has no secret key to keep a client secret with: its operator must set DAMASK_SECRET_KEY or --secret-key-file (see docs/operations.md)")
	}
	return s.key.Seal(plain, secretContext(accountID)), nil
}

// openSecret answers the client secret of c in clear. A value stored in
// plain text by an older version is answered as it is (SealSecrets seals
// it at the next start).
func (s *Service) openSecret(c *damask.OIDCConfig) (string, error) {
	if !seal.Sealed(c.ClientSecret) {
		return c.ClientSecret, nil
	}
	if s.key == nil {
		return "", fmt.Errorf("the OpenID Connect client secret of account %d is sealed, and the server has no secret key: set DAMASK_SECRET_KEY or --secret-key-file to the key it was sealed with", c.AccountID)
	}
	plain, err := s.key.Open(c.ClientSecret, secretContext(c.AccountID))
	if err != nil {
		return "", fmt.Errorf("the OpenID Connect client secret of account %d cannot be opened with this server's secret key (DAMASK_SECRET_KEY, --secret-key-file or DATA/secret.key): is it the key it was sealed with? %w", c.AccountID, err)
	}
	return plain, nil
}

// SealSecrets, run at start, seals the client secrets that older versions
// kept in plain text, and checks that the others open with this server's
// key. It answers how many it sealed, and an error naming every account
// whose secret cannot be opened (their sign-ins with the provider will
// fail until the right key is given); the others are sealed regardless.
// Without a key it seals nothing.
func (s *Service) SealSecrets(ctx context.Context) (int, error) {
	accounts, err := s.store.Accounts(ctx)
	if err != nil {
		return 0, fmt.Errorf("seal secrets: %w", err)
	}
	n := 0
	var errs []error
	for _, a := range accounts {
		c, err := s.store.OIDCConfig(ctx, a.ID)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			continue
		}
		if err != nil {
			return n, fmt.Errorf("seal secrets: account %s: %w", a.Name, err)
		}
		if seal.Sealed(c.ClientSecret) {
			if _, err := s.openSecret(c); err != nil {
				errs = append(errs, fmt.Errorf("account %s: %w", a.Name, err))
			}
			continue
		}
		if c.ClientSecret == "" || s.key == nil {
			continue
		}
		c.ClientSecret = s.key.Seal(c.ClientSecret, secretContext(a.ID))
		if err := s.store.SetOIDCConfig(ctx, c); err != nil {
			return n, fmt.Errorf("seal secret of account %s: %w", a.Name, err)
		}
		n++
	}
	return n, errors.Join(errs...)
}
