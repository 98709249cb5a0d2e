package subproc

import (
	"bufio"
	"bytes"
	"context"
	"errors"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"
)

// The children here are perl one-liners: perl is on every machine that runs
// exiftool, and it allocates, spins and writes on request.
func TestLimits(t *testing.T) {
	dir := t.TempDir()
	tests := []struct {
		name    string
		lim     Limits
		args    []string
		limited bool   // the error wraps ErrLimit
		reason  string // in the message
	}{
		{name: "within limits", lim: Limits{}, args: []string{"-e", `my $x = "a" x (8<<20); print length $x`}},
		{name: "memory", lim: Limits{Memory: 64 << 20}, args: []string{"-e", `my $x = "a" x (512<<20); print length $x`},
			limited: true, reason: "out of memory (limit 64 MiB)"},
		{name: "cpu", lim: Limits{CPU: time.Second}, args: []string{"-e", `1 while 1`},
			limited: true, reason: "CPU time"},
		{name: "file size", lim: Limits{FileSize: 1 << 20}, args: []string{"-e",
			`open my $f, ">", $ARGV[0] or die; print $f "a" x 1024 for 1..4096; close $f or die "close: $!"`,
			filepath.Join(dir, "big")},
			limited: true, reason: "over 1 MiB"},
		{name: "plain failure", lim: Limits{}, args: []string{"-e", `die "bad input\n"`}},
	}
	for _, tc := range tests {
		t.Run(tc.name, func(t *testing.T) {
			cmd := Command(context.Background(), tc.lim, "perl", tc.args...)
			var stderr bytes.Buffer
			cmd.Stderr = &stderr
			err := cmd.Run()
			why := Explain("perl", cmd.ProcessState, stderr.String(), tc.lim)
			t.Logf("run: %v; stderr %q; explained: %v", err, stderr.String(), why)
			if tc.limited {
				if !errors.Is(why, ErrLimit) {
					t.Fatalf("Explain = %v, want ErrLimit", why)
				}
				if !strings.Contains(why.Error(), tc.reason) {
					t.Errorf("Explain = %v, want it to say %q", why, tc.reason)
				}
				return
			}
			if why != nil {
				t.Errorf("Explain = %v, want nil", why)
			}
			if tc.name == "within limits" && err != nil {
				t.Errorf("run: %v", err)
			}
		})
	}
}

// TestKillsProcessGroup: when the context ends, a grandchild dies with the
// child, and Wait does not hang on the pipe the grandchild holds.
func TestKillsProcessGroup(t *testing.T) {
	ctx, cancel := context.WithCancel(context.Background())
	defer cancel()
	cmd := Command(ctx, Limits{}, "perl", "-e", `$| = 1; my $p = fork(); if (!$p) { sleep 60; exit } print "$p\n"; sleep 60`)
	stdout, err := cmd.StdoutPipe()
	if err != nil {
		t.Fatal(err)
	}
	if err := cmd.Start(); err != nil {
		t.Fatal(err)
	}
	line, err := bufio.NewReader(stdout).ReadString('\n')
	if err != nil {
		t.Fatalf("read the grandchild's pid: %v", err)
	}
	pid, err := strconv.Atoi(strings.TrimSpace(line))
	if err != nil {
		t.Fatalf("grandchild pid %q: %v", line, err)
	}
	cancel()
	start := time.Now()
	if err := cmd.Wait(); err == nil {
		t.Error("Wait = nil, want killed")
	}
	if took := time.Since(start); took > 10*time.Second {
		t.Errorf("Wait took %v", took)
	}
	// Dead, or a zombie waiting for a reaper: either way not running.
	for range 500 {
		if gone(pid) {
			return
		}
		time.Sleep(20 * time.Millisecond)
	}
	t.Errorf("grandchild %d still running", pid)
}

func gone(pid int) bool {
	if err := syscall.Kill(pid, 0); errors.Is(err, syscall.ESRCH) {
		return true
	}
	b, err := os.ReadFile("/proc/" + strconv.Itoa(pid) + "/stat")
	if err != nil {
		return true
	}
	f := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
	return len(f) > 0 && (f[0] == "Z" || f[0] == "X")
}

func TestMissingTool(t *testing.T) {
	cmd := Command(context.Background(), Limits{}, "damask-no-such-tool")
	var stderr bytes.Buffer
	cmd.Stderr = &stderr
	if err := cmd.Run(); err == nil {
		t.Fatal("a missing tool ran")
	}
	if why := Explain("x", cmd.ProcessState, stderr.String(), Limits{}); why != nil {
		t.Errorf("Explain = %v, want nil (not a limit)", why)
	}
}

func TestLimitsString(t *testing.T) {
	got := Limits{Memory: 1 << 30, CPU: 60 * time.Second}.String()
	if want := "memory 1 GiB, CPU 1m0s, file size 512 MiB"; got != want {
		t.Errorf("String = %q, want %q", got, want)
	}
}
