// Package metadata reads what a file says about itself: EXIF, IPTC and XMP
// through exiftool, streams and duration through ffprobe, and a PDF's text
// through pdftotext. It maps them to the fluxiom metadata_* fields and to
// the Asset fields search uses (width, height, camera, taken_at, GPS, text),
// and keeps exiftool's whole answer, bounded, as Raw. Composite tags
// (exiftool's derived values: ImageSize, GPSPosition, Aperture...) are not
// asked for, which halves exiftool's time per file; the mapping works out
// the few it needs from their parts, and asks for LensID alone when a
// camera gives its lens only as a number.
//
// Every file is hostile. The safety choices:
//
//   - Tools run with exec, never a shell; a file reaches them as an absolute
//     path, so a name such as "-evil.jpg" cannot be read as an option. Paths
//     with a newline, carriage return or NUL are refused (they would split
//     exiftool's argument lines), and so is anything but a regular file (a
//     FIFO would block a tool forever).
//   - exiftool must be 12.24 or newer (CVE-2021-22204, code execution from
//     DjVu annotations); NewExifTool checks the version and refuses older.
//     It runs with -config "" so no user config file loads Perl code.
//   - ffprobe runs with -protocol_whitelist file and a demuxer whitelist that
//     leaves out playlists (hls, concat, ...): an .m3u8 or ffconcat file
//     renamed .mp4 fetches nothing, neither from the network nor from other
//     local files.
//   - Every child has a time limit and is killed (its process group) when
//     it passes it or when the caller's context ends; an exiftool process
//     killed so is replaced on the next call. Every child also runs under
//     kernel limits on address space, CPU time and file size (package
//     subproc); one stopped by them fails with a reason that says so.
//   - Output is bounded: exiftool's answer per file (MaxOutput), each string
//     and list in Raw, Raw as a whole (about 1 MiB encoded), ffprobe's JSON,
//     and a PDF's text (the first 50 pages, at most 1 MiB).
//   - Empty, truncated and corrupt files end in an error that wraps
//     ErrUnreadable and says why, never in a hang.
package metadata

import (
	"context"
	"encoding/json"
	"fmt"
	"os"
	"strconv"
	"strings"
	"time"

	"damask"
)

// Config configures an Extractor. Zero values take the defaults.
type Config struct {
	ExifTool  ExifToolConfig
	FFprobe   string        // default "ffprobe"
	PDFToText string        // default "pdftotext"
	Timeout   time.Duration // per ffprobe or pdftotext run; default 30s
	MaxText   int           // bytes of document text kept; default 1 MiB
	MaxPages  int           // pages of a PDF read for text; default 50
	// Memory bounds the address space of each ffprobe and pdftotext run,
	// in bytes; default subproc.DefaultMemory (1 GiB). ExifTool.Memory is
	// exiftool's.
	Memory int64
}

// Extractor reads metadata from files. It is safe for concurrent use.
type Extractor struct {
	cfg  Config
	exif *ExifTool
}

// New starts the exiftool pool (see NewExifTool).
func New(ctx context.Context, cfg Config) (*Extractor, error) {
	if cfg.FFprobe == "" {
		cfg.FFprobe = "ffprobe"
	}
	if cfg.PDFToText == "" {
		cfg.PDFToText = "pdftotext"
	}
	if cfg.Timeout <= 0 {
		cfg.Timeout = 30 * time.Second
	}
	if cfg.MaxText <= 0 {
		cfg.MaxText = 1 << 20
	}
	if cfg.MaxPages <= 0 {
		cfg.MaxPages = 50
	}
	et, err := NewExifTool(ctx, cfg.ExifTool)
	if err != nil {
		return nil, err
	}
	return &Extractor{cfg: cfg, exif: et}, nil
}

// Close stops the exiftool processes.
func (x *Extractor) Close() error { return x.exif.Close() }

