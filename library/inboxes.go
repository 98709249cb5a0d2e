package library

import (
	"context"
	"crypto/hmac"
	"crypto/rand"
	"crypto/sha256"
	"encoding/base64"
	"encoding/hex"
	"errors"
	"fmt"
	"io"
	"path"
	"strconv"
	"strings"
	"time"

	"damask"
	"damask/password"
)

// Inboxes are public upload forms (plans with Stages): people outside the
// team send files to an Inbox's unguessable address, and each file goes
// the way of every upload (ReceiveFile, then CreateAsset), so the same
// limits, hostile-file rules and processing apply. The asset's uploader is
// the Inbox's creator (the holder once the creator is deleted, disabled
// or no longer a member); the sender, who has no account, is named in
// the asset's description, in the audit log and in the mail.

// InboxInput are the fields of an Inbox's create or update, as a client
// wrote them; nil leaves a field alone.
type InboxInput struct {
	Title       *string
	Message     *string
	Password    *string // "" removes it
	ExpiresOn   *string // RFC 3339, or a date (the Inbox closes at its end, UTC); "" never
	Tags        *string // names separated by commas; Inbox when not given at create
	MaxFileSize *string // bytes; 0 or "" adds no cap to the server's
	MaxFiles    *string // files of one submission; 0 or "" no cap
}

// Limits of an Inbox.
const (
	maxInboxMessage = 2000
	// MaxInboxFiles is the most max_files may be.
	MaxInboxFiles = 1000
	// DefaultInboxSends is how many submissions one address may make to
	// the Inboxes of an account an hour (Options.InboxSends); an Inbox
	// takes ten times that from all addresses.
	DefaultInboxSends = 20
	inboxWindow       = time.Hour
	// inboxPassLife is how long the cookie of a password given lasts.
	inboxPassLife = 12 * time.Hour
	// DefaultInboxTags are the tags of an Inbox created without any.
	DefaultInboxTags = "Inbox"
)

// inboxesAllowed answers EFORBIDDEN unless the caller may manage Inboxes:
// members and above of an account whose plan has Stages.
func (s *Service) inboxesAllowed(c Caller, doing string, change bool) error {
	check := requireRole
	if change {
		check = require
	}
	if err := check(c, damask.RoleMember, doing); err != nil {
		return err
	}
	if !s.Plan(c.Account).Stages {
		return damask.Errorf(damask.EFORBIDDEN,
			"The %s plan does not include Inboxes; Stages and Inboxes are features of the pro and deluxe plans", c.Account.Plan)
	}
	return nil
}

// newInboxToken is the secret of an Inbox's address: 130 random bits.
func newInboxToken() string { return strings.ToLower(rand.Text()) }

// applyInbox checks in and writes it into b.
func (s *Service) applyInbox(ctx context.Context, c Caller, b *damask.Inbox, in InboxInput) error {
	var err error
	if in.Title != nil {
		if b.Title, err = required("Title", *in.Title, maxTitle); err != nil {
			return err
		}
	}
	if in.Message != nil {
		if b.Message, err = text("Message", *in.Message, maxInboxMessage, true); err != nil {
			return err
		}
	}
	if in.Password != nil {
		b.PasswordHash = ""
		if *in.Password != "" {
			if err := validPassword(*in.Password); err != nil {
				return err
			}
			if b.PasswordHash, err = password.Hash(*in.Password, s.pwParams); err != nil {
				return fmt.Errorf("hash inbox password: %w", err)
			}
		}
	}
	if in.ExpiresOn != nil {
		if b.ExpiresAt, err = futureExpiry(*in.ExpiresOn, s.now()); err != nil {
			return err
		}
	}
	if in.Tags != nil {
		names, err := s.tagNames(ctx, c.Account.ID, *in.Tags)
		if err != nil {
			return err
		}
		b.Tags = strings.Join(names, ", ")
	}
	if in.MaxFileSize != nil {
		n, err := count("max_file_size", *in.MaxFileSize, MaxFileSizeCeiling)
		if err != nil {
			return err
		}
		b.MaxFileSize = n
	}
	if in.MaxFiles != nil {
		n, err := count("max_files", *in.MaxFiles, MaxInboxFiles)
		if err != nil {
			return err
		}
		b.MaxFiles = int(n)
	}
	return nil
}

