package main

import (
	"fmt"
	"os"
	"runtime"
	"slices"
	"strings"
	"sync"
	"time"
)

// stats are the answers of the load, by kind of request.
type stats struct {
	mu    sync.Mutex
	kinds map[string]*kindStats
}

type kindStats struct {
	lat      []time.Duration
	statuses map[int]int // 0: the request failed without an answer
	errs     []string    // a few of the failures, for the report
}

func newStats() *stats { return &stats{kinds: map[string]*kindStats{}} }

func (s *stats) add(kind string, d time.Duration, status int, err error) {
	s.mu.Lock()
	defer s.mu.Unlock()
	k := s.kinds[kind]
	if k == nil {
		k = &kindStats{statuses: map[int]int{}}
		s.kinds[kind] = k
	}
	k.lat = append(k.lat, d)
	k.statuses[status]++
	if err != nil && len(k.errs) < 5 {
		k.errs = append(k.errs, err.Error())
	}
}

// quantile of sorted durations.
func quantile(sorted []time.Duration, q float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	return sorted[min(len(sorted)-1, int(q*float64(len(sorted))))]
}

// result is a finished run and its verdict.
type result struct {
	cfg      config
	took     time.Duration
	stats    *stats
	rss      []rssSample
	machine  string
	panics   int
	failures []string

	total, fiveXX, failed int
	first, last           float64 // mean RSS of the first and last thirds, bytes
	rise                  float64 // least-squares rise of RSS over the last third, bytes
}

// judge sets the verdict: the run fails on any 5xx, on a request that got
// no answer at all, on a panic in the server's log, and on memory that
// keeps growing. Memory grows when the mean RSS of the last third of the
// run is above the mean of the first third by more than -growth percent
// AND is still rising within the last third: its least-squares line rises
// there by more than 2% of the first third's mean. A server that warms
// its caches and then holds level passes; one that leaks fails.
func (r *result) judge() {
	for _, k := range r.stats.kinds {
		for st, n := range k.statuses {
			r.total += n
			switch {
			case st >= 500:
				r.fiveXX += n
			case st == 0:
				r.failed += n
			}
		}
	}
	if r.fiveXX > 0 {
		r.failures = append(r.failures, fmt.Sprintf("%d answers of 5xx", r.fiveXX))
	}
	if r.failed > 0 {
		r.failures = append(r.failures, fmt.Sprintf("%d requests without an answer", r.failed))
	}
	if r.panics > 0 {
		r.failures = append(r.failures, fmt.Sprintf("%d panics in the server's log", r.panics))
	}
	var first, last []rssSample
	for _, s := range r.rss {
		switch {
		case s.at < r.took/3:
			first = append(first, s)
		case s.at >= 2*r.took/3:
			last = append(last, s)
		}
	}
	r.first, r.last = meanRSS(first), meanRSS(last)
	if len(last) >= 2 {
		r.rise = slope(last) * (last[len(last)-1].at - last[0].at).Seconds()
	}
	if r.first > 0 && r.last > r.first*(1+r.cfg.growth/100) && r.rise > 0.02*r.first {
		r.failures = append(r.failures, fmt.Sprintf("memory keeps growing: mean RSS %.0f MiB in the first third, %.0f MiB in the last, still rising by %.0f MiB there",
			r.first/(1<<20), r.last/(1<<20), r.rise/(1<<20)))
	}
}

func meanRSS(ss []rssSample) float64 {
	if len(ss) == 0 {
		return 0
	}
	var sum float64
	for _, s := range ss {
		sum += float64(s.rss)
	}
	return sum / float64(len(ss))
}

// slope of RSS over time, in bytes a second, by least squares.
func slope(ss []rssSample) float64 {
	var sx, sy, sxx, sxy float64
	n := float64(len(ss))
	for _, s := range ss {
		x, y := s.at.Seconds(), float64(s.rss)
		sx, sy, sxx, sxy = sx+x, sy+y, sxx+x*x, sxy+x*y
	}
	d := n*sxx - sx*sx
	if d == 0 {
		return 0
	}
	return (n*sxy - sx*sy) / d
}

func ms(d time.Duration) string { return fmt.Sprintf("%.1f ms", float64(d.Microseconds())/1000) }

func (r *result) verdict() string {
	if len(r.failures) == 0 {
		return "passed: no 5xx, every request answered, memory level"
	}
	return "FAILED: " + strings.Join(r.failures, "; ")
}

