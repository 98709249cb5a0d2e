package download

import (
	"mime"
	"strings"
	"testing"
)

func TestAttachment(t *testing.T) {
	for _, c := range []struct{ name, want string }{
		{"photo.jpg", `attachment; filename="photo.jpg"`},
		{`a"b\c.txt`, `attachment; filename="a_b_c.txt"; filename*=UTF-8''a%22b%5Cc.txt`},
		{"Café.pdf", `attachment; filename="Caf_.pdf"; filename*=UTF-8''Caf%C3%A9.pdf`},
		{"line\r\nX-Evil: 1", `attachment; filename="line__X-Evil: 1"; filename*=UTF-8''line%0D%0AX-Evil%3A%201`},
	} {
		if got := Attachment(c.name); got != c.want {
			t.Errorf("Attachment(%q) = %s, want %s", c.name, got, c.want)
		}
	}
}

// Whatever the name, the value is one header line that a client reads
// back to the same name.
func FuzzAttachment(f *testing.F) {
	for _, s := range []string{"photo.jpg", "Café.pdf", "a\"b", "\x00\r\n", "../../etc/passwd"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		v := Attachment(name)
		if strings.ContainsAny(v, "\r\n\x00") {
			t.Fatalf("control character in %q", v)
		}
		_, params, err := mime.ParseMediaType(v)
		if err != nil {
			t.Fatalf("unreadable %q: %v", v, err)
		}
		if !strings.HasPrefix(v, "attachment;") {
			t.Fatalf("not an attachment: %q", v)
		}
		if got := params["filename"]; strings.ToValidUTF8(name, "") == name && got != name && !strings.ContainsAny(name, "\"\\") && isASCIIPrintable(name) {
			t.Fatalf("name %q read back as %q", name, got)
		}
	})
}

func isASCIIPrintable(s string) bool {
	for i := 0; i < len(s); i++ {
		if s[i] < 0x20 || s[i] > 0x7e {
			return false
		}
	}
	return true
}
