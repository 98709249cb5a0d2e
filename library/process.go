package library

import (
	"bytes"
	"context"
	"errors"
	"fmt"
	"image"
	"image/jpeg"
	"io"
	"os"
	"path/filepath"
	"strings"
	"time"
	"unicode/utf8"

	"damask"
	"damask/media"
	"damask/metadata"
)

// processes tells whether new versions are queued for processing: only
// when the service has a renderer or an extractor to do it with.
func (s *Service) processes() bool {
	t := s.tools()
	return t.Renderer != nil || t.Extractor != nil
}

// newProcessing is the Processing a new version starts in.
func (s *Service) newProcessing() string {
	if s.processes() {
		return damask.ProcessingPending
	}
	return damask.ProcessingUnsupported
}

// queued tells the worker pool, if any, that a job is waiting.
func (s *Service) queued() {
	if s.onQueued != nil && s.processes() {
		s.onQueued()
	}
}

// Process does the job of one version (a jobs.Handler): it reads the
// file's metadata, makes every rendition of media.Sizes from one decode
// (skipping those the same bytes already have) and records the outcome on
// the asset with SetExtracted.
//
// A JPEG's job runs in two stages (damask.Job.Stage): the first makes its
// JPEG thumbnails only, from a decode at 1/8 scale, and answers
// damask.ErrNextStage, which queues the job again behind every job still
// at its thumbnails; the second does the rest. A batch of photos so shows
// every thumbnail before the first large preview is made. Other formats
// decode once for every size (a second decode of a PNG, a PSD or a video
// frame costs as much as the first) and do all in one stage.
//
// Outcomes: done; unsupported when the format has no rendition (its
// metadata is still kept, when the extractor reads it); failed, with the
// reason, when the file is corrupt, empty or too large, or drove a tool
// past its memory or CPU limit, at once since a retry would find the same.
// Other errors (a time limit, the blob store, the database) are returned
// so that the job is retried; on its last attempt the asset is marked
// failed first. A version that is no longer current, or an asset gone,
// ends the job with nothing written.
func (s *Service) Process(ctx context.Context, j *damask.Job) error {
	if !s.processes() {
		return nil
	}
	v, err := s.store.Version(ctx, j.AccountID, j.AssetID, j.Version)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return nil // purged or in the trash: nothing to show
	}
	if err != nil {
		return fmt.Errorf("process asset %d: %w", j.AssetID, err)
	}
	if j.Stage == damask.JobThumbnails {
		if next, err := s.thumbnailStage(ctx, j); err != nil || next != nil {
			if err == nil {
				return next
			}
			if !fileFault(err) && !errors.Is(err, media.ErrUnsupported) {
				return fmt.Errorf("process asset %d: thumbnails: %w", j.AssetID, err)
			}
			// The file's fault: the whole job below says so.
		}
	}
	x, err := s.process(ctx, j, v)
	if err != nil {
		// Canceled is a shutdown, not the file's fault: the job is left
		// for the next worker. A time limit (DeadlineExceeded) counts.
		if j.Attempts < damask.MaxJobAttempts || errors.Is(ctx.Err(), context.Canceled) {
			return err
		}
		x = damask.Extracted{Processing: damask.ProcessingFailed, Reason: err.Error()}
	}
	if serr := s.store.SetExtracted(ctx, j.AccountID, j.AssetID, j.Version, x); serr != nil && damask.ErrorCode(serr) != damask.ENOTFOUND {
		return fmt.Errorf("process asset %d: %w", j.AssetID, serr)
	}
	if x.Processing == damask.ProcessingFailed {
		s.log.Info("processing failed", "account", j.AccountID, "asset", j.AssetID, "version", j.Version, "reason", x.Reason)
	}
	return err
}

