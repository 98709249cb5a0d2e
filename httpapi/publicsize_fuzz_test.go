package httpapi

import "testing"

// FuzzPublicSize: whatever follows /p/, reading a size never panics, and
// a size read is the one way of writing it: the token (with no '_'), an
// optional f, W x H in digits without leading zeros, .jpg. So one
// geometry has one URL.
func FuzzPublicSize(f *testing.F) {
	for _, s := range []string{
		"12-abcdefghijklmnopqrstuvwxyz_170x100.jpg", "12-abc_f170x100.jpg", "12-abc_f16x2048.jpg",
		"12-abc", "12-abc.jpg", "12-abc_170x100.png", "12-abc_0170x100.jpg", "12-abc_170x.jpg",
		"12-abc_x100.jpg", "_170x100.jpg", "12-abc_ff170x100.jpg", "12-abc_170x100x3.jpg",
		"12-abc_999999x1.jpg", "12-abc_-5x100.jpg", "12-abc_+5x100.jpg", "12_ab_1x1.jpg", "",
	} {
		f.Add(s)
	}
	f.Fuzz(func(t *testing.T, elem string) {
		token, g, ok := publicSize(elem)
		if !ok {
			if token != "" || g.Width != 0 || g.Height != 0 || g.Fill {
				t.Fatalf("%q: no size, but %q %+v", elem, token, g)
			}
			return
		}
		if token == "" {
			t.Fatalf("%q: token %q", elem, token)
		}
		if g.Width < 1 || g.Width > 99999 || g.Height < 1 || g.Height > 99999 {
			t.Fatalf("%q: %+v out of what five digits hold", elem, g)
		}
		if back := token + "_" + g.String() + ".jpg"; back != elem {
			t.Fatalf("%q read as %q %+v, written back %q", elem, token, g, back)
		}
	})
}
