package media

import (
	"context"
	"fmt"
	"io"
	"os"
	"path/filepath"
	"strconv"
	"strings"
)

// rawPreviews are the exiftool tags under which cameras embed JPEGs in
// their RAW files, in no order: the largest one found is rendered.
var rawPreviews = []string{"PreviewImage", "JpgFromRaw", "OtherImage"}

// renderRAW renders a camera RAW file from the largest JPEG it embeds,
// which exiftool writes out (a child under the tool limits, as ffmpeg is),
// turned upright by the RAW's own orientation: the preview's orientation
// tag, if it has one, is the camera's business and often wrong. The raw
// sensor data is never decoded.
//
// A TIFF-structured file with no embedded JPEG is rendered as a TIFF (its
// first image: a plain TIFF that looked like a RAW, or a RAW's own
// thumbnail); any other RAW without one is ErrUnsupported.
func (r *Renderer) renderRAW(ctx context.Context, path string, do maker) (Info, error) {
	info := Info{Format: FormatRAW}
	abs, err := filepath.Abs(path)
	if err != nil {
		return info, fmt.Errorf("media: raw preview: %w", err)
	}
	dir, err := os.MkdirTemp(r.opts.TempDir, "damask-raw-")
	if err != nil {
		return info, fmt.Errorf("media: raw preview: %w", err)
	}
	defer os.RemoveAll(dir)
	// -W names each extracted tag's file from a template in which % is
	// special: the folder's own % signs are doubled.
	template := filepath.Join(strings.ReplaceAll(dir, "%", "%%"), "%t%-c.%s")
	args := []string{"-config", "", "-q", "-q", "-a", "-n", "-b", "-W", template}
	for _, t := range rawPreviews {
		args = append(args, "-"+t)
	}
	// The absolute path cannot be taken for an option ("-x.nef").
	args = append(args, "-Orientation", abs)
	if _, err := r.run(ctx, r.opts.ExifTool, args); err != nil {
		return info, fmt.Errorf("media: raw preview: exiftool: %w", err)
	}

	preview, orient, err := pickPreview(dir)
	if err != nil {
		return info, err
	}
	if preview == "" {
		if isTIFF(abs) {
			fi, err := r.renderImage(ctx, path, FormatTIFF, 0, do)
			fi.Format = FormatRAW
			return fi, err
		}
		return info, fmt.Errorf("media: raw preview: %w: camera RAW with no embedded preview", ErrUnsupported)
	}
	fi, err := r.renderImage(ctx, preview, FormatJPEG, orient, do)
	fi.Format = FormatRAW
	return fi, err
}

// pickPreview chooses the largest JPEG exiftool wrote into dir and reads
// the orientation it wrote (1 when there is none or it is out of range).
func pickPreview(dir string) (path string, orient int, err error) {
	entries, err := os.ReadDir(dir)
	if err != nil {
		return "", 0, fmt.Errorf("media: raw preview: %w", err)
	}
	orient = 1
	var best int64
	for _, e := range entries {
		name := e.Name()
		p := filepath.Join(dir, name)
		if name == "Orientation.txt" {
			b, err := os.ReadFile(p)
			if err == nil {
				if o, err := strconv.Atoi(strings.TrimSpace(string(b))); err == nil && o >= 1 && o <= 8 {
					orient = o
				}
			}
			continue
		}
		fi, err := e.Info()
		if err != nil || !fi.Mode().IsRegular() || fi.Size() <= best || !isPreviewName(name) {
			continue
		}
		if f, err := Detect(p); err != nil || f != FormatJPEG {
			continue // some makers' "previews" are TIFF strips or garbage
		}
		path, best = p, fi.Size()
	}
	return path, orient, nil
}

func isPreviewName(name string) bool {
	for _, t := range rawPreviews {
		if strings.HasPrefix(name, t) {
			return true
		}
	}
	return false
}

// isTIFF tells whether the file starts as a TIFF does.
func isTIFF(path string) bool {
	f, err := os.Open(path)
	if err != nil {
		return false
	}
	defer f.Close()
	var b [4]byte
	if _, err := io.ReadFull(f, b[:]); err != nil {
		return false
	}
	s := string(b[:])
	return s == "II*\x00" || s == "MM\x00*"
}

// redactPath keeps the server's folders out of an error whose text users
// see as a processing reason: tools and decoders name the file they read
// (exiftool's "File format error - /srv/...", ImageMagick's "`/srv/...'").
func redactPath(err error, path string) error {
	if err == nil {
		return nil
	}
	if abs, aerr := filepath.Abs(path); aerr == nil {
		err = redact{err, abs, "the file"}
	}
	return redact{err, path, "the file"}
}

// redact is err with every old in its message replaced by new.
type redact struct {
	err      error
	old, new string
}

func (e redact) Error() string { return strings.ReplaceAll(e.err.Error(), e.old, e.new) }
func (e redact) Unwrap() error { return e.err }
