package hardening

// Items 3 to 12 of RELIABILITY.md, "Hostile files": each hostile file is
// uploaded to the real server, whose workers process it with the real
// tools (libvips, ImageMagick's policy, exiftool, ffmpeg, poppler); what it
// would do if it ran (connect to a canary, create a file) is looked for.

import (
	"archive/zip"
	"bytes"
	"encoding/binary"
	"encoding/xml"
	"fmt"
	"net/http"
	"net/url"
	"os"
	"os/exec"
	"path/filepath"
	"strings"
	"testing"
	"time"

	"damask/media/mediatest"
	"damask/servertest"
)

// inlineOK fails the test when a 200 answer could render the file as a
// page of the application's origin: it must be an attachment, or sent
// under a sandbox CSP that allows nothing, and always with nosniff.
func inlineOK(t *testing.T, what string, h http.Header) {
	t.Helper()
	attachment := strings.HasPrefix(h.Get("Content-Disposition"), "attachment")
	csp := h.Get("Content-Security-Policy")
	sandboxed := strings.Contains(csp, "sandbox") && strings.Contains(csp, "default-src 'none'")
	if !attachment && !sandboxed {
		t.Errorf("%s: neither an attachment nor sandboxed (Content-Disposition %q, CSP %q)", what, h.Get("Content-Disposition"), csp)
	}
	if h.Get("X-Content-Type-Options") != "nosniff" {
		t.Errorf("%s: X-Content-Type-Options %q, want nosniff", what, h.Get("X-Content-Type-Options"))
	}
}

// TestR03_ActiveDocumentsNeverInline: HTML, Markdown holding HTML and a
// PDF with JavaScript are sent by every route that sends a file (the API's
// download, the page's download and player, the public link) only as
// attachments or sandboxed, never as a page of the application's origin;
// the PDF's previews are JPEG rasters.
func TestR03_ActiveDocumentsNeverInline(t *testing.T) {
	l := start(t)
	ca := newLoopCanary(t)
	pdfJS := pdfWithJS(fmt.Sprintf("app.launchURL('%s'); this.submitForm('%s');", ca.url("/pdf"), ca.url("/form")))
	files := []struct{ name, claimed string }{
		{"page.html", "text/html"},
		{"notes.md", "text/markdown"},
		{"report.pdf", "application/pdf"},
	}
	data := map[string][]byte{
		"page.html":  []byte(`<!DOCTYPE html><html><body><script>fetch("` + ca.url("/html") + `")</script></body></html>`),
		"notes.md":   []byte("# Notes\n\n<script>fetch('" + ca.url("/md") + "')</script>\n<img src=x onerror=\"fetch('" + ca.url("/md2") + "')\">\n"),
		"report.pdf": pdfJS,
	}
	s := l.browser(t, "")
	s.signIn("admin", servertest.AdminPassword)
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			a := l.upload(t, f.name, f.claimed, data[f.name])
			st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
			t.Logf("%s: %s as %s, processing %s %s", f.name, a.Filename, a.ContentType, st.Processing, st.Error)
			pub := l.admin.Must(http.StatusOK, "PUT", fmt.Sprintf("/api/assets/%d.xml", a.ID), "application/x-www-form-urlencoded", []byte("public_link=true"))
			var doc struct {
				PublicURL string `xml:"public_url"`
			}
			if err := xml.Unmarshal(pub, &doc); err != nil || doc.PublicURL == "" {
				t.Fatalf("no public link: %v: %s", err, pub)
			}
			status, h, _ := l.admin.Request("GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil)
			if status != http.StatusOK {
				t.Fatalf("API download: %d", status)
			}
			inlineOK(t, "API download", h)
			if ct := h.Get("Content-Type"); strings.HasPrefix(ct, "text/html") && !strings.HasPrefix(h.Get("Content-Disposition"), "attachment") {
				t.Errorf("API download sends HTML inline")
			}
			pubPath := strings.TrimPrefix(doc.PublicURL, "http://"+l.Addr)
			anon := servertest.Client{T: t, HTTP: l.admin.HTTP, S: l.Server}
			type answer struct {
				what   string
				status int
				h      http.Header
			}
			var answers []answer
			p1 := s.get(fmt.Sprintf("/assets/%d/download", a.ID))
			answers = append(answers, answer{"page download", p1.status, p1.header})
			p2 := s.get(fmt.Sprintf("/assets/%d/media", a.ID))
			answers = append(answers, answer{"page player", p2.status, p2.header})
			st3, h3, _ := anon.Request("GET", pubPath, "", nil)
			answers = append(answers, answer{"public link", st3, h3})
			if st3 != http.StatusOK {
				t.Errorf("public link %s: %d", pubPath, st3)
			}
			for _, u := range answers {
				switch {
				case u.status == http.StatusOK:
					inlineOK(t, u.what, u.h)
				case u.status >= 500:
					t.Errorf("%s: %d", u.what, u.status)
				}
			}
			if f.name == "report.pdf" {
				if st.Processing != "done" {
					t.Fatalf("the PDF was not rendered: %s %s", st.Processing, st.Error)
				}
				for _, p := range []string{
					fmt.Sprintf("/api/assets/%d/thumbnail", a.ID),
					fmt.Sprintf("/api/assets/%d/preview", a.ID),
				} {
					status, h, b := l.admin.Request("GET", p, "", nil)
					if status != http.StatusOK || h.Get("Content-Type") != "image/jpeg" || !bytes.HasPrefix(b, []byte{0xff, 0xd8}) {
						t.Errorf("%s: %d %s, want a JPEG", p, status, h.Get("Content-Type"))
					}
				}
			}
		})
	}
	ca.assertSilent(t)
}

