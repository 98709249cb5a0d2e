package media

import (
	"encoding/binary"
	"errors"
)

// Size is a named rendition size: the longest side of the rendition, in
// pixels, and its encoding (JPEG, or WebP for clients that accept it).
// Renditions are keyed by (source ref, Size.Name), so the tables below are
// the only place sizes are defined; never invent one at a call site.
type Size struct {
	Name string
	Px   int
	WebP bool // encoded as WebP rather than JPEG
}

// The fixed rendition sizes. Thumbnails appear in the API as _64.jpg,
// _128.jpg and _256.jpg; Preview is preview_url; Lightbox is for the web
// viewer.
var (
	Thumb64  = Size{Name: "thumb64", Px: 64}
	Thumb128 = Size{Name: "thumb128", Px: 128}
	Thumb256 = Size{Name: "thumb256", Px: 256}
	Preview  = Size{Name: "preview", Px: 1024}
	Lightbox = Size{Name: "lightbox", Px: 2048}
)

var sizeTable = [...]Size{Thumb64, Thumb128, Thumb256, Preview, Lightbox}

// webpTable holds the WebP twin of each size, made from the same decode:
// served to clients that send Accept: image/webp on the routes that
// negotiate (the URLs ending in .jpg stay JPEG).
var webpTable = [...]Size{
	{Name: "thumb64.webp", Px: 64, WebP: true},
	{Name: "thumb128.webp", Px: 128, WebP: true},
	{Name: "thumb256.webp", Px: 256, WebP: true},
	{Name: "preview.webp", Px: 1024, WebP: true},
	{Name: "lightbox.webp", Px: 2048, WebP: true},
}

// Sizes returns every JPEG rendition size, smallest first. The slice is a
// copy.
func Sizes() []Size {
	s := sizeTable
	return s[:]
}

// WebPSizes returns the WebP twin of every size, smallest first. The slice
// is a copy.
func WebPSizes() []Size {
	s := webpTable
	return s[:]
}

// AsWebP returns the WebP twin of s (s itself if it is WebP already).
func (s Size) AsWebP() Size {
	for _, w := range webpTable {
		if w.Px == s.Px {
			return w
		}
	}
	return s
}

// ContentType is the rendition's media type.
func (s Size) ContentType() string {
	if s.WebP {
		return "image/webp"
	}
	return "image/jpeg"
}

// SizeByName finds a size, JPEG or WebP, by its name ("thumb256",
// "preview.webp", ...).
func SizeByName(name string) (Size, bool) {
	for _, s := range append(sizeTable[:], webpTable[:]...) {
		if s.Name == name {
			return s, true
		}
	}
	return Size{}, false
}

// SizeByPx finds a JPEG size by its pixel length (64, 128, 256, 1024, 2048).
func SizeByPx(px int) (Size, bool) {
	for _, s := range sizeTable {
		if s.Px == px {
			return s, true
		}
	}
	return Size{}, false
}

// WebPDimensions reads the width and height of a WebP image (lossy VP8,
// lossless VP8L or extended VP8X) from its header.
func WebPDimensions(b []byte) (width, height int, err error) {
	if len(b) < 30 || string(b[:4]) != "RIFF" || string(b[8:12]) != "WEBP" {
		return 0, 0, errors.New("webp: no RIFF WEBP header")
	}
	switch string(b[12:16]) {
	case "VP8 ":
		// Frame tag (3 bytes), start code 9D 01 2A, then 14-bit sizes.
		if b[23] != 0x9d || b[24] != 0x01 || b[25] != 0x2a {
			return 0, 0, errors.New("webp: bad VP8 start code")
		}
		return int(binary.LittleEndian.Uint16(b[26:]) & 0x3fff), int(binary.LittleEndian.Uint16(b[28:]) & 0x3fff), nil
	case "VP8L":
		if b[20] != 0x2f {
			return 0, 0, errors.New("webp: bad VP8L signature")
		}
		v := binary.LittleEndian.Uint32(b[21:])
		return int(v&0x3fff) + 1, int(v>>14&0x3fff) + 1, nil
	case "VP8X":
		w := int(b[24]) | int(b[25])<<8 | int(b[26])<<16
		h := int(b[27]) | int(b[28])<<8 | int(b[29])<<16
		return w + 1, h + 1, nil
	}
	return 0, 0, errors.New("webp: unknown chunk " + string(b[12:16]))
}
