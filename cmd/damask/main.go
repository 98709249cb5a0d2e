// Command damask is the Damask digital asset manager: the server and the
// operator's commands, over one data folder or database.
package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
	// The zones of the users' time zone setting, whatever the host has
	// in /usr/share/zoneinfo (about 450 KB).
	_ "time/tzdata"
)

func main() {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
	defer stop()
	if err := run(ctx, os.Args[1:], os.Getenv, os.Stdin, os.Stdout, os.Stderr); err != nil {
		fmt.Fprintln(os.Stderr, "damask:", err)
		os.Exit(exitCode(err))
	}
}

const usage = `Damask: a digital asset manager.

  damask serve   [--addr 127.0.0.1:8080] [--data ./damask-data] [--domain D]
                 [--db URL] [--blobs URL] [--tls-cert F --tls-key F] [--no-workers]
                 [--allow-outgoing CIDR,...]   inside ranges a tenant's URLs may reach
                 [--smtp URL]   smtp://USER:PASSWORD@HOST:587?from=ADDRESS, for the e-mail sent
  damask worker  [--data DIR] [--db URL] [--blobs URL] [--workers N] [--webhook-workers N]
                 [--allow-outgoing CIDR,...] [--smtp URL]
                 background work only (metadata, previews, webhooks), beside --no-workers servers
  damask account create NAME --holder LOGIN --email E [--plan basic|private|pro|deluxe]
  damask account api NAME on|off
  damask account plan NAME PLAN
  damask account oidc NAME --issuer URL --client-id ID [--client-secret-file F]
                 --domains a.com,b.com [--auto-create member|guest|admin]
                 [--allow-outgoing CIDR,...]
  damask account oidc NAME off
  damask user add ACCOUNT LOGIN --email E [--role admin|member|guest]
  damask user password ACCOUNT LOGIN   set a new password (the old one stops working)
  damask user disable|enable ACCOUNT LOGIN
  damask trash list|empty ACCOUNT
  damask trash restore ACCOUNT ID
  damask check   [--data DIR]          verify every stored file against its hash
  damask migrate-library --from DATA_DIR --to-db postgres://... --to-blobs s3://...|file:PATH
                 move an embedded library to PostgreSQL and S3 (resumable; see docs/scaling.md)
  damask dev seed --assets N [--data DIR]     a synthetic catalogue, for benchmarks
  damask dev bench-search [--data DIR]        search timings on a seeded catalogue (API, library, raw SQLite query)

As a client of a server (see README, "From your machine"):

  damask login URL [--user LOGIN]      make an API token and keep it (config folder, 0600)
  damask push PATH... [--tags a,b] [--title T] [--json]
                 files and folders, resumable, 4 at once, skipping what the library holds
  damask pull QUERY DIR [--json]       save the matches in DIR, resumable, SHA-256 checked
  damask ls [QUERY] [--json]           the matching assets
  damask tags [--json]                 the tags and their counts

Every flag also reads from an environment variable: --data from DAMASK_DATA,
--tls-cert from DAMASK_TLS_CERT, and so on. Passwords come from
DAMASK_PASSWORD, --password-file, or standard input.
`

// run is the whole program, with its surroundings passed in so that tests
// can call it.
func run(ctx context.Context, args []string, getenv func(string) string, stdin io.Reader, stdout, stderr io.Writer) error {
	if len(args) == 0 {
		fmt.Fprint(stderr, usage)
		return usageError("no command")
	}
	env := environment{getenv: getenv, stdin: stdin, stdout: stdout, stderr: stderr}
	switch cmd, rest := args[0], args[1:]; cmd {
	case "serve":
		return serve(ctx, env, rest)
	case "worker":
		return worker(ctx, env, rest)
	case "account":
		return account(ctx, env, rest)
	case "user":
		return user(ctx, env, rest)
	case "trash":
		return trash(ctx, env, rest)
	case "check":
		return check(ctx, env, rest)
	case "migrate-library":
		return migrateLibrary(ctx, env, rest)
	case "dev":
		return dev(ctx, env, rest)
	case "login":
		return login(ctx, env, rest)
	case "push":
		return push(ctx, env, rest)
	case "pull":
		return pull(ctx, env, rest)
	case "ls":
		return ls(ctx, env, rest)
	case "tags":
		return tagsCmd(ctx, env, rest)
	case "help", "-h", "--help":
		fmt.Fprint(stdout, usage)
		return nil
	default:
		fmt.Fprint(stderr, usage)
		return usageError(fmt.Sprintf("unknown command %q", cmd))
	}
}

type environment struct {
	getenv func(string) string
	stdin  io.Reader
	stdout io.Writer
	stderr io.Writer
}

// usageError is a mistake in the command line: exit status 2.
type usageError string

func (e usageError) Error() string { return string(e) }

func exitCode(err error) int {
	if ue := usageError(""); errors.As(err, &ue) {
		return 2
	}
	return 1
}
