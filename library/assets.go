package library

import (
	"context"
	"crypto/rand"
	"fmt"
	"path"
	"strings"

	"damask"
)

// Asset finds an asset of the caller's account outside the trash, as the
// caller may see it (a guest, without its public link).
func (s *Service) Asset(ctx context.Context, c Caller, id int64) (*damask.Asset, error) {
	a, err := s.asset(ctx, c, id)
	return shown(c, a), err
}

// AssetInput are the fields of a create or an update; nil leaves a field
// alone. The file comes from an upload (UploadID) or directly (File).
type AssetInput struct {
	Title       *string
	Description *string
	// Path is the folder of the asset (CleanPath): "photos/2024".
	Path       *string
	Tags       *string
	PublicLink *bool
	UploadID   int64
	File       *StoredFile
	Comment    string
}

func (in AssetInput) hasFile() bool { return in.UploadID != 0 || in.File != nil }

// CreateAsset adds an asset from an upload or a file already stored;
// a request whose file comes in its body uses BeginAsset instead.
func (s *Service) CreateAsset(ctx context.Context, c Caller, in AssetInput) (*damask.Asset, error) {
	a, _, err := s.BeginAsset(c).Commit(ctx, in, damask.IdempotencyKey{})
	return a, err
}

// createAsset is the work of CreateAsset, done once per Idempotency-Key.
func (s *Service) createAsset(ctx context.Context, c Caller, in AssetInput) (*damask.Asset, error) {
	a, v, tags, err := s.newAsset(ctx, c, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.CreateAsset(acting(ctx, c), a, v, tags, in.UploadID); err != nil {
		return nil, uploadGone(in.UploadID, fmt.Errorf("create asset: %w", err))
	}
	s.queued()
	return a, nil
}

// newAsset is the asset that in makes, its first version and its tags,
// ready to store.
func (s *Service) newAsset(ctx context.Context, c Caller, in AssetInput) (*damask.Asset, *damask.Version, []string, error) {
	v, err := s.versionFrom(ctx, c, in)
	if err != nil {
		return nil, nil, nil, err
	}
	a := &damask.Asset{AccountID: c.Account.ID, UserID: c.User.ID, Processing: s.newProcessing()}
	if in.Title == nil {
		t := strings.TrimSuffix(v.Filename, path.Ext(v.Filename))
		if t == "" {
			t = v.Filename
		}
		in.Title = &t
	}
	tags, err := s.applyAsset(ctx, c, a, in)
	if err != nil {
		return nil, nil, nil, err
	}
	if tags == nil {
		tags = []string{}
	}
	if a.PublicToken == "" && in.PublicLink == nil && c.Account.PublicLinks {
		newLink(c, a)
	}
	return a, v, tags, nil
}

// UpdateAsset changes an asset with a file already stored, or none; a
// request whose file comes in its body uses BeginAssetChange instead.
func (s *Service) UpdateAsset(ctx context.Context, c Caller, id int64, in AssetInput) (*damask.Asset, error) {
	d, err := s.BeginAssetChange(ctx, c, id)
	if err != nil {
		return nil, err
	}
	a, _, err := d.Commit(ctx, in, damask.IdempotencyKey{})
	return a, err
}

// AddVersion makes a file already stored the new current version of an
// asset; a request whose file comes in its body uses BeginVersion instead.
func (s *Service) AddVersion(ctx context.Context, c Caller, id int64, in AssetInput) (*damask.Version, error) {
	d, err := s.BeginVersion(ctx, c, id)
	if err != nil {
		return nil, err
	}
	v, _, err := d.Commit(ctx, in, damask.IdempotencyKey{})
	return v, err
}

// RestoreVersion makes the file of an asset's version number n its new
// current version, so that nothing is lost; members and above may, on
// plans with versioning.
func (s *Service) RestoreVersion(ctx context.Context, c Caller, id int64, n int) (*damask.Version, error) {
	old, err := s.store.Version(ctx, c.Account.ID, id, n)
	if err != nil {
		return nil, err
	}
	f := &StoredFile{Blob: damask.BlobInfo{Ref: old.Blob, Size: old.Size}, Filename: old.Filename, ContentType: old.ContentType}
	return s.AddVersion(ctx, c, id, AssetInput{File: f, Comment: fmt.Sprintf("Version %d made current", n)})
}

// CheckVersioning answers EFORBIDDEN unless the caller may add versions:
// a member or above, on a plan with versioning. BeginVersion and a file
// of BeginAssetChange ask it before a byte is read, so that a refused
// file is never stored; the pages ask it to offer the form.
func (s *Service) CheckVersioning(c Caller) error {
	if err := require(c, damask.RoleMember, "add versions"); err != nil {
		return err
	}
	if !s.Plan(c.Account).Versions {
		return damask.Errorf(damask.EFORBIDDEN, "The %s plan does not include versions; versioning is a feature of the pro and deluxe plans", c.Account.Plan)
	}
	return nil
}

// applyAsset validates the text fields of in and writes them into a. It
// answers the tag names to set, nil when the tags stay as they are.
func (s *Service) applyAsset(ctx context.Context, c Caller, a *damask.Asset, in AssetInput) ([]string, error) {
	var err error
	if in.Title != nil {
		if a.Title, err = required("Title", *in.Title, maxTitle); err != nil {
			return nil, err
		}
	}
	if in.Description != nil {
		if a.Description, err = text("Description", *in.Description, maxDescription, true); err != nil {
			return nil, err
		}
	}
	if in.Path != nil {
		if a.Path, err = CleanPath(*in.Path); err != nil {
			return nil, err
		}
	}
	if in.PublicLink != nil {
		switch {
		case !*in.PublicLink:
			// Turning sharing off revokes what was shared: the public
			// link, and the thumbnails' capability URL, which gets a new
			// secret (the old URLs answer 404).
			a.PublicToken, a.PublicLinkBy = "", 0
			a.ThumbToken = damask.NewCapability()
		case !c.Account.PublicLinks:
			return nil, damask.Errorf(damask.EFORBIDDEN, "Public links are switched off for this account")
		case a.PublicToken == "":
			newLink(c, a)
		}
	}
	if in.Tags == nil {
		return nil, nil
	}
	tags, err := s.tagNames(ctx, c.Account.ID, *in.Tags)
	if err != nil {
		return nil, err
	}
	if tags == nil {
		tags = []string{}
	}
	return tags, nil
}

// versionFrom builds the version that in's file makes, from an upload of
// the account or from a stored file.
func (s *Service) versionFrom(ctx context.Context, c Caller, in AssetInput) (*damask.Version, error) {
	if in.File != nil && in.UploadID != 0 {
		// The store would consume the upload along with a version made
		// of the file: the client's upload would vanish unused.
		return nil, damask.Errorf(damask.EINVALID, "Send a file or an upload_id, not both")
	}
	comment, err := text("Comment", in.Comment, maxComment, true)
	if err != nil {
		return nil, err
	}
	v := &damask.Version{UserID: c.User.ID, Comment: comment}
	if in.File != nil {
		v.Filename, v.ContentType = in.File.Filename, in.File.ContentType
		v.Size, v.Blob = in.File.Blob.Size, in.File.Blob.Ref
		return v, nil
	}
	u, err := s.store.Upload(ctx, c.Account.ID, in.UploadID)
	if err != nil || u.ExpiresAt.Before(s.now()) {
		return nil, uploadGone(in.UploadID, err)
	}
	v.Filename, v.ContentType, v.Size, v.Blob = u.Filename, u.ContentType, u.Size, u.Blob
	return v, nil
}

// uploadGone turns a missing upload into the client's error; other errors
// pass.
func uploadGone(uploadID int64, err error) error {
	if uploadID != 0 && (err == nil || damask.ErrorCode(err) == damask.ENOTFOUND) {
		return damask.Errorf(damask.EINVALID, "Upload %d does not exist, has expired or was used already", uploadID)
	}
	return err
}

// DeleteAssets moves the assets to the trash one by one, as DeleteAsset,
// at most MaxSelection, and stops at the first error: the assets before it
// stay in the trash.
func (s *Service) DeleteAssets(ctx context.Context, c Caller, ids []int64) error {
	if err := selectionLimit(ids); err != nil {
		return err
	}
	for _, id := range ids {
		if _, err := s.DeleteAsset(ctx, c, id); err != nil {
			return err
		}
	}
	return nil
}

// DeleteAsset moves an asset to the trash, from which it can be restored
// for 30 days; members and above may.
func (s *Service) DeleteAsset(ctx context.Context, c Caller, id int64) (*damask.Asset, error) {
	if err := require(c, damask.RoleMember, "delete assets"); err != nil {
		return nil, err
	}
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.store.TrashAsset(acting(ctx, c), c.Account.ID, id, s.now()); err != nil {
		return nil, fmt.Errorf("trash asset %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditAssetDeleted, assetTarget(id), a.Title)
	return a, nil
}

// Versions lists an asset's versions, oldest first.
func (s *Service) Versions(ctx context.Context, c Caller, id int64) ([]*damask.Version, error) {
	if err := s.seen(ctx, c, id); err != nil {
		return nil, err
	}
	return s.store.Versions(ctx, c.Account.ID, id)
}

// Version finds version number n of an asset.
func (s *Service) Version(ctx context.Context, c Caller, id int64, n int) (*damask.Version, error) {
	if err := s.seen(ctx, c, id); err != nil {
		return nil, err
	}
	return s.store.Version(ctx, c.Account.ID, id, n)
}

// Upload records a stored file as an upload, for a later create or update.
func (s *Service) Upload(ctx context.Context, c Caller, f *StoredFile, key damask.IdempotencyKey) (*damask.Upload, bool, error) {
	if err := writable(c); err != nil {
		return nil, false, err
	}
	return once(ctx, s, c, key, damask.KindUpload, func(r *damask.IdempotencyRecord) (*damask.Upload, error) {
		return s.UploadByID(ctx, c, r.ID)
	}, func(ctx context.Context) (*damask.Upload, error) {
		u := &damask.Upload{AccountID: c.Account.ID, UserID: c.User.ID, Filename: f.Filename,
			ContentType: f.ContentType, Size: f.Blob.Size, Blob: f.Blob.Ref, ExpiresAt: s.now().Add(damask.UploadLifetime)}
		if err := s.store.CreateUpload(ctx, u); err != nil {
			return nil, fmt.Errorf("create upload: %w", err)
		}
		return u, nil
	})
}

func newToken() string { return strings.ToLower(rand.Text()) }

// newLink gives the asset a new public link made by the caller, whose
// right to originals the link then carries (PublicDownload).
func newLink(c Caller, a *damask.Asset) {
	a.PublicToken, a.PublicLinkBy = newToken(), c.User.ID
}

// UploadByID finds an upload of the caller's account that has not expired.
func (s *Service) UploadByID(ctx context.Context, c Caller, id int64) (*damask.Upload, error) {
	u, err := s.store.Upload(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if u.ExpiresAt.Before(s.now()) {
		return nil, damask.ErrNotFound
	}
	return u, nil
}