// pdfWithJS is a one-page PDF whose OpenAction runs js.
func pdfWithJS(js string) []byte {
	objs := []string{
		"<< /Type /Catalog /Pages 2 0 R /OpenAction 4 0 R /Names << /JavaScript << /Names [(x) 4 0 R] >> >> >>",
		"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
		"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 200 200] >>",
		"<< /Type /Action /S /JavaScript /JS (" + js + ") >>",
	}
	return mediatest.PDF(objs...)
}

// refused checks that processing did not render a hostile file: no
// renditions are offered or served.
func (l *library) refused(t *testing.T, id int64) procState {
	t.Helper()
	st := waitProcessed(t, l.admin, fmt.Sprint(id))
	if st.Processing == "done" {
		t.Errorf("asset %d was processed as a good file", id)
	}
	if st.ThumbURL != "" || st.PreviewURL != "" {
		t.Errorf("asset %d offers renditions: %q %q", id, st.ThumbURL, st.PreviewURL)
	}
	status, h, _ := l.admin.Request("GET", fmt.Sprintf("/api/assets/%d/thumbnail", id), "", nil)
	if status == http.StatusOK {
		t.Errorf("asset %d: a thumbnail is served (%s)", id, h.Get("Content-Type"))
	}
	return st
}

// TestR04_ImageMagickScriptsAsJPEG: MVG and MSL scripts named .jpg (and
// sent as image/jpeg) are refused by the loaders: they fetch nothing from
// a canary and write nothing, neither where they say nor in the data
// folder.
func TestR04_ImageMagickScriptsAsJPEG(t *testing.T) {
	l := start(t)
	ca := newLoopCanary(t)
	dir := t.TempDir()
	written := filepath.Join(dir, "written.png")
	mslPath := filepath.Join(dir, "inner.msl")
	inner := `<?xml version="1.0" encoding="UTF-8"?>
<image><read filename="` + ca.url("/inner.gif") + `" /><write filename="` + filepath.Join(dir, "inner-written.png") + `" /></image>
`
	if err := os.WriteFile(mslPath, []byte(inner), 0o600); err != nil {
		t.Fatal(err)
	}
	files := map[string]string{
		"mvg.jpg": "push graphic-context\nviewbox 0 0 640 480\nfill 'url(" + ca.url("/mvg.jpg") + ")'\n" +
			"image over 0,0 0,0 'msl:" + mslPath + "'\nimage over 0,0 0,0 '" + ca.url("/img.png") + "'\npop graphic-context\n",
		"msl.jpg": `<?xml version="1.0" encoding="UTF-8"?>
<image>
<read filename="` + ca.url("/msl.gif") + `" />
<write filename="` + written + `" />
</image>
`,
		// The same with the MVG signature ImageMagick looks for first.
		"viewbox.jpg": "viewbox 0 0 1 1\nimage over 0,0 0,0 'msl:" + mslPath + "'\n",
	}
	// Behind a JPEG's first bytes, so that the sniffing sends them on to
	// the JPEG loader, which must refuse them itself.
	files["jfif-mvg.jpg"] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00" + files["mvg.jpg"]
	files["jfif-msl.jpg"] = "\xff\xd8\xff\xe0\x00\x10JFIF\x00" + files["msl.jpg"]
	before := len(blobFiles(t, l.data))
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "image/jpeg", []byte(body))
			if strings.HasPrefix(a.ContentType, "image/") && !strings.HasPrefix(name, "jfif-") {
				t.Errorf("stored as %s", a.ContentType)
			}
			st := l.refused(t, a.ID)
			t.Logf("%s: %s, %s %s", name, a.ContentType, st.Processing, st.Error)
		})
	}
	ca.assertSilent(t)
	assertAbsent(t, written, filepath.Join(dir, "inner-written.png"))
	// Nothing but the three files themselves was added to the blob tree.
	if got := len(blobFiles(t, l.data)); got != before+len(files) {
		t.Errorf("the blob tree holds %d files, want %d (the uploads only)", got, before+len(files))
	}
	for _, f := range dataFiles(t, l.data) {
		if strings.Contains(f, "written") || strings.HasSuffix(f, ".png") || strings.HasSuffix(f, ".msl") {
			t.Errorf("the data folder holds %s", f)
		}
	}
}

