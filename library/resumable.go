package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding"
	"encoding/hex"
	"encoding/json"
	"errors"
	"fmt"
	"hash"
	"io"
	"sync"

	"damask"
)

// Resumable uploads (the tus protocol, package tus): a file announced with
// its length, then sent in pieces, each appended to a partial file on the
// blob store's side (damask.PartialStore) and made durable before its
// offset is recorded. The SHA-256 runs over the bytes as they arrive and
// its state (crypto/sha256's MarshalBinary, 108 bytes) is recorded with
// each offset, so that a restarted server goes on where it stopped: reading
// the bytes again to recompute it would cost a read of the whole file per
// resume (measured in tus/bench_test.go: BenchmarkResumeHash), the stored
// state costs nothing. The last piece turns the file into an Upload, as
// POST /api/upload does, and into an asset or a version when the sender
// asked.

// ErrChecksumMismatch is in the chain of the error WriteResumable answers
// when a piece's bytes do not have the checksum its sender announced: the
// piece is dropped, the offset stays.
var ErrChecksumMismatch = errors.New("checksum mismatch")

// ErrResumableExpired is in the chain of the ENOTFOUND error answered for
// a resumable upload past its expiry, which the tus protocol tells apart
// (410 Gone) from one that never existed.
var ErrResumableExpired = errors.New("resumable upload expired")

// ResumableInput starts a resumable upload.
type ResumableInput struct {
	Length int64
	Meta   damask.ResumableMeta
	// Body, when not nil, carries the first piece (tus
	// creation-with-upload), with its checksum as in a Piece.
	Body   io.Reader
	SHA256 []byte
	// BodyLength is the size of Body as its sender announced it
	// (Content-Length), or -1. When it is Length, Body is the whole file.
	BodyLength int64
}

// Piece is a part of a resumable upload's file, sent at Offset.
type Piece struct {
	Offset int64
	Body   io.Reader
	// SHA256, when not nil, is the checksum the sender announced for the
	// piece's bytes: they are kept only if it matches.
	SHA256 []byte
}

// resumableLocks holds the ids of the uploads whose piece this process is
// writing: a second piece at once for the same upload would write to the
// same file.
type resumableLocks struct {
	mu   sync.Mutex
	busy map[string]bool
}

func (l *resumableLocks) lock(id string) (unlock func(), ok bool) {
	l.mu.Lock()
	defer l.mu.Unlock()
	if l.busy == nil {
		l.busy = make(map[string]bool)
	}
	if l.busy[id] {
		return nil, false
	}
	l.busy[id] = true
	return func() {
		l.mu.Lock()
		defer l.mu.Unlock()
		delete(l.busy, id)
	}, true
}

// partials answers the blob store's partial files (blob/disk and blob/s3
// keep them), or EFORBIDDEN for a store that keeps none.
func (s *Service) partials() (damask.PartialStore, error) {
	ps, ok := s.blobs.(damask.PartialStore)
	if !ok {
		return nil, damask.Errorf(damask.EFORBIDDEN, "This server's file store does not keep resumable uploads; use POST /api/upload")
	}
	return ps, nil
}

// CreateResumable starts a resumable upload of in.Length bytes, and
// writes its first piece when in.Body is set. Members and above may. It
// answers ETOOLARGE past the size limit, EQUOTA when the plan's storage or
// the disk's reserve cannot take the length, EINVALID for an empty length
// or bad metadata, EFORBIDDEN for an asset_id on a plan without versions,
// ENOTFOUND for an asset_id that is not the account's.
func (s *Service) CreateResumable(ctx context.Context, c Caller, in ResumableInput) (*damask.ResumableUpload, error) {
	if err := require(c, damask.RoleMember, "add files"); err != nil {
		return nil, err
	}
	ps, err := s.partials()
	if err != nil {
		return nil, err
	}
	if err := s.checkResumableMeta(ctx, c, &in.Meta); err != nil {
		return nil, err
	}
	if in.Length <= 0 {
		return nil, damask.Errorf(damask.EINVALID, "File is empty")
	}
	if in.Length > s.maxFile {
		return nil, s.tooLarge()
	}
	if err := s.checkQuota(ctx, c.Account, in.Length); err != nil {
		return nil, err
	}
	if err := s.checkDisk(ctx, in.Length); err != nil {
		return nil, err
	}
	u, err := s.newResumable(c, in)
	if err != nil {
		return nil, err
	}
	if in.Body != nil && in.BodyLength == in.Length {
		return s.createWhole(ctx, c, u, in)
	}
	f, err := ps.OpenPartial(ctx, u.ID, 0)
	if err != nil {
		return nil, storageError("start resumable upload", err)
	}
	f.Close()
	if err := s.store.CreateResumableUpload(ctx, u); err != nil {
		ps.DeletePartial(context.WithoutCancel(ctx), u.ID)
		return nil, fmt.Errorf("create resumable upload: %w", err)
	}
	if in.Body == nil {
		return u, nil
	}
	return s.WriteResumable(ctx, c, u.ID, Piece{Offset: 0, Body: in.Body, SHA256: in.SHA256})
}

