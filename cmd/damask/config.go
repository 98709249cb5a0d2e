package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/netip"
	"net/url"
	"os"
	"path/filepath"
	"strings"
	"syscall"

	"damask"
	"damask/blob/disk"
	"damask/blob/s3"
	"damask/library"
	"damask/mail"
	"damask/outbound"
	"damask/postgres"
	"damask/seal"
	"damask/sqlite"
)

// storage is what every command that opens the library shares: the flags
// of register (and of registerOutgoing, for the commands that take it),
// and what the command sets beside them.
type storage struct {
	data     string
	db       string
	blobs    string
	plans    string
	maxFile  int64
	logLevel string
	keyFile  string
	// getenv reads DAMASK_SECRET_KEY, which no flag may carry (ps shows
	// flags); nil reads nothing.
	getenv func(string) string
	// fs is the file system under a disk file store; nil is the
	// operating system's. Only `damask serve` built with the faultfs tag
	// sets another (see blobFS).
	fs disk.FS
	// allow are the inside ranges the commands that call a tenant's URLs
	// may call (--allow-outgoing, registered by registerOutgoing).
	allow allowFlag
	// smtp is the operator's SMTP server (--smtp, registered by
	// registerMail), read by openMail into mailer; nil: no e-mail.
	smtp   string
	mailer *mail.Sender
}

func (s *storage) register(fs *flag.FlagSet) {
	fs.StringVar(&s.data, "data", "./damask-data", "data folder: the SQLite database and the files, unless --db or --blobs say otherwise")
	fs.StringVar(&s.db, "db", "", "metadata database: sqlite:PATH or postgres://USER@HOST/DB (default DATA/damask.db)")
	fs.StringVar(&s.blobs, "blobs", "", "file store: file:PATH or s3://[KEY:SECRET@]HOST[:PORT]/BUCKET[/PREFIX] (default DATA/blobs)")
	fs.StringVar(&s.plans, "plans", "", "JSON file of plans laid over the defaults")
	fs.Int64Var(&s.maxFile, "max-file-size", library.DefaultMaxFileSize, "largest file accepted, in bytes (at most 1 TiB)")
	fs.StringVar(&s.logLevel, "log-level", "info", "debug, info, warn or error")
	fs.StringVar(&s.keyFile, "secret-key-file", "", "file holding the key that seals secrets kept in the database (default: DAMASK_SECRET_KEY, else for SQLite secret.key beside the database, made on first use)")
}

// registerOutgoing adds --allow-outgoing, for the commands that call URLs a
// tenant chose (serve, and account oidc, which reads the provider's
// discovery document).
func (s *storage) registerOutgoing(fs *flag.FlagSet) {
	fs.Var(&s.allow, "allow-outgoing", "address ranges (CIDR, comma-separated) the server may call on a tenant's behalf although they are loopback, private or link-local, such as an OpenID provider on the operator's network (default: none)")
}

// registerMail adds --smtp, for the commands that send e-mail (serve,
// and worker, whose deliveries may switch a webhook off).
func (s *storage) registerMail(fs *flag.FlagSet) {
	fs.StringVar(&s.smtp, "smtp", "", "SMTP server the e-mail goes through: smtp://USER:PASSWORD@HOST:587?from=ADDRESS (STARTTLS) or smtps://...:465; better given as DAMASK_SMTP, which ps does not show (default: no e-mail)")
}

// openMail reads --smtp once the flags are parsed: a bad URL is a usage
// error, told without the URL, whose password it may hold.
func (s *storage) openMail() error {
	if s.smtp == "" {
		return nil
	}
	m, err := mail.New(s.smtp)
	if err != nil {
		return usageError("--smtp: " + err.Error())
	}
	s.mailer = m
	return nil
}

// allowFlag reads --allow-outgoing.
type allowFlag []netip.Prefix

func (f *allowFlag) String() string {
	ss := make([]string, len(*f))
	for i, p := range *f {
		ss[i] = p.String()
	}
	return strings.Join(ss, ",")
}

func (f *allowFlag) Set(v string) error {
	ps, err := outbound.ParseAllow(v)
	if err != nil {
		return err
	}
	*f = ps
	return nil
}

// parse reads the flags, then fills each flag not given from its
// environment variable: --tls-cert from DAMASK_TLS_CERT.
func parse(fs *flag.FlagSet, args []string, getenv func(string) string) error {
	fs.SetOutput(io.Discard)
	if err := fs.Parse(args); err != nil {
		return usageError(fmt.Sprintf("%s: %v", fs.Name(), err))
	}
	given := map[string]bool{}
	fs.Visit(func(f *flag.Flag) { given[f.Name] = true })
	var err error
	fs.VisitAll(func(f *flag.Flag) {
		name := "DAMASK_" + strings.ToUpper(strings.ReplaceAll(f.Name, "-", "_"))
		if v := getenv(name); v != "" && !given[f.Name] && err == nil {
			if e := f.Value.Set(v); e != nil {
				err = usageError(fmt.Sprintf("%s=%q: %v", name, v, e))
			}
		}
	})
	return err
}

