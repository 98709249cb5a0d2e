package httpapi_test

import (
	"fmt"
	"net/http"
	"os"
	"os/exec"
	"path/filepath"
	"slices"
	"strings"
	"testing"
	"time"
)

// BenchmarkPublicSize24MP is a gallery's first request for a new size of
// a 24-megapixel JPEG's public link, through the whole stack (an httptest
// server over SQLite and the disk blob store): made, kept, and answered.
// Each iteration asks a size not made before, and then, untimed by the
// benchmark but timed beside it, runs one vipsthumbnail command (one vips
// thread, process start-up included) making the same size of the same
// file: x_vipsthumbnail is the ratio of the medians (target: <= 1.2).
//
//   - fit_from_2048: _WxH.jpg within the 2048 px rendition, which is made
//     from it (what galleries ask: a few hundred pixels).
//   - fill_from_file: _fWx2048.jpg, which the 2048x1365 rendition does not
//     cover: made from the 24 MP file itself, as vipsthumbnail does.
//
// BenchmarkPublicSizeStored is the same size asked again, served from
// storage, beside an existing rendition (thumb_url's 256 px) on the same
// server: the rates should match.
//
//	go test -run '^$' -bench 'PublicSize' -benchtime=20x ./httpapi/
func BenchmarkPublicSize24MP(b *testing.B) {
	vt, err := exec.LookPath("vipsthumbnail")
	if err != nil {
		b.Skip("vipsthumbnail (libvips-tools) is not installed: no ceiling to compare with")
	}
	dir := b.TempDir()
	photo := make24MPJPEG(b, dir)
	src := filepath.Join(dir, "24mp.jpg")
	e := newEnv(b, setup{process: true, workers: true, maxFile: 64 << 20})
	tn := e.tenant(b, "acme", "deluxe")
	doc := tn.member.createAsset(b, "24mp.jpg", photo)
	doc = waitProcessedB(b, tn.member, id(b, doc))
	link := strings.TrimPrefix(str(doc["public_url"]), "http://acme."+domain)

	for _, bc := range []struct {
		name string
		// suffix and vips are the i-th size, as a URL suffix and as
		// vipsthumbnail's arguments.
		suffix func(i int) string
		vips   func(i int) []string
	}{
		{"fit_from_2048",
			func(i int) string { return fmt.Sprintf("_%dx%d.jpg", 170+i, 100+i) },
			func(i int) []string { return []string{"--size", fmt.Sprintf("%dx%d", 170+i, 100+i)} }},
		{"fill_from_file",
			func(i int) string { return fmt.Sprintf("_f%dx2048.jpg", 2048-i) },
			func(i int) []string {
				return []string{"--size", fmt.Sprintf("%dx2048", 2048-i), "--smartcrop", "centre"}
			}},
	} {
		b.Run(bc.name, func(b *testing.B) {
			var ours, ceiling []float64
			i := 0
			for b.Loop() {
				t0 := time.Now()
				tn.anon.get(b, link+bc.suffix(i)).want(b, http.StatusOK)
				ours = append(ours, ms(time.Since(t0)))

				args := append([]string{src}, bc.vips(i)...)
				args = append(args, "-o", filepath.Join(dir, "tn_%s.jpg[Q=82,strip]"))
				cmd := exec.Command(vt, args...)
				cmd.Env = []string{"VIPS_CONCURRENCY=1"}
				t0 = time.Now()
				if out, err := cmd.CombinedOutput(); err != nil {
					b.Fatalf("vipsthumbnail: %v %s", err, out)
				}
				ceiling = append(ceiling, ms(time.Since(t0)))
				i++
			}
			b.ReportMetric(0, "ns/op")
			b.ReportMetric(median(ours), "new_size_ms")
			b.ReportMetric(slices.Max(ours), "worst_new_size_ms")
			b.ReportMetric(median(ceiling), "vipsthumbnail_ms")
			b.ReportMetric(median(ours)/median(ceiling), "x_vipsthumbnail")
		})
	}
}

func BenchmarkPublicSizeStored(b *testing.B) {
	e := newEnv(b, setup{process: true, workers: true})
	tn := e.tenant(b, "acme", "deluxe")
	doc := tn.member.createAsset(b, "photo.jpg", mustRead(b, "../media/testdata/photo.jpg"))
	doc = waitProcessedB(b, tn.member, id(b, doc))
	link := strings.TrimPrefix(str(doc["public_url"]), "http://acme."+domain)
	thumb := strings.TrimPrefix(str(doc["thumb_url"]), "http://acme."+domain)
	tn.anon.get(b, link+"_170x100.jpg").want(b, http.StatusOK) // made
	for _, bc := range []struct {
		name string
		c    *client
		path string
	}{
		{"public_size", tn.anon, link + "_170x100.jpg"},
		{"rendition", tn.member, thumb},
	} {
		b.Run(bc.name, func(b *testing.B) {
			for b.Loop() {
				bc.c.get(b, bc.path).want(b, http.StatusOK)
			}
		})
	}
}

func mustRead(b *testing.B, path string) []byte {
	b.Helper()
	data, err := os.ReadFile(path)
	if err != nil {
		b.Fatal(err)
	}
	return data
}

func ms(d time.Duration) float64 { return float64(d) / float64(time.Millisecond) }

// waitProcessedB polls the asset until its processing is no longer pending.
func waitProcessedB(b *testing.B, c *client, id string) map[string]any {
	b.Helper()
	deadline := time.Now().Add(2 * time.Minute)
	for {
		doc := c.get(b, "/api/assets/"+id+".json").want(b, http.StatusOK).obj(b)
		if doc["processing"] != "pending" {
			return doc
		}
		if time.Now().After(deadline) {
			b.Fatalf("asset %s still pending", id)
		}
		time.Sleep(20 * time.Millisecond)
	}
}
