package main

import (
	"bytes"
	"fmt"
	"io"
	"net/http"
	"os"
	"path/filepath"
	"slices"
	"strconv"
	"strings"
	"syscall"
	"testing"
	"time"

	"damask/servertest"
)

// TestChildWorker: a server runs its jobs in a worker process of its own,
// started when a job comes and ended when none has come for a while,
// started again when it dies (a decoder's crash, a SIGKILL), and gone
// when the server goes, even by SIGKILL.
func TestChildWorker(t *testing.T) {
	bin := servertest.Build(t)
	data := t.TempDir()
	srv := servertest.Serve(t, bin, data)
	if out, err := servertest.Command(t, bin, nil, "account", "api", "default", "on", "--data", data); err != nil {
		t.Fatalf("account api: %v\n%s", err, out)
	}
	c := &http.Client{Timeout: time.Minute}
	srv.WaitReady(c)
	jpeg, err := os.ReadFile("../../media/testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	processed := func(i int) {
		t.Helper()
		id := createFile(t, c, srv, fmt.Sprintf("child-%d.jpg", i), append(append([]byte{}, jpeg...), fmt.Sprint(i)...))
		deadline := time.Now().Add(3 * time.Minute)
		for a := getAsset(t, c, srv, id); a.Processing != "done"; a = getAsset(t, c, srv, id) {
			if a.Processing != "pending" || time.Now().After(deadline) {
				t.Fatalf("asset %s: processing %q (%s)\n%s", id, a.Processing, a.Error, srv.Log())
			}
			time.Sleep(50 * time.Millisecond)
		}
	}

	// No job, no child.
	waitGone := func(what string) {
		t.Helper()
		for deadline := time.Now().Add(2 * time.Minute); childOf(t, srv.PID()) != 0; time.Sleep(100 * time.Millisecond) {
			if time.Now().After(deadline) {
				t.Fatalf("%s: the worker process still runs\n%s", what, srv.Log())
			}
		}
	}
	waitGone("without jobs")
	// A file starts one; once its job is done and no other comes, it ends.
	processed(1)
	waitGone("after its job")
	if !strings.Contains(srv.Log(), "no job for a while: the workers stop") {
		t.Errorf("the worker did not say why it ended\n%s", srv.Log())
	}

	// A file being sent starts one once its first megabyte has come,
	// before the file is stored and its job queued; with no job after
	// all, it ends again.
	coming := append(append([]byte{}, jpeg...), bytes.Repeat([]byte("coming "), 1<<20/7+1)...)
	pr, pw := io.Pipe()
	answered := make(chan error, 1)
	go func() {
		req, err := http.NewRequest(http.MethodPost, srv.URL("/api/upload.xml?filename=coming.jpg"), pr)
		if err != nil {
			answered <- err
			return
		}
		req.SetBasicAuth("admin", servertest.AdminPassword)
		res, err := c.Do(req)
		if err == nil {
			b, _ := io.ReadAll(res.Body)
			res.Body.Close()
			if res.StatusCode != http.StatusCreated {
				err = fmt.Errorf("POST /api/upload.xml: %d %s", res.StatusCode, b)
			}
		}
		pr.CloseWithError(io.ErrUnexpectedEOF) // unblocks the writes below if the server stopped reading
		answered <- err
	}()
	if _, err := pw.Write(coming[:1<<20+1]); err != nil {
		t.Fatalf("send the first half: %v", err)
	}
	for deadline := time.Now().Add(time.Minute); childOf(t, srv.PID()) == 0; time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Fatalf("no worker process while a file is being sent\n%s", srv.Log())
		}
	}
	if _, err := pw.Write(coming[1<<20+1:]); err != nil {
		t.Fatalf("send the rest: %v", err)
	}
	pw.Close()
	if err := <-answered; err != nil {
		t.Fatal(err)
	}
	waitGone("after an upload without a job")

	// A child that dies (a decoder's crash) is started again.
	var first int
	for i := 2; first == 0; i++ {
		processed(i)
		first = childOf(t, srv.PID())
	}
	// It yields the CPU to the server: every thread of it runs at
	// childNice, the server's at its own.
	if got := threadNices(t, first); slices.ContainsFunc(got, func(n int) bool { return n != childNice }) {
		t.Errorf("the worker's threads run at nice %v, want %d", got, childNice)
	}
	if got := threadNices(t, srv.PID()); slices.Contains(got, childNice) {
		t.Errorf("the server's threads run at nice %v", got)
	}
	if err := syscall.Kill(first, syscall.SIGKILL); err != nil {
		t.Fatal(err)
	}
	var second int
	for deadline := time.Now().Add(time.Minute); ; time.Sleep(50 * time.Millisecond) {
		if second = childOf(t, srv.PID()); second != 0 && second != first {
			break
		}
		if time.Now().After(deadline) {
			t.Fatalf("no new worker process a minute after the first was killed\n%s", srv.Log())
		}
	}
	processed(100)
	if !strings.Contains(srv.Log(), "the worker process failed; starting another") {
		t.Errorf("the server did not log the worker's end\n%s", srv.Log())
	}
	second = childOf(t, srv.PID())

	t0 := time.Now()
	srv.Kill() // returns once the server and every holder of its log are gone
	t.Logf("server and worker gone %v after the SIGKILL", time.Since(t0))
	// Its log closes as it begins to exit, a moment before the process
	// is gone: it must be gone soon after, whatever it was doing.
	for deadline := time.Now().Add(10 * time.Second); second != 0 && running(second); time.Sleep(10 * time.Millisecond) {
		if time.Now().After(deadline) {
			t.Errorf("worker process %d still runs 10 s after its server's SIGKILL", second)
			break
		}
	}
	srv.CheckLog()
}

