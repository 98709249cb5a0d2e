package library_test

import (
	"strings"
	"testing"

	"damask"
	"damask/library"
)

func TestLoadTimeZone(t *testing.T) {
	for _, tt := range []struct {
		name string
		ok   bool
	}{
		{"Europe/Vienna", true}, {"UTC", true}, {"America/Argentina/Buenos_Aires", true}, {"Etc/GMT+5", true},
		{"", false}, {"Local", false}, {"Mars/Olympus", false}, {"../../etc/passwd", false}, {"/etc/localtime", false},
		{"Europe/Vienna\x00", false}, {strings.Repeat("A", 65), false}, {"Europe/../Europe/Vienna", false},
	} {
		l, err := library.LoadTimeZone(tt.name)
		if tt.ok != (err == nil) {
			t.Errorf("LoadTimeZone(%q) = %v, %v; want ok %v", tt.name, l, err, tt.ok)
		}
		if err != nil && damask.ErrorCode(err) != damask.EINVALID {
			t.Errorf("LoadTimeZone(%q): code %s", tt.name, damask.ErrorCode(err))
		}
		if err == nil && l.String() != tt.name {
			t.Errorf("LoadTimeZone(%q) is %s", tt.name, l)
		}
	}
}

// A zone name comes from outside (a form, a cookie): never a panic, and a
// zone only for a name that is one.
func FuzzLoadTimeZone(f *testing.F) {
	for _, s := range []string{"Europe/Vienna", "UTC", "Local", "../x", "", "Etc/GMT-14"} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, name string) {
		l, err := library.LoadTimeZone(name)
		if err == nil && (l == nil || l.String() != name || name == "Local") {
			t.Errorf("LoadTimeZone(%q) = %v", name, l)
		}
	})
}
