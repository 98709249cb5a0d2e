package main

import (
	"context"
	_ "embed"
	"fmt"
	"os"
	"os/exec"
	"runtime"
	"strings"
	"time"
)

// notes are kept by hand: the causes of the misses, found with profiles,
// and measurements this command does not make.
//
//go:embed notes.md
var notes string

// pair is one Damask path next to its reference.
type pair struct {
	what, unit   string
	ours, ref    []float64 // one sample per round
	refName      string
	higherBetter bool
	// target is the goal of PERFORMANCE.md in words, and met says whether
	// the medians reach it (nil: the pair has no target of its own).
	target string
	met    func(ours, ref float64) bool
	note   string
}

type section struct{ title, body string }

type machine struct {
	date, cpu, kernel, goVersion, vips, sqlite string
	store                                      string // the metadata store of the run
	cores                                      int
	memory                                     int64
	loadStart, loadEnd                         string
}

type report struct {
	machine machine
	pairs   []pair
	// peer: Damask beside another server doing the same work, and the
	// peer's name and version.
	peer     []pair
	peerName string
	sections []section
	took     time.Duration
}

func newReport() *report { return &report{} }

func (r *report) add(p pair)                 { r.pairs = append(r.pairs, p) }
func (r *report) addPeer(p pair)             { r.peer = append(r.peer, p) }
func (r *report) section(title, body string) { r.sections = append(r.sections, section{title, body}) }

func describeMachine(ctx context.Context) machine {
	m := machine{date: time.Now().UTC().Format("2006-01-02 15:04 MST"), cores: runtime.NumCPU(), loadStart: loadAverage()}
	if b, err := os.ReadFile("/proc/cpuinfo"); err == nil {
		for _, l := range strings.Split(string(b), "\n") {
			if v, ok := strings.CutPrefix(l, "model name"); ok {
				m.cpu = strings.TrimSpace(strings.TrimPrefix(strings.TrimSpace(v), ":"))
				break
			}
		}
	}
	if b, err := os.ReadFile("/proc/meminfo"); err == nil {
		var kb int64
		fmt.Sscanf(string(b), "MemTotal: %d kB", &kb)
		m.memory = kb << 10
	}
	if b, err := os.ReadFile("/proc/sys/kernel/osrelease"); err == nil {
		m.kernel = strings.TrimSpace(string(b))
	}
	m.goVersion = output(ctx, "go", "env", "GOVERSION")
	m.vips = output(ctx, "vips", "--version")
	m.sqlite = output(ctx, "go", "list", "-m", "-f", "{{.Path}} {{.Version}}", "github.com/mattn/go-sqlite3")
	return m
}

func output(ctx context.Context, name string, args ...string) string {
	b, err := exec.CommandContext(ctx, name, args...).Output()
	if err != nil {
		return "unknown"
	}
	return strings.TrimSpace(string(b))
}

func loadAverage() string {
	b, err := os.ReadFile("/proc/loadavg")
	if err != nil {
		return "unknown"
	}
	f := strings.Fields(string(b))
	if len(f) < 3 {
		return "unknown"
	}
	return strings.Join(f[:3], " ")
}