// process works out what to record; an error means "retry".
func (s *Service) process(ctx context.Context, j *damask.Job, v *damask.Version) (damask.Extracted, error) {
	path, done, err := s.blobPath(ctx, j.Blob)
	if err != nil {
		return damask.Extracted{}, err
	}
	defer done()

	// Renditions first: their thumbnails are served as soon as they are
	// stored, before the large sizes and the metadata are done.
	tools := s.tools()
	var info media.Info
	var renderErr error
	if tools.Renderer != nil {
		info, renderErr = s.renditions(ctx, path, j.Blob)
		if renderErr != nil && !fileFault(renderErr) && !errors.Is(renderErr, media.ErrUnsupported) {
			return damask.Extracted{}, renderErr
		}
	}

	var x damask.Extracted
	var metaErr error
	if tools.Extractor != nil {
		m, err := tools.Extractor.Extract(ctx, path, v.ContentType)
		switch {
		case err == nil:
			x = fromMetadata(m)
		case errors.Is(err, metadata.ErrUnreadable), errors.Is(err, metadata.ErrTooLarge), errors.Is(err, metadata.ErrBadPath):
			metaErr = err // the renderer has its say on the file below
		case errors.Is(err, metadata.ErrUnsafeTool):
			// An exiftool too old, found at the first file by a pool
			// started lazily: as if there were none, which a retry
			// would not change.
			s.log.Warn("metadata not read: exiftool refused", "err", err)
			metaErr = err
		default:
			return damask.Extracted{}, err
		}
	}
	if tools.Renderer == nil {
		if metaErr != nil && !errors.Is(metaErr, metadata.ErrUnreadable) {
			return failed(metaErr), nil
		}
		if metaErr != nil {
			// Nothing here reads the file: not knowing it is not a
			// failure (no retry or operator would change that).
			return damask.Extracted{Processing: damask.ProcessingUnsupported, Reason: metaErr.Error()}, nil
		}
		x.Processing = damask.ProcessingUnsupported
		x.Reason = "no renderer"
		return x, nil
	}

	switch {
	case renderErr == nil:
		x.Processing = damask.ProcessingDone
	case errors.Is(renderErr, media.ErrUnsupported):
		// A format neither tool reads is unsupported, not failed; a file
		// the extractor refused for its size stays failed.
		if metaErr != nil && !errors.Is(metaErr, metadata.ErrUnreadable) {
			return failed(metaErr), nil
		}
		x.Processing, x.Reason = damask.ProcessingUnsupported, renderErr.Error()
		if metaErr != nil {
			x.Reason += "; " + metaErr.Error()
		}
		return x, nil
	default: // the file's fault
		return failed(renderErr), nil
	}

	// A video or a sound gets a preview that plays, for those who may not
	// have the original. It is a nicety: failing, the asset stays done,
	// and guests see its frame or waveform only.
	if err := s.playback(ctx, path, j.Blob, info.Format); err != nil {
		if ctx.Err() != nil {
			return damask.Extracted{}, err
		}
		s.log.Warn("playback preview not made", "blob", j.Blob.String(), "err", err)
	}

	// What the decoder saw fills what the metadata lacked.
	if x.Width == 0 || x.Height == 0 {
		x.Width, x.Height = info.Width, info.Height
	}
	if x.PageCount == 0 && info.Format == media.FormatPDF {
		x.PageCount = info.PageCount
	}
	if x.Duration == 0 {
		x.Duration = info.Duration
	}
	return x, nil
}

// thumbnailStage makes the JPEG thumbnails of a JPEG's job at its first
// stage and, when the job goes on to the next, answers the StageDone that
// says so; nil (nothing done) for other formats, without a renderer, or
// when the thumbnails exist.
//
// The thumbnails' files are stored (each durable) as they are made, and
// their records are left to the worker, which writes them in the
// transaction that queues the next stage: one commit where there were
// four. A record so never names a file that is not durable. On an error
// the records of the files made are stored at once, as those of the
// whole job would be.
func (s *Service) thumbnailStage(ctx context.Context, j *damask.Job) (*damask.StageDone, error) {
	if s.tools().Renderer == nil {
		return nil, nil
	}
	var missing []media.Size
	for _, size := range media.Sizes() {
		if size.Px > media.Thumb256.Px {
			continue
		}
		_, err := s.store.Rendition(ctx, j.Blob, size.Name)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			missing = append(missing, size)
		} else if err != nil {
			return nil, err
		}
	}
	if len(missing) == 0 {
		return nil, nil
	}
	path, done, err := s.blobPath(ctx, j.Blob)
	if err != nil {
		return nil, err
	}
	defer done()
	if format, err := media.Detect(path); err != nil || format != media.FormatJPEG {
		return nil, nil // the whole job says what is wrong
	}
	next := &damask.StageDone{}
	put := func(size media.Size, r io.Reader) error {
		rd, err := s.storeRendition(ctx, j.Blob, size, r)
		if err == nil {
			next.Renditions = append(next.Renditions, rd)
		}
		return err
	}
	if _, err := s.tools().Renderer.Render(ctx, path, missing, put); err != nil {
		for _, rd := range next.Renditions {
			if perr := s.store.PutRendition(ctx, rd); perr != nil {
				return nil, errors.Join(err, perr)
			}
		}
		return nil, err
	}
	return next, nil
}

