// Package library is Damask's domain service: every rule of who may do what
// in an account, what a plan allows and what input is valid lives here. It
// works through the damask.Store and damask.BlobStore interfaces and knows
// nothing of HTTP or SQL.
package library

import (
	"context"
	"log/slog"
	"sync"
	"time"

	"golang.org/x/sync/semaphore"
	"golang.org/x/sync/singleflight"

	"damask"
	"damask/media"
	"damask/metadata"
	"damask/outbound"
	"damask/password"
	"damask/seal"
)

// Caller is who asks: a signed-in user of an account.
type Caller struct {
	Account *damask.Account
	User    *damask.User
	// Source is the client's address, for the audit log.
	Source string
	// Token is the API token the caller signed in with; nil for a
	// password. A token may not make tokens nor change passwords or roles,
	// and a read-only one may change nothing.
	Token *damask.Token
}

// Options are the operator's settings the service needs.
type Options struct {
	Plans damask.Plans
	// MaxFileSize is the largest file accepted, in bytes.
	MaxFileSize int64
	// MaxUploadsPerUser caps the files one user sends at once (ReceiveFile
	// answers ETHROTTLED past it); 0 sets no cap.
	MaxUploadsPerUser int
	// UploadLeases counts the uploads at once in the store, as leases,
	// for a store that several servers share; without it they are
	// counted in this process's memory, which costs no write per upload
	// (two fsyncs on SQLite, whose one server needs nothing else).
	UploadLeases bool
	// MaxSearchesPerUser caps the lists, searches and facets one user
	// runs at once in this process (Assets, Facets and Browse answer
	// ETHROTTLED past it); 0 sets no cap.
	MaxSearchesPerUser int
	// MaxSearches caps the lists, searches and facets this process runs
	// in the store at once, for all users: the others wait their turn,
	// first come first served, within SearchTimeout. A search holds a
	// connection of the store for as long as it runs, and the costliest
	// run for seconds; without this cap, the searches of two users can
	// hold every connection (four on SQLite with two cores) and leave
	// the other accounts' smallest reads waiting. 0 sets no cap.
	MaxSearches int
	// SearchTimeout bounds the time a list, search or facets spends in
	// the store: past it the store stops the query (SQLite through
	// sqlite3_interrupt, PostgreSQL through statement_timeout) and the
	// call answers EINVALID, asking for a narrower query. 0 sets no limit.
	SearchTimeout time.Duration
	// DiskReserve is the free space kept on the blob store's file system:
	// ReceiveFile answers EQUOTA for a file that would eat into it. Only
	// blob stores that tell their free space (damask.FreeSpacer) are
	// checked; the zero value keeps no reserve.
	DiskReserve Reserve
	// Password are the argon2id costs of new hashes.
	Password password.Params
	Logger   *slog.Logger
	// Now tells the time; tests set it.
	Now func() time.Time
	// Renderer and Extractor do the background processing of new
	// versions (Process). With neither, nothing is queued and new assets
	// are ProcessingUnsupported. The caller closes them.
	Renderer  *media.Renderer
	Extractor *metadata.Extractor
	// Tools, when not nil, brings the Renderer and the Extractor later
	// (they are then ignored), so that a server answers while they start:
	// until the one value arrives, what needs them (an upload choosing the
	// processing state of its asset, a job) waits for it, and nothing else
	// does. The caller sends exactly one value, even when a tool failed.
	Tools <-chan Tools
	// StartTools, when not nil, starts the Renderer and the Extractor at
	// the first call that needs them (a job), for a worker that may find
	// no work before it ends; Tools, Renderer and Extractor are then
	// ignored. It is called once.
	StartTools func() Tools
	// SecretKey seals the secrets the store keeps for later use (the
	// OpenID Connect client secrets), so that the database alone reveals
	// none. Without it such secrets cannot be set, and only values stored
	// in plain text by older versions can be used.
	SecretKey *seal.Key
	// Outbound makes the requests the server sends on a tenant's behalf
	// (to an account's OpenID Connect provider); nil makes one that
	// refuses every address but the public internet's.
	Outbound *outbound.Client
	// PublicSizesPerMinute bounds the new sizes of public images
	// (PublicImage) each account makes a minute, in this process: past
	// it, a size not made yet answers ETHROTTLED; sizes made are always
	// served. 0 sets no bound.
	PublicSizesPerMinute int
	// Queued, when set, is called after a job is queued (a worker pool's
	// Wake), so that it starts at once.
	Queued func()
	// Incoming, when set, is called when a client sends a file that
	// processing will want (ReceiveFile, or a piece of a resumable upload)
	// and its first incomingAfter bytes have come: a job is likely to follow once the file is stored, so
	// that a worker process the server starts may get ready meanwhile
	// (serve's worker process, which otherwise starts, and starts libvips,
	// only once the job is queued). A smaller file is stored before that
	// would help, and many of them (uploads kept for a later asset) would
	// start a process for no job.
	Incoming func()
	// EventsRetention is how long events are kept (Tidy removes older
	// ones); 0 keeps DefaultEventsRetention.
	EventsRetention time.Duration
	// DeliveriesQueued, when set, is called when webhook deliveries may
	// have been queued by this process (events written, a ping, a
	// redelivery): a delivery pool's Wake.
	DeliveriesQueued func()
	// WebhookBackoff is the wait after a delivery's attempt n failed;
	// nil is the default (5 s doubling to an hour, with jitter). Tests
	// set a shorter one.
	WebhookBackoff func(attempt int) time.Duration
	// Mailer sends the e-mails the library writes (a webhook switched
	// off, Stage invitations and digests, Inbox receipts); nil sends
	// none.
	Mailer damask.Mailer
	// InboxSends is how many submissions one address may make to an
	// account's Inboxes an hour (an Inbox takes ten times that from all
	// addresses); 0 is DefaultInboxSends.
	InboxSends int
}