func (r *report) markdown() string {
	var b strings.Builder
	m := r.machine
	fmt.Fprintf(&b, "# Benchmarks\n\n")
	fmt.Fprintf(&b, "Written by `make bench` (the program in `bench/`) on %s; the run took %s. "+
		"Every Damask path runs next to the reference it is held against in `PERFORMANCE.md`, alternately "+
		"(A B A B), on the same machine in the same run: the tables give the median of the rounds, their spread "+
		"(lowest to highest) and the ratio of the medians. The machines here are shared and noisy, so read the "+
		"ratios rather than the absolute figures.\n\n", m.date, r.took.Round(time.Second))
	fmt.Fprintf(&b, "## Machine\n\n| | |\n|---|---|\n")
	fmt.Fprintf(&b, "| CPU | %s, %d cores |\n| memory | %.1f GiB |\n| kernel | Linux %s |\n| Go | %s |\n| SQLite | %s |\n| libvips | %s |\n| metadata store | %s |\n| load average (1, 5, 15 min) | %s at the start, %s at the end |\n\n",
		m.cpu, m.cores, float64(m.memory)/(1<<30), m.kernel, m.goVersion, m.sqlite, m.vips, m.store, m.loadStart, m.loadEnd)
	if len(r.pairs) > 0 {
		fmt.Fprintf(&b, "## Damask against its references\n\n")
		fmt.Fprintf(&b, "| what | Damask | reference | ratio | target | |\n|---|---|---|---|---|---|\n")
		for _, p := range r.pairs {
			om, olo, ohi := stats(p.ours)
			rm, rlo, rhi := stats(p.ref)
			ratio, verdict := "", ""
			if rm > 0 {
				ratio = fmt.Sprintf("%.2fx", om/rm)
			}
			if p.met != nil {
				verdict = "met"
				if !p.met(om, rm) {
					verdict = "**missed**"
				}
			}
			ref := p.refName
			if len(p.ref) > 0 {
				ref = fmt.Sprintf("%s: %s", p.refName, figure(rm, rlo, rhi, p.unit))
			}
			what := p.what
			if p.note != "" {
				what += " (" + p.note + ")"
			}
			fmt.Fprintf(&b, "| %s | %s | %s | %s | %s | %s |\n", what, figure(om, olo, ohi, p.unit), ref, ratio, p.target, verdict)
		}
		b.WriteString("\n")
	}
	if len(r.peer) > 0 {
		b.WriteString(r.peerTable())
	}
	for _, s := range r.sections {
		fmt.Fprintf(&b, "## %s\n\n%s\n\n", s.title, strings.TrimSpace(s.body))
	}
	kept := notes
	if _, after, ok := strings.Cut(kept, "-->"); ok && strings.HasPrefix(kept, "<!--") {
		kept = after
	}
	fmt.Fprintf(&b, "## Causes of the misses, and other measurements\n\n%s\n", strings.TrimSpace(kept))
	return b.String()
}

// figure is a median with its spread.
func figure(med, lo, hi float64, unit string) string {
	f := func(v float64) string {
		switch {
		case v >= 100:
			return fmt.Sprintf("%.0f", v)
		case v >= 10:
			return fmt.Sprintf("%.1f", v)
		default:
			return fmt.Sprintf("%.2f", v)
		}
	}
	if lo == hi {
		return f(med) + " " + unit
	}
	return fmt.Sprintf("%s %s (%s-%s)", f(med), unit, f(lo), f(hi))
}

// peerTable is the section of the pairs of Damask beside its peer: each
// row says whether Damask is ahead, by the ratio of the medians.
func (r *report) peerTable() string {
	var b strings.Builder
	fmt.Fprintf(&b, "## Damask beside %s\n\n", r.peerName)
	fmt.Fprintf(&b, "The same work on both servers, in the same run, alternately (A B A B); the ratio is Damask's median over "+
		"the peer's. Where Damask is behind, the notes below say why.\n\n")
	fmt.Fprintf(&b, "| what | Damask | %s | ratio | |\n|---|---|---|---|---|\n", r.peerName)
	for _, p := range r.peer {
		om, olo, ohi := stats(p.ours)
		rm, rlo, rhi := stats(p.ref)
		what := p.what
		if p.note != "" {
			what += " (" + p.note + ")"
		}
		ratio := ""
		if rm > 0 {
			ratio = fmt.Sprintf("%.2fx", om/rm)
		}
		fmt.Fprintf(&b, "| %s | %s | %s | %s | %s |\n", what, figure(om, olo, ohi, p.unit), figure(rm, rlo, rhi, p.unit), ratio, ahead(p, om, rm))
	}
	b.WriteString("\n")
	return b.String()
}

// ahead says whether Damask's median beats the peer's: higher, or lower
// where lower is better. A tie is not ahead.
func ahead(p pair, ours, peer float64) string {
	if (p.higherBetter && ours > peer) || (!p.higherBetter && ours < peer) {
		return "ahead"
	}
	return "**behind**"
}