// table is the table of kinds, in markdown.
func (r *result) table() string {
	var b strings.Builder
	b.WriteString("| request | served | p50 | p99 | answers |\n|---|---|---|---|---|\n")
	names := make([]string, 0, len(r.stats.kinds))
	for n := range r.stats.kinds {
		names = append(names, n)
	}
	slices.Sort(names)
	for _, n := range names {
		k := r.stats.kinds[n]
		lat := slices.Clone(k.lat)
		slices.Sort(lat)
		var codes []int
		for c := range k.statuses {
			codes = append(codes, c)
		}
		slices.Sort(codes)
		var ans []string
		for _, c := range codes {
			label := fmt.Sprint(c)
			if c == 0 {
				label = "no answer"
			}
			ans = append(ans, fmt.Sprintf("%s: %d", label, k.statuses[c]))
		}
		fmt.Fprintf(&b, "| %s | %d | %s | %s | %s |\n", n, len(k.lat), ms(quantile(lat, 0.5)), ms(quantile(lat, 0.99)), strings.Join(ans, ", "))
	}
	return b.String()
}

// memory is the RSS once a minute (and at the start and the end).
func (r *result) memory() string {
	var b strings.Builder
	b.WriteString("| minute | RSS |\n|---|---|\n")
	next := time.Duration(0)
	for i, s := range r.rss {
		if s.at >= next || i == len(r.rss)-1 {
			fmt.Fprintf(&b, "| %.1f | %.0f MiB |\n", s.at.Minutes(), float64(s.rss)/(1<<20))
			next = s.at.Truncate(time.Minute) + time.Minute
		}
	}
	return b.String()
}

func (r *result) text() string {
	return fmt.Sprintf("\n%d requests in %s (%.0f a second), %d clients\n\n%s\n%s\nmemory: first third %.0f MiB, last third %.0f MiB, rise within the last third %.1f MiB\n%s\n",
		r.total, r.took.Round(time.Second), float64(r.total)/r.took.Seconds(), r.cfg.clients,
		r.table(), r.memory(), r.first/(1<<20), r.last/(1<<20), r.rise/(1<<20), r.verdict())
}

func (r *result) markdown() string {
	var b strings.Builder
	fmt.Fprintf(&b, `Made with `+"`make soak`"+` (`+"`go run ./soak -duration %s -clients %d`"+`) on %s, %s.
A real `+"`damask serve`"+` with its defaults (worker pool, --rate 50/burst 100 per
token, 4 uploads at once per user, 1 GiB disk reserve) on a fresh data folder
(SQLite, disk blobs); %d clients, each its own member with its own API token,
send requests one after another: one-step creates of small JPEGs (320 to 800
px wide, made by image/jpeg, each unique) and of text files, downloads,
thumbnails made by the worker pool (202 while pending; 404 for text files,
which have none), single assets, searches and tag lists (404 when nothing
matches, as the API says), edits of title and tags, and deletes (a client
keeps at most %d assets, so the catalogue stays level). A 429 makes the
client wait as Retry-After says. The run fails on any 5xx, a request without
an answer, a panic, or memory that keeps growing (mean RSS of the last third
more than %g%% above the first third's and still rising by more than 2%%
within the last third).

%d requests served in %s: %.0f a second.

%s
Resident memory of the server (VmRSS, read every %s):

%s
Mean RSS: %.0f MiB in the first third, %.0f MiB in the last third; the
least-squares line over the last third rises by %.1f MiB. Verdict: %s.
`, r.cfg.duration, r.cfg.clients, time.Now().UTC().Format("2006-01-02"), r.machine, r.cfg.clients, keep, r.cfg.growth,
		r.total, r.took.Round(time.Second), float64(r.total)/r.took.Seconds(),
		r.table(), r.cfg.sample, r.memory(), r.first/(1<<20), r.last/(1<<20), r.rise/(1<<20), r.verdict())
	return b.String()
}

// describeMachine names the machine and its load at the end of the run.
func describeMachine() string {
	load, _ := os.ReadFile("/proc/loadavg")
	fields := strings.Fields(string(load))
	l := "unknown"
	if len(fields) >= 3 {
		l = strings.Join(fields[:3], " ")
	}
	return fmt.Sprintf("%d CPUs, %s, load average at the end %s", runtime.NumCPU(), runtime.Version(), l)
}

// writeSection puts body under "## title" in the markdown file: in place
// of that section when there is one (up to the next "## "), else at the
// end. The rest of the file is left as it was.
func writeSection(file, title, body string) error {
	old, err := os.ReadFile(file)
	if err != nil && !os.IsNotExist(err) {
		return fmt.Errorf("read %s: %w", file, err)
	}
	s := string(old)
	head := "## " + title + "\n"
	section := head + "\n" + strings.TrimSpace(body) + "\n"
	if i := strings.Index(s, "\n"+head); i >= 0 {
		rest := s[i+1+len(head):]
		end := ""
		if j := strings.Index(rest, "\n## "); j >= 0 {
			end = "\n" + rest[j+1:]
		}
		s = s[:i+1] + section + end
	} else {
		s = strings.TrimRight(s, "\n") + "\n\n" + section
	}
	if err := os.WriteFile(file, []byte(s), 0o644); err != nil {
		return fmt.Errorf("write %s: %w", file, err)
	}
	return nil
}