// Metadata is what a file says about itself. Strings are valid UTF-8 and
// length-limited; they are outside input and must be escaped when shown.
type Metadata struct {
	// The fluxiom metadata_* fields.
	Type             string  // metadata_type: the format exiftool found, "JPEG", "PNG", "MP4", "PDF"
	PixelWidth       int     // metadata_pixel_width: as stored, before orientation
	PixelHeight      int     // metadata_pixel_height
	ResolutionWidth  float64 // metadata_resolution_width: dots per inch; 0 when unknown
	ResolutionHeight float64 // metadata_resolution_height
	BitsPerSample    int     // metadata_bits_per_sample
	ColorSpace       string  // metadata_color_space: "sRGB", "Adobe RGB", "Uncalibrated", "RGB", "Gray", "CMYK", or an ICC profile's name
	Orientation      int     // metadata_orientation: EXIF 1-8; 0 when absent
	AlphaChannel     bool    // metadata_alpha_channel

	Width, Height int     // pixels as displayed: after EXIF orientation or video rotation
	Duration      float64 // seconds, for video and audio
	PageCount     int     // for documents

	Camera  string    // make and model, "Canon EOS R5"
	Lens    string    // lens model
	TakenAt time.Time // DateTimeOriginal; in its offset when the file gives one, else the wall clock as UTC
	GPS     *damask.GeoPoint

	Keywords    []string // IPTC Keywords and XMP dc:subject, merged, first spelling kept
	Caption     string   // IPTC Caption-Abstract, else XMP dc:description
	Description string   // XMP dc:description, else EXIF ImageDescription, else the caption
	Creator     string   // XMP dc:creator, IPTC By-line or EXIF Artist
	Copyright   string   // EXIF Copyright, XMP dc:rights or IPTC CopyrightNotice
	Title       string   // XMP dc:title, else IPTC ObjectName
	Headline    string   // XMP photoshop:Headline, else IPTC Headline
	Credit      string   // XMP photoshop:Credit, else IPTC Credit
	Source      string   // XMP photoshop:Source, else IPTC Source
	Location    string   // XMP Iptc4xmpCore:Location, else IPTC Sub-location: a place within the city
	City        string   // XMP photoshop:City, else IPTC City
	State       string   // XMP photoshop:State, else IPTC Province-State
	Country     string   // XMP photoshop:Country, else IPTC Country-PrimaryLocationName

	VideoCodec string // ffprobe codec_name of the first video stream, "h264"
	AudioCodec string // of the first audio stream, "aac"

	Text string // a document's text (PDF), bounded

	// Raw is exiftool's whole answer with "Group:Tag" keys, bounded, to
	// be stored whole.
	Raw map[string]any
}

// SearchText is the words of m for the search index (Asset.Text): title,
// keywords, caption, description, creator, copyright, headline, credit,
// source, the place (location, city, state, country), lens and document
// text, each
// distinct value once. The camera is left out: Asset.Camera is indexed on
// its own.
func (m Metadata) SearchText() string {
	parts := []string{m.Title}
	parts = append(parts, m.Keywords...)
	parts = append(parts, m.Caption, m.Description, m.Creator, m.Copyright, m.Headline, m.Credit, m.Source,
		m.Location, m.City, m.State, m.Country, m.Lens, m.Text)
	seen := make(map[string]bool)
	var b strings.Builder
	for _, p := range parts {
		p = strings.TrimSpace(p)
		if p == "" || seen[p] {
			continue
		}
		seen[p] = true
		if b.Len() > 0 {
			b.WriteByte('\n')
		}
		b.WriteString(p)
	}
	return b.String()
}

// Extract reads the file at path. contentType is the type the upload
// declared; the type exiftool finds in the content counts too, so a file
// whose name lies still gets ffprobe or pdftotext. Errors wrap
// ErrUnreadable (with the tool's reason), ErrTimeout, ErrTooLarge or
// ErrBadPath; on error the Metadata is zero. A zip (an archive or an
// office document) of more than MaxArchiveEntries entries is ErrTooLarge
// before exiftool sees it.
func (x *Extractor) Extract(ctx context.Context, path, contentType string) (Metadata, error) {
	abs, err := safePath(path)
	if err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	if fi, err := os.Stat(abs); err == nil && fi.Size() == 0 {
		return Metadata{}, fmt.Errorf("metadata: empty file: %w", ErrUnreadable)
	}
	if err := checkArchive(abs); err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	raw, err := x.exif.Read(ctx, abs)
	if err != nil {
		return Metadata{}, fmt.Errorf("metadata: %w", err)
	}
	m := fromExif(raw)
	if m.Lens == "" && hasLensNumber(raw) {
		if id, err := x.exif.LensID(ctx, abs); err == nil && id != "" {
			raw["Composite:LensID"] = id
			m.Lens = lensName(raw)
		}
	}

	found := str(raw, "File:MIMEType")
	kind := func(prefix string) bool {
		return strings.HasPrefix(contentType, prefix) || strings.HasPrefix(found, prefix)
	}
	switch {
	case kind("video/") || kind("audio/"):
		if err := x.probe(ctx, abs, &m); err != nil {
			return Metadata{}, fmt.Errorf("metadata: %w", err)
		}
	case kind("image/"):
		if m.PixelWidth <= 0 || m.PixelHeight <= 0 {
			reason := "no image dimensions"
			if w := str(raw, "ExifTool:Warning"); w != "" {
				reason += " (" + w + ")"
			}
			return Metadata{}, fmt.Errorf("metadata: %s: %w", reason, ErrUnreadable)
		}
	case kind("application/pdf"):
		if err := x.pdfText(ctx, abs, &m); err != nil {
			return Metadata{}, fmt.Errorf("metadata: %w", err)
		}
	}
	return m, nil
}

