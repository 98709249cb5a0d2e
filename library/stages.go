package library

import (
	"context"
	"crypto/rand"
	"crypto/sha256"
	"crypto/subtle"
	"encoding/base64"
	"fmt"
	"io"
	"path"
	"slices"
	"strconv"
	"strings"
	"time"
	"unicode"

	"damask"
	"damask/media"
	"damask/password"
)

// Stages: a collection published at an unguessable address, for people
// outside the team (a client portal). The team's side (members and above,
// on plans with stages) makes and manages them; the visitors' side is
// every request under a Stage's address, each checked here against the
// Stage: its address, revocation and expiry (EGONE), its password (a pass
// the browser keeps after the form), and the asset's membership in the
// Stage's collection (ENOTFOUND, as for a missing asset). A visitor acts
// as a guest limited to that one collection, so that every rule of such
// a guest (lists, renditions smaller than the file) holds on a Stage too.

// Limits of a Stage's fields.
const (
	maxStageMessage    = 5000
	maxWatermark       = 100
	MaxStageRecipients = 100
)

// StageInput are the fields of a Stage's create or update as a client
// wrote them; nil leaves a field alone. Recipients are e-mail addresses
// separated by commas or spaces; ExpiresOn a date (2026-12-31, the end
// of that day in UTC) or a time (RFC 3339), "" for never; Password ""
// for none.
type StageInput struct {
	Title        *string
	Message      *string
	CollectionID *string
	Password     *string
	ExpiresOn    *string
	Downloads    *string
	Watermark    *string
	// WatermarkPosition is one of damask.WatermarkPositions;
	// WatermarkOpacity a percentage, 10 to 100 ("" for the default, 45).
	WatermarkPosition *string
	WatermarkOpacity  *string
	Recipients        *string
	// Base is where the Stage's addresses go (the public base of the
	// account's links, https://host): the invitations carry it.
	Base string
}

// requireStages answers EFORBIDDEN unless the account's plan has Stages
// and the caller is a member or above.
func (s *Service) requireStages(c Caller, doing string) error {
	if p := s.Plan(c.Account); !p.Stages {
		return damask.Errorf(damask.EFORBIDDEN, "The %s plan has no Stages: a plan with stages is needed to %s", p.Name, doing)
	}
	return require(c, damask.RoleMember, doing)
}

// newStageToken is the secret of an address: 192 random bits.
func newStageToken() string {
	b := make([]byte, 24)
	rand.Read(b) // never fails: crypto/rand panics rather than answer weak bytes
	return base64.RawURLEncoding.EncodeToString(b)
}