// TestR05_PostScriptPipe: EPS and PostScript whose %pipe% would run a
// command never reach Ghostscript, under any name.
func TestR05_PostScriptPipe(t *testing.T) {
	l := start(t)
	dir := t.TempDir()
	var markers []string
	for i, name := range []string{"pipe.eps", "pipe.ps", "pipe.jpg", "pipe.pdf", "pipe.ai"} {
		marker := filepath.Join(dir, fmt.Sprintf("pwned-%d", i))
		markers = append(markers, marker)
		ps := "%!PS-Adobe-3.0 EPSF-3.0\n%%BoundingBox: 0 0 100 100\n" +
			"(%pipe%touch " + marker + ") (r) file\n" +
			"/outfile (%pipe%touch " + marker + "-out) (w) file def\nshowpage\n"
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "application/postscript", []byte(ps))
			st := l.refused(t, a.ID)
			t.Logf("%s: %s, %s %s", name, a.ContentType, st.Processing, st.Error)
		})
		markers = append(markers, marker+"-out")
	}
	assertAbsent(t, markers...)
	// Control: had Ghostscript seen such a file, it would have run the
	// command (when gs is installed at all).
	if gs, err := exec.LookPath("gs"); err == nil {
		ctl := filepath.Join(dir, "control")
		src := filepath.Join(dir, "control.ps")
		os.WriteFile(src, []byte("(%pipe%touch "+ctl+") (r) file\n"), 0o600)
		exec.Command(gs, "-q", "-dNOPAUSE", "-dBATCH", "-dNOSAFER", "-sDEVICE=nullpage", src).Run()
		if _, err := os.Stat(ctl); err != nil {
			t.Logf("control: gs -dNOSAFER did not run the pipe either (%v)", err)
		}
	}
}

// djvuExploit is a DjVu file whose ANTa annotation chunk carries the
// metadata string of CVE-2021-22204: exiftool before 12.24 evaluated it
// as Perl, here running touch on marker.
func djvuExploit(marker string) []byte {
	chunk := func(id string, data []byte) []byte {
		var b bytes.Buffer
		b.WriteString(id)
		binary.Write(&b, binary.BigEndian, uint32(len(data)))
		b.Write(data)
		if len(data)%2 == 1 {
			b.WriteByte(0)
		}
		return b.Bytes()
	}
	info := []byte{0, 1, 0, 1, 24, 0, 100, 0, 22, 1} // 1x1, version 24, 100 dpi, gamma 2.2
	ant := []byte(`(metadata "\c${system('touch ` + marker + `')};")` + "\n" +
		`(metadata (Copyright "\` + "\n" + `" . qx{touch ` + marker + `-qx} . \` + "\n" + `" b ") )`)
	body := append([]byte("DJVU"), chunk("INFO", info)...)
	body = append(body, chunk("ANTa", ant)...)
	var b bytes.Buffer
	b.WriteString("AT&T")
	b.Write(chunk("FORM", body))
	return b.Bytes()
}

// TestR06_ExifToolDjVu: the DjVu payload of CVE-2021-22204 is read by the
// server's exiftool and the code in it never runs.
func TestR06_ExifToolDjVu(t *testing.T) {
	dir := t.TempDir()
	marker := filepath.Join(dir, "pwned")
	payload := djvuExploit(marker)
	// The file is a DjVu that exiftool parses (its annotations included):
	// the installed exiftool, given it directly, sees a DJVU file.
	src := filepath.Join(dir, "probe.djvu")
	if err := os.WriteFile(src, payload, 0o600); err != nil {
		t.Fatal(err)
	}
	out, err := exec.Command("exiftool", "-s3", "-FileType", src).CombinedOutput()
	if err != nil || strings.TrimSpace(string(out)) != "DJVU" {
		t.Fatalf("exiftool does not take the sample for a DjVu file: %v %s", err, out)
	}
	assertAbsent(t, marker, marker+"-qx") // not even the installed exiftool

	l := start(t)
	for _, name := range []string{"exploit.djvu", "exploit.jpg"} {
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "image/vnd.djvu", payload)
			st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
			t.Logf("%s: %s, %s %s", name, a.ContentType, st.Processing, st.Error)
		})
	}
	assertAbsent(t, marker, marker+"-qx")
	l.CheckLog()
}