// demuxers ffprobe may use: containers of one file, no playlists (hls,
// dash, concat, ...) that could name other files or URLs.
const demuxers = "mov,mp4,m4a,3gp,3g2,mj2,matroska,webm,avi,mp3,aac,flac,wav,ogg," +
	"mpegts,mpeg,asf,flv,aiff,caf,w64,amr,ape,wv,dv,mxf,m4v,h264,hevc,mjpeg,ac3,eac3"

// probe fills duration, dimensions and codecs from ffprobe.
func (x *Extractor) probe(ctx context.Context, abs string, m *Metadata) error {
	out, truncated, err := runBounded(ctx, x.cfg.Timeout, x.cfg.Memory, 1<<20, x.cfg.FFprobe,
		"-v", "error",
		"-protocol_whitelist", "file",
		"-format_whitelist", demuxers,
		"-print_format", "json",
		"-show_format", "-show_streams",
		"-i", "file:"+abs)
	if err != nil {
		if strings.Contains(err.Error(), "not on whitelist") {
			return fmt.Errorf("ffprobe: container not allowed (playlists and unknown formats are refused): %w", ErrUnreadable)
		}
		return err
	}
	if truncated {
		return fmt.Errorf("ffprobe: answer over 1 MiB: %w", ErrTooLarge)
	}
	var p struct {
		Format struct {
			FormatName string `json:"format_name"`
			Duration   string `json:"duration"`
		} `json:"format"`
		Streams []struct {
			CodecType   string            `json:"codec_type"`
			CodecName   string            `json:"codec_name"`
			Width       int               `json:"width"`
			Height      int               `json:"height"`
			Tags        map[string]string `json:"tags"`
			Disposition map[string]int    `json:"disposition"`
			SideData    []struct {
				Rotation float64 `json:"rotation"`
			} `json:"side_data_list"`
		} `json:"streams"`
	}
	if err := json.Unmarshal(out, &p); err != nil {
		return fmt.Errorf("ffprobe: %w: %w", err, ErrUnreadable)
	}
	if len(p.Streams) == 0 {
		return fmt.Errorf("ffprobe: no streams: %w", ErrUnreadable)
	}
	if d, err := strconv.ParseFloat(p.Format.Duration, 64); err == nil && d >= 0 {
		m.Duration = d
	}
	for _, s := range p.Streams {
		switch s.CodecType {
		case "video":
			// Cover art in an MP3 or M4A is a one-picture "video" stream.
			if m.VideoCodec != "" || s.Disposition["attached_pic"] == 1 {
				continue
			}
			m.VideoCodec = truncate(s.CodecName, 64)
			if s.Width > 0 && s.Height > 0 {
				m.PixelWidth, m.PixelHeight = s.Width, s.Height
				rot, _ := strconv.ParseFloat(s.Tags["rotate"], 64)
				for _, sd := range s.SideData {
					if sd.Rotation != 0 {
						rot = sd.Rotation
					}
				}
				m.Width, m.Height = s.Width, s.Height
				if r := int(rot) % 180; r == 90 || r == -90 {
					m.Width, m.Height = s.Height, s.Width
				}
			}
		case "audio":
			if m.AudioCodec == "" {
				m.AudioCodec = truncate(s.CodecName, 64)
			}
		}
	}
	return nil
}