// DefaultMaxFileSize is 5 GiB.
const DefaultMaxFileSize = 5 << 30

// MaxFileSizeCeiling is the largest MaxFileSize an operator may set,
// 1 TiB: a resumable upload (package tus) can take a file that large in
// pieces, and a plain upload streams any size, never held in memory.
const MaxFileSizeCeiling = 1 << 40

// Service is the domain: every call of the API and of the command line goes
// through it.
type Service struct {
	store    damask.Store
	blobs    damask.BlobStore
	plans    damask.Plans
	maxFile  int64
	uploads  *userSlots
	searches *userSlots
	running  *semaphore.Weighted // Options.MaxSearches; nil: no cap
	maxRun   int                 // Options.MaxSearches
	searchIn time.Duration       // Options.SearchTimeout
	leases   bool                // uploads at once are leases in the store
	reserve  Reserve
	// resumable holds the resumable uploads whose piece is being written.
	resumable resumableLocks
	pwParams  password.Params
	log       *slog.Logger
	now       func() time.Time
	creds     *credCache
	cache     *authCache
	dummy     func() string // a hash verified for unknown logins, so that they cost as much as known ones
	oidc      *providers
	tools     func() Tools // the Renderer and the Extractor, once they have started
	onQueued  func()
	incoming  func()   // Options.Incoming
	verified  verified // files whose bytes were checked lately
	key       *seal.Key
	signIns   *seal.Key // seals the OpenID Connect sign-ins under way, kept by the browsers
	out       *outbound.Client
	// sizing makes each sized public image once for the requests that
	// ask it at once; sizeBudget bounds the new ones an account makes.
	sizing     singleflight.Group
	sizeBudget *sizeBudget
	// beforeCollect, when set (by tests only, through export_test.go),
	// is called by Tidy once it has found the file ref unreferenced and
	// old, just before it moves the file out of the way.
	beforeCollect func(ctx context.Context, ref damask.BlobRef)
	// onVerify, when set (by tests only), is called before each password
	// verification.
	onVerify func()

	hub          *eventHub     // wakes the readers of the feed
	eventsKept   time.Duration // Options.EventsRetention
	onDeliveries func()        // Options.DeliveriesQueued
	hookBackoff  func(int) time.Duration
	mailer       damask.Mailer // Options.Mailer; nil: no e-mail
	// passKey signs the passes of Stage and Inbox passwords given
	// (passMAC): derived from the operator's key, so that every server
	// and restart accepts them, else a key of this process.
	passKey       *seal.Key
	inboxSendsMax int
}