// TestR07_PixelBomb: a PNG declaring 100,000 x 100,000 pixels is refused
// before any pixel is decoded, and the server's memory stays low.
func TestR07_PixelBomb(t *testing.T) {
	l := start(t)
	// A good file first, so that libvips and the workers have warmed up
	// and the peak measured before is that of real work.
	good := l.upload(t, "photo.jpg", "", mediatest.Sample(t, "photo.jpg"))
	if st := waitProcessed(t, l.admin, fmt.Sprint(good.ID)); st.Processing != "done" {
		t.Fatalf("photo.jpg: %s %s", st.Processing, st.Error)
	}
	_, peakBefore := serverMemory(t, l.Server)
	for _, name := range []string{"bomb.png", "bomb.jpg"} {
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "image/png", mediatest.BombPNG(100000, 100000))
			st := l.refused(t, a.ID)
			if st.Processing != "failed" || !strings.Contains(st.Error, "100000x100000") {
				t.Errorf("processing %s %q, want failed, naming the size", st.Processing, st.Error)
			}
		})
	}
	rss, peak := serverMemory(t, l.Server)
	t.Logf("server memory: peak %d MiB before the bombs, %d MiB after; now %d MiB", peakBefore>>20, peak>>20, rss>>20)
	// Decoding would need 30 GB; a header read needs nothing.
	if peak-peakBefore > 64<<20 {
		t.Errorf("peak memory rose by %d MiB with the bombs", (peak-peakBefore)>>20)
	}
}

// zipOf is a zip archive of the entries, names to contents.
func zipOf(t *testing.T, entries func(*zip.Writer)) []byte {
	t.Helper()
	var b bytes.Buffer
	zw := zip.NewWriter(&b)
	entries(zw)
	if err := zw.Close(); err != nil {
		t.Fatal(err)
	}
	return b.Bytes()
}

// TestR08_ArchiveBombs: an upload without unpack=true is stored as the
// bytes sent, so a zip bomb, a gzip bomb and a zip of 100,000 entries are
// kept as they are: one blob each, nothing extracted next to them, the
// server's memory low. With unpack=true (unpackBombs), every bomb is
// refused from the archive's directory before anything is extracted.
func TestR08_ArchiveBombs(t *testing.T) {
	l := start(t)
	bomb := zipOf(t, func(zw *zip.Writer) {
		// 1 GiB of zeros in one entry, a few MB compressed.
		w, _ := zw.Create("zeros.bin")
		zero := make([]byte, 1<<20)
		for range 1024 {
			w.Write(zero)
		}
	})
	many := zipOf(t, func(zw *zip.Writer) {
		for i := range 100000 {
			zw.CreateHeader(&zip.FileHeader{Name: fmt.Sprintf("f%06d.txt", i), Method: zip.Store})
		}
	})
	var gz bytes.Buffer
	{
		cmd := exec.Command("gzip", "-c")
		cmd.Stdin = bytes.NewReader(make([]byte, 256<<20))
		cmd.Stdout = &gz
		if err := cmd.Run(); err != nil {
			t.Fatalf("gzip: %v", err)
		}
	}
	files := []struct {
		name string
		data []byte
	}{{"bomb.zip", bomb}, {"many.zip", many}, {"zeros.gz", gz.Bytes()}, {"bomb.tar.gz", gz.Bytes()}}
	_, peakBefore := serverMemory(t, l.Server)
	blobsBefore := blobFiles(t, l.data)
	var want int64
	for _, f := range files {
		t.Run(f.name, func(t *testing.T) {
			a := l.upload(t, f.name, "application/zip", f.data)
			if a.Size != int64(len(f.data)) {
				t.Errorf("size %d, want %d as sent", a.Size, len(f.data))
			}
			st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
			t.Logf("%s (%d bytes): %s, %s %s", f.name, len(f.data), a.ContentType, st.Processing, st.Error)
			status, _, b := l.admin.Request("GET", fmt.Sprintf("/api/assets/download/%d", a.ID), "", nil)
			if status != http.StatusOK || !bytes.Equal(b, f.data) {
				t.Errorf("download: %d, %d bytes, want the %d bytes sent", status, len(b), len(f.data))
			}
		})
	}
	want = int64(len(bomb) + len(many) + len(gz.Bytes())) // the two gzips are one blob
	blobs := blobFiles(t, l.data)
	var added int64
	for k, size := range blobs {
		if _, ok := blobsBefore[k]; !ok {
			added += size
		}
	}
	if added != want {
		t.Errorf("the blob tree grew by %d bytes, want %d (the archives as sent)", added, want)
	}
	for _, f := range dataFiles(t, l.data) {
		if strings.HasSuffix(f, ".bin") || strings.HasSuffix(f, ".txt") || strings.Contains(f, "zeros") {
			t.Errorf("the data folder holds %s: something was extracted", f)
		}
	}
	_, peak := serverMemory(t, l.Server)
	t.Logf("server peak memory %d MiB before the archives, %d MiB after", peakBefore>>20, peak>>20)
	if peak-peakBefore > 128<<20 {
		t.Errorf("peak memory rose by %d MiB with the archives", (peak-peakBefore)>>20)
	}
	unpackBombs(t, l, bomb, many, gz.Bytes())
}