// fileFault tells the renderer's errors that are the file's doing, which
// a retry would meet again.
func fileFault(err error) bool {
	return errors.Is(err, media.ErrCorrupt) || errors.Is(err, media.ErrEmpty) ||
		errors.Is(err, media.ErrTooManyPixels) || errors.Is(err, media.ErrLimit)
}

func failed(err error) damask.Extracted {
	return damask.Extracted{Processing: damask.ProcessingFailed, Reason: err.Error()}
}

func fromMetadata(m metadata.Metadata) damask.Extracted {
	return damask.Extracted{
		Width: m.Width, Height: m.Height,
		PixelWidth: m.PixelWidth, PixelHeight: m.PixelHeight,
		Duration:  time.Duration(m.Duration * float64(time.Second)),
		PageCount: m.PageCount,
		Camera:    m.Camera,
		TakenAt:   m.TakenAt,
		GPS:       m.GPS,
		Text:      m.SearchText(),
		Keywords:  keywordTags(m.Keywords),
		Meta: damask.FileMeta{
			Type: m.Type, ResolutionWidth: m.ResolutionWidth, ResolutionHeight: m.ResolutionHeight,
			BitsPerSample: m.BitsPerSample, ColorSpace: m.ColorSpace, Orientation: m.Orientation,
			AlphaChannel: m.AlphaChannel, Lens: m.Lens, Keywords: m.Keywords, Caption: m.Caption,
			Creator: m.Creator, Copyright: m.Copyright, Title: m.Title, Description: m.Description,
			VideoCodec: m.VideoCodec, AudioCodec: m.AudioCodec,
			Headline: m.Headline, Credit: m.Credit, Source: m.Source,
			Location: m.Location, City: m.City, State: m.State, Country: m.Country,
		},
		Raw: m.Raw,
	}
}

// maxKeywordTags bounds the tags one file's keywords can add.
const maxKeywordTags = 50

// keywordTags makes a file's keywords valid tag names (no commas, not
// blank, not too long), each once, at most maxKeywordTags.
func keywordTags(keywords []string) []string {
	var tags []string
	seen := map[string]bool{}
	for _, k := range keywords {
		k = strings.ReplaceAll(k, ",", " ")
		if utf8.RuneCountInString(k) > maxTag {
			k = string([]rune(k)[:maxTag])
		}
		name, err := validTag(k)
		if err != nil || seen[strings.ToLower(name)] {
			continue
		}
		seen[strings.ToLower(name)] = true
		if tags = append(tags, name); len(tags) == maxKeywordTags {
			break
		}
	}
	return tags
}

