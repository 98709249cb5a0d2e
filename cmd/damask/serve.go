package main

import (
	"context"
	"errors"
	"flag"
	"fmt"
	"log/slog"
	"math"
	"net"
	"net/http"
	"runtime"
	"strconv"
	"strings"
	"sync"
	"sync/atomic"
	"time"

	"damask"
	"damask/forwarded"
	"damask/httpapi"
	"damask/httpdomain"
	"damask/httplimit"
	"damask/jobs"
	"damask/library"
	"damask/media"
	"damask/metadata"
	"damask/web"
)

// Housework: how often, and how old an unreferenced file must be before it
// is released (younger ones may belong to a request still under way).
const (
	tidyEvery = time.Hour
	tidyGrace = time.Hour
)

// serve is `damask serve`: the flags read by parseServe, then run.
func serve(ctx context.Context, env environment, args []string) error {
	o, err := parseServe(args, env.getenv)
	if err != nil {
		return err
	}
	return o.run(ctx, env)
}

// serveOptions are the settings of `damask serve`, as its flags (or their
// environment variables) give them, read and checked by parseServe.
type serveOptions struct {
	st     storage
	addr   string
	domain string
	// tlsCert and tlsKey, both set or neither: serve HTTPS.
	tlsCert, tlsKey string
	// trustProxy believes X-Forwarded-Proto and X-Forwarded-For from
	// proxies, which are empty without it.
	trustProxy bool
	proxies    forwarded.Proxies
	jsonp      bool
	origins    forwarded.Origins
	// noWorkers runs no background work in this process.
	noWorkers      bool
	rate           float64
	burst          int
	uploadsPerUser int
	// searchesPerUser and searches bound the lists, searches and facets
	// run at once by one user and by the server; searchTimeout stops one
	// in the database.
	searchesPerUser int
	searches        int
	searchTimeout   time.Duration
	reserve         library.Reserve
	jobTimeout      time.Duration
	// bodyWindow and bodyMin: a request body must bring bodyMin bytes
	// every bodyWindow.
	bodyWindow    time.Duration
	bodyMin       int64
	headerTimeout time.Duration
	// publicBase is where public_url points (an operator's CDN), checked
	// by httpdomain.ParsePublicBase; "" for the request's host.
	publicBase string
	// publicSizes bounds the new sizes of public images an account makes
	// a minute.
	publicSizes int
	// eventsRetention is how long the maintenance keeps events.
	eventsRetention time.Duration
	// webhookWorkers is how many deliveries this server makes at once.
	webhookWorkers int
	// childArgs are the flags a worker process started by this server
	// is given (childWorker).
	childArgs []string
}