// TestR09_ArchivePaths: a zip whose entries are ../x, /abs, ..\x and a
// symlink is stored as sent and writes nothing anywhere; with unpack=true
// (unpackPaths) each such entry has the whole archive refused, and an
// archive of odd but harmless names unpacks into clean paths; and the zip
// of a selection the pages stream never holds such an entry, whatever the
// files' names were when sent.
func TestR09_ArchivePaths(t *testing.T) {
	l := start(t)
	out := t.TempDir() // what an absolute entry names
	abs := filepath.Join(out, "abs")
	evil := zipOf(t, func(zw *zip.Writer) {
		for _, n := range []string{"../x", "../../x", abs, `..\x`, `..\..\x`, "a/../../x", "C:/x", `C:\x`} {
			w, _ := zw.Create(n)
			w.Write([]byte("escaped"))
		}
		h := &zip.FileHeader{Name: "link", Method: zip.Store}
		h.SetMode(os.ModeSymlink | 0o777)
		w, _ := zw.CreateHeader(h)
		w.Write([]byte("/etc/passwd"))
		h = &zip.FileHeader{Name: "link/passwd", Method: zip.Store}
		w, _ = zw.CreateHeader(h)
		w.Write([]byte("through the link"))
	})
	unpackPaths(t, l, out)
	before := dataFiles(t, l.data)
	a := l.upload(t, "evil.zip", "application/zip", evil)
	st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
	t.Logf("evil.zip: %s, %s %s", a.ContentType, st.Processing, st.Error)
	parent := filepath.Dir(l.data)
	assertAbsent(t, abs, filepath.Join(parent, "x"), filepath.Join(filepath.Dir(parent), "x"),
		filepath.Join(l.data, "link"), filepath.Join(l.data, "blobs", "link"), filepath.Join(parent, `..\x`))
	known := map[string]bool{}
	for _, f := range before {
		known[f] = true
	}
	for _, f := range dataFiles(t, l.data) {
		if known[f] {
			continue
		}
		// Only the upload's blob (and its folders), the database's files
		// and the folder of files being written may be new.
		base := filepath.Base(f)
		if !blobName.MatchString(base) && !strings.HasPrefix(f, "damask.db") && !strings.HasPrefix(f, filepath.Join("blobs", ".tmp")) &&
			!(strings.HasPrefix(f, "blobs") && len(base) == 2) {
			t.Errorf("new in the data folder: %s", f)
		}
	}

	// The selection as a zip, from assets whose names were hostile.
	names := []string{"../x.txt", "../../etc/passwd", "/abs/y.txt", `..\x.txt`, `C:\Windows\win.ini`, "a/../../b.txt",
		"..", ".hidden", "x.txt", "x.txt", "CON", "nul\x00.txt"}
	var ids []string
	for i, n := range names {
		body, ct := multipartFile(n, "text/plain", []byte(fmt.Sprintf("file %d", i)))
		status, b := l.admin.Do("POST", "/api/assets.xml", ct, body)
		if status != http.StatusCreated {
			// A name the multipart reader cannot carry is sent raw.
			t.Logf("%q: %d: %s", n, status, b)
			continue
		}
		var got asset
		if err := xml.Unmarshal(b, &got); err != nil {
			t.Fatal(err)
		}
		ids = append(ids, fmt.Sprint(got.ID))
	}
	s := l.browser(t, "")
	s.signIn("admin", servertest.AdminPassword)
	res := s.post("/selection", url.Values{"csrf": {s.csrf(s.get("/"))}, "action": {"download"}, "ids": ids})
	status, h, body := res.status, res.header, res.body
	if status != http.StatusOK || h.Get("Content-Type") != "application/zip" {
		t.Fatalf("selection download: %d %s: %.300s", status, h.Get("Content-Type"), body)
	}
	zr, err := zip.NewReader(strings.NewReader(body), int64(len(body)))
	if err != nil {
		t.Fatalf("the selection's zip: %v", err)
	}
	if len(zr.File) != len(ids) {
		t.Errorf("%d entries, want %d", len(zr.File), len(ids))
	}
	seen := map[string]bool{}
	for _, f := range zr.File {
		n := f.Name
		if !filepath.IsLocal(n) || strings.ContainsAny(n, `/\:`) || strings.HasPrefix(n, ".") || strings.ContainsRune(n, 0) {
			t.Errorf("zip entry %q", n)
		}
		if f.Mode()&os.ModeSymlink != 0 || !f.Mode().IsRegular() {
			t.Errorf("zip entry %q has mode %v", n, f.Mode())
		}
		if seen[n] {
			t.Errorf("zip entry %q twice", n)
		}
		seen[n] = true
	}
	t.Logf("entries: %q", func() []string {
		var n []string
		for _, f := range zr.File {
			n = append(n, f.Name)
		}
		return n
	}())
}

