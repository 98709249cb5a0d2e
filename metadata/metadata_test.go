package metadata

import (
	"context"
	"errors"
	"fmt"
	"net"
	"os"
	"path/filepath"
	"strings"
	"sync/atomic"
	"syscall"
	"testing"
	"time"

	"github.com/google/go-cmp/cmp"
	"github.com/google/go-cmp/cmp/cmpopts"

	"damask"

	"damask/subproc"
)

// newExtractor starts an Extractor for one test and closes it after.
func newExtractor(t testing.TB, cfg Config) *Extractor {
	t.Helper()
	x, err := New(context.Background(), cfg)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(func() { x.Close() })
	return x
}

func TestExtract(t *testing.T) {
	x := newExtractor(t, Config{})
	geneva := time.FixedZone("", 2*60*60)
	tests := []struct {
		file, contentType string
		want              Metadata
		rawKeys           []string // keys Raw must hold
	}{
		{
			file: "photo.jpg", contentType: "image/jpeg",
			want: Metadata{
				Type: "JPEG", PixelWidth: 64, PixelHeight: 48, BitsPerSample: 8,
				ColorSpace: "Uncalibrated", Orientation: 6,
				Width: 48, Height: 64, // orientation 6 turns it upright
				Camera:      "Canon EOS R5", // not "Canon Canon EOS R5"
				Lens:        "RF24-105mm F4 L IS USM",
				TakenAt:     time.Date(2024, 5, 17, 14, 3, 22, 0, geneva),
				GPS:         &damask.GeoPoint{Latitude: 46.2044, Longitude: 6.1432},
				Keywords:    []string{"lake", "geneva", "Summer", "fountain"},
				Caption:     "Jet d'eau at noon",
				Description: "Jet d'eau at noon",
				Creator:     "Ada Photographer",
				Copyright:   "(c) 2024 Ada",
				Title:       "The fountain",
			},
			rawKeys: []string{"IFD0:Make", "IPTC:Keywords", "XMP-dc:Title", "GPS:GPSLatitude"},
		},
		{
			file: "plain.png", contentType: "image/png",
			want: Metadata{
				Type: "PNG", PixelWidth: 40, PixelHeight: 30, BitsPerSample: 8,
				ColorSpace: "RGB", AlphaChannel: true, Width: 40, Height: 30,
			},
			rawKeys: []string{"PNG:ColorType"},
		},
		{
			file: "clip.mp4", contentType: "video/mp4",
			want: Metadata{
				Type: "MP4", PixelWidth: 160, PixelHeight: 120, Width: 160, Height: 120,
				Duration: 2, VideoCodec: "h264", AudioCodec: "aac",
			},
			rawKeys: []string{"File:MIMEType"},
		},
		{
			file: "tone.mp3", contentType: "audio/mpeg",
			want:    Metadata{Type: "MP3", Duration: 1.07102, AudioCodec: "mp3"},
			rawKeys: []string{"File:MIMEType"},
		},
		{
			file: "doc.pdf", contentType: "application/pdf",
			want:    Metadata{Type: "PDF", PageCount: 2, Text: "Damask first page hello\n\n\nSecond page kumquat"},
			rawKeys: []string{"PDF:PageCount"},
		},
		{
			// The upload says octet-stream; the content decides.
			file: "doc.pdf", contentType: "application/octet-stream",
			want:    Metadata{Type: "PDF", PageCount: 2, Text: "Damask first page hello\n\n\nSecond page kumquat"},
			rawKeys: []string{"PDF:PageCount"},
		},
		{
			// A name that is an option to every tool when passed as is.
			file: "-evil.jpg", contentType: "image/jpeg",
			want: Metadata{
				Type: "JPEG", PixelWidth: 32, PixelHeight: 32, BitsPerSample: 8,
				ColorSpace: "RGB", Width: 32, Height: 32,
			},
		},
	}
	for _, tt := range tests {
		t.Run(tt.file+" "+tt.contentType, func(t *testing.T) {
			got, err := x.Extract(context.Background(), filepath.Join("testdata", tt.file), tt.contentType)
			if err != nil {
				t.Fatal(err)
			}
			if diff := cmp.Diff(tt.want, got, cmpopts.IgnoreFields(Metadata{}, "Raw")); diff != "" {
				t.Errorf("Extract mismatch (-want +got):\n%s", diff)
			}
			if !tt.want.TakenAt.IsZero() {
				if _, off := got.TakenAt.Zone(); off != 2*60*60 {
					t.Errorf("TakenAt offset = %d s, want +02:00 kept", off)
				}
			}
			for _, k := range tt.rawKeys {
				if _, ok := got.Raw[k]; !ok {
					t.Errorf("Raw lacks %q", k)
				}
			}
			for _, k := range []string{"SourceFile", "System:Directory", "System:FileName"} {
				if _, ok := got.Raw[k]; ok {
					t.Errorf("Raw holds %q, a server path", k)
				}
			}
		})
	}
}