// parseServe reads the flags of `damask serve` and checks that they go
// together; a mistake is a usageError. It opens and starts nothing.
func parseServe(args []string, getenv func(string) string) (*serveOptions, error) {
	o := &serveOptions{reserve: library.Reserve{Bytes: 1 << 30}}
	fs := flag.NewFlagSet("serve", flag.ContinueOnError)
	fs.StringVar(&o.addr, "addr", "127.0.0.1:8080", "address to listen on")
	fs.StringVar(&o.domain, "domain", "", "parent domain of the accounts: ACME.DOMAIN is account acme")
	fs.StringVar(&o.tlsCert, "tls-cert", "", "TLS certificate file (with --tls-key: serve HTTPS)")
	fs.StringVar(&o.tlsKey, "tls-key", "", "TLS key file")
	fs.BoolVar(&o.trustProxy, "trust-proxy", false, "believe X-Forwarded-Proto and X-Forwarded-For from the proxies of --trusted-proxies")
	fs.BoolVar(&o.jsonp, "jsonp", false, "allow ?callback= on JSON answers")
	cors := fs.String("cors-origins", "", "comma-separated origins of browser applications that may call the API with a Bearer token, e.g. https://app.example.com")
	fs.BoolVar(&o.noWorkers, "no-workers", false, "run no background workers in this process (new files are still queued)")
	fs.Float64Var(&o.rate, "rate", 50, "requests a second per API token or user credential, after a burst of --burst (0: no limit)")
	fs.IntVar(&o.burst, "burst", 100, "requests at once per API token or user credential")
	fs.IntVar(&o.uploadsPerUser, "max-uploads-per-user", 4, "files one user may send at once (0: no limit)")
	fs.IntVar(&o.searchesPerUser, "max-searches-per-user", 2, "lists, searches and facets one user may run at once (0: no limit)")
	fs.IntVar(&o.searches, "max-searches", max(2, runtime.GOMAXPROCS(0)/2), "lists, searches and facets this server runs at once, for all users; the others wait their turn (0: no limit)")
	fs.DurationVar(&o.searchTimeout, "search-timeout", 5*time.Second, "stop a list, search or facets that runs longer in the database (0: never)")
	jobLimit := jobTimeoutFlag(fs)
	proxies := proxiesFlag{list: forwarded.Loopback}
	fs.DurationVar(&o.bodyWindow, "body-timeout", time.Minute, "cut off a request body that brings fewer than --body-min-bytes in this time (0: never)")
	fs.Int64Var(&o.bodyMin, "body-min-bytes", 16<<10, "bytes a request body must bring every --body-timeout")
	fs.DurationVar(&o.headerTimeout, "header-timeout", 10*time.Second, "time a client has to send a request's headers")
	fs.Var((*reserveFlag)(&o.reserve), "disk-reserve", "free space to keep on the disk of the files: bytes (suffix KiB, MiB, GiB, TiB) or a percentage of the disk, e.g. 5% (0: none)")
	publicBase := fs.String("public-base-url", "", "base URL of the public links in public_url, e.g. a CDN in front of this server: https://cdn.example.com, or https://{account}.cdn.example.com for several accounts (default: the request's own host)")
	fs.IntVar(&o.publicSizes, "public-sizes-per-minute", library.DefaultPublicSizesPerMinute, "new sizes of public images (public_url_WxH.jpg) one account may have made a minute; sizes made are always served (0: no limit)")
	fs.IntVar(&o.webhookWorkers, "webhook-workers", 4, "webhook deliveries this server makes at once, unless --no-workers (0: none here)")
	fs.DurationVar(&o.eventsRetention, "events-retention", library.DefaultEventsRetention, "how long the event feed (GET /api/events) keeps events; a client further behind is answered 410")
	fs.Var(&proxies, "trusted-proxies", "with --trust-proxy: the proxies (CIDR or address, comma-separated) whose X-Forwarded-* headers are believed")
	o.st.register(fs)
	o.st.registerOutgoing(fs)
	o.st.registerMail(fs)
	if err := parse(fs, args, getenv); err != nil {
		return nil, err
	}
	// Flags stop at the first other word: a stray one would leave every
	// flag after it unread and the server on the defaults.
	if fs.NArg() > 0 {
		return nil, usageError(fmt.Sprintf("serve takes no arguments (got %q)", fs.Arg(0)))
	}
	if (o.tlsCert == "") != (o.tlsKey == "") {
		return nil, usageError("--tls-cert and --tls-key go together")
	}
	var err error
	if o.origins, err = forwarded.ParseOrigins(*cors); err != nil {
		return nil, usageError("--cors-origins: " + err.Error())
	}
	// --trust-proxy switches the headers on; --trusted-proxies says whose
	// are believed. Proxies named without --trust-proxy would be a setting
	// that does nothing, which the operator surely did not mean.
	switch {
	case o.trustProxy:
		o.proxies, _ = forwarded.ParseProxies(proxies.list) // read once by Set, or the default
	case proxies.given:
		return nil, usageError("--trusted-proxies needs --trust-proxy")
	}
	if o.publicBase, err = httpdomain.ParsePublicBase(*publicBase); err != nil {
		return nil, usageError("--public-base-url: " + err.Error())
	}
	if o.publicSizes < 0 {
		return nil, usageError("--public-sizes-per-minute must be 0 (no limit) or more")
	}
	if o.webhookWorkers < 0 {
		return nil, usageError("--webhook-workers must be 0 or more")
	}
	if o.eventsRetention < time.Hour {
		return nil, usageError("--events-retention must be an hour or more")
	}
	if err := o.st.openMail(); err != nil {
		return nil, err
	}
	o.jobTimeout = time.Duration(*jobLimit)
	o.childArgs = childArgs(fs)
	if o.st.fs, err = blobFS(getenv); err != nil {
		return nil, err
	}
	o.st.getenv = getenv
	return o, nil
}