// renditions makes the renditions of the file at path that the store
// lacks, JPEG and WebP, all from one decode, and stores each as a blob. When every one
// exists (the same bytes were processed before) nothing is decoded and the
// Info is zero.
func (s *Service) renditions(ctx context.Context, path string, source damask.BlobRef) (media.Info, error) {
	var missing []media.Size
	for _, size := range append(media.Sizes(), media.WebPSizes()...) {
		_, err := s.store.Rendition(ctx, source, size.Name)
		if damask.ErrorCode(err) == damask.ENOTFOUND {
			missing = append(missing, size)
		} else if err != nil {
			return media.Info{}, err
		}
	}
	if len(missing) == 0 {
		return media.Info{}, nil
	}
	format, err := media.Detect(path)
	if err != nil {
		return media.Info{}, err
	}
	r := s.tools().Renderer
	render := r.Render
	if format.Video() || format.Audio() {
		render = r.RenderVideoFrame // a frame, or a sound's waveform
	}
	put := func(size media.Size, r io.Reader) error { return s.putRendition(ctx, source, size, r) }
	// A JPEG decodes at 1/8 scale for the thumbnails in a fifth of the
	// time its 1/2 scale decode for the 2048 px size takes: decoding twice
	// costs about a fifth more and has the thumbnails stored (and served)
	// that much sooner. Other formats decode once: a second decode of a
	// PNG, a PSD or a video frame would cost as much as the first.
	if format == media.FormatJPEG {
		var thumbs, large []media.Size
		for _, size := range missing {
			if size.Px <= media.Thumb256.Px {
				thumbs = append(thumbs, size)
			} else {
				large = append(large, size)
			}
		}
		if len(thumbs) > 0 && len(large) > 0 {
			if _, err := render(ctx, path, thumbs, put); err != nil {
				return media.Info{}, err
			}
			missing = large
		}
	}
	return render(ctx, path, missing, put)
}

// playback makes the playback preview of a video or a sound
// (media.RenderPlayback), unless it is made already, in at most half the
// job's time left: the rest stays for what a retry would need.
func (s *Service) playback(ctx context.Context, path string, source damask.BlobRef, format media.Format) error {
	if format == "" {
		f, err := media.Detect(path)
		if err != nil {
			return err
		}
		format = f
	}
	if !format.Video() && !format.Audio() {
		return nil
	}
	_, err := s.store.Rendition(ctx, source, media.PlaybackName)
	if err == nil {
		return nil
	}
	if damask.ErrorCode(err) != damask.ENOTFOUND {
		return err
	}
	if d, ok := ctx.Deadline(); ok {
		var cancel context.CancelFunc
		ctx, cancel = context.WithTimeout(ctx, time.Until(d)/2)
		defer cancel()
	}
	dir, err := os.MkdirTemp("", "damask-playback-")
	if err != nil {
		return fmt.Errorf("playback preview: %w", err)
	}
	defer os.RemoveAll(dir)
	dst := filepath.Join(dir, "playback")
	if _, err := s.tools().Renderer.RenderPlayback(ctx, path, dst); err != nil {
		return err
	}
	f, err := os.Open(dst)
	if err != nil {
		return fmt.Errorf("playback preview: %w", err)
	}
	defer f.Close()
	bw, err := s.blobs.Create(ctx)
	if err != nil {
		return fmt.Errorf("store playback preview: %w", err)
	}
	defer bw.Abort()
	if _, err := io.Copy(bw, f); err != nil {
		return fmt.Errorf("store playback preview: %w", err)
	}
	bi, err := bw.Commit(ctx)
	if err != nil {
		return fmt.Errorf("store playback preview: %w", err)
	}
	return s.store.PutRendition(ctx, damask.Rendition{Source: source, Size: media.PlaybackName, Blob: bi.Ref})
}

// Playback opens the playback preview of an asset's current file, a video
// or a sound (media.RenderPlayback): every role may, guests included, as
// it is a preview made anew, never the file.
// Errors: ENOTFOUND for an unknown asset and for one that has none (not
// a video or a sound, or its preview could not be made); EPENDING while
// processing is under way.
func (s *Service) Playback(ctx context.Context, c Caller, id int64) (*RenditionFile, error) {
	if err := requireRole(c, damask.RoleGuest, "play previews"); err != nil {
		return nil, err
	}
	a, err := s.store.Asset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	r, err := s.store.Rendition(ctx, a.Blob, media.PlaybackName)
	switch {
	case damask.ErrorCode(err) == damask.ENOTFOUND && a.Processing == damask.ProcessingPending:
		return nil, damask.Errorf(damask.EPENDING, "The preview of asset %d is being made; try again shortly", id)
	case damask.ErrorCode(err) == damask.ENOTFOUND:
		return nil, damask.Errorf(damask.ENOTFOUND, "Asset %d has no preview that plays", id)
	case err != nil:
		return nil, fmt.Errorf("playback preview of asset %d: %w", id, err)
	}
	body, err := s.openVerified(ctx, r.Blob, -1, fmt.Sprintf("playback preview of asset %d", id))
	if err != nil {
		return nil, err
	}
	return &RenditionFile{Asset: a, Rendition: r, Body: body}, nil
}

