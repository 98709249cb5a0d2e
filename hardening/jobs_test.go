package hardening

import (
	"fmt"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"damask/media/mediatest"
	"damask/postgres/pgtest"
	"damask/servertest"
)

// TestR48_KilledWorkersJob: a worker killed in the middle of a job, or the
// server whose workers run it, or a worker frozen (SIGSTOP, as a paused
// VM or a machine swapping hard), has its job taken up by another worker
// within 60 seconds, though jobs may run for 10 minutes (--job-timeout
// 10m: the lease used to be twice that), on SQLite and on PostgreSQL; a
// live worker whose job outlasts a lease keeps it; and a job never runs in
// two places at once: the frozen worker, woken, stops its job and records
// nothing.
//
// The job is a video's: ffprobe and ffmpeg are stand-ins (tools, below)
// that note each run in a file shared by every process of the test, say
// whether a run of another process is still alive when one starts, and,
// for the worker that must be caught mid-job, wait until told to go on.
func TestR48_KilledWorkersJob(t *testing.T) {
	bin := servertest.Build(t)
	clip := mediatest.Sample(t, "clip.mp4")
	const takenUpWithin = 60 * time.Second

	// killed: the worker holding the job is SIGKILLed, the other one takes
	// it up and the killed one's tool died with it.
	killed := func(t *testing.T, stores []string) {
		tl := newTools(t)
		srv := serveOn(t, bin, nil, stores, "--no-workers")
		a := srv.upload(t, "clip.mp4", "", clip)
		doomed := tl.worker(t, bin, "doomed", true, stores)
		held := tl.waitRun(t, "doomed", 2*time.Minute)
		survivor := tl.worker(t, bin, "survivor", false, stores)
		doomed.Kill()
		gone := time.Now()
		tl.waitRun(t, "survivor", 2*takenUpWithin)
		if took := time.Since(gone); took > takenUpWithin {
			t.Errorf("the job of the killed worker was taken up %v after the kill, want within %v", took.Round(time.Second), takenUpWithin)
		} else {
			t.Logf("taken up %v after the kill", took.Round(time.Second))
		}
		if st := waitProcessed(t, srv.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
			t.Errorf("processing %s %q, want done", st.Processing, st.Error)
		}
		if processAlive(held) {
			t.Errorf("the killed worker's tool (pid %s) still runs", held)
		}
		tl.checkOnce(t, survivor, doomed)
	}

	t.Run("worker killed", func(t *testing.T) {
		t.Parallel()
		killed(t, []string{"--data", filepath.Join(t.TempDir(), "data")})
	})

	t.Run("worker killed, postgres", func(t *testing.T) {
		t.Parallel()
		killed(t, []string{"--data", filepath.Join(t.TempDir(), "data"), "--db", pgtest.Database(t, "")})
	})

	t.Run("server killed", func(t *testing.T) {
		t.Parallel()
		tl := newTools(t)
		stores := []string{"--data", filepath.Join(t.TempDir(), "data")}
		srv := serveOn(t, bin, tl.env(t, "server", true), stores, "--job-timeout", "10m")
		a := srv.upload(t, "clip.mp4", "", clip)
		held := tl.waitRun(t, "server", 2*time.Minute)
		survivor := tl.worker(t, bin, "survivor", false, stores)
		srv.Kill()
		gone := time.Now()
		tl.waitRun(t, "survivor", 2*takenUpWithin)
		if took := time.Since(gone); took > takenUpWithin {
			t.Errorf("the job of the killed server was taken up %v after the kill, want within %v", took.Round(time.Second), takenUpWithin)
		} else {
			t.Logf("taken up %v after the kill", took.Round(time.Second))
		}
		again := serveOn(t, bin, nil, stores, "--no-workers")
		if st := waitProcessed(t, again.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
			t.Errorf("processing %s %q, want done", st.Processing, st.Error)
		}
		if processAlive(held) {
			t.Errorf("the killed server's tool (pid %s) still runs", held)
		}
		tl.checkOnce(t, survivor, srv.Server)
	})

	t.Run("worker frozen", func(t *testing.T) {
		t.Parallel()
		tl := newTools(t)
		stores := []string{"--data", filepath.Join(t.TempDir(), "data")}
		srv := serveOn(t, bin, nil, stores, "--no-workers")
		a := srv.upload(t, "clip.mp4", "", clip)
		frozen := tl.worker(t, bin, "frozen", true, stores)
		held := tl.waitRun(t, "frozen", 2*time.Minute)
		survivor := tl.worker(t, bin, "survivor", false, stores)
		// The whole machine stops, tools included; SIGKILL at the end of
		// the test ends them whatever their state.
		pid, _ := strconv.Atoi(held)
		for _, p := range []int{frozen.PID(), pid} {
			if err := syscall.Kill(p, syscall.SIGSTOP); err != nil {
				t.Fatal(err)
			}
		}
		stopped := time.Now()
		tl.waitRun(t, "survivor", 2*takenUpWithin)
		if took := time.Since(stopped); took > takenUpWithin {
			t.Errorf("the job of the frozen worker was taken up %v after it froze, want within %v", took.Round(time.Second), takenUpWithin)
		}
		if st := waitProcessed(t, srv.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
			t.Errorf("processing %s %q, want done", st.Processing, st.Error)
		}
		// Woken (its tool is not: only the worker can end it), the worker
		// finds its lease lost, kills the tool and records nothing.
		if err := syscall.Kill(frozen.PID(), syscall.SIGCONT); err != nil {
			t.Fatal(err)
		}
		waitLog(t, frozen, `msg="job stopped"`)
		deadline := time.Now().Add(time.Minute)
		for processAlive(held) && time.Now().Before(deadline) {
			time.Sleep(50 * time.Millisecond)
		}
		if processAlive(held) {
			t.Errorf("the woken worker's tool (pid %s) still runs a minute after it stopped the job", held)
		}
		if st := assetState(t, srv.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
			t.Errorf("after the woken worker stopped: processing %s %q, want done", st.Processing, st.Error)
		}
		tl.checkOnce(t, survivor, frozen)
	})

	t.Run("long job kept", func(t *testing.T) {
		t.Parallel()
		tl := newTools(t)
		stores := []string{"--data", filepath.Join(t.TempDir(), "data")}
		srv := serveOn(t, bin, nil, stores, "--no-workers")
		a := srv.upload(t, "clip.mp4", "", clip)
		holder := tl.worker(t, bin, "holder", true, stores)
		tl.waitRun(t, "holder", 2*time.Minute)
		other := tl.worker(t, bin, "other", false, stores)
		// Longer than a lease (30 s) and the other's poll: without a
		// renewal the other worker would take the job meanwhile.
		time.Sleep(40 * time.Second)
		tl.release(t, "holder")
		if st := waitProcessed(t, srv.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
			t.Errorf("processing %s %q, want done", st.Processing, st.Error)
		}
		if runs := tl.runs(t, "other"); len(runs) > 0 {
			t.Errorf("the other worker ran %v on the job of a live worker", runs)
		}
		tl.checkOnce(t, holder, other)
	})
}