// run serves until ctx ends, then shuts the server down, waiting 30 s at
// most for the requests under way, and stops the workers.
func (o *serveOptions) run(ctx context.Context, env environment) error {
	log := o.st.logger(env.stderr)
	// The media tools start once the server listens (libvips, the check
	// of ImageMagick's policy and exiftool take a few hundred
	// milliseconds): requests do not wait for them; an upload deciding
	// whether its file will be processed, and the workers, do.
	proc := &processing{}
	defer proc.Close() // after toolsDone below: the tools are started or never will be
	tools := make(chan library.Tools, 1)
	proc.opts.Tools = tools
	var pool atomic.Pointer[jobs.Pool] // set once the tools have started; Wake is nil-safe
	var child *childWorker             // runs the jobs, unless --no-workers
	if !o.noWorkers {
		child = newChildWorker(o.childArgs, env.stderr, log)
	}
	if child != nil {
		proc.opts.Incoming = child.Prepare
	}
	proc.opts.Queued = func() {
		if child != nil {
			child.Wake()
		} else {
			pool.Load().Wake()
		}
	}
	proc.opts.MaxUploadsPerUser = o.uploadsPerUser
	// --max-searches is half the connections of either store's pool
	// (max(4, cores)): the other reads always find one.
	proc.opts.MaxSearchesPerUser, proc.opts.MaxSearches, proc.opts.SearchTimeout = o.searchesPerUser, o.searches, o.searchTimeout
	// Several servers share a PostgreSQL database, and so must their
	// count of uploads under way; a SQLite file has one server (lockServe).
	proc.opts.UploadLeases = o.st.postgres()
	proc.opts.DiskReserve = o.reserve
	proc.opts.PublicSizesPerMinute = o.publicSizes
	proc.opts.EventsRetention = o.eventsRetention
	var deliveries atomic.Pointer[jobs.Deliveries] // Wake is nil-safe
	proc.opts.DeliveriesQueued = func() { deliveries.Load().Wake() }
	lib, err := o.st.openWith(ctx, log, proc.opts)
	if err != nil {
		return err
	}
	defer lib.Close()
	// The request rate is counted where every server sees it: in a
	// database that several servers share, else in the memory of the one
	// server a SQLite file may have.
	counter, shared := lib.db.(damask.RateCounter)
	if !shared {
		unlock, err := o.st.lockServe()
		if err != nil {
			return err
		}
		defer unlock()
	}
	if err := prepareLibrary(ctx, lib.svc, env, log); err != nil {
		return err
	}
	srv := o.server(ctx, lib.svc, counter, log)
	ln, err := net.Listen("tcp", o.addr)
	if err != nil {
		return fmt.Errorf("listen: %w", err)
	}
	log.Info("serving", "addr", ln.Addr().String(), "tls", o.tlsCert != "")
	fmt.Fprintf(env.stdout, "Damask is listening on %s\n", ln.Addr())

	toolsDone := make(chan struct{})
	go func() {
		defer close(toolsDone)
		o.work(ctx, proc, tools, &pool, child, lib, log)
	}()
	// The webhooks are delivered here unless --no-workers: they need no
	// tool.
	if !o.noWorkers && o.webhookWorkers > 0 {
		d := jobs.NewDeliveries(lib.svc, lib.svc.Deliver, jobs.Options{Logger: log, Workers: o.webhookWorkers})
		deliveries.Store(d)
		delivered := make(chan struct{})
		go func() { defer close(delivered); d.Run(ctx) }()
		defer func() { <-delivered }()
	}
	// Stop the workers (ctx has ended by then) before the tools and the
	// stores they use are closed.
	defer func() { <-toolsDone }()

	go tidy(ctx, lib, log)
	return o.serveUntil(ctx, srv, ln, log)
}

// prepareLibrary readies the library before the server listens: it seals
// the secrets an older version kept in plain text, and makes the account
// "default" on the first start, telling the operator its holder's password
// (named from DAMASK_ADMIN_NAME, "First Last", or nameless).
func prepareLibrary(ctx context.Context, svc *library.Service, env environment, log *slog.Logger) error {
	// A secret the key cannot open is told now, rather than at a user's
	// sign-in, and only that account's sign-in with its provider fails.
	if n, err := svc.SealSecrets(ctx); err != nil {
		log.Error("secret key: some secrets in the database cannot be opened", "err", err)
	} else if n > 0 {
		log.Info("sealed client secrets kept in plain text", "count", n)
	}

	created, generated, err := svc.EnsureDefaultAdmin(ctx, library.DefaultAdmin{
		Password: env.getenv("DAMASK_ADMIN_PASSWORD"), Name: env.getenv("DAMASK_ADMIN_NAME")})
	if err != nil {
		return fmt.Errorf("create default account: %w", err)
	}
	if created {
		fmt.Fprintln(env.stdout, "Created the account \"default\" (plan deluxe, API off) with its holder \"admin\".")
		if generated != "" {
			fmt.Fprintf(env.stdout, "The password of admin is %s (shown once; change it).\n", generated)
		}
		fmt.Fprintln(env.stdout, "Switch the API on with: damask account api default on")
	}
	return nil
}

