package media

// Size is a named rendition size: the longest side of the rendition, in
// pixels. Renditions are keyed by (source ref, Size.Name), so the table below
// is the only place sizes are defined; never invent one at a call site.
type Size struct {
	Name string
	Px   int
}

// The fixed rendition sizes. Thumbnails appear in the API as _64.jpg,
// _128.jpg and _256.jpg; Preview is preview_url; Lightbox is for the web
// viewer.
var (
	Thumb64  = Size{Name: "thumb64", Px: 64}
	Thumb128 = Size{Name: "thumb128", Px: 128}
	Thumb256 = Size{Name: "thumb256", Px: 256}
	Preview  = Size{Name: "preview", Px: 1024}
	Lightbox = Size{Name: "lightbox", Px: 2048}
)

var sizeTable = [...]Size{Thumb64, Thumb128, Thumb256, Preview, Lightbox}

// Sizes returns every rendition size, smallest first. The slice is a copy.
func Sizes() []Size {
	s := sizeTable
	return s[:]
}

// SizeByName finds a size by its name ("thumb256", "preview", ...).
func SizeByName(name string) (Size, bool) {
	for _, s := range sizeTable {
		if s.Name == name {
			return s, true
		}
	}
	return Size{}, false
}

// SizeByPx finds a size by its pixel length (64, 128, 256, 1024, 2048).
func SizeByPx(px int) (Size, bool) {
	for _, s := range sizeTable {
		if s.Px == px {
			return s, true
		}
	}
	return Size{}, false
}
