package library

import (
	"context"
	"fmt"

	"damask"
)

// A request that makes or changes an asset with a file in its body is
// one use case in three steps, all in the service: Begin* checks that the
// caller may do it (and that the asset exists) before a byte of the file
// is read, so that a refused file is never stored; ReceiveFile stores the
// file the request carries, as the decoder meets it; Commit does the
// work, once per Idempotency-Key. The HTTP layers only decode between
// them: none checks a rule of its own.

// AssetDraft is a create or change of an asset under way.
type AssetDraft struct {
	draft
	id int64 // the asset changed; 0 for a create
}

// VersionDraft is a new version of an asset under way.
type VersionDraft struct {
	draft
	asset *damask.Asset
}

// draft is what the drafts share: who asks, and whether a file needs a
// plan with versioning.
type draft struct {
	s         *Service
	c         Caller
	versioned bool // a file becomes a new version of an existing asset
}

// ReceiveFile stores the request's file (Service.ReceiveFile), once the
// caller may add it: a new version of an asset needs versioning.
func (d *draft) ReceiveFile(ctx context.Context, f FileInput) (*StoredFile, error) {
	if d.versioned {
		if err := d.s.CheckVersioning(d.c); err != nil {
			return nil, err
		}
	}
	return d.s.ReceiveFile(ctx, d.c, f)
}

// BeginAsset starts a create. Who may add files, ReceiveFile checks;
// who may add assets, Commit.
func (s *Service) BeginAsset(c Caller) *AssetDraft {
	return &AssetDraft{draft: draft{s: s, c: c}}
}

// BeginAssetChange starts a change of the asset id: ENOTFOUND when the
// caller's account has no such asset. A file received for it needs
// versioning (CheckVersioning).
func (s *Service) BeginAssetChange(ctx context.Context, c Caller, id int64) (*AssetDraft, error) {
	if _, err := s.store.Asset(ctx, c.Account.ID, id); err != nil {
		return nil, err
	}
	return &AssetDraft{draft: draft{s: s, c: c, versioned: true}, id: id}, nil
}

// Commit makes the asset (a create: the title defaults to the filename
// without its extension) or changes its title, description, tags or
// public link on every plan, adding a version when the input has a file
// on plans with versioning only. Members and above may. A create is done
// once per Idempotency-Key (key; replayed says it answered an earlier
// create), a change whatever its key.
func (d *AssetDraft) Commit(ctx context.Context, in AssetInput, key damask.IdempotencyKey) (a *damask.Asset, replayed bool, err error) {
	s, c := d.s, d.c
	if d.id == 0 {
		if err := require(c, damask.RoleMember, "add assets"); err != nil {
			return nil, false, err
		}
		if !in.hasFile() {
			return nil, false, damask.Errorf(damask.EINVALID, "File can't be blank: send upload_id or file")
		}
		return once(ctx, s, c, key, damask.KindAsset, func(r *damask.IdempotencyRecord) (*damask.Asset, error) {
			return s.store.Asset(ctx, c.Account.ID, r.ID)
		}, func(ctx context.Context) (*damask.Asset, error) {
			return s.createAsset(ctx, c, in)
		})
	}
	if err := require(c, damask.RoleMember, "edit assets"); err != nil {
		return nil, false, err
	}
	// Read afresh: the fields are written whole, and a file may have taken
	// minutes to arrive since BeginAssetChange.
	a, err = s.store.Asset(ctx, c.Account.ID, d.id)
	if err != nil {
		return nil, false, err
	}
	if in.hasFile() {
		if err := s.CheckVersioning(c); err != nil {
			return nil, false, err
		}
	}
	tags, err := s.applyAsset(ctx, c, a, in)
	if err != nil {
		return nil, false, err
	}
	var v *damask.Version
	if in.hasFile() {
		if v, err = s.versionFrom(ctx, c, in); err != nil {
			return nil, false, err
		}
	}
	if err := s.store.UpdateAsset(acting(ctx, c), a, tags); err != nil {
		return nil, false, fmt.Errorf("update asset %d: %w", d.id, err)
	}
	if v != nil {
		a.Processing = s.newProcessing()
		if err := s.store.AddVersion(acting(ctx, c), a, v, in.UploadID); err != nil {
			return nil, false, uploadGone(in.UploadID, fmt.Errorf("add version to asset %d: %w", d.id, err))
		}
		s.queued()
	}
	return a, false, nil
}

// BeginVersion starts a new version of the asset id: EFORBIDDEN unless
// the caller is a member or above on a plan with versioning, ENOTFOUND
// when the caller's account has no such asset.
func (s *Service) BeginVersion(ctx context.Context, c Caller, id int64) (*VersionDraft, error) {
	if err := s.CheckVersioning(c); err != nil {
		return nil, err
	}
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	return &VersionDraft{draft: draft{s: s, c: c}, asset: a}, nil
}

// Commit makes the input's file (received, or an upload) the asset's new
// current version, with a comment. The store checks in its transaction
// that the asset still exists. It is done once per Idempotency-Key (key;
// replayed says it answered an earlier request).
func (d *VersionDraft) Commit(ctx context.Context, in AssetInput, key damask.IdempotencyKey) (*damask.Version, bool, error) {
	s, c, a := d.s, d.c, *d.asset
	if !in.hasFile() {
		return nil, false, damask.Errorf(damask.EINVALID, "File can't be blank: send file or upload_id")
	}
	return once(ctx, s, c, key, damask.KindVersion, func(r *damask.IdempotencyRecord) (*damask.Version, error) {
		return s.store.Version(ctx, c.Account.ID, r.ID, r.Number)
	}, func(ctx context.Context) (*damask.Version, error) {
		v, err := s.versionFrom(ctx, c, in)
		if err != nil {
			return nil, err
		}
		a.Processing = s.newProcessing()
		if err := s.store.AddVersion(acting(ctx, c), &a, v, in.UploadID); err != nil {
			return nil, uploadGone(in.UploadID, fmt.Errorf("add version to asset %d: %w", a.ID, err))
		}
		s.queued()
		return v, nil
	})
}
