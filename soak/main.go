// Command soak runs a real `damask serve` under mixed load for a long
// while and watches it: 64 clients (each its own user with its own API
// token) upload JPEGs and text files, download them, fetch thumbnails made
// by the server's worker pool, search, list, edit and delete, for 10
// minutes by default. It reports the requests served, the answers by
// status, the latency (p50, p99) of each kind of request and the server's
// resident memory over time, writes that as the section "Soak" of
// docs/benchmarks.md, and exits non-zero on any 5xx answer, on a panic in
// the server's log, or on memory that keeps growing (see grows).
//
// `make soak` runs it; it is not part of CI. The server runs with its
// default limits, so a client that gets 429 waits as Retry-After says.
package main

import (
	"bufio"
	"context"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"os/signal"
	"path/filepath"
	"strings"
	"sync"
	"time"

	"damask/procstat"
)

const adminPassword = "soak-admin-password"

type config struct {
	duration time.Duration
	clients  int
	sample   time.Duration
	growth   float64 // percent
	out      string
	work     string
}

func main() {
	var cfg config
	flag.DurationVar(&cfg.duration, "duration", 10*time.Minute, "how long the load runs")
	flag.IntVar(&cfg.clients, "clients", 64, "clients at once, each its own user and token")
	flag.DurationVar(&cfg.sample, "sample", 5*time.Second, "how often the server's memory is read")
	flag.Float64Var(&cfg.growth, "growth", 25, "memory growth, in percent of the first third's mean RSS, that fails the run when the last third is still rising")
	flag.StringVar(&cfg.out, "out", "docs/benchmarks.md", "the benchmark document whose section \"Soak\" is written (\"\": none)")
	flag.StringVar(&cfg.work, "work", "", "scratch folder (default: a new one under the system's temporary folder, removed at the end)")
	flag.Parse()
	if err := run(cfg); err != nil {
		fmt.Fprintln(os.Stderr, "soak:", err)
		os.Exit(1)
	}
}

func run(cfg config) error {
	ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt)
	defer stop()
	log := slog.New(slog.NewTextHandler(os.Stderr, nil))
	if cfg.work == "" {
		dir, err := os.MkdirTemp("", "damask-soak-")
		if err != nil {
			return err
		}
		defer os.RemoveAll(dir)
		cfg.work = dir
	}
	bin := filepath.Join(cfg.work, "damask")
	build := exec.CommandContext(ctx, "go", "build", "-o", bin, "./cmd/damask")
	build.Stdout, build.Stderr = os.Stderr, os.Stderr
	if err := build.Run(); err != nil {
		return fmt.Errorf("build damask: %w", err)
	}
	data := filepath.Join(cfg.work, "data")
	srv, err := startServer(ctx, bin, data)
	if err != nil {
		return err
	}
	defer srv.stop()
	if out, err := exec.CommandContext(ctx, bin, "account", "api", "default", "on", "--data", data).CombinedOutput(); err != nil {
		return fmt.Errorf("switch the API on: %w: %s", err, out)
	}
	base := "http://" + srv.addr
	log.Info("soak: server up", "addr", srv.addr, "pid", srv.cmd.Process.Pid)

	hc := &http.Client{Timeout: 2 * time.Minute, Transport: &http.Transport{MaxIdleConnsPerHost: cfg.clients * 2}}
	clients, err := makeClients(ctx, hc, base, cfg.clients)
	if err != nil {
		return fmt.Errorf("make the clients: %w", err)
	}
	log.Info("soak: load starts", "clients", len(clients), "duration", cfg.duration)

	st := newStats()
	loadCtx, cancel := context.WithTimeout(ctx, cfg.duration)
	defer cancel()
	samples := make(chan []rssSample, 1)
	go func() { samples <- sampleRSS(loadCtx, srv, cfg.sample) }()
	start := time.Now()
	var wg sync.WaitGroup
	for i, c := range clients {
		wg.Go(func() { c.run(loadCtx, st, int64(i)) })
	}
	wg.Wait()
	took := time.Since(start)
	rss := <-samples
	if ctx.Err() != nil {
		return errors.New("interrupted")
	}
	srv.stop()

	res := result{cfg: cfg, took: took, stats: st, rss: rss, machine: describeMachine(), panics: strings.Count(srv.output.String(), "panic:")}
	res.judge()
	fmt.Print(res.text())
	if cfg.out != "" {
		if err := writeSection(cfg.out, "Soak", res.markdown()); err != nil {
			return err
		}
		log.Info("soak: report written", "file", cfg.out)
	}
	if len(res.failures) > 0 {
		return fmt.Errorf("failed: %s", strings.Join(res.failures, "; "))
	}
	return nil
}