// pdfText reads the text of the first MaxPages pages, cut at MaxText bytes.
func (x *Extractor) pdfText(ctx context.Context, abs string, m *Metadata) error {
	out, _, err := runBounded(ctx, x.cfg.Timeout, x.cfg.Memory, x.cfg.MaxText, x.cfg.PDFToText,
		"-q", "-l", strconv.Itoa(x.cfg.MaxPages), "-enc", "UTF-8", abs, "-")
	if err != nil {
		return err
	}
	text := strings.ReplaceAll(string(out), "\f", "\n")
	m.Text = strings.TrimSpace(truncate(text, x.cfg.MaxText))
	return nil
}

// fromExif maps exiftool's -n -G1 answer to the fields.
func fromExif(raw map[string]any) Metadata {
	m := Metadata{Raw: raw}
	m.Type = str(raw, "File:FileType")

	m.PixelWidth, m.PixelHeight = imageSize(raw)
	m.Orientation = num(raw, "IFD0:Orientation")
	if m.Orientation < 1 || m.Orientation > 8 {
		m.Orientation = 0
	}
	m.Width, m.Height = m.PixelWidth, m.PixelHeight
	if m.Orientation >= 5 {
		m.Width, m.Height = m.PixelHeight, m.PixelWidth
	}
	m.ResolutionWidth, m.ResolutionHeight = resolution(raw)
	m.BitsPerSample = num(raw, "File:BitsPerSample", "PNG:BitDepth", "IFD0:BitsPerSample", "XMP-tiff:BitsPerSample")
	m.ColorSpace = colorSpace(raw)
	m.AlphaChannel = alpha(raw)

	m.Duration = float(raw, "Composite:Duration", "QuickTime:Duration", "MPEG:Duration")
	m.PageCount = num(raw, "PDF:PageCount", "XMP-xmpTPg:NPages")

	m.Camera = camera(str(raw, "IFD0:Make", "XMP-tiff:Make", "QuickTime:Make"), str(raw, "IFD0:Model", "XMP-tiff:Model", "QuickTime:Model"))
	m.Lens = lensName(raw)
	m.TakenAt = takenAt(raw)
	m.GPS = gps(raw)

	m.Keywords = keywords(raw, "IPTC:Keywords", "XMP-dc:Subject")
	m.Caption = clean(str(raw, "IPTC:Caption-Abstract", "XMP-dc:Description"), 2000)
	m.Description = clean(str(raw, "XMP-dc:Description", "IFD0:ImageDescription"), 2000)
	if m.Description == "" {
		m.Description = m.Caption
	}
	m.Creator = clean(str(raw, "XMP-dc:Creator", "IPTC:By-line", "IFD0:Artist"), 200)
	m.Copyright = clean(str(raw, "IFD0:Copyright", "XMP-dc:Rights", "IPTC:CopyrightNotice"), 500)
	m.Title = clean(str(raw, "XMP-dc:Title", "IPTC:ObjectName"), 500)
	m.Headline = clean(str(raw, "XMP-photoshop:Headline", "IPTC:Headline"), 500)
	m.Credit = clean(str(raw, "XMP-photoshop:Credit", "IPTC:Credit"), 200)
	m.Source = clean(str(raw, "XMP-photoshop:Source", "IPTC:Source"), 200)
	m.Location = clean(str(raw, "XMP-iptcCore:Location", "IPTC:Sub-location"), 200)
	m.City = clean(str(raw, "XMP-photoshop:City", "IPTC:City"), 200)
	m.State = clean(str(raw, "XMP-photoshop:State", "IPTC:Province-State"), 200)
	m.Country = clean(str(raw, "XMP-photoshop:Country", "IPTC:Country-PrimaryLocationName"), 200)
	return m
}

// lensName is the lens as the file names it (EXIF, XMP), else exiftool's
// LensID composite unless it is a bare number: Extract asks for LensID
// alone when the maker notes give the lens only as a number
// (hasLensNumber); "" when there is no name.
func lensName(raw map[string]any) string {
	if l := clean(str(raw, "ExifIFD:LensModel", "XMP-aux:Lens", "XMP-exifEX:LensModel"), 200); l != "" {
		return l
	}
	if id := str(raw, "Composite:LensID"); id != "" {
		if _, err := strconv.ParseFloat(id, 64); err != nil { // -n gives some makers' lenses as numbers
			return clean(id, 200)
		}
	}
	return ""
}

