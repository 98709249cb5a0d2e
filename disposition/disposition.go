// Package disposition writes Content-Disposition values (RFC 6266), so that
// a downloaded file keeps its name whatever characters it holds, and no
// name can break out of the header.
package disposition

import (
	"fmt"
	"strings"
)

// Attachment is "attachment" with the file's name: an ASCII fallback in
// filename (controls, quotes, backslashes and non-ASCII bytes become '_')
// and, when that differs, the exact name in UTF-8 in filename* (RFC 8187).
func Attachment(name string) string {
	ascii := strings.Map(func(r rune) rune {
		if r < 0x20 || r > 0x7e || r == '"' || r == '\\' {
			return '_'
		}
		return r
	}, name)
	v := `attachment; filename="` + ascii + `"`
	if ascii != name {
		v += "; filename*=UTF-8''" + extValue(name)
	}
	return v
}

// extValue percent-encodes every byte of s but RFC 8187's attr-chars.
func extValue(s string) string {
	var b strings.Builder
	for i := 0; i < len(s); i++ {
		c := s[i]
		if 'a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9' || strings.IndexByte("!#$&+-.^_`|~", c) >= 0 {
			b.WriteByte(c)
		} else {
			fmt.Fprintf(&b, "%%%02X", c)
		}
	}
	return b.String()
}