// server is the damask process under load.
type server struct {
	cmd    *exec.Cmd
	addr   string
	output *syncBuffer
	done   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  strings.Builder
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	// Keep the log's lines of trouble only: a long run logs much.
	for _, line := range strings.SplitAfter(string(p), "\n") {
		if strings.Contains(line, "level=ERROR") || strings.Contains(line, "panic") || strings.Contains(line, "level=WARN") {
			if s.b.Len() < 1<<20 {
				s.b.WriteString(line)
			}
		}
	}
	return len(p), nil
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// startServer runs `damask serve` with its defaults (limits and worker
// pool included) on a fresh data folder and waits until it listens.
func startServer(ctx context.Context, bin, data string) (*server, error) {
	cmd := exec.CommandContext(ctx, bin, "serve", "--data", data, "--addr", "127.0.0.1:0")
	cmd.Env = append(os.Environ(), "DAMASK_ADMIN_PASSWORD="+adminPassword)
	s := &server{cmd: cmd, output: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = s.output
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start damask: %w", err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if a, ok := strings.CutPrefix(sc.Text(), "Damask is listening on "); ok {
				addrc <- strings.TrimSpace(a)
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(s.done) }()
	select {
	case s.addr = <-addrc:
		return s, nil
	case <-s.done:
		return nil, fmt.Errorf("damask serve exited: %s", s.output.String())
	case <-time.After(2 * time.Minute):
		s.stop()
		return nil, errors.New("damask serve did not say where it listens")
	}
}

// stop asks the server to shut down as Ctrl-C would, and waits.
func (s *server) stop() {
	select {
	case <-s.done:
		return
	default:
	}
	s.cmd.Process.Signal(os.Interrupt)
	select {
	case <-s.done:
	case <-time.After(time.Minute):
		s.cmd.Process.Kill()
		<-s.done
	}
}

// rss is the resident memory of the server and its worker process, in
// bytes; 0 once it has gone.
func (s *server) rss() int64 { return procstat.TreeRSS(s.cmd.Process.Pid) }

type rssSample struct {
	at  time.Duration // since the load started
	rss int64
}

// sampleRSS reads the server's memory every period until ctx ends.
func sampleRSS(ctx context.Context, s *server, period time.Duration) []rssSample {
	start := time.Now()
	out := []rssSample{{0, s.rss()}}
	t := time.NewTicker(period)
	defer t.Stop()
	for {
		select {
		case <-ctx.Done():
			return append(out, rssSample{time.Since(start), s.rss()})
		case <-t.C:
			out = append(out, rssSample{time.Since(start), s.rss()})
		}
	}
}

// makeClients makes a member and a token for each client, as the admin.
func makeClients(ctx context.Context, hc *http.Client, base string, n int) ([]*client, error) {
	admin := &client{hc: hc, base: base, auth: func(r *http.Request) { r.SetBasicAuth("admin", adminPassword) }}
	var out []*client
	for i := range n {
		login := fmt.Sprintf("soak%02d", i)
		pw := "soak-password-" + login
		form := url.Values{"login": {login}, "email": {login + "@soak.test"}, "password": {pw}, "role": {"member"}}
		if _, err := admin.must(ctx, "POST", "/api/users.json", formBody(form), http.StatusCreated); err != nil {
			return nil, err
		}
		user := &client{hc: hc, base: base, auth: func(r *http.Request) { r.SetBasicAuth(login, pw) }}
		doc, err := user.must(ctx, "POST", "/api/tokens.json", formBody(url.Values{"name": {"soak"}}), http.StatusCreated)
		if err != nil {
			return nil, err
		}
		secret, _ := doc["token"].(string)
		if secret == "" {
			return nil, fmt.Errorf("no secret in the token of %s: %v", login, doc)
		}
		out = append(out, &client{hc: hc, base: base, auth: func(r *http.Request) { r.Header.Set("Authorization", "Bearer "+secret) }})
	}
	return out, nil
}