// TestR10_BrokenMedia: an empty file is refused at upload; truncated and
// corrupt media end in a recorded processing failure with its reason; a
// tool that hangs is killed, its whole process group, when the job's time
// is up; and through all of it the server keeps serving.
func TestR10_BrokenMedia(t *testing.T) {
	t.Run("broken files", func(t *testing.T) {
		l := start(t)
		body, ct := multipartFile("empty.jpg", "image/jpeg", nil)
		status, b := l.admin.Do("POST", "/api/assets.xml", ct, body)
		if status != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte("<errors>")) {
			t.Errorf("empty file: %d %s, want 422 with an error document", status, b)
		}
		photo := mediatest.Sample(t, "photo.jpg")
		png := bytes.Clone(mediatest.Sample(t, "alpha.png"))
		i := bytes.Index(png, []byte("IDAT"))
		for j := i + 20; j < i+2000 && j < len(png); j++ {
			png[j] ^= 0x5A
		}
		clip := mediatest.Sample(t, "clip.mp4")
		pdf := mediatest.Sample(t, "doc.pdf")
		for _, f := range []struct {
			name string
			data []byte
		}{
			{"truncated.jpg", photo[:len(photo)*6/10]},
			{"corrupt.png", png},
			{"truncated.mp4", clip[:len(clip)/3]},
			{"truncated.pdf", pdf[:len(pdf)/2]},
			{"header-only.gif", []byte("GIF89a\x10\x00\x10\x00\x80\x00\x00")},
			{"garbage.tif", append([]byte("II*\x00\x08\x00\x00\x00"), bytes.Repeat([]byte{0xff}, 64)...)},
		} {
			t.Run(f.name, func(t *testing.T) {
				a := l.upload(t, f.name, "", f.data)
				st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
				t.Logf("%s: %s %q", f.name, st.Processing, st.Error)
				if st.Processing != "failed" && st.Processing != "unsupported" || st.Error == "" {
					t.Errorf("processing %s %q, want a recorded failure with its reason", st.Processing, st.Error)
				}
				// The server still serves, and a good file still works.
				l.admin.Must(http.StatusOK, "GET", "/api/account.xml", "", nil)
			})
		}
		good := l.upload(t, "photo.jpg", "", photo)
		if st := waitProcessed(t, l.admin, fmt.Sprint(good.ID)); st.Processing != "done" {
			t.Errorf("a good file after the broken ones: %s %s", st.Processing, st.Error)
		}
		l.CheckLog()
	})

	t.Run("hanging tool", func(t *testing.T) {
		// ffprobe and ffmpeg replaced by a script that starts a child and
		// waits forever, noting both pids: only a kill of the process
		// group ends the grandchild.
		shims := t.TempDir()
		pids := filepath.Join(t.TempDir(), "pids")
		script := "#!/bin/sh\necho $$ >> " + pids + "\nsleep 3600 &\necho $! >> " + pids + "\nwait\n"
		for _, tool := range []string{"ffprobe", "ffmpeg"} {
			if err := os.WriteFile(filepath.Join(shims, tool), []byte(script), 0o755); err != nil {
				t.Fatal(err)
			}
		}
		l := start(t, "--no-workers")
		w := servertest.Start(t, servertest.Build(t), []string{"PATH=" + shims + ":" + os.Getenv("PATH")}, "Damask worker is running",
			"worker", "--data", l.data, "--workers", "1", "--job-timeout", "5s")
		a := l.upload(t, "clip.mp4", "", mediatest.Sample(t, "clip.mp4"))
		// The job fails once its 5 s are up (it is retried later, after
		// a back-off, and fails again until its attempts run out).
		deadline := time.Now().Add(5 * time.Minute)
		for !strings.Contains(w.Log(), "job failed") {
			if time.Now().After(deadline) {
				t.Fatalf("no job failed within 5 minutes:\n%s", w.Log())
			}
			time.Sleep(100 * time.Millisecond)
		}
		b, err := os.ReadFile(pids)
		if err != nil {
			t.Fatalf("the hanging tool never ran: %v", err)
		}
		started := strings.Fields(string(b))
		if len(started) < 2 {
			t.Fatalf("pids %q", started)
		}
		// The failure is logged after the tool's Wait returned, and the
		// SIGKILL went to the whole group at once; a process that got it
		// is gone, or a zombie, within moments. One that did not (the
		// grandchild, if only the child were killed) sleeps for an hour.
		for _, p := range started {
			gone := time.Now().Add(time.Minute)
			for processAlive(p) && time.Now().Before(gone) {
				time.Sleep(50 * time.Millisecond)
			}
			if processAlive(p) {
				t.Errorf("process %s of the hanging tool is still running a minute after its job failed", p)
			}
		}
		t.Logf("killed %v; worker log:\n%s", started, w.Log())
		// The server serves on, and the asset is still pending for a
		// retry (no failure is recorded on the first time-out).
		st := assetState(t, l.admin, fmt.Sprint(a.ID))
		t.Logf("clip.mp4: %s %q", st.Processing, st.Error)
		l.admin.Must(http.StatusOK, "GET", "/api/assets.xml", "", nil)
		// The worker goes on with other files (a photo needs neither
		// ffprobe nor ffmpeg).
		photo := l.upload(t, "photo.jpg", "", mediatest.Sample(t, "photo.jpg"))
		if st := waitProcessed(t, l.admin, fmt.Sprint(photo.ID)); st.Processing != "done" {
			t.Errorf("a photo after the hung job: %s %s", st.Processing, st.Error)
		}
		l.CheckLog()
		w.CheckLog()
	})
}