// HasPlayback tells whether the asset's current file has its playback
// preview.
func (s *Service) HasPlayback(ctx context.Context, a *damask.Asset) bool {
	_, err := s.store.Rendition(ctx, a.Blob, media.PlaybackName)
	return err == nil
}

func (s *Service) putRendition(ctx context.Context, source damask.BlobRef, size media.Size, r io.Reader) error {
	rd, err := s.storeRendition(ctx, source, size, r)
	if err != nil {
		return err
	}
	return s.store.PutRendition(ctx, rd)
}

// storeRendition stores the encoded image read from r as the rendition at
// size of the file source, its bytes only: it answers the record to store
// once the file is durable.
func (s *Service) storeRendition(ctx context.Context, source damask.BlobRef, size media.Size, r io.Reader) (damask.Rendition, error) {
	var buf bytes.Buffer
	if _, err := buf.ReadFrom(r); err != nil {
		return damask.Rendition{}, fmt.Errorf("rendition %s: %w", size.Name, err)
	}
	var cfg image.Config
	var err error
	if size.WebP {
		cfg.Width, cfg.Height, err = media.WebPDimensions(buf.Bytes())
	} else {
		cfg, err = jpeg.DecodeConfig(bytes.NewReader(buf.Bytes()))
	}
	if err != nil {
		return damask.Rendition{}, fmt.Errorf("rendition %s: %w", size.Name, err)
	}
	return s.storeRenditionFile(ctx, source, size.Name, buf.Bytes(), cfg.Width, cfg.Height)
}

// keepRendition stores the encoded image b, of w x h pixels, as the
// rendition name of the file source: its bytes in the blob store, then
// its record.
func (s *Service) keepRendition(ctx context.Context, source damask.BlobRef, name string, b []byte, w, h int) (damask.Rendition, error) {
	r, err := s.storeRenditionFile(ctx, source, name, b, w, h)
	if err != nil {
		return damask.Rendition{}, err
	}
	if err := s.store.PutRendition(ctx, r); err != nil {
		return damask.Rendition{}, err
	}
	return r, nil
}

// storeRenditionFile stores the bytes of keepRendition's image, durable
// once it returns, and answers the record to store.
func (s *Service) storeRenditionFile(ctx context.Context, source damask.BlobRef, name string, b []byte, w, h int) (damask.Rendition, error) {
	bw, err := s.blobs.Create(ctx)
	if err != nil {
		return damask.Rendition{}, fmt.Errorf("store rendition %s: %w", name, err)
	}
	defer bw.Abort()
	if _, err := bw.Write(b); err != nil {
		return damask.Rendition{}, fmt.Errorf("store rendition %s: %w", name, err)
	}
	bi, err := bw.Commit(ctx)
	if err != nil {
		return damask.Rendition{}, fmt.Errorf("store rendition %s: %w", name, err)
	}
	return damask.Rendition{Source: source, Size: name, Blob: bi.Ref, Width: w, Height: h}, nil
}

