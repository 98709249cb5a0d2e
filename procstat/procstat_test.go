package procstat

import (
	"os"
	"testing"
	"time"
)

func TestRSS(t *testing.T) {
	if n := RSS(os.Getpid()); n < 1<<20 || n > 1<<36 {
		t.Errorf("RSS of this test = %d bytes", n)
	}
	if n := RSS(-1); n != 0 {
		t.Errorf("RSS of no process = %d", n)
	}
}

func TestCPU(t *testing.T) {
	before := CPU(os.Getpid())
	// Spin until the process's own count has moved by a few ticks: a
	// busy machine only makes this take longer.
	x := 0
	for CPU(os.Getpid()) < before+50*time.Millisecond {
		for i := range 1_000_000 {
			x += i
		}
	}
	if n := CPU(os.Getpid()); n <= 0 || n > time.Hour {
		t.Errorf("CPU of this test = %v (%d)", n, x)
	}
	if n := CPU(-1); n != 0 {
		t.Errorf("CPU of no process = %v", n)
	}
}