// newResumable is the record of a resumable upload not yet begun.
func (s *Service) newResumable(c Caller, in ResumableInput) (*damask.ResumableUpload, error) {
	state, err := sha256.New().(encoding.BinaryMarshaler).MarshalBinary()
	if err != nil {
		return nil, fmt.Errorf("start hash: %w", err)
	}
	var id [16]byte
	rand.Read(id[:])
	return &damask.ResumableUpload{
		ID: hex.EncodeToString(id[:]), AccountID: c.Account.ID, UserID: c.User.ID,
		Length: in.Length, HashState: state, Meta: in.Meta,
		ExpiresAt: s.now().Add(damask.UploadLifetime),
	}, nil
}

// createWhole is a creation whose request carries the whole file (what
// `damask push` sends for a file of one piece). Its sender learns the
// upload's URL only from the answer, so a request cut short leaves it
// nothing to resume: the file is stored as POST /api/upload stores one
// (ReceiveFile: one fsync of the file, then its name), with no partial
// file and no record of the progress, and the finished upload is recorded
// once. When it asks for a new asset (push does), the Upload, the asset
// and the record are one transaction (createWholeAsset), as POST
// /api/assets stores a file with its asset: one commit where the
// resumable path makes five. Otherwise the record comes after the Upload
// and what was made of it: three.
// Checked against the piece's checksum once stored, since the blob store
// hashes as it writes: a mismatch leaves an unreferenced file, which the
// collector takes, and nothing else.
func (s *Service) createWhole(ctx context.Context, c Caller, u *damask.ResumableUpload, in ResumableInput) (*damask.ResumableUpload, error) {
	f, err := s.ReceiveFile(ctx, c, FileInput{Body: in.Body, Filename: in.Meta.Filename, Length: in.Length})
	if err != nil {
		return nil, err
	}
	if f.Blob.Size != in.Length {
		return nil, damask.Errorf(damask.EMALFORMED, "The request carried %d bytes, Upload-Length is %d", f.Blob.Size, in.Length)
	}
	if in.SHA256 != nil && subtle.ConstantTimeCompare(f.Blob.Ref[:], in.SHA256) != 1 {
		return nil, &damask.Error{Code: damask.EINVALID, Message: "The piece's bytes do not match its Upload-Checksum", Err: ErrChecksumMismatch}
	}
	u.Offset = in.Length
	if m := u.Meta; m.Asset && !m.Unpack && m.AssetID == 0 {
		if done, err := s.createWholeAsset(ctx, c, u, f); err != nil {
			return nil, err
		} else if done {
			return u, nil
		}
	}
	up, _, err := s.Upload(ctx, c, f, damask.IdempotencyKey{})
	if err != nil {
		return nil, err
	}
	u.UploadID = up.ID
	var useErr error
	u.AssetID, u.Report, useErr = s.useResumable(ctx, c, u, up)
	if useErr != nil {
		// As finishResumable: the Upload stays, recorded as made.
		u.AssetID, u.Report = 0, nil
	}
	if err := s.store.CreateResumableUpload(context.WithoutCancel(ctx), u); err != nil {
		return nil, fmt.Errorf("record resumable upload %s: %w", u.ID, err)
	}
	if useErr != nil {
		return nil, useErr
	}
	return u, nil
}

