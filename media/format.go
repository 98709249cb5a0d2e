package media

import (
	"bytes"
	"encoding/binary"
	"errors"
	"fmt"
	"io"
	"net/http"
	"os"
	"strings"
)

// Sniff names the media type of a file's first bytes (up to 512 are
// read) by the WHATWG MIME Sniffing rules, application/octet-stream when
// they tell nothing: the type a file is stored and served with, where
// Detect is the format this package would render. The rules are
// net/http's DetectContentType; they live here, by the other readings of a
// file's bytes, so that library takes a file's type without importing HTTP.
func Sniff(head []byte) string { return http.DetectContentType(head) }

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
	FormatPSD     Format = "psd"   // Photoshop: the composite, through ImageMagick
	FormatRAW     Format = "raw"   // camera RAW: the embedded preview, through exiftool
	FormatAudio   Format = "audio" // MP3, FLAC, WAV, Ogg, AIFF: a waveform, through ffmpeg
)

// Audio tells whether f is a sound, rendered as a waveform by
// RenderVideoFrame. Sound in an MP4 container (M4A) is FormatMP4, found to
// be sound by ffprobe.
func (f Format) Audio() bool { return f == FormatAudio }

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
	case isRAW(b):
		return FormatRAW
	case bytes.HasPrefix(b, []byte("II*\x00")), bytes.HasPrefix(b, []byte("MM\x00*")),
		bytes.HasPrefix(b, []byte("II+\x00")), bytes.HasPrefix(b, []byte("MM\x00+")):
		return FormatTIFF
	case bytes.HasPrefix(b, []byte("%PDF-")):
		return FormatPDF
	case bytes.HasPrefix(b, []byte("8BPS\x00\x01")):
		return FormatPSD // version 2 is PSB, the large format: not rendered
	case bytes.HasPrefix(b, []byte{0x1A, 0x45, 0xDF, 0xA3}):
		return FormatMKV
	case len(b) >= 12 && string(b[4:8]) == "ftyp":
		return sniffFtyp(b)
	case len(b) >= 8 && (string(b[4:8]) == "moov" || string(b[4:8]) == "mdat" ||
		string(b[4:8]) == "wide" || string(b[4:8]) == "free"):
		return FormatMP4 // QuickTime without ftyp
	case isSVG(b):
		return FormatSVG
	case bytes.HasPrefix(b, []byte("ID3")), bytes.HasPrefix(b, []byte("fLaC")), bytes.HasPrefix(b, []byte("OggS")),
		len(b) >= 12 && bytes.HasPrefix(b, []byte("RIFF")) && string(b[8:12]) == "WAVE",
		len(b) >= 12 && bytes.HasPrefix(b, []byte("FORM")) && (string(b[8:12]) == "AIFF" || string(b[8:12]) == "AIFC"),
		len(b) >= 4 && b[0] == 0xFF && b[1]&0xE0 == 0xE0 && b[1]&0x06 != 0 && b[2]&0xF0 != 0xF0: // MPEG audio frame
		return FormatAudio
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
		case "crx ":
			return FormatRAW // Canon CR3
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

// rawMakers are the makers whose TIFF-structured RAW files (NEF, ARW, PEF,
// SRW, 3FR, IIQ, ERF, MEF, MOS, DCR...) carry no mark of their own: a
// TIFF by one of them with sub-images is taken for a RAW. A plain TIFF
// taken so by mistake loses nothing: with no embedded preview it is
// rendered as the TIFF it is.
var rawMakers = []string{"NIKON", "SONY", "PENTAX", "RICOH", "SAMSUNG", "Hasselblad", "Phase One",
	"Leaf", "Mamiya", "KODAK", "Kodak", "EASTMAN KODAK", "Canon", "OLYMPUS", "Panasonic", "LEICA",
	"SIGMA", "EPSON", "Minolta", "KONICA MINOLTA", "FUJIFILM", "Seiko Epson"}

// isRAW recognises camera RAW files by their marks: ORF, RW2, RAF and CR2
// by their headers, DNG by the DNGVersion tag, and the others by a RAW
// maker's Make tag next to SubIFDs in IFD0. Only the first sniffLen bytes
// are read; an IFD0 beyond them is not RAW.
func isRAW(b []byte) bool {
	switch {
	case bytes.HasPrefix(b, []byte("FUJIFILMCCD-RAW")),
		bytes.HasPrefix(b, []byte("IIRO\x08\x00")), bytes.HasPrefix(b, []byte("IIRS\x08\x00")),
		bytes.HasPrefix(b, []byte("MMOR\x00\x00")),    // Olympus ORF
		bytes.HasPrefix(b, []byte("IIU\x00\x08\x00")): // Panasonic RW2
		return true
	case bytes.HasPrefix(b, []byte("II*\x00")) && len(b) >= 11 && string(b[8:11]) == "CR\x02":
		return true // Canon CR2
	}
	var bo binary.ByteOrder
	switch {
	case bytes.HasPrefix(b, []byte("II*\x00")):
		bo = binary.LittleEndian
	case bytes.HasPrefix(b, []byte("MM\x00*")):
		bo = binary.BigEndian
	default:
		return false
	}
	off := int(bo.Uint32(b[4:8]))
	if off < 8 || off+2 > len(b) {
		return false
	}
	n := int(bo.Uint16(b[off:]))
	var maker string
	subIFDs := false
	for i := range n {
		e := off + 2 + 12*i
		if e+12 > len(b) {
			break
		}
		tag, typ, count := bo.Uint16(b[e:]), bo.Uint16(b[e+2:]), int(bo.Uint32(b[e+4:]))
		switch tag {
		case 50706: // DNGVersion
			return true
		case 330: // SubIFDs
			subIFDs = true
		case 271: // Make
			if typ != 2 || count <= 0 || count > 64 {
				continue
			}
			v := b[e+8 : e+12]
			if count > 4 {
				at := int(bo.Uint32(b[e+8:]))
				if at < 0 || at+count > len(b) {
					continue
				}
				v = b[at : at+count]
			}
			maker = string(bytes.TrimRight(v[:min(count, len(v))], "\x00 "))
		}
	}
	if !subIFDs || maker == "" {
		return false
	}
	for _, m := range rawMakers {
		if strings.HasPrefix(maker, m) {
			return true
		}
	}
	return false
}