// interleaved lets flags follow positional arguments, as in
// "account create NAME --holder LOGIN": it answers the positionals.
func interleaved(fs *flag.FlagSet, args []string, getenv func(string) string) ([]string, error) {
	var pos []string
	for {
		if err := parse(fs, args, getenv); err != nil {
			return nil, err
		}
		rest := fs.Args()
		if len(rest) == 0 {
			return pos, nil
		}
		pos = append(pos, rest[0])
		args = rest[1:]
	}
}

// logger logs as text on w, from the level of --log-level (info when it
// cannot be read).
func (s *storage) logger(w io.Writer) *slog.Logger {
	var level slog.Level
	if err := level.UnmarshalText([]byte(s.logLevel)); err != nil {
		level = slog.LevelInfo
	}
	return slog.New(slog.NewTextHandler(w, &slog.HandlerOptions{Level: level}))
}

// openLibrary is an opened library: its stores and the service over them.
type openLibrary struct {
	svc   *library.Service
	db    metaStore
	blobs blobStore
}

// metaStore is what the commands need of a metadata store: the store of
// the service, and the extras of the operator's commands. Every adapter
// (SQLite, PostgreSQL) has them.
type metaStore interface {
	damask.Store
	damask.BulkCreator
	damask.Counter
	damask.IntegrityChecker
	Close() error
}

// blobStore is a file store the commands can close.
type blobStore interface {
	damask.BlobStore
	Close() error
}

// Close closes both stores. The file store must be closed too: it holds a
// lock on its .tmp folder, and while any holder is open the next store to
// open there takes the temporary files for writes in progress and leaves
// them.
func (l *openLibrary) Close() error {
	return errors.Join(l.db.Close(), l.blobs.Close())
}

// open opens the stores the flags name, creating the data folder on first
// use, and the service over them.
func (s *storage) open(ctx context.Context, log *slog.Logger) (*openLibrary, error) {
	return s.openWith(ctx, log, library.Options{})
}

