package main

import (
	"context"
	"fmt"
	"net/url"
	"os"
	"strings"
	"sync"

	"github.com/jackc/pgx/v5"
)

// The metadata store of a run: SQLite in each data folder (the default),
// or with -db postgres a PostgreSQL database per data folder, made on the
// server of -pg for the run and dropped at its end.
type databases struct {
	admin string // the server's URL, as -pg gives it

	mu    sync.Mutex
	names map[string]string // data folder to database
}

// storeArgs are the flags of the damask commands that name the metadata
// store of the data folder: --data, and --db with PostgreSQL, whose
// database is made on first use.
func (b *bench) storeArgs(ctx context.Context, data string) ([]string, error) {
	args := []string{"--data", data}
	if b.dbs == nil {
		return args, nil
	}
	u, err := b.dbs.database(ctx, data)
	if err != nil {
		return nil, err
	}
	return append(args, "--db", u), nil
}

// database answers the URL of the data folder's database, made now when
// it is the first use.
func (d *databases) database(ctx context.Context, data string) (string, error) {
	d.mu.Lock()
	defer d.mu.Unlock()
	name, ok := d.names[data]
	if !ok {
		name = fmt.Sprintf("damask_bench_%d_%d", os.Getpid(), len(d.names))
		if err := d.exec(ctx, "CREATE DATABASE "+pgx.Identifier{name}.Sanitize()); err != nil {
			return "", fmt.Errorf("make the database of %s: %w", data, err)
		}
		d.names[data] = name
	}
	u, err := url.Parse(d.admin)
	if err != nil {
		return "", err
	}
	u.Path = "/" + name
	return u.String(), nil
}

// drop removes the run's databases, whoever is still connected.
func (d *databases) drop(ctx context.Context) error {
	d.mu.Lock()
	defer d.mu.Unlock()
	var errs []string
	for _, name := range d.names {
		if err := d.exec(ctx, "DROP DATABASE IF EXISTS "+pgx.Identifier{name}.Sanitize()+" WITH (FORCE)"); err != nil {
			errs = append(errs, err.Error())
		}
	}
	clear(d.names)
	if len(errs) > 0 {
		return fmt.Errorf("drop the run's databases: %s", strings.Join(errs, "; "))
	}
	return nil
}

func (d *databases) exec(ctx context.Context, sql string) error {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return err
	}
	defer conn.Close(ctx)
	_, err = conn.Exec(ctx, sql)
	return err
}

// version answers the server's version.
func (d *databases) version(ctx context.Context) string {
	conn, err := pgx.Connect(ctx, d.admin)
	if err != nil {
		return "unknown"
	}
	defer conn.Close(ctx)
	var v string
	if err := conn.QueryRow(ctx, "SHOW server_version").Scan(&v); err != nil {
		return "unknown"
	}
	return "PostgreSQL " + v
}