func TestSearchText(t *testing.T) {
	x := newExtractor(t, Config{})
	m, err := x.Extract(context.Background(), "testdata/photo.jpg", "image/jpeg")
	if err != nil {
		t.Fatal(err)
	}
	want := "The fountain\nlake\ngeneva\nSummer\nfountain\nJet d'eau at noon\nAda Photographer\n(c) 2024 Ada\nRF24-105mm F4 L IS USM"
	if got := m.SearchText(); got != want {
		t.Errorf("SearchText = %q, want %q", got, want)
	}
	d, err := x.Extract(context.Background(), "testdata/doc.pdf", "application/pdf")
	if err != nil {
		t.Fatal(err)
	}
	if got := d.SearchText(); !strings.Contains(got, "kumquat") {
		t.Errorf("SearchText of the PDF = %q, lacks its text", got)
	}
}

func TestExtractBadInput(t *testing.T) {
	x := newExtractor(t, Config{Timeout: 10 * time.Second})
	dir := t.TempDir()
	newline := filepath.Join(dir, "a\nb.jpg")
	copyFile(t, "testdata/photo.jpg", newline)
	fifo := filepath.Join(dir, "fifo.jpg")
	if err := syscall.Mkfifo(fifo, 0o600); err != nil {
		t.Fatal(err)
	}
	tests := []struct {
		name, path, contentType string
		want                    error
		reason                  string
	}{
		{"empty", "testdata/empty.jpg", "image/jpeg", ErrUnreadable, "empty file"},
		{"truncated jpeg", "testdata/truncated.jpg", "image/jpeg", ErrUnreadable, "JPEG format error"},
		{"corrupt jpeg", "testdata/corrupt.jpg", "image/jpeg", ErrUnreadable, "File format error"},
		{"truncated mp4", "testdata/truncated.mp4", "video/mp4", ErrUnreadable, "moov atom not found"},
		{"newline in path", newline, "image/jpeg", ErrBadPath, "control character"},
		{"fifo", fifo, "image/jpeg", ErrBadPath, "not a regular file"},
		{"directory", dir, "image/jpeg", ErrBadPath, "not a regular file"},
		{"missing", filepath.Join(dir, "nope.jpg"), "image/jpeg", os.ErrNotExist, "no such file"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			start := time.Now()
			m, err := x.Extract(context.Background(), tt.path, tt.contentType)
			if !errors.Is(err, tt.want) {
				t.Fatalf("err = %v, want %v", err, tt.want)
			}
			if !strings.Contains(err.Error(), tt.reason) {
				t.Errorf("err = %q, want the reason %q", err, tt.reason)
			}
			if m.Raw != nil || m.Type != "" {
				t.Errorf("Metadata not zero on error: %+v", m)
			}
			if d := time.Since(start); d > 5*time.Second {
				t.Errorf("took %v", d)
			}
		})
	}
	// The pool still serves after all that.
	if _, err := x.Extract(context.Background(), "testdata/plain.png", "image/png"); err != nil {
		t.Errorf("after bad inputs: %v", err)
	}
}

