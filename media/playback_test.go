package media

import (
	"bytes"
	"errors"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
)

// A video's playback preview is an MP4 of H.264 at most PlaybackSide a
// side, a sound's an M4A of AAC; anything else has none.
func TestRenderPlayback(t *testing.T) {
	r := newRenderer(t, Options{})
	for _, tt := range []struct {
		file, ctype, codecs string
	}{
		{"clip.mp4", PlaybackVideoType, "h264"},
		{"audio.m4a", PlaybackAudioType, "aac"},
	} {
		t.Run(tt.file, func(t *testing.T) {
			dst := filepath.Join(t.TempDir(), "out")
			ct, err := r.RenderPlayback(t.Context(), filepath.Join("testdata", tt.file), dst)
			if err != nil || ct != tt.ctype {
				t.Fatalf("RenderPlayback: %q, %v", ct, err)
			}
			out, err := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=codec_name,width,height", "-of", "compact", dst).Output()
			if err != nil {
				t.Fatal(err)
			}
			if !strings.Contains(string(out), "codec_name="+tt.codecs) {
				t.Errorf("streams: %s", out)
			}
			b, _ := os.ReadFile(dst)
			orig, _ := os.ReadFile(filepath.Join("testdata", tt.file))
			if bytes.Equal(b, orig) || len(b) < 12 || string(b[4:8]) != "ftyp" {
				t.Errorf("the preview is the file, or no MP4")
			}
		})
	}
	// A larger video comes down to PlaybackSide, its shape kept.
	big := filepath.Join(t.TempDir(), "big.mp4")
	if out, err := exec.Command("ffmpeg", "-v", "error", "-f", "lavfi", "-i", "testsrc=size=1280x720:duration=1:rate=10",
		"-c:v", "libx264", "-pix_fmt", "yuv420p", big).CombinedOutput(); err != nil {
		t.Fatalf("make a video: %v %s", err, out)
	}
	dst := filepath.Join(t.TempDir(), "out")
	if _, err := r.RenderPlayback(t.Context(), big, dst); err != nil {
		t.Fatal(err)
	}
	if out, _ := exec.Command("ffprobe", "-v", "error", "-show_entries", "stream=width,height", "-of", "compact", dst).Output(); !strings.Contains(string(out), "width=640|height=360") {
		t.Errorf("1280x720 plays as %s, want 640x360", out)
	}
	if _, err := r.RenderPlayback(t.Context(), filepath.Join("testdata", "photo.jpg"), filepath.Join(t.TempDir(), "x")); !errors.Is(err, ErrUnsupported) {
		t.Errorf("a photo's playback: %v, want ErrUnsupported", err)
	}
}
