//go:build !linux

package main

import "syscall"

// yieldCPU lowers the process's scheduling priority to nice n (see the
// Linux version, which lowers each thread).
func yieldCPU(n int) error { return syscall.Setpriority(syscall.PRIO_PROCESS, 0, n) }