// TestPlaylistFetchesNothing: playlists renamed .mp4 name a loopback
// canary; ffprobe must not connect to it nor read other local files.
func TestPlaylistFetchesNothing(t *testing.T) {
	ln, err := net.Listen("tcp", "127.0.0.1:0")
	if err != nil {
		t.Fatal(err)
	}
	defer ln.Close()
	var hits atomic.Int32
	go func() {
		for {
			c, err := ln.Accept()
			if err != nil {
				return
			}
			hits.Add(1)
			c.Close()
		}
	}()
	url := "http://" + ln.Addr().String() + "/canary.ts"
	dir := t.TempDir()
	files := map[string]string{
		"hls.mp4":      "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\n" + url + "\n#EXT-X-ENDLIST\n",
		"hls-file.mp4": "#EXTM3U\n#EXT-X-TARGETDURATION:1\n#EXTINF:1,\nfile:///etc/passwd\n#EXT-X-ENDLIST\n",
		"concat.mp4":   "ffconcat version 1.0\nfile '" + url + "'\n",
	}
	x := newExtractor(t, Config{Timeout: 10 * time.Second})
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			p := filepath.Join(dir, name)
			if err := os.WriteFile(p, []byte(body), 0o600); err != nil {
				t.Fatal(err)
			}
			_, err := x.Extract(context.Background(), p, "video/mp4")
			if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "container not allowed") {
				t.Errorf("err = %v, want ErrUnreadable, container not allowed", err)
			}
		})
	}
	time.Sleep(100 * time.Millisecond) // let a late connection land
	if n := hits.Load(); n != 0 {
		t.Errorf("canary got %d connections", n)
	}
	// Control: the canary does count a connection.
	c, err := net.Dial("tcp", ln.Addr().String())
	if err != nil {
		t.Fatal(err)
	}
	c.Close()
	for i := 0; hits.Load() == 0 && i < 100; i++ {
		time.Sleep(10 * time.Millisecond)
	}
	if hits.Load() != 1 {
		t.Errorf("control connection not counted")
	}
}

func TestExifToolRefusesOldVersion(t *testing.T) {
	fake := fakeTool(t, `echo 12.23`)
	_, err := NewExifTool(context.Background(), ExifToolConfig{Path: fake})
	if !errors.Is(err, ErrUnsafeTool) {
		t.Fatalf("err = %v, want ErrUnsafeTool", err)
	}
	garbage := fakeTool(t, `echo 'not a version'`)
	if _, err := NewExifTool(context.Background(), ExifToolConfig{Path: garbage}); !errors.Is(err, ErrUnsafeTool) {
		t.Fatalf("err = %v, want ErrUnsafeTool", err)
	}
}