// hasLensNumber tells whether the maker notes name the lens by a number
// that only exiftool's LensID composite turns into a name.
func hasLensNumber(raw map[string]any) bool {
	for k := range raw {
		if strings.HasSuffix(k, ":LensType") || strings.HasSuffix(k, ":LensIDNumber") || strings.HasSuffix(k, ":LensType2") {
			return true
		}
	}
	return false
}

// imageSize is exiftool's ImageSize composite, worked out here since
// composites are not asked for (they cost exiftool half its time): the
// composite itself when an answer has it ("W H"), else the container's
// own size (File:), else the largest width and height pair that one group
// of tags gives (a DNG's raw image over its thumbnail, a video's picture
// track), XMP's claims left out, else EXIF's ExifImageWidth and Height;
// 0, 0 when none gives both.
func imageSize(raw map[string]any) (w, h int) {
	if s := str(raw, "Composite:ImageSize"); s != "" {
		// With -n the composite is "W H".
		f := strings.Fields(strings.ReplaceAll(s, "x", " "))
		if len(f) == 2 {
			w, _ = strconv.Atoi(f[0])
			h, _ = strconv.Atoi(f[1])
			if w > 0 && h > 0 {
				return w, h
			}
		}
	}
	if w, h = num(raw, "File:ImageWidth"), num(raw, "File:ImageHeight"); w > 0 && h > 0 {
		return w, h
	}
	w, h = 0, 0
	for _, k := range sortedKeys(raw) {
		group, ok := strings.CutSuffix(k, ":ImageWidth")
		if !ok || strings.HasPrefix(group, "XMP") {
			continue
		}
		gw, gh := num(raw, k), num(raw, group+":ImageHeight")
		if gw > 0 && gh > 0 && int64(gw)*int64(gh) > int64(w)*int64(h) {
			w, h = gw, gh
		}
	}
	if w > 0 && h > 0 {
		return w, h
	}
	w = num(raw, "ExifIFD:ExifImageWidth")
	h = num(raw, "ExifIFD:ExifImageHeight")
	if w <= 0 || h <= 0 {
		return 0, 0
	}
	return w, h
}

// resolution is in dots per inch, 0 when the file gives none or gives only
// an aspect ratio.
func resolution(raw map[string]any) (x, y float64) {
	scale := func(unit int, inch, cm, metre int) float64 {
		switch unit {
		case inch:
			return 1
		case cm:
			return 2.54
		case metre:
			return 0.0254
		}
		return 0
	}
	if _, ok := raw["IFD0:XResolution"]; ok {
		f := scale(num(raw, "IFD0:ResolutionUnit"), 2, 3, -1)
		if f > 0 {
			return float(raw, "IFD0:XResolution") * f, float(raw, "IFD0:YResolution") * f
		}
	}
	if _, ok := raw["JFIF:XResolution"]; ok {
		f := scale(num(raw, "JFIF:ResolutionUnit"), 1, 2, -1)
		if f > 0 {
			return float(raw, "JFIF:XResolution") * f, float(raw, "JFIF:YResolution") * f
		}
	}
	if _, ok := raw["PNG-pHYs:PixelsPerUnitX"]; ok {
		f := scale(num(raw, "PNG-pHYs:PixelUnits"), -1, -1, 1)
		if f > 0 {
			return float(raw, "PNG-pHYs:PixelsPerUnitX") * f, float(raw, "PNG-pHYs:PixelsPerUnitY") * f
		}
	}
	return 0, 0
}

func colorSpace(raw map[string]any) string {
	if s := str(raw, "ICC_Profile:ProfileDescription"); s != "" {
		return clean(s, 100)
	}
	switch num(raw, "ExifIFD:ColorSpace") {
	case 1:
		return "sRGB"
	case 2:
		return "Adobe RGB"
	case 0xffff:
		return "Uncalibrated"
	}
	if _, ok := raw["PNG:ColorType"]; ok {
		switch num(raw, "PNG:ColorType") {
		case 0, 4:
			return "Gray"
		case 2, 3, 6:
			return "RGB"
		}
	}
	if _, ok := raw["IFD0:PhotometricInterpretation"]; ok {
		// A TIFF says how its samples are to be read; their number also
		// counts extra samples such as alpha (RGB with alpha is 4, as
		// CMYK is).
		switch num(raw, "IFD0:PhotometricInterpretation") {
		case 0, 1:
			return "Gray"
		case 2, 3, 6: // RGB, a palette of RGB, YCbCr
			return "RGB"
		case 5:
			return "CMYK"
		case 8, 9, 10:
			return "Lab"
		}
	}
	// A JPEG's components: 4 is CMYK (or YCCK, CMYK after a transform).
	n := num(raw, "File:ColorComponents")
	if n == 0 {
		n = num(raw, "IFD0:SamplesPerPixel") - extraSamples(raw)
	}
	switch n {
	case 1:
		return "Gray"
	case 3:
		return "RGB"
	case 4:
		return "CMYK"
	}
	return ""
}

