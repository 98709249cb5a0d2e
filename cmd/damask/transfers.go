package main

import (
	"context"
	"encoding/json"
	"fmt"
	"io"
	"sort"
	"strings"
	"sync"
	"time"
)

// progress shows push's and pull's files as they go: bars redrawn in
// place on a terminal, a plain line per finished file otherwise, or one
// JSON object a line for scripts.
type transfers struct {
	mode string // "bars", "lines" or "json"
	w    io.Writer
	verb string // "sent" or "saved"
	now  func() time.Time

	mu         sync.Mutex
	start      time.Time
	files      int
	total      int64 // bytes of every file
	finished   int   // files done, skipped or failed
	doneBytes  int64 // bytes of the finished files
	moved      int64 // bytes that went over the network in this run
	active     map[string]*activeFile
	order      []string
	drawn      int // lines of the last drawing, to draw over
	stop, quit chan struct{}
}

type activeFile struct {
	name     string
	size, at int64
	from     int64 // where this run began (a resumed upload's offset)
	hashing  bool
}

// event is one line of --json.
type transferEvent struct {
	Event   string `json:"event"` // start, done, skipped, failed, summary
	File    string `json:"file,omitempty"`
	Size    int64  `json:"size,omitempty"`
	AssetID int64  `json:"asset_id,omitempty"`
	SHA256  string `json:"sha256,omitempty"`
	// Resumed is the offset an interrupted transfer went on from.
	Resumed int64  `json:"resumed_from,omitempty"`
	Reason  string `json:"reason,omitempty"`
	Error   string `json:"error,omitempty"`
	// The summary's counts.
	Done    *int    `json:"done,omitempty"`
	Skipped *int    `json:"skipped,omitempty"`
	Failed  *int    `json:"failed,omitempty"`
	Bytes   *int64  `json:"bytes,omitempty"`
	Seconds float64 `json:"seconds,omitempty"`
}

func newTransfers(w io.Writer, asJSON bool, verb string) *transfers {
	mode := "lines"
	if asJSON {
		mode = "json"
	} else if isTerminal(w) {
		mode = "bars"
	}
	return &transfers{mode: mode, w: w, verb: verb, now: time.Now, active: map[string]*activeFile{}}
}

// begin starts the count of files and bytes, and the drawing of bars.
func (p *transfers) begin(files int, total int64) {
	p.mu.Lock()
	p.start, p.files, p.total = p.now(), files, total
	p.mu.Unlock()
	if p.mode == "bars" {
		p.stop, p.quit = make(chan struct{}), make(chan struct{})
		go func() {
			defer close(p.quit)
			t := time.NewTicker(200 * time.Millisecond)
			defer t.Stop()
			for {
				select {
				case <-p.stop:
					return
				case <-t.C:
					p.mu.Lock()
					p.draw()
					p.mu.Unlock()
				}
			}
		}()
	}
}

// hashing tells that a file is being read for its SHA-256.
func (p *transfers) hashing(name string, size int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	p.active[name] = &activeFile{name: name, size: size, hashing: true}
	p.order = append(p.order, name)
}

// started tells that a file's transfer begins at offset from.
func (p *transfers) started(name string, size, from int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	f, ok := p.active[name]
	if !ok {
		f = &activeFile{name: name}
		p.active[name] = f
		p.order = append(p.order, name)
	}
	f.size, f.at, f.from, f.hashing = size, from, from, false
	if p.mode == "json" {
		p.emit(transferEvent{Event: "start", File: name, Size: size, Resumed: from})
	}
}

// at tells how far a file's transfer is.
func (p *transfers) at(name string, n int64) {
	p.mu.Lock()
	defer p.mu.Unlock()
	if f, ok := p.active[name]; ok && n >= f.from {
		p.moved += n - max(f.at, f.from)
		f.at = n
	}
}

// finish ends a file: ev.Event is done, skipped or failed.
func (p *transfers) finish(ev transferEvent) {
	p.mu.Lock()
	defer p.mu.Unlock()
	delete(p.active, ev.File)
	for i, n := range p.order {
		if n == ev.File {
			p.order = append(p.order[:i], p.order[i+1:]...)
			break
		}
	}
	p.finished++
	p.doneBytes += ev.Size
	var line string
	switch ev.Event {
	case "done":
		line = fmt.Sprintf("%s %s (%s)", p.verb, ev.File, humanBytes(ev.Size))
		if ev.AssetID != 0 {
			line += fmt.Sprintf(", asset %d", ev.AssetID)
		}
		if ev.Resumed > 0 {
			line += fmt.Sprintf(", resumed at %s", humanBytes(ev.Resumed))
		}
	case "skipped":
		line = fmt.Sprintf("skipped %s: %s", ev.File, ev.Reason)
	default:
		line = fmt.Sprintf("failed %s: %s", ev.File, ev.Error)
	}
	switch p.mode {
	case "json":
		p.emit(ev)
	case "lines":
		fmt.Fprintln(p.w, line)
	default:
		p.clear()
		fmt.Fprintln(p.w, line)
		p.draw()
	}
}

