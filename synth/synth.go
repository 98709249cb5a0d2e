// Package synth makes realistic synthetic catalogues for benchmarks and
// load tests: words drawn from a Zipf distribution (a few very common, a
// long tail of rare ones), 2,000 tags of which each asset carries 1 to 6,
// filenames as cameras, scanners and people write them, and plausible
// image metadata. The same seed gives the same catalogue.
package synth

import (
	"crypto/sha256"
	"encoding/binary"
	"fmt"
	"math/rand/v2"
	"strings"
	"time"

	"damask"
	"damask/search"
)

// Catalogue generates assets for one account.
type Catalogue struct {
	rng      *rand.Rand
	words    []string
	tags     []string
	wordZipf *rand.Zipf
	tagZipf  *rand.Zipf
	users    []int64
	start    time.Time
	step     time.Duration
	n        int
}

// Vocabulary and tag counts.
const (
	VocabularySize = 50000
	TagCount       = 2000
)

// New prepares n assets of the account, uploaded by the given users,
// spread over the five years before end.
func New(seed uint64, users []int64, n int, end time.Time) *Catalogue {
	rng := rand.New(rand.NewPCG(seed, seed^0x9e3779b97f4a7c15))
	c := &Catalogue{rng: rng, users: users, n: n}
	c.words = vocabulary(rng, VocabularySize)
	c.tags = make([]string, TagCount)
	for i := range c.tags {
		// Tags are words too, some of two words, so that tag: and the
		// words of tag names both have something to find.
		t := c.words[i*7%len(c.words)]
		if i%5 == 4 {
			t += " " + c.words[(i*13+1)%len(c.words)]
		}
		c.tags[i] = t
	}
	c.wordZipf = rand.NewZipf(rng, 1.07, 2, uint64(len(c.words)-1))
	c.tagZipf = rand.NewZipf(rng, 1.2, 3, uint64(len(c.tags)-1))
	span := 5 * 365 * 24 * time.Hour
	c.start = end.Add(-span)
	c.step = span / time.Duration(max(n, 1))
	return c
}

// Word is the vocabulary's word of the given rank: 0 is the most common.
func (c *Catalogue) Word(rank int) string { return c.words[rank] }

// CostliestQuery is the costliest query the search language allows over
// the catalogue, by measurement at a million assets (RELIABILITY.md 40):
// as many of the shortest prefixes as the language takes, those of the
// commonest words, ORed with the commonest words up to its limit of
// terms. Its facets (2.9 to 3.2 s alone among a million assets, on two
// busy cores) and its list sorted by title (2.0 to 3.1 s) read every
// match; ANDs, exclusions and conditions beside the words measured
// cheaper (1.0 to 1.5 s).
func (c *Catalogue) CostliestQuery() string {
	var terms []string
	seen := map[string]bool{}
	for _, w := range c.words {
		if len(terms) == search.MaxPrefixes {
			break
		}
		if p := w[:min(len(w), search.MinPrefix)]; len(p) == search.MinPrefix && !seen[p] {
			seen[p] = true
			terms = append(terms, p+"*")
		}
	}
	terms = append(terms, c.words[:search.MaxTerms-len(terms)]...)
	return strings.Join(terms, " OR ")
}

// Tag is the tag of the given rank: 0 is the most used.
func (c *Catalogue) Tag(rank int) string { return c.tags[rank] }

// Asset makes the i-th asset, for i counting up from 0: its creation time
// grows with i, as ids do.
func (c *Catalogue) Asset(i int, accountID int64) *damask.Asset {
	r := c.rng
	a := &damask.Asset{AccountID: accountID, UserID: c.users[r.IntN(len(c.users))], Processing: damask.ProcessingDone}
	a.CreatedAt = c.start.Add(time.Duration(i) * c.step).UTC()
	a.UpdatedAt = a.CreatedAt
	a.Title = c.sentence(2 + r.IntN(5))
	if r.IntN(3) > 0 {
		a.Description = c.sentence(5 + r.IntN(16))
	}
	kind := r.IntN(100)
	switch {
	case kind < 60:
		c.photo(a, i)
	case kind < 70:
		a.Filename, a.ContentType = screenshot(a.CreatedAt), "image/png"
		a.Width, a.Height = 2880, 1800
	case kind < 80:
		a.Filename, a.ContentType = c.slug()+".pdf", "application/pdf"
		a.Text = c.sentence(40 + r.IntN(120))
	case kind < 86:
		a.Filename, a.ContentType = c.slug()+".mp4", "video/mp4"
		a.Width, a.Height = 1920, 1080
	case kind < 90:
		a.Filename, a.ContentType = c.slug()+".mp3", "audio/mpeg"
	case kind < 95:
		a.Filename, a.ContentType = c.slug()+"_v"+fmt.Sprint(1+r.IntN(9))+".psd", "image/vnd.adobe.photoshop"
		a.Width, a.Height = 3000+r.IntN(3000), 2000+r.IntN(3000)
	default:
		a.Filename = c.words[c.zipf()] + " " + c.words[c.zipf()] + ".docx"
		a.ContentType = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
		a.Text = c.sentence(60 + r.IntN(200))
	}
	a.Size = sizeFor(r, a.ContentType)
	a.Blob = ref(accountID, i)
	for range 1 + r.IntN(6) {
		name := c.tags[c.tagZipf.Uint64()]
		dup := false
		for _, t := range a.Tags {
			dup = dup || t.Name == name
		}
		if !dup {
			a.Tags = append(a.Tags, damask.Tag{Name: name})
		}
	}
	return a
}

