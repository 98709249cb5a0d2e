package main

// The client's commands: damask login, push, pull, ls and tags talk to a
// server through package client, with a token kept in the user's config
// folder.

import (
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"os"
	"path/filepath"
	"strings"

	"damask/client"
)

const (
	loginUse = "damask login URL [--user LOGIN] [--password-file F]"
	pushUse  = "damask push PATH... [--tags a,b] [--title T] [--json] [--jobs 4] [--chunk-size 8MiB]"
	pullUse  = "damask pull QUERY DIR [--json] [--jobs 4]"
	lsUse    = "damask ls [QUERY] [--json]"
	tagsUse  = "damask tags [--json]"
)

// credentials are what login keeps: the server and a token of the user's.
type credentials struct {
	URL   string `json:"url"`
	Login string `json:"login"`
	Token string `json:"token"`
}

// configDir is the folder of the client's credentials:
// DAMASK_CONFIG_DIR, else damask in the user's config folder.
func configDir(env environment) (string, error) {
	if d := env.getenv("DAMASK_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserConfigDir()
	if err != nil {
		return "", fmt.Errorf("the user's config folder: %w", err)
	}
	return filepath.Join(d, "damask"), nil
}

// stateDir is the folder of push's resumable uploads: DAMASK_CONFIG_DIR,
// else damask in the user's cache folder.
func stateDir(env environment) (string, error) {
	if d := env.getenv("DAMASK_CONFIG_DIR"); d != "" {
		return d, nil
	}
	d, err := os.UserCacheDir()
	if err != nil {
		return "", fmt.Errorf("the user's cache folder: %w", err)
	}
	return filepath.Join(d, "damask"), nil
}

// writePrivate writes a file only its owner reads, in a folder only its
// owner opens, by a rename so that a crash leaves the old or the new.
func writePrivate(dir, name string, data []byte) error {
	if err := os.MkdirAll(dir, 0o700); err != nil {
		return err
	}
	if err := os.Chmod(dir, 0o700); err != nil {
		return err
	}
	tmp, err := os.CreateTemp(dir, name+".*")
	if err != nil {
		return err
	}
	defer os.Remove(tmp.Name())
	if err := tmp.Chmod(0o600); err != nil {
		tmp.Close()
		return err
	}
	if _, err := tmp.Write(data); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Sync(); err != nil {
		tmp.Close()
		return err
	}
	if err := tmp.Close(); err != nil {
		return err
	}
	return os.Rename(tmp.Name(), filepath.Join(dir, name))
}

// login URL [--user LOGIN]: a token made with the password, kept with the
// URL in the config folder.
func login(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("login", flag.ContinueOnError)
	user := fs.String("user", "", "login or e-mail address (default: $USER)")
	pwFile := fs.String("password-file", "", "file holding the password")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	if len(pos) != 1 {
		return usageError(loginUse)
	}
	u := *user
	if u == "" {
		u = env.getenv("USER")
	}
	if u == "" {
		return usageError("no user: pass --user LOGIN")
	}
	base := strings.TrimSuffix(pos[0], "/")
	if _, err := client.New(base); err != nil {
		return usageError(err.Error())
	}
	pw, err := readPassword(env, *pwFile)
	if err != nil {
		return err
	}
	c, err := client.New(base, client.WithBasicAuth(u, pw))
	if err != nil {
		return err
	}
	host, _ := os.Hostname()
	tok, err := c.CreateToken(ctx, client.NewToken{Name: "damask login on " + cmpOr(host, "this machine")})
	if err != nil {
		return fmt.Errorf("login to %s: %w", base, err)
	}
	dir, err := configDir(env)
	if err != nil {
		return err
	}
	data, _ := json.MarshalIndent(credentials{URL: base, Login: u, Token: tok.Secret}, "", "  ")
	if err := writePrivate(dir, "credentials.json", append(data, '\n')); err != nil {
		return fmt.Errorf("keep the token: %w", err)
	}
	fmt.Fprintf(env.stdout, "Signed in to %s as %s; the token (%s...) is kept in %s.\n", base, u, tok.Prefix, filepath.Join(dir, "credentials.json"))
	return nil
}

func cmpOr(a, b string) string {
	if a != "" {
		return a
	}
	return b
}

// connect is the client of the credentials login kept; DAMASK_URL and
// DAMASK_TOKEN, when both set, take their place.
func connect(env environment, opts ...client.Option) (*client.Client, error) {
	cr := credentials{URL: env.getenv("DAMASK_URL"), Token: env.getenv("DAMASK_TOKEN")}
	if cr.URL == "" || cr.Token == "" {
		dir, err := configDir(env)
		if err != nil {
			return nil, err
		}
		data, err := os.ReadFile(filepath.Join(dir, "credentials.json"))
		if errors.Is(err, os.ErrNotExist) {
			return nil, errors.New("not signed in: run damask login URL first")
		}
		if err != nil {
			return nil, fmt.Errorf("read the credentials: %w", err)
		}
		if err := json.Unmarshal(data, &cr); err != nil || cr.URL == "" || cr.Token == "" {
			return nil, fmt.Errorf("%s is damaged: run damask login URL again", filepath.Join(dir, "credentials.json"))
		}
	}
	return client.New(cr.URL, append([]client.Option{client.WithToken(cr.Token), client.WithUserAgent("damask")}, opts...)...)
}

// ls [QUERY]: the assets matching the query, one a line.
func ls(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("ls", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object a line")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	if len(pos) > 1 {
		return usageError(lsUse)
	}
	c, err := connect(env)
	if err != nil {
		return err
	}
	q := ""
	if len(pos) == 1 {
		q = pos[0]
	}
	enc := json.NewEncoder(env.stdout)
	for a, err := range c.Assets(ctx, client.ListOptions{Query: q, PerPage: 100}) {
		if err != nil {
			return err
		}
		if *asJSON {
			if err := enc.Encode(a); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(env.stdout, "%d\t%s\t%s\t%s\t%s\n", a.ID, humanBytes(a.Size), a.Filename, a.Title, strings.Join(a.TagNames(), ","))
	}
	return nil
}

// tags: the account's tags and their counts.
func tagsCmd(ctx context.Context, env environment, args []string) error {
	fs := flag.NewFlagSet("tags", flag.ContinueOnError)
	asJSON := fs.Bool("json", false, "one JSON object a line")
	pos, err := interleaved(fs, args, env.getenv)
	if err != nil {
		return err
	}
	if len(pos) != 0 {
		return usageError(tagsUse)
	}
	c, err := connect(env)
	if err != nil {
		return err
	}
	tags, err := c.Tags(ctx)
	if err != nil {
		return err
	}
	enc := json.NewEncoder(env.stdout)
	for _, t := range tags {
		if *asJSON {
			if err := enc.Encode(t); err != nil {
				return err
			}
			continue
		}
		fmt.Fprintf(env.stdout, "%s\t%d\n", t.Name, t.AssetsCount)
	}
	return nil
}

// humanBytes is a size for people: 1.5 MB (1 MB = 1,000,000 bytes).
func humanBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	div, exp := int64(unit), 0
	for m := n / unit; m >= unit; m /= unit {
		div *= unit
		exp++
	}
	return fmt.Sprintf("%.1f %cB", float64(n)/float64(div), "kMGTPE"[exp])
}

// failure is a command's end when some of its files failed: exit 1, with
// the count (each failure was reported as it happened).
type failure struct{ n int }

func (f failure) Error() string { return fmt.Sprintf("%d files failed", f.n) }