// end stops the bars and writes the summary.
func (p *transfers) end(done, skipped, failed int) {
	if p.stop != nil {
		close(p.stop)
		<-p.quit
	}
	p.mu.Lock()
	defer p.mu.Unlock()
	secs := p.now().Sub(p.start).Seconds()
	if p.mode == "bars" {
		p.clear()
	}
	if p.mode == "json" {
		moved := p.moved
		p.emit(transferEvent{Event: "summary", Done: &done, Skipped: &skipped, Failed: &failed, Bytes: &moved, Seconds: secs})
		return
	}
	fmt.Fprintf(p.w, "%d %s, %d skipped, %d failed; %s in %.1f s (%s/s)\n", done, p.verb, skipped, failed,
		humanBytes(p.moved), secs, humanBytes(int64(float64(p.moved)/max(secs, 0.001))))
}

func (p *transfers) emit(ev transferEvent) {
	b, _ := json.Marshal(ev)
	p.w.Write(append(b, '\n'))
}

// clear removes the last drawing (the cursor goes up over it).
func (p *transfers) clear() {
	if p.drawn > 0 {
		fmt.Fprintf(p.w, "\x1b[%dA\x1b[J", p.drawn)
		p.drawn = 0
	}
}

// draw draws a bar for each file under way and one for the total.
func (p *transfers) draw() {
	p.clear()
	lines := p.frame(p.now())
	for _, l := range lines {
		fmt.Fprintln(p.w, l)
	}
	p.drawn = len(lines)
}

// frame is the lines of one drawing: the files under way, then the total
// with speed and time left.
func (p *transfers) frame(now time.Time) []string {
	var lines []string
	names := append([]string(nil), p.order...)
	sort.Strings(names)
	width := 24
	for _, n := range names {
		f := p.active[n]
		label := n
		if len([]rune(label)) > 28 {
			label = "..." + string([]rune(label)[len([]rune(label))-25:])
		}
		if f.hashing {
			lines = append(lines, fmt.Sprintf("  %-28s %s  reading (SHA-256)", label, bar(0, 1, width)))
			continue
		}
		lines = append(lines, fmt.Sprintf("  %-28s %s %3d%%  %s / %s", label, bar(f.at, f.size, width), percent(f.at, f.size), humanBytes(f.at), humanBytes(f.size)))
	}
	at := p.doneBytes
	for _, f := range p.active {
		at += f.at
	}
	secs := now.Sub(p.start).Seconds()
	speed := float64(p.moved) / max(secs, 0.001)
	eta := "--:--"
	if speed > 0 && secs > 0.5 {
		eta = clock(time.Duration(float64(p.total-at) / speed * float64(time.Second)))
	}
	lines = append(lines, fmt.Sprintf("  %-28s %s %3d%%  %s / %s  %s/s  ETA %s", fmt.Sprintf("total %d/%d files", p.finished, p.files),
		bar(at, p.total, width), percent(at, p.total), humanBytes(at), humanBytes(p.total), humanBytes(int64(speed)), eta))
	return lines
}

func percent(a, b int64) int {
	if b <= 0 {
		return 100
	}
	return int(a * 100 / b)
}

// bar is a bar of width characters filled a/b.
func bar(a, b int64, width int) string {
	full := width
	if b > 0 {
		full = int(a * int64(width) / b)
	}
	full = min(max(full, 0), width)
	return "[" + strings.Repeat("#", full) + strings.Repeat(".", width-full) + "]"
}

// clock is a duration as m:ss or h:mm:ss.
func clock(d time.Duration) string {
	s := int(d.Round(time.Second).Seconds())
	if s >= 3600 {
		return fmt.Sprintf("%d:%02d:%02d", s/3600, s/60%60, s%60)
	}
	return fmt.Sprintf("%d:%02d", s/60, s%60)
}

// transferAll runs do on each item, jobs at once, and counts what became
// of each; it answers an error when interrupted (verb says what to run
// again) or when any item failed.
func transferAll[T any](ctx context.Context, p *transfers, jobs int, items []T, verb string, do func(T) transferEvent) error {
	var mu sync.Mutex
	var done, skipped, failed int
	work := make(chan T)
	var wg sync.WaitGroup
	for range jobs {
		wg.Go(func() {
			for it := range work {
				ev := do(it)
				p.finish(ev)
				mu.Lock()
				switch ev.Event {
				case "done":
					done++
				case "skipped":
					skipped++
				default:
					failed++
				}
				mu.Unlock()
			}
		})
	}
	for _, it := range items {
		if ctx.Err() != nil {
			break
		}
		work <- it
	}
	close(work)
	wg.Wait()
	p.end(done, skipped, failed)
	if err := ctx.Err(); err != nil {
		return fmt.Errorf("%s interrupted (run it again to go on): %w", verb, err)
	}
	if failed > 0 {
		return failure{failed}
	}
	return nil
}