// createWholeAsset stores a whole-file creation that asks for a new
// asset (what `damask push` sends) as POST /api/assets stores a file: the
// Upload, the asset made of it and the finished record in one
// transaction (one commit, grouped with the others waiting on SQLite),
// instead of a commit for each. done is false when the asset's input is
// refused: the caller then records the upload without it, as
// finishResumable does, and answers why.
func (s *Service) createWholeAsset(ctx context.Context, c Caller, u *damask.ResumableUpload, f *StoredFile) (done bool, err error) {
	if err := writable(c); err != nil {
		return false, err
	}
	if err := require(c, damask.RoleMember, "add assets"); err != nil {
		return false, nil
	}
	in := metaAsset(u.Meta)
	in.File = f
	a, v, tags, err := s.newAsset(ctx, c, in)
	if err != nil {
		return false, nil
	}
	up := &damask.Upload{AccountID: c.Account.ID, UserID: c.User.ID, Filename: f.Filename,
		ContentType: f.ContentType, Size: f.Blob.Size, Blob: f.Blob.Ref, ExpiresAt: s.now().Add(damask.UploadLifetime)}
	if err := s.store.CreateResumableAsset(acting(ctx, c), u, up, a, v, tags); err != nil {
		return false, fmt.Errorf("record resumable upload %s and its asset: %w", u.ID, err)
	}
	s.queued()
	return true, nil
}

// checkResumableMeta validates what the sender said of its file.
func (s *Service) checkResumableMeta(ctx context.Context, c Caller, m *damask.ResumableMeta) error {
	if _, err := text("Title", m.Title, maxTitle, false); err != nil {
		return err
	}
	if len(m.Path) > 4096 {
		return damask.Errorf(damask.EINVALID, "Path is too long (at most 4096 bytes)")
	}
	if len(m.Tags) > 64<<10 {
		return damask.Errorf(damask.EINVALID, "Tags are too long")
	}
	if m.AssetID != 0 {
		if err := s.CheckVersioning(c); err != nil {
			return err
		}
		if _, err := s.store.Asset(ctx, c.Account.ID, m.AssetID); err != nil {
			return err
		}
	}
	return nil
}

// Resumable finds a resumable upload of the caller's user; ENOTFOUND
// (with ErrResumableExpired past its expiry) when there is none.
func (s *Service) Resumable(ctx context.Context, c Caller, id string) (*damask.ResumableUpload, error) {
	if c.User == nil || !validResumableID(id) {
		return nil, damask.ErrNotFound
	}
	u, err := s.store.ResumableUpload(ctx, c.Account.ID, c.User.ID, id)
	if err != nil {
		return nil, err
	}
	if u.UploadID == 0 && !u.ExpiresAt.After(s.now()) {
		return nil, &damask.Error{Code: damask.ENOTFOUND, Message: "This upload has expired", Err: ErrResumableExpired}
	}
	return u, nil
}

func validResumableID(id string) bool {
	if len(id) != 32 {
		return false
	}
	_, err := hex.DecodeString(id)
	return err == nil
}