// alive tells whether the process is running (not gone, not a zombie).
func processAlive(pid string) bool {
	b, err := os.ReadFile("/proc/" + pid + "/stat")
	if err != nil {
		return false
	}
	// pid (comm) state ...
	s := string(b)
	i := strings.LastIndexByte(s, ')')
	return i < 0 || i+2 >= len(s) || s[i+2] != 'Z'
}

// TestR11_PlaylistsAsVideo: HLS playlists and ffconcat scripts named .mp4
// that point at a loopback canary, at file:///etc/passwd and at a real
// video on the local disk make ffmpeg fetch and read nothing: the canary
// hears nothing and no frame of the local video becomes a thumbnail.
func TestR11_PlaylistsAsVideo(t *testing.T) {
	l := start(t)
	ca := newLoopCanary(t)
	local := filepath.Join(t.TempDir(), "local.mp4")
	if err := os.WriteFile(local, mediatest.Sample(t, "clip.mp4"), 0o600); err != nil {
		t.Fatal(err)
	}
	hls := func(segs ...string) string {
		s := "#EXTM3U\n#EXT-X-VERSION:3\n#EXT-X-TARGETDURATION:2\n"
		for _, seg := range segs {
			s += "#EXTINF:2.0,\n" + seg + "\n"
		}
		return s + "#EXT-X-ENDLIST\n"
	}
	files := map[string]string{
		"hls.mp4":          hls(ca.url("/seg.ts"), "file:///etc/passwd"),
		"hls-local.mp4":    hls("file://" + local),
		"hls-master.mov":   "#EXTM3U\n#EXT-X-STREAM-INF:BANDWIDTH=1\n" + ca.url("/v.m3u8") + "\n",
		"concat.mp4":       "ffconcat version 1.0\nfile " + ca.url("/a.mp4") + "\nfile /etc/passwd\n",
		"concat-local.mp4": "ffconcat version 1.0\nfile '" + local + "'\n",
		"concat.webm":      "ffconcat version 1.0\nfile 'subfile,,start,0,end,0,,:" + local + "'\n",
	}
	// Behind an MP4's first box, so that the sniffing takes them for a
	// video and ffprobe and ffmpeg get them: their whitelist must refuse.
	ftyp := "\x00\x00\x00\x18ftypisom\x00\x00\x02\x00isomiso2"
	files["ftyp-hls.mp4"] = ftyp + files["hls.mp4"]
	files["ftyp-concat.mp4"] = ftyp + files["concat.mp4"]
	files["ftyp-concat-local.mp4"] = ftyp + files["concat-local.mp4"]
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "video/mp4", []byte(body))
			st := l.refused(t, a.ID)
			t.Logf("%s: %s, %s %q", name, a.ContentType, st.Processing, st.Error)
		})
	}
	ca.assertSilent(t)
	// Control: the real video, uploaded itself, is rendered.
	a := l.upload(t, "clip.mp4", "", mediatest.Sample(t, "clip.mp4"))
	if st := waitProcessed(t, l.admin, fmt.Sprint(a.ID)); st.Processing != "done" {
		t.Errorf("clip.mp4: %s %s", st.Processing, st.Error)
	}
}