// applyStage sets the fields of in on st, checking them, and answers the
// e-mails of recipients new to the Stage.
func (s *Service) applyStage(st *damask.Stage, in StageInput) (added []string, err error) {
	if in.Title != nil {
		if st.Title, err = required("Title", *in.Title, maxTitle); err != nil {
			return nil, err
		}
	}
	if in.Message != nil {
		if st.Message, err = text("Message", *in.Message, maxStageMessage, true); err != nil {
			return nil, err
		}
	}
	if in.CollectionID != nil {
		id, err := strconv.ParseInt(strings.TrimSpace(*in.CollectionID), 10, 64)
		if err != nil || id <= 0 {
			return nil, damask.Errorf(damask.EINVALID, "collection_id must be the id of a collection")
		}
		st.CollectionID = id
	}
	if in.Password != nil {
		switch pw := *in.Password; pw {
		case "":
			st.PasswordHash = ""
		default:
			if len(pw) > maxPassword || !validUTF8(pw) {
				return nil, damask.Errorf(damask.EINVALID, "Password is too long (maximum is %d bytes)", maxPassword)
			}
			if st.PasswordHash, err = password.Hash(pw, s.pwParams); err != nil {
				return nil, fmt.Errorf("hash a Stage's password: %w", err)
			}
		}
	}
	if in.ExpiresOn != nil {
		if st.ExpiresAt, err = parseExpiry(*in.ExpiresOn); err != nil {
			return nil, err
		}
	}
	if in.Downloads != nil {
		switch d := strings.TrimSpace(*in.Downloads); d {
		case damask.StageDownloadsNone, damask.StageDownloadsPreviews, damask.StageDownloadsOriginals:
			st.Downloads = d
		default:
			return nil, damask.Errorf(damask.EINVALID, "downloads must be none, previews or originals, not %q", truncateRunes(d, 32))
		}
	}
	if in.Watermark != nil {
		if st.Watermark, err = text("Watermark", *in.Watermark, maxWatermark, false); err != nil {
			return nil, err
		}
	}
	if in.WatermarkPosition != nil {
		p := strings.ToLower(strings.TrimSpace(*in.WatermarkPosition))
		if p == "" {
			p = damask.WatermarkCenter
		}
		if !slices.Contains(damask.WatermarkPositions, p) {
			return nil, damask.Errorf(damask.EINVALID, "watermark_position must be one of %s, not %q",
				strings.Join(damask.WatermarkPositions, ", "), truncateRunes(p, 32))
		}
		st.WatermarkPosition = p
	}
	if in.WatermarkOpacity != nil {
		o := strings.TrimSuffix(strings.TrimSpace(*in.WatermarkOpacity), "%")
		if o == "" {
			st.WatermarkOpacity = damask.DefaultWatermarkOpacity
		} else if n, err := strconv.Atoi(strings.TrimSpace(o)); err == nil && n >= damask.MinWatermarkOpacity && n <= 100 {
			st.WatermarkOpacity = n
		} else {
			return nil, damask.Errorf(damask.EINVALID, "watermark_opacity must be a percentage from %d to 100, not %q",
				damask.MinWatermarkOpacity, truncateRunes(*in.WatermarkOpacity, 32))
		}
	}
	if in.Recipients != nil {
		items := strings.FieldsFunc(*in.Recipients, func(r rune) bool { return r == ',' || r == ';' || unicode.IsSpace(r) })
		if len(items) > MaxStageRecipients {
			return nil, damask.Errorf(damask.EINVALID, "A Stage has at most %d recipients", MaxStageRecipients)
		}
		old := st.Recipients
		st.Recipients = []damask.StageRecipient{}
		for _, it := range items {
			e, err := validEmail(it)
			if err != nil {
				return nil, damask.Errorf(damask.EINVALID, "Recipient %q is not an e-mail address", truncateRunes(it, 64))
			}
			e = strings.ToLower(e)
			if slices.ContainsFunc(st.Recipients, func(r damask.StageRecipient) bool { return r.Email == e }) {
				continue
			}
			i := slices.IndexFunc(old, func(r damask.StageRecipient) bool { return r.Email == e })
			if i >= 0 {
				st.Recipients = append(st.Recipients, old[i])
				continue
			}
			st.Recipients = append(st.Recipients, damask.StageRecipient{Email: e, Token: newStageToken()})
			added = append(added, e)
		}
	}
	return added, nil
}

// Stages lists the account's Stages, newest first.
// Errors: EFORBIDDEN (plan, role).
func (s *Service) Stages(ctx context.Context, c Caller, p damask.Page) ([]*damask.Stage, int, error) {
	if err := s.requireStages(c, "see Stages"); err != nil {
		return nil, 0, err
	}
	sts, n, err := s.store.Stages(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list stages: %w", err)
	}
	return sts, n, nil
}

// Stage finds a Stage of the account. Errors: EFORBIDDEN, ENOTFOUND.
func (s *Service) Stage(ctx context.Context, c Caller, id int64) (*damask.Stage, error) {
	if err := s.requireStages(c, "see Stages"); err != nil {
		return nil, err
	}
	return s.store.Stage(ctx, c.Account.ID, id)
}

