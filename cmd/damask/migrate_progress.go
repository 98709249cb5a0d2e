package main

import (
	"fmt"
	"io"
	"os"
	"sync"
	"time"
)

// progress reports a copy of many files on standard error: files and
// bytes done of the total, the rate and the time left. On a terminal it is
// one line redrawn in place a few times a second; otherwise (a log, a
// pipe) a plain line every so often, and one at the end.
type progress struct {
	w          io.Writer
	tty        bool
	totalFiles int
	totalBytes int64
	start      time.Time

	mu        sync.Mutex
	files     int   // done: copied or already there
	bytes     int64 // done, including files already there
	moved     int64 // read from the source in this run: the rate
	skipped   int   // files already at the destination
	lastWidth int

	stop chan struct{}
	done chan struct{}
}

func newProgress(w io.Writer, files []sourceFile, every time.Duration) *progress {
	p := &progress{w: w, tty: isTerminal(w), totalFiles: len(files), start: time.Now(),
		stop: make(chan struct{}), done: make(chan struct{})}
	for _, f := range files {
		p.totalBytes += f.size
	}
	interval := every
	if p.tty {
		interval = 200 * time.Millisecond
	}
	if interval <= 0 {
		interval = time.Second
	}
	go func() {
		defer close(p.done)
		t := time.NewTicker(interval)
		defer t.Stop()
		for {
			select {
			case <-p.stop:
				return
			case <-t.C:
				p.print(false)
			}
		}
	}()
	return p
}

// isTerminal tells whether w is a terminal (a character device).
func isTerminal(w io.Writer) bool {
	f, ok := w.(*os.File)
	if !ok {
		return false
	}
	fi, err := f.Stat()
	return err == nil && fi.Mode()&os.ModeCharDevice != 0
}

// read counts bytes copied.
func (p *progress) read(n int64) {
	p.mu.Lock()
	p.bytes += n
	p.moved += n
	p.mu.Unlock()
}

// skip counts a file found at the destination already.
func (p *progress) skip(size int64) {
	p.mu.Lock()
	p.bytes += size
	p.skipped++
	p.mu.Unlock()
}

// fileDone counts a file finished.
func (p *progress) fileDone() {
	p.mu.Lock()
	p.files++
	p.mu.Unlock()
}

// finish stops the ticker and prints the last state.
func (p *progress) finish() {
	close(p.stop)
	<-p.done
	p.print(true)
}

func (p *progress) print(last bool) {
	p.mu.Lock()
	defer p.mu.Unlock()
	elapsed := time.Since(p.start)
	line := fmt.Sprintf("files %d/%d, %s/%s", p.files, p.totalFiles, formatBytes(p.bytes), formatBytes(p.totalBytes))
	if p.skipped > 0 {
		line += fmt.Sprintf(" (%d already there)", p.skipped)
	}
	rate := 0.0
	if s := elapsed.Seconds(); s > 0 {
		rate = float64(p.moved) / s
	}
	line += fmt.Sprintf(", %s/s", formatBytes(int64(rate)))
	switch left := p.totalBytes - p.bytes; {
	case last:
		line += fmt.Sprintf(", in %s", elapsed.Round(time.Second/10))
	case left <= 0:
	case rate > 0:
		line += fmt.Sprintf(", ETA %s", (time.Duration(float64(left) / rate * float64(time.Second))).Round(time.Second))
	default:
		line += ", ETA unknown"
	}
	if !p.tty {
		fmt.Fprintln(p.w, line)
		return
	}
	pad := max(p.lastWidth-len(line), 0)
	p.lastWidth = len(line)
	fmt.Fprintf(p.w, "\r%s%*s", line, pad, "")
	if last {
		fmt.Fprintln(p.w)
	}
}

// formatBytes is n in B, kB, MB, GB or TB (powers of 1000), 3 figures.
func formatBytes(n int64) string {
	const unit = 1000
	if n < unit {
		return fmt.Sprintf("%d B", n)
	}
	v, units := float64(n), []string{"kB", "MB", "GB", "TB", "PB"}
	i := -1
	for v >= unit && i < len(units)-1 {
		v /= unit
		i++
	}
	switch {
	case v < 10:
		return fmt.Sprintf("%.2f %s", v, units[i])
	case v < 100:
		return fmt.Sprintf("%.1f %s", v, units[i])
	}
	return fmt.Sprintf("%.0f %s", v, units[i])
}