// WriteResumable appends a piece to a resumable upload of the caller's
// user and answers the upload as it then is; with the last byte, the file
// becomes an Upload (UploadID), and an asset or version when its metadata
// asked (AssetID). A piece whose offset is not the upload's answers
// ECONFLICT; one past the announced length ETOOLARGE; one whose checksum
// does not match EINVALID with ErrChecksumMismatch, keeping nothing of it.
// When the body breaks off, what arrived is kept (the sender resumes from
// there) and the error is answered. The plan's storage and the disk's
// reserve are checked again, and the piece takes a place among the
// uploads the user may send at once.
func (s *Service) WriteResumable(ctx context.Context, c Caller, id string, p Piece) (*damask.ResumableUpload, error) {
	if err := require(c, damask.RoleMember, "add files"); err != nil {
		return nil, err
	}
	ps, err := s.partials()
	if err != nil {
		return nil, err
	}
	// A client that goes away ends its body with an error, which keeps
	// what arrived; the request's end must not drop those bytes (nor
	// fail a check before them), so the work runs to the body's end.
	// A body that stalls is cut by the HTTP layer's progress limit.
	ctx = context.WithoutCancel(ctx)
	unlock, ok := s.resumable.lock(id)
	if !ok {
		return nil, damask.Errorf(damask.ECONFLICT, "Another request is sending this upload's bytes")
	}
	defer unlock()
	u, err := s.Resumable(ctx, c, id)
	if err != nil {
		return nil, err
	}
	if p.Offset != u.Offset || u.UploadID != 0 {
		return nil, damask.Errorf(damask.ECONFLICT, "Upload-Offset is %d, the upload holds %d bytes", p.Offset, u.Offset)
	}
	release, err := s.takeUploadSlot(ctx, c)
	if err != nil {
		return nil, err
	}
	released := false
	defer func() {
		if !released {
			release()
		}
	}()
	if err := s.checkQuota(ctx, c.Account, u.Length); err != nil {
		return nil, err
	}
	if err := s.checkDisk(ctx, u.Length-u.Offset); err != nil {
		return nil, err
	}

	h := sha256.New()
	if err := h.(encoding.BinaryUnmarshaler).UnmarshalBinary(u.HashState); err != nil {
		return nil, fmt.Errorf("resume hash of upload %s: %w", id, err)
	}
	f, err := ps.OpenPartial(ctx, id, u.Offset)
	if err != nil {
		return nil, storageError("open resumable upload", err)
	}
	defer f.Close()
	var piece hash.Hash
	if p.SHA256 != nil {
		piece = sha256.New()
	}
	n, copyErr := s.copyPiece(ctx, f, h, piece, p.Body, u.Length-u.Offset)
	if piece != nil && copyErr == nil && subtle.ConstantTimeCompare(piece.Sum(nil), p.SHA256) != 1 {
		return nil, &damask.Error{Code: damask.EINVALID, Message: "The piece's bytes do not match its Upload-Checksum", Err: ErrChecksumMismatch}
	}
	if copyErr != nil && (piece != nil || damask.ErrorCode(copyErr) != damask.ECANCELED && damask.ErrorCode(copyErr) != damask.EMALFORMED) {
		// Refused, not broken off: nothing of the piece is kept (the
		// next OpenPartial cuts it).
		return nil, copyErr
	}
	if n > 0 {
		if err := f.Sync(ctx); err != nil {
			return nil, storageError("sync resumable upload", err)
		}
		state, err := h.(encoding.BinaryMarshaler).MarshalBinary()
		if err != nil {
			return nil, fmt.Errorf("save hash of upload %s: %w", id, err)
		}
		if err := s.store.AdvanceResumableUpload(ctx, id, u.Offset, u.Offset+n, state); err != nil {
			return nil, fmt.Errorf("record resumable upload %s: %w", id, err)
		}
		u.Offset, u.HashState = u.Offset+n, state
	}
	if copyErr != nil {
		return nil, copyErr
	}
	if u.Offset < u.Length {
		return u, nil
	}
	var ref damask.BlobRef
	h.Sum(ref[:0])
	// The bytes are in: the slot goes before the file is used, since an
	// unpack takes one of its own (as after ReceiveFile).
	release()
	released = true
	return s.finishResumable(ctx, c, u, f, ref)
}

// copyPiece copies at most room bytes of body into f, hashing them into
// h (and piece, when set), looking at the free space every diskCheckEvery
// bytes. A body longer than room is ETOOLARGE.
func (s *Service) copyPiece(ctx context.Context, f damask.PartialFile, h, piece hash.Hash, body io.Reader, room int64) (int64, error) {
	bp := copyBufs.Get().(*[]byte)
	defer copyBufs.Put(bp)
	buf := *bp
	var n, checked int64
	told := false
	for {
		k, rerr := body.Read(buf)
		if k > 0 {
			if n+int64(k) > room {
				return n, damask.Errorf(damask.ETOOLARGE, "The piece goes past the upload's length (%d bytes left)", room)
			}
			// The hashes run beside the write (as the disk store's
			// writer does): the piece costs the slower of the two.
			var wg sync.WaitGroup
			wg.Go(func() {
				h.Write(buf[:k])
				if piece != nil {
					piece.Write(buf[:k])
				}
			})
			_, werr := f.Write(buf[:k])
			wg.Wait()
			if werr != nil {
				return n, storageError("write resumable upload", werr)
			}
			n += int64(k)
			s.tellIncoming(n, &told)
			if n-checked >= diskCheckEvery {
				checked = n
				if err := s.checkDisk(ctx, room-n); err != nil {
					return n, err
				}
			}
		}
		if rerr == io.EOF {
			return n, nil
		}
		if rerr != nil {
			if errors.Is(rerr, damask.ErrBodyTooLarge) {
				return n, s.tooLarge()
			}
			return n, &damask.Error{Code: damask.EMALFORMED, Message: "The piece could not be read to its end", Err: rerr}
		}
	}
}

