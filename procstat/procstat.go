// Package procstat reads figures of a running process from Linux's /proc,
// for the programs that measure Damask (make bench, make soak).
package procstat

import (
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"
)

// RSS is the resident memory of process pid now, in bytes; 0 when it
// cannot be read (the process has gone).
func RSS(pid int) int64 { return statusKB(pid, "VmRSS:") }

// RSSFile is the part of RSS that maps files (the program and its shared
// libraries), in bytes: pages that other processes mapping the same files
// share, and that the system may drop and read again. RSS less RSSFile is
// the memory the process itself allocated.
func RSSFile(pid int) int64 { return statusKB(pid, "RssFile:") }

// statusKB reads a field of /proc/PID/status given in kB, in bytes; 0
// when it cannot be read.
func statusKB(pid int, field string) int64 {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/status", pid))
	if err != nil {
		return 0
	}
	for _, line := range strings.Split(string(b), "\n") {
		if v, ok := strings.CutPrefix(line, field); ok {
			kb, _ := strconv.ParseInt(strings.TrimSuffix(strings.TrimSpace(v), " kB"), 10, 64)
			return kb << 10
		}
	}
	return 0
}

// clockTick is the unit of the CPU times in /proc/PID/stat: USER_HZ, 100
// on every Linux architecture Go supports.
const clockTick = 10 * time.Millisecond

// CPU is the processor time process pid has used so far, in user and
// kernel mode together; 0 when it cannot be read. Its resolution is 10 ms.
func CPU(pid int) time.Duration {
	// utime and stime, fields 14 and 15.
	return statTicks(pid, 14, 15)
}

// statTicks sums fields of /proc/PID/stat, numbered as proc(5) numbers
// them, that count clock ticks; 0 when they cannot be read.
func statTicks(pid int, fields ...int) time.Duration {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return 0
	}
	// The command name, field 2, is in parentheses and may hold spaces:
	// count the fields from its closing one, which field 3 follows.
	i := strings.LastIndexByte(string(b), ')')
	if i < 0 {
		return 0
	}
	f := strings.Fields(string(b[i+1:]))
	var n int64
	for _, k := range fields {
		if k-3 >= len(f) {
			return 0
		}
		v, err := strconv.ParseInt(f[k-3], 10, 64)
		if err != nil {
			return 0
		}
		n += v
	}
	return time.Duration(n) * clockTick
}

// Tree is process pid and its descendants, as /proc lists them now (a
// server with the worker process it started, nginx with its workers).
func Tree(pid int) []int {
	out := []int{pid}
	for i := 0; i < len(out); i++ {
		tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", out[i]))
		if err != nil {
			continue
		}
		for _, task := range tasks {
			b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", out[i], task.Name()))
			if err != nil {
				continue
			}
			for _, f := range strings.Fields(string(b)) {
				if child, err := strconv.Atoi(f); err == nil {
					out = append(out, child)
				}
			}
		}
	}
	return out
}

// TreeRSS is the resident memory of process pid and its descendants now,
// in bytes (pages shared between them counted in each).
func TreeRSS(pid int) int64 {
	var n int64
	for _, p := range Tree(pid) {
		n += RSS(p)
	}
	return n
}

// TreeRSSFile is the part of TreeRSS that maps files.
func TreeRSSFile(pid int) int64 {
	var n int64
	for _, p := range Tree(pid) {
		n += RSSFile(p)
	}
	return n
}

// TreeCPU is the processor time used so far by process pid and its
// descendants, those still running and those that ended and were waited
// for (the kernel adds theirs to their parent's).
func TreeCPU(pid int) time.Duration {
	var n time.Duration
	for _, p := range Tree(pid) {
		n += CPU(p) + waitedCPU(p)
	}
	return n
}

// waitedCPU is the processor time of the children process pid has waited
// for: cutime and cstime, fields 16 and 17 of /proc/PID/stat.
func waitedCPU(pid int) time.Duration { return statTicks(pid, 16, 17) }
