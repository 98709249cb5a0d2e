package media

import (
	"context"
	"os"
	"os/exec"
	"testing"
)

// TestLazy runs in a process of its own (libvips, once started, stays for
// the process): a Lazy renderer leaves libvips unstarted until its first
// render, which starts it and renders.
func TestLazy(t *testing.T) {
	if os.Getenv("DAMASK_MEDIA_LAZY_CHILD") == "" {
		cmd := exec.Command(os.Args[0], "-test.run=^TestLazy$", "-test.count=1")
		cmd.Env = append(os.Environ(), "DAMASK_MEDIA_LAZY_CHILD=1")
		if out, err := cmd.CombinedOutput(); err != nil {
			t.Fatalf("the test in its own process: %v\n%s", err, out)
		}
		return
	}
	r := newRenderer(t, Options{Lazy: true})
	if vipsStarted.Load() {
		t.Fatal("libvips started by New with Lazy")
	}
	var got []rendition
	if _, err := r.Render(context.Background(), "testdata/photo.jpg", Sizes()[:1], collect(t, &got)); err != nil {
		t.Fatal(err)
	}
	if !vipsStarted.Load() || len(got) != 1 {
		t.Fatalf("after a render: libvips started %v, %d renditions", vipsStarted.Load(), len(got))
	}
}