// serveOn starts `damask serve` on the stores (their flags) with env and
// the extra flags, and switches the default account's API on.
func serveOn(t *testing.T, bin string, env, stores []string, extra ...string) *library {
	t.Helper()
	s := servertest.Start(t, bin, env, "Damask is listening on ",
		append(append([]string{"serve", "--addr", "127.0.0.1:0"}, stores...), extra...)...)
	if out, err := servertest.Command(t, bin, nil, append([]string{"account", "api", "default", "on"}, stores...)...); err != nil {
		t.Fatalf("account api default on: %v\n%s", err, out)
	}
	admin := servertest.Admin(t, s)
	s.WaitReady(admin.HTTP)
	return &library{Server: s, admin: admin}
}

// tools are stand-ins for ffprobe and ffmpeg, one folder of them per
// process of a test (named by the test), in a folder they share:
//
//   - runs: a line "PROCESS TOOL PID" for every run;
//   - run/PROCESS.PID: a file for every run;
//   - overlaps: a line for every run that started while a run of another
//     process was alive (neither gone, a zombie nor stopped);
//   - hold-PROCESS: while it exists, the process's runs wait before they
//     become the real tool (exec, same pid).
type tools struct {
	dir  string
	real map[string]string
}

func newTools(t *testing.T) *tools {
	tl := &tools{dir: t.TempDir(), real: map[string]string{}}
	for _, name := range []string{"ffprobe", "ffmpeg"} {
		p, err := exec.LookPath(name)
		if err != nil {
			t.Skipf("%s: %v", name, err)
		}
		tl.real[name] = p
	}
	if err := os.Mkdir(filepath.Join(tl.dir, "run"), 0o755); err != nil {
		t.Fatal(err)
	}
	// A stand-in left waiting (its process killed without it) is ended
	// here: the pids noted are those of the stand-ins alone.
	t.Cleanup(func() {
		ents, _ := os.ReadDir(filepath.Join(tl.dir, "run"))
		for _, e := range ents {
			_, pid, _ := strings.Cut(e.Name(), ".")
			if cmd, err := os.ReadFile("/proc/" + pid + "/cmdline"); err == nil && strings.Contains(string(cmd), tl.dir) {
				p, _ := strconv.Atoi(pid)
				syscall.Kill(p, syscall.SIGKILL)
			}
		}
	})
	return tl
}