// extraSamples counts a TIFF's samples beyond its colour (alpha, masks):
// exiftool gives the list of their kinds, one number each.
func extraSamples(raw map[string]any) int {
	v, ok := raw["IFD0:ExtraSamples"]
	if !ok {
		return 0
	}
	return len(strings.Fields(fmt.Sprint(v)))
}

func alpha(raw map[string]any) bool {
	if _, ok := raw["PNG:ColorType"]; ok {
		t := num(raw, "PNG:ColorType")
		return t == 4 || t == 6 || raw["PNG:Transparency"] != nil
	}
	if v, ok := raw["IFD0:ExtraSamples"]; ok { // TIFF: 1 associated, 2 unassociated alpha
		n, _ := strconv.Atoi(strings.Fields(fmt.Sprint(v) + " 0")[0])
		return n == 1 || n == 2
	}
	if v, ok := raw["VP8X:Alpha"]; ok { // WebP extended header, exiftool's flag
		return fmt.Sprint(v) == "1" || v == true
	}
	return false
}

// camera joins make and model unless the model already names the maker:
// ("Canon", "Canon EOS R5") is "Canon EOS R5", ("NIKON CORPORATION",
// "NIKON D750") is "NIKON D750", ("Apple", "iPhone 15") is "Apple iPhone 15".
func camera(mk, model string) string {
	mk, model = clean(mk, 100), clean(model, 100)
	switch {
	case model == "":
		return mk
	case mk == "":
		return model
	}
	first := strings.Fields(mk)[0]
	if strings.HasPrefix(strings.ToLower(model), strings.ToLower(first)) {
		return model
	}
	return mk + " " + model
}

// takenAt reads DateTimeOriginal, with its offset when the file has one.
func takenAt(raw map[string]any) time.Time {
	if t, ok := parseTime(str(raw, "Composite:SubSecDateTimeOriginal")); ok {
		return t
	}
	if s := str(raw, "ExifIFD:DateTimeOriginal"); s != "" {
		// The SubSecDateTimeOriginal composite, worked out here.
		if sub := str(raw, "ExifIFD:SubSecTimeOriginal"); sub != "" && isDigits(sub) && !strings.Contains(s, ".") {
			s += "." + sub
		}
		if off := str(raw, "ExifIFD:OffsetTimeOriginal"); off != "" {
			if t, ok := parseTime(s + off); ok {
				return t
			}
		}
		if t, ok := parseTime(s); ok {
			return t
		}
	}
	for _, k := range []string{"XMP-exif:DateTimeOriginal", "XMP-photoshop:DateCreated", "IPTC:DateCreated"} {
		if t, ok := parseTime(str(raw, k)); ok {
			return t
		}
	}
	// QuickTime dates are UTC by the specification.
	if t, ok := parseTime(str(raw, "QuickTime:CreateDate")); ok {
		return t.UTC()
	}
	return time.Time{}
}

var timeLayouts = []string{
	"2006:01:02 15:04:05.999999999Z07:00",
	"2006:01:02 15:04:05.999999999",
	"2006:01:02 15:04:05Z07:00",
	"2006:01:02 15:04:05",
	"2006:01:02 15:04Z07:00",
	"2006:01:02",
}

// parseTime reads exiftool's date forms; a time without an offset is kept
// as its wall clock in UTC. Zero dates ("0000:00:00 00:00:00") and years
// outside 1800-2200 are refused.
func parseTime(s string) (time.Time, bool) {
	s = strings.TrimSpace(s)
	if s == "" || strings.HasPrefix(s, "0000") {
		return time.Time{}, false
	}
	s = strings.Replace(s, "T", " ", 1)
	if len(s) >= 10 && s[4] == '-' && s[7] == '-' { // XMP's 2024-05-17 form
		s = s[:4] + ":" + s[5:7] + ":" + s[8:]
	}
	for _, layout := range timeLayouts {
		if t, err := time.Parse(layout, s); err == nil {
			if t.Year() < 1800 || t.Year() > 2200 {
				return time.Time{}, false
			}
			return t, true
		}
	}
	return time.Time{}, false
}