var cameras = []string{"Canon EOS R5", "Canon EOS 5D Mark IV", "Nikon Z 7II", "Nikon D850", "Sony ILCE-7RM4",
	"Sony ILCE-7M3", "Fujifilm X-T4", "Fujifilm GFX 100S", "Apple iPhone 15 Pro", "Apple iPhone 12",
	"Google Pixel 8", "Samsung SM-S918B", "Leica Q2", "Olympus E-M1MarkIII", "Panasonic DC-S5", "DJI FC3582"}

func (c *Catalogue) photo(a *damask.Asset, i int) {
	r := c.rng
	cam := cameras[r.IntN(len(cameras))]
	a.Camera = cam
	switch {
	case strings.HasPrefix(cam, "Apple"):
		a.Filename = fmt.Sprintf("IMG_%04d.HEIC", i%10000)
		a.ContentType = "image/heic"
	case strings.HasPrefix(cam, "Nikon"):
		a.Filename = fmt.Sprintf("DSC_%04d.NEF", i%10000)
		a.ContentType = "image/x-nikon-nef"
	default:
		a.Filename = fmt.Sprintf("IMG_%04d.jpg", i%10000)
		a.ContentType = "image/jpeg"
	}
	a.Width, a.Height = 6000, 4000
	if r.IntN(3) == 0 {
		a.Width, a.Height = a.Height, a.Width
	}
	if r.IntN(20) == 0 {
		a.Width = a.Height
	}
	a.TakenAt = a.CreatedAt.Add(-time.Duration(r.IntN(72)) * time.Hour)
	if r.IntN(10) < 3 {
		a.GPS = &damask.GeoPoint{Latitude: r.Float64()*140 - 70, Longitude: r.Float64()*360 - 180}
	}
	// Keywords a photographer gave it, as IPTC would carry them.
	var kw []string
	for range r.IntN(5) {
		kw = append(kw, c.words[c.zipf()])
	}
	a.Text = strings.Join(kw, " ")
}

func (c *Catalogue) zipf() int { return int(c.wordZipf.Uint64()) }

func (c *Catalogue) sentence(n int) string {
	ws := make([]string, n)
	for i := range ws {
		ws[i] = c.words[c.zipf()]
	}
	s := strings.Join(ws, " ")
	return strings.ToUpper(s[:1]) + s[1:]
}

func (c *Catalogue) slug() string {
	return c.words[c.zipf()] + "-" + c.words[c.zipf()] + "-" + fmt.Sprint(2019+c.rng.IntN(7))
}

func screenshot(t time.Time) string {
	return fmt.Sprintf("Screenshot %s at %02d.%02d.%02d.png", t.Format("2006-01-02"), t.Hour(), t.Minute(), t.Second())
}

func sizeFor(r *rand.Rand, contentType string) int64 {
	switch {
	case strings.HasPrefix(contentType, "video/"):
		return 20<<20 + r.Int64N(2<<30)
	case strings.HasPrefix(contentType, "audio/"):
		return 2<<20 + r.Int64N(20<<20)
	case strings.Contains(contentType, "photoshop"):
		return 50<<20 + r.Int64N(400<<20)
	case contentType == "image/x-nikon-nef":
		return 25<<20 + r.Int64N(30<<20)
	case strings.HasPrefix(contentType, "image/"):
		return 500<<10 + r.Int64N(12<<20)
	}
	return 20<<10 + r.Int64N(5<<20)
}

// ref is a made-up content hash: a synthetic catalogue has no bytes.
func ref(accountID int64, i int) damask.BlobRef {
	var b [16]byte
	binary.BigEndian.PutUint64(b[:8], uint64(accountID))
	binary.BigEndian.PutUint64(b[8:], uint64(i))
	return damask.BlobRef(sha256.Sum256(b[:]))
}

// common words first, so that the top of the Zipf curve reads naturally;
// the long tail is made of pronounceable invented words.
var common = strings.Fields(`photo image the of and a to in for on with at by from design team project
	logo brand summer winter spring autumn beach city night sunset portrait product launch event
	office people meeting campaign final draft report annual review blue red green black white
	mountain river lake forest sky street building interior food coffee studio shoot model
	print web social banner poster video interview music travel family wedding party holiday
	north south east west new old big small green house garden car bike boat dog cat bird
	flower tree water fire snow rain cloud light dark color black-and-white close-up aerial`)

func vocabulary(rng *rand.Rand, n int) []string {
	seen := make(map[string]bool, n)
	words := make([]string, 0, n)
	for _, w := range common {
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	onsets := strings.Fields("b c d f g h j k l m n p r s t v w z br cl dr fl gr pl st tr sh ch th")
	vowels := strings.Fields("a e i o u ai ea ou io")
	codas := strings.Fields("n r s t l m nd st rk x")
	for len(words) < n {
		var b strings.Builder
		for range 2 + rng.IntN(2) {
			b.WriteString(onsets[rng.IntN(len(onsets))])
			b.WriteString(vowels[rng.IntN(len(vowels))])
		}
		if rng.IntN(2) == 0 {
			b.WriteString(codas[rng.IntN(len(codas))])
		}
		w := b.String()
		if !seen[w] {
			seen[w] = true
			words = append(words, w)
		}
	}
	return words
}
