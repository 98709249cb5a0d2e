// Package mediatest gives tests of any package the sample files of
// media/testdata, and makes the hostile files that are easier to build
// than to keep (a pixel bomb, a PDF with chosen objects).
package mediatest

import (
	"bytes"
	"context"
	"encoding/binary"
	"fmt"
	"hash/crc32"
	"os"
	"os/exec"
	"path/filepath"
	"runtime"
	"testing"
)

// Dir is the folder of the sample files, media/testdata, found from this
// source file so that a test of any package reaches it.
func Dir() string {
	_, file, _, _ := runtime.Caller(0)
	return filepath.Join(filepath.Dir(file), "..", "testdata")
}

// Sample reads the sample file name of media/testdata, failing the test
// if it cannot.
func Sample(t testing.TB, name string) []byte {
	t.Helper()
	b, err := os.ReadFile(filepath.Join(Dir(), name))
	if err != nil {
		t.Fatalf("sample file: %v", err)
	}
	return b
}

// BombPNG is a valid PNG signature and IHDR declaring w x h RGB pixels,
// and a tiny IDAT, as a decompression bomb would be.
func BombPNG(w, h uint32) []byte {
	var b bytes.Buffer
	b.WriteString("\x89PNG\r\n\x1a\n")
	chunk := func(typ string, data []byte) {
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		crc := crc32.NewIEEE()
		b.WriteString(typ)
		crc.Write([]byte(typ))
		b.Write(data)
		crc.Write(data)
		binary.Write(&b, binary.BigEndian, crc.Sum32())
	}
	ihdr := make([]byte, 13)
	binary.BigEndian.PutUint32(ihdr[0:], w)
	binary.BigEndian.PutUint32(ihdr[4:], h)
	ihdr[8], ihdr[9] = 8, 2 // 8-bit RGB
	chunk("IHDR", ihdr)
	chunk("IDAT", []byte{0x78, 0x9c, 0x03, 0x00, 0x00, 0x00, 0x00, 0x01})
	chunk("IEND", nil)
	return b.Bytes()
}

// PDF is a PDF file of the objects, numbered from 1 in order, with a
// correct cross-reference table; object 1 must be the catalog.
func PDF(objs ...string) []byte {
	var b bytes.Buffer
	b.WriteString("%PDF-1.4\n")
	offsets := make([]int, len(objs))
	for i, o := range objs {
		offsets[i] = b.Len()
		fmt.Fprintf(&b, "%d 0 obj\n%s\nendobj\n", i+1, o)
	}
	xref := b.Len()
	fmt.Fprintf(&b, "xref\n0 %d\n0000000000 65535 f \n", len(objs)+1)
	for _, off := range offsets {
		fmt.Fprintf(&b, "%010d 00000 n \n", off)
	}
	fmt.Fprintf(&b, "trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n", len(objs)+1, xref)
	return b.Bytes()
}

// Photos makes n different JPEGs of width x height pixels of Perlin noise
// (at 4000 x 3000 about 2.5 MB each, the texture of a photo) with the vips
// command-line tool, and count files of them in dir, each made unique by a
// comment segment so that none shares another's renditions.
func Photos(ctx context.Context, dir string, width, height, n, count int) ([]string, error) {
	if err := os.MkdirAll(dir, 0o755); err != nil {
		return nil, err
	}
	var srcs [][]byte
	for i := range n {
		src := filepath.Join(dir, fmt.Sprintf("src%d.jpg", i))
		v := filepath.Join(dir, fmt.Sprintf("n%d.v", i))
		for _, s := range [][]string{
			{"perlin", v, fmt.Sprint(width), fmt.Sprint(height), "--cell-size", fmt.Sprint(32 + 16*i), "--uchar", "--seed", fmt.Sprint(i + 1)},
			{"bandjoin", v + " " + v + " " + v, v + ".rgb.v"},
			{"copy", v + ".rgb.v", src + "[Q=90]", "--interpretation", "srgb"},
		} {
			if out, err := exec.CommandContext(ctx, "vips", s...).CombinedOutput(); err != nil {
				return nil, fmt.Errorf("vips %v: %w: %s", s, err, out)
			}
		}
		os.Remove(v)
		os.Remove(v + ".rgb.v")
		data, err := os.ReadFile(src)
		if err != nil {
			return nil, err
		}
		srcs = append(srcs, data)
	}
	files := make([]string, count)
	for i := range files {
		src := srcs[i%n]
		stamp := fmt.Sprintf("damask bench %04d", i)
		// SOI, then a COM segment (FF FE, length including itself), then
		// the rest of the file.
		data := append([]byte{}, src[:2]...)
		data = append(data, 0xFF, 0xFE, byte((len(stamp)+2)>>8), byte(len(stamp)+2))
		data = append(data, stamp...)
		data = append(data, src[2:]...)
		files[i] = filepath.Join(dir, fmt.Sprintf("img%03d.jpg", i))
		if err := os.WriteFile(files[i], data, 0o644); err != nil {
			return nil, err
		}
	}
	return files, nil
}