// gps is the GPSLatitude and GPSLongitude composites, worked out here:
// EXIF's unsigned degrees signed by their S and W references, else XMP's
// signed ones (with -n, both are decimal degrees).
func gps(raw map[string]any) *damask.GeoPoint {
	lat, ok1 := raw["Composite:GPSLatitude"].(float64)
	lon, ok2 := raw["Composite:GPSLongitude"].(float64)
	if !ok1 || !ok2 {
		lat, ok1 = raw["GPS:GPSLatitude"].(float64)
		lon, ok2 = raw["GPS:GPSLongitude"].(float64)
		if ok1 && ok2 {
			if strings.EqualFold(str(raw, "GPS:GPSLatitudeRef"), "S") {
				lat = -lat
			}
			if strings.EqualFold(str(raw, "GPS:GPSLongitudeRef"), "W") {
				lon = -lon
			}
		}
	}
	if !ok1 || !ok2 {
		lat, ok1 = raw["XMP-exif:GPSLatitude"].(float64)
		lon, ok2 = raw["XMP-exif:GPSLongitude"].(float64)
	}
	if !ok1 || !ok2 || lat < -90 || lat > 90 || lon < -180 || lon > 180 {
		return nil
	}
	return &damask.GeoPoint{Latitude: lat, Longitude: lon}
}

func isDigits(s string) bool {
	for _, r := range s {
		if r < '0' || r > '9' {
			return false
		}
	}
	return s != ""
}

// keywords merges the lists under keys, keeping the first spelling of
// each keyword (compared without case), at most 200 of them.
func keywords(raw map[string]any, keys ...string) []string {
	var out []string
	seen := make(map[string]bool)
	for _, k := range keys {
		for _, v := range list(raw[k]) {
			v = clean(v, 200)
			low := strings.ToLower(v)
			if v == "" || seen[low] || len(out) == 200 {
				continue
			}
			seen[low] = true
			out = append(out, v)
		}
	}
	return out
}

// list turns a value into strings: exiftool gives one keyword as a string
// (or a number, "2024"), several as a list.
func list(v any) []string {
	switch v := v.(type) {
	case nil:
		return nil
	case []any:
		out := make([]string, 0, len(v))
		for _, x := range v {
			out = append(out, scalar(x))
		}
		return out
	default:
		return []string{scalar(v)}
	}
}

func scalar(v any) string {
	switch v := v.(type) {
	case string:
		return v
	case float64:
		return strconv.FormatFloat(v, 'f', -1, 64)
	case bool:
		return strconv.FormatBool(v)
	case nil:
		return ""
	}
	return "" // objects and lists are not scalars
}

// str is the first non-empty value among keys; a list gives its elements
// joined by ", " (several creators).
func str(raw map[string]any, keys ...string) string {
	for _, k := range keys {
		if s := strings.Join(list(raw[k]), ", "); strings.TrimSpace(s) != "" {
			return s
		}
	}
	return ""
}

func float(raw map[string]any, keys ...string) float64 {
	for _, k := range keys {
		switch v := raw[k].(type) {
		case float64:
			return v
		case string:
			// "8 8 8" for BitsPerSample: the first.
			if f := strings.Fields(v); len(f) > 0 {
				if x, err := strconv.ParseFloat(f[0], 64); err == nil {
					return x
				}
			}
		}
	}
	return 0
}

func num(raw map[string]any, keys ...string) int {
	f := float(raw, keys...)
	if f < 0 || f > 1<<31 {
		return 0
	}
	return int(f)
}

// clean trims s, drops control characters other than newline and tab, and
// cuts it to n bytes.
func clean(s string, n int) string {
	s = strings.Map(func(r rune) rune {
		if r < 0x20 && r != '\n' && r != '\t' || r == 0x7f {
			return -1
		}
		return r
	}, s)
	return strings.TrimSpace(truncate(strings.TrimSpace(s), n))
}
