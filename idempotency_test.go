package damask

import (
	"strings"
	"testing"
)

func TestValidIdempotencyKey(t *testing.T) {
	tests := []struct {
		key  string
		want bool
	}{
		{"", false},
		{"k", true},
		{"3f2b9c1e-8d4a-4e0b-9a57-2c1f0e6d7b38", true},
		{"with space", true},
		{" !\"#$%&'()*+,-./:;<=>?@[\\]^_`{|}~", true},
		{strings.Repeat("k", 255), true},
		{strings.Repeat("k", 256), false},
		{"tab\t", false},
		{"new\nline", false},
		{"nul\x00", false},
		{"del\x7f", false},
		{"clé", false},
	}
	for _, tt := range tests {
		if got := ValidIdempotencyKey(tt.key); got != tt.want {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", tt.key, got, tt.want)
		}
	}
}

// FuzzValidIdempotencyKey: a key that passes is what the README promises,
// 1 to 255 printable ASCII characters, and nothing else passes.
func FuzzValidIdempotencyKey(f *testing.F) {
	for _, s := range []string{"", "k", "a b", "clé", "\x00", strings.Repeat("x", 256)} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, k string) {
		want := len(k) >= 1 && len(k) <= 255
		for _, r := range k {
			if r < ' ' || r > '~' {
				want = false
			}
		}
		if got := ValidIdempotencyKey(k); got != want {
			t.Errorf("ValidIdempotencyKey(%q) = %v, want %v", k, got, want)
		}
	})
}
