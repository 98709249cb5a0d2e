package httpapi

import "testing"

func TestAcceptsWebP(t *testing.T) {
	tests := []struct {
		accept []string
		want   bool
	}{
		{nil, false},
		{[]string{"*/*"}, false},
		{[]string{"image/*"}, false},
		{[]string{"image/webp"}, true},
		{[]string{"image/avif,image/webp,image/apng,image/svg+xml,image/*,*/*;q=0.8"}, true},
		{[]string{"text/html", "Image/WebP; q=0.5"}, true},
		{[]string{"image/webp;q=0"}, false},
		{[]string{"image/webp;q=0.0, image/jpeg"}, false},
		{[]string{"image/webpx"}, false},
	}
	for _, tc := range tests {
		if got := acceptsWebP(tc.accept); got != tc.want {
			t.Errorf("acceptsWebP(%q) = %v, want %v", tc.accept, got, tc.want)
		}
	}
}