// finishResumable commits the complete file under its SHA-256 and makes
// it an Upload, then an asset or a version when the metadata asked.
func (s *Service) finishResumable(ctx context.Context, c Caller, u *damask.ResumableUpload, f damask.PartialFile, ref damask.BlobRef) (*damask.ResumableUpload, error) {
	info, err := f.Commit(ctx, ref)
	if err != nil {
		return nil, storageError("store resumable upload", err)
	}
	head, err := s.head(ctx, ref)
	if err != nil {
		return nil, err
	}
	name := CleanFilename(u.Meta.Filename)
	sf := &StoredFile{Blob: info, Filename: name, ContentType: DetectType(head, name)}
	up, _, err := s.Upload(ctx, c, sf, damask.IdempotencyKey{})
	if err != nil {
		return nil, err
	}
	u.UploadID = up.ID
	if u.AssetID, u.Report, err = s.useResumable(ctx, c, u, up); err != nil {
		// The Upload stays: the sender can still use its id (an unpack
		// refused consumes nothing).
		s.store.FinishResumableUpload(context.WithoutCancel(ctx), u.ID, u.UploadID, 0, nil)
		return nil, err
	}
	if err := s.store.FinishResumableUpload(context.WithoutCancel(ctx), u.ID, u.UploadID, u.AssetID, u.Report); err != nil {
		return nil, fmt.Errorf("finish resumable upload %s: %w", u.ID, err)
	}
	return u, nil
}

// head reads the first bytes of a stored file, for its type.
func (s *Service) head(ctx context.Context, ref damask.BlobRef) ([]byte, error) {
	r, err := s.blobs.Open(ctx, ref)
	if err != nil {
		return nil, fmt.Errorf("read stored upload: %w", err)
	}
	defer r.Close()
	head := make([]byte, 512)
	n, err := io.ReadFull(r, head)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return nil, fmt.Errorf("read stored upload: %w", err)
	}
	return head[:n], nil
}

// useResumable makes the asset or version the metadata asked for, and
// answers its id (0 when none was asked); with unpack, the report of the
// unpack instead (resumableReport's JSON).
func (s *Service) useResumable(ctx context.Context, c Caller, u *damask.ResumableUpload, up *damask.Upload) (int64, []byte, error) {
	m := u.Meta
	if m.Unpack {
		report, err := s.unpackResumable(ctx, c, u, up)
		return 0, report, err
	}
	in := metaAsset(m)
	in.UploadID = up.ID
	if m.AssetID != 0 {
		a, err := s.UpdateAsset(ctx, c, m.AssetID, in)
		if err != nil {
			return 0, nil, err
		}
		return a.ID, nil, nil
	}
	if !m.Asset {
		return 0, nil, nil
	}
	a, err := s.CreateAsset(ctx, c, in)
	if err != nil {
		return 0, nil, err
	}
	return a.ID, nil, nil
}

// metaAsset is the asset input that a resumable upload's metadata asks
// for, without its file.
func metaAsset(m damask.ResumableMeta) AssetInput {
	var in AssetInput
	if m.Title != "" {
		in.Title = &m.Title
	}
	if m.Tags != "" {
		in.Tags = &m.Tags
	}
	if m.Path != "" {
		in.Path = &m.Path
	}
	return in
}

// resumableReport is an unpack's report as a resumable upload keeps it:
// the assets by id (read again when the report is asked for, as they are
// then), the rest as Unpack answered it.
type resumableReport struct {
	Archive  string         `json:"archive"`
	Files    int            `json:"files"`
	AssetIDs []int64        `json:"asset_ids"`
	Skipped  []SkippedEntry `json:"skipped"`
}

