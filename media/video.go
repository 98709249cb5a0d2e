package media

import (
	"bytes"
	"context"
	"encoding/json"
	"errors"
	"fmt"
	"io"
	"os"
	"os/exec"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"damask/subproc"
)

// ffmpeg options shared by ffprobe and ffmpeg, placed before the input:
// only local files may be opened (a playlist cannot fetch a URL), and only
// plain container demuxers may parse the input (no hls, concat, image2,
// lavfi, tee... which open further files by name).
var ffInputGuard = []string{
	"-protocol_whitelist", "file",
	"-format_whitelist", "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mp3,flac,wav,ogg,aiff",
}

// maxToolOutput bounds what is kept of a tool's stdout and stderr.
const maxToolOutput = 1 << 20

// RenderVideoFrame makes the renditions of the video at srcPath from one
// frame taken at 10% of its duration, and passes them to out as Render does.
// An audio file, or a container with sound and no picture (M4A), gets its
// waveform instead (ffmpeg's showwavespic, WaveformWidth x WaveformHeight,
// dark on white); its Info has the duration and no width or height, which
// are the sound's, not the picture's.
// ffprobe and ffmpeg run as child processes (no shell, the input given as a
// file: path, one thread, local files only), killed when the timeout ends.
//
// Errors: ErrEmpty, ErrUnsupported (not a container this package knows,
// or neither video nor audio stream), ErrCorrupt (ffprobe or ffmpeg
// failed, or no frame came out), ErrLimit, context.DeadlineExceeded,
// ErrClosed, each wrapped.
func (r *Renderer) RenderVideoFrame(ctx context.Context, srcPath string, sizes []Size, out func(size Size, jpeg io.Reader) error) (_ Info, err error) {
	defer func() { err = redactPath(err, srcPath) }()
	ctx, release, err := r.acquire(ctx)
	if err != nil {
		return Info{}, err
	}
	defer release()
	format, err := Detect(srcPath)
	if err != nil {
		return Info{}, fmt.Errorf("media: video frame: %w", err)
	}
	if !format.Video() && !format.Audio() {
		return Info{Format: format}, fmt.Errorf("media: video frame: %w: %s is not a video", ErrUnsupported, format)
	}
	abs, err := filepath.Abs(srcPath)
	if err != nil {
		return Info{}, fmt.Errorf("media: video frame: %w", err)
	}
	// "file:" stops ffmpeg from reading a protocol out of a name with a colon.
	input := "file:" + abs

	probe, err := r.probe(ctx, input)
	if err != nil {
		return Info{Format: format}, err
	}
	if probe.audioOnly {
		return r.renderWaveform(ctx, input, format, probe.duration, sizes, out)
	}
	info := Info{Format: format, Width: probe.width, Height: probe.height, PageCount: 1, Duration: probe.duration}
	if int64(probe.width)*int64(probe.height) > r.opts.MaxPixels {
		return info, fmt.Errorf("media: video frame: %w: %dx%d, limit %d", ErrTooManyPixels, probe.width, probe.height, r.opts.MaxPixels)
	}

	dir, err := os.MkdirTemp(r.opts.TempDir, "damask-frame-")
	if err != nil {
		return info, fmt.Errorf("media: video frame: %w", err)
	}
	defer os.RemoveAll(dir)
	frame := filepath.Join(dir, "frame.png")
	// The frame at 10% of the duration; if there is none there (a wrong
	// duration in the container, a stream that starts late), the first one.
	at := probe.duration / 10
	if err := r.extractFrame(ctx, input, at, frame); err != nil {
		if at == 0 || ctx.Err() != nil || errors.Is(err, ErrLimit) {
			return info, err
		}
		if err := r.extractFrame(ctx, input, 0, frame); err != nil {
			return info, err
		}
	}
	fi, err := r.renderImage(ctx, frame, FormatPNG, 0, sizesOf(sizes, out))
	if err != nil {
		return info, err
	}
	// The frame is upright (ffmpeg applies rotation metadata); prefer its size.
	info.Width, info.Height = fi.Width, fi.Height
	return info, nil
}

// The waveform image of a sound: wide, as waveforms are drawn, and large
// enough for the 2048 px lightbox.
const (
	WaveformWidth  = 2048
	WaveformHeight = 1024
	waveformColor  = "0x203050"
)

// renderWaveform draws the sound of input (all channels mixed to one) with
// ffmpeg's showwavespic, on transparency that the rendering flattens on
// white, and renders it as a PNG.
func (r *Renderer) renderWaveform(ctx context.Context, input string, format Format, d time.Duration, sizes []Size, out func(Size, io.Reader) error) (Info, error) {
	info := Info{Format: format, PageCount: 1, Duration: d}
	dir, err := os.MkdirTemp(r.opts.TempDir, "damask-wave-")
	if err != nil {
		return info, fmt.Errorf("media: waveform: %w", err)
	}
	defer os.RemoveAll(dir)
	pic := filepath.Join(dir, "wave.png")
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"}
	args = append(args, ffInputGuard...)
	args = append(args, "-i", input,
		"-filter_complex", fmt.Sprintf("[0:a:0]aformat=channel_layouts=mono,showwavespic=s=%dx%d:colors=%s:split_channels=0:scale=sqrt[w]",
			WaveformWidth, WaveformHeight, waveformColor),
		"-map", "[w]", "-frames:v", "1", "-c:v", "png", "-f", "image2", "-update", "1", "-y", pic)
	if _, err := r.run(ctx, r.opts.FFmpeg, args); err != nil {
		return info, fmt.Errorf("media: waveform: ffmpeg: %w", err)
	}
	if fi, err := os.Stat(pic); err != nil || fi.Size() == 0 {
		return info, fmt.Errorf("media: waveform: %w: ffmpeg drew no waveform", ErrCorrupt)
	}
	if _, err := r.renderImage(ctx, pic, FormatPNG, 0, sizesOf(sizes, out)); err != nil {
		return info, err
	}
	return info, nil
}

