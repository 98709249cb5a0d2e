package main

import (
	"bufio"
	"bytes"
	"context"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"sync"
	"time"

	"damask/procstat"
)

const benchPassword = "bench-password-1"

// bench is one run: its settings, the programs it built and the report it
// fills.
type bench struct {
	cfg    config
	log    *slog.Logger
	report *report

	damask string // the damask binary
	self   string // this program, for the reference servers

	srv       *proc      // damask on a fresh data folder, once started
	bigUpload string     // id of the large file's upload, once sent
	dbs       *databases // with -db postgres: the run's databases
}

// build compiles damask and takes this program's own path for the
// references it starts.
func (b *bench) build(ctx context.Context) error {
	b.damask = filepath.Join(b.cfg.work, "damask")
	cmd := exec.CommandContext(ctx, "go", "build", "-o", b.damask, "./cmd/damask")
	cmd.Stdout, cmd.Stderr = os.Stderr, os.Stderr
	if err := cmd.Run(); err != nil {
		return fmt.Errorf("build damask: %w", err)
	}
	self, err := os.Executable()
	if err != nil {
		return fmt.Errorf("find this program: %w", err)
	}
	b.self = self
	return nil
}

// proc is a server process started by the benchmark.
type proc struct {
	cmd    *exec.Cmd
	addr   string // where it listens
	output *syncBuffer
	done   chan struct{}
}

type syncBuffer struct {
	mu sync.Mutex
	b  bytes.Buffer
}

func (s *syncBuffer) Write(p []byte) (int, error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.Write(p)
}

func (s *syncBuffer) String() string {
	s.mu.Lock()
	defer s.mu.Unlock()
	return s.b.String()
}

// start runs a server and waits until a line of its output names the
// address it listens on after marker (filebrowser's log lines start with
// the time).
func start(ctx context.Context, marker string, env []string, name string, args ...string) (*proc, error) {
	cmd := exec.CommandContext(ctx, name, args...)
	cmd.Env = append(os.Environ(), env...)
	p := &proc{cmd: cmd, output: &syncBuffer{}, done: make(chan struct{})}
	cmd.Stderr = p.output
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		return nil, err
	}
	if err := cmd.Start(); err != nil {
		return nil, fmt.Errorf("start %s: %w", name, err)
	}
	addrc := make(chan string, 1)
	go func() {
		sc := bufio.NewScanner(stdout)
		for sc.Scan() {
			if _, a, ok := strings.Cut(sc.Text(), marker); ok {
				select {
				case addrc <- strings.TrimSpace(a):
				default:
				}
			}
		}
		io.Copy(io.Discard, stdout)
	}()
	go func() { cmd.Wait(); close(p.done) }()
	select {
	case p.addr = <-addrc:
		return p, nil
	case <-p.done:
		return nil, fmt.Errorf("%s %s exited: %s", name, strings.Join(args, " "), p.output.String())
	case <-time.After(5 * time.Minute):
		p.stop()
		return nil, fmt.Errorf("%s did not say where it listens", name)
	}
}

// sink starts this program's reference server, writing files into dir
// (made if missing) as flags say (see refs.go: --hash, --syncdir, --nosync).
func (b *bench) sink(ctx context.Context, dir string, flags ...string) (*proc, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	return start(ctx, "listening on ", nil, b.self, append(append([]string{"sink"}, flags...), "--dir", dir)...)
}

// stop ends the process and waits for it.
func (p *proc) stop() {
	p.cmd.Process.Signal(os.Interrupt)
	select {
	case <-p.done:
	case <-time.After(10 * time.Second):
		p.cmd.Process.Kill()
		<-p.done
	}
}

func (p *proc) url() string { return "http://" + p.addr }

// waitAlone waits, at most limit, until the process runs no other it
// started (Damask's worker process ends once its jobs are done).
func (p *proc) waitAlone(limit time.Duration) {
	for deadline := time.Now().Add(limit); len(procstat.Tree(p.cmd.Process.Pid)) > 1 && time.Now().Before(deadline); {
		time.Sleep(100 * time.Millisecond)
	}
}

// rss is the resident memory now, in bytes, of the process and those it
// started (Damask's worker process, nginx's workers).
func (p *proc) rss() int64 { return procstat.TreeRSS(p.cmd.Process.Pid) }

// cpu is the processor time the process and those it started have used
// so far.
func (p *proc) cpu() time.Duration { return procstat.TreeCPU(p.cmd.Process.Pid) }

// peakRSS samples the memory of the process alone, and of it with those
// it started, while fn runs, and answers the highest sample of each.
func (p *proc) peakRSS(fn func() error) (alone, tree int64, err error) {
	m, err := peaks(fn, func() [2]int64 { return [2]int64{procstat.RSS(p.cmd.Process.Pid), p.rss()} })
	return m[0], m[1], err
}

// own is the resident memory of the process and those it started less the
// pages that map files (programs, shared libraries): what they allocated.
func (p *proc) own() int64 {
	pid := p.cmd.Process.Pid
	return procstat.TreeRSS(pid) - procstat.TreeRSSFile(pid)
}

// peakMemory samples the process's memory while fn runs and answers the
// highest RSS and the highest of own.
func (p *proc) peakMemory(fn func() error) (rss, own int64, err error) {
	m, err := peaks(fn, func() [2]int64 { return [2]int64{p.rss(), p.own()} })
	return m[0], m[1], err
}

// peaks runs fn while it takes a sample every 20 ms, and answers the
// highest of each of the sample's two figures.
func peaks(fn func() error, sample func() [2]int64) ([2]int64, error) {
	stop := make(chan struct{})
	peak := make(chan [2]int64)
	go func() {
		var m [2]int64
		t := time.NewTicker(20 * time.Millisecond)
		defer t.Stop()
		for {
			s := sample()
			m[0], m[1] = max(m[0], s[0]), max(m[1], s[1])
			select {
			case <-stop:
				peak <- m
				return
			case <-t.C:
			}
		}
	}()
	err := fn()
	close(stop)
	return <-peak, err
}

// serve starts damask on the data folder with the API of the default
// account on, and answers its address. The limits on requests a second,
// uploads and searches at once are off: one user's 64 connections measure
// the ceilings, not the limits. A flag in extra wins over these.
func (b *bench) serve(ctx context.Context, data string, extra ...string) (*proc, error) {
	store, err := b.storeArgs(ctx, data)
	if err != nil {
		return nil, err
	}
	args := append(append([]string{"serve"}, store...), "--addr", "127.0.0.1:0", "--max-file-size", strconv.FormatInt(8<<30, 10),
		"--rate", "0", "--max-uploads-per-user", "0", "--max-searches-per-user", "0")
	args = append(args, extra...)
	p, err := start(ctx, "Damask is listening on ", []string{"DAMASK_ADMIN_PASSWORD=" + benchPassword}, b.damask, args...)
	if err != nil {
		return nil, err
	}
	out, err := exec.CommandContext(ctx, b.damask, append([]string{"account", "api", "default", "on"}, store...)...).CombinedOutput()
	if err != nil {
		p.stop()
		return nil, fmt.Errorf("switch the API on: %w: %s", err, out)
	}
	return p, nil
}