// unpackResumable unpacks a finished resumable upload whose metadata said
// unpack: the Upload goes to Unpack, as POST /api/assets with upload_id
// and unpack=true does (consumed when the assets are made), with the
// metadata's path, path_tags and tags. It answers the report to keep.
func (s *Service) unpackResumable(ctx context.Context, c Caller, u *damask.ResumableUpload, up *damask.Upload) ([]byte, error) {
	m := u.Meta
	in := UnpackInput{UploadID: up.ID, Path: m.Path, PathTags: m.PathTags}
	if m.Tags != "" {
		in.Tags = &m.Tags
	}
	if m.AssetID != 0 {
		return nil, damask.Errorf(damask.EINVALID, "unpack makes new assets: send it without asset_id")
	}
	rep, err := s.Unpack(ctx, c, in)
	if err != nil {
		return nil, err
	}
	kept := resumableReport{Archive: rep.Archive, Files: rep.Files, AssetIDs: make([]int64, len(rep.Assets)), Skipped: rep.Skipped}
	for i, a := range rep.Assets {
		kept.AssetIDs[i] = a.ID
	}
	b, err := json.Marshal(kept)
	if err != nil {
		return nil, fmt.Errorf("keep unpack report of upload %s: %w", u.ID, err)
	}
	return b, nil
}

// ResumableReport answers the report of the unpack a resumable upload of
// the caller's user made when it finished (unpack in its metadata), with
// its assets as they are now (one deleted since is left out), and the id
// of the Upload it consumed. ENOTFOUND for an upload that made no unpack
// (not finished, or without unpack).
func (s *Service) ResumableReport(ctx context.Context, c Caller, id string) (*UnpackReport, int64, error) {
	u, err := s.Resumable(ctx, c, id)
	if err != nil {
		return nil, 0, err
	}
	if u.Report == nil {
		return nil, 0, damask.Errorf(damask.ENOTFOUND, "This upload made no unpack (not finished, or sent without unpack)")
	}
	var kept resumableReport
	if err := json.Unmarshal(u.Report, &kept); err != nil {
		return nil, 0, fmt.Errorf("read unpack report of upload %s: %w", id, err)
	}
	rep := &UnpackReport{Archive: kept.Archive, Files: kept.Files, Assets: []*damask.Asset{}, Skipped: kept.Skipped}
	if rep.Skipped == nil {
		rep.Skipped = []SkippedEntry{}
	}
	for _, aid := range kept.AssetIDs {
		a, err := s.Asset(ctx, c, aid)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			continue
		}
		if err != nil {
			return nil, 0, err
		}
		rep.Assets = append(rep.Assets, a)
	}
	return rep, u.UploadID, nil
}

// DeleteResumable ends a resumable upload of the caller's user and drops
// its bytes (tus termination). An upload already complete stays an
// Upload.
func (s *Service) DeleteResumable(ctx context.Context, c Caller, id string) error {
	if err := writable(c); err != nil {
		return err
	}
	u, err := s.Resumable(ctx, c, id)
	if err != nil {
		return err
	}
	unlock, ok := s.resumable.lock(id)
	if !ok {
		return damask.Errorf(damask.ECONFLICT, "Another request is sending this upload's bytes")
	}
	defer unlock()
	return s.dropResumable(ctx, u.ID)
}

func (s *Service) dropResumable(ctx context.Context, id string) error {
	if ps, ok := s.blobs.(damask.PartialStore); ok {
		if err := ps.DeletePartial(ctx, id); err != nil {
			return fmt.Errorf("drop resumable upload %s: %w", id, err)
		}
	}
	if err := s.store.DeleteResumableUpload(ctx, id); err != nil {
		return fmt.Errorf("drop resumable upload %s: %w", id, err)
	}
	return nil
}

// expireResumables drops the resumable uploads past their expiry, their
// partial files first; the housework (Tidy) calls it.
func (s *Service) expireResumables(ctx context.Context) (int, error) {
	n := 0
	for {
		ids, err := s.store.ExpiredResumableUploads(ctx, s.now(), 100)
		if err != nil {
			return n, fmt.Errorf("list expired resumable uploads: %w", err)
		}
		for _, id := range ids {
			if err := s.dropResumable(ctx, id); err != nil {
				return n, err
			}
			n++
		}
		if len(ids) < 100 {
			return n, nil
		}
	}
}
