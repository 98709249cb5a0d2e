package media

import (
	"context"
	"fmt"
	"os"
	"path/filepath"
	"strconv"
	"time"
)

// The playback preview of a video or a sound: what a browser plays for a
// role that may not have the original (a guest). It is a rendition, made
// anew from the file, never the file: a video at most PlaybackSide pixels
// a side (H.264 and AAC in MP4), a sound as AAC at PlaybackAudioRate (M4A),
// each at most PlaybackDuration long.
const (
	PlaybackName      = "playback" // its name among an asset's renditions
	PlaybackSide      = 640
	PlaybackAudioRate = "96k"
	PlaybackDuration  = 10 * time.Minute
)

// Playback content types.
const (
	PlaybackVideoType = "video/mp4"
	PlaybackAudioType = "audio/mp4"
)

// RenderPlayback writes the playback preview of the video or sound at
// srcPath to dst, and answers its content type. ffprobe and ffmpeg run as
// children under the renderer's limits, as for a video's frame (local
// files only, the container formats of ffInputGuard), one thread.
//
// Errors: ErrUnsupported (not a video or a sound), ErrCorrupt, ErrLimit,
// context.DeadlineExceeded, ErrClosed, each wrapped.
func (r *Renderer) RenderPlayback(ctx context.Context, srcPath, dst string) (contentType string, err error) {
	defer func() { err = redactPath(err, srcPath) }()
	ctx, release, err := r.acquire(ctx)
	if err != nil {
		return "", err
	}
	defer release()
	format, err := Detect(srcPath)
	if err != nil {
		return "", fmt.Errorf("media: playback: %w", err)
	}
	if !format.Video() && !format.Audio() {
		return "", fmt.Errorf("media: playback: %w: %s is neither a video nor a sound", ErrUnsupported, format)
	}
	abs, err := filepath.Abs(srcPath)
	if err != nil {
		return "", fmt.Errorf("media: playback: %w", err)
	}
	input := "file:" + abs
	probe, err := r.probe(ctx, input)
	if err != nil {
		return "", err
	}
	if int64(probe.width)*int64(probe.height) > r.opts.MaxPixels {
		return "", fmt.Errorf("media: playback: %w: %dx%d, limit %d", ErrTooManyPixels, probe.width, probe.height, r.opts.MaxPixels)
	}
	args := []string{"-nostdin", "-hide_banner", "-loglevel", "error", "-threads", "1", "-filter_threads", "1"}
	args = append(args, ffInputGuard...)
	args = append(args, "-i", input, "-t", strconv.Itoa(int(PlaybackDuration.Seconds())), "-sn", "-dn", "-threads", "1")
	if probe.audioOnly {
		contentType = PlaybackAudioType
		args = append(args, "-map", "0:a:0", "-vn", "-c:a", "aac", "-b:a", PlaybackAudioRate, "-ac", "2",
			"-movflags", "+faststart", "-f", "ipod")
	} else {
		contentType = PlaybackVideoType
		side := strconv.Itoa(PlaybackSide)
		args = append(args, "-map", "0:v:0", "-map", "0:a:0?",
			"-vf", "scale='min("+side+",iw)':'min("+side+",ih)':force_original_aspect_ratio=decrease:force_divisible_by=2",
			"-c:v", "libx264", "-preset", "veryfast", "-crf", "28", "-pix_fmt", "yuv420p",
			"-c:a", "aac", "-b:a", PlaybackAudioRate, "-ac", "2", "-movflags", "+faststart", "-f", "mp4")
	}
	args = append(args, "-y", dst)
	if _, err := r.run(ctx, r.opts.FFmpeg, args); err != nil {
		return "", fmt.Errorf("media: playback: ffmpeg: %w", err)
	}
	if fi, err := os.Stat(dst); err != nil || fi.Size() == 0 {
		return "", fmt.Errorf("media: playback: %w: ffmpeg wrote nothing", ErrCorrupt)
	}
	return contentType, nil
}