// New returns a service over the given stores.
func New(store damask.Store, blobs damask.BlobStore, o Options) (*Service, error) {
	if o.Plans == nil {
		o.Plans = damask.DefaultPlans()
	}
	if o.MaxFileSize <= 0 {
		o.MaxFileSize = DefaultMaxFileSize
	}
	if o.Password == (password.Params{}) {
		o.Password = password.Default
	}
	if o.Logger == nil {
		o.Logger = slog.New(slog.DiscardHandler)
	}
	if o.Now == nil {
		o.Now = time.Now
	}
	// The dummy hash costs a full password hash (tens of milliseconds,
	// hundreds on a busy machine): it is made beside the start, not
	// before it, and the first unknown login waits for it if it must.
	var running *semaphore.Weighted
	if o.MaxSearches > 0 {
		running = semaphore.NewWeighted(int64(o.MaxSearches))
	}
	dummy := sync.OnceValue(func() string {
		h, _ := password.Hash("no such user", o.Password) // fails only if crypto/rand does; Verify then refuses
		return h
	})
	go dummy()
	if o.Outbound == nil {
		o.Outbound = outbound.New(outbound.Options{})
	}
	// Without the operator's key, sign-ins under way are sealed under a
	// key of this process: one begun on another server, or before a
	// restart, must be started again.
	signIns := seal.NewKey()
	if o.SecretKey != nil {
		signIns = o.SecretKey.Derive("oidc sign-in")
	}
	if o.WebhookBackoff == nil {
		o.WebhookBackoff = webhookBackoff
	}
	if o.EventsRetention <= 0 {
		o.EventsRetention = DefaultEventsRetention
	}
	passKey := seal.NewKey() // passes then last until a restart
	if o.SecretKey != nil {
		passKey = o.SecretKey.Derive("password pass")
	}
	if o.InboxSends <= 0 {
		o.InboxSends = DefaultInboxSends
	}
	hub := newEventHub()
	if store != nil { // some tests need no store
		store.OnEvents(func(accountID int64) {
			hub.signal(accountID)
			if o.DeliveriesQueued != nil {
				o.DeliveriesQueued()
			}
		})
	}
	return &Service{
		hub:          hub,
		onDeliveries: o.DeliveriesQueued,
		hookBackoff:  o.WebhookBackoff,
		mailer:       o.Mailer,
		eventsKept:   o.EventsRetention,
		store:        store,
		blobs:        blobs,
		plans:        o.Plans,
		maxFile:      o.MaxFileSize,
		uploads:      newUserSlots(o.MaxUploadsPerUser, uploadsBusy),
		searches:     newUserSlots(o.MaxSearchesPerUser, searchesBusy),
		running:      running,
		maxRun:       o.MaxSearches,
		searchIn:     o.SearchTimeout,
		leases:       o.UploadLeases,
		reserve:      o.DiskReserve,
		pwParams:     o.Password,
		log:          o.Logger,
		now:          func() time.Time { return o.Now().UTC() },
		creds:        newCredCache(),
		cache:        newAuthCache(),
		dummy:        dummy,
		oidc:         newProviders(),
		tools:        toolsOf(o),
		onQueued:     o.Queued,
		incoming:     o.Incoming,
		key:          o.SecretKey,
		signIns:      signIns,
		out:          o.Outbound,

		sizeBudget: newSizeBudget(o.PublicSizesPerMinute),

		passKey:       passKey,
		inboxSendsMax: o.InboxSends,
	}, nil
}

// Tools are the programs of background processing; either may be nil.
type Tools struct {
	Renderer  *media.Renderer
	Extractor *metadata.Extractor
}

// toolsOf answers the tools of o: started by o.StartTools, or waited for
// on o.Tools, at the first call when either is set.
func toolsOf(o Options) func() Tools {
	if o.StartTools != nil {
		return sync.OnceValue(o.StartTools)
	}
	if o.Tools == nil {
		t := Tools{Renderer: o.Renderer, Extractor: o.Extractor}
		return func() Tools { return t }
	}
	return sync.OnceValue(func() Tools { return <-o.Tools })
}

// Plans is the operator's table of plans.
func (s *Service) Plans() damask.Plans { return s.plans }

// Plan is the plan of the account; an account whose plan the operator has
// removed gets the features of none.
func (s *Service) Plan(a *damask.Account) damask.Plan {
	if p, ok := s.plans[a.Plan]; ok {
		return p
	}
	return damask.Plan{Name: a.Plan, StorageLimit: 1}
}

// MaxFileSize is the largest file accepted, in bytes.
func (s *Service) MaxFileSize() int64 { return s.maxFile }

// require answers EFORBIDDEN unless the caller may make a change that
// needs the role min. Every service method that changes anything calls it
// (or writable) first, which makes it the one place where a read-only
// token is refused: reads that need a role call requireRole instead.
func require(c Caller, min damask.Role, doing string) error {
	if err := writable(c); err != nil {
		return err
	}
	return requireRole(c, min, doing)
}

// writable answers EFORBIDDEN when the caller signed in with a read-only
// token.
func writable(c Caller) error {
	if c.Token != nil && c.Token.ReadOnly {
		return damask.Errorf(damask.EFORBIDDEN, "This token is read-only")
	}
	return nil
}

// requireRole answers EFORBIDDEN unless the caller's role includes min.
func requireRole(c Caller, min damask.Role, doing string) error {
	if c.User == nil || !c.User.Role.AtLeast(min) {
		return damask.Errorf(damask.EFORBIDDEN, "Your role may not %s", doing)
	}
	return nil
}

// AccountByName finds an account by its subdomain.
func (s *Service) AccountByName(ctx context.Context, name string) (*damask.Account, error) {
	return s.store.AccountByName(ctx, name)
}