// server is the HTTP server of the API, the pages and the metrics, with
// the limits of the flags; counter, when not nil, counts request rates in
// a database several servers share.
func (o *serveOptions) server(ctx context.Context, svc *library.Service, counter damask.RateCounter, log *slog.Logger) *http.Server {
	pages := web.New(svc, web.Config{Domain: o.domain, Proxies: o.proxies, PublicBaseURL: o.publicBase, Logger: log})
	api := httpapi.New(svc, httpapi.Config{Domain: o.domain, HTTPS: o.tlsCert != "" || o.trustProxy,
		Proxies: o.proxies, JSONP: o.jsonp, CORSOrigins: o.origins, Rate: o.rate, Burst: o.burst, RateCounter: counter,
		BodyWindow: o.bodyWindow, BodyMinBytes: o.bodyMin, PublicBaseURL: o.publicBase, Logger: log,
		ErrorPage: pages.ErrorPage})
	return &http.Server{
		Handler: routes(api, metrics(svc), http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
			httplimit.Progress(w, r, o.bodyMin, o.bodyWindow)
			pages.ServeHTTP(w, r)
		})),
		ReadHeaderTimeout: o.headerTimeout,
		IdleTimeout:       2 * time.Minute,
		MaxHeaderBytes:    64 << 10,
		ErrorLog:          slog.NewLogLogger(log.Handler(), slog.LevelWarn),
		BaseContext:       func(net.Listener) context.Context { return ctx },
	}
}

// work readies the processing of new files and runs the jobs until ctx
// ends. The jobs run in a worker process of the server's own (child), and
// the server keeps a renderer that starts libvips only if a request
// renders (the sized images of public links); with --no-workers the same
// without the child. Only when the child cannot be started do the tools
// start here and the jobs run in this process.
func (o *serveOptions) work(ctx context.Context, proc *processing, tools chan<- library.Tools, pool *atomic.Pointer[jobs.Pool], child *childWorker, lib *openLibrary, log *slog.Logger) {
	if child != nil || o.noWorkers {
		r, err := media.New(media.Options{Lazy: true})
		if err != nil {
			log.Warn("no renditions in this server", "err", err)
		}
		proc.opts.Renderer = r
		tools <- library.Tools{Renderer: r}
		if child != nil {
			child.run(ctx, lib.db)
		}
		return
	}
	t0 := time.Now()
	proc.start(ctx, log)
	log.Info("processing tools started", "renditions", proc.opts.Renderer != nil,
		"metadata", proc.opts.Extractor != nil, "took", time.Since(t0).Round(time.Millisecond))
	tools <- library.Tools{Renderer: proc.opts.Renderer, Extractor: proc.opts.Extractor}
	if proc.enabled() {
		p := jobs.New(lib.db, lib.svc.Process, jobs.Options{Logger: log, Timeout: o.jobTimeout, Idle: media.ReleaseMemory})
		pool.Store(p)
		p.Run(ctx)
	}
}

// serveUntil serves on ln until ctx ends, then shuts srv down, waiting
// 30 s at most for the requests under way.
func (o *serveOptions) serveUntil(ctx context.Context, srv *http.Server, ln net.Listener, log *slog.Logger) error {
	errc := make(chan error, 1)
	go func() {
		if o.tlsCert != "" {
			errc <- srv.ServeTLS(ln, o.tlsCert, o.tlsKey)
		} else {
			errc <- srv.Serve(ln)
		}
	}()
	select {
	case err := <-errc:
		return fmt.Errorf("serve: %w", err)
	case <-ctx.Done():
	}
	log.Info("shutting down")
	shutCtx, cancel := context.WithTimeout(context.Background(), 30*time.Second)
	defer cancel()
	if err := srv.Shutdown(shutCtx); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return fmt.Errorf("shut down: %w", err)
	}
	return nil
}

// processing holds the tools of background processing.
type processing struct {
	opts library.Options // Renderer and Extractor; nil when unavailable
	// lazyMetadata leaves exiftool's start (its version check and its
	// process) to the first file whose metadata is read: a server's
	// worker process makes the thumbnails of a batch first, and Perl's
	// starts (about 80 ms of CPU each) would take a core from them.
	lazyMetadata bool
}