// env is the environment of process name: its stand-ins first in PATH;
// held makes its runs wait until release.
func (tl *tools) env(t *testing.T, name string, held bool) []string {
	t.Helper()
	bin := filepath.Join(tl.dir, "bin-"+name)
	if err := os.Mkdir(bin, 0o755); err != nil {
		t.Fatal(err)
	}
	if held {
		if err := os.WriteFile(filepath.Join(tl.dir, "hold-"+name), nil, 0o644); err != nil {
			t.Fatal(err)
		}
	}
	for tool, real := range tl.real {
		script := fmt.Sprintf(`#!/bin/sh
d='%[1]s'
echo $$ > "$d/run/%[2]s.$$"
for f in "$d"/run/*; do
	case "$f" in "$d/run/%[2]s".*) continue ;; esac
	s=$(sed 's/.*) //' "/proc/${f##*.}/stat" 2>/dev/null | cut -c1)
	case "$s" in ''|Z|T|t) ;; *) echo "%[2]s started %[3]s while ${f##*/} ran" >> "$d/overlaps" ;; esac
done
echo "%[2]s %[3]s $$" >> "$d/runs"
while [ -e "$d/hold-%[2]s" ]; do sleep 0.1; done
exec '%[4]s' "$@"
`, tl.dir, name, tool, real)
		if err := os.WriteFile(filepath.Join(bin, tool), []byte(script), 0o755); err != nil {
			t.Fatal(err)
		}
	}
	return []string{"PATH=" + bin + ":" + os.Getenv("PATH")}
}

// worker starts `damask worker` (one job at a time, 10 minutes allowed
// each) as process name on the stores.
func (tl *tools) worker(t *testing.T, bin, name string, held bool, stores []string) *servertest.Server {
	t.Helper()
	return servertest.Start(t, bin, tl.env(t, name, held), "Damask worker is running",
		append([]string{"worker", "--workers", "1", "--job-timeout", "10m"}, stores...)...)
}

// release lets process name's runs go on.
func (tl *tools) release(t *testing.T, name string) {
	t.Helper()
	if err := os.Remove(filepath.Join(tl.dir, "hold-"+name)); err != nil {
		t.Fatal(err)
	}
}

// runs answers the runs of process name so far, as "TOOL PID".
func (tl *tools) runs(t *testing.T, name string) []string {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(tl.dir, "runs"))
	if err != nil && !os.IsNotExist(err) {
		t.Fatal(err)
	}
	var runs []string
	for _, line := range strings.Split(string(b), "\n") {
		if rest, ok := strings.CutPrefix(line, name+" "); ok {
			runs = append(runs, rest)
		}
	}
	return runs
}

// waitRun waits up to within for process name's first run and answers its
// pid.
func (tl *tools) waitRun(t *testing.T, name string, within time.Duration) string {
	t.Helper()
	deadline := time.Now().Add(within)
	for {
		if runs := tl.runs(t, name); len(runs) > 0 {
			_, pid, _ := strings.Cut(runs[0], " ")
			return pid
		}
		if time.Now().After(deadline) {
			t.Fatalf("%s ran no tool within %v", name, within)
		}
		time.Sleep(100 * time.Millisecond)
	}
}

// checkOnce checks that no run started while another process's was
// alive, and that the job was recorded done once, by winner, and neither
// done nor failed by the others; no process logged what it must not.
func (tl *tools) checkOnce(t *testing.T, winner *servertest.Server, others ...*servertest.Server) {
	t.Helper()
	if b, err := os.ReadFile(filepath.Join(tl.dir, "overlaps")); err == nil {
		t.Errorf("the job ran in two places at once:\n%s", b)
	}
	waitLog(t, winner, `msg="job done"`) // logged just after the asset shows done
	if n := strings.Count(winner.Log(), `msg="job done"`); n != 1 {
		t.Errorf("the worker that took the job up logged %d jobs done, want 1", n)
	}
	winner.CheckLog()
	for _, o := range others {
		for _, bad := range []string{`msg="job done"`, `msg="job failed"`} {
			if strings.Contains(o.Log(), bad) {
				t.Errorf("the worker that lost the job logged %s", bad)
			}
		}
		o.CheckLog()
	}
}
