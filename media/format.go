package media

import (
	"bytes"
	"errors"
	"fmt"
	"io"
	"os"
)

// Format is a file type recognised from a file's first bytes. The name of
// the file is never consulted: an MVG script named photo.jpg is not a JPEG.
type Format string

// Formats this package renders. FormatUnknown has no rendition.
const (
	FormatUnknown Format = ""
	FormatJPEG    Format = "jpeg"
	FormatPNG     Format = "png"
	FormatGIF     Format = "gif"
	FormatWebP    Format = "webp"
	FormatTIFF    Format = "tiff"
	FormatHEIF    Format = "heif" // HEIC and AVIF: one libheif loader
	FormatSVG     Format = "svg"
	FormatPDF     Format = "pdf" // and Illustrator files, which are PDFs inside
	FormatMP4     Format = "mp4" // ISO base media: MP4, MOV, M4V, 3GP
	FormatMKV     Format = "matroska"
	FormatAVI     Format = "avi"
)

// Video tells whether f is rendered with RenderVideoFrame.
func (f Format) Video() bool {
	return f == FormatMP4 || f == FormatMKV || f == FormatAVI
}

// vector formats are rasterised at the size asked for, so their declared
// width and height are no decoding cost and are not held to MaxPixels.
func (f Format) vector() bool { return f == FormatSVG || f == FormatPDF }

// sniffLen is how much of a file Detect reads.
const sniffLen = 4096

// Detect reads the start of the file at path and names its format.
// It returns ErrEmpty for a 0-byte file and ErrUnsupported, wrapped with what
// was seen, for anything that is not a format this package renders
// (PostScript, archives, audio, office documents, ImageMagick scripts...).
func Detect(path string) (Format, error) {
	f, err := os.Open(path)
	if err != nil {
		return FormatUnknown, fmt.Errorf("media: detect: %w", err)
	}
	defer f.Close()
	buf := make([]byte, sniffLen)
	n, err := io.ReadFull(f, buf)
	if err != nil && !errors.Is(err, io.ErrUnexpectedEOF) && !errors.Is(err, io.EOF) {
		return FormatUnknown, fmt.Errorf("media: detect %s: %w", path, err)
	}
	if n == 0 {
		return FormatUnknown, ErrEmpty
	}
	if ft := sniff(buf[:n]); ft != FormatUnknown {
		return ft, nil
	}
	return FormatUnknown, fmt.Errorf("%w: unrecognised content (%s)", ErrUnsupported, describe(buf[:n]))
}

func sniff(b []byte) Format {
	switch {
	case bytes.HasPrefix(b, []byte{0xFF, 0xD8, 0xFF}):
		return FormatJPEG
	case bytes.HasPrefix(b, []byte("\x89PNG\r\n\x1a\n")):
		return FormatPNG
	case bytes.HasPrefix(b, []byte("GIF87a")), bytes.HasPrefix(b, []byte("GIF89a")):
		return FormatGIF
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WEBP":
		return FormatWebP
	case len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "AVI ":
		return FormatAVI
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")),
		bytes.HasPrefix(b, []byte("II+\x00")), bytes.HasPrefix(b, []byte("MM\x00+")):
		return FormatTIFF
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return FormatPDF
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return FormatMKV
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return sniffFtyp(b)
	case len(b) >= 8 && (string(b[4:8]) == "moov" || string(b[4:8]) == "mdat" ||
		string(b[4:8]) == "wide" || string(b[4:8]) == "free"):
		return FormatMP4 // QuickTime without ftyp
	case isSVG(b):
		return FormatSVG
	}
	return FormatUnknown
}

// sniffFtyp tells HEIF/AVIF stills from MP4/MOV video by the ISO brands.
func sniffFtyp(b []byte) Format {
	size := int(b[0])<<24 | int(b[1])<<16 | int(b[2])<<8 | int(b[3])
	if size < 16 || size > len(b) {
		size = min(len(b), 64)
	}
	brands := [][]byte{b[8:12]}
	for i := 16; i+4 <= size; i += 4 {
		brands = append(brands, b[i:i+4])
	}
	for _, br := range brands {
		switch string(br) {
		case "heic", "heix", "heim", "heis", "avif", "mif1":
			return FormatHEIF
		}
	}
	return FormatMP4
}

// isSVG accepts text that opens an <svg> element near its start, as librsvg
// would, after an optional BOM, XML declaration, comments and DOCTYPE.
// Compressed SVG (svgz) is not accepted: it would be a gzip bomb vector.
func isSVG(b []byte) bool {
	b = bytes.TrimPrefix(b, []byte("\xEF\xBB\xBF"))
	b = bytes.TrimLeft(b, " \t\r\n")
	if !bytes.HasPrefix(b, []byte("<")) {
		return false
	}
	return bytes.Contains(b[:min(len(b), 1024)], []byte("<svg"))
}

// describe names common things we refuse, for the failure reason.
func describe(b []byte) string {
	switch {
	case bytes.HasPrefix(b, []byte("%!PS")), bytes.HasPrefix(b, []byte{0xC5, 0xD0, 0xD3, 0xC6}):
		return "PostScript/EPS"
	case bytes.HasPrefix(b, []byte("PK\x03\x04")):
		return "zip archive or office document"
	case bytes.HasPrefix(b, []byte{0x1F, 0x8B}):
		return "gzip"
	case bytes.HasPrefix(b, []byte("#EXTM3U")), bytes.HasPrefix(b, []byte("ffconcat")):
		return "playlist"
	case bytes.HasPrefix(b, []byte("ID3")), bytes.HasPrefix(b, []byte("fLaC")),
		len(b) >= 2 && b[0] == 0xFF && b[1]&0xE0 == 0xE0:
		return "audio"
	}
	return fmt.Sprintf("%d bytes starting %q", len(b), b[:min(len(b), 8)])
}