// count reads a whole number from 0 to most; "" is 0.
func count(field, v string, most int64) (int64, error) {
	v = strings.TrimSpace(v)
	if v == "" {
		return 0, nil
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > most {
		return 0, damask.Errorf(damask.EINVALID, "%s must be a whole number from 0 to %d", field, most)
	}
	return n, nil
}

// futureExpiry reads an Inbox's expires_on (parseExpiry), which must be
// in the future: an Inbox is made to receive.
func futureExpiry(v string, now time.Time) (time.Time, error) {
	t, err := parseExpiry(v)
	if err == nil && !t.IsZero() && !t.After(now) {
		return time.Time{}, damask.Errorf(damask.EINVALID, "expires_on must be in the future")
	}
	return t, err
}

// CreateInbox makes an Inbox with a new address; members and above, on
// plans with Stages. Its tags are Inbox unless in says others. With an
// Idempotency-Key (key.Key) sent before with the same request, it makes
// none and answers the first's, replayed (see once).
func (s *Service) CreateInbox(ctx context.Context, c Caller, in InboxInput, key damask.IdempotencyKey) (*damask.Inbox, bool, error) {
	if err := s.inboxesAllowed(c, "make Inboxes", true); err != nil {
		return nil, false, err
	}
	b := &damask.Inbox{AccountID: c.Account.ID, UserID: c.User.ID, Token: newInboxToken(), Tags: DefaultInboxTags}
	if in.Title == nil {
		return nil, false, damask.Errorf(damask.EINVALID, "Title can't be blank")
	}
	if err := s.applyInbox(ctx, c, b, in); err != nil {
		return nil, false, err
	}
	return once(ctx, s, c, key, damask.KindInbox, func(r *damask.IdempotencyRecord) (*damask.Inbox, error) {
		return s.Inbox(ctx, c, r.ID)
	}, func(ctx context.Context) (*damask.Inbox, error) {
		if err := s.store.CreateInbox(ctx, b); err != nil {
			return nil, fmt.Errorf("create inbox: %w", err)
		}
		s.record(ctx, c, damask.AuditInboxCreated, inboxTarget(b), "")
		return b, nil
	})
}

// Inboxes lists the account's Inboxes, newest first; members and above.
func (s *Service) Inboxes(ctx context.Context, c Caller, p damask.Page) ([]*damask.Inbox, int, error) {
	if err := s.inboxesAllowed(c, "see Inboxes", false); err != nil {
		return nil, 0, err
	}
	bs, n, err := s.store.Inboxes(ctx, c.Account.ID, p)
	if err != nil {
		return nil, 0, fmt.Errorf("list inboxes: %w", err)
	}
	return bs, n, nil
}

// Inbox finds an Inbox of the account; members and above. ENOTFOUND.
func (s *Service) Inbox(ctx context.Context, c Caller, id int64) (*damask.Inbox, error) {
	if err := s.inboxesAllowed(c, "see Inboxes", false); err != nil {
		return nil, err
	}
	return s.store.Inbox(ctx, c.Account.ID, id)
}

// UpdateInbox changes an Inbox's settings; members and above. A revoked
// Inbox stays revoked.
func (s *Service) UpdateInbox(ctx context.Context, c Caller, id int64, in InboxInput) (*damask.Inbox, error) {
	if err := s.inboxesAllowed(c, "change Inboxes", true); err != nil {
		return nil, err
	}
	b, err := s.store.Inbox(ctx, c.Account.ID, id)
	if err != nil {
		return nil, err
	}
	if err := s.applyInbox(ctx, c, b, in); err != nil {
		return nil, err
	}
	if err := s.store.UpdateInbox(ctx, b); err != nil {
		return nil, fmt.Errorf("update inbox %d: %w", id, err)
	}
	s.record(ctx, c, damask.AuditInboxChanged, inboxTarget(b), "")
	return b, nil
}

// RevokeInbox closes an Inbox for good: its address answers EGONE from
// then on. Members and above; revoking twice keeps the first time.
func (s *Service) RevokeInbox(ctx context.Context, c Caller, id int64) (*damask.Inbox, error) {
	if err := s.inboxesAllowed(c, "revoke Inboxes", true); err != nil {
		return nil, err
	}
	b, err := s.store.RevokeInbox(ctx, c.Account.ID, id, s.now())
	if err != nil {
		return nil, err
	}
	s.record(ctx, c, damask.AuditInboxRevoked, inboxTarget(b), "")
	return b, nil
}

func inboxTarget(b *damask.Inbox) string { return fmt.Sprintf("inbox %d", b.ID) }

// OpenInbox finds the Inbox at the address token for anyone, and tells
// whether it asks for its password of a browser holding pass (the value
// UnlockInbox gave, or ""): ENOTFOUND for no such Inbox (or one of an
// account whose plan lost Stages), EGONE for one revoked or expired.
func (s *Service) OpenInbox(ctx context.Context, a *damask.Account, token, pass string) (b *damask.Inbox, locked bool, err error) {
	if b, err = s.openInbox(ctx, a, token); err != nil {
		return nil, false, err
	}
	return b, !s.passOK(b, pass), nil
}

func (s *Service) openInbox(ctx context.Context, a *damask.Account, token string) (*damask.Inbox, error) {
	if token == "" || len(token) > 64 || !s.Plan(a).Stages {
		return nil, damask.ErrNotFound
	}
	b, err := s.store.InboxByToken(ctx, a.ID, token)
	if err != nil {
		return nil, err
	}
	if b.Closed(s.now()) {
		return nil, damask.Errorf(damask.EGONE, "This Inbox is closed and takes no more files")
	}
	return b, nil
}

// inboxPass is the proof, kept by a browser, that the password of the
// Inbox was given, until the time; it stops working when the password
// changes.
func (s *Service) inboxPass(b *damask.Inbox, until int64) string {
	return s.passMAC("inbox", strconv.FormatInt(b.AccountID, 10), strconv.FormatInt(b.ID, 10), b.PasswordHash, strconv.FormatInt(until, 10))
}

// passMAC is the MAC, under the server's pass key, of what a password's
// pass proves (a Stage's or an Inbox's, its ids, the password's hash...):
// a pass for one thing opens no other, and none after a new password.
func (s *Service) passMAC(fields ...string) string {
	m := hmac.New(sha256.New, s.passKey[:])
	io.WriteString(m, "damask pass")
	for _, f := range fields {
		m.Write([]byte{0})
		io.WriteString(m, f)
	}
	return base64.RawURLEncoding.EncodeToString(m.Sum(nil))
}

// passOK tells whether pass opens b: always for an Inbox without a password.
func (s *Service) passOK(b *damask.Inbox, pass string) bool {
	if b.PasswordHash == "" {
		return true
	}
	mac, until, ok := strings.Cut(pass, ".")
	n, err := strconv.ParseInt(until, 10, 64)
	if !ok || err != nil || s.now().Unix() > n {
		return false
	}
	return hmac.Equal([]byte(mac), []byte(s.inboxPass(b, n)))
}

// UnlockInbox checks an Inbox's password and answers the pass that opens
// it for a while (a cookie's value) and its lifetime. A wrong password is
// EUNAUTHORIZED; failures are counted per address and per Inbox, and past
// the limit the tries wait (ETHROTTLED with the wait).
func (s *Service) UnlockInbox(ctx context.Context, a *damask.Account, token, pw, source string) (string, time.Duration, error) {
	b, err := s.openInbox(ctx, a, token)
	if err != nil {
		return "", 0, err
	}
	if err := s.checkPassword(ctx, a.ID, inboxPasswords, b.ID, source, pw, b.PasswordHash,
		"The password is wrong"); err != nil {
		return "", 0, err
	}
	until := s.now().Add(inboxPassLife).Unix()
	return s.inboxPass(b, until) + "." + strconv.FormatInt(until, 10), inboxPassLife, nil
}

// Sender is who sends files through an Inbox: no user, a name and an
// address they give, and where they connect from.
type Sender struct {
	Name   string
	Email  string
	Source string
}

// ReceivedFile is one file of a receipt.
type ReceivedFile struct {
	AssetID  int64
	Filename string
	Size     int64
	SHA256   string
}

// InboxReceipt is what a submission made.
type InboxReceipt struct {
	Inbox *damask.Inbox
	Files []ReceivedFile
	At    time.Time
}

// inboxThrottled is the answer to a sender past the limit.
func inboxThrottled(wait time.Duration) error {
	return &damask.Error{Code: damask.ETHROTTLED, Message: "Too many files were sent here lately; try again later",
		Err: &retryAfter{wait}}
}

// inboxSends counts a submission from source to b, and answers
// ETHROTTLED when the address or the Inbox is past its limit.
func (s *Service) inboxSends(ctx context.Context, b *damask.Inbox, source string) error {
	keys := []string{
		throttleKey(fmt.Sprintf("%d\x00inbox sends\x00addr\x00%s", b.AccountID, sourceNet(source))),
		throttleKey(fmt.Sprintf("%d\x00inbox sends\x00%d", b.AccountID, b.ID)),
	}
	limits := []int{s.inboxSendsMax, s.inboxSendsMax * 10}
	now := s.now()
	fs, err := s.store.FailureCounts(ctx, keys, now)
	if err != nil {
		return fmt.Errorf("check inbox throttle: %w", err)
	}
	var wait time.Duration
	for i, f := range fs {
		if f.Count >= limits[i] {
			wait = max(wait, f.Ends.Sub(now))
		}
	}
	if wait > 0 {
		return inboxThrottled(wait)
	}
	if _, err := s.store.AddFailure(ctx, keys, now, inboxWindow); err != nil {
		return fmt.Errorf("count inbox submission: %w", err)
	}
	return nil
}

// uploaderOf is who an Inbox's files are uploaded as: its creator, or the
// account's holder when the creator is deleted, disabled or no longer a
// member.
func (s *Service) uploaderOf(ctx context.Context, a *damask.Account, b *damask.Inbox) (*damask.User, error) {
	if b.UserID != 0 {
		u, err := s.store.User(ctx, a.ID, b.UserID)
		if err == nil && !u.Disabled && u.Role.AtLeast(damask.RoleMember) {
			return u, nil
		}
		if err != nil && damask.ErrorCode(err) != damask.ENOTFOUND {
			return nil, fmt.Errorf("inbox's creator: %w", err)
		}
	}
	u, err := s.store.User(ctx, a.ID, a.HolderID)
	if err != nil {
		return nil, fmt.Errorf("account's holder: %w", err)
	}
	return u, nil
}

// inboxLimit is a file's body cut at an Inbox's max_file_size.
type inboxLimit struct {
	r    io.Reader
	left int64
	max  int64
}

func (l *inboxLimit) Read(p []byte) (int, error) {
	if l.left < 0 {
		return 0, damask.Errorf(damask.ETOOLARGE, "File is larger than this Inbox's limit of %d bytes", l.max)
	}
	if int64(len(p)) > l.left+1 {
		p = p[:l.left+1]
	}
	n, err := l.r.Read(p)
	l.left -= int64(n)
	if l.left < 0 {
		return 0, damask.Errorf(damask.ETOOLARGE, "File is larger than this Inbox's limit of %d bytes", l.max)
	}
	return n, err
}

// ReceiveInbox takes a submission to the Inbox at token: the sender's
// name and e-mail address, and the files next answers one by one (io.EOF
// after the last; the caller closes nothing). pass is the browser's proof
// of the password (UnlockInbox), needed when the Inbox has one
// (EUNAUTHORIZED without).
//
// Each file is streamed as every upload is (ReceiveFile: SHA-256 on the
// way, the server's limit and the Inbox's (ETOOLARGE), the plan's quota
// counting the files before it (EQUOTA), the disk's reserve); more files
// than max_files is EINVALID. Only once every file is stored do they
// become assets (as CreateAsset makes them, so processing and the rules
// for hostile files are those of any upload), tagged as the Inbox says,
// with the sender in the description, in one transaction with the
// Inbox's count and its event (the store's InboxReceived): a submission
// that fails, or a crash, leaves no asset, and its bytes are collected
// later as any unused file. Submissions are counted per address and per
// Inbox (ETHROTTLED past the limit). The uploader gets one e-mail per
// submission when a Mailer is set.
func (s *Service) ReceiveInbox(ctx context.Context, a *damask.Account, token, pass string, from Sender,
	next func() (*FileInput, error)) (*InboxReceipt, error) {
	b, err := s.openInbox(ctx, a, token)
	if err != nil {
		return nil, err
	}
	if !s.passOK(b, pass) {
		return nil, damask.Errorf(damask.EUNAUTHORIZED, "This Inbox asks for its password")
	}
	if from.Name, err = required("Name", from.Name, maxName); err != nil {
		return nil, err
	}
	if from.Email, err = validEmail(from.Email); err != nil {
		return nil, err
	}
	if err := s.inboxSends(ctx, b, from.Source); err != nil {
		return nil, err
	}
	u, err := s.uploaderOf(ctx, a, b)
	if err != nil {
		return nil, err
	}
	c := Caller{Account: a, User: u, Source: from.Source}
	most := b.MaxFiles
	if most == 0 {
		most = MaxInboxFiles
	}
	// The files are held, not durable, until the last has arrived: a
	// submission refused half way leaves nothing behind.
	var held []*heldFile
	defer func() {
		for _, h := range held {
			h.abort() // a no-op once committed
		}
	}()
	var pending int64
	for {
		f, err := next()
		if errors.Is(err, io.EOF) {
			break
		}
		if err != nil {
			return nil, err
		}
		if len(held) >= most {
			return nil, damask.Errorf(damask.EINVALID, "This Inbox takes at most %d files at once", most)
		}
		if b.MaxFileSize > 0 {
			if f.Length > b.MaxFileSize {
				return nil, damask.Errorf(damask.ETOOLARGE, "File is larger than this Inbox's limit of %d bytes", b.MaxFileSize)
			}
			f.Body = &inboxLimit{r: f.Body, left: b.MaxFileSize, max: b.MaxFileSize}
		}
		f.Pending = pending
		h, err := s.receiveFile(ctx, c, *f)
		if err != nil {
			return nil, err
		}
		held = append(held, h)
		pending += h.size()
	}
	if len(held) == 0 {
		return nil, damask.Errorf(damask.EINVALID, "Choose at least one file to send")
	}
	desc, err := text("Description", fmt.Sprintf("Sent through the Inbox %q by %s <%s>", b.Title, from.Name, from.Email),
		maxDescription, true)
	if err != nil {
		return nil, err
	}
	tags, err := s.tagNames(ctx, a.ID, b.Tags)
	if err != nil {
		return nil, err
	}
	// The bytes are made durable first; then the assets, the Inbox's
	// count and its event are one transaction, so a crash leaves either
	// the whole submission or files no record points at (collected later).
	files := make([]*StoredFile, len(held))
	for i, h := range held {
		if files[i], err = h.commit(ctx); err != nil {
			return nil, err
		}
	}
	as := make([]*damask.Asset, len(files))
	for i, sf := range files {
		as[i] = s.inboxAsset(c, sf, desc, tags)
	}
	if err := s.store.InboxReceived(acting(ctx, c), a.ID, b.ID, as); err != nil {
		return nil, fmt.Errorf("receive %d files in inbox %d: %w", len(as), b.ID, err)
	}
	s.queued()
	r := &InboxReceipt{Inbox: b, At: s.now()}
	for i, sf := range files {
		r.Files = append(r.Files, ReceivedFile{AssetID: as[i].ID, Filename: sf.Filename, Size: sf.Blob.Size,
			SHA256: hex.EncodeToString(sf.Blob.Ref[:])})
	}
	b.UploadsCount += len(files)
	s.record(ctx, c, damask.AuditInboxReceived, inboxTarget(b),
		fmt.Sprintf("%d files from %s <%s>, uploaded as %s", len(files), from.Name, from.Email, u.Login))
	s.mailReceipt(ctx, u, from, r)
	return r, nil
}

// inboxAsset is the asset a file sent to an Inbox makes, as CreateAsset
// would make it: titled by its filename, described and tagged as the
// Inbox says, processing queued, a public link when the account makes
// them.
func (s *Service) inboxAsset(c Caller, f *StoredFile, desc string, tags []string) *damask.Asset {
	a := &damask.Asset{AccountID: c.Account.ID, UserID: c.User.ID, Description: desc,
		Filename: f.Filename, ContentType: f.ContentType, Size: f.Blob.Size, Blob: f.Blob.Ref,
		Processing: s.newProcessing()}
	a.Title = strings.TrimSuffix(f.Filename, path.Ext(f.Filename))
	if strings.TrimSpace(a.Title) == "" {
		a.Title = f.Filename
	}
	a.Title = truncate(a.Title, maxTitle)
	for _, t := range tags {
		a.Tags = append(a.Tags, damask.Tag{Name: t})
	}
	if c.Account.PublicLinks {
		newLink(c, a)
	}
	return a
}

// mailReceipt tells the uploader that files arrived: one mail per
// submission. A failure is logged; the files are in.
func (s *Service) mailReceipt(ctx context.Context, to *damask.User, from Sender, r *InboxReceipt) {
	if s.mailer == nil || to.Email == "" {
		return
	}
	var t strings.Builder
	fmt.Fprintf(&t, "%s <%s> sent %d files through the Inbox %q:\n\n", from.Name, from.Email, len(r.Files), r.Inbox.Title)
	for _, f := range r.Files {
		fmt.Fprintf(&t, "- %s (%d bytes, SHA-256 %s), asset %d\n", f.Filename, f.Size, f.SHA256, f.AssetID)
	}
	fmt.Fprintf(&t, "\nThey are in the library, tagged %s.\n", r.Inbox.Tags)
	m := damask.Mail{To: []string{to.Email}, Subject: fmt.Sprintf("%d files arrived in the Inbox %q", len(r.Files), r.Inbox.Title),
		Text: t.String()}
	ctx, cancel := context.WithTimeout(context.WithoutCancel(ctx), 30*time.Second)
	defer cancel()
	if err := s.mailer.Send(ctx, m); err != nil {
		s.log.Error("inbox mail not sent", "account", r.Inbox.AccountID, "inbox", r.Inbox.ID, "err", err)
	}
}
