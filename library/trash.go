package library

import (
	"context"
	"fmt"

	"damask"
)

// The trash as a signed-in user sees it, for the web pages. The operator's
// commands (Trash, Restore, EmptyTrash) name an account instead.

// TrashedAssets lists the assets in the caller's account's trash, newest
// first; members and above may.
func (s *Service) TrashedAssets(ctx context.Context, c Caller, p damask.Page) ([]*damask.Asset, int, error) {
	if err := requireRole(c, damask.RoleMember, "see the trash"); err != nil {
		return nil, 0, err
	}
	as, n, err := s.store.Assets(ctx, damask.AssetFilter{AccountID: c.Account.ID, Trash: true, Page: p})
	if err != nil {
		return nil, 0, fmt.Errorf("list trash: %w", err)
	}
	return as, n, nil
}

// RestoreAsset brings an asset of the caller's account back from the
// trash; members and above may. An asset not in the trash is ENOTFOUND.
func (s *Service) RestoreAsset(ctx context.Context, c Caller, id int64) error {
	if err := require(c, damask.RoleMember, "restore assets"); err != nil {
		return err
	}
	return s.restore(ctx, c, id)
}

// restore brings the asset back from the trash with a new thumbnail
// secret: trashing revoked its capability URLs for good, so the URLs
// known before never work again.
func (s *Service) restore(ctx context.Context, c Caller, id int64) error {
	if err := s.store.RestoreAsset(acting(ctx, c), c.Account.ID, id); err != nil {
		return fmt.Errorf("restore asset %d: %w", id, err)
	}
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err == nil {
		a.ThumbToken = damask.NewCapability()
		err = s.store.UpdateAsset(acting(ctx, c), a, nil)
	}
	if err != nil {
		return fmt.Errorf("new thumbnail secret of restored asset %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditAssetRestored, assetTarget(id), "")
	return nil
}

// EmptyAccountTrash removes every asset in the caller's account's trash
// for good and says how many; holder and admins may.
func (s *Service) EmptyAccountTrash(ctx context.Context, c Caller) (int, error) {
	if err := require(c, damask.RoleAdmin, "empty the trash"); err != nil {
		return 0, err
	}
	return s.emptyTrash(ctx, c)
}