// TestExifToolLazy: a Lazy pool runs nothing until its first file, then
// checks the version (refusing an old exiftool at each read, as New
// refuses it without Lazy) and reads; a missing program is told at once.
func TestExifToolLazy(t *testing.T) {
	dir := t.TempDir()
	ran := filepath.Join(dir, "ran")
	old := fakeTool(t, `touch `+ran+`; echo 12.23`)
	et, err := NewExifTool(context.Background(), ExifToolConfig{Path: old, Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	if _, err := os.Stat(ran); err == nil {
		t.Fatal("a Lazy pool ran exiftool before its first file")
	}
	for range 2 {
		if _, err := et.Read(context.Background(), "testdata/photo.jpg"); !errors.Is(err, ErrUnsafeTool) {
			t.Fatalf("Read with exiftool 12.23: err = %v, want ErrUnsafeTool", err)
		}
	}
	if _, err := NewExifTool(context.Background(), ExifToolConfig{Path: filepath.Join(dir, "none"), Lazy: true}); err == nil {
		t.Error("a Lazy pool of a missing program started")
	}

	real, err := NewExifTool(context.Background(), ExifToolConfig{Lazy: true})
	if err != nil {
		t.Fatal(err)
	}
	defer real.Close()
	// A first reader gone as the check begins does not leave the pool
	// refusing every later one.
	gone, cancel := context.WithCancel(context.Background())
	cancel()
	if err := real.check(gone); err != nil {
		t.Errorf("version check for a reader gone: %v, want it run to its end", err)
	}
	raw, err := real.Read(context.Background(), "testdata/photo.jpg")
	if err != nil {
		t.Fatal(err)
	}
	if raw["File:FileType"] != "JPEG" {
		t.Errorf("File:FileType = %v, want JPEG", raw["File:FileType"])
	}
	if v := real.Version(); v < MinExifToolVersion {
		t.Errorf("Version() = %v after a read", v)
	}
}

// TestExifToolTimeoutRestarts: the first process hangs; the call fails
// with ErrTimeout once the timeout passes, the process is killed, and the
// next call runs on a fresh one.
func TestExifToolTimeoutRestarts(t *testing.T) {
	real, err := execLookPath("exiftool")
	if err != nil {
		t.Skip(err)
	}
	flag := filepath.Join(t.TempDir(), "hung")
	fake := fakeTool(t, fmt.Sprintf(`
if [ "$3" = -ver ]; then exec %[1]q "$@"; fi
if [ ! -e %[2]q ]; then touch %[2]q; exec sleep 600; fi
exec %[1]q "$@"`, real, flag))
	et, err := NewExifTool(context.Background(), ExifToolConfig{Path: fake, Timeout: 300 * time.Millisecond})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	// The first process is the hung one only once it has left its flag: on
	// a busy machine the shell can take longer than the timeout to start,
	// and killed before that it would leave the hang to the second.
	for deadline := time.Now().Add(20 * time.Second); ; time.Sleep(10 * time.Millisecond) {
		if _, err := os.Stat(flag); err == nil {
			break
		}
		if time.Now().After(deadline) {
			t.Fatal("the fake exiftool never started")
		}
	}
	start := time.Now()
	_, err = et.Read(context.Background(), "testdata/photo.jpg")
	if !errors.Is(err, ErrTimeout) {
		t.Fatalf("err = %v, want ErrTimeout", err)
	}
	if d := time.Since(start); d > 3*time.Second {
		t.Errorf("timeout took %v", d)
	}
	et.cfg.Timeout = 20 * time.Second
	raw, err := et.Read(context.Background(), "testdata/photo.jpg")
	if err != nil {
		t.Fatalf("after restart: %v", err)
	}
	if raw["IFD0:Make"] != "Canon" {
		t.Errorf("IFD0:Make = %v", raw["IFD0:Make"])
	}
}

// TestExifToolCrash: a process that dies fails the call with a reason and
// is replaced.
func TestExifToolCrash(t *testing.T) {
	real, err := execLookPath("exiftool")
	if err != nil {
		t.Skip(err)
	}
	fake := fakeTool(t, fmt.Sprintf(`
if [ "$3" = -ver ]; then exec %[1]q "$@"; fi
exit 3`, real))
	et, err := NewExifTool(context.Background(), ExifToolConfig{Path: fake})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	for i := range 2 {
		_, err := et.Read(context.Background(), "testdata/photo.jpg")
		if !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "exiftool died") {
			t.Errorf("call %d: err = %v, want exiftool died", i, err)
		}
	}
}

func TestExifToolContextCancel(t *testing.T) {
	fake := fakeTool(t, `if [ "$3" = -ver ]; then echo 12.57; exit; fi; exec sleep 600`)
	et, err := NewExifTool(context.Background(), ExifToolConfig{Path: fake, Timeout: time.Minute})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	ctx, cancel := context.WithTimeout(context.Background(), 200*time.Millisecond)
	defer cancel()
	if _, err := et.Read(ctx, "testdata/photo.jpg"); !errors.Is(err, context.DeadlineExceeded) {
		t.Fatalf("err = %v, want DeadlineExceeded", err)
	}
}

// TestExifToolOutputCap: an answer over MaxOutput fails with ErrTooLarge,
// and the process, drained, answers the next file.
func TestExifToolOutputCap(t *testing.T) {
	et, err := NewExifTool(context.Background(), ExifToolConfig{MaxOutput: 1000})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	if _, err := et.Read(context.Background(), "testdata/photo.jpg"); !errors.Is(err, ErrTooLarge) {
		t.Fatalf("err = %v, want ErrTooLarge", err)
	}
	raw, err := et.Read(context.Background(), "testdata/plain.png")
	if err != nil {
		t.Fatal(err)
	}
	if raw["PNG:ImageWidth"] != 40.0 {
		t.Errorf("PNG:ImageWidth = %v, want 40", raw["PNG:ImageWidth"])
	}
}

// TestExifToolLongField: a 200 KB description is cut to MaxField in Raw.
func TestExifToolLongField(t *testing.T) {
	p := filepath.Join(t.TempDir(), "long.png")
	copyFile(t, "testdata/plain.png", p)
	// Over the 128 KiB limit of one exec argument, so read from a file.
	long := filepath.Join(t.TempDir(), "long.txt")
	if err := os.WriteFile(long, []byte(strings.Repeat("é", 100_000)), 0o600); err != nil {
		t.Fatal(err)
	}
	if out, err := execCommand("exiftool", "-q", "-overwrite_original", "-XMP-dc:Description<="+long, p).CombinedOutput(); err != nil {
		t.Fatalf("exiftool: %v: %s", err, out)
	}
	et, err := NewExifTool(context.Background(), ExifToolConfig{MaxField: 1001})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	raw, err := et.Read(context.Background(), p)
	if err != nil {
		t.Fatal(err)
	}
	d, _ := raw["XMP-dc:Description"].(string)
	if d != strings.Repeat("é", 500) {
		t.Errorf("description is %d bytes, want 1000 (cut on a rune boundary)", len(d))
	}
}

func TestExifToolConcurrent(t *testing.T) {
	et, err := NewExifTool(context.Background(), ExifToolConfig{Workers: 2})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	errc := make(chan error, 16)
	for i := range 16 {
		go func() {
			file := []string{"testdata/photo.jpg", "testdata/plain.png"}[i%2]
			_, err := et.Read(context.Background(), file)
			errc <- err
		}()
	}
	for range 16 {
		if err := <-errc; err != nil {
			t.Error(err)
		}
	}
	et.Close()
	if _, err := et.Read(context.Background(), "testdata/photo.jpg"); err == nil {
		t.Error("Read after Close succeeded")
	}
}

func TestBoundRaw(t *testing.T) {
	raw := map[string]any{
		"A:Long": strings.Repeat("x", 10_000),
		"B:List": make([]any, 1000),
		"C:Num":  3.0,
		"D:Big":  strings.Repeat("y", 3000),
		"E:Bad":  "\xff\xfeok",
	}
	got := boundRaw(raw, 4000, 10, 6000)
	if n := len(got["A:Long"].(string)); n != 4000 {
		t.Errorf("A:Long is %d bytes, want 4000", n)
	}
	if n := len(got["B:List"].([]any)); n != 10 {
		t.Errorf("B:List has %d elements, want 10", n)
	}
	if got["C:Num"] != 3.0 {
		t.Errorf("C:Num = %v", got["C:Num"])
	}
	if _, ok := got["D:Big"]; ok {
		t.Error("D:Big kept past the total limit")
	}
	if got["E:Bad"] != "\uFFFDok" {
		t.Errorf("E:Bad = %q, want valid UTF-8", got["E:Bad"])
	}
}

func TestCamera(t *testing.T) {
	tests := []struct{ make, model, want string }{
		{"Canon", "Canon EOS R5", "Canon EOS R5"},
		{"NIKON CORPORATION", "NIKON D750", "NIKON D750"},
		{"Apple", "iPhone 15 Pro", "Apple iPhone 15 Pro"},
		{"FUJIFILM", "X-T4", "FUJIFILM X-T4"},
		{"", "X100V", "X100V"},
		{"SONY ", "", "SONY"},
		{"", "", ""},
	}
	for _, tt := range tests {
		if got := camera(tt.make, tt.model); got != tt.want {
			t.Errorf("camera(%q, %q) = %q, want %q", tt.make, tt.model, got, tt.want)
		}
	}
}

func TestParseTime(t *testing.T) {
	tests := []struct {
		in   string
		want time.Time
		ok   bool
	}{
		{"2024:05:17 14:03:22", time.Date(2024, 5, 17, 14, 3, 22, 0, time.UTC), true},
		{"2024:05:17 14:03:22+02:00", time.Date(2024, 5, 17, 12, 3, 22, 0, time.UTC), true},
		{"2024:05:17 14:03:22.25-05:00", time.Date(2024, 5, 17, 19, 3, 22, 250e6, time.UTC), true},
		{"2024-05-17T14:03:22Z", time.Date(2024, 5, 17, 14, 3, 22, 0, time.UTC), true},
		{"2024:05:17", time.Date(2024, 5, 17, 0, 0, 0, 0, time.UTC), true},
		{"0000:00:00 00:00:00", time.Time{}, false},
		{"1601:01:01 00:00:00", time.Time{}, false},
		{"yesterday", time.Time{}, false},
		{"", time.Time{}, false},
	}
	for _, tt := range tests {
		got, ok := parseTime(tt.in)
		if ok != tt.ok || !got.Equal(tt.want) {
			t.Errorf("parseTime(%q) = %v, %v; want %v, %v", tt.in, got, ok, tt.want, tt.ok)
		}
	}
}

// FuzzFromExif: whatever JSON object exiftool gives, mapping it never
// panics and keeps strings within their limits.
func FuzzFromExif(f *testing.F) {
	f.Add(`{"IFD0:Make":"Canon","IFD0:Model":"Canon EOS R5","IFD0:Orientation":6,"Composite:ImageSize":"64 48"}`)
	f.Add(`{"IPTC:Keywords":["a",1,null,{"x":1}],"XMP-dc:Subject":"A","Composite:GPSLatitude":"x"}`)
	f.Add(`{"ExifIFD:DateTimeOriginal":"2024:13:45 99:99:99","ExifIFD:OffsetTimeOriginal":"+99:00"}`)
	f.Fuzz(func(t *testing.T, s string) {
		var raw map[string]any
		if jsonUnmarshal([]byte(s), &raw) != nil {
			return
		}
		m := fromExif(boundRaw(raw, 4096, 256, 1<<20))
		if len(m.Camera) > 201 || len(m.Title) > 500 || len(m.Keywords) > 200 {
			t.Errorf("unbounded field: %+v", m)
		}
	})
}

// TestToolMemoryLimit: a tool that needs more memory than its limit fails
// the file with a reason that says so (ErrLimit and ErrUnreadable), and the
// extractor goes on serving. ffprobe cannot even map its libraries in
// 100 MiB; the stand-in exiftool asks for 512 MiB under 64 MiB.
func TestToolMemoryLimit(t *testing.T) {
	x := newExtractor(t, Config{Memory: 100 << 20})
	_, err := x.Extract(context.Background(), "testdata/clip.mp4", "video/mp4")
	t.Logf("ffprobe: %v", err)
	if !errors.Is(err, subproc.ErrLimit) || !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "memory") {
		t.Errorf("ffprobe: err = %v, want ErrLimit and ErrUnreadable, saying memory", err)
	}
	if _, err := x.Extract(context.Background(), "testdata/photo.jpg", "image/jpeg"); err != nil {
		t.Errorf("photo.jpg after: %v", err)
	}

	real, err := execLookPath("exiftool")
	if err != nil {
		t.Skip(err)
	}
	fake := fakeTool(t, fmt.Sprintf(`
if [ "$3" = -ver ]; then exec %[1]q "$@"; fi
exec perl -e 'my $x = "a" x (512<<20)'`, real))
	et, err := NewExifTool(context.Background(), ExifToolConfig{Path: fake, Memory: 64 << 20})
	if err != nil {
		t.Fatal(err)
	}
	defer et.Close()
	_, err = et.Read(context.Background(), "testdata/photo.jpg")
	t.Logf("exiftool: %v", err)
	if !errors.Is(err, subproc.ErrLimit) || !errors.Is(err, ErrUnreadable) || !strings.Contains(err.Error(), "memory") {
		t.Errorf("exiftool: err = %v, want ErrLimit and ErrUnreadable, saying memory", err)
	}
}