// CreateStage publishes a collection on a new Stage and invites its
// recipients by e-mail (when the server sends mail). Members and above,
// on plans with stages, may. Errors: EFORBIDDEN; EINVALID for a title
// missing, a collection not of the account, a bad expiry, downloads or
// recipient.
// With an Idempotency-Key (key.Key) sent before with the same request,
// it makes and invites none and answers the first's, replayed (see once).
func (s *Service) CreateStage(ctx context.Context, c Caller, in StageInput, key damask.IdempotencyKey) (*damask.Stage, bool, error) {
	if err := s.requireStages(c, "make Stages"); err != nil {
		return nil, false, err
	}
	if in.Title == nil {
		in.Title = new(string)
	}
	if in.CollectionID == nil {
		return nil, false, damask.Errorf(damask.EINVALID, "collection_id is required: the collection the Stage publishes")
	}
	st := &damask.Stage{AccountID: c.Account.ID, UserID: c.User.ID, Token: newStageToken(),
		Downloads: damask.StageDownloadsPreviews, WatermarkPosition: damask.WatermarkCenter,
		WatermarkOpacity: damask.DefaultWatermarkOpacity, Recipients: []damask.StageRecipient{}}
	added, err := s.applyStage(st, in)
	if err != nil {
		return nil, false, err
	}
	return once(ctx, s, c, key, damask.KindStage, func(r *damask.IdempotencyRecord) (*damask.Stage, error) {
		return s.Stage(ctx, c, r.ID)
	}, func(ctx context.Context) (*damask.Stage, error) {
		if err := s.store.CreateStage(ctx, st); err != nil {
			return nil, fmt.Errorf("create stage: %w", err)
		}
		s.record(ctx, c, damask.AuditStageCreated, stageTarget(st.ID), st.Title)
		s.invite(ctx, c, st, added, in.Base)
		return st, nil
	})
}

