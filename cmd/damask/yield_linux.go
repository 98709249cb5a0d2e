package main

import (
	"os"
	"strconv"
	"syscall"
)

// yieldCPU lowers this process's scheduling priority to nice n, so that
// the server's requests get the CPU first when the two compete. Linux
// keeps a nice value for each thread, and a new thread takes the value of
// the thread that made it: every thread there is now is lowered, twice
// over, so that one made meanwhile by a thread not yet lowered is caught
// too. The tools it starts (exiftool, ffmpeg) inherit the value.
func yieldCPU(n int) error {
	var last error
	for range 2 {
		tasks, err := os.ReadDir("/proc/self/task")
		if err != nil {
			return err
		}
		for _, t := range tasks {
			tid, err := strconv.Atoi(t.Name())
			if err != nil {
				continue
			}
			if err := syscall.Setpriority(syscall.PRIO_PROCESS, tid, n); err != nil {
				last = err
			}
		}
	}
	return last
}
