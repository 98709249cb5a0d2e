// Command bench puts every hot path of Damask next to the ceiling it is
// held against (../shared/PERFORMANCE.md), in one run on one machine, and
// writes the report (docs/benchmarks.md). `make bench` runs it; it is not
// part of CI, and takes minutes.
//
// Each pair runs alternately, A B A B, so that the machine's drift falls on
// both sides alike; the report gives the median of the rounds, their spread
// (lowest to highest) and the ratio of the medians.
//
// The references are small programs this command builds and starts itself:
// a plain Go upload sink (io.Copy + fsync + rename, with and without
// SHA-256; `bench sink`), a bare Go handler serving a pre-rendered document
// (`bench bare`), nginx serving a file with sendfile, the raw SQLite query
// of each search (`damask dev bench-search`), and vipsthumbnail and
// exiftool through the Go benchmarks of the media packages.
//
// Beside the references, a peer: filebrowser, at the version
// scripts/setup.sh bench builds, does the same work as Damask in the same
// run (section peer), and the report says on which rows Damask is ahead.
package main

import (
	"context"
	"flag"
	"fmt"
	"log/slog"
	"os"
	"os/signal"
	"path/filepath"
	"strings"
	"time"
)

func main() {
	if len(os.Args) > 1 {
		switch os.Args[1] {
		case "sink":
			exit(runSink(os.Args[2:]))
		case "bare":
			exit(runBare(os.Args[2:]))
		}
	}
	var cfg config
	flag.StringVar(&cfg.out, "out", "docs/benchmarks.md", "the report to write")
	flag.StringVar(&cfg.work, "work", "", "scratch folder (default: a new one under the system's temporary folder, removed at the end)")
	flag.IntVar(&cfg.rounds, "rounds", 3, "rounds of each A/B pair")
	flag.IntVar(&cfg.assets, "assets", 1_000_000, "assets in the catalogue of the search, import and startup benchmarks")
	flag.DurationVar(&cfg.load, "load", 10*time.Second, "length of each load run at 64 connections")
	flag.Int64Var(&cfg.bigSize, "big", 1<<30, "size of the large file, in bytes")
	flag.BoolVar(&cfg.bigOnly, "big-only", false, "in section upload, only the large file's rows (not the 1,000 small files nor push)")
	flag.StringVar(&cfg.only, "only", "", "run only the sections whose names contain this (upload, download, get, media, batch, peer, search, go)")
	flag.StringVar(&cfg.filebrowser, "filebrowser", filebrowserBin(), "the binary of filebrowser "+filebrowserVersion+", the peer of section peer")
	flag.StringVar(&cfg.db, "db", "sqlite", "the metadata store: sqlite, or postgres (a database made on the -pg server for the run, dropped after)")
	flag.StringVar(&cfg.pg, "pg", "postgres://postgres@127.0.0.1:5432/postgres?sslmode=disable", "the PostgreSQL server of -db postgres, as a URL of a database the user may connect to (and CREATE DATABASE)")
	flag.Parse()
	if cfg.db == "postgres" && !setFlag("out") {
		cfg.out = "docs/benchmarks-postgres.md"
	}
	exit(run(cfg))
}

func exit(err error) {
	if err != nil {
		fmt.Fprintln(os.Stderr, "bench:", err)
		os.Exit(1)
	}
}

// setFlag tells whether the command line set the flag.
func setFlag(name string) bool {
	set := false
	flag.Visit(func(f *flag.Flag) { set = set || f.Name == name })
	return set
}

type config struct {
	out, work, only string
	filebrowser     string
	db, pg          string
	rounds, assets  int
	load            time.Duration
	bigSize         int64
	bigOnly         bool
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if cfg.work == "" {
		dir, err := os.MkdirTemp("", "damask-bench-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.work = dir
	}
	b := &bench{cfg: cfg, log: log, report: newReport()}
	b.report.machine = describeMachine(ctx)
	switch cfg.db {
	case "sqlite":
		b.report.machine.store = "SQLite, in each data folder"
	case "postgres":
		b.dbs = &databases{admin: cfg.pg, names: map[string]string{}}
		b.report.machine.store = b.dbs.version(ctx) + ", a database made for the run on the same machine"
		defer func() {
			if err := b.dbs.drop(context.WithoutCancel(ctx)); err != nil {
				log.Error("bench: " + err.Error())
			}
		}()
	default:
		return fmt.Errorf("-db is sqlite or postgres, not %q", cfg.db)
	}
	start := time.Now()
	if err := b.build(ctx); err != nil {
		return err
	}
	var failed []string
	sections := []struct {
		name string
		fn   func(context.Context) error
	}{
		{"upload", b.upload},
		{"download", b.download},
		{"get", b.get},
		{"media", b.media},
		{"batch", b.batch},
		{"peer", b.peer},
		{"search", b.search},
		{"go", b.goBenchmarks},
	}
	for _, s := range sections {
		if cfg.only != "" && !strings.Contains(cfg.only, s.name) {
			continue
		}
		log.Info("bench: section", "name", s.name)
		if err := s.fn(ctx); err != nil {
			// The other sections still run and the report is still
			// written, saying what failed: a run takes long.
			log.Error("bench: section failed", "name", s.name, "err", err)
			b.report.section("Section "+s.name+" failed", "```\n"+err.Error()+"\n```")
			failed = append(failed, s.name)
		}
	}
	if b.srv != nil {
		// Stopped here, not by the context's AfterFunc, which would run
		// after this process exits and leave the server running.
		b.srv.stop()
	}
	b.report.took = time.Since(start)
	b.report.machine.loadEnd = loadAverage()
	if err := os.MkdirAll(filepath.Dir(cfg.out), 0o755); err != nil {
		return err
	}
	doc := b.report.markdown()
	// make soak writes its own section into the same document: keep it.
	if old, err := os.ReadFile(cfg.out); err == nil {
		if soak := sectionOf(string(old), "Soak"); soak != "" {
			doc = strings.TrimRight(doc, "\n") + "\n\n" + soak
		}
	}
	if err := os.WriteFile(cfg.out, []byte(doc), 0o644); err != nil {
		return fmt.Errorf("write report: %w", err)
	}
	log.Info("bench: report written", "file", cfg.out, "took", time.Since(start).Round(time.Second))
	if len(failed) > 0 {
		return fmt.Errorf("sections failed: %s", strings.Join(failed, ", "))
	}
	return nil
}

// sectionOf answers the level-2 section of a Markdown document with that
// title, heading included, or "".
func sectionOf(doc, title string) string {
	head := "## " + title + "\n"
	i := strings.Index("\n"+doc, "\n"+head)
	if i < 0 {
		return ""
	}
	rest := doc[i:]
	if j := strings.Index(rest[len(head):], "\n## "); j >= 0 {
		rest = rest[:len(head)+j+1]
	}
	return strings.TrimRight(rest, "\n") + "\n"
}
