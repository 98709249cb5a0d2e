package library

import "testing"

// webpSize reads the canvas of each of WebP's three first chunks; a
// header that claims one but lacks its signature is refused.
func TestWebPSize(t *testing.T) {
	riff := func(chunk string, data ...byte) []byte {
		b := append([]byte("RIFF\x00\x00\x00\x00WEBP"+chunk+"\x00\x00\x00\x00"), data...)
		return append(b, make([]byte, 16)...)
	}
	for _, tt := range []struct {
		name string
		data []byte
		w, h int
		ok   bool
	}{
		{"lossy", riff("VP8 ", 0, 0, 0, 0x9d, 0x01, 0x2a, 0x58, 0x02, 0x90, 0x01), 600, 400, true},
		{"lossy without start code", riff("VP8 ", 0, 0, 0, 0, 0, 0, 0x58, 0x02, 0x90, 0x01), 0, 0, false},
		// 14 bits of width-1 (99), then 14 of height-1 (49): 99 | 49<<14.
		{"lossless", riff("VP8L", 0x2f, 0x63, 0x40, 0x0c, 0), 100, 50, true},
		{"lossless without signature", riff("VP8L", 0, 0x63, 0x40, 0x0c, 0), 0, 0, false},
		{"extended", riff("VP8X", 0, 0, 0, 0, 0x57, 0x02, 0, 0x8f, 0x01, 0), 600, 400, true},
		{"unknown chunk", riff("ALPH"), 0, 0, false},
		{"short", []byte("RIFF\x00\x00\x00\x00WEBPVP8X"), 0, 0, false},
	} {
		w, h, ok := webpSize(tt.data)
		if w != tt.w || h != tt.h || ok != tt.ok {
			t.Errorf("%s: %d×%d %v, want %d×%d %v", tt.name, w, h, ok, tt.w, tt.h, tt.ok)
		}
	}
}