// openWith is open with the settings of o that no flag of storage gives
// (the processing tools, Queued, the limits of `damask serve`); Plans,
// MaxFileSize, Logger, Outbound, SecretKey and Mailer come from the flags
// and replace o's.
func (s *storage) openWith(ctx context.Context, log *slog.Logger, o library.Options) (*openLibrary, error) {
	if s.maxFile <= 0 || s.maxFile > library.MaxFileSizeCeiling {
		return nil, usageError(fmt.Sprintf("--max-file-size must be from 1 byte to 1 TiB (%d bytes), not %d", int64(library.MaxFileSizeCeiling), s.maxFile))
	}
	plans := damask.DefaultPlans()
	if s.plans != "" {
		f, err := os.Open(s.plans)
		if err != nil {
			return nil, fmt.Errorf("plans: %w", err)
		}
		plans, err = damask.ReadPlans(f)
		f.Close()
		if err != nil {
			return nil, err
		}
	}
	db, err := s.openDB(ctx)
	if err != nil {
		return nil, err
	}
	blobs, err := s.openBlobs(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	o.Plans, o.MaxFileSize, o.Logger = plans, s.maxFile, log
	o.Outbound = outbound.New(outbound.Options{Allow: s.allow})
	if s.mailer != nil { // a nil *mail.Sender is not a nil Mailer
		o.Mailer = s.mailer
		log.Info("e-mail through the SMTP server", "smtp", s.mailer.String())
	}
	if o.SecretKey, err = s.secretKey(); err != nil {
		db.Close()
		blobs.Close()
		return nil, err
	}
	svc, err := library.New(db, blobs, o)
	if err != nil {
		db.Close()
		blobs.Close()
		return nil, fmt.Errorf("start library: %w", err)
	}
	return &openLibrary{svc: svc, db: db, blobs: blobs}, nil
}

// openDB opens the metadata store --db names: PostgreSQL for a postgres://
// URL, else SQLite (by default DATA/damask.db, the folder made on first use).
func (s *storage) openDB(ctx context.Context) (metaStore, error) {
	if s.postgres() {
		db, err := postgres.Open(ctx, s.db)
		if err != nil {
			return nil, fmt.Errorf("open database %s: %w", redacted(s.db), err)
		}
		return db, nil
	}
	path, err := s.sqlitePath()
	if err != nil {
		return nil, err
	}
	if err := os.MkdirAll(filepath.Dir(path), 0o700); err != nil {
		return nil, fmt.Errorf("make data folder: %w", err)
	}
	db, err := sqlite.Open(ctx, path)
	if err != nil {
		return nil, fmt.Errorf("open database %s: %w", path, err)
	}
	return db, nil
}

// secretKey is the key that seals the secrets the database keeps (the
// OpenID Connect client secrets): DAMASK_SECRET_KEY, else the
// --secret-key-file, else for SQLite the file secret.key beside the
// database, made with a new key on first use. A PostgreSQL library has
// none unless given: its servers must all hold the same key, which no
// server can make up on its own.
func (s *storage) secretKey() (*seal.Key, error) {
	if s.getenv != nil {
		if v := s.getenv("DAMASK_SECRET_KEY"); v != "" {
			k, err := seal.ParseKey(v)
			if err != nil {
				return nil, fmt.Errorf("DAMASK_SECRET_KEY: %w", err)
			}
			return k, nil
		}
	}
	if s.keyFile != "" {
		return seal.ReadKeyFile(s.keyFile)
	}
	if s.postgres() {
		return nil, nil
	}
	path, err := s.sqlitePath()
	if err != nil {
		return nil, err
	}
	return seal.KeyFile(filepath.Join(filepath.Dir(path), "secret.key"))
}

// postgres tells whether --db names a PostgreSQL database.
func (s *storage) postgres() bool {
	return strings.HasPrefix(s.db, "postgres://") || strings.HasPrefix(s.db, "postgresql://")
}

// sqlitePath is the SQLite file --db names (by default DATA/damask.db).
func (s *storage) sqlitePath() (string, error) {
	return location(s.db, "sqlite", filepath.Join(s.data, "damask.db"))
}

// lockServe makes sure that one `damask serve` at most serves a SQLite
// file: the server keeps some counts of clients in its memory (the
// request rate per credential), which a second server on the same file
// would not see. Workers and the operator's commands may still open the
// file beside it. The lock is a flock on DB.serve-lock, which the kernel
// drops when the process ends, however it ends.
func (s *storage) lockServe() (unlock func(), err error) {
	path, err := s.sqlitePath()
	if err != nil {
		return nil, err
	}
	f, err := os.OpenFile(path+".serve-lock", os.O_RDWR|os.O_CREATE, 0o600)
	if err != nil {
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	if err := syscall.Flock(int(f.Fd()), syscall.LOCK_EX|syscall.LOCK_NB); err != nil {
		f.Close()
		if errors.Is(err, syscall.EWOULDBLOCK) {
			return nil, fmt.Errorf("another damask serve is serving %s: a SQLite library is served by one process (several servers need PostgreSQL; see docs/scaling.md)", path)
		}
		return nil, fmt.Errorf("lock %s: %w", path, err)
	}
	return func() { f.Close() }, nil
}

// openBlobs opens the file store --blobs names: a bucket for an s3:// URL,
// else a folder (by default DATA/blobs).
func (s *storage) openBlobs(ctx context.Context) (blobStore, error) {
	if strings.HasPrefix(s.blobs, "s3://") {
		st, err := s3.Open(ctx, s.blobs)
		if err != nil {
			return nil, fmt.Errorf("open file store %s: %w", redacted(s.blobs), err)
		}
		return st, nil
	}
	dir, err := location(s.blobs, "file", filepath.Join(s.data, "blobs"))
	if err != nil {
		return nil, err
	}
	fsys := s.fs
	if fsys == nil {
		fsys = disk.OS{}
	}
	st, err := disk.OpenFS(dir, fsys)
	if err != nil {
		return nil, fmt.Errorf("open file store %s: %w", dir, err)
	}
	return st, nil
}

// redacted is a store URL without its password, for messages.
func redacted(raw string) string {
	u, err := url.Parse(raw)
	if err != nil {
		return "(an unreadable URL)"
	}
	return u.Redacted()
}

// location reads a store URL of the given scheme (or a plain path),
// defaulting to def. Its callers take postgres:// and s3:// URLs before
// it: any other scheme is a usage error.
func location(raw, scheme, def string) (string, error) {
	if raw == "" {
		return def, nil
	}
	if !strings.Contains(raw, ":") {
		return raw, nil
	}
	u, err := url.Parse(raw)
	if err != nil {
		return "", usageError(fmt.Sprintf("%q: %v", raw, err))
	}
	if u.Scheme != scheme {
		return "", usageError(fmt.Sprintf("%q: only %s: is supported by this build", raw, scheme))
	}
	if u.Opaque != "" {
		return u.Opaque, nil
	}
	return u.Path, nil
}

// readPassword reads a password from DAMASK_PASSWORD, the --password-file,
// or the first line of standard input; never from a flag alone.
func readPassword(env environment, file string) (string, error) {
	if pw := env.getenv("DAMASK_PASSWORD"); pw != "" {
		return pw, nil
	}
	if file != "" {
		b, err := os.ReadFile(file)
		if err != nil {
			return "", fmt.Errorf("password file: %w", err)
		}
		return strings.TrimRight(string(b), "\r\n"), nil
	}
	fmt.Fprint(env.stderr, "Password: ")
	line, err := bufio.NewReader(env.stdin).ReadString('\n')
	if err != nil && !errors.Is(err, io.EOF) {
		return "", fmt.Errorf("read password: %w", err)
	}
	line = strings.TrimRight(line, "\r\n")
	if line == "" {
		return "", usageError("no password: set DAMASK_PASSWORD, pass --password-file, or type it on standard input")
	}
	return line, nil
}