// start starts the tools of p, side by side: libvips (with its check of
// ImageMagick's policy) and exiftool (two runs of perl) need each other
// in nothing, and each takes about a hundred milliseconds.
func (p *processing) start(ctx context.Context, log *slog.Logger) {
	var wg sync.WaitGroup
	wg.Go(func() {
		r, err := media.New(media.Options{})
		if err != nil {
			log.Warn("no renditions: libvips did not start", "err", err)
			return
		}
		p.opts.Renderer = r
	})
	wg.Go(func() {
		x, err := metadata.New(ctx, metadata.Config{ExifTool: metadata.ExifToolConfig{Lazy: p.lazyMetadata}})
		if err != nil {
			log.Warn("no metadata: exiftool did not start", "err", err)
			return
		}
		p.opts.Extractor = x
	})
	wg.Wait()
}

func (p *processing) enabled() bool { return p.opts.Renderer != nil || p.opts.Extractor != nil }

// Close waits for renders in flight and stops exiftool.
func (p *processing) Close() {
	if p.opts.Renderer != nil {
		p.opts.Renderer.Close()
	}
	if p.opts.Extractor != nil {
		p.opts.Extractor.Close()
	}
}

// tidy does the housework at start and then every hour until ctx ends.
func tidy(ctx context.Context, lib *openLibrary, log *slog.Logger) {
	t := time.NewTicker(tidyEvery)
	defer t.Stop()
	for {
		if err := lib.svc.Tidy(ctx, tidyGrace); err != nil && ctx.Err() == nil {
			log.Error("housework failed", "err", err)
		}
		if _, err := lib.svc.DeleteExpiredSessions(ctx); err != nil && ctx.Err() == nil {
			log.Error("housework failed: expired sessions", "err", err)
		}
		select {
		case <-ctx.Done():
			return
		case <-t.C:
		}
	}
}

// routes sends the API's paths (/api/, the public links under /p/ and the
// capability URLs of thumbnails under /t/) to the API and every other
// path to the web pages.
func routes(api, metrics, pages http.Handler) http.Handler {
	return http.HandlerFunc(func(w http.ResponseWriter, r *http.Request) {
		p := r.URL.Path
		if p == "/metrics" {
			metrics.ServeHTTP(w, r)
			return
		}
		if p == "/api" || strings.HasPrefix(p, "/api/") || strings.HasPrefix(p, "/p/") || strings.HasPrefix(p, "/t/") {
			api.ServeHTTP(w, r)
			return
		}
		pages.ServeHTTP(w, r)
	})
}

// reserveFlag reads --disk-reserve: bytes with an optional binary suffix
// (1GiB), or a percentage of the disk (5%).
type reserveFlag library.Reserve

func (f *reserveFlag) String() string {
	if f.Percent > 0 {
		return strconv.FormatFloat(f.Percent, 'g', -1, 64) + "%"
	}
	return strconv.FormatInt(f.Bytes, 10)
}

func (f *reserveFlag) Set(v string) error {
	v = strings.TrimSpace(v)
	if p, ok := strings.CutSuffix(v, "%"); ok {
		n, err := strconv.ParseFloat(strings.TrimSpace(p), 64)
		if err != nil || n < 0 || n >= 100 || math.IsNaN(n) {
			return fmt.Errorf("%q is not a percentage from 0 to 99", v)
		}
		*f = reserveFlag{Percent: n}
		return nil
	}
	mult := int64(1)
	for _, u := range []struct {
		suffix string
		mult   int64
	}{{"TiB", 1 << 40}, {"GiB", 1 << 30}, {"MiB", 1 << 20}, {"KiB", 1 << 10}, {"B", 1}} {
		if n, ok := strings.CutSuffix(v, u.suffix); ok {
			v, mult = strings.TrimSpace(n), u.mult
			break
		}
	}
	n, err := strconv.ParseInt(v, 10, 64)
	if err != nil || n < 0 || n > math.MaxInt64/mult {
		return fmt.Errorf("%q is not a size: bytes, with KiB, MiB, GiB or TiB, or a percentage", v)
	}
	*f = reserveFlag{Bytes: n * mult}
	return nil
}

// proxiesFlag reads --trusted-proxies, and remembers whether it was given
// (on the command line or in the environment) rather than left at the
// default.
type proxiesFlag struct {
	list  string
	given bool
}

func (f *proxiesFlag) String() string { return f.list }

func (f *proxiesFlag) Set(v string) error {
	if _, err := forwarded.ParseProxies(v); err != nil {
		return err
	}
	f.list, f.given = v, true
	return nil
}
