package procstat

import (
	"os"
	"testing"
)

func TestRSS(t *testing.T) {
	if n := RSS(os.Getpid()); n < 1<<20 || n > 1<<36 {
		t.Errorf("RSS of this test = %d bytes", n)
	}
	if n := RSS(-1); n != 0 {
		t.Errorf("RSS of no process = %d", n)
	}
}