// blobPath names a file holding the blob's bytes for the tools: the blob
// itself on a disk store, else a temporary copy that done removes.
func (s *Service) blobPath(ctx context.Context, ref damask.BlobRef) (path string, done func(), err error) {
	if p, ok := s.blobs.(damask.BlobPather); ok {
		path, err := p.Path(ref)
		if err != nil {
			return "", nil, fmt.Errorf("blob %s: %w", ref, err)
		}
		return path, func() {}, nil
	}
	r, err := s.blobs.Open(ctx, ref)
	if err != nil {
		return "", nil, fmt.Errorf("blob %s: %w", ref, err)
	}
	defer r.Close()
	f, err := os.CreateTemp("", "damask-process-*")
	if err != nil {
		return "", nil, err
	}
	done = func() { f.Close(); os.Remove(f.Name()) }
	if _, err := io.Copy(f, r); err != nil {
		done()
		return "", nil, fmt.Errorf("copy blob %s: %w", ref, err)
	}
	if err := f.Sync(); err != nil {
		done()
		return "", nil, err
	}
	return f.Name(), done, nil
}

// RenditionFile is a rendition opened for sending.
type RenditionFile struct {
	Asset     *damask.Asset
	Rendition damask.Rendition
	Body      io.ReadSeekCloser
}

// Rendition opens the rendition at size of an asset's current file. Every
// role may, guests included: renditions are previews, not originals; but a
// caller who may not have originals gets EFORBIDDEN for a rendition that
// shows the file at its full size (a raster image no larger than size).
// While processing is under way a size already made is served.
// Errors: EPENDING while processing is under way and the size is not made
// yet; ENOTFOUND for an unknown asset and for a file that has no rendition
// (unsupported or failed).
func (s *Service) Rendition(ctx context.Context, c Caller, id int64, size media.Size) (*RenditionFile, error) {
	if err := requireRole(c, damask.RoleGuest, "see previews"); err != nil {
		return nil, err
	}
	a, err := s.asset(ctx, c, id)
	if err != nil {
		return nil, err
	}
	return s.rendition(ctx, c, a, size)
}

// TrashedRendition opens a rendition of an asset in the trash, for the
// trash's thumbnails; members and above, who see the trash, may.
func (s *Service) TrashedRendition(ctx context.Context, c Caller, id int64, size media.Size) (*RenditionFile, error) {
	if err := requireRole(c, damask.RoleMember, "see the trash"); err != nil {
		return nil, err
	}
	a, err := s.store.TrashedAsset(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	return s.rendition(ctx, c, a, size)
}

// rendition opens the asset's rendition at size for the caller, who sees
// only renditions smaller than the file when they may not have originals.
func (s *Service) rendition(ctx context.Context, c Caller, a *damask.Asset, size media.Size) (*RenditionFile, error) {
	return s.renditionOf(ctx, a, size, mayHaveOriginals(c.User))
}

// renditionOf opens the rendition at size of a's current file; full tells
// whether it may show the file at its full size (see reproduces).
func (s *Service) renditionOf(ctx context.Context, a *damask.Asset, size media.Size, full bool) (*RenditionFile, error) {
	id := a.ID
	switch a.Processing {
	case damask.ProcessingPending, damask.ProcessingDone:
	default:
		return nil, damask.Errorf(damask.ENOTFOUND, "Asset %d has no %s: its file has no rendition (processing %s)", id, size.Name, a.Processing)
	}
	// While processing is under way, the sizes already made are served:
	// the thumbnails come first, before the large sizes and the metadata.
	r, err := s.store.Rendition(ctx, a.Blob, size.Name)
	if damask.ErrorCode(err) == damask.ENOTFOUND && a.Processing == damask.ProcessingPending {
		return nil, damask.Errorf(damask.EPENDING, "The %s of asset %d is being made; try again shortly", size.Name, id)
	}
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		return nil, damask.Errorf(damask.ENOTFOUND, "Asset %d has no %s", id, size.Name)
	}
	if err != nil {
		return nil, fmt.Errorf("rendition %s of asset %d: %w", size.Name, id, err)
	}
	if !full && reproduces(a, r, size) {
		return nil, damask.Errorf(damask.EFORBIDDEN, "Your role may see previews smaller than the file only, and the %d px %s of asset %d is the file's full size", size.Px, size.Name, id)
	}
	body, err := s.openVerified(ctx, r.Blob, -1, fmt.Sprintf("%s of asset %d", size.Name, id))
	if err != nil {
		return nil, err
	}
	return &RenditionFile{Asset: a, Rendition: r, Body: body}, nil
}