// TestImageSizeWithoutComposites: with composites off, every image format
// of media/testdata still gives its size (exiftool's ImageSize worked out
// here), the DNG its raw image's rather than its thumbnail's, turned by
// its orientation.
func TestImageSizeWithoutComposites(t *testing.T) {
	x := newExtractor(t, Config{})
	tests := []struct {
		file   string
		pw, ph int // as stored
		w, h   int // as shown
	}{
		{"photo.jpg", 600, 400, 600, 400},
		{"rotated6.jpg", 600, 400, 400, 600},
		{"photo.webp", 600, 400, 600, 400},
		{"photo.heic", 600, 400, 600, 400},
		{"photo.avif", 600, 400, 600, 400},
		{"photo.tif", 600, 400, 600, 400},
		{"anim.gif", 160, 120, 160, 120},
		{"shape.svg", 200, 100, 200, 100},
		{"layers.psd", 300, 200, 300, 200},
		{"raw.dng", 300, 200, 200, 300},
	}
	for _, tc := range tests {
		t.Run(tc.file, func(t *testing.T) {
			p := filepath.Join("..", "media", "testdata", tc.file)
			if _, err := os.Stat(p); err != nil {
				t.Skip(err)
			}
			m, err := x.Extract(context.Background(), p, "")
			if err != nil {
				t.Fatal(err)
			}
			if m.PixelWidth != tc.pw || m.PixelHeight != tc.ph || m.Width != tc.w || m.Height != tc.h {
				t.Errorf("pixels %dx%d shown %dx%d, want %dx%d and %dx%d", m.PixelWidth, m.PixelHeight, m.Width, m.Height, tc.pw, tc.ph, tc.w, tc.h)
			}
			for k := range m.Raw {
				if strings.HasPrefix(k, "Composite:") {
					t.Errorf("composite %s asked for", k)
				}
			}
		})
	}
}

