// Package subproc runs the outside tools Damask hands user files to
// (ffmpeg, ffprobe, exiftool, pdftotext) as child processes under limits.
//
// A tool is fed hostile files, so besides the time limit that its caller's
// context sets, each child gets, through prlimit(1) (util-linux, present on
// every Debian), resource limits that the kernel enforces:
//
//   - address space (RLIMIT_AS), so a decoder that a crafted file drives
//     to allocate without end fails its allocation instead of driving the
//     machine into swap or the OOM killer into the server;
//   - CPU time (RLIMIT_CPU), a second bound beside the wall-clock one;
//   - the size of a file it writes (RLIMIT_FSIZE), so a frame or preview
//     written to a temporary folder cannot fill the disk;
//   - no core dumps (RLIMIT_CORE 0): a tool crashing on a bad file would
//     otherwise write its memory, and so the file, to disk.
//
// The child runs with no shell, a minimal environment (PATH and LC_ALL=C)
// and in a process group of its own, which is killed whole when the
// context ends. It is also killed when this process dies, even by SIGKILL
// (the kernel's parent-death signal), so that a tool never works on for a
// worker that is gone while another worker takes up the same job. Tools
// take their input as a path; none of them is given a network address
// (ffmpeg is held to the file protocol by its callers).
package subproc

import (
	"context"
	"errors"
	"fmt"
	"os"
	"os/exec"
	"strconv"
	"strings"
	"syscall"
	"time"
)

// Defaults for Limits.
const (
	// DefaultMemory is enough for ffmpeg (which maps about 250 MiB of
	// shared libraries before it reads a byte) to decode a 100-megapixel
	// frame with one thread.
	DefaultMemory = 1 << 30
	// DefaultFileSize bounds each file a tool writes.
	DefaultFileSize = 512 << 20
)

// ErrLimit is wrapped by the errors of a child that was stopped by one of
// its limits or failed for want of memory under them. Such a failure is the
// file's doing and retrying it gives the same result.
var ErrLimit = errors.New("over its resource limits")

// Limits bound one child. Zero values take the defaults; a negative value
// means no limit of that kind.
type Limits struct {
	Memory   int64         // bytes of address space (RLIMIT_AS); default DefaultMemory
	CPU      time.Duration // CPU time (RLIMIT_CPU), whole seconds, rounded up; default none
	FileSize int64         // bytes of any one file written (RLIMIT_FSIZE); default DefaultFileSize
}

func (l Limits) withDefaults() Limits {
	if l.Memory == 0 {
		l.Memory = DefaultMemory
	}
	if l.FileSize == 0 {
		l.FileSize = DefaultFileSize
	}
	return l
}

// String describes the limits for error messages: "memory 1 GiB, CPU 60s".
func (l Limits) String() string {
	l = l.withDefaults()
	var parts []string
	if l.Memory > 0 {
		parts = append(parts, "memory "+bytesString(l.Memory))
	}
	if l.CPU > 0 {
		parts = append(parts, "CPU "+l.CPU.String())
	}
	if l.FileSize > 0 {
		parts = append(parts, "file size "+bytesString(l.FileSize))
	}
	return strings.Join(parts, ", ")
}

func bytesString(n int64) string {
	switch {
	case n >= 1<<30 && n%(1<<30) == 0:
		return strconv.FormatInt(n>>30, 10) + " GiB"
	case n >= 1<<20:
		return strconv.FormatInt(n>>20, 10) + " MiB"
	}
	return strconv.FormatInt(n, 10) + " bytes"
}

// prlimitArgs are prlimit's options for l, soft and hard limit alike
// (CPU: the hard limit a second later, so the soft one's SIGXCPU is seen).
func (l Limits) prlimitArgs() []string {
	l = l.withDefaults()
	args := []string{"--core=0"}
	if l.Memory > 0 {
		args = append(args, fmt.Sprintf("--as=%d", l.Memory))
	}
	if l.CPU > 0 {
		s := int64((l.CPU + time.Second - 1) / time.Second)
		args = append(args, fmt.Sprintf("--cpu=%d:%d", s, s+1))
	}
	if l.FileSize > 0 {
		args = append(args, fmt.Sprintf("--fsize=%d", l.FileSize))
	}
	return args
}