// childOf answers the pid of the worker process the server pid runs, or 0.
func childOf(t *testing.T, pid int) int {
	t.Helper()
	tasks, err := os.ReadDir(fmt.Sprintf("/proc/%d/task", pid))
	if err != nil {
		t.Fatal(err)
	}
	for _, task := range tasks {
		b, err := os.ReadFile(fmt.Sprintf("/proc/%d/task/%s/children", pid, task.Name()))
		if err != nil {
			continue
		}
		for _, f := range strings.Fields(string(b)) {
			child, _ := strconv.Atoi(f)
			cmdline, _ := os.ReadFile(fmt.Sprintf("/proc/%d/cmdline", child))
			if strings.Contains(string(cmdline), "--for-server") {
				return child
			}
		}
	}
	return 0
}

// running tells whether process pid runs: it exists and is no zombie
// (which a container's first process may never reap).
func running(pid int) bool {
	b, err := os.ReadFile(fmt.Sprintf("/proc/%d/stat", pid))
	if err != nil {
		return false
	}
	// pid (comm) state ...: comm may hold spaces and parentheses.
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i >= 0 && i+2 < len(s) && s[i+2] != 'Z'
}

// threadNices reads the nice value of each thread of process pid (the
// 19th field of /proc/PID/task/TID/stat).
func threadNices(t *testing.T, pid int) []int {
	t.Helper()
	stats, err := filepath.Glob(fmt.Sprintf("/proc/%d/task/*/stat", pid))
	if err != nil || len(stats) == 0 {
		t.Fatalf("threads of %d: %v", pid, err)
	}
	var nices []int
	for _, p := range stats {
		b, err := os.ReadFile(p)
		if err != nil {
			continue // a thread gone meanwhile
		}
		// The name, in parentheses, may hold spaces: the fields count
		// from after it, the state being the third.
		fields := strings.Fields(string(b[bytes.LastIndexByte(b, ')')+1:]))
		n, err := strconv.Atoi(fields[19-3])
		if err != nil {
			t.Fatalf("%s: %q", p, b)
		}
		nices = append(nices, n)
	}
	return nices
}
