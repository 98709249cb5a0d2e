package httpapi

import (
	"strconv"
	"strings"
	"testing"

	"damask"
	"damask/media"
)

// FuzzCapabilityPath: any path a stranger sends under /t/ is either
// refused as not found or read into parts that make the same path again,
// with a 16-hex key and a size of the table.
func FuzzCapabilityPath(f *testing.F) {
	for _, p := range []string{
		"/t/12-abcdefghijklmnopqrstuvwxyz/0123456789abcdef_64.jpg",
		"/t/12-abc/0123456789abcdef_2048.jpg",
		"/t/12-abc/0123456789abcdef_100.jpg",
		"/t/12-abc/0123456789ABCDEF_64.jpg",
		"/t/12-abc/x/0123456789abcdef_64.jpg",
		"/t//0123456789abcdef_64.jpg",
		"/t/", "/t", "/p/1-abc", "",
		"/t/12-abc/0123456789abcdef_0064.jpg",
		"/t/12-abc/0123456789abcdef_64.jpg\x00",
	} {
		f.Add(p)
	}
	f.Fuzz(func(t *testing.T, p string) {
		capability, key, size, err := parseCapabilityPath(p)
		if err != nil {
			if damask.ErrorCode(err) != damask.ENOTFOUND {
				t.Fatalf("%q: %v, want not found", p, err)
			}
			return
		}
		if _, ok := media.SizeByPx(size.Px); !ok || size.WebP {
			t.Fatalf("%q: size %+v", p, size)
		}
		if len(key) != 16 || strings.Trim(key, "0123456789abcdef") != "" {
			t.Fatalf("%q: key %q", p, key)
		}
		if strings.Contains(capability, "/") {
			t.Fatalf("%q: capability %q holds a slash", p, capability)
		}
		if again := capabilityPrefix + capability + "/" + key + "_" + strconv.Itoa(size.Px) + ".jpg"; again != p {
			t.Fatalf("%q read as %q", p, again)
		}
	})
}