// Command returns a command that runs the tool name with args under lim.
// When ctx ends, the child's whole process group is killed; Wait then
// returns within two seconds even if a grandchild holds a pipe open. ctx
// may be context.Background() for a long-lived child (exiftool
// -stay_open) that its owner kills with Kill.
//
// The caller sets Stdin, Stdout and Stderr and starts it; Explain turns
// its failure into a reason.
func Command(ctx context.Context, lim Limits, name string, args ...string) *exec.Cmd {
	prlimit, err := exec.LookPath("prlimit")
	full := append(lim.prlimitArgs(), "--", name)
	full = append(full, args...)
	cmd := exec.CommandContext(ctx, prlimit, full...)
	if err != nil {
		cmd.Err = fmt.Errorf("run %s under limits: %w", name, err)
	}
	cmd.Env = []string{"PATH=" + os.Getenv("PATH"), "LC_ALL=C"}
	// Pdeathsig follows the thread that starts the child: Go ends a thread
	// only under a goroutine that locked it and exited, and no caller
	// starts tools from such a goroutine.
	cmd.SysProcAttr = &syscall.SysProcAttr{Setpgid: true, Pdeathsig: syscall.SIGKILL}
	cmd.Cancel = func() error { return Kill(cmd) }
	cmd.WaitDelay = 2 * time.Second
	return cmd
}

// Kill kills the started command's process group.
func Kill(cmd *exec.Cmd) error {
	if cmd.Process == nil {
		return nil
	}
	// The child leads its group (Setpgid), so its pid is the group's id.
	if err := syscall.Kill(-cmd.Process.Pid, syscall.SIGKILL); err != nil && !errors.Is(err, syscall.ESRCH) {
		return cmd.Process.Kill()
	}
	return nil
}

// outOfMemory are what tools and the dynamic loader print when an
// allocation or a mapping fails under RLIMIT_AS.
var outOfMemory = []string{
	"cannot allocate memory",
	"out of memory",
	"failed to map segment",
	"failed to allocate",
	"bad_alloc",
	"memory exhausted",
	"memory allocation failed",
	"insufficient memory",
}

// Explain says why a child failed, given what Wait returned, the state of
// the process (nil if it never ran) and its stderr. The result wraps
// ErrLimit when a limit stopped it (a limit signal, or an allocation
// failure reported on stderr or by a crash); otherwise it is nil and the
// caller reports the failure its own way.
func Explain(name string, state *os.ProcessState, stderr string, lim Limits) error {
	if state == nil {
		return nil
	}
	lim = lim.withDefaults()
	low := strings.ToLower(stderr)
	for _, s := range outOfMemory {
		if strings.Contains(low, s) {
			return fmt.Errorf("%s ran out of memory (limit %s): %w", name, bytesString(lim.Memory), ErrLimit)
		}
	}
	ws, ok := state.Sys().(syscall.WaitStatus)
	if !ok || !ws.Signaled() {
		return nil
	}
	switch sig := ws.Signal(); sig {
	case syscall.SIGXCPU:
		return fmt.Errorf("%s used its %s of CPU time: %w", name, lim.CPU, ErrLimit)
	case syscall.SIGKILL:
		// Not the caller's kill (it checks its context first): the CPU
		// hard limit, or the kernel's OOM killer.
		return fmt.Errorf("%s was killed under its limits (%s): %w", name, lim, ErrLimit)
	case syscall.SIGXFSZ:
		return fmt.Errorf("%s wrote a file over %s: %w", name, bytesString(lim.FileSize), ErrLimit)
	case syscall.SIGSEGV, syscall.SIGABRT, syscall.SIGBUS:
		// Under RLIMIT_AS a failed allocation that the tool does not check
		// ends in one of these; so does a crash on a malformed file. Either
		// way the file is at fault and a retry gives the same.
		return fmt.Errorf("%s crashed (%s) under its limits (%s): %w", name, sig, lim, ErrLimit)
	}
	return nil
}