// TestR12_ExternalEntities: XML and SVG files with external entities and
// DTDs (http on a canary, file: on a secret next door) never have them
// resolved, by the renderer or by exiftool; nor does an XML request body.
func TestR12_ExternalEntities(t *testing.T) {
	l := start(t)
	ca := newLoopCanary(t)
	secretFile := filepath.Join(t.TempDir(), "secret.txt")
	const secret = "SECRET-7f3a9c-NOT-FOR-ASSETS"
	if err := os.WriteFile(secretFile, []byte(secret), 0o644); err != nil {
		t.Fatal(err)
	}
	doctype := `<!DOCTYPE %s SYSTEM "` + ca.url("/doctype.dtd") + `" [
  <!ENTITY ext SYSTEM "` + ca.url("/entity") + `">
  <!ENTITY sec SYSTEM "file://` + secretFile + `">
  <!ENTITY % param SYSTEM "` + ca.url("/param.dtd") + `">
  %param;
]>`
	files := map[string]string{
		"xxe.svg": `<?xml version="1.0"?>
` + fmt.Sprintf(doctype, "svg") + `
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><title>&sec;</title><desc>&ext;&sec;</desc>
<text y="20">&sec;&ext;</text></svg>
`,
		"xxe-general.svg": `<?xml version="1.0"?>
<!DOCTYPE svg [<!ENTITY ext SYSTEM "` + ca.url("/entity") + `"><!ENTITY sec SYSTEM "file://` + secretFile + `">]>
<svg xmlns="http://www.w3.org/2000/svg" width="100" height="100"><title>&sec;</title><text y="20">&sec;&ext;</text></svg>
`,
		"xxe.xml": `<?xml version="1.0"?>
` + fmt.Sprintf(doctype, "doc") + `
<doc><title>&sec;</title><x>&ext;</x></doc>
`,
		"xinclude.svg": `<?xml version="1.0"?>
<svg xmlns="http://www.w3.org/2000/svg" xmlns:xi="http://www.w3.org/2001/XInclude" width="100" height="100">
<xi:include href="file://` + secretFile + `" parse="text"/><xi:include href="` + ca.url("/xi") + `" parse="text"/></svg>
`,
		"xmp.jpg": "", // filled below: a JPEG whose XMP packet has the entities
	}
	files["xmp.jpg"] = string(jpegWithXMP(t, `<?xpacket begin="" id="W5M0MpCehiHzreSzNTczkc9d"?>
`+fmt.Sprintf(doctype, "x:xmpmeta")+`
<x:xmpmeta xmlns:x="adobe:ns:meta/"><rdf:RDF xmlns:rdf="http://www.w3.org/1999/02/22-rdf-syntax-ns#">
<rdf:Description xmlns:dc="http://purl.org/dc/elements/1.1/"><dc:title>&sec;&ext;</dc:title></rdf:Description>
</rdf:RDF></x:xmpmeta><?xpacket end="w"?>`))
	for name, body := range files {
		t.Run(name, func(t *testing.T) {
			a := l.upload(t, name, "", []byte(body))
			st := waitProcessed(t, l.admin, fmt.Sprint(a.ID))
			t.Logf("%s: %s, %s %q", name, a.ContentType, st.Processing, st.Error)
			for _, ext := range []string{".xml", ".json"} {
				b := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/%d%s", a.ID, ext), "", nil)
				if bytes.Contains(b, []byte(secret)) {
					t.Errorf("the asset's document holds the secret file's text: %s", b)
				}
			}
			if st.ThumbURL != "" {
				_, _, thumb := l.admin.Request("GET", fmt.Sprintf("/api/assets/%d/preview", a.ID), "", nil)
				if bytes.Contains(thumb, []byte(secret)) {
					t.Error("the preview holds the secret")
				}
			}
		})
	}
	// An XML request body with the same entities: refused, and nothing
	// of the secret stored.
	a := l.upload(t, "plain.txt", "", []byte("plain"))
	body := `<?xml version="1.0"?>` + fmt.Sprintf(doctype, "asset") + `<asset><title>&sec;</title><description>&ext;</description></asset>`
	status, b := l.admin.Do("PUT", fmt.Sprintf("/api/assets/%d.xml", a.ID), "application/xml", []byte(body))
	if status != http.StatusBadRequest && status != http.StatusUnprocessableEntity || !bytes.Contains(b, []byte("<errors>")) {
		t.Errorf("XML body with external entities: %d %s, want 400 or 422 with an error document", status, b)
	}
	got := l.admin.Must(http.StatusOK, "GET", fmt.Sprintf("/api/assets/%d.xml", a.ID), "", nil)
	if bytes.Contains(got, []byte(secret)) {
		t.Errorf("the secret was stored: %s", got)
	}
	ca.assertSilent(t)
}

// jpegWithXMP is the sample photo with an APP1 XMP segment holding packet
// as it is, put in by hand so that no tool cleans it on the way.
func jpegWithXMP(t *testing.T, packet string) []byte {
	t.Helper()
	photo := mediatest.Sample(t, "photo.jpg")
	payload := append([]byte("http://ns.adobe.com/xap/1.0/\x00"), packet...)
	seg := []byte{0xff, 0xe1, 0, 0}
	binary.BigEndian.PutUint16(seg[2:], uint16(len(payload)+2))
	seg = append(seg, payload...)
	out := append([]byte{}, photo[:2]...) // SOI
	out = append(out, seg...)
	return append(out, photo[2:]...)
}
