//go:build ignore

// mkdng writes a small but well-formed DNG: IFD0 holds a 60x40 RGB
// thumbnail and the camera's tags (Orientation 6, so the picture is shown
// rotated 90 degrees clockwise), SubIFD 1 an 8-bit Bayer CFA raw image, and
// SubIFD 2 the given JPEG as the full-size preview, as cameras and Adobe's
// converter lay them out. exiftool reads it as DNG with a PreviewImage.
//
//	go run mkdng.go preview.jpg out.dng
package main

import (
	"bytes"
	"encoding/binary"
	"image/jpeg"
	"log"
	"os"
)

type entry struct {
	tag, typ uint16
	count    uint32
	data     []byte // the value's bytes; placed inline when 4 or fewer
}

const (
	tByte      = 1
	tASCII     = 2
	tShort     = 3
	tLong      = 4
	tRational  = 5
	tSRational = 10
)

var le = binary.LittleEndian

func shorts(v ...uint16) entry {
	b := make([]byte, 2*len(v))
	for i, x := range v {
		le.PutUint16(b[2*i:], x)
	}
	return entry{typ: tShort, count: uint32(len(v)), data: b}
}

func longs(v ...uint32) entry {
	b := make([]byte, 4*len(v))
	for i, x := range v {
		le.PutUint32(b[4*i:], x)
	}
	return entry{typ: tLong, count: uint32(len(v)), data: b}
}

func ascii(s string) entry {
	return entry{typ: tASCII, count: uint32(len(s) + 1), data: append([]byte(s), 0)}
}

func bytesOf(v ...byte) entry { return entry{typ: tByte, count: uint32(len(v)), data: v} }

func srationals(v ...int32) entry { // pairs of numerator, denominator
	b := make([]byte, 4*len(v))
	for i, x := range v {
		le.PutUint32(b[4*i:], uint32(x))
	}
	return entry{typ: tSRational, count: uint32(len(v) / 2), data: b}
}

func tag(t uint16, e entry) entry { e.tag = t; return e }

// ifd is laid out at off: the entry table, then the values too long to be
// inline. It returns the bytes and leaves the next-IFD pointer 0.
func ifd(off uint32, entries []entry) []byte {
	n := len(entries)
	table := 2 + 12*n + 4
	var vals bytes.Buffer
	var b bytes.Buffer
	binary.Write(&b, le, uint16(n))
	for _, e := range entries {
		binary.Write(&b, le, e.tag)
		binary.Write(&b, le, e.typ)
		binary.Write(&b, le, e.count)
		if len(e.data) <= 4 {
			v := make([]byte, 4)
			copy(v, e.data)
			b.Write(v)
			continue
		}
		binary.Write(&b, le, off+uint32(table)+uint32(vals.Len()))
		vals.Write(e.data)
		if vals.Len()%2 == 1 {
			vals.WriteByte(0)
		}
	}
	binary.Write(&b, le, uint32(0))
	b.Write(vals.Bytes())
	return b.Bytes()
}

func main() {
	if len(os.Args) != 3 {
		log.Fatal("usage: go run mkdng.go preview.jpg out.dng")
	}
	preview, err := os.ReadFile(os.Args[1])
	if err != nil {
		log.Fatal(err)
	}
	cfg, err := jpeg.DecodeConfig(bytes.NewReader(preview))
	if err != nil {
		log.Fatal(err)
	}
	w, h := uint32(cfg.Width), uint32(cfg.Height)

	// As cameras do, IFD0 right after the 8-byte header, then the
	// sub-IFDs, then the image data. The IFDs' lengths do not depend on
	// the offsets they hold, so a first layout with zeros measures them.
	const tw, th = 60, 40
	var thumb, raw []byte
	for y := range th {
		for x := range tw {
			thumb = append(thumb, byte(x*4), byte(y*6), 128)
		}
	}
	for y := range h {
		for x := range w {
			// RGGB mosaic of the same gradient the preview shows.
			v := byte(x * 255 / w)
			if (x+y)%2 == 1 {
				v = byte(y * 255 / h)
			} else if y%2 == 1 {
				v = 128
			}
			raw = append(raw, v)
		}
	}
	colorMatrix := srationals(10000, 10000, 0, 10000, 0, 10000,
		0, 10000, 10000, 10000, 0, 10000,
		0, 10000, 0, 10000, 10000, 10000)
	rawIFD := func(at uint32) []entry {
		return []entry{
			tag(254, longs(0)),
			tag(256, longs(w)), tag(257, longs(h)),
			tag(258, shorts(8)), tag(259, shorts(1)), tag(262, shorts(32803)),
			tag(273, longs(at)), tag(277, shorts(1)), tag(278, longs(h)),
			tag(279, longs(uint32(len(raw)))), tag(284, shorts(1)),
			tag(33421, shorts(2, 2)), tag(33422, bytesOf(0, 1, 1, 2)),
			tag(50717, longs(255)),
		}
	}
	prevIFD := func(at uint32) []entry {
		return []entry{
			tag(254, longs(1)),
			tag(256, longs(w)), tag(257, longs(h)),
			tag(258, shorts(8, 8, 8)), tag(259, shorts(7)), tag(262, shorts(6)),
			tag(273, longs(at)), tag(277, shorts(3)), tag(278, longs(h)),
			tag(279, longs(uint32(len(preview)))), tag(284, shorts(1)),
		}
	}
	ifd0 := func(at, sub1, sub2 uint32) []entry {
		return []entry{
			tag(254, longs(1)),
			tag(256, longs(tw)), tag(257, longs(th)),
			tag(258, shorts(8, 8, 8)), tag(259, shorts(1)), tag(262, shorts(2)),
			tag(271, ascii("Damask")), tag(272, ascii("Test DNG")),
			tag(273, longs(at)), tag(274, shorts(6)), tag(277, shorts(3)),
			tag(278, longs(th)), tag(279, longs(uint32(len(thumb)))), tag(284, shorts(1)),
			tag(305, ascii("damask media/testdata/mkdng.go")),
			tag(330, longs(sub1, sub2)),
			tag(50706, bytesOf(1, 4, 0, 0)), tag(50707, bytesOf(1, 1, 0, 0)),
			tag(50708, ascii("Damask Test DNG")),
			tag(50721, colorMatrix), tag(50778, shorts(21)),
		}
	}
	off0 := uint32(8)
	off1 := off0 + uint32(len(ifd(0, ifd0(0, 0, 0))))
	off2 := off1 + uint32(len(ifd(0, rawIFD(0))))
	dataOff := off2 + uint32(len(ifd(0, prevIFD(0))))
	thumbOff := dataOff
	rawOff := thumbOff + uint32(len(thumb))
	prevOff := rawOff + uint32(len(raw))

	out := []byte("II*\x00\x00\x00\x00\x00")
	le.PutUint32(out[4:], off0)
	out = append(out, ifd(off0, ifd0(thumbOff, off1, off2))...)
	out = append(out, ifd(off1, rawIFD(rawOff))...)
	out = append(out, ifd(off2, prevIFD(prevOff))...)
	out = append(out, thumb...)
	out = append(out, raw...)
	out = append(out, preview...)
	if err := os.WriteFile(os.Args[2], out, 0o644); err != nil {
		log.Fatal(err)
	}
}
