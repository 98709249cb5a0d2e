package library

import (
	"strings"
	"unicode"

	"damask"
)

// Limits of an asset's Path.
const (
	maxPath        = 1024 // bytes of the whole path
	maxPathSegment = 255  // bytes of one folder's name, as of a filename
	maxPathDepth   = 64   // folders
)

// CleanPath writes a client's folder as an asset's Path: slashes and
// backslashes alike separate folders; empty and "." segments, the
// slashes at either end, control characters, bidirectional controls and
// the space around each name are dropped; invalid UTF-8 becomes U+FFFD.
// A ".." segment is EINVALID (a path only ever goes down), as is a path
// past 1,024 bytes, 64 folders or a name of 255 bytes. The answer is
// clean: CleanPath of it is itself. "" is the top.
func CleanPath(p string) (string, error) {
	p = strings.ToValidUTF8(p, "\uFFFD")
	var segs []string
	for _, seg := range strings.FieldsFunc(p, func(r rune) bool { return r == '/' || r == '\\' }) {
		seg = strings.TrimSpace(strings.Map(func(r rune) rune {
			if unicode.IsControl(r) || bidiControl(r) {
				return -1
			}
			return r
		}, seg))
		switch {
		case seg == "" || seg == ".":
			continue
		case seg == "..":
			return "", damask.Errorf(damask.EINVALID, "Path may not hold \"..\": it names a folder of the library, from the top down")
		case len(seg) > maxPathSegment:
			return "", damask.Errorf(damask.EINVALID, "Path holds a folder name longer than %d bytes", maxPathSegment)
		}
		segs = append(segs, seg)
	}
	if len(segs) > maxPathDepth {
		return "", damask.Errorf(damask.EINVALID, "Path is more than %d folders deep", maxPathDepth)
	}
	out := strings.Join(segs, "/")
	if len(out) > maxPath {
		return "", damask.Errorf(damask.EINVALID, "Path is longer than %d bytes", maxPath)
	}
	return out, nil
}

// joinPath puts the folder sub below base, both clean.
func joinPath(base, sub string) string {
	switch {
	case base == "":
		return sub
	case sub == "":
		return base
	}
	return base + "/" + sub
}
