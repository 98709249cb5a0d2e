package metadata

import (
	"bytes"
	"encoding/binary"
	"fmt"
	"io"
	"os"
)

// MaxArchiveEntries is the most entries a zip file (an archive, or an
// office document, which is a zip) may list for exiftool to be given it.
// exiftool walks every entry: a 10 MB zip of 100,000 empty files takes it
// over a minute and half a gigabyte, so each upload of one would hold a
// worker until the time limit, on every retry. A real .docx or .xlsx has
// tens to hundreds of entries.
const MaxArchiveEntries = 10000

// zipEntries answers the number of entries a zip file's end record
// declares, reading only the end of the file; ok is false for a file that
// is not a zip (or whose end record is missing: exiftool decides then).
func zipEntries(f *os.File) (n uint64, ok bool, err error) {
	head := make([]byte, 4)
	if _, err := f.ReadAt(head, 0); err != nil {
		return 0, false, nil // shorter than a zip
	}
	if !bytes.Equal(head, []byte("PK\x03\x04")) && !bytes.Equal(head, []byte("PK\x05\x06")) {
		return 0, false, nil
	}
	fi, err := f.Stat()
	if err != nil {
		return 0, false, err
	}
	// The end record is 22 bytes and a comment of at most 65535.
	size := fi.Size()
	tail := min(size, 22+65535)
	buf := make([]byte, tail)
	if _, err := f.ReadAt(buf, size-tail); err != nil && err != io.EOF {
		return 0, false, err
	}
	i := bytes.LastIndex(buf, []byte("PK\x05\x06"))
	if i < 0 || i+22 > len(buf) {
		return 0, false, nil
	}
	n = uint64(binary.LittleEndian.Uint16(buf[i+10:]))
	if n != 0xFFFF {
		return n, true, nil
	}
	// Zip64: a locator just before the end record gives the offset of the
	// zip64 end record, which holds the real count.
	if i < 20 || !bytes.Equal(buf[i-20:i-16], []byte("PK\x06\x07")) {
		return n, true, nil
	}
	off := int64(binary.LittleEndian.Uint64(buf[i-20+8:]))
	rec := make([]byte, 56)
	if _, err := f.ReadAt(rec, off); err != nil || !bytes.Equal(rec[:4], []byte("PK\x06\x06")) {
		return n, true, nil
	}
	return binary.LittleEndian.Uint64(rec[32:]), true, nil
}

// checkArchive refuses a zip of more than MaxArchiveEntries entries with
// ErrTooLarge, before any tool reads it.
func checkArchive(path string) error {
	f, err := os.Open(path)
	if err != nil {
		return err
	}
	defer f.Close()
	n, ok, err := zipEntries(f)
	if err != nil {
		return fmt.Errorf("read the zip's end record: %w", err)
	}
	if ok && n > MaxArchiveEntries {
		return fmt.Errorf("zip of %d entries, over %d: %w", n, MaxArchiveEntries, ErrTooLarge)
	}
	return nil
}