// UpdateStage changes a Stage; recipients added are invited. Revoked, it
// stays so. Errors: those of CreateStage, ENOTFOUND.
func (s *Service) UpdateStage(ctx context.Context, c Caller, id int64, in StageInput) (*damask.Stage, error) {
	if err := s.requireStages(c, "change Stages"); err != nil {
		return nil, err
	}
	st, err := s.store.Stage(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	added, err := s.applyStage(st, in)
	if err != nil {
		return nil, err
	}
	if err := s.store.UpdateStage(ctx, st); err != nil {
		return nil, fmt.Errorf("update stage %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditStageChanged, stageTarget(id), st.Title)
	if st.RevokedAt.IsZero() {
		s.invite(ctx, c, st, added, in.Base)
	}
	return st, nil
}

// RevokeStage closes a Stage for good: every address of it answers EGONE
// from now on. Revoking it again changes nothing. Errors: EFORBIDDEN,
// ENOTFOUND.
func (s *Service) RevokeStage(ctx context.Context, c Caller, id int64) (*damask.Stage, error) {
	if err := s.requireStages(c, "revoke Stages"); err != nil {
		return nil, err
	}
	st, err := s.store.Stage(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if !st.RevokedAt.IsZero() {
		return st, nil
	}
	st.RevokedAt = s.now().UTC()
	if err := s.store.UpdateStage(ctx, st); err != nil {
		return nil, fmt.Errorf("revoke stage %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditStageRevoked, stageTarget(id), st.Title)
	return st, nil
}

// StageLog lists a Stage's access log, newest first. Errors: EFORBIDDEN,
// ENOTFOUND.
func (s *Service) StageLog(ctx context.Context, c Caller, id int64, p damask.Page) ([]*damask.StageAccess, int, error) {
	if err := s.requireStages(c, "see Stages"); err != nil {
		return nil, 0, err
	}
	return s.store.StageLog(ctx, c.Account.ID, id, p)
}

func stageTarget(id int64) string { return fmt.Sprintf("stage %d", id) }

// StageVisitor is a request under a Stage's address: its token (the
// Stage's own or a recipient's), the pass the browser keeps after the
// password form ("" for none), and the visitor's network address.
type StageVisitor struct {
	Token  string
	Pass   string
	Source string
}

// StageView is a Stage opened by a visitor.
type StageView struct {
	Stage     *damask.Stage
	Account   *damask.Account
	Recipient string // the recipient's e-mail; "" for the Stage's own address
	visitor   StageVisitor
	caller    Caller // a guest limited to the Stage's collection
}

// MayDownload tells whether the Stage gives files to download, and
// MayDownloadOriginals whether those are the originals.
func (v *StageView) MayDownload() bool { return v.Stage.Downloads != damask.StageDownloadsNone }

// MayDownloadOriginals tells whether the Stage gives the original files.
func (v *StageView) MayDownloadOriginals() bool {
	return v.Stage.Downloads == damask.StageDownloadsOriginals
}

// errStagePassword is what a visitor without the pass is answered.
var errStagePassword = damask.Errorf(damask.EUNAUTHORIZED, "This Stage asks for its password")

// openStage checks a visitor's request against the Stage, in the order
// every sub-resource keeps: the address (ENOTFOUND: unknown, or of
// another account), the Stage's state (EGONE: revoked, expired, its
// collection deleted, or its account's plan without Stages), then the
// pass (EUNAUTHORIZED).
func (s *Service) openStage(ctx context.Context, account *damask.Account, v StageVisitor) (*StageView, error) {
	if v.Token == "" || len(v.Token) > 64 {
		return nil, damask.ErrNotFound
	}
	st, recipient, err := s.store.StageByToken(ctx, v.Token)
	if err != nil {
		return nil, err
	}
	if st.AccountID != account.ID {
		return nil, damask.ErrNotFound
	}
	if st.Gone(s.now()) || !s.Plan(account).Stages {
		return nil, damask.Errorf(damask.EGONE, "This Stage is closed: it expired or was withdrawn")
	}
	if st.PasswordHash != "" && subtle.ConstantTimeCompare([]byte(s.stagePass(st, v.Token)), []byte(v.Pass)) != 1 {
		return nil, errStagePassword
	}
	guest := &damask.User{ID: -st.ID, AccountID: account.ID, Role: damask.RoleGuest, CollectionsOnly: true,
		CollectionIDs: []int64{st.CollectionID}}
	return &StageView{Stage: st, Account: account, Recipient: recipient, visitor: v,
		caller: Caller{Account: account, User: guest, Source: v.Source}}, nil
}

// stagePass is the pass of one address of a Stage: a MAC, under the
// server's key, of the Stage, the address and the password's hash, so
// that a new password or another address needs the form again.
func (s *Service) stagePass(st *damask.Stage, token string) string {
	return s.passMAC("stage", strconv.FormatInt(st.ID, 10), token, st.PasswordHash)
}

// StagePassword checks the password of a Stage and answers the pass the
// visitor's browser then keeps. Tries are throttled per address and per
// Stage as sign-ins are, on counters of their own (checkPassword). Errors: those of openStage; EUNAUTHORIZED for a
// wrong password; ETHROTTLED.
func (s *Service) StagePassword(ctx context.Context, account *damask.Account, v StageVisitor, pw string) (string, error) {
	v.Pass = ""
	_, err := s.openStage(ctx, account, v)
	if err == nil {
		return "", nil // no password asked
	}
	if damask.ErrorCode(err) != damask.EUNAUTHORIZED {
		return "", err
	}
	st, _, err := s.store.StageByToken(ctx, v.Token)
	if err != nil {
		return "", err
	}
	if err := s.checkPassword(ctx, account.ID, stagePasswords, st.ID, v.Source, pw, st.PasswordHash,
		"That is not this Stage's password"); err != nil {
		return "", err
	}
	return s.stagePass(st, v.Token), nil
}

// checkPassword checks pw against hash, the password of a Stage's or an
// Inbox's (kind) number id (none when hash is empty), counting the
// failures per Stage or Inbox and per address, on counters of their own
// (see throttleKind): EUNAUTHORIZED with wrong, ETHROTTLED past the
// limit, before the password is even looked at.
func (s *Service) checkPassword(ctx context.Context, accountID int64, kind throttleKind, id int64, source, pw, hash, wrong string) error {
	if hash == "" {
		return nil
	}
	name := string(kind) + " " + strconv.FormatInt(id, 10)
	if err := s.throttleCheck(ctx, accountID, kind, name, source); err != nil {
		return err
	}
	ok, err := password.Verify(pw, hash)
	if err != nil {
		return fmt.Errorf("check the password of %s: %w", name, err)
	}
	if ok {
		return nil
	}
	wait, err := s.throttleFail(ctx, accountID, kind, name, source)
	if err != nil {
		return err
	}
	if wait > 0 {
		return throttled(wait)
	}
	return damask.Errorf(damask.EUNAUTHORIZED, "%s", wrong)
}

// logAccess writes a line of the access log; a failure is logged, not
// answered: the visitor has what they came for.
func (s *Service) logAccess(ctx context.Context, v *StageView, action, what string, assetID int64) {
	a := &damask.StageAccess{AccountID: v.Account.ID, StageID: v.Stage.ID, At: s.now().UTC(), Recipient: v.Recipient,
		Address: v.visitor.Source, Action: action, AssetID: assetID, What: what}
	if err := s.store.LogStageAccess(context.WithoutCancel(ctx), a); err != nil {
		s.log.Warn("stage: log access", "stage", v.Stage.ID, "err", err)
	}
}

// StagePage opens a Stage for a visitor with a page of its assets (by
// the collection's order, or a saved search's newest first), and logs
// the view. Errors: those of openStage; EINVALID for a bad cursor.
func (s *Service) StagePage(ctx context.Context, account *damask.Account, v StageVisitor, q AssetQuery) (*StageView, *AssetList, error) {
	view, err := s.openStage(ctx, account, v)
	if err != nil {
		return nil, nil, err
	}
	_, l, err := s.OpenCollection(ctx, view.caller, view.Stage.CollectionID, AssetQuery{Page: q.Page, Cursor: q.Cursor})
	if err != nil {
		return nil, nil, err
	}
	if q.Cursor == "" && q.Page.Number <= 1 {
		s.logAccess(ctx, view, damask.StageViewed, "page", 0)
	}
	return view, l, nil
}

// StageAsset opens an asset of a Stage for a visitor, and logs the view.
// Errors: those of openStage; ENOTFOUND for an asset not on the Stage.
func (s *Service) StageAsset(ctx context.Context, account *damask.Account, v StageVisitor, id int64) (*StageView, *damask.Asset, error) {
	view, a, err := s.stageAsset(ctx, account, v, id)
	if err != nil {
		return nil, nil, err
	}
	s.logAccess(ctx, view, damask.StageViewed, "asset", id)
	return view, a, nil
}

func (s *Service) stageAsset(ctx context.Context, account *damask.Account, v StageVisitor, id int64) (*StageView, *damask.Asset, error) {
	view, err := s.openStage(ctx, account, v)
	if err != nil {
		return nil, nil, err
	}
	a, err := s.asset(ctx, view.caller, id)
	if err != nil {
		return nil, nil, err
	}
	cp := *a
	cp.PublicToken, cp.PublicLinkBy, cp.Path = "", 0, ""
	return view, &cp, nil
}

// StagePlayback opens the playback preview of a video or sound on a
// Stage (never the original). Errors: those of StageAsset and Playback.
func (s *Service) StagePlayback(ctx context.Context, account *damask.Account, v StageVisitor, id int64) (*RenditionFile, error) {
	view, _, err := s.stageAsset(ctx, account, v, id)
	if err != nil {
		return nil, err
	}
	return s.Playback(ctx, view.caller, id)
}

// StageFile is a file a Stage gives: an original, or a preview.
type StageFile struct {
	Asset       *damask.Asset
	Name        string // the name to save it as
	ContentType string
	ModTime     time.Time
	Body        io.ReadSeekCloser
}

// StageDownload opens an asset's file for a visitor as the Stage allows:
// the original when it gives originals, the largest preview (watermarked
// when the Stage has a watermark) when it gives previews; and logs the
// download. Errors: those of StageAsset; EFORBIDDEN when the Stage gives
// no downloads.
func (s *Service) StageDownload(ctx context.Context, account *damask.Account, v StageVisitor, id int64) (*StageFile, error) {
	view, a, err := s.stageAsset(ctx, account, v, id)
	if err != nil {
		return nil, err
	}
	f, err := s.stageFile(ctx, view, a)
	if err != nil {
		return nil, err
	}
	what := "preview"
	if view.MayDownloadOriginals() {
		what = "original"
	}
	s.logAccess(ctx, view, damask.StageDownloaded, what, id)
	return f, nil
}

func (s *Service) stageFile(ctx context.Context, view *StageView, a *damask.Asset) (*StageFile, error) {
	switch view.Stage.Downloads {
	case damask.StageDownloadsOriginals:
		d, err := s.open(ctx, a, 0)
		if err != nil {
			return nil, err
		}
		return &StageFile{Asset: a, Name: d.Version.Filename, ContentType: d.Version.ContentType,
			ModTime: d.Version.CreatedAt, Body: d.Body}, nil
	case damask.StageDownloadsPreviews:
		r, err := s.stageRendition(ctx, view, a, stageDownloadSize)
		if err != nil {
			return nil, err
		}
		name := strings.TrimSuffix(a.Filename, path.Ext(a.Filename)) + ".jpg"
		return &StageFile{Asset: a, Name: name, ContentType: stageDownloadSize.ContentType(), ModTime: a.UpdatedAt, Body: r.Body}, nil
	}
	return nil, damask.Errorf(damask.EFORBIDDEN, "This Stage gives no downloads")
}

// StageZip opens, one after the other, the files of every asset of the
// Stage as it allows (see StageDownload) for one archive, and logs one
// download. Errors: those of openStage; EFORBIDDEN when the Stage gives
// no downloads; ENOTFOUND when no file could be opened.
func (s *Service) StageZip(ctx context.Context, account *damask.Account, v StageVisitor, add func(*StageFile) error) error {
	view, err := s.openStage(ctx, account, v)
	if err != nil {
		return err
	}
	if !view.MayDownload() {
		return damask.Errorf(damask.EFORBIDDEN, "This Stage gives no downloads")
	}
	sent := 0
	cursor := ""
	for n := 0; n < MaxZipFiles; {
		_, l, err := s.OpenCollection(ctx, view.caller, view.Stage.CollectionID,
			AssetQuery{Page: damask.Page{Number: 1, Size: 200}, Cursor: cursor})
		if err != nil {
			return err
		}
		for _, a := range l.Assets {
			n++
			f, err := s.stageFile(ctx, view, a)
			if err != nil {
				s.log.Warn("stage zip: skip asset", "stage", view.Stage.ID, "asset", a.ID, "err", err)
				continue
			}
			if sent == 0 {
				s.logAccess(ctx, view, damask.StageDownloaded, "zip", 0)
			}
			err = add(f)
			f.Body.Close()
			if err != nil {
				return err
			}
			sent++
		}
		if l.Next == "" {
			break
		}
		cursor = l.Next
	}
	if sent == 0 {
		return damask.Errorf(damask.ENOTFOUND, "This Stage has no file to download")
	}
	return nil
}

// stageDownloadSize is the preview a Stage that gives previews downloads.
var stageDownloadSize = media.Lightbox

// StageRendition opens a rendition of an asset on a Stage for a visitor:
// the thumbnails as they are, the previews watermarked when the Stage has
// a watermark. Renditions carry no metadata (the renderer strips it), and
// on a Stage a preview may show a small picture at its full size: it is
// re-encoded, not the file. Errors: those of StageAsset and Rendition.
func (s *Service) StageRendition(ctx context.Context, account *damask.Account, v StageVisitor, id int64, size media.Size) (*RenditionFile, error) {
	view, a, err := s.stageAsset(ctx, account, v, id)
	if err != nil {
		return nil, err
	}
	return s.stageRendition(ctx, view, a, size)
}

// watermarked tells the sizes a Stage's watermark is drawn on.
func watermarked(size media.Size) bool { return size.Px >= media.Preview.Px }

func (s *Service) stageRendition(ctx context.Context, view *StageView, a *damask.Asset, size media.Size) (*RenditionFile, error) {
	mark := view.Stage.Watermark
	if mark == "" || !watermarked(size) {
		return s.renditionOf(ctx, a, size, true)
	}
	style := watermarkStyle(view.Stage)
	// Made once per (file, size, watermark, position, opacity) and kept
	// with the file's other renditions: a Stage whose mark changes is
	// drawn anew.
	sum := sha256.Sum256(fmt.Appendf(nil, "%s\x00%s\x00%g", mark, style.Position, style.Opacity))
	name := fmt.Sprintf("%s-wm-%x", size.Name, sum[:8])
	r, err := s.store.Rendition(ctx, a.Blob, name)
	if damask.ErrorCode(err) == damask.ENOTFOUND {
		r, err = s.makeWatermarked(ctx, a, size, name, mark, style)
	}
	if err != nil {
		return nil, err
	}
	body, err := s.openVerified(ctx, r.Blob, -1, fmt.Sprintf("%s of asset %d", name, a.ID))
	if err != nil {
		return nil, err
	}
	return &RenditionFile{Asset: a, Rendition: r, Body: body}, nil
}

// watermarkStyle is where and how strongly a Stage's watermark is drawn,
// its defaults filled in.
func watermarkStyle(st *damask.Stage) media.WatermarkStyle {
	style := media.WatermarkStyle{Position: st.WatermarkPosition, Opacity: float64(st.WatermarkOpacity) / 100}
	if style.Position == "" {
		style.Position = damask.WatermarkCenter
	}
	if st.WatermarkOpacity <= 0 {
		style.Opacity = float64(damask.DefaultWatermarkOpacity) / 100
	}
	return style
}

// makeWatermarked draws the watermark on the rendition at size, once for
// the requests that ask it at the same time, and keeps it.
func (s *Service) makeWatermarked(ctx context.Context, a *damask.Asset, size media.Size, name, mark string,
	style media.WatermarkStyle) (damask.Rendition, error) {
	v, err, _ := s.sizing.Do(a.Blob.String()+"/"+name, func() (any, error) {
		ctx := context.WithoutCancel(ctx)
		r, err := s.store.Rendition(ctx, a.Blob, name)
		if damask.ErrorCode(err) != damask.ENOTFOUND {
			return r, err
		}
		renderer := s.tools().Renderer
		if renderer == nil {
			return nil, damask.Errorf(damask.ENOTFOUND, "Asset %d has no %s: this server makes none", a.ID, size.Name)
		}
		plain, err := s.renditionOf(ctx, a, size, true)
		if err != nil {
			return nil, err
		}
		b, err := io.ReadAll(plain.Body)
		plain.Body.Close()
		if err != nil {
			return nil, fmt.Errorf("read %s of asset %d: %w", size.Name, a.ID, err)
		}
		out, err := renderer.Watermark(ctx, b, mark, style)
		if err != nil {
			return nil, fmt.Errorf("watermark %s of asset %d: %w", size.Name, a.ID, err)
		}
		return s.keepRendition(ctx, a.Blob, name, out, plain.Rendition.Width, plain.Rendition.Height)
	})
	if err != nil {
		return damask.Rendition{}, err
	}
	return v.(damask.Rendition), nil
}

// StageAddress is the path of a Stage's address under the server: what
// the API's url and the e-mails carry after the public base.
func StageAddress(token string) string { return "/s/" + token }

// invite sends each new recipient their personal address under base,
// when the server sends mail.
func (s *Service) invite(ctx context.Context, c Caller, st *damask.Stage, emails []string, base string) {
	if s.mailer == nil || len(emails) == 0 {
		return
	}
	for _, e := range emails {
		i := slices.IndexFunc(st.Recipients, func(r damask.StageRecipient) bool { return r.Email == e })
		if i < 0 {
			continue
		}
		var b strings.Builder
		fmt.Fprintf(&b, "%s shares %q with you.\n\n", c.Account.Name, st.Title)
		if st.Message != "" {
			fmt.Fprintf(&b, "%s\n\n", st.Message)
		}
		fmt.Fprintf(&b, "Open it here (this address is yours alone):\n%s%s\n", base, StageAddress(st.Recipients[i].Token))
		if st.PasswordHash != "" {
			b.WriteString("\nIt asks for a password, which the sender gives you apart.\n")
		}
		if !st.ExpiresAt.IsZero() {
			fmt.Fprintf(&b, "\nIt is open until %s.\n", st.ExpiresAt.Format("2 January 2006 15:04 MST"))
		}
		m := damask.Mail{To: []string{e}, Subject: st.Title, Text: b.String()}
		if err := s.mailer.Send(context.WithoutCancel(ctx), m); err != nil {
			s.log.Warn("stage: invitation not sent", "stage", st.ID, "err", err)
		}
	}
}

// StageDigest sends each creator of a Stage, when the server sends mail,
// one e-mail telling the activity of their Stages from the last digest
// (or a day) until now: the housework runs it daily. The period is
// claimed in the store first, so that of several servers one sends it,
// and a restart does not send it again. It answers the number of e-mails
// sent (0 when another server claimed the period).
func (s *Service) StageDigest(ctx context.Context) (int, error) {
	if s.mailer == nil {
		return 0, nil
	}
	last, err := s.store.StageDigestSent(ctx)
	if err != nil {
		return 0, fmt.Errorf("stage digest: %w", err)
	}
	return s.stageDigest(ctx, last, s.now().UTC())
}

// stageDigest claims the digest from last, as read, to now and sends it.
func (s *Service) stageDigest(ctx context.Context, last, now time.Time) (int, error) {
	since := last
	if since.IsZero() {
		since = now.Add(-24 * time.Hour)
	}
	if claimed, err := s.store.ClaimStageDigest(ctx, last, now); err != nil {
		return 0, fmt.Errorf("stage digest: %w", err)
	} else if !claimed {
		return 0, nil
	}
	type key struct{ account, stage int64 }
	views, downloads := map[key]int{}, map[key]int{}
	var order []key
	err := s.store.StageActivity(ctx, since, now, func(a *damask.StageAccess) error {
		k := key{a.AccountID, a.StageID}
		if views[k] == 0 && downloads[k] == 0 {
			order = append(order, k)
		}
		if a.Action == damask.StageDownloaded {
			downloads[k]++
		} else {
			views[k]++
		}
		return nil
	})
	if err != nil {
		return 0, fmt.Errorf("stage digest: %w", err)
	}
	// One e-mail per creator: their Stages' lines.
	type to struct{ account, user int64 }
	lines := map[to][]string{}
	var tos []to
	for _, k := range order {
		st, err := s.store.Stage(ctx, k.account, k.stage)
		if err != nil || st.UserID == 0 {
			continue
		}
		t := to{k.account, st.UserID}
		if lines[t] == nil {
			tos = append(tos, t)
		}
		lines[t] = append(lines[t], fmt.Sprintf("%s: %d views, %d downloads", st.Title, views[k], downloads[k]))
	}
	sent := 0
	for _, t := range tos {
		u, err := s.store.User(ctx, t.account, t.user)
		if err != nil || u.Email == "" || u.Disabled {
			continue
		}
		text := "What happened on your Stages since " + since.Format("2 January 2006 15:04 MST") + ":\n\n" +
			strings.Join(lines[t], "\n") + "\n\nEach Stage's access log tells who saw and downloaded what.\n"
		if err := s.mailer.Send(ctx, damask.Mail{To: []string{u.Email}, Subject: "Your Stages today", Text: text}); err != nil {
			s.log.Warn("stage: digest not sent", "user", u.ID, "err", err)
			continue
		}
		sent++
	}
	return sent, nil
}