// extractFrame writes one PNG frame, seeking (before -i: fast, to the
// keyframe then decoding forward) to at.
func (r *Renderer) extractFrame(ctx context.Context, input string, at time.Duration, frame string) error {
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"}
	args = append(args, ffInputGuard...)
	args = append(args, "-ss", strconv.FormatFloat(at.Seconds(), 'f', 3, 64), "-i", input,
		"-map", "0:v:0", "-frames:v", "1", "-an", "-sn", "-dn", "-threads", "1",
		"-c:v", "png", "-f", "image2", "-update", "1", "-y", frame)
	if _, err := r.run(ctx, r.opts.FFmpeg, args); err != nil {
		return fmt.Errorf("media: video frame: ffmpeg: %w", err)
	}
	if fi, err := os.Stat(frame); err != nil || fi.Size() == 0 {
		return fmt.Errorf("media: video frame: %w: ffmpeg wrote no frame at %s", ErrCorrupt, at)
	}
	return nil
}

type probeResult struct {
	width, height int
	duration      time.Duration
	audioOnly     bool // no video stream but an audio one
}

func (r *Renderer) probe(ctx context.Context, input string) (probeResult, error) {
	args := []string{"-v", "error", "-hide_banner"}
	args = append(args, ffInputGuard...)
	args = append(args, "-print_format", "json", "-show_entries",
		"format=duration:stream=codec_type,width,height,duration", "-i", input)
	stdout, err := r.run(ctx, r.opts.FFprobe, args)
	if err != nil {
		return probeResult{}, fmt.Errorf("media: video frame: ffprobe: %w", err)
	}
	var doc struct {
		Format struct {
			Duration string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			CodecType string `json:"codec_type"`
			Width     int    `json:"width"`
			Height    int    `json:"height"`
			Duration  string `json:"duration"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(stdout, &doc); err != nil {
		return probeResult{}, fmt.Errorf("media: video frame: ffprobe output: %w", err)
	}
	var res probeResult
	found := false
	for _, s := range doc.Streams {
		if s.CodecType == "video" && s.Width > 0 && s.Height > 0 {
			res.width, res.height, found = s.Width, s.Height, true
			if d, ok := seconds(s.Duration); ok {
				res.duration = d
			}
			break
		}
	}
	if !found {
		for _, s := range doc.Streams {
			res.audioOnly = res.audioOnly || s.CodecType == "audio"
		}
		if !res.audioOnly {
			return probeResult{}, fmt.Errorf("media: video frame: %w: no video or audio stream", ErrUnsupported)
		}
	}
	if d, ok := seconds(doc.Format.Duration); ok {
		res.duration = d
	}
	return res, nil
}

func seconds(s string) (time.Duration, bool) {
	f, err := strconv.ParseFloat(s, 64)
	if err != nil || f <= 0 || f > 1e7 {
		return 0, false
	}
	return time.Duration(f * float64(time.Second)), true
}

// run starts a tool under the renderer's limits (see package subproc: no
// shell, a minimal environment, memory, CPU and file size bounded, its
// process group killed when ctx ends) and returns its stdout. A failure is
// ErrLimit when a limit stopped the tool, ErrCorrupt with the tool's first
// stderr line otherwise, or the context's error when the time limit
// killed it.
func (r *Renderer) run(ctx context.Context, tool string, args []string) ([]byte, error) {
	cmd := subproc.Command(ctx, r.limits(ctx), tool, args...)
	var stdout, stderr capped
	stdout.limit, stderr.limit = maxToolOutput, maxToolOutput
	cmd.Stdout, cmd.Stderr = &stdout, &stderr
	err := cmd.Run()
	if ctx.Err() != nil {
		return nil, fmt.Errorf("killed: %w", ctx.Err())
	}
	if err != nil {
		var exit *exec.ExitError
		if !errors.As(err, &exit) {
			return nil, err // the tool is missing or could not start
		}
		if why := subproc.Explain(filepath.Base(tool), cmd.ProcessState, stderr.String(), r.limits(ctx)); why != nil {
			return nil, why
		}
		msg, _, _ := strings.Cut(strings.TrimSpace(stderr.String()), "\n")
		return nil, fmt.Errorf("%w: %s (%w)", ErrCorrupt, msg, err)
	}
	return stdout.Bytes(), nil
}

// limits are a tool's: the configured memory, and CPU time up to the
// context's deadline (the wall-clock limit kills it then anyway).
func (r *Renderer) limits(ctx context.Context) subproc.Limits {
	lim := subproc.Limits{Memory: r.opts.ToolMemory}
	if d, ok := ctx.Deadline(); ok {
		lim.CPU = max(time.Until(d), 0) + time.Second
	}
	return lim
}

// capped keeps the first limit bytes written and discards the rest.
type capped struct {
	bytes.Buffer
	limit int
}

func (c *capped) Write(p []byte) (int, error) {
	if room := c.limit - c.Len(); room > 0 {
		c.Buffer.Write(p[:min(room, len(p))])
	}
	return len(p), nil
}
