package main

import (
	"context"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"os/exec"
	"runtime"
	"syscall"
	"time"

	"damask"
)

// childWorker runs a server's jobs in a `damask worker --for-server`
// process of its own: the server never starts libvips (whose libraries
// and caches hold tens of megabytes once a file was rendered), and a
// decoder that crashes ends the child, not the server. A child starts when
// a client begins to send a file here (Prepare: the job follows once the
// file is stored, and the child's start, about a second on a busy machine,
// runs beside the upload rather than after it), when a job is queued here
// (and is woken through its standard input while it runs), or when the
// queue, asked at the start and once a minute, holds a job queued by
// another process or due for a retry. It starts its tools as it starts and
// ends after childIdle without a job, handing its memory back. A child that fails is started again after a pause that
// grows while it keeps failing. It ends with the server: at its SIGTERM,
// or when its standard input closes because the server died.
type childWorker struct {
	exe    string
	args   []string // "worker", "--for-server" and the storage flags
	stderr io.Writer
	log    *slog.Logger
	wake   chan struct{}
	// prepare asks for a child without waking one that runs.
	prepare chan struct{}
}

// childIdle is how long a server's worker process waits for a job before
// it ends; childSweep how often the server asks the queue for jobs.
const (
	childIdle  = 10 * time.Second
	childSweep = time.Minute
)

// childWorkers is how many jobs a server's worker process runs at once
// unless --workers says: two per core. A photo's thumbnail stage waits
// for the disk about a third of its time (each of its three thumbnails is
// a file fsynced, its folder fsynced and a record committed, besides the
// claim and the next stage's commit: 11 fsyncs, about 50 of a job's 170
// ms, measured on 200 12 MP photos), and with one job per core the cores
// stood idle meanwhile. The peak memory of the batch grows with it (each
// job of the large previews decodes the whole image); the memory at rest
// does not, as the process ends once the queue is empty.
func childWorkers() int { return 2 * runtime.GOMAXPROCS(0) }

// newChildWorker is the child of a server whose storage flags (and
// --allow-outgoing, --job-timeout) were given as storageArgs; it answers
// nil when this program cannot find its own file, and the server then runs
// its jobs itself.
func newChildWorker(storageArgs []string, stderr io.Writer, log *slog.Logger) *childWorker {
	exe, err := os.Executable()
	if err != nil {
		log.Warn("jobs run in the server: its program file is unknown", "err", err)
		return nil
	}
	args := append([]string{"worker", "--for-server", "--webhook-workers", "0"}, storageArgs...)
	return &childWorker{exe: exe, args: args, stderr: stderr, log: log,
		wake: make(chan struct{}, 1), prepare: make(chan struct{}, 1)}
}

// Prepare starts a child if none runs, without telling it of a job: a
// file is coming, and its job will be queued once it is stored. A child
// that runs is left alone (its next look would find nothing). It never
// blocks.
func (c *childWorker) Prepare() {
	select {
	case c.prepare <- struct{}{}:
	default:
	}
}

// Wake tells the child that a job is waiting, starting it if none runs.
// It never blocks: a wake not yet passed on covers this one.
func (c *childWorker) Wake() {
	select {
	case c.wake <- struct{}{}:
	default:
	}
}

// run starts children as jobs come until ctx ends, then stops the one
// running, waiting for its jobs in flight (30 s at most). It asks the
// queue at its start and at every sweep whether a job is ready, so that
// no child starts for nothing.
func (c *childWorker) run(ctx context.Context, queue damask.JobQueue) {
	ready := func() bool {
		ok, err := queue.JobsReady(ctx)
		if err != nil && ctx.Err() == nil {
			c.log.Error("job queue: look for jobs", "err", err)
			return true // the child will look for itself
		}
		return ok
	}
	if ready() {
		c.Wake()
	}
	sweep := time.NewTicker(childSweep)
	defer sweep.Stop()
	pause := time.Second
	for {
		select {
		case <-ctx.Done():
			return
		case <-c.wake:
		case <-c.prepare:
		case <-sweep.C:
			if !ready() {
				continue
			}
		}
		began := time.Now()
		err := c.once(ctx)
		if ctx.Err() != nil {
			return
		}
		if err != nil {
			if time.Since(began) > time.Minute {
				pause = time.Second
			}
			c.log.Error("the worker process failed; starting another", "err", err, "after", pause)
			select {
			case <-ctx.Done():
				return
			case <-time.After(pause):
			}
			pause = min(2*pause, time.Minute)
			c.Wake()
		}
	}
}

// once runs one child until it ends (nil when it ended for want of work)
// or ctx does.
func (c *childWorker) once(ctx context.Context) error {
	cmd := exec.Command(c.exe, c.args...)
	cmd.Stdout = io.Discard // "Damask worker is running"; the log says it too
	cmd.Stderr = c.stderr
	wakes, err := cmd.StdinPipe()
	if err != nil {
		return fmt.Errorf("worker process: %w", err)
	}
	if err := cmd.Start(); err != nil {
		return fmt.Errorf("start the worker process: %w", err)
	}
	ended := make(chan error, 1)
	go func() { ended <- cmd.Wait() }()
	var woken, prepared time.Time
	for {
		select {
		case <-c.wake:
			// A child that has just ended fails the write; the next
			// child's first look finds the job.
			woken = time.Now()
			_, _ = wakes.Write([]byte{'\n'})
		case <-c.prepare:
			// A child runs already, unless it has just ended: see below.
			prepared = time.Now()
		case err := <-ended:
			if err != nil {
				return fmt.Errorf("worker process: %w", err)
			}
			// A job queued as the child decided to end would wait for
			// the next sweep: look again at once.
			if time.Since(woken) < 2*time.Second {
				c.Wake()
			}
			// So would a file that began to come then, until its job.
			if time.Since(prepared) < 2*time.Second {
				c.Prepare()
			}
			return nil
		case <-ctx.Done():
			_ = cmd.Process.Signal(syscall.SIGTERM)
			select {
			case <-ended:
			case <-time.After(30 * time.Second):
				_ = cmd.Process.Kill()
				<-ended
			}
			return nil
		}
	}
}

// forServer reads a server's wakes from r (a line each) into wake, and
// cancels the child's work when r ends: the server has gone.
func forServer(ctx context.Context, r io.Reader, wake func()) context.Context {
	ctx, cancel := context.WithCancel(ctx)
	go func() {
		defer cancel()
		buf := make([]byte, 64)
		for {
			n, err := r.Read(buf)
			if n > 0 {
				wake()
			}
			if err != nil {
				return
			}
		}
	}()
	return ctx
}

// childArgs are the flags of fs that a child worker must be given too:
// those set on the command line that the worker command also reads. The
// environment (DAMASK_DB and the like) the child inherits.
func childArgs(fs *flag.FlagSet) []string {
	worker := flag.NewFlagSet("worker", flag.ContinueOnError)
	var st storage
	st.register(worker)
	st.registerOutgoing(worker)
	jobTimeoutFlag(worker)
	var args []string
	fs.Visit(func(f *flag.Flag) {
		if worker.Lookup(f.Name) != nil {
			args = append(args, "--"+f.Name+"="+f.Value.String())
		}
	})
	return args
}
