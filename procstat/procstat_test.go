package procstat

import (
	"os"
	"os/exec"
	"slices"
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
	// The test's binary runs from its file: some of it is resident, and
	// never more than the whole.
	if n, all := RSSFile(os.Getpid()), RSS(os.Getpid()); n <= 0 || n > all {
		t.Errorf("RSSFile of this test = %d bytes of %d", n, all)
	}
	if n := RSSFile(-1); n != 0 {
		t.Errorf("RSSFile of no process = %d", n)
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

// TestTree: a child's memory and processor time count in its parent's
// tree, the time still once the child has ended and been waited for.
func TestTree(t *testing.T) {
	child := exec.Command("sh", "-c", "i=0; while [ $i -lt 200000 ]; do i=$((i+1)); done; sleep 30")
	if err := child.Start(); err != nil {
		t.Fatal(err)
	}
	defer child.Process.Kill()
	me := os.Getpid()
	deadline := time.Now().Add(time.Minute)
	for !slices.Contains(Tree(me), child.Process.Pid) || CPU(child.Process.Pid) < 50*time.Millisecond {
		if time.Now().After(deadline) {
			t.Fatalf("tree %v, child's CPU %v", Tree(me), CPU(child.Process.Pid))
		}
		time.Sleep(10 * time.Millisecond)
	}
	if TreeRSS(me) <= RSS(me) {
		t.Errorf("tree RSS %d, own %d", TreeRSS(me), RSS(me))
	}
	// The shell maps its own program and libraries.
	if TreeRSSFile(me) <= RSSFile(me) {
		t.Errorf("tree RSSFile %d, own %d", TreeRSSFile(me), RSSFile(me))
	}
	spent := CPU(child.Process.Pid)
	child.Process.Kill()
	child.Wait()
	if got := TreeCPU(me) - CPU(me); got < spent {
		t.Errorf("the ended child's CPU: %v in the tree, it had spent %v", got, spent)
	}
}