func TestLensAndGPSFromParts(t *testing.T) {
	raw := map[string]any{
		"GPS:GPSLatitude": 33.5, "GPS:GPSLatitudeRef": "S", "GPS:GPSLongitude": 70.25, "GPS:GPSLongitudeRef": "W",
		"ExifIFD:DateTimeOriginal": "2024:05:17 14:03:22", "ExifIFD:SubSecTimeOriginal": "25", "ExifIFD:OffsetTimeOriginal": "+02:00",
		"Canon:LensType": 61182.0,
	}
	m := fromExif(raw)
	if m.GPS == nil || m.GPS.Latitude != -33.5 || m.GPS.Longitude != -70.25 {
		t.Errorf("GPS = %+v, want -33.5, -70.25", m.GPS)
	}
	if want := time.Date(2024, 5, 17, 12, 3, 22, 250_000_000, time.UTC); !m.TakenAt.Equal(want) {
		t.Errorf("TakenAt = %v, want %v", m.TakenAt, want)
	}
	if !hasLensNumber(raw) || m.Lens != "" {
		t.Errorf("lens %q, hasLensNumber %v", m.Lens, hasLensNumber(raw))
	}
	raw["Composite:LensID"] = "Canon RF 24-105mm F4L IS USM"
	if got := lensName(raw); got != "Canon RF 24-105mm F4L IS USM" {
		t.Errorf("lensName = %q", got)
	}
	raw["XMP-exif:GPSLatitude"] = 1.0
	delete(raw, "GPS:GPSLatitude")
	if g := gps(raw); g != nil {
		t.Errorf("gps with half of EXIF's and half of XMP's = %+v, want nil", g)
	}
}
